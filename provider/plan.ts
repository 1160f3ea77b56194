/**
 * The planner: pure and deterministic (no clock, no I/O, no randomness). From the live instance and
 * the desired spec it returns ordered single-item steps, or refusals as data.
 */
import { createHash } from "node:crypto";
import type { InstanceSnapshot } from "./model";
import { NETWORK_MIN_WINDOW_MS, requestRefusals, windowRefusals } from "./rules";
import { temporaryIsUpgrade, type DesiredSpec, type TemporaryBandwidth } from "./schema";

/** Duration estimates the planner orders steps by (the cooldown comes from the desired spec). */
export interface Estimates {
  /** StopInstance until Stopped, seconds. */
  readonly stopSeconds: number;
  /** StartInstance until Running, seconds. */
  readonly startSeconds: number;
  /** One ModifyInstanceSpec call until the change shows, seconds. */
  readonly modifySeconds: number;
  /**
   * How much of a stop may overlap the end of a cooldown, seconds: the short end of stop times,
   * not the typical one. A stop that finishes before the cooldown ends leaves the instance stopped,
   * waiting, so guessing short costs only wall time and guessing long costs downtime. Capped at
   * `stopSeconds`.
   */
  readonly stopLeadSeconds: number;
  /** A subscription order (ModifyPrepayInstanceSpec) until it settles and the change applies, seconds (documented: 5–10). */
  readonly orderSeconds: number;
}

/** Typical durations on Alibaba Cloud (tens of seconds to stop/start; a stop rarely under 15 s; an order 5–10 s). */
export const DEFAULT_ESTIMATES: Estimates = Object.freeze({ stopSeconds: 45, startSeconds: 45, modifySeconds: 5, stopLeadSeconds: 15, orderSeconds: 10 });

/** What the planner knows besides the instance and the desired spec. */
export interface PlanContext {
  /** Planning time (the cooldown's remaining part is measured from it). */
  readonly now: Date;
  /** End of the last successful spec change on the instance (from earlier steps or the resource's state), for the cooldown. */
  readonly lastChangeAt?: Date;
  /** Types `DescribeResourcesModification` offers; `undefined` = not checked. */
  readonly availableTypes?: readonly string[];
  /**
   * Subscription instances: those of `availableTypes` the catalogue lists as a downgrade
   * (`OperationType=Downgrade`: a refund, and a Stopped instance); the others are upgrades.
   */
  readonly downgradeTypes?: readonly string[];
  /** Overrides `actual.hasLocalDisks` (from `DescribeDisks`). */
  readonly hasLocalDisks?: boolean;
  /** The temporary window already applied (from the resource's state: `DescribeInstances` does not show it). */
  readonly appliedTemporaryBandwidth?: TemporaryBandwidth;
  /**
   * A type change already accepted while the instance was Stopped (from the resource's state): ECS
   * shows the new type only after the next start, so it counts as the current type until then.
   */
  readonly pendingInstanceType?: string;
  /**
   * The instance is Stopped only because an earlier, interrupted run stopped it: bring it back to
   * Running. Otherwise a Stopped instance stays Stopped.
   */
  readonly startWhenDone?: boolean;
  /** Duration estimates; default {@link DEFAULT_ESTIMATES}. */
  readonly estimates?: Partial<Estimates>;
}

export type {
  OrderTerms,
  ModifyPrepayTypeStep,
  ModifyNetworkSpecStep,
  ModifyNetworkTemporaryStep,
  OrderStep,
  WaitStatusStep,
  WaitCooldownStep,
  StopStep,
  StartStep,
  ModifyTypeStep,
  Change,
  ModifyBandwidthStep,
  ModifyTemporaryBandwidthStep,
  ModifyStep,
  Step,
  RefusalCode,
  Refusal,
  Plan,
} from "./plan-types";
export { isOrderStep, isModifyStep, actionOf } from "./plan-types";
import {
  isModifyStep,
  type ModifyBandwidthStep,
  type ModifyBase,
  type ModifyNetworkSpecStep,
  type ModifyNetworkTemporaryStep,
  type ModifyPrepayTypeStep,
  type ModifyStep,
  type ModifyTemporaryBandwidthStep,
  type ModifyTypeStep,
  type Plan,
  type Refusal,
  type Step,
} from "./plan-types";

