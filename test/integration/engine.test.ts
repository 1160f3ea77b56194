/**
 * The engine against the simulator, through the real client (`@alicloud/pop-core` over loopback),
 * with compressed timings: cooldown 2 s, stop/start 0.3 s.
 */
import assert from "node:assert/strict";
import { startSimulator, type CallLogEntry, type RunningSimulator } from "../../simulator/index";
import { apply, ApplyError, RETRY_POLICIES, type ApplyOptions, type ProgressEvent } from "../../provider/executor";
import type { EcsApi } from "../../provider/client";
import type { DesiredSpecInput } from "../../provider/schema";
import { desiredSpec, FAST_ENGINE_TIMING, FAST_RETRY, simClient } from "../helpers/engine";

const COOLDOWN_MS = 2000;
const SIM_TIMING = { cooldownSeconds: 2, stopSeconds: 0.3, startSeconds: 0.3, tokenProcessingSeconds: 0 };
const MUTATING = new Set(["ModifyInstanceSpec", "StopInstance", "StartInstance"]);


/** Temporary window starting in an hour, whole seconds. */
function window(out: number) {
  const start = new Date(Math.ceil(Date.now() / 1000) * 1000 + 3600_000);
  const end = new Date(start.getTime() + 3600_000);
  const s = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");
  return { startTime: s(start), endTime: s(end), internetMaxBandwidthOut: out };
}

