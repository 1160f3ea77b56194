import assert from "node:assert/strict";
import { describeRollout } from "../../provider/fleet/describe";
import { parseFleetInputs } from "../../provider/fleet/options";
import { planRollout, resolveMaxUnavailable, type MemberInput, type RolloutRules } from "../../provider/fleet/plan";
import { RESTORE_MARKER_KEY, RESTORE_MARKER_VALUE } from "../../provider/marker";
import type { InstanceSnapshot } from "../../provider/model";
import { parseDesiredSpec, type DesiredSpecInput } from "../../provider/schema";
import { snapshot } from "../helpers/snapshot";

const NOW = new Date("2030-01-01T00:00:00Z");
const EST = { stopSeconds: 10, startSeconds: 10, modifySeconds: 1, stopLeadSeconds: 5, healthSeconds: 5 };
const RULES: RolloutRules = {
  maxUnavailable: 2,
  canary: { size: 0, bakeSeconds: 0 },
  maxFailures: 0,
  rollbackOnFailure: false,
  warmupSeconds: 4,
  healthTimeoutSeconds: 600,
};

function member(id: string, want: Partial<DesiredSpecInput> = {}, live: Partial<InstanceSnapshot> = {}, serving = live.status === undefined || live.status === "Running"): MemberInput {
  const parsed = parseDesiredSpec({ instanceId: id, regionId: "cn-hangzhou", cooldownSeconds: 60, ...want });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.failures));
  const actual = snapshot({ instanceId: id, ...live });
  const marker = actual.tags[RESTORE_MARKER_KEY] === RESTORE_MARKER_VALUE && actual.status === "Stopped";
  return { actual, desired: parsed.value, serving, ctx: { now: NOW, startWhenDone: marker } };
}

const fleet = (n: number, want: Partial<DesiredSpecInput> = { instanceType: "ecs.g6.xlarge" }) =>
  Array.from({ length: n }, (_, i) => member(`i-${String(i + 1).padStart(2, "0")}`, want));

function ok(p: ReturnType<typeof planRollout>) {
  if (p.kind !== "ok") throw new Error(`refused: ${describeRollout(p).join("\n")}`);
  return p;
}