type Item =
  | { readonly kind: "type"; readonly step: Omit<ModifyTypeStep, keyof ModifyBase> | Omit<ModifyPrepayTypeStep, keyof ModifyBase | "restarts"> }
  | { readonly kind: "bandwidth"; readonly step: Omit<ModifyBandwidthStep, keyof ModifyBase> | Omit<ModifyNetworkSpecStep, keyof ModifyBase> }
  | { readonly kind: "temporary"; readonly step: Omit<ModifyTemporaryBandwidthStep, keyof ModifyBase> | Omit<ModifyNetworkTemporaryStep, keyof ModifyBase> };

/** ModifyInstanceNetworkSpec takes a window's start to the minute: one that has begun is sent from the next whole minute. */
export const NETWORK_BEGUN_SLACK_MS = 60_000;

/**
 * Same window and bandwidth. With `nowMs`, two windows with the same end and bandwidth that have
 * both begun count as the same: a window sent after its start is sent starting then (see
 * `atSendTime`), so the one recorded as applied starts later than the desired one, and sending it
 * again would change nothing but cost a cooldown. This is what keeps a re-run a no-op.
 */
export function sameTemporary(a: TemporaryBandwidth | undefined, b: TemporaryBandwidth | undefined, nowMs?: number, slackMs = 0): boolean {
  if (!a || !b) return a === b;
  // slackMs: a window sent "from now" may start up to this much later (the next whole minute).
  const bothBegun = nowMs !== undefined && Date.parse(a.startTime) <= nowMs + slackMs && Date.parse(b.startTime) <= nowMs + slackMs;
  return (
    (bothBegun || Date.parse(a.startTime) === Date.parse(b.startTime)) &&
    Date.parse(a.endTime) === Date.parse(b.endTime) &&
    a.internetMaxBandwidthOut === b.internetMaxBandwidthOut
  );
}

/** True when `now` is inside the window. */
export function temporaryActive(t: TemporaryBandwidth | undefined, nowMs: number): boolean {
  return t !== undefined && Date.parse(t.startTime) <= nowMs && nowMs < Date.parse(t.endTime);
}

/**
 * The instance type to change to, or `undefined` when no type change is wanted. A type already
 * accepted on a Stopped instance (`pendingInstanceType`) counts as the current type. The one
 * place this is decided: the planner and whoever fetches the type catalogue for it use it.
 */
export function wantedInstanceType(actual: InstanceSnapshot, desired: DesiredSpec, pendingInstanceType?: string): string | undefined {
  const currentType = pendingInstanceType ?? actual.instanceType;
  return desired.instanceType !== undefined && desired.instanceType !== currentType ? desired.instanceType : undefined;
}

/** True for a subscription instance: its changes are orders (ModifyPrepayInstanceSpec, ModifyInstanceNetworkSpec). */
export function isSubscription(actual: Pick<InstanceSnapshot, "instanceChargeType">): boolean {
  return actual.instanceChargeType === "PrePaid";
}

/**
 * The direction of a subscription type change as the catalogue tells it: a type listed under
 * `OperationType=Downgrade` is a downgrade, one offered otherwise an upgrade; `undefined` when the
 * catalogue was not read or does not list the type.
 */
export function prepayDirection(target: string, ctx: Pick<PlanContext, "availableTypes" | "downgradeTypes">): "upgrade" | "downgrade" | undefined {
  if (ctx.downgradeTypes?.includes(target)) return "downgrade";
  if (ctx.availableTypes?.includes(target)) return "upgrade";
  return undefined;
}

