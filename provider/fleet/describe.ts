/**
 * Human text of a rollout: the lines `pulumi preview --diff` shows under the fleet's `plan`, for a
 * reviewer to approve. Pure.
 */
import { describeStep, formatDuration } from "../describe";
import { isOrderStep, type Step } from "../plan";
import type { FleetPlan, MemberPlan } from "./plan";

/** The changes of a plan in a few words: `ecs.g6.large → ecs.g6.xlarge, out 5 → 20`. */
export function changeSummary(steps: readonly Step[]): string {
  const parts: string[] = [];
  for (const s of steps) {
    if (s.kind === "modifyType" || s.kind === "modifyPrepayType") parts.push(`${s.from} → ${s.instanceType}`);
    if (s.kind === "modifyBandwidth" || s.kind === "modifyNetworkSpec") {
      if (s.out) parts.push(`out ${s.out.from} → ${s.out.to} Mbit/s`);
      if (s.in) parts.push(`in ${s.in.from} → ${s.in.to} Mbit/s`);
    }
    if (s.kind === "modifyTemporaryBandwidth" || s.kind === "modifyNetworkTemporary") parts.push(`temporary out ${s.out} Mbit/s until ${s.endTime}`);
    if (s.kind === "start" && parts.length === 0) parts.push("start again (stopped by an interrupted rollout)");
  }
  return parts.join(", ");
}

/**
 * A subscription instance's orders in a few words, as InstanceSpec's preview counts them: each one
 * paid (by AutoPay, or left unpaid for the console) or refunded.
 */
export function ordersSummary(steps: readonly Step[]): string | undefined {
  const orders = steps.filter(isOrderStep);
  if (orders.length === 0) return undefined;
  const what = orders.map((o) => {
    const item = o.kind === "modifyPrepayType" ? "type" : o.kind === "modifyNetworkSpec" ? "bandwidth" : "temporary window";
    const refund = o.direction === "downgrade" && (o.kind !== "modifyPrepayType" || o.operatorTypeKnown);
    return `${item} ${refund ? "REFUND" : o.autoPay ? "PAID by AutoPay" : "UNPAID (autoPay false: waits for payment in the console)"}`;
  });
  return what.join(", ");
}

/** An instance's line, and its orders on a line of their own (Pulumi cuts long plan lines). */
function memberLines(m: MemberPlan): string[] {
  const what = changeSummary(m.plan.steps);
  const how = m.kind === "restart" ? "start" : m.downBy === "reboot" ? "ECS restart (no stop)" : "stop/start";
  const down = m.kind === "stop" || m.kind === "restart" ? `; down ~${formatDuration(m.downtimeSeconds)} by ${how}, not serving ~${formatDuration(m.notServingSeconds)}` : "";
  const rebootAt = m.plan.steps.findIndex((s) => s.kind === "modifyPrepayType" && s.restarts);
  const backAt = rebootAt >= 0 ? rebootAt : m.plan.steps.findIndex((s) => s.kind === "start");
  const followUp =
    m.kind === "stop" && backAt >= 0 && m.plan.steps.some((s, i) => i > backAt && (s.kind === "modifyBandwidth" || s.kind === "modifyNetworkSpec"))
      ? "; bandwidth after the cooldown, outside the slot"
      : "";
  const orders = ordersSummary(m.plan.steps);
  return [`  ${m.instanceId}: ${what}${down}${followUp}`, ...(orders ? [`    ${m.instanceId} orders: ${orders}`] : [])];
}

/**
 * The rollout as lines: the counts, the schedule rule, each wave with its instances and their
 * changes, the instances that change without a stop or not at all, and the totals. A refused
 * rollout lists every refusal, per instance.
 *
 * @example
 * // rollout of 10 instances: 10 stop for a type change (waves of at most 2), 0 change without a stop, 0 already match
 * // wave 1 (canary, then bake 0:30) at ~0:00: i-a
 * //   i-a: ecs.g6.large → ecs.g6.xlarge; down ~1:35 by stop/start, not serving ~2:05
 * // …
 * // expected: most not serving at once 2 (maxUnavailable 2), total ~12:40
 */
