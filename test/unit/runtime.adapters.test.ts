/**
 * The runtime adapters (`check`, `diff`, `read`, `create`/`update` output mapping) against the
 * in-process simulator through the real client, without the Pulumi engine: what each adapter reads,
 * what it answers, and what it records. The engine-level behaviour is in test/e2e.
 */
import * as assert from "node:assert/strict";
import * as runtime from "../../provider/runtime";
import { EXPECTED_STATUS_KEY } from "../../provider/context";
import { RESTORE_MARKER_KEY } from "../../provider/marker";
import { parseStackDefaults, StackConfigError } from "../../provider/stack-config";
import type { RunningSimulator } from "../../simulator/index";
import { inst, startFast, stateWith } from "../helpers/sim";

const WEB = "i-demo-web-01"; // ecs.g6.large, out 5, in 100, Running

/** The stack config the provider process would get. */
function configure(sim: RunningSimulator, extra: Record<string, string> = {}) {
  const values: Record<string, string> = {
    "alicloud:accessKey": sim.accessKeyId,
    "alicloud:secretKey": sim.accessKeySecret,
    "pulumi-ecs-spec:endpoint": sim.url,
    ...extra,
  };
  return runtime.configure({ config: { get: (k: string) => values[k] } } as never);
}

const actions = (sim: RunningSimulator) => sim.calls().map((c) => c.action);

