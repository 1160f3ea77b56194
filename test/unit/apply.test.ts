/**
 * The executor with scripted faults and a fake clock: exact call sequences, exact waits.
 * The fake ECS enforces the rules the real one does (cooldown, type change only when Stopped,
 * stop/start only from the settled status, ClientToken idempotency).
 */
import assert from "node:assert/strict";
import { apply, retryDelayMs, RETRY_POLICIES, type ApplyOptions, type ProgressEvent } from "../../provider/executor";
import { nextPollAtMs } from "../../provider/executor/timing";
import { dryRunTargets } from "../../provider/executor/preflight";
import type { EcsApi, ModifyRequest } from "../../provider/client";
import { modifyInstanceSpecParams, startInstanceParams, stopInstanceParams } from "../../provider/client";
import { EcsApiError, TRANSPORT_CODES } from "../../provider/errors";
import type { InstanceSnapshot } from "../../provider/model";
import { parseDesiredSpec, type DesiredSpecInput } from "../../provider/schema";
import { rejects } from "../helpers/engine";
import { snapshot } from "../helpers/snapshot";
import { RESTORE_MARKER_KEY } from "../../provider/marker";
import { FakeClock, T0 } from "../helpers/clock";

const S = 30_000; // stop takes 30 s
const T = 30_000; // start takes 30 s
const C = 300_000; // cooldown

type Fault =
  | { action: string; kind: "error"; code: string; httpStatus?: number }
  | { action: string; kind: "lost" } // applied, then the answer is lost
  | { action: string; kind: "late"; afterMs: number }; // the answer is lost, and the call lands afterMs later

/** A scripted ECS: one instance, real rules, a call log. */
class FakeEcs implements EcsApi {
  inst: InstanceSnapshot & { pendingType?: string };
  transition?: { to: "Running" | "Stopped"; at: number };
  lastChange?: number;
  tokens = new Map<string, string>();
  faults: Fault[] = [];
  log: { action: string; at: number; params: Record<string, string> }[] = [];
  /** Late calls as they landed. */
  landed: { action: string; at: number }[] = [];
  available = ["ecs.g6.xlarge", "ecs.g6.2xlarge"];
  private n = 0;

  constructor(private clock: FakeClock, over: Partial<InstanceSnapshot> = {}) {
    this.inst = snapshot(over);
  }
  /** Calls that land later (a slow request whose answer the client gave up on). */
  private late: { at: number; land: () => void }[] = [];
  private advance() {
    for (const l of this.late.filter((x) => this.clock.now() >= x.at)) {
      this.late.splice(this.late.indexOf(l), 1);
      this.advance();
      l.land();
    }
    if (this.transition && this.clock.now() >= this.transition.at) {
      this.inst = { ...this.inst, status: this.transition.to };
      if (this.transition.to === "Running" && this.inst.pendingType) {
        this.inst = { ...this.inst, instanceType: this.inst.pendingType, pendingType: undefined };
      }
      this.transition = undefined;
    }
  }
  private fault(action: string): Fault | undefined {
    const i = this.faults.findIndex((f) => f.action === action);
    return i < 0 ? undefined : this.faults.splice(i, 1)[0];
  }
  private err(action: string, code: string, httpStatus = 400): EcsApiError {
    return new EcsApiError({ action, code, message: "scripted", httpStatus, requestId: `REQ-ERR-${++this.n}` });
  }
  /** Logs the call; a scripted fault hits it by `faultKey` (`DryRun` for a DryRun, which is logged as ModifyInstanceSpec). */
  private record(action: string, params: Record<string, string>, faultKey = action) {
    this.log.push({ action, at: this.clock.now(), params });
    const f = this.fault(faultKey);
    if (f?.kind === "error") throw this.err(action, f.code, f.httpStatus);
    return f;
  }

  async describeInstance(instanceId: string) {
    this.record("DescribeInstances", { InstanceId: instanceId });
    this.advance();
    const { pendingType: _p, ...view } = this.inst;
    return view;
  }
  /** TagResources answers this code instead of tagging (a RAM policy without ecs:TagResources). */
  tagRefusal?: string;
  async tagInstance(instanceId: string, tags: Readonly<Record<string, string>>) {
    const sent = { InstanceId: instanceId, ...tags };
    this.record("TagResources", sent);
    if (this.tagRefusal) throw this.err("TagResources", this.tagRefusal, 403);
    this.inst = { ...this.inst, tags: { ...this.inst.tags, ...tags } };
    return { requestId: `REQ-${++this.n}`, sent };
  }
  async untagInstance(instanceId: string, keys: readonly string[]) {
    const sent = { InstanceId: instanceId, Keys: keys.join(",") };
    this.record("UntagResources", sent);
    this.inst = { ...this.inst, tags: Object.fromEntries(Object.entries(this.inst.tags).filter(([k]) => !keys.includes(k))) };
    return { requestId: `REQ-${++this.n}`, sent };
  }
  async describeAvailableInstanceTypes(instanceId: string) {
    this.record("DescribeResourcesModification", { ResourceId: instanceId });
    return this.available;
  }
  async hasLocalDisks() {
    return false;
  }
  async stopInstance(instanceId: string, stoppedMode: "KeepCharging" | "StopCharging") {
    const sent = stopInstanceParams(instanceId, stoppedMode);
    const f = this.record("StopInstance", sent);
    this.advance();
    if (f?.kind === "late") {
      this.late.push({
        at: this.clock.now() + f.afterMs,
        land: () => {
          this.landed.push({ action: "StopInstance", at: this.clock.now() });
          if (this.inst.status !== "Running") return; // IncorrectInstanceStatus, answered to nobody
          this.inst = { ...this.inst, status: "Stopping" };
          this.transition = { to: "Stopped", at: this.clock.now() + S };
        },
      });
      throw this.err("StopInstance", TRANSPORT_CODES.timeout);
    }
    if (this.inst.status !== "Running") throw this.err("StopInstance", "IncorrectInstanceStatus", 403);
    this.inst = { ...this.inst, status: "Stopping" };
    this.transition = { to: "Stopped", at: this.clock.now() + S };
    if (f?.kind === "lost") throw this.err("StopInstance", TRANSPORT_CODES.network);
    return { requestId: `REQ-${++this.n}`, sent };
  }
  async startInstance(instanceId: string) {
    const sent = startInstanceParams(instanceId);
    const f = this.record("StartInstance", sent);
    this.advance();
    if (this.inst.status !== "Stopped") throw this.err("StartInstance", "IncorrectInstanceStatus", 403);
    this.inst = { ...this.inst, status: "Starting" };
    this.transition = { to: "Running", at: this.clock.now() + T };
    if (f?.kind === "lost") throw this.err("StartInstance", TRANSPORT_CODES.network);
    return { requestId: `REQ-${++this.n}`, sent };
  }
  // Subscription orders are exercised against the simulator (test/integration/subscription.test.ts).
  async modifyPrepayInstanceSpec(): Promise<never> {
    throw new Error("FakeEcs: ModifyPrepayInstanceSpec is not scripted");
  }
  async modifyInstanceNetworkSpec(): Promise<never> {
    throw new Error("FakeEcs: ModifyInstanceNetworkSpec is not scripted");
  }
  async modifyInstanceSpec(request: ModifyRequest, clientToken: string) {
    const params = modifyInstanceSpecParams(request, clientToken);
    const f = this.record("ModifyInstanceSpec", params);
    this.advance();
    const { ClientToken: _token, ...content } = params;
    const sig = JSON.stringify(content);
    const seen = this.tokens.get(clientToken);
    if (seen !== undefined) {
      if (seen !== sig) throw this.err("ModifyInstanceSpec", "IdempotenceParamNotMatch");
      return { requestId: `REQ-REPEAT-${++this.n}`, sent: params };
    }
    // The wire, as the real API sees it: one item per call.
    const items =
      Number(params.InstanceType !== undefined) +
      Number(params.InternetMaxBandwidthOut !== undefined || params.InternetMaxBandwidthIn !== undefined) +
      Number(params["Temporary.StartTime"] !== undefined);
    if (items !== 1) throw this.err("ModifyInstanceSpec", "InvalidParameter.Mismatch");
    if (params["Temporary.StartTime"] !== undefined) {
      // As the simulator: a start at most 5 minutes in the past, an end after the start.
      const start = Date.parse(params["Temporary.StartTime"]);
      if (start < this.clock.now() - 300_000) throw this.err("ModifyInstanceSpec", "InvalidTemporary.StartTime");
      if (Date.parse(params["Temporary.EndTime"]!) <= start) throw this.err("ModifyInstanceSpec", "InvalidTemporary.EndTime");
    }
    if (this.lastChange !== undefined && this.clock.now() - this.lastChange < C) throw this.err("ModifyInstanceSpec", "Throttling");
    if (params.InstanceType !== undefined) {
      if (this.inst.status !== "Stopped") throw this.err("ModifyInstanceSpec", "InvalidInstanceStatus.NotStopped");
      this.inst = { ...this.inst, pendingType: params.InstanceType };
    }
    if (params.InternetMaxBandwidthOut !== undefined) this.inst = { ...this.inst, internetMaxBandwidthOut: Number(params.InternetMaxBandwidthOut) };
    if (params.InternetMaxBandwidthIn !== undefined) this.inst = { ...this.inst, internetMaxBandwidthIn: Number(params.InternetMaxBandwidthIn) };
    this.lastChange = this.clock.now();
    this.tokens.set(clientToken, sig);
    if (f?.kind === "lost") throw this.err("ModifyInstanceSpec", TRANSPORT_CODES.network);
    return { requestId: `REQ-${++this.n}`, sent: params };
  }

