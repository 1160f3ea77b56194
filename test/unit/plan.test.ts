/**
 * The planner, table-driven and pure: every combination of items and statuses, every refusal, the
 * order it picks and why, the cooldown arithmetic, tokens and the human lines.
 */
import assert from "node:assert/strict";
import { clientTokenFor, plan, type Plan, type PlanContext, type Step } from "../../provider/plan";
import { describePlan } from "../../provider/describe";
import { parseDesiredSpec, type DesiredSpec, type DesiredSpecInput } from "../../provider/schema";
import type { InstanceSnapshot, InstanceStatus } from "../../provider/model";
import { snapshot } from "../helpers/snapshot";

const NOW = new Date("2030-01-01T00:00:00Z");
// The stop may overlap a cooldown by its whole estimate here, to check the timeline arithmetic;
// the conservative default lead has tests of its own below.
const EST = { stopSeconds: 30, startSeconds: 40, modifySeconds: 5, stopLeadSeconds: 30 };


function spec(over: Partial<DesiredSpecInput> = {}): DesiredSpec {
  const r = parseDesiredSpec({ instanceId: "i-web", regionId: "cn-hangzhou", ...over });
  if (!r.ok) throw new Error(JSON.stringify(r.failures));
  return r.value;
}

const TYPE = { instanceType: "ecs.g6.xlarge" };
const BW = { internetMaxBandwidthOut: 20, internetMaxBandwidthIn: 150 };
const TEMP = { temporaryBandwidth: { startTime: "2030-01-02T00:00:00Z", endTime: "2030-01-02T06:00:00Z", internetMaxBandwidthOut: 50 } };

function ok(p: Plan) {
  assert.equal(p.kind, "ok", p.kind === "refused" ? JSON.stringify(p.refusals) : "");
  return p as Extract<Plan, { kind: "ok" }>;
}

/** The plan's steps reduced to a readable shape: kind plus the interesting numbers. */
function shape(steps: readonly Step[]): string[] {
  return steps.map((s) => {
    switch (s.kind) {
      case "waitCooldown":
        return `wait ${s.expectedSeconds}${s.leadSeconds ? ` lead ${s.leadSeconds}` : ""}`;
      case "waitStatus":
        return `waitStatus ${s.until}`;
      case "stop":
        return `stop ${s.stoppedMode}`;
      case "start":
        return "start";
      case "modifyType":
        return `type ${s.instanceType} (${s.whileStatus})`;
      case "modifyBandwidth":
        return `bw${s.out ? ` out ${s.out.to}` : ""}${s.in ? ` in ${s.in.to}` : ""} (${s.whileStatus})`;
      case "modifyTemporaryBandwidth":
        return `temp ${s.out} (${s.whileStatus})`;
      case "modifyPrepayType":
        return `prepay ${s.instanceType} ${s.direction}${s.operatorTypeKnown ? "" : "?"}${s.restarts ? " restarts" : ""} (${s.whileStatus})`;
      case "modifyNetworkSpec":
        return `net${s.out ? ` out ${s.out.to}` : ""}${s.in ? ` in ${s.in.to}` : ""} ${s.direction} (${s.whileStatus})`;
      case "modifyNetworkTemporary":
        return `net temp ${s.out} (${s.whileStatus})`;
    }
  });
}

const ctx = (over: Partial<PlanContext> = {}): PlanContext => ({ now: NOW, estimates: EST, ...over });

