/**
 * The rollout planner of an {@link InstanceSpecFleet}: pure and deterministic, like the
 * single-instance planner it builds on. From the live snapshot of every instance, each one's
 * desired spec and the rollout options it returns data: per instance the single-instance plan and
 * what kind of change it is, the refusals (any one fails the whole rollout before anything is
 * touched), and the schedule — waves, downtime per instance, the most instances down at once and
 * the expected total — laid out with the same rule the executor follows.
 */
import { DEFAULT_ESTIMATES, plan as planOne, type Estimates, type Plan, type PlanContext, type Refusal, type Step } from "../plan";
import type { InstanceSnapshot } from "../model";
import type { DesiredSpec } from "../schema";

/** `maxUnavailable` as written: a count, or a percentage of the fleet such as `"25%"`. */
export type MaxUnavailable = number | string;

/** The rollout options after validation (see `RolloutSchema` in options.ts). */
export interface RolloutRules {
  /** As written; resolved against the fleet's size by {@link resolveMaxUnavailable}. */
  readonly maxUnavailable: MaxUnavailable;
  /** The first wave: this many instances, then `bakeSeconds` of watching before the rest go. 0 = no canary. */
  readonly canary: { readonly size: number; readonly bakeSeconds: number };
  /** Failures tolerated; one more stops the rollout (instances not started yet stay untouched). */
  readonly maxFailures: number;
  /** An instance that never serves again gets its previous type back. */
  readonly rollbackOnFailure: boolean;
  /** Seconds after an instance is first seen serving before it counts as available (and frees its slot). */
  readonly warmupSeconds: number;
  /** How long a restarted instance may take to serve before it counts as failed, seconds. */
  readonly healthTimeoutSeconds: number;
}

/** What kind of change an instance needs. */
export type MemberKind =
  /** Already matches: nothing to do. */
  | "skip"
  /** Changes without a stop (bandwidth only, or a type change on an instance that is already Stopped): no slot. */
  | "noStop"
  /**
   * A type change on a running instance: it goes down, so it takes a slot — by a stop and start, or
   * (a subscription upgrade) by the restart ECS makes once the order settles (see `downBy`).
   */
  | "stop"
  /** Down only because an interrupted rollout stopped it (restore marker): started first, holding a slot. */
  | "restart";

/** One instance as the rollout planner sees it. */
export interface MemberInput {
  readonly actual: InstanceSnapshot;
  readonly desired: DesiredSpec;
  /** The single-instance planner's context (catalogue, local disks, restore marker → startWhenDone). */
  readonly ctx: PlanContext;
  /** Serving now, by the health check (or Running, without one). */
  readonly serving: boolean;
}

/** Duration estimates of the rollout, seconds: the single-instance ones plus health. */
export interface FleetEstimates extends Partial<Estimates> {
  /** From Running until the health check says serving. */
  readonly healthSeconds: number;
}

/** One instance's part of the rollout. */
export interface MemberPlan {
  readonly instanceId: string;
  readonly kind: MemberKind;
  readonly plan: Extract<Plan, { kind: "ok" }>;
  /** Serving when planned. */
  readonly serving: boolean;
  /**
   * How a `stop` goes down: `stopStart` (StopInstance … StartInstance), or `reboot` (a subscription
   * upgrade of a running instance: one ModifyPrepayInstanceSpec with RebootWhenFinished, and the
   * restart ECS makes by itself once the order settles). The slot is taken before either.
   */
  readonly downBy?: "stopStart" | "reboot";
  /** The wave it goes down in (1-based; the canary is wave 1), for `stop` and `restart`. */
  readonly wave?: number;
  /** Expected seconds stopped (the single-instance plan's downtime). */
  readonly downtimeSeconds: number;
  /** Expected seconds not serving: downtime + health + warmup (0 when it never goes down). */
  readonly notServingSeconds: number;
  /** Expected start of its downtime, seconds from the rollout's start. */
  readonly downAtSeconds?: number;
}

/** A refusal of one instance. */
export interface MemberRefusal {
  readonly instanceId: string;
  /** Its position in `instances`. */
  readonly index: number;
  readonly refusal: Refusal;
}

/** The rollout: a schedule, or refusals. */
export type FleetPlan =
  | {
      readonly kind: "ok";
      readonly members: readonly MemberPlan[];
      /** `maxUnavailable` resolved to a count. */
      readonly maxUnavailable: number;
      /** Instances not serving when planned (they count against `maxUnavailable`). */
      readonly notServing: readonly string[];
      /** The waves: instance IDs that go down together (a sliding window: each wave starts when slots free). */
      readonly waves: readonly (readonly string[])[];
      /** The most instances not serving at once, by the schedule (those already down included). */
      readonly mostDownAtOnce: number;
      /** Seconds the whole rollout is expected to take. */
      readonly expectedTotalSeconds: number;
      readonly rules: RolloutRules;
      readonly estimates: FleetEstimates;
    }
  | { readonly kind: "refused"; readonly refusals: readonly MemberRefusal[] };