  /** ModifyInstanceSpec with DryRun=true, judged in the simulator's order: parameters, cooldown, the item's status. */
  async dryRunModifyInstanceSpec(request: ModifyRequest) {
    const { ClientToken: _token, ...params } = modifyInstanceSpecParams(request, "");
    this.record("ModifyInstanceSpec", { ...params, DryRun: "true" }, "DryRun");
    this.advance();
    if (params["Temporary.StartTime"] !== undefined && Date.parse(params["Temporary.StartTime"]) < this.clock.now() - 300_000) {
      throw this.err("ModifyInstanceSpec", "InvalidTemporary.StartTime");
    }
    if (this.lastChange !== undefined && this.clock.now() - this.lastChange < C) throw this.err("ModifyInstanceSpec", "Throttling");
    if (params.InstanceType !== undefined && this.inst.status !== "Stopped") throw this.err("ModifyInstanceSpec", "InvalidInstanceStatus.NotStopped");
    // DryRunOperation: every check passed (the client resolves on it).
  }

  /** The log as `Action` / `Action(item)` strings (`DryRun(item)` for a DryRun), reads collapsed to `D`. */
  calls(): string[] {
    return this.log.map((c) => {
      if (c.action === "DescribeInstances") return "D";
      if (c.action === "TagResources") return "Tag";
      if (c.action === "UntagResources") return "Untag";
      if (c.action !== "ModifyInstanceSpec") return c.action;
      const p = c.params;
      const call = p.DryRun === "true" ? "DryRun" : "Modify";
      if (p.InstanceType) return `${call}(type ${p.InstanceType})`;
      if (p["Temporary.StartTime"]) return `${call}(temp ${p["Temporary.InternetMaxBandwidthOut"]})`;
      return `${call}(bw${p.InternetMaxBandwidthOut ? ` out ${p.InternetMaxBandwidthOut}` : ""}${p.InternetMaxBandwidthIn ? ` in ${p.InternetMaxBandwidthIn}` : ""})`;
    });
  }
}

function desired(over: Partial<DesiredSpecInput> = {}) {
  const r = parseDesiredSpec({ instanceId: "i-web", regionId: "cn-hangzhou", ...over });
  if (!r.ok) throw new Error(JSON.stringify(r.failures));
  return r.value;
}

const TIMING = {
  stopSeconds: 30,
  startSeconds: 30,
  stopLeadSeconds: 30,
  modifySeconds: 0,
  // Probes every 5 s until 1.5 s (5 % of 30 s) before a transition's expected end, then every 1.5 s.
  pollSeconds: 5,
  minPollSeconds: 0.25,
  pollFraction: 0.05,
  cooldownMarginSeconds: 0,
  verifySeconds: 60,
  settleSeconds: 120,
  progressSeconds: 3600,
};
/** The sleeps of one 30 s stop or start: probes at +5…+25 s, then +28.5 s and +30 s, where it ends. */
const TRANSITION_POLLS = [5000, 5000, 5000, 5000, 5000, 3500, 1500];

function setup(over: Partial<InstanceSnapshot> = {}) {
  const clock = new FakeClock();
  const ecs = new FakeEcs(clock, over);
  const events: ProgressEvent[] = [];
  const run = (d: Partial<DesiredSpecInput>, o: Partial<ApplyOptions> = {}) =>
    apply({ api: ecs, desired: desired(d), clock, random: () => 1, timing: TIMING, onProgress: (e) => events.push(e), ...o });
  return { clock, ecs, events, run };
}

const BW = { internetMaxBandwidthOut: 20, internetMaxBandwidthIn: 150 };
/** The change calls of a type change on a running instance: marker, stop, type, start, marker off. */
const TYPE_CHANGE = ["Tag", "StopInstance", "Modify(type ecs.g6.xlarge)", "StartInstance", "Untag"];
const TYPE = { instanceType: "ecs.g6.xlarge" };