export function describeRollout(p: FleetPlan): string[] {
  if (p.kind === "refused") {
    return p.refusals.map((r) => `refused ${r.instanceId} (instances[${r.index}], ${r.refusal.code}${r.refusal.field ? `, ${r.refusal.field}` : ""}): ${r.refusal.message}`);
  }
  const by = (k: MemberPlan["kind"]) => p.members.filter((m) => m.kind === k);
  const stops = by("stop");
  const restarts = by("restart");
  const noStop = by("noStop");
  const skip = by("skip");
  const r = p.rules;
  const reboots = stops.filter((m) => m.downBy === "reboot").length;
  const lines = [
    `rollout of ${p.members.length} instances: ${stops.length} stop for a type change, ${noStop.length} change without a stop (no slot), ${skip.length} already match` +
      (restarts.length > 0 ? `, ${restarts.length} stopped by an interrupted rollout start first` : ""),
    `maxUnavailable ${p.maxUnavailable}${typeof r.maxUnavailable === "string" ? ` (${r.maxUnavailable} of ${p.members.length})` : ""}` +
      `, ${p.notServing.length} not serving now${p.notServing.length > 0 ? ` (${p.notServing.join(", ")}; they count)` : ""}` +
      `; maxFailures ${r.maxFailures}${r.rollbackOnFailure ? ", rollback on failure" : ""}`,
    ...(reboots > 0 ? [`${reboots} of the ${stops.length} are subscription upgrades: down by ONE ECS RESTART after the order (no stop), in a slot all the same`] : []),
    `schedule: waves of at most ${p.maxUnavailable}; the next instance stops as soon as a slot frees (serving again + warmup ${formatDuration(r.warmupSeconds)})`,
    `health: ~${formatDuration(p.estimates.healthSeconds)} from Running to serving; an instance not serving after ${formatDuration(r.healthTimeoutSeconds)} has failed`,
  ];
  const byId = new Map(p.members.map((m) => [m.instanceId, m]));
  p.waves.forEach((ids, i) => {
    const first = byId.get(ids[0]!)!;
    const isCanary = r.canary.size > 0 && first.kind === "stop" && stops.slice(0, r.canary.size).some((m) => m.instanceId === ids[0]);
    const label = first.kind === "restart" ? "restart" : isCanary ? `canary, then bake ${formatDuration(r.canary.bakeSeconds)}` : "";
    lines.push(`wave ${i + 1}${label ? ` (${label})` : ""} at ~${formatDuration(first.downAtSeconds ?? 0)}: ${ids.join(", ")}`);
    for (const id of ids) lines.push(...memberLines(byId.get(id)!));
  });
  if (noStop.length > 0) {
    lines.push(`without a stop, from the start, outside the slots:`);
    for (const m of noStop) lines.push(...memberLines(m));
  }
  if (skip.length > 0) lines.push(`already match, skipped: ${skip.map((m) => m.instanceId).join(", ")}`);
  const downs = [...stops, ...restarts];
  if (downs.length > 0) {
    const d = Math.max(...downs.map((m) => m.downtimeSeconds));
    const ns = Math.max(...downs.map((m) => m.notServingSeconds));
    lines.push(`per instance: down ~${formatDuration(d)}, not serving ~${formatDuration(ns)} (with health and warmup)`);
  }
  const orders = p.members.flatMap((m) => m.plan.steps.filter(isOrderStep));
  if (orders.length > 0) {
    const refunds = orders.filter((o) => o.direction === "downgrade" && (o.kind !== "modifyPrepayType" || o.operatorTypeKnown)).length;
    const unpaid = orders.filter((o) => !(o.direction === "downgrade" && (o.kind !== "modifyPrepayType" || o.operatorTypeKnown)) && !o.autoPay).length;
    lines.push(
      `subscription orders: ${orders.length} — ${orders.length - refunds} to pay${unpaid > 0 ? ` (${unpaid} left unpaid: autoPay false)` : ""}, ${refunds} refund(s); each with a ClientToken: a retry or a re-run never orders twice`,
    );
  }
  lines.push(`expected: most not serving at once ${p.mostDownAtOnce} (maxUnavailable ${p.maxUnavailable}), total ~${formatDuration(p.expectedTotalSeconds)}`);
  return lines;
}

/** Each instance's own plan, numbered, for the verbose progress log. */
export function describeMemberSteps(m: MemberPlan): string[] {
  return m.plan.steps.map((s, i) => `${m.instanceId} ${i + 1}. ${describeStep(s)}`);
}