describe("plan: every combination of items and settled statuses", () => {
  // C = 300, S = 30, T = 40, M = 5.
  const cases: { name: string; status: InstanceStatus; desired: Partial<DesiredSpecInput>; steps: string[]; downtime: number; duration: number }[] = [
    { name: "nothing to change, Running", status: "Running", desired: {}, steps: [], downtime: 0, duration: 0 },
    { name: "nothing to change, Stopped", status: "Stopped", desired: {}, steps: [], downtime: 0, duration: 0 },
    { name: "same values, Running", status: "Running", desired: { instanceType: "ecs.g6.large", internetMaxBandwidthOut: 5, internetMaxBandwidthIn: 100 }, steps: [], downtime: 0, duration: 0 },
    { name: "bandwidth, Running", status: "Running", desired: BW, steps: ["bw out 20 in 150 (Running)"], downtime: 0, duration: 5 },
    { name: "bandwidth in only, Running", status: "Running", desired: { internetMaxBandwidthIn: 150 }, steps: ["bw in 150 (Running)"], downtime: 0, duration: 5 },
    { name: "bandwidth, Stopped", status: "Stopped", desired: BW, steps: ["bw out 20 in 150 (Stopped)"], downtime: 0, duration: 5 },
    { name: "temporary, Running", status: "Running", desired: TEMP, steps: ["temp 50 (Running)"], downtime: 0, duration: 5 },
    { name: "temporary, Stopped", status: "Stopped", desired: TEMP, steps: ["temp 50 (Stopped)"], downtime: 0, duration: 5 },
    {
      name: "type, Running: stop, change, start at once",
      status: "Running",
      desired: TYPE,
      steps: ["stop KeepCharging", "type ecs.g6.xlarge (Stopped)", "start"],
      downtime: 75,
      duration: 75,
    },
    { name: "type, Stopped: stays Stopped", status: "Stopped", desired: TYPE, steps: ["type ecs.g6.xlarge (Stopped)"], downtime: 0, duration: 5 },
    {
      // Type first: stop (30) on the critical path, start (40) hidden in the cooldown.
      // Bandwidth first would hide the stop but put the longer start last: 5+300+5+40 = 350 > 340.
      name: "type + bandwidth, Running: type first (start hidden in the cooldown)",
      status: "Running",
      desired: { ...TYPE, ...BW },
      steps: ["stop KeepCharging", "type ecs.g6.xlarge (Stopped)", "start", "wait 260", "bw out 20 in 150 (Running)"],
      downtime: 75,
      duration: 340,
    },
    {
      name: "type + bandwidth, Stopped",
      status: "Stopped",
      desired: { ...TYPE, ...BW },
      steps: ["type ecs.g6.xlarge (Stopped)", "wait 300", "bw out 20 in 150 (Stopped)"],
      downtime: 0,
      duration: 310,
    },
    {
      name: "type + temporary, Running",
      status: "Running",
      desired: { ...TYPE, ...TEMP },
      steps: ["stop KeepCharging", "type ecs.g6.xlarge (Stopped)", "start", "wait 260", "temp 50 (Running)"],
      downtime: 75,
      duration: 340,
    },
    {
      name: "bandwidth + temporary, Running",
      status: "Running",
      desired: { ...BW, ...TEMP },
      steps: ["bw out 20 in 150 (Running)", "wait 300", "temp 50 (Running)"],
      downtime: 0,
      duration: 310,
    },
    {
      name: "bandwidth + temporary, Stopped",
      status: "Stopped",
      desired: { ...BW, ...TEMP },
      steps: ["bw out 20 in 150 (Stopped)", "wait 300", "temp 50 (Stopped)"],
      downtime: 0,
      duration: 310,
    },
    {
      // The type change between the two others: the stop hides in the first cooldown's tail, the
      // start in the second cooldown; the instance is never stopped while a cooldown runs.
      name: "type + bandwidth + temporary, Running: type in the middle",
      status: "Running",
      desired: { ...TYPE, ...BW, ...TEMP },
      steps: [
        "bw out 20 in 150 (Running)",
        "wait 270 lead 30",
        "stop KeepCharging",
        "type ecs.g6.xlarge (Stopped)",
        "start",
        "wait 260",
        "temp 50 (Running)",
      ],
      downtime: 75,
      duration: 615,
    },
    {
      name: "type + bandwidth + temporary, Stopped",
      status: "Stopped",
      desired: { ...TYPE, ...BW, ...TEMP },
      steps: ["type ecs.g6.xlarge (Stopped)", "wait 300", "bw out 20 in 150 (Stopped)", "wait 300", "temp 50 (Stopped)"],
      downtime: 0,
      duration: 615,
    },
    {
      name: "bandwidth, Starting: wait for Running first",
      status: "Starting",
      desired: BW,
      steps: ["waitStatus Running", "bw out 20 in 150 (Running)"],
      downtime: 0,
      duration: 45,
    },
    {
      name: "type, Starting: wait for Running, then stop",
      status: "Starting",
      desired: TYPE,
      steps: ["waitStatus Running", "stop KeepCharging", "type ecs.g6.xlarge (Stopped)", "start"],
      downtime: 75,
      duration: 115,
    },
    {
      name: "type + bandwidth, Stopping: wait for Stopped, stays Stopped",
      status: "Stopping",
      desired: { ...TYPE, ...BW },
      steps: ["waitStatus Stopped", "type ecs.g6.xlarge (Stopped)", "wait 300", "bw out 20 in 150 (Stopped)"],
      downtime: 0,
      duration: 340,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      // GIVEN an instance in status c.status WHEN planning c.desired
      const p = ok(plan(snapshot({ status: c.status }), spec(c.desired), ctx()));
      // THEN exactly these steps, this downtime and this duration
      assert.deepEqual(shape(p.steps), c.steps);
      assert.equal(p.expectedDowntimeSeconds, c.downtime);
      assert.equal(p.expectedDurationSeconds, c.duration);
      assert.equal(p.stopsInstance, c.steps.some((s) => s.startsWith("stop")));
    });
  }

  it("Pending is refused as not settled, whatever is asked", () => {
    for (const d of [{}, BW, TYPE]) {
      const p = plan(snapshot({ status: "Pending" }), spec(d), ctx());
      assert.equal(p.kind, "refused");
      assert.deepEqual(p.kind === "refused" && p.refusals.map((r) => r.code), ["NotSettled"]);
    }
  });

  it("stoppedMode StopCharging is passed to the stop", () => {
    const p = ok(plan(snapshot(), spec({ ...TYPE, stoppedMode: "StopCharging" }), ctx()));
    assert.deepEqual(shape(p.steps).slice(0, 1), ["stop StopCharging"]);
  });

  it("with equal stop and start times, type + bandwidth ties and the type goes first", () => {
    const p = ok(plan(snapshot(), spec({ ...TYPE, ...BW }), ctx({ estimates: { stopSeconds: 40, startSeconds: 40, modifySeconds: 5, stopLeadSeconds: 40 } })));
    assert.deepEqual(shape(p.steps), ["stop KeepCharging", "type ecs.g6.xlarge (Stopped)", "start", "wait 260", "bw out 20 in 150 (Running)"]);
  });

  it("when the stop is much slower than the start, bandwidth goes first and the stop hides in the cooldown", () => {
    const p = ok(plan(snapshot(), spec({ ...TYPE, ...BW }), ctx({ estimates: { stopSeconds: 120, startSeconds: 20, modifySeconds: 5, stopLeadSeconds: 120 } })));
    assert.deepEqual(shape(p.steps), ["bw out 20 in 150 (Running)", "wait 180 lead 120", "stop KeepCharging", "type ecs.g6.xlarge (Stopped)", "start"]);
    assert.equal(p.expectedDurationSeconds, 330);
  });
});