/** The single-item changes from `actual` to `desired`, in canonical order (type, bandwidth, temporary). */
function itemsToChange(actual: InstanceSnapshot, desired: DesiredSpec, ctx: PlanContext): Item[] {
  const items: Item[] = [];
  const prepaid = isSubscription(actual);
  const currentType = ctx.pendingInstanceType ?? actual.instanceType;
  const targetType = wantedInstanceType(actual, desired, ctx.pendingInstanceType);
  if (targetType !== undefined && prepaid) {
    const direction = prepayDirection(targetType, ctx);
    items.push({
      kind: "type",
      step: {
        kind: "modifyPrepayType",
        from: currentType,
        instanceType: targetType,
        // Unknown (no catalogue): planned like a downgrade (stopped), and the API judges it.
        direction: direction ?? "downgrade",
        operatorTypeKnown: direction !== undefined,
        autoPay: desired.autoPay ?? false,
        ...(desired.systemDiskCategory !== undefined ? { systemDiskCategory: desired.systemDiskCategory } : {}),
        ...(desired.allowMigrateAcrossZone !== undefined ? { allowMigrateAcrossZone: desired.allowMigrateAcrossZone } : {}),
      },
    });
  } else if (targetType !== undefined) {
    items.push({
      kind: "type",
      step: {
        kind: "modifyType",
        from: currentType,
        instanceType: targetType,
        ...(desired.systemDiskCategory !== undefined ? { systemDiskCategory: desired.systemDiskCategory } : {}),
        ...(desired.allowMigrateAcrossZone !== undefined ? { allowMigrateAcrossZone: desired.allowMigrateAcrossZone } : {}),
      },
    });
  }
  // Inside an applied temporary window ECS reports the temporary value as InternetMaxBandwidthOut,
  // so the base value cannot be read back; it was set before the window was (see sameTemporary).
  const windowActive = temporaryActive(ctx.appliedTemporaryBandwidth, ctx.now.getTime());
  const out =
    !windowActive &&
    desired.internetMaxBandwidthOut !== undefined &&
    desired.internetMaxBandwidthOut !== actual.internetMaxBandwidthOut
      ? { from: actual.internetMaxBandwidthOut, to: desired.internetMaxBandwidthOut }
      : undefined;
  const inn =
    desired.internetMaxBandwidthIn !== undefined && desired.internetMaxBandwidthIn !== actual.internetMaxBandwidthIn
      ? { from: actual.internetMaxBandwidthIn, to: desired.internetMaxBandwidthIn }
      : undefined;
  if (out || inn) {
    const io = { ...(out ? { out } : {}), ...(inn ? { in: inn } : {}) };
    const down = (out !== undefined && out.to < out.from) || (inn !== undefined && inn.to < inn.from);
    items.push(
      prepaid
        ? { kind: "bandwidth", step: { kind: "modifyNetworkSpec", ...io, direction: down ? "downgrade" : "upgrade", autoPay: desired.autoPay ?? false } }
        : { kind: "bandwidth", step: { kind: "modifyBandwidth", ...io } },
    );
  }
  const temp = desired.temporaryBandwidth;
  if (temp && !sameTemporary(temp, ctx.appliedTemporaryBandwidth, ctx.now.getTime(), prepaid ? NETWORK_BEGUN_SLACK_MS : 0)) {
    const w = { startTime: temp.startTime, endTime: temp.endTime, out: temp.internetMaxBandwidthOut };
    items.push(
      prepaid
        ? { kind: "temporary", step: { kind: "modifyNetworkTemporary", ...w, direction: "upgrade", autoPay: desired.autoPay ?? false } }
        : { kind: "temporary", step: { kind: "modifyTemporaryBandwidth", ...w } },
    );
  }
  return items;
}

