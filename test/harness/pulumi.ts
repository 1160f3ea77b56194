/**
 * Drives the real `pulumi` CLI (built by scripts/setup-pulumi.sh) in throw-away projects, with an
 * offline environment: a local file backend, an empty passphrase, no update check and no plugin
 * downloads. Nothing here touches the user's global Pulumi config.
 */
import { execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** The repository root (this file is compiled to dist/test/harness/). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

/** Where the projects live: inside the repo (ignored), so `require` finds its node_modules. */
const PROJECTS_ROOT = path.join(REPO_ROOT, ".tmp-e2e");

/** The folder holding `pulumi`, `pulumi-language-nodejs` and `pulumi-resource-pulumi-nodejs`. */
export function pulumiBinDir(): string {
  const fromEnv = process.env.PULUMI_ECS_SPEC_PULUMI_BIN;
  if (fromEnv) return fromEnv;
  const cacheRoot =
    process.env.PULUMI_ECS_SPEC_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "pulumi-ecs-spec");
  return path.join(cacheRoot, `pulumi-${process.env.PULUMI_VERSION ?? "v3.274.1"}`, "bin");
}

/** What one CLI run printed. */
export interface CliResult {
  readonly args: readonly string[];
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options for {@link PulumiProject.create}. */
export interface ProjectOptions {
  /** The program, as CommonJS source for `index.js`. */
  readonly program: string;
  /** Stack config set before the first run (`pulumi config set`). */
  readonly config?: Readonly<Record<string, string>>;
  /** Stack config set as secrets (`pulumi config set --secret`). */
  readonly secretConfig?: Readonly<Record<string, string>>;
  /** Extra environment for every CLI run. */
  readonly env?: Readonly<Record<string, string>>;
}

let projectCounter = 0;

/** One throw-away Pulumi project with one stack, `dev`. */
export class PulumiProject {
  private constructor(
    readonly name: string,
    readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  static async create(name: string, options: ProjectOptions): Promise<PulumiProject> {
    const dir = path.join(PROJECTS_ROOT, `${name}-${process.pid}-${++projectCounter}`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(path.join(dir, "state"), { recursive: true });
    fs.mkdirSync(path.join(dir, "home"), { recursive: true });
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${name}\nruntime: nodejs\nmain: index.js\n`);
    fs.writeFileSync(path.join(dir, "index.js"), options.program);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${pulumiBinDir()}${path.delimiter}${process.env.PATH ?? ""}`,
      PULUMI_HOME: path.join(dir, "home"),
      PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: "",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_SKIP_CONFIRMATIONS: "true",
      PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
      NO_COLOR: "1",
      ALIBABA_CLOUD_ECS_METADATA_DISABLED: "true",
      ...options.env,
    };
    const project = new PulumiProject(name, dir, env);
    await project.cli(["stack", "init", "dev"]);
    for (const [key, value] of Object.entries(options.config ?? {})) {
      await project.cli(["config", "set", key, value]);
    }
    for (const [key, value] of Object.entries(options.secretConfig ?? {})) {
      await project.cli(["config", "set", "--secret", key, value]);
    }
    return project;
  }

  /** The environment every CLI run of this project gets. */
  environment(): NodeJS.ProcessEnv {
    return { ...this.env };
  }

  /**
   * Removes the backend's lock files, as an operator does after a killed `pulumi up` on a
   * file backend (which has no `pulumi cancel`).
   */
  removeStaleLocks(): void {
    fs.rmSync(path.join(this.dir, "state", ".pulumi", "locks"), { recursive: true, force: true });
  }

  /** Replaces the program. */
  writeProgram(source: string): void {
    fs.writeFileSync(path.join(this.dir, "index.js"), source);
  }

  /** Runs `pulumi ARGS` in the project; rejects on a non-zero exit unless `allowFailure`. */
  cli(args: readonly string[], options: { allowFailure?: boolean; env?: Record<string, string> } = {}): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      execFile(
        path.join(pulumiBinDir(), "pulumi"),
        [...args, "--non-interactive"],
        { cwd: this.dir, env: { ...this.env, ...options.env }, maxBuffer: 64 * 1024 * 1024, timeout: 10 * 60_000 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
          const result: CliResult = { args, code, stdout, stderr };
          if (code !== 0 && !options.allowFailure) {
            reject(new Error(`pulumi ${args.join(" ")} exited ${code}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`));
          } else {
            resolve(result);
          }
        },
      );
    });
  }

  /** `pulumi up --yes --skip-preview`. */
  up(extra: readonly string[] = [], options?: { allowFailure?: boolean }): Promise<CliResult> {
    return this.cli(["up", "--yes", "--skip-preview", ...extra], options);
  }

  /** `pulumi preview --diff`. */
  preview(extra: readonly string[] = [], options?: { allowFailure?: boolean }): Promise<CliResult> {
    return this.cli(["preview", "--diff", ...extra], options);
  }

  /** The checkpoint the engine recorded (`pulumi stack export`). */
  async exportState(): Promise<StackDeployment> {
    const { stdout } = await this.cli(["stack", "export", "--show-secrets"]);
    return JSON.parse(stdout) as StackDeployment;
  }

  /** The raw bytes of every file in the backend folder, to grep for leaked secrets. */
  rawStateFiles(): string {
    const out: string[] = [];
    const walk = (d: string) => {
      for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, entry.name);
        if (entry.isDirectory()) walk(p);
        else out.push(fs.readFileSync(p, "utf8"));
      }
    };
    walk(path.join(this.dir, "state"));
    return out.join("\n");
  }

  /** Removes the project folder. */
  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The parts of `pulumi stack export` the tests read. */