describe("plan: how far a stop may overlap a cooldown", () => {
  it("by default only the short end of stop times (15 s), so a fast stop cannot leave the instance waiting stopped", () => {
    // GIVEN a change 100 s ago (cooldown 300) and the default estimates (stop 45, start 45, modify 5, lead 15)
    const p = ok(plan(snapshot(), spec(TYPE), { now: NOW, lastChangeAt: new Date(NOW.getTime() - 100_000) }));
    // THEN the stop is sent 15 s before the cooldown ends (not 45): a stop of 15 s or more ends after it
    assert.deepEqual(shape(p.steps), ["wait 185 lead 15", "stop KeepCharging", "type ecs.g6.xlarge (Stopped)", "start"]);
    // AND the downtime is stop + modify + start; the 30 s the stop did not overlap are wall time only
    assert.equal(p.expectedDowntimeSeconds, 95);
    assert.equal(p.expectedDurationSeconds, 185 + 45 + 5 + 45);
  });

  it("never more than the stop itself takes", () => {
    const p = ok(plan(snapshot(), spec(TYPE), ctx({ lastChangeAt: new Date(NOW.getTime() - 100_000), estimates: { ...EST, stopSeconds: 10, stopLeadSeconds: 60 } })));
    assert.deepEqual(shape(p.steps).slice(0, 2), ["wait 190 lead 10", "stop KeepCharging"]);
  });
});

describe("plan: the cooldown of an earlier change", () => {
  it("a bandwidth change waits out the rest of the cooldown while running", () => {
    // GIVEN a change 100 s ago (cooldown 300) WHEN planning a bandwidth change
    const p = ok(plan(snapshot(), spec(BW), ctx({ lastChangeAt: new Date(NOW.getTime() - 100_000) })));
    // THEN wait exactly the remaining 200 s, then change
    assert.deepEqual(shape(p.steps), ["wait 200", "bw out 20 in 150 (Running)"]);
    assert.equal(p.expectedDurationSeconds, 205);
  });

  it("a type change starts stopping right before the cooldown ends (never stopped through it)", () => {
    const p = ok(plan(snapshot(), spec({ ...TYPE, ...BW }), ctx({ lastChangeAt: new Date(NOW.getTime() - 100_000) })));
    // 200 s left: wait 170, stop 30 ends exactly as the cooldown does; the start hides in the next one.
    assert.deepEqual(shape(p.steps), ["wait 170 lead 30", "stop KeepCharging", "type ecs.g6.xlarge (Stopped)", "start", "wait 260", "bw out 20 in 150 (Running)"]);
    assert.equal(p.expectedDowntimeSeconds, 75);
    assert.equal(p.expectedDurationSeconds, 510);
  });

  it("a cooldown that has ended costs nothing; cooldownSeconds comes from the spec", () => {
    const p = ok(plan(snapshot(), spec({ ...BW, ...TEMP, cooldownSeconds: 60 }), ctx({ lastChangeAt: new Date(NOW.getTime() - 61_000) })));
    assert.deepEqual(shape(p.steps), ["bw out 20 in 150 (Running)", "wait 60", "temp 50 (Running)"]);
  });
});

