/**
 * The `ecs-sim` command: `npm run simulator -- --port 0`, the CLI flags, the state file, and the
 * bin as installed from the packed package (the simulator needs no dependency at run time).
 */
import assert from "node:assert/strict";
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import RPCClient from "@alicloud/pop-core";
import { DEMO_CREDENTIALS, type SimState } from "../../simulator/index.js";

/** The repository root (tests run from dist/test/integration). */
const ROOT = resolve(__dirname, "../../..");

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** Spawns a command in its own process group and waits for the "listening on" line. */
function launch(cmd: string, args: string[], cwd = ROOT): Promise<Started> {
  const child = spawn(cmd, args, { cwd, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_update_notifier: "false" } });
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
    assert.equal(r.TotalCount, 10);
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
