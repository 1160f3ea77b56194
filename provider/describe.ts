/**
 * Human text for plans and steps: the lines `pulumi preview` shows and the executor's progress
 * messages. Pure; the planner itself returns only data.
 */
import { RESTORE_MARKER_KEY, RESTORE_MARKER_VALUE } from "./marker";
import { isOrderStep, type OrderStep, type Plan, type Step } from "./plan";

/** `m:ss` (or `h:mm:ss`), rounded to the second. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** One human line for a step (without its number). */
export function describeStep(step: Step): string {
  switch (step.kind) {
    case "waitStatus":
      return `wait for status ${step.until} (now ${step.from}) ~${formatDuration(step.expectedSeconds)}`;
    case "waitCooldown":
      return step.leadSeconds > 0
        ? `wait cooldown ${formatDuration(step.expectedSeconds)} (running; the stop overlaps the last ${formatDuration(step.leadSeconds)})`
        : `wait cooldown ${formatDuration(step.expectedSeconds)}`;
    case "stop":
      return `StopInstance (${step.stoppedMode}) — instance will be STOPPED ~${formatDuration(step.expectedSeconds)}`;
    case "start":
      return `StartInstance — instance RUNNING again after ~${formatDuration(step.expectedSeconds)}`;
    case "modifyType":
      return (
        `ModifyInstanceSpec InstanceType ${step.from} → ${step.instanceType}` +
        (step.systemDiskCategory ? `, SystemDisk.Category ${step.systemDiskCategory}` : "") +
        (step.allowMigrateAcrossZone !== undefined ? `, AllowMigrateAcrossZone ${step.allowMigrateAcrossZone}` : "") +
        ` (${step.whileStatus.toLowerCase()})`
      );
    case "modifyBandwidth": {
      const parts = [
        ...(step.out ? [`InternetMaxBandwidthOut ${step.out.from} → ${step.out.to}`] : []),
        ...(step.in ? [`InternetMaxBandwidthIn ${step.in.from} → ${step.in.to}`] : []),
      ];
      return `ModifyInstanceSpec ${parts.join(", ")} (${step.whileStatus.toLowerCase()})`;
    }
    case "modifyTemporaryBandwidth": {
      const from = step.begun ? `now (the window began at ${step.startTime})` : step.startTime;
      return `ModifyInstanceSpec Temporary.InternetMaxBandwidthOut ${step.out} from ${from} to ${step.endTime} (${step.whileStatus.toLowerCase()})`;
    }
    case "modifyPrepayType":
      return (
        `ModifyPrepayInstanceSpec InstanceType ${step.from} → ${step.instanceType}` +
        (step.systemDiskCategory ? `, SystemDisk.Category ${step.systemDiskCategory}` : "") +
        (step.allowMigrateAcrossZone !== undefined ? `, MigrateAcrossZone ${step.allowMigrateAcrossZone}` : "") +
        " " +
        `(${step.operatorTypeKnown ? step.direction : "up- or downgrade: the API decides"}, ${step.whileStatus.toLowerCase()}` +
        `${step.restarts ? ": ONE ECS RESTART, no stop" : ""}) — ${orderText(step)}` +
        (step.restarts ? "; RebootWhenFinished restarts it once the order settles, and the type shows then" : "")
      );
    case "modifyNetworkSpec": {
      const parts = [
        ...(step.out ? [`InternetMaxBandwidthOut ${step.out.from} → ${step.out.to}`] : []),
        ...(step.in ? [`InternetMaxBandwidthIn ${step.in.from} → ${step.in.to}`] : []),
      ];
      return `ModifyInstanceNetworkSpec ${parts.join(", ")} (${step.direction}, ${step.whileStatus.toLowerCase()}) — ${orderText(step)}`;
    }
    case "modifyNetworkTemporary": {
      const from = step.begun ? `the next whole minute (the window began at ${step.startTime})` : step.startTime.slice(0, 16) + "Z";
      return `ModifyInstanceNetworkSpec temporary InternetMaxBandwidthOut ${step.out} from ${from} to ${step.endTime.slice(0, 13)}Z (${step.whileStatus.toLowerCase()}) — ${orderText(step)}`;
    }
  }
}

/** What an order step costs and when, in words (the key words first: Pulumi cuts long plan lines). */
export function orderText(step: OrderStep): string {
  if (step.direction === "downgrade" && (step.kind !== "modifyPrepayType" || step.operatorTypeKnown)) {
    return "order REFUNDS the difference for the rest of the billing cycle (a downgrade: one of the instance's 3)";
  }
  return step.autoPay
    ? "order PAID by AutoPay from the account's balance when sent: the price difference for the rest of the billing cycle"
    : "UNPAID order (autoPay: false): nothing changes until it is paid in the Billing console";
}

/** The money line of a plan with orders: how many, paid or refunded. */
function ordersLine(steps: readonly Step[]): string[] {
  const orders = steps.filter(isOrderStep);
  if (orders.length === 0) return [];
  const refunds = orders.filter((o) => o.direction === "downgrade" && (o.kind !== "modifyPrepayType" || o.operatorTypeKnown)).length;
  const paid = orders.length - refunds;
  const auto = orders.filter((o) => o.direction === "upgrade" || (o.kind === "modifyPrepayType" && !o.operatorTypeKnown)).every((o) => o.autoPay);
  return [
    `orders: ${orders.length} — ${paid} to pay${paid > 0 ? (auto ? " (AutoPay)" : " (left unpaid: autoPay false)") : ""}, ${refunds} refund(s); each with a ClientToken: a retry or a re-run never orders twice`,
  ];
}

/**
 * Human lines for a plan, used verbatim in `pulumi preview` output.
 *
 * @example
 * // 1. StopInstance (KeepCharging) — instance will be STOPPED ~0:45
 * // 2. ModifyInstanceSpec InstanceType ecs.g6.large → ecs.g6.xlarge (stopped)
 * // 3. StartInstance — instance RUNNING again after ~0:45
 * // 4. wait cooldown 4:15
 * // 5. ModifyInstanceSpec InternetMaxBandwidthOut 5 → 20 (running)
 * // expected downtime ~1:35, expected total ~6:45
 */
export function describePlan(p: Plan): string[] {
  if (p.kind === "refused") {
    return p.refusals.map((r) => `refused (${r.code}${r.field ? `, ${r.field}` : ""}): ${r.message}`);
  }
  if (p.steps.length === 0) return ["no changes: the instance already matches the desired spec"];
  return [
    ...p.steps.map((s, i) => `${i + 1}. ${describeStep(s)}`),
    ...(p.stopsInstance
      ? [
          `before step 1 the instance is tagged ${RESTORE_MARKER_KEY}=${RESTORE_MARKER_VALUE} (removed once it runs again), so that an interrupted run is finished ` +
            `by the next one; this needs ecs:TagResources and ecs:UntagResources — without them a first up is refused before anything is touched`,
        ]
      : []),
    ...ordersLine(p.steps),
    `expected downtime ~${formatDuration(p.expectedDowntimeSeconds)}${p.restartsInstance ? " (one ECS restart)" : ""}, expected total ~${formatDuration(p.expectedDurationSeconds)}`,
  ];
}