describe("plan: state carried across runs", () => {
  it("startWhenDone on a Stopped instance: change the type, start at once, the rest while running", () => {
    const p = ok(plan(snapshot({ status: "Stopped" }), spec({ ...TYPE, ...BW }), ctx({ startWhenDone: true })));
    assert.deepEqual(shape(p.steps), ["type ecs.g6.xlarge (Stopped)", "start", "wait 260", "bw out 20 in 150 (Running)"]);
    assert.equal(p.expectedDowntimeSeconds, 45);
  });

  it("startWhenDone with nothing else to do: only start", () => {
    const p = ok(plan(snapshot({ status: "Stopped" }), spec({}), ctx({ startWhenDone: true })));
    assert.deepEqual(shape(p.steps), ["start"]);
  });

  it("startWhenDone and bandwidth only: start first, change while running", () => {
    const p = ok(plan(snapshot({ status: "Stopped" }), spec(BW), ctx({ startWhenDone: true })));
    assert.deepEqual(shape(p.steps), ["start", "bw out 20 in 150 (Running)"]);
    assert.equal(p.expectedDowntimeSeconds, 40);
  });

  it("a pending type change (accepted while Stopped) is not sent again", () => {
    const p = ok(plan(snapshot({ status: "Stopped" }), spec(TYPE), ctx({ pendingInstanceType: "ecs.g6.xlarge" })));
    assert.deepEqual(p.steps, []);
  });

  it("an applied temporary window is not sent again; a different one is", () => {
    const applied = TEMP.temporaryBandwidth;
    assert.deepEqual(ok(plan(snapshot(), spec(TEMP), ctx({ appliedTemporaryBandwidth: applied }))).steps, []);
    const other = ok(plan(snapshot(), spec(TEMP), ctx({ appliedTemporaryBandwidth: { ...applied, internetMaxBandwidthOut: 40 } })));
    assert.deepEqual(shape(other.steps), ["temp 50 (Running)"]);
  });

  it("inside an applied window the reported out is the temporary one and is not 'corrected'", () => {
    const applied = { startTime: "2029-12-31T23:00:00Z", endTime: "2030-01-01T06:00:00Z", internetMaxBandwidthOut: 50 };
    const p = ok(plan(snapshot({ internetMaxBandwidthOut: 50 }), spec({ internetMaxBandwidthOut: 20, temporaryBandwidth: applied }), ctx({ appliedTemporaryBandwidth: applied })));
    assert.deepEqual(p.steps, []);
  });

  it("a window not above the current out is ordered after the bandwidth change that lowers it", () => {
    // Current out 60; target out 20, window 50: the window is accepted only once out is below 50.
    const p = ok(plan(snapshot({ internetMaxBandwidthOut: 60 }), spec({ internetMaxBandwidthOut: 20, ...TEMP }), ctx()));
    assert.deepEqual(shape(p.steps), ["bw out 20 (Running)", "wait 300", "temp 50 (Running)"]);
  });
});

describe("plan: refusals, before anything is touched", () => {
  const refusals: { name: string; snap: Partial<InstanceSnapshot>; desired: Partial<DesiredSpecInput>; ctx?: Partial<PlanContext>; codes: string[]; field?: string }[] = [
    { name: "PrePaid, an order to pay and no autoPay", snap: { instanceChargeType: "PrePaid" }, desired: BW, codes: ["AutoPayUndecided"], field: "autoPay" },
    { name: "EIP-bound, bandwidth", snap: { eipAllocationId: "eip-1" }, desired: BW, codes: ["EipBound"], field: "internetMaxBandwidthOut" },
    { name: "EIP-bound, inbound only", snap: { eipAllocationId: "eip-1" }, desired: { internetMaxBandwidthIn: 150 }, codes: ["EipBound"], field: "internetMaxBandwidthIn" },
    { name: "EIP-bound, temporary", snap: { eipAllocationId: "eip-1" }, desired: TEMP, codes: ["EipBound"], field: "temporaryBandwidth" },
    { name: "local disks, type", snap: { hasLocalDisks: true }, desired: TYPE, codes: ["LocalDisks"], field: "instanceType" },
    { name: "local disks from DescribeDisks (context)", snap: {}, desired: TYPE, ctx: { hasLocalDisks: true }, codes: ["LocalDisks"] },
    { name: "dedicated host, type", snap: { dedicatedHostId: "dh-1" }, desired: TYPE, codes: ["DedicatedHost"], field: "instanceType" },
    { name: "security lock", snap: { operationLocks: ["security"] }, desired: BW, codes: ["SecurityLock"] },
    { name: "financial lock", snap: { operationLocks: ["financial"] }, desired: BW, codes: ["Locked"] },
    { name: "type not offered", snap: {}, desired: TYPE, ctx: { availableTypes: ["ecs.g6.2xlarge", "ecs.c6.large"] }, codes: ["TypeNotOffered"], field: "instanceType" },
    { name: "stop needed, allowStop false", snap: {}, desired: { ...TYPE, allowStop: false }, codes: ["StopNotAllowed"], field: "allowStop" },
    { name: "stop needed while Starting, allowStop false", snap: { status: "Starting" }, desired: { ...TYPE, allowStop: false }, codes: ["StopNotAllowed"] },
    { name: "window already over", snap: {}, desired: { temporaryBandwidth: { startTime: "2029-12-31T00:00:00Z", endTime: "2029-12-31T06:00:00Z", internetMaxBandwidthOut: 50 } }, codes: ["TemporaryWindowPast"], field: "temporaryBandwidth.endTime" },
    { name: "window not above the bandwidth", snap: { internetMaxBandwidthOut: 60 }, desired: TEMP, codes: ["TemporaryNotUpgrade"] },
    { name: "region mismatch", snap: { regionId: "cn-beijing" }, desired: BW, codes: ["RegionMismatch"], field: "regionId" },
    {
      name: "several at once",
      snap: { instanceChargeType: "PrePaid", eipAllocationId: "eip-1", dedicatedHostId: "dh-1", operationLocks: ["security"] },
      desired: { ...TYPE, ...BW },
      codes: ["AutoPayUndecided", "SecurityLock", "EipBound", "DedicatedHost"],
    },
  ];
  for (const c of refusals) {
    it(c.name, () => {
      const p = plan(snapshot(c.snap), spec(c.desired), ctx(c.ctx));
      assert.equal(p.kind, "refused");
      if (p.kind !== "refused") return;
      assert.deepEqual(p.refusals.map((r) => r.code), c.codes);
      if (c.field) assert.equal(p.refusals[0]!.field, c.field);
      for (const r of p.refusals) assert.ok(r.message.length > 40 && /;|:/.test(r.message), r.message);
    });
  }

  it("no refusal when nothing needs to change (PrePaid, EIP, locked instance already matching)", () => {
    const s = snapshot({ instanceChargeType: "PrePaid", eipAllocationId: "eip-1", operationLocks: ["security"] });
    assert.deepEqual(ok(plan(s, spec({ internetMaxBandwidthOut: 5 }), ctx())).steps, []);
  });

  it("what is allowed stays allowed: bandwidth on local-disk, dedicated-host and type-offered instances", () => {
    assert.equal(plan(snapshot({ hasLocalDisks: true, dedicatedHostId: "dh-1" }), spec(BW), ctx()).kind, "ok");
    assert.equal(plan(snapshot({ eipAllocationId: "eip-1" }), spec(TYPE), ctx({ availableTypes: ["ecs.g6.xlarge"] })).kind, "ok");
    assert.equal(plan(snapshot({ status: "Stopped" }), spec({ ...TYPE, allowStop: false }), ctx()).kind, "ok");
  });

  it("the TypeNotOffered message lists what is offered and suggests allowMigrateAcrossZone", () => {
    const p = plan(snapshot(), spec(TYPE), ctx({ availableTypes: ["ecs.g6.2xlarge", "ecs.c6.large"] }));
    assert.match(p.kind === "refused" ? p.refusals[0]!.message : "", /pick one of: ecs\.g6\.2xlarge, ecs\.c6\.large, or set allowMigrateAcrossZone: true/);
  });
});

