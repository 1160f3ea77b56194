import * as assert from "node:assert/strict";
import * as path from "node:path";
import { PulumiProject, REPO_ROOT } from "../harness/pulumi";
import { changeCalls, refusedCalls, simEnv, simInstance } from "../helpers/sim";
import { startSimulator, type RunningSimulator } from "../../simulator/index";

const COOLDOWN_SECONDS = 3;

describe("examples/ run against the simulator through the real pulumi CLI", function () {
  let sim: RunningSimulator;
  let project: PulumiProject | undefined;

  beforeEach(async function () {
    sim = await startSimulator({
      port: 0,
      timing: { cooldownSeconds: COOLDOWN_SECONDS, prepayIntervalSeconds: COOLDOWN_SECONDS, prepayApplySeconds: 0.5, stopSeconds: 0.5, startSeconds: 0.5 },
      quiet: true,
    });
  });
  afterEach(async function () {
    project?.remove();
    await sim.close();
  });

  /** Brings the compiled example up in a fresh stack and returns its stack outputs. */
  async function upExample(name: string, config: Record<string, string> = {}): Promise<Record<string, unknown>> {
    const compiled = path.join(REPO_ROOT, "dist", "examples", name, "index.js");
    project = await PulumiProject.create(`example-${name}`, {
      program: `module.exports = require(${JSON.stringify(compiled)});\n`,
      config: { "alicloud:region": sim.regionId, cooldownSeconds: String(COOLDOWN_SECONDS), ...config },
      env: simEnv(sim),
    });
    await project.up();
    await project.preview(["--expect-no-changes"]);
    return JSON.parse((await project.cli(["stack", "output", "--json"])).stdout) as Record<string, unknown>;
  }

  it("single-resize: one stop (StopCharging), the type, one start", async function () {
    const outputs = await upExample("single-resize");
    assert.deepEqual(outputs, { instanceType: "ecs.g6.xlarge", status: "Running" });
    assert.deepEqual(changeCalls(sim.calls(), "i-demo-web-01"), [
      "StopInstance(StoppedMode=StopCharging)",
      "ModifyInstanceSpec(InstanceType)",
      "StartInstance()",
    ]);
  });

  it("temporary-bandwidth: the bandwidth and the window, one item per call, a cooldown apart, no stop", async function () {
    const outputs = await upExample("temporary-bandwidth");
    assert.equal(outputs.bandwidthOut, 20);
    const calls = sim.calls().filter((c) => c.action === "ModifyInstanceSpec" && c.params.DryRun !== "true");
    assert.deepEqual(changeCalls(calls, "i-demo-api-01").sort(), [
      "ModifyInstanceSpec(InternetMaxBandwidthOut)",
      "ModifyInstanceSpec(Temporary.EndTime,Temporary.InternetMaxBandwidthOut,Temporary.StartTime)",
    ]);
    assert.ok(calls[1].atMs - calls[0].atMs >= COOLDOWN_SECONDS * 1000, "the cooldown separates the two calls");
    assert.deepEqual(refusedCalls(sim.calls()).map((c) => c.code), []);
  });

  it("fleet: every worker resized, the stopped batch instance changed without being started", async function () {
    const outputs = await upExample("fleet");
    assert.deepEqual(outputs.fleet, [
      "i-demo-worker-01: ecs.c6.xlarge Running out 10",
      "i-demo-worker-02: ecs.c6.xlarge Running out 10",
    ]);
    assert.deepEqual(changeCalls(sim.calls(), "i-demo-batch-01"), ["ModifyInstanceSpec(InstanceType)"]);
    const batch = simInstance(sim, "i-demo-batch-01");
    assert.deepEqual([batch.status, batch.pendingInstanceType], ["Stopped", "ecs.g6.2xlarge"], "the new type shows at its next start");
    assert.deepEqual(refusedCalls(sim.calls()).map((c) => `${c.action} ${c.code}`), []);
  });

  it("subscription: the type upgraded while running (one ECS restart, no stop), then the bandwidth; both orders in the outputs", async function () {
    const outputs = await upExample("subscription");
    assert.deepEqual([outputs.instanceType, outputs.status], ["ecs.g6.xlarge", "Running"]);
    const calls = sim.calls().filter((c) => ["ModifyPrepayInstanceSpec", "ModifyInstanceNetworkSpec", "StopInstance", "StartInstance"].includes(c.action));
    assert.deepEqual(calls.map((c) => c.action), ["ModifyPrepayInstanceSpec", "ModifyInstanceNetworkSpec"]);
    const orders = (simInstance(sim, "i-demo-prepaid-01").orders ?? []).map((o) => `${o.action}: order ${o.orderId}`);
    assert.deepEqual(outputs.orders, orders);
    assert.deepEqual(refusedCalls(sim.calls()).map((c) => `${c.action} ${c.code}`), []);
  });

  it("rolling-resize: the tier behind lb-demo-tier resized, at most 2 backends not serving, the override kept", async function () {
    sim.setTiming({ healthyAfterSeconds: 0.5 });
    sim.resetAvailability();
    const outputs = await upExample("rolling-resize", {
      bakeSeconds: "1",
      warmupSeconds: "0.2",
      intervalSeconds: "0.2",
      // The simulator's durations, so the status polls aim at them.
      "pulumi-ecs-spec:estimates": JSON.stringify({ stopSeconds: 0.5, startSeconds: 0.5 }),
    });
    const rows = outputs.rollout as string[];
    assert.equal(rows.length, 10);
    assert.ok(rows.slice(0, 9).every((r) => /: ecs\.g6\.xlarge Running \(changed, wave \d+\)$/.test(r)), rows.join("\n"));
    assert.match(rows[9]!, /^i-demo-tier-01: ecs\.g6\.2xlarge Running \(changed, wave \d+\)$/);
    assert.match(rows[0]!, /\(changed, wave 1\)$/, "the first listed is the canary");
    assert.ok(sim.availability().loadBalancers["lb-demo-tier"]!.maxNotServing <= 2);
    assert.deepEqual(refusedCalls(sim.calls()).map((c) => `${c.action} ${c.code}`), []);
  });
});
