/**
 * The `ecs-sim` command: `npm run simulator -- --port 0`, the CLI flags, the state file, and the
 * bin as installed from the packed package (the simulator needs no dependency at run time).
 */
import assert from "node:assert/strict";
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import RPCClient from "@alicloud/pop-core";
import { DEMO_CREDENTIALS, type SimState } from "../../simulator/index.js";
import { ADMIN_TOKEN_ENV } from "../../simulator/admin.js";

/** The repository root (tests run from dist/test/integration). */
const ROOT = resolve(__dirname, "../../..");

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** Spawns a command in its own process group and waits for the "listening on" line. */
function launch(cmd: string, args: string[], cwd = ROOT, env: Record<string, string | undefined> = {}): Promise<Started> {
  const child = spawn(cmd, args, {
    cwd, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_update_notifier: "false", [ADMIN_TOKEN_ENV]: undefined, ...env },
  });
  let out = "";
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening on" line; output:\n${out}`)), 8000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /ecs-sim listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveStart({ child, url: m[1], output: () => out });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code}; output:\n${out}`));
    });
  });
}

/** Stops a launched process group (only the one this test started) and waits for it. */
function stop(s: Started): Promise<number | null> {
  return new Promise((done) => {
    if (s.child.exitCode !== null) return done(s.child.exitCode);
    s.child.removeAllListeners("exit");
    s.child.on("exit", (code) => done(code));
    process.kill(-s.child.pid!, "SIGTERM");
  });
}