describe("plan: determinism, tokens and the human lines", () => {
  it("is deterministic: same input, same plan (tokens included)", () => {
    const a = plan(snapshot(), spec({ ...TYPE, ...BW, ...TEMP }), ctx());
    const b = plan(snapshot(), spec({ ...TYPE, ...BW, ...TEMP }), ctx());
    assert.deepEqual(a, b);
  });

  it("ClientTokens: ≤ 64 ASCII chars, distinct per step, and different for another change or another last change", () => {
    const steps = ok(plan(snapshot(), spec({ ...TYPE, ...BW, ...TEMP }), ctx())).steps;
    const tokens = steps.flatMap((s) => ("clientToken" in s ? [s.clientToken] : []));
    assert.equal(tokens.length, 3);
    assert.equal(new Set(tokens).size, 3);
    for (const t of tokens) assert.match(t, /^[\x21-\x7e]{1,64}$/);
    const other = ok(plan(snapshot(), spec({ internetMaxBandwidthOut: 21, internetMaxBandwidthIn: 150 }), ctx())).steps[0]!;
    const same = ok(plan(snapshot(), spec(BW), ctx())).steps[0]!;
    const later = ok(plan(snapshot(), spec(BW), ctx({ lastChangeAt: new Date("2029-01-01T00:00:00Z") }))).steps[0]!;
    assert.ok("clientToken" in same && "clientToken" in other && "clientToken" in later);
    assert.notEqual(same.clientToken, other.clientToken);
    assert.notEqual(same.clientToken, later.clientToken);
    assert.equal(same.clientToken, clientTokenFor("i-web", { kind: "modifyBandwidth", out: { from: 5, to: 20 }, in: { from: 100, to: 150 } }, undefined));
  });

  it("describePlan: numbered lines, the stop called out, downtime and total", () => {
    const lines = describePlan(plan(snapshot(), spec({ ...TYPE, ...BW, ...TEMP }), ctx()));
    assert.deepEqual(lines, [
      "1. ModifyInstanceSpec InternetMaxBandwidthOut 5 → 20, InternetMaxBandwidthIn 100 → 150 (running)",
      "2. wait cooldown 4:30 (running; the stop overlaps the last 0:30)",
      "3. StopInstance (KeepCharging) — instance will be STOPPED ~0:30",
      "4. ModifyInstanceSpec InstanceType ecs.g6.large → ecs.g6.xlarge (stopped)",
      "5. StartInstance — instance RUNNING again after ~0:40",
      "6. wait cooldown 4:20",
      "7. ModifyInstanceSpec Temporary.InternetMaxBandwidthOut 50 from 2030-01-02T00:00:00Z to 2030-01-02T06:00:00Z (running)",
      "before step 1 the instance is tagged pulumi-ecs-spec:restore-status=Running (removed once it runs again), so that an interrupted run is finished by the next one; this needs ecs:TagResources and ecs:UntagResources — without them a first up is refused before anything is touched",
      "expected downtime ~1:15, expected total ~10:15",
    ]);
  });

  it("describePlan: no changes, refusals", () => {
    assert.deepEqual(describePlan(plan(snapshot(), spec({}), ctx())), ["no changes: the instance already matches the desired spec"]);
    const r = describePlan(plan(snapshot({ instanceChargeType: "PrePaid" }), spec(BW), ctx()));
    assert.equal(r.length, 1);
    assert.match(r[0]!, /^refused \(AutoPayUndecided, autoPay\): i-web is a subscription instance: the bandwidth upgrade creates an order that costs money/);
  });
});