describe("rollout planner", function () {
  it("resolves maxUnavailable: a count as it is, a percentage of the fleet rounded down, at least 1", function () {
    assert.deepEqual(
      [resolveMaxUnavailable(3, 10), resolveMaxUnavailable("25%", 10), resolveMaxUnavailable("10%", 50), resolveMaxUnavailable("1%", 10), resolveMaxUnavailable("100%", 7)],
      [3, 2, 5, 1, 7],
    );
  });

  it("splits 10 type changes with maxUnavailable 2 into 5 waves of 2, each after the last frees its slots", function () {
    // GIVEN 10 running instances that change type, maxUnavailable 2, no canary
    // WHEN planned
    const p = ok(planRollout(fleet(10), RULES, EST));
    // THEN 5 waves of 2, in order
    assert.deepEqual(p.waves, [["i-01", "i-02"], ["i-03", "i-04"], ["i-05", "i-06"], ["i-07", "i-08"], ["i-09", "i-10"]]);
    // AND each is down stop + modify + start = 21 s, not serving 21 + health 5 + warmup 4 = 30 s
    assert.deepEqual(new Set(p.members.map((m) => `${m.kind} ${m.downtimeSeconds} ${m.notServingSeconds}`)), new Set(["stop 21 30"]));
    // AND a wave starts when the last one serves again: at 0, 30, 60, 90, 120
    assert.deepEqual(p.members.map((m) => m.downAtSeconds), [0, 0, 30, 30, 60, 60, 90, 90, 120, 120]);
    // AND at most 2 are down; the total is the last wave's end (its bandwidth-free plan ends at its start)
    assert.equal(p.mostDownAtOnce, 2);
    assert.equal(p.expectedTotalSeconds, 150);
  });

  it("puts the canary alone in wave 1 and the rest after its bake", function () {
    const p = ok(planRollout(fleet(5), { ...RULES, canary: { size: 1, bakeSeconds: 20 } }, EST));
    assert.deepEqual(p.waves, [["i-01"], ["i-02", "i-03"], ["i-04", "i-05"]]);
    // canary down at 0, serving + warm at 30, baked at 50
    assert.deepEqual(p.members.map((m) => m.downAtSeconds), [0, 50, 50, 80, 80]);
    const lines = describeRollout(p);
    assert.ok(lines.some((l) => /^wave 1 \(canary, then bake 0:20\) at ~0:00: i-01$/.test(l)), lines.join("\n"));
    assert.ok(lines.some((l) => /^wave 2 at ~0:50: i-02, i-03$/.test(l)), lines.join("\n"));
  });

  it("skips instances that match, runs bandwidth-only ones without a slot, and the follow-up bandwidth outside the slot", function () {
    // GIVEN one already at the target, one needing only bandwidth, two needing type + bandwidth
    const want = { instanceType: "ecs.g6.xlarge", internetMaxBandwidthOut: 20 };
    const members = [
      member("i-match", want, { instanceType: "ecs.g6.xlarge", internetMaxBandwidthOut: 20 }),
      member("i-bw", want, { instanceType: "ecs.g6.xlarge" }),
      member("i-a", want),
      member("i-b", want),
    ];
    const p = ok(planRollout(members, { ...RULES, maxUnavailable: 1 }, EST));
    assert.deepEqual(p.members.map((m) => m.kind), ["skip", "noStop", "stop", "stop"]);
    // THEN only the two type changes take slots, one after the other
    assert.deepEqual(p.waves, [["i-a"], ["i-b"]]);
    // AND i-b goes down when i-a serves again, not after i-a's bandwidth change (60 s cooldown later)
    assert.equal(p.members[3]!.downAtSeconds, 30);
    // AND the total ends with i-b's bandwidth change after its cooldown: 30 + stop 10 + modify 1 + cooldown 60 + modify 1
    assert.equal(p.expectedTotalSeconds, 102);
    assert.equal(p.mostDownAtOnce, 1);
  });

  it("describes for review: bandwidth outside the slot, the changes without a stop, the skipped, the totals", function () {
    const want = { instanceType: "ecs.g6.xlarge", internetMaxBandwidthOut: 20 };
    const members = [member("i-match", want, { instanceType: "ecs.g6.xlarge", internetMaxBandwidthOut: 20 }), member("i-bw", want, { instanceType: "ecs.g6.xlarge" }), member("i-a", want)];
    const lines = describeRollout(ok(planRollout(members, { ...RULES, maxUnavailable: "50%" }, EST)));
    assert.deepEqual(lines.slice(0, 2), [
      "rollout of 3 instances: 1 stop for a type change, 1 change without a stop (no slot), 1 already match",
      "maxUnavailable 1 (50% of 3), 0 not serving now; maxFailures 0",
    ]);
    assert.deepEqual(lines.slice(4), [
      "wave 1 at ~0:00: i-a",
      "  i-a: ecs.g6.large → ecs.g6.xlarge, out 5 → 20 Mbit/s; down ~0:21 by stop/start, not serving ~0:30; bandwidth after the cooldown, outside the slot",
      "without a stop, from the start, outside the slots:",
      "  i-bw: out 5 → 20 Mbit/s",
      "already match, skipped: i-match",
      "per instance: down ~0:21, not serving ~0:30 (with health and warmup)",
      "expected: most not serving at once 1 (maxUnavailable 1), total ~1:12",
    ]);
  });

  it("counts instances already not serving against maxUnavailable", function () {
    // GIVEN a stopped instance nobody starts and a running one not serving yet, maxUnavailable 2
    const members = [
      member("i-stopped", {}, { status: "Stopped" }),
      member("i-sick", {}, {}, false),
      ...fleet(2),
    ];
    const p = ok(planRollout(members, RULES, EST));
    // THEN the first type change waits until the sick one is assumed serving (health + warmup = 9 s)
    assert.deepEqual(p.notServing, ["i-stopped", "i-sick"]);
    assert.deepEqual(p.waves, [["i-01"], ["i-02"]]);
    assert.deepEqual([p.members[2]!.downAtSeconds, p.members[3]!.downAtSeconds], [9, 39]);
    assert.equal(p.mostDownAtOnce, 2);
  });

  it("refuses a rollout that could never stop an instance: the stopped instances fill maxUnavailable", function () {
    const members = [member("i-s1", {}, { status: "Stopped" }), member("i-s2", {}, { status: "Stopped" }), ...fleet(1)];
    const p = planRollout(members, RULES, EST);
    assert.equal(p.kind, "refused");
    assert.match(describeRollout(p)[0]!, /maxUnavailable 2 leaves no room to stop i-01: 2 instance\(s\) of the fleet stay stopped/);
  });

  it("starts first, in a slot, an instance an interrupted rollout left stopped", function () {
    const stopped = member("i-killed", { instanceType: "ecs.g6.xlarge" }, { status: "Stopped", instanceType: "ecs.g6.xlarge", tags: { [RESTORE_MARKER_KEY]: RESTORE_MARKER_VALUE } }, false);
    const p = ok(planRollout([...fleet(2), stopped], RULES, EST));
    assert.deepEqual(p.members.map((m) => m.kind), ["stop", "stop", "restart"]);
    assert.deepEqual(p.waves, [["i-killed"], ["i-01"], ["i-02"]]);
    // the restart and the first stop share the 2 slots; the second waits for the restart to serve
    assert.deepEqual([p.members[2]!.downAtSeconds, p.members[0]!.downAtSeconds, p.members[1]!.downAtSeconds], [0, 0, 19]);
  });

  it("refuses per instance before anything is touched: a subscription order with autoPay undecided, EIP with bandwidth, local disks, duplicates", function () {
    const members = [
      member("i-ok", { instanceType: "ecs.g6.xlarge", internetMaxBandwidthOut: 20 }),
      member("i-prepaid", { instanceType: "ecs.g6.xlarge" }, { instanceChargeType: "PrePaid" }),
      member("i-eip", { internetMaxBandwidthOut: 20 }, { eipAllocationId: "eip-1" }),
      member("i-local", { instanceType: "ecs.g6.xlarge" }, { hasLocalDisks: true }),
      member("i-ok", { instanceType: "ecs.g6.xlarge" }),
    ];
    const p = planRollout(members, RULES, EST);
    assert.equal(p.kind, "refused");
    if (p.kind !== "refused") return;
    assert.deepEqual(
      p.refusals.map((r) => `${r.index} ${r.instanceId} ${r.refusal.code}`),
      ["4 i-ok InvalidRequest", "1 i-prepaid AutoPayUndecided", "2 i-eip EipBound", "3 i-local LocalDisks"],
    );
  });
});