const PERCENT = /^(\d{1,3}(?:\.\d+)?)%$/;

/**
 * `maxUnavailable` as a count: a whole number as it is, a percentage of the fleet rounded down,
 * at least 1 (a rollout that may take nothing down could never change a type).
 */
export function resolveMaxUnavailable(m: MaxUnavailable, fleetSize: number): number {
  if (typeof m === "number") return m;
  const match = PERCENT.exec(m);
  if (!match) throw new TypeError(`maxUnavailable ${m} is neither a count nor a percentage`);
  return Math.max(1, Math.floor((fleetSize * Number(match[1])) / 100));
}

/** A subscription upgrade of a running instance: the order, then the restart ECS makes by itself. */
const isRebootStep = (s: Step): boolean => s.kind === "modifyPrepayType" && s.restarts === true;

/**
 * The part of a plan's steps before it goes down (its first stop, its reboot-making order, or its
 * first start for an instance to restart), the slot's part (until it runs again), and the rest. A
 * reboot's restart is no step of its own: it lasts stop + start, the estimates the single-instance
 * planner counts it with.
 */
function phases(steps: readonly Step[], kind: MemberKind, est: Estimates): { before: number; down: number; after: number } {
  const firstDown = steps.findIndex((s) => (kind === "restart" ? s.kind === "start" : s.kind === "stop" || isRebootStep(s)));
  const sum = (xs: readonly Step[]) => xs.reduce((a, s) => a + s.expectedSeconds, 0);
  if (firstDown < 0) return { before: 0, down: 0, after: sum(steps) };
  if (isRebootStep(steps[firstDown]!)) {
    const reboot = est.stopSeconds + est.startSeconds;
    return { before: sum(steps.slice(0, firstDown)), down: steps[firstDown]!.expectedSeconds + reboot, after: sum(steps.slice(firstDown + 1)) };
  }
  const startAt = steps.findIndex((s, i) => i >= firstDown && s.kind === "start");
  const endDown = startAt < 0 ? steps.length : startAt + 1;
  return { before: sum(steps.slice(0, firstDown)), down: sum(steps.slice(firstDown, endDown)), after: sum(steps.slice(endDown)) };
}

function kindOf(m: MemberInput, p: Extract<Plan, { kind: "ok" }>): MemberKind {
  if (p.steps.length === 0) return "skip";
  const down = m.actual.status === "Stopped" || m.actual.status === "Stopping";
  if (down && m.ctx.startWhenDone === true) return "restart";
  return p.stopsInstance || p.restartsInstance === true ? "stop" : "noStop";
}

/**
 * Plan the rollout. The schedule is the executor's rule: instances go down in the order given
 * (restarts first, then the canary, then the rest); one goes down as soon as it is ready to and
 * taking it down keeps the instances not serving at or under `maxUnavailable`; it frees its slot
 * once serving again plus the warmup. Those after the canary wait for the canary to serve, warm up
 * and bake. A follow-up change after an instance's cooldown (its bandwidth) runs outside its slot.
 * Instances not serving for other reasons count against `maxUnavailable` (a running one is assumed
 * to serve after `healthSeconds` + warmup; a stopped one this rollout does not start, never).
 *
 * @example
 * const p = planRollout(members, rules, { healthSeconds: 10 });
 * if (p.kind === "ok") console.log(p.waves, p.expectedTotalSeconds);
 */