function refusalsFor(actual: InstanceSnapshot, desired: DesiredSpec, ctx: PlanContext, items: readonly Item[]): Refusal[] {
  const r: Refusal[] = [];
  const type = items.find((i) => i.kind === "type");
  const bandwidth = items.find((i) => i.kind === "bandwidth");
  const temporary = items.find((i) => i.kind === "temporary");
  if (actual.regionId !== desired.regionId) {
    r.push({
      code: "RegionMismatch",
      field: "regionId",
      message: `instance ${actual.instanceId} is in ${actual.regionId}, not ${desired.regionId}: set regionId to ${actual.regionId}`,
    });
  }
  if (actual.status === "Pending") {
    r.push({
      code: "NotSettled",
      message: `instance ${actual.instanceId} is still being created (Pending); run again once it is Running or Stopped`,
    });
  }
  if (isSubscription(actual)) r.push(...subscriptionRefusals(actual, desired, ctx, items));
  if (actual.operationLocks.includes("security")) {
    r.push({
      code: "SecurityLock",
      field: "instanceId",
      message: `instance ${actual.instanceId} is locked for security reasons; resolve the lock in the console (Security Center) or with support, then run again`,
    });
  }
  const otherLocks = actual.operationLocks.filter((l) => l !== "security");
  if (otherLocks.length > 0) {
    r.push({
      code: "Locked",
      field: "instanceId",
      message: `instance ${actual.instanceId} is locked (${otherLocks.join(", ")}); clear the lock (e.g. settle an overdue payment), then run again`,
    });
  }
  if (actual.eipAllocationId !== undefined && (bandwidth || temporary)) {
    r.push({
      code: "EipBound",
      field: bandwidth ? (bandwidth.step.out ? "internetMaxBandwidthOut" : "internetMaxBandwidthIn") : "temporaryBandwidth",
      message:
        `instance ${actual.instanceId} has EIP ${actual.eipAllocationId} bound, so its public bandwidth is the EIP's: ` +
        `change the EIP's bandwidth (ModifyEipAddressAttribute) instead, or unbind the EIP, and remove the bandwidth fields here`,
    });
  }
  if (type) {
    if (ctx.hasLocalDisks ?? actual.hasLocalDisks) {
      r.push({
        code: "LocalDisks",
        field: "instanceType",
        message: `instance ${actual.instanceId} has local (ephemeral) disks and cannot change its type; move the workload to an instance with cloud disks, or remove instanceType`,
      });
    }
    if (actual.dedicatedHostId !== undefined) {
      r.push({
        code: "DedicatedHost",
        field: "instanceType",
        message: `instance ${actual.instanceId} runs on dedicated host ${actual.dedicatedHostId}, where the API cannot change the type; remove instanceType or migrate the instance off the host`,
      });
    }
    if (ctx.availableTypes !== undefined && !ctx.availableTypes.includes(type.step.instanceType)) {
      const offered = ctx.availableTypes.slice(0, 8).join(", ");
      r.push({
        code: "TypeNotOffered",
        field: "instanceType",
        message:
          `DescribeResourcesModification does not offer ${type.step.instanceType} for instance ${actual.instanceId} (not sold, out of stock, or not allowed)` +
          `; pick one of: ${offered || "(none offered)"}${ctx.availableTypes.length > 8 ? ", …" : ""}` +
          `${desired.allowMigrateAcrossZone ? "" : ", or set allowMigrateAcrossZone: true"}`,
      });
    }
    const running = actual.status === "Running" || actual.status === "Starting";
    if (running && desired.allowStop === false && type.step.kind === "modifyPrepayType" && type.step.operatorTypeKnown && type.step.direction === "upgrade") {
      r.push({
        code: "StopNotAllowed",
        field: "allowStop",
        message:
          `upgrading subscription instance ${actual.instanceId} from ${actual.instanceType} to ${type.step.instanceType} takes effect only after one ECS restart ` +
          `(RebootWhenFinished; no stop across the call), and a restart is downtime; set allowStop: true, or remove instanceType`,
      });
    } else if (running && desired.allowStop === false) {
      r.push({
        code: "StopNotAllowed",
        field: "allowStop",
        message: `changing the type of ${actual.instanceId} from ${actual.instanceType} to ${type.step.instanceType} needs the instance stopped; set allowStop: true (or stop it yourself), or remove instanceType`,
      });
    }
  }
  if (temporary) {
    const t = temporary.step;
    r.push(...windowRefusals({ startTime: t.startTime, endTime: t.endTime, internetMaxBandwidthOut: t.out }, ctx.now.getTime()));
    const baseOut = desired.internetMaxBandwidthOut ?? actual.internetMaxBandwidthOut;
    if (!temporaryIsUpgrade(t.out, baseOut)) {
      r.push({
        code: "TemporaryNotUpgrade",
        field: "temporaryBandwidth.internetMaxBandwidthOut",
        message: `temporaryBandwidth.internetMaxBandwidthOut (${t.out}) must be above the outbound bandwidth (${baseOut}): a temporary change is an upgrade`,
      });
    }
  }
  return r;
}