export interface StackDeployment {
  readonly version: number;
  readonly deployment: {
    readonly resources?: readonly StateResource[];
  };
}

/** One resource in the checkpoint. */
export interface StateResource {
  readonly urn: string;
  readonly type: string;
  readonly id?: string;
  readonly inputs?: Record<string, unknown>;
  readonly outputs?: Record<string, unknown>;
  readonly initErrors?: readonly string[];
}

/** The resource of `type` named `name` in a checkpoint, or undefined. */
export function findResource(state: StackDeployment, type: string, name: string): StateResource | undefined {
  return state.deployment.resources?.find((r) => r.type === type && r.urn.endsWith(`::${name}`));
}

/** A CLI run in the background, in its own process group, so a test can kill it mid-way. */
export interface BackgroundRun {
  /**
   * Kills the CLI and every process it started, plugins included (they run in process groups of
   * their own), with SIGKILL: what a killed CI runner or `kill -9` of a container does.
   */
  kill(): void;
  /** Kills the CLI alone (SIGKILL), leaving its plugins orphaned, as an OOM kill of the CLI would. */
  killCliOnly(): void;
  /**
   * `kill -9 -PGID` of the CLI's process group, as a shell's or a CI runner's kill of the job does:
   * the CLI dies, its plugins (in process groups of their own) are left to notice on their own.
   */
  killGroup(): void;
  /** Every live process the CLI has started so far, directly or not, with its command line. */
  descendants(): { readonly pid: number; readonly commandLine: string }[];
  /** Ctrl-C as a terminal sends it: SIGINT to the CLI's process group (plugins have their own). */
  interrupt(): void;
  /** The provider plugin processes the CLI has started so far (`pulumi-resource-pulumi-nodejs`), by PID. */
  providerProcesses(): number[];
  /** Settles when the CLI has exited. */
  readonly exited: Promise<number | null>;
}

/** Starts `pulumi ARGS` in `project` without waiting for it. */
export function startInBackground(project: PulumiProject, args: readonly string[]): BackgroundRun {
  const child = spawn(path.join(pulumiBinDir(), "pulumi"), [...args, "--non-interactive"], {
    cwd: project.dir,
    env: project.environment(),
    detached: true,
    stdio: "ignore",
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    kill: () => {
      if (child.pid === undefined) return;
      for (const pid of [child.pid, ...descendantsOf(child.pid)]) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    },
    killCliOnly: () => {
      if (child.pid !== undefined) process.kill(child.pid, "SIGKILL");
    },
    killGroup: () => {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    },
    descendants: () => (child.pid === undefined ? [] : descendantsOf(child.pid).map((pid) => ({ pid, commandLine: commandLineOf(pid) }))),
    interrupt: () => {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGINT");
    },
    providerProcesses: () => (child.pid === undefined ? [] : descendantsOf(child.pid).filter((pid) => commandLineOf(pid).includes("dynamic-provider"))),
    exited,
  };
}

/** The command line of `pid` ("" when it is gone). */
function commandLineOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

/** Every live descendant of `pid`, from /proc (Linux). */
function descendantsOf(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/PID/stat: "pid (comm) state ppid …"; comm may contain spaces and parentheses.
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // the process ended while we looked
    }
  }
  const found: number[] = [];
  const frontier = [pid];
  while (frontier.length > 0) {
    const parent = frontier.pop()!;
    for (const [child, ppid] of parentOf) {
      if (ppid === parent) {
        found.push(child);
        frontier.push(child);
      }
    }
  }
  return found;
}

/** Resolves once none of `pids` is alive; rejects after `timeoutMs`. */
export async function waitForExit(pids: readonly number[], timeoutMs: number): Promise<void> {
  const alive = () =>
    pids.filter((pid) => {
      try {
        // A zombie still answers signal 0 but is gone for our purpose.
        return !fs.readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
      } catch {
        return false;
      }
    });
  const deadline = Date.now() + timeoutMs;
  while (alive().length > 0) {
    if (Date.now() > deadline) throw new Error(`processes still running after ${timeoutMs} ms: ${alive().join(", ")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