describe("apply: call sequences and waits", () => {
  it("bandwidth on a Running instance: one call carrying out and in, then verified", async () => {
    // GIVEN a Running instance WHEN out and in change
    const { ecs, clock, run } = setup();
    const r = await run(BW);
    // THEN read, one ModifyInstanceSpec, read back; no wait; still Running
    assert.deepEqual(ecs.calls(), ["D", "Modify(bw out 20 in 150)", "D"]);
    assert.deepEqual(clock.sleeps, []);
    assert.equal(r.after.internetMaxBandwidthOut, 20);
    assert.equal(r.after.internetMaxBandwidthIn, 150);
    assert.equal(r.lastChangeAt, new Date(T0).toISOString());
    assert.deepEqual(r.steps.map((s) => [s.kind, s.action, s.attempts, s.outcome]), [["modifyBandwidth", "ModifyInstanceSpec", 1, "done"]]);
    assert.equal(r.steps[0]!.requestId, "REQ-1");
  });

  it("a change 100 s ago: waits exactly the 200 s left, then one call (no Throttling)", async () => {
    const { ecs, clock, run, events } = setup();
    ecs.lastChange = T0 - 100_000;
    await run(BW, { lastChangeAt: new Date(T0 - 100_000) });
    assert.deepEqual(clock.sleeps, [200_000]);
    assert.deepEqual(ecs.calls(), ["D", "Modify(bw out 20 in 150)", "D"]);
    assert.equal(ecs.log[1]!.at, T0 + 200_000);
    assert.ok(events.some((e) => e.type === "waitingForCooldown" && e.message === "waiting for cooldown 3:20"));
  });

  it("the cooldown is reported every progressSeconds while waiting", async () => {
    const { clock, run, events, ecs } = setup();
    ecs.lastChange = T0 - 100_000;
    await run(BW, { lastChangeAt: new Date(T0 - 100_000), timing: { ...TIMING, progressSeconds: 60 } });
    assert.deepEqual(clock.sleeps, [60_000, 60_000, 60_000, 20_000]);
    assert.deepEqual(
      events.filter((e) => e.type === "waitingForCooldown").map((e) => e.message),
      ["waiting for cooldown 3:20", "waiting for cooldown 2:20", "waiting for cooldown 1:20", "waiting for cooldown 0:20"],
    );
  });

  it("type + bandwidth on a Running instance: stop, type, start at once, bandwidth after the cooldown", async () => {
    const { ecs, clock, run, events } = setup();
    const r = await run({ ...TYPE, ...BW });
    assert.deepEqual(ecs.calls(), [
      "D", // live state
      "DescribeResourcesModification", // the type is offered
      "DryRun(bw out 20 in 150)", // the last change, checked by the API before the first
      "Tag", // the restore marker, before the plan's first step
      "StopInstance",
      "D", "D", "D", "D", "D", "D", "D", // Stopping… probes at +5…+25 s, then +28.5 s; Stopped seen at +30 s, when it ends
      "Modify(type ecs.g6.xlarge)",
      "StartInstance",
      "D", "D", "D", "D", "D", "D", "D", // Starting… Running seen at +30 s with the new type
      "Untag", // running again: the marker goes
      "Modify(bw out 20 in 150)",
      "D", // bandwidth shows (also the final check)
    ]);
    // Each transition is seen the moment it ends; then the rest of the cooldown: 300 − 30 (start) = 270 s.
    assert.deepEqual(clock.sleeps, [...TRANSITION_POLLS, ...TRANSITION_POLLS, 270_000]);
    const modify = ecs.log.filter((c) => c.action === "ModifyInstanceSpec" && c.params.DryRun === undefined);
    assert.equal(modify[1]!.at - modify[0]!.at, C);
    // The instance was down from the stop to the end of the start only.
    const stopAt = ecs.log.find((c) => c.action === "StopInstance")!.at;
    assert.equal(modify[0]!.at - stopAt, S);
    assert.equal(r.after.status, "Running");
    assert.equal(r.after.instanceType, "ecs.g6.xlarge");
    assert.equal(r.pendingInstanceType, undefined);
    assert.deepEqual(
      events.filter((e) => e.type === "step").map((e) => e.message),
      [
        "step 1/5: StopInstance (KeepCharging) — instance will be STOPPED ~0:30",
        "step 2/5: ModifyInstanceSpec InstanceType ecs.g6.large → ecs.g6.xlarge (stopped)",
        "step 3/5: StartInstance — instance RUNNING again after ~0:30",
        "step 4/5: wait cooldown 4:30",
        "step 5/5: ModifyInstanceSpec InternetMaxBandwidthOut 5 → 20, InternetMaxBandwidthIn 100 → 150 (running)",
      ],
    );
  });

  it("type + bandwidth + temporary: bandwidth, stop overlapping the cooldown's tail, type, start, temporary", async () => {
    const { ecs, clock, run } = setup();
    const temp = { temporaryBandwidth: { startTime: "2030-01-02T00:00:00Z", endTime: "2030-01-02T06:00:00Z", internetMaxBandwidthOut: 50 } };
    const r = await run({ ...TYPE, ...BW, ...temp });
    assert.deepEqual(
      ecs.calls().filter((c) => c !== "D"),
      ["DescribeResourcesModification", "Tag", "Modify(bw out 20 in 150)", "StopInstance", "Modify(type ecs.g6.xlarge)", "StartInstance", "Untag", "Modify(temp 50)"],
    );
    const at = (a: string, i = 0) => ecs.log.filter((c) => c.action === a)[i]!.at;
    // The stop starts 30 s before the cooldown ends and ends exactly at it: never stopped while waiting.
    assert.equal(at("StopInstance") - at("ModifyInstanceSpec", 0), C - S);
    assert.equal(at("ModifyInstanceSpec", 1) - at("ModifyInstanceSpec", 0), C);
    assert.equal(at("ModifyInstanceSpec", 2) - at("ModifyInstanceSpec", 1), C);
    assert.equal(at("StartInstance"), at("ModifyInstanceSpec", 1));
    assert.deepEqual(clock.sleeps, [270_000, ...TRANSITION_POLLS, ...TRANSITION_POLLS, 270_000]);
    assert.deepEqual(r.appliedTemporaryBandwidth, temp.temporaryBandwidth);
  });

  it("a window that began an hour ago: sent from the moment it is sent, to its end; a re-run is a no-op", async () => {
    // GIVEN type + bandwidth + a window that began an hour before the apply and ends in two hours
    const { ecs, run } = setup();
    const window = { startTime: "2029-12-31T23:00:00Z", endTime: "2030-01-01T02:00:00Z", internetMaxBandwidthOut: 50 };
    // WHEN applied
    const r = await run({ ...TYPE, ...BW, temporaryBandwidth: window });
    // THEN every change went through, the window last, ten minutes in (two cooldowns), starting then
    assert.deepEqual(
      ecs.calls().filter((c) => c !== "D"),
      ["DescribeResourcesModification", "Tag", "Modify(bw out 20 in 150)", "StopInstance", "Modify(type ecs.g6.xlarge)", "StartInstance", "Untag", "Modify(temp 50)"],
    );
    const sent = ecs.log.filter((c) => c.action === "ModifyInstanceSpec")[2]!;
    assert.equal(sent.at, T0 + 2 * C);
    assert.equal(sent.params["Temporary.StartTime"], "2030-01-01T00:10:00Z");
    assert.equal(sent.params["Temporary.EndTime"], window.endTime);
    // AND its token is not the planned one (that names the desired start), and the step records what was sent
    const planned = r.plan.kind === "ok" ? r.plan.steps.find((s) => s.kind === "modifyTemporaryBandwidth") : undefined;
    assert.ok(planned && planned.kind === "modifyTemporaryBandwidth" && planned.begun === true);
    assert.notEqual(sent.params.ClientToken, planned.clientToken);
    assert.equal(r.steps.find((s) => s.kind === "modifyTemporaryBandwidth")!.clientToken, sent.params.ClientToken);
    assert.deepEqual(r.appliedTemporaryBandwidth, { ...window, startTime: "2030-01-01T00:10:00Z" });
    // WHEN run again with what it recorded THEN nothing is sent: the recorded window matches the desired one
    ecs.log = [];
    const again = await run(
      { ...TYPE, ...BW, temporaryBandwidth: window },
      { lastChangeAt: r.lastChangeAt, appliedTemporaryBandwidth: r.appliedTemporaryBandwidth },
    );
    assert.deepEqual(ecs.calls(), ["D"]);
    assert.deepEqual(again.steps, []);
  });

  it("a Stopped instance stays Stopped: no StopInstance/StartInstance; the type is reported pending", async () => {
    const { ecs, run } = setup({ status: "Stopped" });
    const r = await run({ ...TYPE, ...BW });
    assert.deepEqual(ecs.calls().filter((c) => c !== "D"), [
      "DescribeResourcesModification",
      "DryRun(bw out 20 in 150)",
      "Modify(type ecs.g6.xlarge)",
      "Modify(bw out 20 in 150)",
    ]);
    assert.equal(r.after.status, "Stopped");
    assert.equal(r.pendingInstanceType, "ecs.g6.xlarge");
  });

  it("nothing to change: one read, no call, no wait", async () => {
    const { ecs, clock, run } = setup();
    const r = await run({ internetMaxBandwidthOut: 5 });
    assert.deepEqual(ecs.calls(), ["D"]);
    assert.deepEqual(clock.sleeps, []);
    assert.deepEqual(r.steps, []);
  });

  it("a Starting instance is waited for before planning", async () => {
    const { ecs, clock, run } = setup({ status: "Starting" });
    ecs.transition = { to: "Running", at: T0 + 12_000 };
    await run(BW);
    assert.deepEqual(ecs.calls(), ["D", "D", "D", "D", "Modify(bw out 20 in 150)", "D"]);
    assert.deepEqual(clock.sleeps, [5000, 5000, 5000]);
  });
});