/** What only a subscription instance can refuse: expiry, an order nobody said how to pay, the rules of ModifyInstanceNetworkSpec. */
function subscriptionRefusals(actual: InstanceSnapshot, desired: DesiredSpec, ctx: PlanContext, items: readonly Item[]): Refusal[] {
  const r: Refusal[] = [];
  const nowMs = ctx.now.getTime();
  const expiresMs = actual.expiredTime !== undefined ? Date.parse(actual.expiredTime) : undefined;
  if (expiresMs !== undefined && expiresMs <= nowMs) {
    r.push({
      code: "Expired",
      field: "instanceId",
      message: `subscription instance ${actual.instanceId} expired at ${actual.expiredTime}; renew it (console or RenewInstance), then run again — nothing is ordered before that`,
    });
  }
  const paid = items.filter((i) => "direction" in i.step && (i.step.direction === "upgrade" || (i.step.kind === "modifyPrepayType" && !i.step.operatorTypeKnown)));
  if (paid.length > 0 && desired.autoPay === undefined) {
    const what = paid.map((i) => (i.kind === "type" ? "the type upgrade" : i.kind === "bandwidth" ? "the bandwidth upgrade" : "the temporary bandwidth window")).join(", ");
    r.push({
      code: "AutoPayUndecided",
      field: "autoPay",
      message:
        `${actual.instanceId} is a subscription instance: ${what} creates an order that costs money (the price difference for the rest of the billing cycle); ` +
        `set autoPay: true to have it paid from the account's balance at once, or autoPay: false to leave it unpaid for the console (the change then waits for the payment)`,
    });
  }
  const bandwidth = items.find((i) => i.kind === "bandwidth");
  const temporary = items.find((i) => i.kind === "temporary");
  if (bandwidth && "direction" in bandwidth.step && bandwidth.step.direction === "downgrade" && temporary) {
    r.push({
      code: "DowngradeFreezesBandwidth",
      field: "temporaryBandwidth",
      message:
        `after a bandwidth downgrade a subscription instance's bandwidth cannot change again for the rest of the billing cycle, so the downgrade and the temporary window cannot both be made; ` +
        `remove temporaryBandwidth, or keep the bandwidth until the window is over`,
    });
  }
  if (temporary) {
    const t = temporary.step;
    if (new Date(t.startTime).getUTCSeconds() !== 0) {
      r.push({
        code: "TemporaryWindowPrecision",
        field: "temporaryBandwidth.startTime",
        message: `temporaryBandwidth.startTime (${t.startTime}) must be on a whole minute for a subscription instance (ModifyInstanceNetworkSpec takes it to the minute); e.g. ${t.startTime.slice(0, 16)}:00Z`,
      });
    }
    const end = new Date(t.endTime);
    if (end.getUTCMinutes() !== 0 || end.getUTCSeconds() !== 0) {
      r.push({
        code: "TemporaryWindowPrecision",
        field: "temporaryBandwidth.endTime",
        message: `temporaryBandwidth.endTime (${t.endTime}) must be on the hour for a subscription instance (ModifyInstanceNetworkSpec takes it to the hour); e.g. ${t.endTime.slice(0, 13)}:00:00Z`,
      });
    }
    if (Date.parse(t.endTime) - Date.parse(t.startTime) < NETWORK_MIN_WINDOW_MS) {
      r.push({
        code: "TemporaryWindowTooShort",
        field: "temporaryBandwidth.endTime",
        message: `a temporary window of a subscription instance lasts at least 3 hours; temporaryBandwidth runs from ${t.startTime} to ${t.endTime}: set a later endTime`,
      });
    }
    if (expiresMs !== undefined && Date.parse(t.endTime) > expiresMs) {
      r.push({
        code: "TemporaryWindowBeyondExpiry",
        field: "temporaryBandwidth.endTime",
        message: `temporaryBandwidth.endTime (${t.endTime}) is after the subscription ends (${actual.expiredTime}); end the window by then, or renew the instance first`,
      });
    }
  }
  return r;
}

/** Deterministic ClientToken: instanceId, the step's content (with its before-values) and the last change time it was planned after. */
export function clientTokenFor(instanceId: string, step: object, lastChangeAt: Date | undefined): string {
  const h = createHash("sha256")
    .update(JSON.stringify({ i: instanceId, s: step, e: lastChangeAt ? lastChangeAt.toISOString() : "" }))
    .digest("hex");
  return `ecsspec-${h.slice(0, 48)}`;
}

interface Simulated {
  readonly steps: Step[];
  readonly downtime: number;
  readonly duration: number;
  readonly stops: boolean;
  readonly restarts: boolean;
}