describe("runtime adapters against the simulator", function () {
  this.timeout(20_000);
  let sim: RunningSimulator;

  beforeEach(async () => {
    sim = await startFast({ port: 0, quiet: true });
    await configure(sim);
  });
  afterEach(async () => {
    await sim.close();
  });

  it("check with a live instance: one read, the plan as an input, the expected status recorded", async () => {
    // GIVEN a running instance WHEN a bandwidth change is checked
    const result = await runtime.check({}, { instanceId: WEB, regionId: "cn-hangzhou", internetMaxBandwidthOut: 20 });
    // THEN no failure; the plan shows the live instance and the one call; it must end Running;
    // the disks are not read (they matter only to a type change)
    assert.equal(result.failures, undefined);
    const plan = result.inputs?.plan as string[];
    assert.match(plan[0]!, /^live \S+Z: ecs\.g6\.large, Running, bandwidth out 5 in 100 Mbit\/s$/);
    assert.deepEqual(plan.slice(1), ["1. ModifyInstanceSpec InternetMaxBandwidthOut 5 → 20 (running)", "expected downtime ~0:00, expected total ~0:05"]);
    assert.equal(result.inputs?.[EXPECTED_STATUS_KEY], "Running");
    assert.deepEqual(actions(sim), ["DescribeInstances"]);
  });

  it("check with a type change reads the type catalogue once and shows the stop", async () => {
    const result = await runtime.check({}, { instanceId: WEB, regionId: "cn-hangzhou", instanceType: "ecs.g6.xlarge" });
    const plan = result.inputs?.plan as string[];
    assert.match(plan[1]!, /^1\. StopInstance \(KeepCharging\) — instance will be STOPPED/);
    assert.deepEqual(actions(sim), ["DescribeInstances", "DescribeDisks", "DescribeResourcesModification"]);
  });

  it("check: a refusal is a failure on the field at fault, nothing changed", async () => {
    const result = await runtime.check({}, { instanceId: "i-demo-eip-01", regionId: "cn-hangzhou", internetMaxBandwidthOut: 20 });
    assert.equal(result.failures?.length, 1);
    assert.equal(result.failures?.[0]?.property, "internetMaxBandwidthOut");
    assert.match(result.failures![0]!.reason, /EIP/);
    assert.ok(actions(sim).every((a) => a.startsWith("Describe")));
  });

  it("check: a window that has already begun is shown from now to its end", async () => {
    // GIVEN a 50 Mbit/s window that began an hour ago and ends in an hour
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
    const now = Date.now();
    const window = { startTime: iso(now - 3600_000), endTime: iso(now + 3600_000), internetMaxBandwidthOut: 50 };
    // WHEN checked
    const result = await runtime.check({}, { instanceId: WEB, regionId: "cn-hangzhou", temporaryBandwidth: window });
    // THEN no failure, and the preview says the window is sent from now, to its end
    assert.equal(result.failures, undefined);
    assert.deepEqual((result.inputs?.plan as string[]).slice(1), [
      `1. ModifyInstanceSpec Temporary.InternetMaxBandwidthOut 50 from now (the window began at ${window.startTime}) to ${window.endTime} (running)`,
      "expected downtime ~0:00, expected total ~0:05",
    ]);
  });

  it("check: a begun window whose start moved since the last apply (same end and bandwidth) is not sent again", async () => {
    // GIVEN the last apply asked for a window that began an hour ago, and the program now says 30 minutes ago
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
    const now = Date.now();
    const old = { startTime: iso(now - 3600_000), endTime: iso(now + 3600_000), internetMaxBandwidthOut: 50 };
    const spec = { instanceId: WEB, regionId: "cn-hangzhou", internetMaxBandwidthOut: 5 };
    const result = await runtime.check({ ...spec, temporaryBandwidth: old }, { ...spec, temporaryBandwidth: { ...old, startTime: iso(now - 1800_000) } });
    // THEN the preview plans nothing; a new end would be sent
    assert.deepEqual((result.inputs?.plan as string[]).slice(1), ["no changes: the instance already matches the desired spec"]);
    const longer = await runtime.check({ ...spec, temporaryBandwidth: old }, { ...spec, temporaryBandwidth: { ...old, endTime: iso(now + 7200_000) } });
    assert.match((longer.inputs?.plan as string[])[1]!, /^1\. ModifyInstanceSpec Temporary\.InternetMaxBandwidthOut 50 from now \(the window began at /);
  });

  it("check: a window more than 365 days ahead fails on its start, nothing changed", async () => {
    const window = { startTime: "2999-01-01T00:00:00Z", endTime: "2999-01-02T00:00:00Z", internetMaxBandwidthOut: 50 };
    const result = await runtime.check({}, { instanceId: WEB, regionId: "cn-hangzhou", temporaryBandwidth: window });
    assert.equal(result.failures?.length, 1);
    assert.equal(result.failures?.[0]?.property, "temporaryBandwidth.startTime");
    assert.match(result.failures![0]!.reason, /^temporaryBandwidth\.startTime \(2999-01-01T00:00:00Z\) is more than 365 days ahead; set a window that ends by \S+Z \(is the year right\?\)$/);
    assert.ok(actions(sim).every((a) => a.startsWith("Describe")));
  });

  it("check: an instance that does not exist fails on instanceId", async () => {
    const result = await runtime.check({}, { instanceId: "i-nope", regionId: "cn-hangzhou" });
    assert.deepEqual(result.failures, [
      { property: "instanceId", reason: "instance i-nope was not found in region cn-hangzhou: check instanceId and regionId (and the credentials' account)" },
    ]);
  });

  it("check: an instance down that the last apply left running is planned to be started", async () => {
    // GIVEN the instance is Stopped while the recorded expected status is Running (an interrupted apply)
    sim.setState(stateWith((s) => (inst(s, WEB).status = "Stopped")));
    const result = await runtime.check({ [EXPECTED_STATUS_KEY]: "Running", instanceId: WEB }, { instanceId: WEB, regionId: "cn-hangzhou" });
    // THEN the plan starts it and the expected status stays Running
    assert.match((result.inputs?.plan as string[])[1]!, /^1\. StartInstance/);
    assert.equal(result.inputs?.[EXPECTED_STATUS_KEY], "Running");
  });

  it("check on a first up: a stopped instance carrying the restore marker of a killed run is planned to be started", async () => {
    // GIVEN no Pulumi state at all, and the instance stopped by a killed first up (the marker says so)
    sim.setState(stateWith((s) => {
      inst(s, WEB).status = "Stopped";
      inst(s, WEB).tags = [{ key: RESTORE_MARKER_KEY, value: "Running" }];
    }));
    const result = await runtime.check({}, { instanceId: WEB, regionId: "cn-hangzhou" });
    assert.match((result.inputs?.plan as string[])[1]!, /^1\. StartInstance/);
    assert.equal(result.inputs?.[EXPECTED_STATUS_KEY], "Running");
  });

  it("diff: a marker left on a running instance is a change (the next up removes it), and the preview says so", async () => {
    sim.setState(stateWith((s) => (inst(s, WEB).tags = [{ key: RESTORE_MARKER_KEY, value: "Running" }])));
    const olds = { instanceId: WEB, regionId: "cn-hangzhou", [EXPECTED_STATUS_KEY]: "Running" };
    assert.deepEqual(await runtime.diff(WEB, olds, { ...olds }), { changes: true });
    const preview = await runtime.check(olds, { ...olds });
    assert.equal((preview.inputs?.plan as string[]).at(-1), `removes the tag ${RESTORE_MARKER_KEY} an interrupted run left on the running instance`);
  });

  it("diff: nothing to do and nothing changed → no changes; a wanted bandwidth → changes", async () => {
    const olds = { instanceId: WEB, regionId: "cn-hangzhou", internetMaxBandwidthOut: 5, [EXPECTED_STATUS_KEY]: "Running" };
    assert.deepEqual(await runtime.diff(WEB, olds, { ...olds }), { changes: false });
    assert.deepEqual(await runtime.diff(WEB, olds, { ...olds, internetMaxBandwidthOut: 20 }), { changes: true });
    // One DescribeInstances (a listing of the region) shared by both diffs, no disk read
    assert.deepEqual(actions(sim), ["DescribeInstances"]);
  });

  it("diff: a change of a connection setting alone is an update (recorded), even when the instance matches", async () => {
    const olds = { instanceId: WEB, regionId: "cn-hangzhou", [EXPECTED_STATUS_KEY]: "Running" };
    assert.deepEqual(await runtime.diff(WEB, olds, { ...olds, estimates: { stopSeconds: 30 } }), { changes: true });
  });

  it("create: applies, and the outputs carry the live instance, the calls as sent and the engine state", async () => {
    const outs = (await runtime.create({ instanceId: WEB, regionId: "cn-hangzhou", internetMaxBandwidthOut: 20, [EXPECTED_STATUS_KEY]: "Running" })).outs!;
    assert.deepEqual(outs.actual, { instanceType: "ecs.g6.large", internetMaxBandwidthOut: 20, internetMaxBandwidthIn: 100, status: "Running", zoneId: "cn-hangzhou-h", instanceChargeType: "PostPaid" });
    const calls = outs.lastApply as { action: string; params: Record<string, string>; outcome: string }[];
    assert.deepEqual(calls.map((c) => [c.action, c.outcome]), [["ModifyInstanceSpec", "done"]]);
    assert.deepEqual(Object.keys(calls[0]!.params).sort(), ["ClientToken", "InstanceId", "InternetMaxBandwidthOut"]);
    assert.equal(typeof outs.lastChangeAt, "string");
    assert.deepEqual(outs.engineState, {});
    assert.equal(inst(sim.getState(), WEB).internetMaxBandwidthOut, 20);
  });

  it("read (refresh): the live instance as outputs, the apply record dropped from the inputs, the live status expected", async () => {
    sim.setState(stateWith((s) => (inst(s, WEB).status = "Stopped")));
    const props = { instanceId: WEB, regionId: "cn-hangzhou", lastChangeAt: "2030-01-01T00:00:00.000Z", lastApply: [], engineState: {}, actual: {} };
    const r = await runtime.read(WEB, props);
    assert.equal(r.id, WEB);
    assert.equal((r.props?.actual as { status: string }).status, "Stopped");
    assert.deepEqual(Object.keys(r.inputs!).sort(), [EXPECTED_STATUS_KEY, "instanceId", "regionId"]);
    assert.equal(r.inputs?.[EXPECTED_STATUS_KEY], "Stopped");
    assert.deepEqual(await runtime.read("i-nope", { ...props, instanceId: "i-nope" }), {});
  });

  it("stack config: cooldownSeconds and estimates apply to every resource unless the resource sets its own", async () => {
    // GIVEN a stack with a 6 s cooldown and 3 s stops
    await configure(sim, { "pulumi-ecs-spec:cooldownSeconds": "6", "pulumi-ecs-spec:estimates": '{"stopSeconds":3,"startSeconds":3}' });
    // WHEN a type + bandwidth change is checked
    const result = await runtime.check({}, { instanceId: WEB, regionId: "cn-hangzhou", instanceType: "ecs.g6.xlarge", internetMaxBandwidthOut: 20 });
    const plan = result.inputs?.plan as string[];
    // THEN the plan uses them: a 3 s stop, and the bandwidth 6 s after the type change (cooldown − 3 s start)
    assert.equal(plan[1], "1. StopInstance (KeepCharging) — instance will be STOPPED ~0:03");
    assert.equal(plan[4], "4. wait cooldown 0:03");
    // AND a resource's own cooldown wins
    const own = await runtime.check({}, { instanceId: WEB, regionId: "cn-hangzhou", instanceType: "ecs.g6.xlarge", internetMaxBandwidthOut: 20, cooldownSeconds: 10 });
    assert.equal((own.inputs?.plan as string[])[4], "4. wait cooldown 0:07");
  });
});

describe("stack config defaults", () => {
  const from = (values: Record<string, string>) => () => parseStackDefaults((k) => values[k]);
  it("parses numbers and an estimates object", () => {
    assert.deepEqual(from({ cooldownSeconds: "6", estimates: '{"stopSeconds":2.5}' })(), { cooldownSeconds: 6, estimates: { stopSeconds: 2.5 } });
    assert.deepEqual(from({})(), {});
  });
  it("names the key and the fix for a bad value", () => {
    assert.throws(from({ cooldownSeconds: "five" }), (e: unknown) => e instanceof StackConfigError && /pulumi-ecs-spec:cooldownSeconds must be a number/.test(e.message));
    assert.throws(from({ estimates: '{"stopSecs":3}' }), /pulumi-ecs-spec:estimates\.stopSecs is not a known estimate/);
    assert.throws(from({ estimates: '{"stopSeconds":-1}' }), /pulumi-ecs-spec:estimates\.stopSeconds must be a number of seconds, 0 or more/);
  });
});