describe("engine against the simulator (real pop-core client)", function () {
  this.timeout(30_000);
  let sim: RunningSimulator;
  let api: EcsApi;
  const events: ProgressEvent[] = [];
  const run = (d: Partial<DesiredSpecInput>, o: Partial<ApplyOptions> = {}) =>
    apply({ api, desired: desiredSpec(d), timing: FAST_ENGINE_TIMING, policies: FAST_RETRY, onProgress: (e) => events.push(e), ...o });

  beforeEach(async () => {
    sim = await startSimulator({ port: 0, timing: SIM_TIMING, quiet: true });
    api = simClient(sim);
    events.length = 0;
  });
  afterEach(async () => {
    await sim.close();
  });

  /** Calls that change something (a DryRun changes nothing). */
  const mutating = (calls: CallLogEntry[]) => calls.filter((c) => MUTATING.has(c.action) && c.params.DryRun !== "true");
  const item = (c: CallLogEntry) =>
    c.action !== "ModifyInstanceSpec"
      ? c.action
      : c.params.InstanceType
        ? `type ${c.params.InstanceType}`
        : c.params["Temporary.StartTime"]
          ? `temp ${c.params["Temporary.InternetMaxBandwidthOut"]}`
          : `bw ${c.params.InternetMaxBandwidthOut}/${c.params.InternetMaxBandwidthIn}`;

  it("type + bandwidth + temporary on a running instance: right spec, running, one item per call, every cooldown respected", async () => {
    // GIVEN i-demo-web-01, Running, ecs.g6.large, out 5, in 100
    const temp = window(50);
    // WHEN it goes to ecs.g6.xlarge, out 20, in 150, with a temporary 50 Mbit/s window
    const r = await run({ instanceId: "i-demo-web-01", instanceType: "ecs.g6.xlarge", internetMaxBandwidthOut: 20, internetMaxBandwidthIn: 150, temporaryBandwidth: temp });
    const calls = sim.calls();
    // THEN the instance has the new spec and is Running
    const live = await api.describeInstance("i-demo-web-01");
    assert.equal(live!.instanceType, "ecs.g6.xlarge");
    assert.equal(live!.internetMaxBandwidthOut, 20);
    assert.equal(live!.internetMaxBandwidthIn, 150);
    assert.equal(live!.status, "Running");
    assert.deepEqual(r.appliedTemporaryBandwidth, temp);
    // AND the calls were serialized one item each, in the planned order
    assert.deepEqual(mutating(calls).map(item), ["bw 20/150", "StopInstance", "type ecs.g6.xlarge", "StartInstance", "temp 50"]);
    for (const c of mutating(calls)) assert.equal(c.httpStatus, 200, `${c.action} answered ${c.code}`);
    // AND no call was ever refused: no Mismatch, no status error, no Throttling
    const refused = calls.filter((c) => c.code !== undefined);
    assert.deepEqual(refused.map((c) => `${c.action} ${c.code}`), []);
    // AND the cooldown held between spec changes, and the instance did not sit stopped through one
    const mods = calls.filter((c) => c.action === "ModifyInstanceSpec");
    for (let i = 1; i < mods.length; i++) assert.ok(mods[i]!.atMs - mods[i - 1]!.atMs >= COOLDOWN_MS, `gap ${mods[i]!.atMs - mods[i - 1]!.atMs} ms`);
    const stop = calls.find((c) => c.action === "StopInstance")!;
    const start = calls.find((c) => c.action === "StartInstance")!;
    assert.ok(stop.atMs - mods[0]!.atMs >= COOLDOWN_MS - 300 - 50, "the stop began within the cooldown's last stop-duration, not earlier");
    assert.ok(start.atMs - mods[1]!.atMs < 500, "started right after the type change");
    // AND progress was reported as step i/n
    assert.deepEqual(
      events.filter((e) => e.type === "step").map((e) => e.message.replace(/ ~.*$/, "").slice(0, 24)),
      ["step 1/7: ModifyInstance", "step 2/7: wait cooldown ", "step 3/7: StopInstance (", "step 4/7: ModifyInstance", "step 5/7: StartInstance ", "step 6/7: wait cooldown ", "step 7/7: ModifyInstance"],
    );
  });

  it("a window that began an hour ago: every change lands, the window from when it is sent to its end; a re-run is a no-op", async () => {
    // GIVEN i-demo-web-01 and a window that began an hour ago and ends in an hour
    const s = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
    const begun = { startTime: s(Date.now() - 3600_000), endTime: s(Date.now() + 3600_000), internetMaxBandwidthOut: 50 };
    const spec = { instanceId: "i-demo-web-01", instanceType: "ecs.g6.xlarge", internetMaxBandwidthOut: 20, temporaryBandwidth: begun };
    // WHEN applied
    const r = await run(spec);
    // THEN all of it went through, nothing refused, the window last
    const calls = sim.calls();
    assert.deepEqual(calls.filter((c) => c.code !== undefined).map((c) => `${c.action} ${c.code}`), []);
    assert.deepEqual(mutating(calls).map(item), ["bw 20/undefined", "StopInstance", "type ecs.g6.xlarge", "StartInstance", "temp 50"]);
    // AND the window was sent starting when it was sent (to the second), to the end asked for
    const temp = mutating(calls).at(-1)!;
    assert.equal(temp.params["Temporary.StartTime"], s(temp.atMs));
    assert.equal(temp.params["Temporary.EndTime"], begun.endTime);
    assert.deepEqual(r.appliedTemporaryBandwidth, { ...begun, startTime: temp.params["Temporary.StartTime"] });
    assert.equal(sim.getState().instances.find((i) => i.instanceId === "i-demo-web-01")!.temporaryBandwidth?.endTime, begun.endTime);
    // WHEN run again with what it recorded THEN nothing is sent
    sim.clearCalls();
    const again = await run(spec, { lastChangeAt: r.lastChangeAt, appliedTemporaryBandwidth: r.appliedTemporaryBandwidth });
    assert.deepEqual(again.steps, []);
    assert.deepEqual(mutating(sim.calls()), []);
  });

  it("a Stopped instance stays Stopped; the type shows at its next start", async () => {
    const r = await run({ instanceId: "i-demo-batch-01", instanceType: "ecs.g6.2xlarge", internetMaxBandwidthOut: 10 });
    assert.deepEqual(mutating(sim.calls()).map(item), ["type ecs.g6.2xlarge", "bw 10/undefined"]);
    assert.equal(r.after.status, "Stopped");
    assert.equal(r.pendingInstanceType, "ecs.g6.2xlarge");
    // Running it again with what was recorded changes nothing.
    sim.clearCalls();
    const again = await run(
      { instanceId: "i-demo-batch-01", instanceType: "ecs.g6.2xlarge", internetMaxBandwidthOut: 10 },
      { lastChangeAt: r.lastChangeAt, pendingInstanceType: r.pendingInstanceType },
    );
    assert.deepEqual(again.steps, []);
    assert.deepEqual(mutating(sim.calls()), []);
  });

  const refusals: [string, Partial<DesiredSpecInput>, string][] = [
    ["i-demo-prepaid-01", { internetMaxBandwidthOut: 20 }, "AutoPayUndecided"],
    ["i-demo-prepaid-arrears-01", { internetMaxBandwidthOut: 20, autoPay: true }, "Locked"],
    ["i-demo-eip-01", { internetMaxBandwidthOut: 20 }, "EipBound"],
    ["i-demo-localdisk-01", { instanceType: "ecs.g6.xlarge" }, "LocalDisks"],
    ["i-demo-ddh-01", { instanceType: "ecs.g6.xlarge" }, "DedicatedHost"],
    ["i-demo-locked-01", { internetMaxBandwidthOut: 20 }, "SecurityLock"],
    ["i-demo-web-01", { instanceType: "ecs.g6.4xlarge" }, "TypeNotOffered"],
    ["i-demo-web-01", { instanceType: "ecs.g6.xlarge", allowStop: false }, "StopNotAllowed"],
  ];
  for (const [id, d, code] of refusals) {
    it(`refuses ${code} (${id}) before touching anything`, async () => {
      try {
        await run({ instanceId: id, ...d });
        assert.fail("expected a refusal");
      } catch (e) {
        assert.ok(e instanceof ApplyError, String(e));
        assert.equal(e.code, "Refused");
        assert.ok(e.refusals!.some((r) => r.code === code), JSON.stringify(e.refusals));
      }
      assert.deepEqual(mutating(sim.calls()), []);
    });
  }

  it("a later step the API would refuse is refused before the first change: no StopInstance, no ModifyInstanceSpec sent", async () => {
    // GIVEN i-demo-web-01 with an internet charge type the API takes no bandwidth change for
    const state = sim.getState();
    state.instances.find((i) => i.instanceId === "i-demo-web-01")!.internetChargeType = "PayByHour";
    sim.setState(state);
    // WHEN its type and its bandwidth are to change (plan: stop, type, start, cooldown, bandwidth)
    const e = await run({ instanceId: "i-demo-web-01", instanceType: "ecs.g6.xlarge", internetMaxBandwidthOut: 20 }).then(
      () => assert.fail("expected a refusal"),
      (x: unknown) => x,
    );
    // THEN refused on the bandwidth, from the API's DryRun
    assert.ok(e instanceof ApplyError, String(e));
    assert.equal(e.code, "Refused");
    assert.deepEqual(e.refusals!.map((r) => [r.code, r.field]), [["DryRunRefused", "internetMaxBandwidthOut"]]);
    assert.match(e.message, /InvalidInternetChargeType\.ValueNotSupported/);
    // AND the one ModifyInstanceSpec sent was that DryRun, without a ClientToken; nothing was stopped or changed
    const calls = sim.calls();
    assert.deepEqual(mutating(calls), []);
    const dry = calls.filter((c) => c.action === "ModifyInstanceSpec");
    assert.deepEqual(dry.map((c) => [c.params, c.httpStatus, c.code]), [
      [{ DryRun: "true", InstanceId: "i-demo-web-01", InternetMaxBandwidthOut: "20" }, 400, "InvalidInternetChargeType.ValueNotSupported"],
    ]);
    const live = await api.describeInstance("i-demo-web-01");
    assert.deepEqual([live!.status, live!.instanceType, live!.internetMaxBandwidthOut], ["Running", "ecs.g6.large", 5]);
  });

  it("a DryRun that passes is answered DryRunOperation, and the plan then runs", async () => {
    const r = await run({ instanceId: "i-demo-batch-01", instanceType: "ecs.g6.2xlarge", internetMaxBandwidthOut: 10 });
    const dry = sim.calls().filter((c) => c.action === "ModifyInstanceSpec" && c.params.DryRun === "true");
    assert.deepEqual(dry.map((c) => [c.params.InternetMaxBandwidthOut, c.code]), [["10", "DryRunOperation"]]);
    assert.ok(dry[0]!.seq < sim.calls().find((c) => c.action === "ModifyInstanceSpec" && c.params.DryRun === undefined)!.seq, "before the first change");
    assert.equal(r.after.internetMaxBandwidthOut, 10);
  });

  it("a lost ModifyInstanceSpec answer: the change is not sent again", async () => {
    sim.addFault({ action: "ModifyInstanceSpec", kind: "lostResponse" });
    const r = await run({ instanceId: "i-demo-web-01", internetMaxBandwidthOut: 30 });
    assert.deepEqual(mutating(sim.calls()).map(item), ["bw 30/undefined"]);
    assert.equal(r.steps[0]!.outcome, "alreadyApplied");
    assert.equal(r.after.internetMaxBandwidthOut, 30);
  });

  it("an HTML 502 (not applied): re-read, then the same call with the same ClientToken", async () => {
    sim.addFault({ action: "ModifyInstanceSpec", kind: "badGateway" });
    await run({ instanceId: "i-demo-web-01", internetMaxBandwidthOut: 30 });
    const mods = sim.calls().filter((c) => c.action === "ModifyInstanceSpec");
    assert.equal(mods.length, 2);
    assert.equal(mods[0]!.httpStatus, 502);
    assert.equal(mods[1]!.httpStatus, 200);
    assert.equal(mods[0]!.params.ClientToken, mods[1]!.params.ClientToken);
  });

  it("InternalError 500 and Throttling.User are retried; the change lands once", async () => {
    sim.addFault({ action: "ModifyInstanceSpec", kind: "error", code: "InternalError" });
    sim.addFault({ action: "ModifyInstanceSpec", kind: "error", code: "Throttling.User" });
    const r = await run({ instanceId: "i-demo-web-01", internetMaxBandwidthIn: 120 });
    assert.deepEqual(sim.calls().filter((c) => c.action === "ModifyInstanceSpec").map((c) => c.code ?? "ok"), ["InternalError", "Throttling.User", "ok"]);
    assert.equal(r.after.internetMaxBandwidthIn, 120);
  });

  it("the type change fails after the stop: the instance is started again before the error is reported", async () => {
    sim.addFault({ action: "ModifyInstanceSpec", kind: "error", code: "InvalidAccountStatus.NotEnoughBalance" });
    try {
      await run({ instanceId: "i-demo-web-01", instanceType: "ecs.g6.xlarge" });
      assert.fail("expected a failure");
    } catch (e) {
      assert.ok(e instanceof ApplyError, String(e));
      assert.equal(e.code, "ApiError");
      assert.equal(e.restarted, true);
      assert.match(e.message, /top up the account/);
    }
    assert.deepEqual(mutating(sim.calls()).map(item), ["StopInstance", "type ecs.g6.xlarge", "StartInstance"]);
    const live = await api.describeInstance("i-demo-web-01");
    assert.equal(live!.status, "Running");
    assert.equal(live!.instanceType, "ecs.g6.large");
  });

  it("interrupted with the instance left stopped: running again starts it and finishes without repeating a change", async () => {
    // GIVEN run 1 stops, changes the type, and every StartInstance fails
    sim.addFault({ action: "StartInstance", kind: "error", code: "InternalError", count: 50 });
    const d = { instanceId: "i-demo-web-01", instanceType: "ecs.g6.xlarge", internetMaxBandwidthOut: 20 };
    let partial: ApplyError["partial"] | undefined;
    try {
      await run(d, { policies: { ...FAST_RETRY, power: { ...RETRY_POLICIES.power, retries: 1, minDelayMs: 20, maxDelayMs: 20 } } });
      assert.fail("expected a failure");
    } catch (e) {
      assert.ok(e instanceof ApplyError, String(e));
      assert.equal(e.restarted, false);
      partial = e.partial;
    }
    assert.equal(partial!.stoppedByEngine, true);
    sim.clearFaults();
    sim.clearCalls();
    // WHEN run 2 gets what run 1 recorded
    const r = await run(d, {
      lastChangeAt: partial!.lastChangeAt,
      pendingInstanceType: partial!.pendingInstanceType,
      startWhenDone: partial!.stoppedByEngine,
    });
    // THEN it starts the instance and does only what is left
    const done = mutating(sim.calls()).map(item);
    assert.equal(done.filter((x) => x.startsWith("type")).length, 0, done.join(", "));
    assert.equal(done[0], "StartInstance");
    assert.equal(r.after.status, "Running");
    assert.equal(r.after.instanceType, "ecs.g6.xlarge");
    assert.equal(r.after.internetMaxBandwidthOut, 20);
    assert.deepEqual(sim.calls().filter((c) => c.code === "Throttling"), []);
  });
});