/**
 * Lay one order of items out on a timeline. Rules: every spec change waits for the previous one's
 * cooldown; a type change needs the instance Stopped; stop/start are not blocked by the cooldown.
 * A stop overlaps the cooldown's tail by at most `stopLeadSeconds` (so it cannot end long before the
 * cooldown does), and the start follows the type change at once, so the instance never sits
 * stopped through a cooldown.
 */
function simulate(
  order: readonly Item[],
  actual: InstanceSnapshot,
  desired: DesiredSpec,
  ctx: PlanContext,
  est: Estimates,
): Simulated | undefined {
  const C = desired.cooldownSeconds;
  const { stopSeconds: S, startSeconds: T, modifySeconds: M } = est;
  const steps: Step[] = [];
  let t = 0;
  let downtime = 0;
  let stops = false;
  let restarts = false;
  let cooldownEnd = ctx.lastChangeAt ? (ctx.lastChangeAt.getTime() - ctx.now.getTime()) / 1000 + C : -Infinity;
  let status: "Running" | "Stopped";
  if (actual.status === "Starting" || actual.status === "Stopping") {
    const until = actual.status === "Starting" ? "Running" : "Stopped";
    const expectedSeconds = until === "Running" ? T : S;
    steps.push({ kind: "waitStatus", from: actual.status, until, expectedSeconds });
    t += expectedSeconds;
    status = until;
  } else {
    status = actual.status === "Running" ? "Running" : "Stopped";
  }
  const endRunning = status === "Running" || ctx.startWhenDone === true;
  // When the instance is down only because of an earlier run, its downtime is already counting.
  let downSince: number | undefined = status === "Stopped" && endRunning ? 0 : undefined;
  const wait = (until: number, lead: number) => {
    if (until > t) {
      steps.push({ kind: "waitCooldown", leadSeconds: lead, expectedSeconds: until - t });
      t = until;
    }
  };
  const start = () => {
    steps.push({ kind: "start", expectedSeconds: T });
    t += T;
    downtime += t - (downSince ?? t);
    downSince = undefined;
    status = "Running";
  };
  const modify = (item: Item, restarts = false) => {
    wait(cooldownEnd, 0);
    const base = { ...item.step };
    // Whether the window has begun is not part of the token: the same desired window gets the same
    // token whenever it is planned (the start actually sent is settled at send time, atSendTime).
    // Nor is the status: a subscription type change is the same request Running or Stopped, so a
    // re-plan after a kill (the instance rebooting, say) resends the same token, never a second order.
    const begun = item.kind === "temporary" && Date.parse(item.step.startTime) <= ctx.now.getTime();
    const seconds = item.step.kind === "modifyPrepayType" ? est.orderSeconds : M;
    steps.push({
      ...base,
      ...(item.step.kind === "modifyPrepayType" ? { restarts } : {}),
      ...(begun ? { begun: true } : {}),
      clientToken: clientTokenFor(actual.instanceId, base, ctx.lastChangeAt),
      whileStatus: status,
      expectedSeconds: seconds,
    } as ModifyStep);
    t += seconds;
    cooldownEnd = t + C;
  };
  let baseOut = actual.internetMaxBandwidthOut;
  for (const item of order) {
    // ECS takes a temporary window only above the outbound bandwidth at the time of the call.
    if (item.kind === "temporary" && !temporaryIsUpgrade(item.step.out, baseOut)) return undefined;
    if (item.kind === "bandwidth" && item.step.out) baseOut = item.step.out.to;
    if (item.kind === "type" && status === "Running" && item.step.kind === "modifyPrepayType" && item.step.operatorTypeKnown && item.step.direction === "upgrade") {
      // A subscription upgrade may run while Running and shows after one ECS restart, which
      // RebootWhenFinished makes as soon as the order settles: the restart is the only downtime.
      modify(item, true);
      const reboot = S + T;
      t += reboot;
      downtime += reboot;
      restarts = true;
      continue;
    }
    if (item.kind === "type") {
      if (status === "Running") {
        const lead = Math.min(est.stopLeadSeconds, S);
        wait(cooldownEnd - lead, lead);
        steps.push({ kind: "stop", stoppedMode: desired.stoppedMode, expectedSeconds: S });
        stops = true;
        downSince = t;
        t += S;
        status = "Stopped";
      }
      modify(item);
      if (endRunning) start();
    } else {
      if (status === "Stopped" && endRunning) start();
      modify(item);
    }
  }
  if (status === "Stopped" && endRunning) start();
  return { steps, downtime, duration: t, stops, restarts };
}