describe("rollout planner with subscription instances", function () {
  /** A running subscription instance whose type catalogue offers ecs.g6.xlarge as an upgrade and ecs.c6.large as a downgrade. */
  function prepaid(id: string, want: Partial<DesiredSpecInput>): MemberInput {
    const m = member(id, want, { instanceChargeType: "PrePaid", expiredTime: "2031-01-01T00:00:00Z" });
    return { ...m, ctx: { ...m.ctx, availableTypes: ["ecs.g6.xlarge", "ecs.c6.large"], downgradeTypes: ["ecs.c6.large"] } };
  }
  const EST_ORDER = { ...EST, orderSeconds: 2 };

  it("an upgrade of a running subscription instance takes a slot for its order and the ECS restart, and the next instance waits for it", function () {
    // GIVEN a running subscription instance upgraded with autoPay, then a pay-as-you-go one, maxUnavailable 1
    const members = [prepaid("i-sub", { instanceType: "ecs.g6.xlarge", autoPay: true }), ...fleet(1)];
    // WHEN planned
    const p = ok(planRollout(members, { ...RULES, maxUnavailable: 1 }, EST_ORDER));
    // THEN the subscription instance takes a slot too, going down by the restart (no StopInstance in its plan)
    assert.deepEqual(p.members.map((m) => `${m.instanceId} ${m.kind} ${m.downBy}`), ["i-sub stop reboot", "i-01 stop stopStart"]);
    assert.deepEqual(p.members[0]!.plan.steps.map((s) => s.kind), ["modifyPrepayType"]);
    assert.deepEqual(p.waves, [["i-sub"], ["i-01"]]);
    // AND its downtime is the restart (stop 10 + start 10); it is not serving for order 2 + restart 20 + health 5 + warmup 4
    assert.deepEqual([p.members[0]!.downtimeSeconds, p.members[0]!.notServingSeconds], [20, 31]);
    // AND i-01 goes down only once it serves again: at 31, never two down at once
    assert.deepEqual(p.members.map((m) => m.downAtSeconds), [0, 31]);
    assert.equal(p.mostDownAtOnce, 1);
    assert.equal(p.expectedTotalSeconds, 31 + 21 + 9);
    // AND the review says how each goes down and what the order costs
    const lines = describeRollout(p);
    assert.equal(lines[0], "rollout of 2 instances: 2 stop for a type change, 0 change without a stop (no slot), 0 already match");
    assert.equal(lines[2], "1 of the 2 are subscription upgrades: down by ONE ECS RESTART after the order (no stop), in a slot all the same");
    const at = lines.indexOf("  i-sub: ecs.g6.large → ecs.g6.xlarge; down ~0:20 by ECS restart (no stop), not serving ~0:31");
    assert.ok(at > 0, lines.join("\n"));
    assert.equal(lines[at + 1], "    i-sub orders: type PAID by AutoPay");
    assert.ok(lines.includes("  i-01: ecs.g6.large → ecs.g6.xlarge; down ~0:21 by stop/start, not serving ~0:30"), lines.join("\n"));
    assert.ok(lines.includes("subscription orders: 1 — 1 to pay, 0 refund(s); each with a ClientToken: a retry or a re-run never orders twice"), lines.join("\n"));
  });

  it("a downgrade is a stop/start with a refund; its bandwidth order runs after the slot; autoPay per instance overrides the shared one", function () {
    // GIVEN the fleet's inputs: autoPay false shared, true for i-up; i-down is downgraded
    const inputs = parseFleetInputs({
      regionId: "cn-hangzhou",
      cooldownSeconds: 60,
      autoPay: false,
      instanceType: "ecs.g6.xlarge",
      instances: [{ instanceId: "i-up", autoPay: true, internetMaxBandwidthOut: 20 }, { instanceId: "i-down", instanceType: "ecs.c6.large" }],
    });
    assert.ok(inputs.ok);
    if (!inputs.ok) return;
    assert.deepEqual(inputs.value.members.map((m) => `${m.instanceId} ${m.autoPay}`), ["i-up true", "i-down false"]);
    const members = inputs.value.members.map((d) => ({ ...prepaid(d.instanceId, {}), desired: d }));
    // WHEN planned
    const p = ok(planRollout(members, { ...RULES, maxUnavailable: 1 }, EST_ORDER));
    // THEN i-up restarts once for its type, its bandwidth order after the cooldown, outside the slot; i-down stops for a refund
    assert.deepEqual(p.members.map((m) => `${m.kind} ${m.downBy}`), ["stop reboot", "stop stopStart"]);
    assert.deepEqual(p.members[1]!.plan.steps.map((s) => s.kind), ["stop", "modifyPrepayType", "start"]);
    const lines = describeRollout(p);
    assert.ok(lines.some((l) => /^ {2}i-up: .* by ECS restart \(no stop\), .*; bandwidth after the cooldown, outside the slot$/.test(l)), lines.join("\n"));
    assert.ok(lines.includes("    i-up orders: type PAID by AutoPay, bandwidth PAID by AutoPay"), lines.join("\n"));
    assert.ok(lines.some((l) => /^ {2}i-down: ecs.g6.large → ecs.c6.large; down ~0:22 by stop\/start, not serving ~0:31$/.test(l)), lines.join("\n"));
    assert.ok(lines.includes("    i-down orders: type REFUND"), lines.join("\n"));
    assert.ok(lines.includes("subscription orders: 3 — 2 to pay, 1 refund(s); each with a ClientToken: a retry or a re-run never orders twice"), lines.join("\n"));
  });

  it("refuses an upgrade whose order nobody said how to pay (autoPay undecided), naming autoPay; autoPay false plans it, left unpaid", function () {
    // GIVEN a subscription upgrade without autoPay
    const p = planRollout([prepaid("i-sub", { instanceType: "ecs.g6.xlarge" }), ...fleet(1)], RULES, EST_ORDER);
    // THEN the rollout is refused for that instance, naming the field
    assert.equal(p.kind, "refused");
    if (p.kind !== "refused") return;
    assert.deepEqual(p.refusals.map((r) => `${r.index} ${r.instanceId} ${r.refusal.code} ${r.refusal.field}`), ["0 i-sub AutoPayUndecided autoPay"]);
    assert.match(p.refusals[0]!.refusal.message, /set autoPay: true/);
    // AND with autoPay false the order is planned, shown unpaid
    const unpaid = ok(planRollout([prepaid("i-sub", { instanceType: "ecs.g6.xlarge", autoPay: false })], RULES, EST_ORDER));
    assert.ok(describeRollout(unpaid).includes("    i-sub orders: type UNPAID (autoPay false: waits for payment in the console)"), describeRollout(unpaid).join("\n"));
  });
});

