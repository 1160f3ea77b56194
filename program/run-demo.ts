/**
 * `npm run demo`: the main job. With no endpoint or credentials in the environment it starts the
 * ECS simulator and runs `pulumi preview --diff` and `pulumi up` on the root program with the real
 * CLI in a throw-away stack (everything in `.demo/`, ignored), then prints every API call the
 * simulator answered. With an endpoint or credentials set, it runs `pulumi up --diff` on the
 * user's own selected stack instead, asking for confirmation as usual.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { startSimulator, type RunningSimulator } from "../simulator/index";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const DEMO_DIR = path.join(REPO_ROOT, ".demo");
const STACK = "demo";
/** Compressed simulator time, so the demo takes about a minute instead of twenty. */
const DEMO_TIMING = { cooldownSeconds: 15, stopSeconds: 3, startSeconds: 4 };

function run(bin: string, args: string[], env: NodeJS.ProcessEnv, options: { quiet?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const relay = (chunk: Buffer) => {
      out += chunk.toString();
      if (!options.quiet) process.stdout.write(chunk);
    };
    child.stdout.on("data", relay);
    child.stderr.on("data", relay);
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`pulumi ${args.join(" ")} exited ${code}`));
    });
  });
}

function usesRealCloud(): boolean {
  return Boolean(
    process.env.PULUMI_ECS_SPEC_ENDPOINT ||
      process.env.ALIBABA_CLOUD_ACCESS_KEY_ID ||
      process.env.ALICLOUD_ACCESS_KEY ||
      process.env.ALIBABA_CLOUD_PROFILE,
  );
}

function formatCalls(sim: RunningSimulator): string[] {
  const calls = sim.calls().filter((c) => !c.action.startsWith("Describe"));
  const t0 = calls[0]?.atMs ?? 0;
  return calls.map((c) => {
    const items = Object.entries(c.params)
      .filter(([k]) => !["Action", "RegionId", "ClientToken"].includes(k))
      .map(([k, v]) => `${k}=${v}`)
      .join(" ");
    const answer = c.code ? `${c.httpStatus} ${c.code}` : `${c.httpStatus} OK`;
    return `  +${((c.atMs - t0) / 1000).toFixed(1).padStart(6)}s  ${c.action.padEnd(30)} ${answer.padEnd(8)} ${items}`;
  });
}

/**
 * Against a real cloud: the user's own backend, selected stack and its config, and `pulumi up`
 * asks for confirmation as usual. Nothing here is isolated or automatic: these are real instances.
 */
async function runAgainstCloud(pulumi: string, binDir: string): Promise<void> {
  console.log("demo: endpoint or credentials found in the environment, so no simulator: running the root program");
  console.log("demo: on your selected stack, with your backend and its config (alicloud:region, webInstanceId, apiInstanceId, …)\n");
  const env = { ...process.env, PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ""}` };
  await new Promise<void>((resolve, reject) => {
    const child = spawn(pulumi, ["up", "--diff"], { cwd: REPO_ROOT, env, stdio: "inherit" });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`pulumi up exited ${code}`))));
  });
}

async function runAgainstSimulator(pulumi: string, binDir: string): Promise<void> {
  fs.rmSync(DEMO_DIR, { recursive: true, force: true });
  fs.mkdirSync(path.join(DEMO_DIR, "state"), { recursive: true });
  fs.mkdirSync(path.join(DEMO_DIR, "home"), { recursive: true });
  const sim = await startSimulator({ port: 0, timing: DEMO_TIMING, quiet: true });
  console.log(`demo: ECS simulator at ${sim.url} (cooldown ${DEMO_TIMING.cooldownSeconds} s, stop ${DEMO_TIMING.stopSeconds} s, start ${DEMO_TIMING.startSeconds} s)`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ""}`,
    PULUMI_HOME: path.join(DEMO_DIR, "home"),
    PULUMI_BACKEND_URL: `file://${path.join(DEMO_DIR, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: "",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
    PULUMI_ECS_SPEC_ENDPOINT: sim.url,
    ALIBABA_CLOUD_ACCESS_KEY_ID: sim.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: sim.accessKeySecret,
    ALIBABA_CLOUD_ECS_METADATA_DISABLED: "true",
  };
  try {
    await run(pulumi, ["stack", "init", STACK, "--non-interactive"], env, { quiet: true });
    for (const [key, value] of [
      ["alicloud:region", sim.regionId],
      ["cooldownSeconds", DEMO_TIMING.cooldownSeconds],
      ["stopSeconds", DEMO_TIMING.stopSeconds],
      ["startSeconds", DEMO_TIMING.startSeconds],
    ] as const) {
      await run(pulumi, ["config", "set", key, String(value), "--stack", STACK], env, { quiet: true });
    }
    console.log("\ndemo: pulumi preview --diff  (what a pull request shows)\n");
    await run(pulumi, ["preview", "--diff", "--stack", STACK, "--non-interactive"], env);
    console.log("\ndemo: pulumi up\n");
    await run(pulumi, ["up", "--yes", "--skip-preview", "--stack", STACK, "--non-interactive"], env);
    console.log("\ndemo: what the simulator was asked, in order (Describe* calls left out):");
    for (const line of formatCalls(sim)) console.log(line);
    console.log("\ndemo: a second preview finds nothing left to do:\n");
    await run(pulumi, ["preview", "--diff", "--stack", STACK, "--non-interactive"], env);
  } finally {
    await sim.close();
  }
}

async function main(): Promise<void> {
  const binDir = process.env.PULUMI_ECS_SPEC_PULUMI_BIN;
  if (!binDir) throw new Error("run this through `npm run demo`, which sets up the pulumi CLI first");
  const pulumi = path.join(binDir, "pulumi");
  if (usesRealCloud()) await runAgainstCloud(pulumi, binDir);
  else await runAgainstSimulator(pulumi, binDir);
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