describe("plan: a temporary window against the clock", () => {
  const at = (offsetSeconds: number) => new Date(NOW.getTime() + offsetSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  const begunWindow = { startTime: at(-3600), endTime: at(3600), internetMaxBandwidthOut: 50 };

  it("a window that has begun is planned from now to its end, and the preview says so", () => {
    // GIVEN a window that began an hour ago and ends in an hour
    const p = ok(plan(snapshot(), spec({ temporaryBandwidth: begunWindow }), ctx()));
    // THEN one step, marked begun, keeping the desired times (the start sent is settled at send time)
    const step = p.steps[0]!;
    assert.ok(step.kind === "modifyTemporaryBandwidth");
    assert.equal(step.begun, true);
    assert.equal(step.startTime, "2029-12-31T23:00:00Z");
    assert.deepEqual(describePlan(p), [
      "1. ModifyInstanceSpec Temporary.InternetMaxBandwidthOut 50 from now (the window began at 2029-12-31T23:00:00Z) to 2030-01-01T01:00:00Z (running)",
      "expected downtime ~0:00, expected total ~0:05",
    ]);
  });

  it("the same desired window gets the same ClientToken before and after it began", () => {
    const before = ok(plan(snapshot(), spec({ temporaryBandwidth: begunWindow }), ctx({ now: new Date(NOW.getTime() - 7200_000) }))).steps[0]!;
    const after = ok(plan(snapshot(), spec({ temporaryBandwidth: begunWindow }), ctx())).steps[0]!;
    assert.ok(before.kind === "modifyTemporaryBandwidth" && after.kind === "modifyTemporaryBandwidth");
    assert.equal(before.begun, undefined);
    assert.equal(after.clientToken, before.clientToken);
  });

  it("a begun window recorded as applied from when it was sent is not sent again (a re-run is a no-op)", () => {
    // GIVEN the window was sent 10 minutes ago, when it had already begun: the record starts then
    const applied = { ...begunWindow, startTime: at(-600) };
    // THEN planning the same desired window again finds nothing to do
    assert.deepEqual(ok(plan(snapshot({ internetMaxBandwidthOut: 50 }), spec({ temporaryBandwidth: begunWindow }), ctx({ appliedTemporaryBandwidth: applied }))).steps, []);
    // AND so does any other begun start with the same end and bandwidth
    assert.deepEqual(ok(plan(snapshot({ internetMaxBandwidthOut: 50 }), spec({ temporaryBandwidth: { ...begunWindow, startTime: at(-60) } }), ctx({ appliedTemporaryBandwidth: applied }))).steps, []);
  });

  it("but a record that has not begun, another end or another bandwidth is sent again", () => {
    const cases = [
      { ...begunWindow, startTime: at(600) },
      { ...begunWindow, startTime: at(-600), endTime: at(7200) },
      { ...begunWindow, startTime: at(-600), internetMaxBandwidthOut: 40 },
    ];
    for (const applied of cases) {
      const p = ok(plan(snapshot(), spec({ temporaryBandwidth: begunWindow }), ctx({ appliedTemporaryBandwidth: applied })));
      assert.deepEqual(shape(p.steps), ["temp 50 (Running)"], JSON.stringify(applied));
    }
  });

  it("a window more than 365 days ahead is refused on the field at fault", () => {
    // GIVEN a typo in the year: the whole window is ten years ahead
    const far = plan(snapshot(), spec({ temporaryBandwidth: { startTime: "2040-01-01T00:00:00Z", endTime: "2040-01-02T00:00:00Z", internetMaxBandwidthOut: 50 } }), ctx());
    assert.equal(far.kind, "refused");
    assert.deepEqual(far.kind === "refused" && far.refusals, [
      {
        code: "TemporaryWindowTooFar",
        field: "temporaryBandwidth.startTime",
        message: "temporaryBandwidth.startTime (2040-01-01T00:00:00Z) is more than 365 days ahead; set a window that ends by 2031-01-01T00:00:00Z (is the year right?)",
      },
    ]);
    // AND a window that starts soon but ends too far is refused on its end; one ending on the last day is fine
    const long = plan(snapshot(), spec({ temporaryBandwidth: { startTime: at(60), endTime: "2031-01-01T00:00:01Z", internetMaxBandwidthOut: 50 } }), ctx());
    assert.deepEqual(long.kind === "refused" && long.refusals.map((r) => [r.code, r.field]), [["TemporaryWindowTooFar", "temporaryBandwidth.endTime"]]);
    assert.equal(plan(snapshot(), spec({ temporaryBandwidth: { startTime: at(60), endTime: "2031-01-01T00:00:00Z", internetMaxBandwidthOut: 50 } }), ctx()).kind, "ok");
  });

  it("a window that ends soon goes first when the usual order would reach it too late", () => {
    // GIVEN a type change (which usually goes first) and a window that ends in 2 minutes
    const p = ok(plan(snapshot(), spec({ ...TYPE, temporaryBandwidth: { startTime: at(-60), endTime: at(120), internetMaxBandwidthOut: 50 } }), ctx()));
    // THEN the window is sent at once, and the type change waits for its cooldown
    assert.deepEqual(shape(p.steps), ["temp 50 (Running)", "wait 270 lead 30", "stop KeepCharging", "type ecs.g6.xlarge (Stopped)", "start"]);
  });

  it("a window that would be over before the plan reaches it is refused before anything is touched", () => {
    // GIVEN out 60 → 20 and a 50 Mbit/s window ending in 2 minutes: the window can only go after the
    // bandwidth change and its 5-minute cooldown
    const p = plan(snapshot({ internetMaxBandwidthOut: 60 }), spec({ internetMaxBandwidthOut: 20, temporaryBandwidth: { startTime: at(-60), endTime: at(120), internetMaxBandwidthOut: 50 } }), ctx());
    // THEN refused on the end, with the time the plan would reach it
    assert.equal(p.kind, "refused");
    assert.deepEqual(p.kind === "refused" && p.refusals, [
      {
        code: "TemporaryWindowEndsFirst",
        field: "temporaryBandwidth.endTime",
        message:
          "temporaryBandwidth ends at 2030-01-01T00:02:00Z, but this plan reaches the window only at about 2030-01-01T00:05:05Z " +
          "(after the changes and cooldowns before it); set a later endTime, or remove temporaryBandwidth",
      },
    ]);
  });
});

describe("plan: subscription (PrePaid) instances", () => {
  // C = 300, S = 30, T = 40, order 10 (the default estimate).
  const PRE = { instanceChargeType: "PrePaid" as const, expiredTime: "2031-01-01T00:00Z" };
  const CATALOGUE = { availableTypes: ["ecs.c6.large", "ecs.g6.xlarge"], downgradeTypes: ["ecs.c6.large"] };
  const UP = { instanceType: "ecs.g6.xlarge", autoPay: true };
  const DOWN = { instanceType: "ecs.c6.large" };

  const cases: { name: string; snap: Partial<InstanceSnapshot>; desired: Partial<DesiredSpecInput>; ctx?: Partial<PlanContext>; steps: string[]; downtime: number; stops: boolean; restarts?: true }[] = [
    { name: "upgrade of a running instance: one call while Running, one ECS restart, no stop", snap: PRE, desired: UP, ctx: CATALOGUE, steps: ["prepay ecs.g6.xlarge upgrade restarts (Running)"], downtime: 70, stops: false, restarts: true },
    { name: "downgrade of a running instance: stop, the call while Stopped, start", snap: PRE, desired: DOWN, ctx: CATALOGUE, steps: ["stop KeepCharging", "prepay ecs.c6.large downgrade (Stopped)", "start"], downtime: 80, stops: true },
    { name: "upgrade of a stopped instance: the call while Stopped, and it stays Stopped", snap: { ...PRE, status: "Stopped" }, desired: UP, ctx: CATALOGUE, steps: ["prepay ecs.g6.xlarge upgrade (Stopped)"], downtime: 0, stops: false },
    { name: "direction unknown (no catalogue): planned stopped, the API judges it", snap: PRE, desired: UP, steps: ["stop KeepCharging", "prepay ecs.g6.xlarge downgrade? (Stopped)", "start"], downtime: 80, stops: true },
    { name: "bandwidth: ModifyInstanceNetworkSpec, no downtime", snap: PRE, desired: { internetMaxBandwidthOut: 20, autoPay: true }, steps: ["net out 20 upgrade (Running)"], downtime: 0, stops: false },
    { name: "a bandwidth downgrade needs no autoPay (a refund)", snap: PRE, desired: { internetMaxBandwidthOut: 2 }, steps: ["net out 2 downgrade (Running)"], downtime: 0, stops: false },
    {
      name: "upgrade and bandwidth: the upgrade first (its restart runs inside the interval), then the bandwidth",
      snap: PRE, desired: { ...UP, internetMaxBandwidthOut: 20 }, ctx: CATALOGUE,
      steps: ["prepay ecs.g6.xlarge upgrade restarts (Running)", "wait 230", "net out 20 upgrade (Running)"], downtime: 70, stops: false, restarts: true,
    },
    {
      name: "a temporary window on the minute and the hour",
      snap: PRE, desired: { autoPay: true, temporaryBandwidth: { startTime: "2030-01-02T00:00:00Z", endTime: "2030-01-02T06:00:00Z", internetMaxBandwidthOut: 50 } },
      steps: ["net temp 50 (Running)"], downtime: 0, stops: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const p = ok(plan(snapshot(c.snap), spec(c.desired), ctx(c.ctx)));
      assert.deepEqual(shape(p.steps), c.steps);
      assert.equal(p.expectedDowntimeSeconds, c.downtime);
      assert.equal(p.stopsInstance, c.stops);
      assert.equal(p.restartsInstance, c.restarts);
    });
  }

  const refusals: { name: string; snap: Partial<InstanceSnapshot>; desired: Partial<DesiredSpecInput>; ctx?: Partial<PlanContext>; codes: string[]; field: string }[] = [
    { name: "an upgrade nobody said how to pay", snap: PRE, desired: { instanceType: "ecs.g6.xlarge" }, ctx: CATALOGUE, codes: ["AutoPayUndecided"], field: "autoPay" },
    { name: "an expired subscription", snap: { ...PRE, expiredTime: "2029-12-31T00:00Z" }, desired: UP, ctx: CATALOGUE, codes: ["Expired"], field: "instanceId" },
    { name: "allowStop false: the restart of an upgrade is downtime too", snap: PRE, desired: { ...UP, allowStop: false }, ctx: CATALOGUE, codes: ["StopNotAllowed"], field: "allowStop" },
    { name: "allowStop false: a downgrade needs a stop", snap: PRE, desired: { ...DOWN, allowStop: false }, ctx: CATALOGUE, codes: ["StopNotAllowed"], field: "allowStop" },
    {
      name: "a window start with seconds", snap: PRE,
      desired: { autoPay: true, temporaryBandwidth: { startTime: "2030-01-02T00:00:30Z", endTime: "2030-01-02T06:00:00Z", internetMaxBandwidthOut: 50 } },
      codes: ["TemporaryWindowPrecision"], field: "temporaryBandwidth.startTime",
    },
    {
      name: "a window end off the hour", snap: PRE,
      desired: { autoPay: true, temporaryBandwidth: { startTime: "2030-01-02T00:00:00Z", endTime: "2030-01-02T06:30:00Z", internetMaxBandwidthOut: 50 } },
      codes: ["TemporaryWindowPrecision"], field: "temporaryBandwidth.endTime",
    },
    {
      name: "a window under 3 hours", snap: PRE,
      desired: { autoPay: true, temporaryBandwidth: { startTime: "2030-01-02T00:00:00Z", endTime: "2030-01-02T02:00:00Z", internetMaxBandwidthOut: 50 } },
      codes: ["TemporaryWindowTooShort"], field: "temporaryBandwidth.endTime",
    },
    {
      name: "a window past the subscription's end", snap: { ...PRE, expiredTime: "2030-01-02T03:00Z" },
      desired: { autoPay: true, temporaryBandwidth: { startTime: "2030-01-02T00:00:00Z", endTime: "2030-01-02T06:00:00Z", internetMaxBandwidthOut: 50 } },
      codes: ["TemporaryWindowBeyondExpiry"], field: "temporaryBandwidth.endTime",
    },
    {
      name: "a bandwidth downgrade and a window: the downgrade freezes the bandwidth for the cycle", snap: { ...PRE, internetMaxBandwidthOut: 10 },
      desired: { autoPay: true, internetMaxBandwidthOut: 5, temporaryBandwidth: { startTime: "2030-01-02T00:00:00Z", endTime: "2030-01-02T06:00:00Z", internetMaxBandwidthOut: 50 } },
      codes: ["DowngradeFreezesBandwidth"], field: "temporaryBandwidth",
    },
  ];
  for (const c of refusals) {
    it(`refused at preview: ${c.name}`, () => {
      const p = plan(snapshot(c.snap), spec(c.desired), ctx(c.ctx));
      assert.equal(p.kind, "refused");
      if (p.kind !== "refused") return;
      assert.deepEqual(p.refusals.map((r) => r.code), c.codes);
      assert.equal(p.refusals[0]!.field, c.field);
    });
  }

  it("a begun window is sent from the next whole minute, and refused when less than 3 hours are left by then", () => {
    // GIVEN a window that began an hour ago and ends in 2 h 30 min
    const desired = spec({ autoPay: true, temporaryBandwidth: { startTime: "2029-12-31T23:00:00Z", endTime: "2030-01-01T03:00:00Z", internetMaxBandwidthOut: 50 } });
    const p = plan(snapshot(PRE), desired, ctx({ now: new Date("2030-01-01T00:30:20Z") }));
    // THEN refused: from 00:31 to 03:00 is under 3 hours
    assert.equal(p.kind, "refused");
    assert.deepEqual(p.kind === "refused" && p.refusals.map((r) => r.code), ["TemporaryWindowTooShort"]);
  });

  it("the ClientToken of a subscription type change does not depend on the status (a re-plan after a kill reuses it)", () => {
    const running = ok(plan(snapshot(PRE), spec(UP), ctx(CATALOGUE))).steps.find((s) => s.kind === "modifyPrepayType")!;
    const stopped = ok(plan(snapshot({ ...PRE, status: "Stopped" }), spec(UP), ctx(CATALOGUE))).steps.find((s) => s.kind === "modifyPrepayType")!;
    assert.equal((running as { clientToken: string }).clientToken, (stopped as { clientToken: string }).clientToken);
  });

  it("describePlan shows the order, who pays it and the restart", () => {
    const lines = describePlan(plan(snapshot(PRE), spec(UP), ctx(CATALOGUE)));
    assert.match(lines[0]!, /^1\. ModifyPrepayInstanceSpec InstanceType ecs\.g6\.large → ecs\.g6\.xlarge \(upgrade, running: ONE ECS RESTART, no stop\) — order PAID by AutoPay/);
    assert.match(lines.join("\n"), /orders: 1 — 1 to pay \(AutoPay\), 0 refund/);
    assert.match(lines.at(-1)!, /expected downtime ~1:10 \(one ECS restart\)/);
    const refund = describePlan(plan(snapshot(PRE), spec(DOWN), ctx(CATALOGUE)));
    assert.match(refund.join("\n"), /REFUNDS the difference/);
    assert.match(refund.join("\n"), /0 to pay, 1 refund/);
  });
});