export function planRollout(members: readonly MemberInput[], rules: RolloutRules, estimates: FleetEstimates): FleetPlan {
  const refusals: MemberRefusal[] = [];
  const seen = new Map<string, number>();
  members.forEach((m, index) => {
    const id = m.desired.instanceId;
    if (seen.has(id)) {
      refusals.push({
        instanceId: id,
        index,
        refusal: { code: "InvalidRequest", field: "instanceId", message: `instance ${id} is listed twice in instances (at ${seen.get(id)} and ${index}): list each once` },
      });
    }
    seen.set(id, index);
  });
  const planned = members.map((m, index) => {
    const p = planOne(m.actual, m.desired, { ...m.ctx, estimates: { ...estimates, ...m.ctx.estimates } });
    if (p.kind === "refused") p.refusals.forEach((refusal) => refusals.push({ instanceId: m.desired.instanceId, index, refusal }));
    return p;
  });
  if (refusals.length > 0) return { kind: "refused", refusals };
  const K = resolveMaxUnavailable(rules.maxUnavailable, members.length);
  const recover = estimates.healthSeconds + rules.warmupSeconds;
  const infos = members.map((m, i) => {
    const p = planned[i] as Extract<Plan, { kind: "ok" }>;
    const kind = kindOf(m, p);
    const est = { ...DEFAULT_ESTIMATES, ...estimates, ...m.ctx.estimates };
    return { m, p, kind, ph: phases(p.steps, kind, est) };
  });
  // Down intervals [from, to) of instances outside the slots: stopped ones this rollout leaves down
  // (forever), running ones not serving yet (until they recover).
  const outside: { from: number; to: number }[] = [];
  for (const x of infos) {
    if (x.m.serving || x.kind === "stop" || x.kind === "restart") continue;
    const running = x.m.actual.status === "Running" || x.m.actual.status === "Starting";
    outside.push({ from: 0, to: running ? recover : Infinity });
  }
  const restarts = infos.filter((x) => x.kind === "restart");
  const stops = infos.filter((x) => x.kind === "stop");
  const canarySize = Math.min(rules.canary.size, stops.length);
  const order = [...restarts, ...stops];
  const slots: { id: string; from: number; to: number; wasServing: boolean }[] = [];
  const downAt = new Map<string, number>();
  const downAtAt = (t: number, extra: boolean) =>
    slots.filter((s) => s.from <= t && t < s.to).length + outside.filter((o) => o.from <= t && t < o.to).length + (extra ? 1 : 0);
  let canaryDone = 0;
  let refusedNoRoom: MemberRefusal | undefined;
  order.forEach((x, n) => {
    const id = x.m.desired.instanceId;
    const isCanary = x.kind === "stop" && n - restarts.length < canarySize;
    let t = x.ph.before;
    if (x.kind === "stop" && !isCanary && canarySize > 0) t = Math.max(t, canaryDone);
    if (n > 0) t = Math.max(t, slots[slots.length - 1]!.from);
    // An instance already not serving adds nothing to the count; a restart is down anyway.
    const adds = x.kind === "stop" && x.m.serving;
    const candidates = [t, ...slots.map((s) => s.to), ...outside.map((o) => o.to)].filter((c) => c >= t && Number.isFinite(c)).sort((a, b) => a - b);
    const at = x.kind === "restart" ? t : candidates.find((c) => downAtAt(c, adds) <= K);
    if (at === undefined) {
      refusedNoRoom ??= {
        instanceId: id,
        index: members.indexOf(x.m),
        refusal: {
          code: "NotSettled",
          message:
            `maxUnavailable ${K} leaves no room to stop ${id}: ${outside.filter((o) => o.to === Infinity).length} instance(s) of the fleet stay stopped ` +
            `and count as not serving; start them, or raise rollout.maxUnavailable`,
        },
      };
      return;
    }
    const to = at + x.ph.down + recover;
    slots.push({ id, from: at, to, wasServing: x.m.serving });
    downAt.set(id, at);
    if (isCanary) canaryDone = Math.max(canaryDone, to + rules.canary.bakeSeconds);
  });
  if (refusedNoRoom) return { kind: "refused", refusals: [refusedNoRoom] };
  // Waves: the instances that go down at the same moment, in order; the canary is wave 1 on its own.
  const waves: string[][] = [];
  const waveOf = new Map<string, number>();
  let lastFrom: number | undefined;
  order.forEach((x, n) => {
    const id = x.m.desired.instanceId;
    const from = downAt.get(id)!;
    const isCanaryBoundary = x.kind === "stop" && n - restarts.length === canarySize && canarySize > 0;
    if (lastFrom === undefined || Math.abs(from - lastFrom) > 1e-6 || isCanaryBoundary || (x.kind === "stop" && n === restarts.length && restarts.length > 0)) {
      waves.push([]);
    }
    waves[waves.length - 1]!.push(id);
    waveOf.set(id, waves.length);
    lastFrom = from;
  });
  const ends = infos.map((x) => {
    const id = x.m.desired.instanceId;
    const at = downAt.get(id);
    if (at === undefined) return x.p.expectedDurationSeconds;
    return at + x.ph.down + Math.max(recover, x.ph.after);
  });
  const points = [0, ...slots.map((s) => s.from), ...outside.map((o) => o.from)];
  const mostDownAtOnce = Math.max(0, ...points.map((t) => downAtAt(t, false)));
  const memberPlans: MemberPlan[] = infos.map((x) => {
    const id = x.m.desired.instanceId;
    const at = downAt.get(id);
    const goesDown = at !== undefined;
    return {
      instanceId: id,
      kind: x.kind,
      plan: x.p,
      serving: x.m.serving,
      ...(x.kind === "stop" ? { downBy: x.p.stopsInstance ? ("stopStart" as const) : ("reboot" as const) } : {}),
      ...(goesDown ? { wave: waveOf.get(id)!, downAtSeconds: at } : {}),
      downtimeSeconds: x.p.expectedDowntimeSeconds,
      notServingSeconds: goesDown ? x.ph.down + recover : x.p.expectedDowntimeSeconds,
    };
  });
  return {
    kind: "ok",
    members: memberPlans,
    maxUnavailable: K,
    notServing: infos.filter((x) => !x.m.serving).map((x) => x.m.desired.instanceId),
    waves,
    mostDownAtOnce,
    expectedTotalSeconds: Math.max(0, ...ends),
    rules,
    estimates,
  };
}