describe("apply: hooks of a rolling resize", () => {
  it("beforeStop is awaited right before the stop, the marker placed after it; afterStart follows the start", async () => {
    // GIVEN a type + bandwidth change, with a gate that records when it is asked and held
    const { ecs, clock, run } = setup();
    const seen: string[] = [];
    const r = await run(
      { ...TYPE, ...BW },
      {
        hooks: {
          beforeStop: async () => {
            seen.push(`gate after ${ecs.calls().join(",")}`);
            await clock.sleep(10_000);
          },
          afterStart: () => seen.push(`started after ${ecs.calls().slice(-2).join(",")}`),
        },
      },
    );
    // THEN the gate came before the marker and the stop, held them 10 s, and afterStart came once Running
    assert.deepEqual(seen, ["gate after D,DescribeResourcesModification,DryRun(bw out 20 in 150)", "started after D,Untag"]);
    assert.equal(ecs.log.find((c) => c.action === "TagResources")!.at, T0 + 10_000);
    assert.deepEqual(ecs.calls().filter((c) => c !== "D"), ["DescribeResourcesModification", "DryRun(bw out 20 in 150)", ...TYPE_CHANGE, "Modify(bw out 20 in 150)"]);
    assert.equal(r.after.instanceType, "ecs.g6.xlarge");
  });

  it("a gate that rejects fails the apply before the stop: no marker, no stop, the instance untouched", async () => {
    const { ecs, run } = setup();
    const e = await rejects(run(TYPE, { hooks: { beforeStop: () => Promise.reject(new Error("no slot: the rollout stopped")) } }));
    assert.match(e.message, /no slot: the rollout stopped/);
    assert.deepEqual(ecs.calls().filter((c) => c !== "D"), ["DescribeResourcesModification"]);
    assert.equal(ecs.inst.status, "Running");
  });
});