/** Waits until the output of a launched process matches `re` (the banner is written after the first line). */
async function outputMatching(s: Started, re: RegExp): Promise<RegExpExecArray> {
  const until = Date.now() + 5000;
  for (;;) {
    const m = re.exec(s.output());
    if (m) return m;
    if (Date.now() > until) throw new Error(`output does not match ${re}:\n${s.output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function client(url: string): RPCClient {
  return new RPCClient({ endpoint: url, apiVersion: "2014-05-26", ...DEMO_CREDENTIALS });
}

describe("ecs-sim: the command line", function () {
  this.timeout(30_000);
  let started: Started | undefined;
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "ecs-sim-cli-"));
  });
  afterEach(async () => {
    if (started) await stop(started);
    started = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it("`npm run simulator -- --port 0` starts it and prints the URL and the demo key pair", async () => {
    // GIVEN a built checkout  WHEN the README's command runs
    started = await launch("npm", ["run", "--silent", "simulator", "--", "--port", "0", "--quiet"]);
    // THEN it prints the key pair clients should use, and serves the demo instances
    await new Promise((r) => setTimeout(r, 50));
    assert.match(started.output(), new RegExp(`ALIBABA_CLOUD_ACCESS_KEY_ID=${DEMO_CREDENTIALS.accessKeyId}`));
    assert.match(started.output(), new RegExp(`ALIBABA_CLOUD_ACCESS_KEY_SECRET=${DEMO_CREDENTIALS.accessKeySecret}`));
    const r = (await client(started.url).request("DescribeInstances", { RegionId: "cn-hangzhou" })) as { TotalCount: number };
    assert.equal(r.TotalCount, 20);
  });

  it("prints export lines that, pasted into bash, are what the provider, the credentials chain and pop-core read", async () => {
    // GIVEN ecs-sim started with a key pair whose secret a shell would otherwise expand or split
    const secret = `it's $HOME; "quoted" \\ &`;
    started = await launch(process.execPath, [join(ROOT, "dist/simulator/cli.js"), "--port", "0", "--quiet", "--access-key-id", "LTAI5tPasteTest0001", "--access-key-secret", secret]);
    const token = (await outputMatching(started, /^export ECS_SIM_ADMIN_TOKEN=([A-Za-z0-9_-]{32})$/m))[1];
    // THEN the lines to paste are exactly these
    const lines = started.output().split("\n").filter((l) => /^(export|unset) /.test(l));
    const quoted = `'it'\\''s $HOME; "quoted" \\ &'`;
    assert.deepEqual(lines, [
      `export PULUMI_ECS_SPEC_ENDPOINT=${started.url}`,
      `export ALICLOUD_ACCESS_KEY=LTAI5tPasteTest0001`,
      `export ALICLOUD_SECRET_KEY=${quoted}`,
      `unset ALICLOUD_SECURITY_TOKEN ALIBABA_CLOUD_SECURITY_TOKEN`,
      `export ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tPasteTest0001`,
      `export ALIBABA_CLOUD_ACCESS_KEY_SECRET=${quoted}`,
      `export ECS_SIM_ADMIN_TOKEN=${token}`,
    ]);
    // WHEN they are eval'd in a bash whose environment points elsewhere and carries a stale STS
    // token, and a program there builds its clients from the environment alone
    const out = join(dir, "banner.txt");
    writeFileSync(out, started.output());
    const program = join(dir, "from-env.js");
    writeFileSync(program, `
      const { createEcsClient } = require(${JSON.stringify(join(ROOT, "dist/provider/client.js"))});
      const RPCClient = require(${JSON.stringify(require.resolve("@alicloud/pop-core", { paths: [ROOT] }))});
      const env = process.env;
      (async () => {
        const results = {};
        // as the provider's runtime does: the endpoint and the ALICLOUD_* keys (and token, if any)
        const keys = { accessKeyId: env.ALICLOUD_ACCESS_KEY, accessKeySecret: env.ALICLOUD_SECRET_KEY, securityToken: env.ALICLOUD_SECURITY_TOKEN };
        results.provider = (await createEcsClient({ regionId: "cn-hangzhou", endpoint: env.PULUMI_ECS_SPEC_ENDPOINT, credentials: keys })
          .describeInstance("i-demo-web-01", { knownHasLocalDisks: false })).instanceType;
        // as the provider does without keys: the @alicloud/credentials default chain (ALIBABA_CLOUD_*)
        results.defaultChain = (await createEcsClient({ regionId: "cn-hangzhou", endpoint: env.PULUMI_ECS_SPEC_ENDPOINT })
          .describeInstance("i-demo-api-01", { knownHasLocalDisks: false })).instanceType;
        const pop = new RPCClient({ endpoint: env.PULUMI_ECS_SPEC_ENDPOINT, apiVersion: "2014-05-26",
          accessKeyId: env.ALIBABA_CLOUD_ACCESS_KEY_ID, accessKeySecret: env.ALIBABA_CLOUD_ACCESS_KEY_SECRET, securityToken: env.ALIBABA_CLOUD_SECURITY_TOKEN });
        results.popCore = (await pop.request("DescribeInstances", { RegionId: "cn-hangzhou" })).TotalCount;
        results.admin = (await fetch(env.PULUMI_ECS_SPEC_ENDPOINT + "/_sim/health", { headers: { authorization: "Bearer " + env.ECS_SIM_ADMIN_TOKEN } })).status;
        process.stdout.write(JSON.stringify(results));
      })().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
    `);
    const result = execFileSync("bash", ["-c", `eval "$(grep -E '^(export|unset) ' "$1")" && exec "$2" "$3"`, "paste", out, process.execPath, program], {
      env: {
        PATH: process.env.PATH, HOME: dir, ALIBABA_CLOUD_ECS_METADATA_DISABLED: "true",
        PULUMI_ECS_SPEC_ENDPOINT: "https://ecs.cn-hangzhou.aliyuncs.com", ALICLOUD_SECURITY_TOKEN: "stale-sts", ALIBABA_CLOUD_SECURITY_TOKEN: "stale-sts",
        ALICLOUD_ACCESS_KEY: "LTAI-stale", ALIBABA_CLOUD_ACCESS_KEY_ID: "LTAI-stale",
      },
    }).toString();
    // THEN every client reaches the simulator with the printed keys, and the admin API takes the token
    assert.deepEqual(JSON.parse(result), { provider: "ecs.g6.large", defaultChain: "ecs.c6.large", popCore: 20, admin: 200 });
  });

  it("takes the admin token from ECS_SIM_ADMIN_TOKEN or --admin-token (the flag wins), and refuses a malformed one", async () => {
    // GIVEN ecs-sim started with a token in the environment
    started = await launch(process.execPath, [join(ROOT, "dist/simulator/cli.js"), "--port", "0", "--quiet"], ROOT, { [ADMIN_TOKEN_ENV]: "token-from-env-00001" });
    await outputMatching(started, /^export ECS_SIM_ADMIN_TOKEN=token-from-env-00001$/m);
    // THEN the admin API takes it
    const health = await fetch(`${started.url}/_sim/health`, { headers: { authorization: "Bearer token-from-env-00001" } });
    assert.equal(health.status, 200);
    assert.equal(await stop(started), 0);
    // WHEN the flag is given too  THEN the flag wins
    started = await launch(process.execPath, [join(ROOT, "dist/simulator/cli.js"), "--port", "0", "--quiet", "--admin-token", "token-from-flag-0001"], ROOT,
      { [ADMIN_TOKEN_ENV]: "token-from-env-00001" });
    await outputMatching(started, /^export ECS_SIM_ADMIN_TOKEN=token-from-flag-0001$/m);
    assert.equal((await fetch(`${started.url}/_sim/health`, { headers: { authorization: "Bearer token-from-env-00001" } })).status, 401);
    // WHEN the token is malformed  THEN it does not start
    assert.throws(() => execFileSync(process.execPath, [join(ROOT, "dist/simulator/cli.js"), "--admin-token", "short"], { stdio: "pipe" }),
      (e: { status: number; stderr: Buffer }) =>
        e.status === 1 && e.stderr.toString() === "ecs-sim: the admin token must be 16 to 256 characters among A-Z a-z 0-9 . _ ~ + / = -\n");
  });

  it("--host that is not loopback needs --allow-remote, and then warns", async () => {
    // WHEN ecs-sim is asked to listen on all interfaces without --allow-remote  THEN it exits 2
    assert.throws(() => execFileSync(process.execPath, [join(ROOT, "dist/simulator/cli.js"), "--host", "0.0.0.0"], { stdio: "pipe" }),
      (e: { status: number; stderr: Buffer }) =>
        e.status === 2 && e.stderr.toString().startsWith("ecs-sim: --host 0.0.0.0 is not loopback: other machines could reach the simulator; add --allow-remote to mean it\n"));
    // WHEN --allow-remote is added  THEN it starts, warns on stderr, and prints a loopback URL
    started = await launch(process.execPath, [join(ROOT, "dist/simulator/cli.js"), "--port", "0", "--quiet", "--host", "0.0.0.0", "--allow-remote"]);
    await outputMatching(started, /WARNING: listening on 0\.0\.0\.0, reachable from other machines over plain HTTP/);
    assert.match(started.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("--state FILE persists changes; --cooldown and --stop-seconds set the timing; SIGTERM exits 0", async () => {
    const file = join(dir, "sim-state.json");
    // GIVEN ecs-sim started with a state file and compressed timing
    started = await launch(process.execPath, [join(ROOT, "dist/simulator/cli.js"), "--port", "0", "--state", file, "--cooldown", "1", "--stop-seconds", "0.1", "--quiet"]);
    assert.match(started.output(), /cooldown 1s, stop 0\.1s/);
    // WHEN an instance's bandwidth is changed and it is stopped
    const c = client(started.url);
    await c.request("ModifyInstanceSpec", { InstanceId: "i-demo-web-01", InternetMaxBandwidthOut: 12 });
    await c.request("StopInstance", { InstanceId: "i-demo-web-01" });
    // THEN the file holds the change, and the process stops cleanly
    assert.equal(await stop(started), 0);
    started = undefined;
    const saved = JSON.parse(readFileSync(file, "utf8")) as SimState;
    const web = saved.instances.find((i) => i.instanceId === "i-demo-web-01")!;
    assert.equal(web.internetMaxBandwidthOut, 12);
    assert.ok(web.status === "Stopping" || web.status === "Stopped");
    // AND a restart on the same file resumes from it (the cooldown still runs)
    started = await launch(process.execPath, [join(ROOT, "dist/simulator/cli.js"), "--port", "0", "--state", file, "--cooldown", "60", "--quiet"]);
    const e = await client(started.url).request("ModifyInstanceSpec", { InstanceId: "i-demo-web-01", InternetMaxBandwidthOut: 13 }).catch((x: { code: string }) => x);
    assert.equal((e as { code: string }).code, "Throttling");
  });

  it("refuses an unknown flag with exit code 2 and prints help with --help", () => {
    const help = execFileSync(process.execPath, [join(ROOT, "dist/simulator/cli.js"), "--help"]).toString();
    assert.match(help, /--state FILE/);
    assert.throws(() => execFileSync(process.execPath, [join(ROOT, "dist/simulator/cli.js"), "--frobnicate"], { stdio: "pipe" }), (e: { status: number }) => e.status === 2);
  });

  it("the `ecs-sim` bin of the packed package runs in another project, with no dependency installed", async () => {
    // GIVEN the package as `npm pack` builds it, unpacked into another project's node_modules with its bin linked
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { bin: Record<string, string> };
    assert.equal(pkg.bin["ecs-sim"], "dist/simulator/cli.js");
    assert.equal(readFileSync(join(ROOT, "dist/simulator/cli.js"), "utf8").split("\n")[0], "#!/usr/bin/env node");
    const tgz = execFileSync("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: ROOT }).toString().trim().split("\n").pop()!;
    const project = join(dir, "consumer");
    const installed = join(project, "node_modules", "pulumi-ecs-spec");
    mkdirSync(installed, { recursive: true });
    execFileSync("tar", ["xzf", join(dir, tgz), "-C", installed, "--strip-components=1"]);
    assert.ok(existsSync(join(installed, "simulator/README.md")), "README ships with the package");
    mkdirSync(join(project, "node_modules", ".bin"));
    const bin = join(project, "node_modules", ".bin", "ecs-sim");
    symlinkSync("../pulumi-ecs-spec/dist/simulator/cli.js", bin);
    // WHEN the bin runs (as npm would link it; node runs it through the shebang)
    started = await launch(process.execPath, [bin, "--port", "0", "--quiet"], project);
    // THEN it serves the API
    const r = (await client(started.url).request("DescribeInstanceAttribute", { InstanceId: "i-demo-api-01" })) as { InstanceType: string };
    assert.equal(r.InstanceType, "ecs.c6.large");
  });
});