function permutations<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [xs.slice()];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

/**
 * Plan the change from `actual` to `desired`.
 *
 * Order: every order of the (at most three) items is laid out on the timeline and the one with the
 * least downtime, then the least total time, wins; ties go to the first in canonical order
 * (type, bandwidth, temporary). An order that sends the temporary window while the outbound bandwidth
 * is not yet below it is infeasible and skipped, and so is one whose requests break a rule of
 * rules.ts (a window reached only after it has ended); with no order left, the plan is refused.
 *
 * Why this beats a fixed "bandwidth first" or "type first" rule: downtime is stop + modify + start
 * (S+M+T) in every order, and every order sits through the same n−1 cooldowns, so orders differ only
 * in whether the stop and the start are hidden inside a cooldown (stop/start are not blocked by it):
 *   bandwidth first: bw → cooldown (stop hidden in its tail) → type → start (T on the critical path)
 *   type first:      stop (S on the critical path) → type → start (hidden in the cooldown) → bw
 *   type between:    bw → cooldown (stop hidden) → type → start (hidden) → cooldown → temporary
 * With three items the type goes in the middle and both are hidden (total 3M+2C); with two, type
 * first and bandwidth first tie when S = T, and type first wins outright when a cooldown from an
 * earlier change is still running (the stop hides in it). On a tie the type change goes first: it
 * is the item most likely to be refused (stock, image, quota), so it fails before anything else
 * has been changed, and the downtime comes while the operator is watching.
 *
 * @example
 * const p = plan(snapshot, desired, { now: new Date() });
 * if (p.kind === "refused") console.log(p.refusals.map((r) => r.message));
 * else console.log(p.steps.map((s) => s.kind));
 */
export function plan(actual: InstanceSnapshot, desired: DesiredSpec, ctx: PlanContext): Plan {
  const items = itemsToChange(actual, desired, ctx);
  const refusals = items.length > 0 || actual.status === "Pending" ? refusalsFor(actual, desired, ctx, items) : [];
  if (refusals.length > 0) return { kind: "refused", refusals };
  const needsStart = ctx.startWhenDone === true && (actual.status === "Stopped" || actual.status === "Stopping");
  if (items.length === 0 && !needsStart) {
    return { kind: "ok", steps: [], expectedDowntimeSeconds: 0, expectedDurationSeconds: 0, stopsInstance: false };
  }
  const est = { ...DEFAULT_ESTIMATES, ...ctx.estimates };
  let best: Simulated | undefined;
  let firstRefused: Refusal[] | undefined;
  for (const order of permutations(items)) {
    const s = simulate(order, actual, desired, ctx, est);
    if (!s) continue;
    // An order whose requests break a rule (a window reached only after it ends) is skipped for one that does not.
    const broken = stepRefusals(s.steps, ctx.now.getTime());
    if (broken.length > 0) {
      firstRefused ??= broken;
      continue;
    }
    if (!best || s.downtime < best.downtime - 1e-9 || (Math.abs(s.downtime - best.downtime) <= 1e-9 && s.duration < best.duration - 1e-9)) {
      best = s;
    }
  }
  if (!best) return { kind: "refused", refusals: firstRefused! };
  const b = best;
  return {
    kind: "ok",
    steps: b.steps,
    expectedDowntimeSeconds: b.downtime,
    expectedDurationSeconds: b.duration,
    stopsInstance: b.stops,
    ...(b.restarts ? { restartsInstance: true } : {}),
  };
}

/**
 * The request rules (rules.ts) of every spec change of a plan's steps, each as it would be sent at
 * its expected time from `nowMs`: the planner refuses a plan that breaks one, and the executor
 * checks them again right before the plan's first change.
 */
export function stepRefusals(steps: readonly Step[], nowMs: number): Refusal[] {
  let atMs = nowMs;
  const r: Refusal[] = [];
  for (const step of steps) {
    if (isModifyStep(step)) r.push(...requestRefusals(step, atMs, nowMs));
    atMs += step.expectedSeconds * 1000;
  }
  return r;
}