describe("apply: scripted faults", () => {
  it("Throttling and LastTokenProcessing are retried with backoff, same ClientToken", async () => {
    const { ecs, clock, run, events } = setup();
    ecs.faults = [
      { action: "ModifyInstanceSpec", kind: "error", code: "Throttling.User" },
      { action: "ModifyInstanceSpec", kind: "error", code: "LastTokenProcessing", httpStatus: 403 },
    ];
    await run(BW);
    assert.deepEqual(ecs.calls(), ["D", "Modify(bw out 20 in 150)", "Modify(bw out 20 in 150)", "Modify(bw out 20 in 150)", "D"]);
    // specChange policy: 2 s, then 4 s (random = 1 → the full delay).
    assert.deepEqual(clock.sleeps, [2000, 4000]);
    const tokens = ecs.log.filter((c) => c.action === "ModifyInstanceSpec").map((c) => c.params.ClientToken);
    assert.equal(new Set(tokens).size, 1);
    assert.deepEqual(
      events.filter((e) => e.type === "retrying").map((e) => e.type === "retrying" && [e.code, e.attempt, e.delaySeconds]),
      [["Throttling.User", 1, 2], ["LastTokenProcessing", 2, 4]],
    );
  });

  it("a cooldown from an unknown change: probes every thirtieth of the cooldown, never later than its latest possible end", async () => {
    // GIVEN someone else changed the instance 290 s ago, unknown to us
    const { ecs, clock, run } = setup();
    ecs.lastChange = T0 - 290_000;
    await run(BW);
    // THEN Throttling at +0, a probe 10 s later (300 s / 30) is accepted: the cooldown ended at +10 s
    assert.deepEqual(clock.sleeps, [10_000]);
    assert.deepEqual(ecs.calls(), ["D", "Modify(bw out 20 in 150)", "Modify(bw out 20 in 150)", "D"]);
  });

  it("the recorded last change is 5 s older than the API's: the gate waits the known 200 s, then probes", async () => {
    // GIVEN the recorded last change is 100 s old, but the API's cooldown still runs 5 s longer
    const { ecs, clock, run } = setup();
    ecs.lastChange = T0 - 95_000;
    await run(BW, { lastChangeAt: new Date(T0 - 100_000) });
    // THEN the gate waits exactly 200 s; Throttling at +200; the probe at +210 is accepted (the API's end: +205)
    assert.deepEqual(clock.sleeps, [200_000, 10_000]);
    assert.deepEqual(ecs.calls(), ["D", "Modify(bw out 20 in 150)", "Modify(bw out 20 in 150)", "D"]);
  });

  it("a bandwidth change made in the console 5 s before the up (real 300 s cooldown): waited out, lands within one probe of the end", async () => {
    // GIVEN a change made outside Pulumi 5 s ago, with the API's real cooldown and the default policies
    const { ecs, clock, run, events } = setup();
    ecs.lastChange = T0 - 5_000;
    // WHEN applied
    const r = await run(BW);
    // THEN it probed every 10 s, far beyond the policy's 8 retries, and landed within 10 s of the cooldown's real end (+295 s)
    const modifies = ecs.log.filter((c) => c.action === "ModifyInstanceSpec");
    assert.equal(modifies.length, 31);
    assert.ok(modifies[30]!.at >= T0 + 295_000 && modifies[30]!.at <= T0 + 305_000, `landed at +${(modifies[30]!.at - T0) / 1000} s`);
    assert.equal(r.after.internetMaxBandwidthOut, 20);
    assert.ok(clock.sleeps.every((ms) => ms <= 10_000));
    // AND the wait showed, with a true hint
    const waits = events.filter((e) => e.type === "retrying").map((e) => e.message);
    assert.equal(waits.length, 30);
    assert.match(waits[0]!, /^ModifyInstanceSpec: Throttling \[REQ-ERR-1\] — the instance is in the cooldown of a change made outside this run; trying again in 0:10 \(it ends within 5:00 at the latest\)$/);
  });

  it("a cooldown of unknown start hits the type change while the instance is down: probed briefly, then started again, the change made after that cooldown", async () => {
    // GIVEN someone else changed the instance 100 s ago, unknown to us, and a type change is wanted
    const { ecs, run } = setup();
    ecs.lastChange = T0 - 100_000;
    // WHEN applied
    const r = await run(TYPE);
    // THEN the type change is refused while stopped; the engine probes as long as a restart would
    // cost, then starts the instance again; then, running, it waits for the latest end of that
    // cooldown, stops in its tail, and changes the type
    assert.deepEqual(ecs.calls().filter((c) => c !== "D"), [
      "DescribeResourcesModification",
      "Tag",
      "StopInstance",
      ...Array(7).fill("Modify(type ecs.g6.xlarge)"),
      "StartInstance",
      "Untag",
      "DescribeResourcesModification",
      ...TYPE_CHANGE,
    ]);
    const at = (a: string, i: number) => ecs.log.filter((c) => c.action === a)[i]!.at;
    // (probed while a restart would cost more: the expected stop + start, 60 s; then started again at once)
    const probes = ecs.log.filter((c) => c.action === "ModifyInstanceSpec").slice(0, -1);
    assert.equal(probes.length, 7);
    assert.equal(at("StartInstance", 0), probes[6]!.at, "started again right after the last probe");
    assert.equal(probes[6]!.at - probes[0]!.at, 60_000);
    assert.ok(at("ModifyInstanceSpec", 7) - at("ModifyInstanceSpec", 0) >= C, "the change waited a whole cooldown from the first refusal");
    assert.deepEqual([r.after.status, r.after.instanceType], ["Running", "ecs.g6.xlarge"]);
  });

  it("answer lost after the change was applied: re-read shows it, the change is NOT sent again", async () => {
    const { ecs, clock, run } = setup();
    ecs.faults = [{ action: "ModifyInstanceSpec", kind: "lost" }];
    const r = await run(BW);
    assert.deepEqual(ecs.calls(), ["D", "Modify(bw out 20 in 150)", "D"]);
    assert.deepEqual(clock.sleeps, [2000]);
    assert.equal(r.steps[0]!.outcome, "alreadyApplied");
    assert.equal(r.steps[0]!.attempts, 2);
    assert.equal(r.lastChangeAt, new Date(T0 + 2000).toISOString());
  });

  it("InternalError (not applied): re-read, then the same call with the same ClientToken", async () => {
    const { ecs, clock, run } = setup();
    ecs.faults = [{ action: "ModifyInstanceSpec", kind: "error", code: "InternalError", httpStatus: 500 }];
    await run(BW);
    assert.deepEqual(ecs.calls(), ["D", "Modify(bw out 20 in 150)", "D", "Modify(bw out 20 in 150)", "D"]);
    assert.deepEqual(clock.sleeps, [2000]);
    const [a, b] = ecs.log.filter((c) => c.action === "ModifyInstanceSpec");
    assert.deepEqual(a!.params, b!.params);
  });

  it("a 4xx decided `fail` is not retried and nothing else is called", async () => {
    const { ecs, run } = setup();
    ecs.faults = [{ action: "ModifyInstanceSpec", kind: "error", code: "InvalidAccountStatus.NotEnoughBalance", httpStatus: 403 }];
    const e = await rejects(run(BW));
    assert.equal(e.code, "ApiError");
    assert.equal((e.cause as EcsApiError).code, "InvalidAccountStatus.NotEnoughBalance");
    assert.match(e.message, /top up the account/);
    assert.deepEqual(ecs.calls(), ["D", "Modify(bw out 20 in 150)"]);
    assert.equal(e.restarted, false);
  });

  it("a failure after the stop: the instance is started again before reporting", async () => {
    const { ecs, run } = setup();
    ecs.faults = [{ action: "ModifyInstanceSpec", kind: "error", code: "OperationDenied.NoStock", httpStatus: 403 }];
    const e = await rejects(run(TYPE));
    assert.deepEqual(ecs.calls().filter((c) => c !== "D"), ["DescribeResourcesModification", ...TYPE_CHANGE]);
    assert.equal(e.restarted, true);
    assert.equal(e.partial.stoppedByEngine, false);
    assert.equal(ecs.inst.status, "Running");
    assert.match(e.message, /started again/);
  });

  it("while the instance is down for the change, a failing type change gets the short policy, then a restart", async () => {
    // GIVEN a type change that keeps failing with InternalError once the instance is stopped
    const { ecs, clock, run } = setup();
    const { retries, minDelayMs, maxDelayMs } = RETRY_POLICIES.specChangeWhileDown;
    ecs.faults = Array.from({ length: retries + 1 }, () => ({ action: "ModifyInstanceSpec", kind: "error" as const, code: "InternalError", httpStatus: 500 }));
    // WHEN applied
    const e = await rejects(run(TYPE));
    // THEN it tried 1 + the short policy's retries, each backoff within its range, then started the instance again
    assert.equal(ecs.calls().filter((c) => c === "Modify(type ecs.g6.xlarge)").length, retries + 1);
    const stopPolls = TRANSITION_POLLS.length;
    const backoffs = clock.sleeps.slice(stopPolls, stopPolls + retries);
    assert.deepEqual(backoffs, Array.from({ length: retries }, (_, i) => Math.min(minDelayMs * 2 ** i, maxDelayMs)));
    assert.ok(backoffs.reduce((a, b) => a + b, 0) <= 30_000, "at most half a minute of extra downtime");
    assert.equal(e.restarted, true);
    assert.equal(ecs.inst.status, "Running");
  });

  it("stop answer lost: the retry re-reads, sees Stopping, and does not stop twice", async () => {
    const { ecs, run } = setup();
    ecs.faults = [{ action: "StopInstance", kind: "lost" }];
    const r = await run(TYPE);
    assert.deepEqual(ecs.calls().filter((c) => c !== "D"), ["DescribeResourcesModification", ...TYPE_CHANGE]);
    assert.equal(r.steps.find((s) => s.kind === "stop")!.outcome, "alreadyApplied");
  });

  it("InvalidInstanceStatus.NotStopped (started by someone else): re-plans from the live state", async () => {
    // GIVEN a Stopped instance that someone starts right after we read it
    const { ecs, run } = setup({ status: "Stopped" });
    let first = true;
    const orig = ecs.describeInstance.bind(ecs);
    ecs.describeInstance = async (id: string) => {
      const s = await orig(id);
      if (first) {
        first = false;
        ecs.inst = { ...ecs.inst, status: "Running" };
      }
      return s;
    };
    const r = await run(TYPE);
    // THEN the type call is refused, the engine re-plans: stop, type, start (it was Running again)
    assert.deepEqual(ecs.calls().filter((c) => c !== "D"), [
      "DescribeResourcesModification",
      "Modify(type ecs.g6.xlarge)",
      "DescribeResourcesModification",
      ...TYPE_CHANGE,
    ]);
    assert.equal(r.after.status, "Running");
  });

  it("a re-planned round refused while this run has the instance stopped: started again before the refusal is reported", async () => {
    // GIVEN the type change answered "wrong status" once the instance is stopped, and a security lock put on it meanwhile
    const { ecs, run } = setup();
    ecs.faults = [{ action: "ModifyInstanceSpec", kind: "error", code: "InvalidStatus.ValueNotSupported", httpStatus: 403 }];
    const orig = ecs.modifyInstanceSpec.bind(ecs);
    ecs.modifyInstanceSpec = async (req, token) => {
      ecs.inst = { ...ecs.inst, operationLocks: ["security"] };
      return orig(req, token);
    };
    // WHEN applied
    const e = await rejects(run(TYPE));
    // THEN the new plan is refused (the lock), and the instance the run stopped is running again
    assert.equal(e.code, "Refused");
    assert.deepEqual(e.refusals!.map((r) => r.code), ["SecurityLock"]);
    assert.equal(e.restarted, true);
    assert.equal(ecs.inst.status, "Running");
    assert.match(e.message, /started again/);
  });

  it("refused plan: nothing is called after the reads", async () => {
    // GIVEN a subscription instance and a bandwidth upgrade nobody said how to pay for
    const { ecs, run } = setup({ instanceChargeType: "PrePaid" });
    const e = await rejects(run(BW));
    assert.equal(e.code, "Refused");
    assert.deepEqual(e.refusals!.map((r) => r.code), ["AutoPayUndecided"]);
    assert.deepEqual(ecs.calls(), ["D"]);
  });

  it("a type not offered by DescribeResourcesModification is refused before the stop", async () => {
    const { ecs, run } = setup();
    ecs.available = ["ecs.c6.large"];
    const e = await rejects(run(TYPE));
    assert.deepEqual(e.refusals!.map((r) => r.code), ["TypeNotOffered"]);
    assert.deepEqual(ecs.calls(), ["D", "DescribeResourcesModification"]);
  });

  it("the overall timeout is checked before a wait, not after", async () => {
    const { ecs, clock, run } = setup();
    ecs.lastChange = T0;
    const e = await rejects(run(BW, { lastChangeAt: new Date(T0), desired: desired({ ...BW, timeoutSeconds: 100 }) }));
    assert.equal(e.code, "Timeout");
    assert.deepEqual(clock.sleeps, []);
    assert.deepEqual(ecs.calls(), ["D"]);
  });
});