describe("fleet inputs", function () {
  it("applies the shared spec under each instance's overrides, and names the property of each failure", function () {
    const r = parseFleetInputs({
      regionId: "cn-hangzhou",
      instanceType: "ecs.g6.xlarge",
      internetMaxBandwidthOut: 20,
      instances: ["i-a", { instanceId: "i-b", instanceType: "ecs.g6.2xlarge" }],
      rollout: { maxUnavailable: "50%", canary: { size: 1, bakeSeconds: 30 } },
    });
    assert.ok(r.ok);
    if (!r.ok) return;
    assert.deepEqual(r.value.members.map((m) => `${m.instanceId} ${m.instanceType} ${m.internetMaxBandwidthOut}`), ["i-a ecs.g6.xlarge 20", "i-b ecs.g6.2xlarge 20"]);
    assert.deepEqual(r.value.rules.canary, { size: 1, bakeSeconds: 30 });
    const bad = parseFleetInputs({
      regionId: "cn-hangzhou",
      internetMaxBandwidthOut: 300,
      instances: ["i-a", { instanceId: "i-b", instanceType: "big" }, { instanceId: "i-c", colour: "red" }, 7],
      rollout: { maxUnavailable: "150%", maxFailures: -1 },
    });
    assert.equal(bad.ok, false);
    if (bad.ok) return;
    assert.deepEqual(bad.failures.map((f) => f.property).sort(), [
      "instances[1].instanceType",
      "instances[2].colour",
      "instances[3]",
      "internetMaxBandwidthOut",
      "rollout.maxFailures",
      "rollout.maxUnavailable",
    ]);
  });
});