describe("apply: every spec change checked before the first change", () => {
  it("a later step the API would refuse is refused before the stop: nothing stopped, nothing changed", async () => {
    // GIVEN type + bandwidth on a Running instance, and an API that refuses this instance's bandwidth change
    const { ecs, run } = setup();
    ecs.faults = [{ action: "DryRun", kind: "error", code: "InvalidInternetChargeType.ValueNotSupported" }];
    // WHEN applied
    const e = await rejects(run({ ...TYPE, ...BW }));
    // THEN refused on the bandwidth field, after the reads and the one DryRun: no StopInstance, no ModifyInstanceSpec
    assert.equal(e.code, "Refused");
    assert.deepEqual(e.refusals!.map((r) => [r.code, r.field]), [["DryRunRefused", "internetMaxBandwidthOut"]]);
    assert.match(e.message, /^refused before any change, nothing was changed:\nrefused \(DryRunRefused, internetMaxBandwidthOut\): step 5 \(ModifyInstanceSpec InternetMaxBandwidthOut 5 → 20, InternetMaxBandwidthIn 100 → 150 \(running\)\) would be refused: ModifyInstanceSpec failed: InvalidInternetChargeType\.ValueNotSupported/);
    assert.deepEqual(ecs.calls(), ["D", "DescribeResourcesModification", "DryRun(bw out 20 in 150)"]);
    assert.deepEqual(e.partial.steps, []);
    assert.equal(e.restarted, false);
    assert.equal(ecs.inst.status, "Running");
    assert.equal(ecs.lastChange, undefined);
  });

  it("which steps get a DryRun: a change after a stop or a change, that the API can judge before the steps ahead of it", () => {
    const token = { clientToken: "ecsspec-t", expectedSeconds: 5 };
    const bw = (whileStatus: "Running" | "Stopped", out?: number) =>
      ({ ...token, kind: "modifyBandwidth", whileStatus, ...(out !== undefined ? { out: { from: 5, to: out } } : { in: { from: 100, to: 150 } }) }) as const;
    const type = (whileStatus: "Running" | "Stopped") => ({ ...token, kind: "modifyType", from: "ecs.g6.large", instanceType: "ecs.g6.xlarge", whileStatus }) as const;
    const temp = { ...token, kind: "modifyTemporaryBandwidth", startTime: "2030-01-02T00:00:00Z", endTime: "2030-01-02T06:00:00Z", out: 50, whileStatus: "Running" } as const;
    const wait = { kind: "waitCooldown", leadSeconds: 0, expectedSeconds: 300 } as const;
    const stop = { kind: "stop", stoppedMode: "KeepCharging", expectedSeconds: 30 } as const;
    const start = { kind: "start", expectedSeconds: 30 } as const;
    const at = (steps: Parameters<typeof dryRunTargets>[0], status: string) => dryRunTargets(steps, status).map((t) => `${t.index} ${t.step.kind}`);
    // The first change is never worth one: its refusal leaves nothing half done
    assert.deepEqual(at([bw("Running", 20)], "Running"), []);
    // After a stop: the bandwidth, not the type on a running instance (the API would only say NotStopped)
    assert.deepEqual(at([stop, type("Stopped"), start, wait, bw("Running", 20)], "Running"), ["5 modifyBandwidth"]);
    // A type change on an instance that is Stopped now is judged
    assert.deepEqual(at([bw("Stopped", 20), wait, type("Stopped")], "Stopped"), ["3 modifyType"]);
    // A window after a change of the outbound bandwidth is not (the API judges it against the bandwidth in force); after inbound only, it is
    assert.deepEqual(at([bw("Running", 20), wait, temp], "Running"), []);
    assert.deepEqual(at([bw("Running"), wait, temp], "Running"), ["3 modifyTemporaryBandwidth"]);
    // A start that ends downtime is not a change that could be left half done
    assert.deepEqual(at([start, bw("Running", 20)], "Stopped"), []);
  });

  it("a DryRun answered with a transient error is asked again, then the plan runs", async () => {
    const { ecs, clock, run } = setup();
    ecs.faults = [{ action: "DryRun", kind: "error", code: "InternalError", httpStatus: 500 }];
    await run({ ...TYPE, ...BW });
    assert.deepEqual(ecs.calls().slice(0, 6), ["D", "DescribeResourcesModification", "DryRun(bw out 20 in 150)", "DryRun(bw out 20 in 150)", "Tag", "StopInstance"]);
    assert.equal(clock.sleeps[0], 2000);
  });

  it("during the cooldown of an earlier change, the DryRun waits for its end (no Throttling), as the first change would", async () => {
    // GIVEN a change 100 s ago and type + bandwidth to do
    const { ecs, clock, run } = setup();
    ecs.lastChange = T0 - 100_000;
    await run({ ...TYPE, ...BW }, { lastChangeAt: new Date(T0 - 100_000) });
    // THEN the DryRun goes out when the cooldown ends, the stop right after it: no call is refused
    const dry = ecs.log.find((c) => c.params.DryRun === "true")!;
    assert.equal(dry.at, T0 + 200_000);
    assert.equal(ecs.log.find((c) => c.action === "StopInstance")!.at, T0 + 200_000);
    assert.equal(clock.sleeps[0], 200_000);
  });

  it("an instance down after an interrupted run is started first: no wait for a DryRun, which is left out", async () => {
    // GIVEN the last run changed the type 100 s ago and left the instance Stopped
    const { ecs, run } = setup({ status: "Stopped", instanceType: "ecs.g6.xlarge" });
    ecs.lastChange = T0 - 100_000;
    // WHEN inbound bandwidth and a window are wanted (the window would be worth a DryRun)
    await run({ ...TYPE, internetMaxBandwidthIn: 150, temporaryBandwidth: { startTime: "2030-01-02T00:00:00Z", endTime: "2030-01-02T06:00:00Z", internetMaxBandwidthOut: 50 } }, {
      lastChangeAt: new Date(T0 - 100_000),
      startWhenDone: true,
    });
    // THEN StartInstance is the first call, at once
    assert.equal(ecs.log.find((c) => c.action !== "DescribeInstances")!.action, "StartInstance");
    assert.equal(ecs.log.find((c) => c.action === "StartInstance")!.at, T0);
    assert.deepEqual(ecs.calls().filter((c) => c.startsWith("DryRun")), []);
  });

  it("a plan of one change costs no DryRun", async () => {
    for (const d of [BW, TYPE]) {
      const { ecs, run } = setup();
      await run(d);
      assert.deepEqual(ecs.calls().filter((c) => c.startsWith("DryRun")), []);
    }
  });
});

describe("apply: abort and re-running after an interruption", () => {
  it("abort during the cooldown wait before the stop: rejects Aborted, nothing stopped", async () => {
    const { ecs, clock, run } = setup();
    const ac = new AbortController();
    clock.onSleep = (ms) => ms > 100_000 && ac.abort(new Error("user cancelled"));
    const temp = { temporaryBandwidth: { startTime: "2030-01-02T00:00:00Z", endTime: "2030-01-02T06:00:00Z", internetMaxBandwidthOut: 50 } };
    const e = await rejects(run({ ...TYPE, ...BW, ...temp }, { signal: ac.signal }));
    assert.equal(e.code, "Aborted");
    assert.equal(e.restarted, false);
    // AND the restore marker placed before the first step is taken off again: the instance runs
    assert.deepEqual(ecs.calls().filter((c) => c !== "D"), ["DescribeResourcesModification", "Tag", "Modify(bw out 20 in 150)", "Untag"]);
    assert.deepEqual(ecs.inst.tags, {});
    assert.equal(e.partial.lastChangeAt, new Date(T0).toISOString());
  });

  it("abort while stopped: started again before rejecting", async () => {
    const { ecs, clock, run } = setup();
    const ac = new AbortController();
    clock.onSleep = () => ecs.inst.status === "Stopping" && ac.abort(new Error("user cancelled"));
    const e = await rejects(run(TYPE, { signal: ac.signal }));
    assert.equal(e.code, "Aborted");
    assert.equal(e.restarted, true);
    assert.equal(ecs.inst.status === "Starting" || ecs.inst.status === "Running", true);
    assert.deepEqual(ecs.calls().filter((c) => c !== "D"), ["DescribeResourcesModification", "Tag", "StopInstance", "StartInstance", "Untag"]);
  });

  it("restart failed, then a second run finishes: starts the instance, never re-sends the type change", async () => {
    // GIVEN run 1 changes the type while stopped, then every start fails
    const { ecs, run } = setup();
    ecs.faults = Array.from({ length: 20 }, () => ({ action: "StartInstance", kind: "error" as const, code: "OperationDenied.NoStock", httpStatus: 403 }));
    const e = await rejects(run({ ...TYPE, ...BW }));
    assert.equal(e.restarted, false);
    assert.equal(e.partial.stoppedByEngine, true);
    assert.equal(e.partial.pendingInstanceType, "ecs.g6.xlarge");
    assert.equal(ecs.inst.status, "Stopped");
    // AND the restore marker stays on the stopped instance, for whichever run comes next
    assert.deepEqual(ecs.inst.tags, { [RESTORE_MARKER_KEY]: "Running" });
    // WHEN run 2 gets what run 1 recorded, with the stock back
    ecs.faults = [];
    ecs.log = [];
    const r = await run(
      { ...TYPE, ...BW },
      { lastChangeAt: e.partial.lastChangeAt, pendingInstanceType: e.partial.pendingInstanceType, startWhenDone: e.partial.stoppedByEngine },
    );
    // THEN it starts first (downtime ends), takes the marker off, then the bandwidth after the cooldown; no second type change
    assert.deepEqual(ecs.calls().filter((c) => c !== "D"), ["StartInstance", "Untag", "Modify(bw out 20 in 150)"]);
    assert.equal(r.after.status, "Running");
    assert.equal(r.after.instanceType, "ecs.g6.xlarge");
    assert.equal(r.after.internetMaxBandwidthOut, 20);
  });
});

describe("apply: precise waits", () => {
  it("after a failed type change while stopped, StartInstance goes out at once, with no read before it", async () => {
    // GIVEN a type change refused once the instance is stopped
    const { ecs, run } = setup();
    ecs.faults = [{ action: "ModifyInstanceSpec", kind: "error", code: "OperationDenied.NoStock", httpStatus: 403 }];
    // WHEN applied
    await rejects(run(TYPE));
    // THEN the start directly follows the refused call
    const calls = ecs.calls();
    const refused = calls.indexOf("Modify(type ecs.g6.xlarge)");
    assert.equal(calls[refused + 1], "StartInstance");
    assert.equal(ecs.inst.status, "Running");
  });

  it("stop and start durations are learned, and the next run's polls aim at them", async () => {
    // GIVEN estimates of 45 s for an instance that stops and starts in 30 s
    const { clock, run } = setup();
    const slow = { ...TIMING, stopSeconds: 45, startSeconds: 45 };
    const first = await run(TYPE, { timing: slow });
    // THEN the first run saw each transition late (its polls aimed at 45 s) and learned 30 s, as seen by its reads
    assert.ok(first.observed!.stopSeconds! >= 30 && first.observed!.stopSeconds! <= 32.5, JSON.stringify(first.observed));
    assert.ok(clock.sleeps.slice(0, 9).reduce((a, b) => a + b, 0) > 30_000, "the first run's stop was seen after it ended");
    // WHEN the next change (another instance just like it) gets what was observed
    const next = setup();
    await next.run(TYPE, { timing: slow, observed: { stopSeconds: 30, startSeconds: 30 } });
    // THEN its stop and start are seen the moment they end: the same polls as with exact estimates
    assert.deepEqual(next.clock.sleeps, [...TRANSITION_POLLS, ...TRANSITION_POLLS]);
  });
});

describe("apply: the restore marker on the instance", () => {
  it("a first run (nothing recorded) whose tag is refused by the RAM policy: refused before anything is touched", async () => {
    // GIVEN credentials without ecs:TagResources, and no Pulumi state to fall back on
    const { ecs, run } = setup();
    ecs.tagRefusal = "Forbidden.RAM";
    // WHEN a plan that stops the instance is applied
    const e = await rejects(run({ ...TYPE, ...BW }));
    // THEN nothing was changed or stopped, and the refusal says what to grant
    assert.equal(e.code, "Refused");
    assert.deepEqual(e.refusals!.map((r) => r.code), ["MarkerRefused"]);
    assert.match(e.message, /Grant ecs:TagResources and ecs:UntagResources/);
    assert.deepEqual(ecs.calls(), ["D", "DescribeResourcesModification", "DryRun(bw out 20 in 150)", "Tag"]);
    assert.equal(ecs.inst.status, "Running");
  });

  it("an update whose tag is refused goes on: the stack's state remembers the instance should run", async () => {
    const { ecs, run, events } = setup();
    ecs.tagRefusal = "NoPermission.Tag";
    const r = await run(TYPE, { markerFallback: true });
    assert.deepEqual(ecs.calls().filter((c) => c !== "D"), ["DescribeResourcesModification", "Tag", "StopInstance", "Modify(type ecs.g6.xlarge)", "StartInstance"]);
    assert.deepEqual([r.after.status, r.after.instanceType], ["Running", "ecs.g6.xlarge"]);
    assert.ok(events.some((e) => e.type === "marker" && e.action === "refused" && /going on/.test(e.message)));
  });

  it("a stopped instance carrying the marker of a killed first run: started again with the change, the marker removed", async () => {
    // GIVEN a run killed right after its stop, on a resource never recorded: only the marker tells
    const { ecs, run } = setup({ status: "Stopped", tags: { [RESTORE_MARKER_KEY]: "Running" } });
    // WHEN the next run applies the same change, with nothing recorded
    const r = await run(TYPE);
    // THEN it changes the type and starts the instance, then takes the marker off
    assert.deepEqual(ecs.calls().filter((c) => c !== "D"), ["DescribeResourcesModification", "Modify(type ecs.g6.xlarge)", "StartInstance", "Untag"]);
    assert.deepEqual([r.after.status, r.after.instanceType], ["Running", "ecs.g6.xlarge"]);
    assert.deepEqual(ecs.inst.tags, {});
  });

  it("a stopped instance without the marker (stopped on purpose) stays stopped", async () => {
    const { ecs, run } = setup({ status: "Stopped", tags: { team: "web" } });
    const r = await run(TYPE);
    assert.deepEqual(ecs.calls().filter((c) => c !== "D"), ["DescribeResourcesModification", "Modify(type ecs.g6.xlarge)"]);
    assert.equal(r.after.status, "Stopped");
  });

  it("a marker left on a running instance by an interrupted run is removed, even with nothing else to do", async () => {
    const { ecs, run } = setup({ tags: { [RESTORE_MARKER_KEY]: "Running", team: "web" } });
    await run({ internetMaxBandwidthOut: 5 });
    assert.deepEqual(ecs.calls(), ["D", "Untag"]);
    assert.deepEqual(ecs.inst.tags, { team: "web" });
  });
});

describe("apply: success means the goal is true", () => {
  it("a StopInstance answer lost while the call is on its way: the engine waits for the status to move, and never stops twice", async () => {
    // GIVEN a stop whose answer times out while the call lands 4 s later (within the 10 s grace)
    const { ecs, run } = setup();
    ecs.faults = [{ action: "StopInstance", kind: "late", afterMs: 4_000 }];
    // WHEN a type change is applied
    const r = await run(TYPE);
    // THEN one stop only: the re-read saw Running, the engine watched the status move instead of resending
    assert.deepEqual(ecs.calls().filter((c) => c !== "D"), ["DescribeResourcesModification", ...TYPE_CHANGE]);
    assert.equal(r.steps.find((s) => s.kind === "stop")!.outcome, "alreadyApplied");
    assert.deepEqual([r.after.status, r.after.instanceType], ["Running", "ecs.g6.xlarge"]);
  });

  it("a lost stop landing after the engine's own restart: the stray stop is seen and corrected before success is reported", async () => {
    // GIVEN a stop whose call lands 78 s late: after the grace, the resent stop, the type change and the start (Running at about +72 s)
    const { ecs, clock, run, events } = setup();
    ecs.faults = [{ action: "StopInstance", kind: "late", afterMs: 78_000 }];
    // WHEN a type change is applied
    const r = await run(TYPE);
    // THEN the late stop landed while the engine waited before its final read; the engine started the instance again
    assert.equal(ecs.landed.length, 1);
    assert.deepEqual(ecs.calls().filter((c) => c !== "D"), [
      "DescribeResourcesModification",
      "Tag",
      "StopInstance",
      "StopInstance",
      "Modify(type ecs.g6.xlarge)",
      "StartInstance",
      "Untag",
      "StartInstance",
    ]);
    assert.deepEqual([r.after.status, r.after.instanceType], ["Running", "ecs.g6.xlarge"]);
    assert.equal(ecs.inst.status, "Running");
    assert.ok(events.some((e) => e.type === "replanning" && /late duplicate/.test(e.message)));
    assert.ok(clock.now() > ecs.landed[0]!.at);
  });
});

describe("apply: the restart after an interrupt", () => {
  it("interrupted right after its stop (status not read since): re-reads, and starts the moment the stop ends", async () => {
    // GIVEN a 30 s stop estimated at 45 s, and an interrupt as soon as StopInstance is answered
    const { ecs, clock, run } = setup();
    const ac = new AbortController();
    clock.onSleep = () => ecs.inst.status === "Stopping" && ac.abort(new Error("interrupted"));
    const e = await rejects(run(TYPE, { signal: ac.signal, timing: { ...TIMING, stopSeconds: 45, startSeconds: 45 } }));
    // THEN the stale "Running" is not trusted: the restart reads, waits for Stopped with tight polls, and starts
    assert.equal(e.restarted, true);
    const stopAt = ecs.log.find((c) => c.action === "StopInstance")!.at;
    const startAt = ecs.log.find((c) => c.action === "StartInstance")!.at;
    assert.ok(startAt - stopAt >= S && startAt - stopAt <= S + 5000, `started ${(startAt - stopAt) / 1000} s after the stop`);
    assert.equal(ecs.inst.status, "Running");
  });
});

describe("nextPollAtMs: the poll schedule", () => {
  const t = { pollSeconds: 5, minPollSeconds: 0.25, pollFraction: 0.05 };
  const schedule = (expectedSeconds: number, endsAtSeconds: number) => {
    const reads: number[] = [];
    for (let last = 0; !reads.length || reads[reads.length - 1]! < endsAtSeconds * 1000; ) {
      last = nextPollAtMs(last, { sinceMs: 0, expectedSeconds }, t);
      reads.push(last);
    }
    return reads.map((ms) => ms / 1000);
  };
  it("a 2.5 s stop: a read just before the expected end, then one at it", () => {
    assert.deepEqual(schedule(2.5, 2.5), [2.25, 2.5]);
  });
  it("a 45 s stop: sparse probes, then reads 2.25 s apart near the end", () => {
    assert.deepEqual(schedule(45, 45), [5, 10, 15, 20, 25, 30, 35, 40, 42.75, 45]);
  });
  it("a transition later than expected: the reads spread out with the lateness, up to pollSeconds", () => {
    assert.deepEqual(schedule(2.5, 12), [2.25, 2.5, 2.75, 3, 3.25, 3.625, 4.1875, 5.03125, 6.296875, 8.1953125, 11.04296875, 15.314453125]);
  });
});

describe("retryDelayMs", () => {
  const base = { attemptNumber: 1, policy: RETRY_POLICIES.specChange, nowMs: 1_000_000, random: () => 0, cooldownMs: 300_000 };
  it("backoff doubles, is jittered between half and full, and is capped", () => {
    assert.equal(retryDelayMs({ ...base, action: "backoff" }), 1000);
    assert.equal(retryDelayMs({ ...base, action: "backoff", random: () => 1 }), 2000);
    assert.equal(retryDelayMs({ ...base, action: "verifyThenBackoff", attemptNumber: 3, random: () => 1 }), 8000);
    assert.equal(retryDelayMs({ ...base, action: "backoff", attemptNumber: 20, random: () => 1 }), 60_000);
  });
  it("cooldown: exactly until the known end", () => {
    assert.equal(retryDelayMs({ ...base, action: "waitCooldown", cooldownEndMs: 1_123_456 }), 123_456);
  });
  it("cooldown of an unknown change: backoff, but never past the latest possible end", () => {
    assert.equal(retryDelayMs({ ...base, action: "waitCooldown", attemptNumber: 8, random: () => 1, throttledSinceMs: 1_000_000 - 299_000 }), 1000);
  });
});
