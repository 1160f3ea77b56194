/**
 * The rollout executor of an `InstanceSpecFleet`: every instance goes through the one executor
 * (`apply`), and this module decides when each may go down. An instance takes a slot right before
 * its StopInstance, or right before the order of a subscription upgrade that ECS follows with a
 * restart (the executor's `beforeStop` hook), and gives it back once it serves again and has warmed
 * up (after the executor's `afterStart`); its follow-up change after the cooldown (bandwidth) runs
 * on outside the slot.
 * A slot is granted only while the instances not serving — slot holders plus any other instance
 * of the fleet the health check sees down — stay within `maxUnavailable`. Works from the live
 * fleet, so running it again after an interruption finishes the job: an instance at its target is
 * skipped, one stopped by the interrupted run (restore marker) is started first, in a slot.
 */
import { realClock, type Clock } from "../clock";
import type { EcsApi } from "../client";
import { apply, ApplyError, readWithRetry, type AppliedStep, type ApplyResult, type ApplyTiming, type ObservedDurations } from "../executor";
import { typeCatalogueFor } from "../facts";
import { markerIsStale, markerSaysStart } from "../marker";
import type { InstanceSnapshot } from "../model";
import type { Estimates } from "../plan";
import type { DesiredSpec } from "../schema";
import { describeRollout } from "./describe";
import { waitUntilServing, type WaitResult } from "../health";
import { addressOf as defaultAddressOf, type FleetHealth, type HealthObservation, type InstanceAddress } from "./health";
import { planRollout, type FleetPlan, type MemberInput, type MemberKind, type MemberRefusal, type RolloutRules } from "./plan";

/** What an earlier rollout recorded about an instance (from the fleet's outputs). */
export interface MemberRecord {
  readonly lastChangeAt?: string;
  readonly observed?: ObservedDurations;
}

/** Options of {@link rollout}. */
export interface RolloutOptions {
  readonly api: EcsApi;
  /** Each instance's desired spec, in rollout order. */
  readonly members: readonly DesiredSpec[];
  readonly rules: RolloutRules;
  /** The health check; without one, `statusHealth`. */
  readonly health: FleetHealth;
  /** Addresses for the health check, by instance; default the ID and the IPs `DescribeInstances` shows. */
  readonly addressOf?: (s: InstanceSnapshot) => InstanceAddress;
  /** Stop/start/modify estimates, and how long an instance takes to serve after Running, seconds. */
  readonly estimates?: Partial<Estimates> & { readonly healthSeconds?: number };
  /** The executor's timing (poll intervals…), as for one instance. */
  readonly timing?: Partial<ApplyTiming>;
  /**
   * Instances the health check could never judge (not behind the load balancer…), found before
   * anything is touched: any one refuses the rollout.
   */
  readonly healthProblems?: (snapshots: readonly InstanceSnapshot[]) => Promise<readonly { property: string; reason: string }[]>;
  /** What the last rollout recorded, by instance ID. */
  readonly records?: ReadonlyMap<string, MemberRecord>;
  /** Progress lines (per wave, per instance). */
  readonly onProgress?: (line: string) => void;
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
  /** Between two observations of the fleet while instances wait for a slot, ms. Default the health check's interval. */
  readonly healthPollMs?: number;
}

/** What happened to one instance. */
export type MemberOutcome =
  /** It already matched. */
  | "skipped"
  /** It has its spec. */
  | "changed"
  /** Its change failed, or it never served again (see `error`). */
  | "failed"
  /** It never served again and got its previous type back. */
  | "rolledBack"
  /** The rollout stopped before its turn: nothing was done to it. */
  | "untouched";

/** One instance's result. */
export interface MemberResult {
  readonly instanceId: string;
  readonly kind: MemberKind;
  readonly outcome: MemberOutcome;
  /** This rollout stopped it (once for the change, once more for a rollback). */
  readonly stops: number;
  /** ECS restarted it for this rollout's subscription upgrade (RebootWhenFinished; no StopInstance). */
  readonly restarts: number;
  /** The wave it was planned in. */
  readonly wave?: number;
  /** The live instance at the end. */
  readonly actual?: InstanceSnapshot;
  /** The calls made, rollback included. */
  readonly steps: readonly AppliedStep[];
  readonly lastChangeAt?: string;
  readonly observed?: ObservedDurations;
  /** Seconds from its slot (right before its StopInstance, or its reboot-making order) until it served again and had warmed up. */
  readonly notServingSeconds?: number;
  readonly error?: string;
}

/** What a rollout did. */
export interface RolloutResult {
  readonly plan: Extract<FleetPlan, { kind: "ok" }>;
  readonly members: readonly MemberResult[];
  /** Instances that failed (rolled back ones included). */
  readonly failures: number;
  /** The rollout stopped starting instances after too many failures. */
  readonly halted: boolean;
  /** The most instances not serving at once as the rollout counted them (slot holders + others seen down). */
  readonly mostDownCounted: number;
}

/** A rollout that did not finish, or was refused before anything was touched. */
export class RolloutError extends Error {
  override readonly name = "RolloutError";
  constructor(
    message: string,
    /** What happened so far (absent for a refusal or a failure before the plan). */
    readonly result?: RolloutResult,
    /** For a refusal: every instance's refusals. */
    readonly refusals?: readonly MemberRefusal[],
  ) {
    super(message);
  }
}

/** Rejects the gate of an instance whose turn never comes. */
class Halted extends Error {
  override readonly name = "Halted";
}

interface Tracked {
  readonly desired: DesiredSpec;
  readonly order: number;
  kind: MemberKind;
  /** Goes down by ECS's restart after a subscription upgrade's order, not by a stop. */
  reboots: boolean;
  wave?: number;
  before?: InstanceSnapshot;
  serving: boolean;
  holder: boolean;
  released: boolean;
  /** Holds one of the launch permits (see `launch`). */
  permit: boolean;
  watching?: Promise<void>;
  applyDone?: Promise<ApplyResult | ApplyError | Error>;
  error?: string;
  steps: AppliedStep[];
  outcome?: MemberOutcome;
  stops: number;
  restarts: number;
  downAtMs?: number;
  notServingSeconds?: number;
  lastChangeAt?: string;
  observed?: ObservedDurations;
  after?: InstanceSnapshot;
}

/**
 * Read the fleet and plan its rollout (nothing is changed): what `check` shows and what
 * {@link rollout} runs. Refusals come back as a refused plan.
 */
export async function planFleet(o: Pick<RolloutOptions, "api" | "members" | "rules" | "health" | "addressOf" | "estimates" | "records">, now: Date, priority?: "preview"): Promise<{ plan: FleetPlan; snapshots: Map<string, InstanceSnapshot> }> {
  const reads = await Promise.all(
    o.members.map((d) => readWithRetry(() => o.api.describeInstance(d.instanceId, priority ? { priority } : {}))),
  );
  const missing: MemberRefusal[] = [];
  reads.forEach((r, index) => {
    if (!r) {
      const id = o.members[index]!.instanceId;
      missing.push({ instanceId: id, index, refusal: { code: "InvalidRequest", field: "instanceId", message: `instance ${id} was not found in region ${o.members[index]!.regionId}: check the ID and the region` } });
    }
  });
  if (missing.length > 0) return { plan: { kind: "refused", refusals: missing }, snapshots: new Map() };
  const snaps = reads as InstanceSnapshot[];
  const addressOf = o.addressOf ?? defaultAddressOf;
  const seen = await o.health.observe(snaps.map(addressOf));
  const retryRead = <T>(_action: string, read: () => Promise<T>): Promise<T> => readWithRetry(read);
  const inputs: MemberInput[] = await Promise.all(
    snaps.map(async (actual, i): Promise<MemberInput> => {
      const desired = o.members[i]!;
      const catalogue = await typeCatalogueFor(o.api, actual, desired, undefined, retryRead);
      const last = o.records?.get(desired.instanceId)?.lastChangeAt;
      return {
        actual,
        desired,
        serving: seen.get(actual.instanceId) === "serving",
        ctx: {
          now,
          ...(catalogue ? { availableTypes: catalogue.availableTypes, ...(catalogue.downgradeTypes ? { downgradeTypes: catalogue.downgradeTypes } : {}) } : {}),
          ...(last ? { lastChangeAt: new Date(last) } : {}),
          startWhenDone: markerSaysStart(actual),
        },
      };
    }),
  );
  const { healthSeconds = 0, ...est } = o.estimates ?? {};
  return { plan: planRollout(inputs, o.rules, { ...est, healthSeconds }), snapshots: new Map(snaps.map((s) => [s.instanceId, s])) };
}

/**
 * Roll the fleet to its desired spec within the rules. Resolves when every instance has its spec;
 * rejects with {@link RolloutError} (its `result` says what happened to each instance) when one
 * failed, when the rollout stopped after too many failures, or when interrupted — an instance
 * stopped by it is started again first, by the executor.
 *
 * @example
 * const r = await rollout({ api, members, rules, health: statusHealth(api), onProgress: console.log });
 * console.log(r.members.map((m) => `${m.instanceId} ${m.outcome}`));
 */
export async function rollout(o: RolloutOptions): Promise<RolloutResult> {
  const clock = o.clock ?? realClock;
  const say = (line: string) => o.onProgress?.(line);
  const pollMs = o.healthPollMs ?? o.health.timing.intervalSeconds * 1000;
  const addressOf = o.addressOf ?? defaultAddressOf;
  /** One observation of many instances; a check that cannot answer now (a busy load balancer) sees nobody serving. */
  const observe = async (instances: readonly InstanceAddress[]): Promise<Map<string, HealthObservation>> => {
    try {
      return await o.health.observe(instances);
    } catch (e) {
      o.signal?.throwIfAborted();
      say(`health check could not answer (${e instanceof Error ? e.message : String(e)}); counting the instances asked as not serving until it does`);
      return new Map(instances.map((i) => [i.instanceId, "noSignal"] as const));
    }
  };

  const { healthSeconds: _health, ...singleEstimates } = o.estimates ?? {};
  const applyTiming: Partial<ApplyTiming> = { ...o.timing, ...singleEstimates };
  const { plan: fleetPlan, snapshots } = await planFleet(o, new Date(clock.now()));
  if (fleetPlan.kind === "refused") {
    throw new RolloutError(`rollout refused, nothing was changed:\n${describeRollout(fleetPlan).join("\n")}`, undefined, fleetPlan.refusals);
  }
  const unjudged = (await o.healthProblems?.([...snapshots.values()])) ?? [];
  if (unjudged.length > 0) {
    throw new RolloutError(`rollout refused, nothing was changed:\n${unjudged.map((p) => `${p.property}: ${p.reason}`).join("\n")}`);
  }
  for (const line of describeRollout(fleetPlan)) say(line);
  const K = fleetPlan.maxUnavailable;
  const rules = o.rules;
  /** Until the instance serves (`healthyThreshold` observations in a row), then the warmup; or the timeout. */
  const waitServing = (instance: InstanceAddress): Promise<WaitResult> =>
    waitUntilServing(o.health, instance, {
      timing: { ...o.health.timing, warmupSeconds: rules.warmupSeconds, timeoutSeconds: rules.healthTimeoutSeconds },
      clock,
      ...(o.signal ? { signal: o.signal } : {}),
    });
  const members: Tracked[] = o.members.map((desired, order) => {
    const mp = fleetPlan.members[order]!;
    return {
      desired,
      order,
      kind: mp.kind,
      reboots: mp.downBy === "reboot",
      ...(mp.wave !== undefined ? { wave: mp.wave } : {}),
      before: snapshots.get(desired.instanceId),
      serving: mp.serving,
      holder: false,
      released: false,
      permit: false,
      steps: [],
      stops: 0,
      restarts: 0,
    };
  });
  const byId = new Map(members.map((m) => [m.desired.instanceId, m]));
  const stopOrder = members.filter((m) => m.kind === "stop");
  const canary = new Set(stopOrder.slice(0, Math.min(rules.canary.size, stopOrder.length)).map((m) => m.desired.instanceId));
  let canaryPassed = canary.size === 0;
  let failures = 0;
  let halted = false;
  let mostDownCounted = 0;
  const waiting: { m: Tracked; resolve: () => void; reject: (e: Error) => void }[] = [];
  // Anyone waiting for a change (a slot freed, a failure, the canary's end) is woken by kick().
  const wakers = new Set<() => void>();
  const kick = () => {
    for (const w of wakers) w();
    wakers.clear();
  };
  const kicked = () => new Promise<void>((r) => wakers.add(r));

  const fail = (m: Tracked, why: string) => {
    failures++;
    m.error = m.error ? `${m.error}; ${why}` : why;
    say(`[${m.desired.instanceId}] FAILED: ${why} (failures ${failures}, maxFailures ${rules.maxFailures})`);
    if (failures > rules.maxFailures && !halted) {
      halted = true;
      const left = members.filter((x) => (x.kind === "stop" || x.kind === "restart") && !x.holder && !x.released).map((x) => x.desired.instanceId);
      say(`rollout STOPPED: ${failures} failure(s) > maxFailures ${rules.maxFailures}; instances in flight finish, ${left.length} not started stay untouched${left.length ? `: ${left.join(", ")}` : ""}`);
      for (const w of waiting.splice(0)) w.reject(new Halted(`the rollout stopped after ${failures} failure(s) (maxFailures ${rules.maxFailures}) before its turn: nothing was done`));
      for (const q of launchQueue.splice(0)) q.go(false);
    }
    kick();
  };

  // Another instance counts as serving once seen serving for as long as `healthyThreshold`
  // observations in a row take, as a restarted one must (a flapping one is not counted on while it
  // flaps): the first stop waits that long. One just confirmed by its own wait counts at once.
  const steadyMs = (o.health.timing.healthyThreshold - 1) * o.health.timing.intervalSeconds * 1000;
  const servingSince = new Map<string, number>();
  /** Grants slots to waiting instances, in rollout order, while the count allows; runs while anyone waits. */
  let granting: Promise<void> | undefined;
  const grantLoop = async () => {
    while (waiting.length > 0 && !halted) {
      o.signal?.throwIfAborted();
      const nextKick = kicked();
      const eligible = waiting.filter((w) => canaryPassed || canary.has(w.m.desired.instanceId)).sort((a, b) => a.m.order - b.m.order);
      if (eligible.length > 0) {
        const others = members.filter((m) => !m.holder);
        const seen = await observe(others.map((m) => addressOf(m.after ?? m.before!)));
        const now = clock.now();
        for (const m of others) {
          const id = m.desired.instanceId;
          if (seen.get(id) !== "serving") servingSince.delete(id);
          else if (!servingSince.has(id)) servingSince.set(id, now);
        }
        const notServingOthers = new Set(others.filter((m) => !(now - (servingSince.get(m.desired.instanceId) ?? Infinity) >= steadyMs)).map((m) => m.desired.instanceId));
        let down = members.filter((m) => m.holder).length + notServingOthers.size;
        mostDownCounted = Math.max(mostDownCounted, down);
        for (const w of eligible) {
          const adds = notServingOthers.has(w.m.desired.instanceId) ? 0 : 1;
          if (down + adds > K) break;
          down += adds;
          notServingOthers.delete(w.m.desired.instanceId);
          waiting.splice(waiting.indexOf(w), 1);
          w.m.holder = true;
          w.resolve();
        }
        mostDownCounted = Math.max(mostDownCounted, down);
      }
      if (waiting.length === 0) break;
      await Promise.race([nextKick, clock.sleep(pollMs, o.signal)]);
    }
  };
  const acquire = (m: Tracked) => (): Promise<void> => {
    if (halted) return Promise.reject(new Halted(`the rollout stopped after ${failures} failure(s) (maxFailures ${rules.maxFailures}) before its turn: nothing was done`));
    if (m.holder) return Promise.resolve();
    const p = new Promise<void>((resolve, reject) => {
      waiting.push({
        m,
        resolve: () => {
          m.downAtMs = clock.now();
          if (m.reboots) m.restarts++;
          else m.stops++;
          const how = m.reboots ? "ordering the subscription upgrade (ECS restarts it once the order settles)" : "stopping";
          say(`[${m.desired.instanceId}] wave ${m.wave ?? "-"}${canary.has(m.desired.instanceId) ? " (canary)" : ""}: slot taken, ${how} (${members.filter((x) => x.holder).length}/${K} slots in use)`);
          resolve();
        },
        reject,
      });
    });
    kick();
    granting ??= grantLoop()
      .catch((e: unknown) => {
        for (const w of waiting.splice(0)) w.reject(e instanceof Error ? e : new Error(String(e)));
      })
      .finally(() => (granting = undefined));
    return p;
  };
  const release = (m: Tracked) => {
    unlaunch(m);
    if (!m.holder) return;
    servingSince.set(m.desired.instanceId, -Infinity);
    m.holder = false;
    m.released = true;
    if (m.downAtMs !== undefined) m.notServingSeconds = Math.round((clock.now() - m.downAtMs) / 10) / 100;
    kick();
  };

  // An instance's apply counts its own deadline (timeoutSeconds) from its start: with every apply
  // started at once, the last instances of a long rollout would time out waiting for their turn.
  // So at most 2 × maxUnavailable instances that stop are under way at once (those in a slot, and
  // as many reading, planning and checking ahead, ready at the gate), in rollout order.
  const permits = 2 * K;
  let inUse = 0;
  const launchQueue: { m: Tracked; go: (ok: boolean) => void }[] = [];
  const launch = (m: Tracked): Promise<boolean> => {
    if (halted) return Promise.resolve(false);
    if (inUse < permits && launchQueue.length === 0) {
      inUse++;
      m.permit = true;
      return Promise.resolve(true);
    }
    return new Promise((go) => launchQueue.push({ m, go }));
  };
  function unlaunch(m: Tracked): void {
    if (!m.permit) return;
    m.permit = false;
    inUse--;
    while (inUse < permits && launchQueue.length > 0) {
      const next = launchQueue.shift()!;
      if (halted) {
        next.go(false);
        continue;
      }
      inUse++;
      next.m.permit = true;
      next.go(true);
    }
  }

  /** After its start: wait until it serves and has warmed up, then free its slot; a failure may roll it back. */
  const watch = (m: Tracked, rollbackAllowed: boolean): Promise<void> =>
    (async () => {
      const id = m.desired.instanceId;
      say(`[${id}] running again; waiting for ${o.health.description}`);
      const r = await waitServing(addressOf(m.after ?? m.before!));
      if (r.ok) {
        say(`[${id}] serving${rules.warmupSeconds > 0 ? ` and warmed up (${rules.warmupSeconds} s)` : ""}; slot freed`);
        release(m);
        return;
      }
      fail(m, r.reason);
      if (!rollbackAllowed || !rules.rollbackOnFailure || m.before === undefined) {
        m.outcome = "failed";
        release(m);
        return;
      }
      await rollBack(m);
    })();

  const rollBack = async (m: Tracked) => {
    const id = m.desired.instanceId;
    // Its own apply (a follow-up bandwidth change) finishes first: one executor per instance at a time.
    await m.applyDone;
    const previous = m.before!.instanceType;
    say(`[${id}] rolling back to ${previous} (after its cooldown)`);
    try {
      const r = await apply({
        api: o.api,
        desired: { ...m.desired, instanceType: previous },
        ...(m.lastChangeAt ? { lastChangeAt: m.lastChangeAt } : {}),
        ...(m.observed ? { observed: m.observed } : {}),
        timing: applyTiming,
        onProgress: (e) => {
          if (e.type !== "plan") say(`[${id}] rollback: ${e.message}`);
        },
        ...(o.signal ? { signal: o.signal } : {}),
      });
      m.steps.push(...r.steps);
      if (r.steps.some((s) => s.action === "StopInstance" && s.outcome === "done")) m.stops++;
      m.after = r.after;
      m.lastChangeAt = r.lastChangeAt ?? m.lastChangeAt;
      m.outcome = "rolledBack";
      const again = await waitServing(addressOf(r.after));
      say(`[${id}] rolled back to ${previous}: ${again.ok ? "serving again" : `still not serving (${again.reason})`}`);
      if (!again.ok) m.error = `${m.error ?? ""}; after the rollback to ${previous}: ${again.reason}`;
    } catch (e) {
      m.outcome = "failed";
      m.error = `${m.error ?? ""}; the rollback to ${previous} failed: ${e instanceof Error ? e.message : String(e)}`;
      if (e instanceof ApplyError) m.steps.push(...e.partial.steps);
    } finally {
      release(m);
    }
  };

  const run = async (m: Tracked): Promise<void> => {
    const id = m.desired.instanceId;
    const record = o.records?.get(id);
    if (m.kind === "skip" && !(m.before && markerIsStale(m.before))) {
      m.outcome = "skipped";
      m.after = m.before;
      m.lastChangeAt = record?.lastChangeAt;
      m.observed = record?.observed;
      return;
    }
    if (m.kind === "restart") {
      m.holder = true;
      m.downAtMs = clock.now();
    }
    if (m.kind === "stop" && !(await launch(m))) {
      m.outcome = "untouched";
      return;
    }
    if (o.signal?.aborted) {
      unlaunch(m);
      m.outcome = "untouched";
      return;
    }
    const slotted = m.kind === "stop" || m.kind === "restart";
    const done = apply({
      api: o.api,
      desired: m.desired,
      ...(record?.lastChangeAt ? { lastChangeAt: record.lastChangeAt } : {}),
      ...(record?.observed ? { observed: record.observed } : {}),
      timing: applyTiming,
      onProgress: (e) => {
        if (e.type !== "plan") say(`[${id}] ${e.message}`);
      },
      ...(o.signal ? { signal: o.signal } : {}),
      ...(slotted
        ? {
            hooks: {
              beforeStop: acquire(m),
              afterStart: () => {
                m.watching ??= watch(m, true);
              },
            },
          }
        : {}),
    }).then(
      (r) => r,
      (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
    );
    m.applyDone = done;
    const r = await done;
    if (r instanceof ApplyError || r instanceof Error) {
      const ae = r instanceof ApplyError ? r : undefined;
      if (ae) {
        m.steps.push(...ae.partial.steps);
        m.after = ae.partial.after ?? m.after;
        m.lastChangeAt = ae.partial.lastChangeAt ?? record?.lastChangeAt;
        m.observed = ae.partial.observed;
      }
      const changedSomething = m.steps.some((s) => s.action !== undefined && s.action !== "StopInstance" && s.outcome !== "skipped");
      if ((r.cause instanceof Halted || o.signal?.aborted) && m.stops + m.restarts === 0) {
        unlaunch(m);
        // A change made before the gate (a bandwidth change planned first) is not "untouched".
        m.outcome = changedSomething ? "failed" : "untouched";
        if (changedSomething) m.error = `${r.message} (its type change was not made)`;
        return;
      }
      if (o.signal?.aborted) {
        unlaunch(m);
        m.outcome = "failed";
        m.error = r.message;
        return;
      }
      if (!m.error || !m.error.includes(r.message)) fail(m, r.message);
      m.outcome = "failed";
      // Stopped and started again on its old type by the executor: it still holds its slot until it serves.
      if (m.holder && !m.watching) m.watching = watch(m, false);
      await m.watching;
      release(m);
      return;
    }
    m.steps.push(...r.steps);
    m.after = r.after;
    m.lastChangeAt = r.lastChangeAt;
    m.observed = r.observed;
    if (m.watching) await m.watching;
    release(m);
    m.outcome ??= "changed";
    say(`[${id}] done: ${m.outcome}${m.notServingSeconds !== undefined ? `, not serving ${m.notServingSeconds} s` : ""}`);
  };

  let canaryWatch: Promise<void> = Promise.resolve();
  if (!canaryPassed) {
    canaryWatch = (async () => {
      const canaryMembers = [...canary].map((id) => byId.get(id)!);
      while (!canaryMembers.every((m) => m.released || m.outcome !== undefined)) {
        if (halted) return;
        await Promise.race([kicked(), clock.sleep(pollMs, o.signal)]);
      }
      if (halted) return;
      if (rules.canary.bakeSeconds > 0) {
        say(`canary ${[...canary].join(", ")} serving; baking ${rules.canary.bakeSeconds} s before the rest`);
        await clock.sleep(rules.canary.bakeSeconds * 1000, o.signal);
      }
      const seen = await observe(canaryMembers.map((m) => addressOf(m.after ?? m.before!)));
      for (const m of canaryMembers) {
        if (m.outcome === "changed" || m.outcome === undefined) {
          const h: HealthObservation = seen.get(m.desired.instanceId) ?? "noSignal";
          if (h !== "serving") {
            m.outcome = "failed";
            fail(m, `canary not serving after the bake (${o.health.description}: ${h})`);
          }
        }
      }
      if (!halted) {
        canaryPassed = true;
        say(`canary passed: the rest of the fleet goes on`);
        kick();
      }
    })();
  }
  const runs = members.map((m) => run(m));
  const settled = await Promise.allSettled([...runs, canaryWatch]);
  const interrupted = settled.find((s) => s.status === "rejected");
  const results: MemberResult[] = members.map((m) => ({
    instanceId: m.desired.instanceId,
    kind: m.kind,
    outcome: m.outcome ?? (m.stops + m.restarts === 0 ? "untouched" : "failed"),
    stops: m.stops,
    restarts: m.restarts,
    ...(m.wave !== undefined ? { wave: m.wave } : {}),
    ...(m.after ?? m.before ? { actual: m.after ?? m.before } : {}),
    steps: m.steps,
    ...(m.lastChangeAt ? { lastChangeAt: m.lastChangeAt } : {}),
    ...(m.observed ? { observed: m.observed } : {}),
    ...(m.notServingSeconds !== undefined ? { notServingSeconds: m.notServingSeconds } : {}),
    ...(m.error ? { error: m.error } : {}),
  }));
  const result: RolloutResult = { plan: fleetPlan, members: results, failures, halted, mostDownCounted };
  const bad = results.filter((r) => r.outcome === "failed" || r.outcome === "rolledBack" || r.outcome === "untouched");
  if (interrupted || bad.length > 0 || o.signal?.aborted) {
    const why = interrupted?.status === "rejected" ? String((interrupted.reason as Error)?.message ?? interrupted.reason) : undefined;
    const lines = [
      o.signal?.aborted ? `rollout interrupted${why ? ` (${why})` : ""}: run \`pulumi up\` again to finish it` : halted ? `rollout stopped: ${failures} failure(s) > maxFailures ${rules.maxFailures}` : `rollout finished with ${bad.length} instance(s) not changed`,
      ...bad.map((r) => `${r.instanceId}: ${r.outcome}${r.error ? ` — ${r.error}` : ""}`),
    ];
    throw new RolloutError(lines.join("\n"), result);
  }
  say(`rollout done: ${results.filter((r) => r.outcome === "changed").length} changed, ${results.filter((r) => r.outcome === "skipped").length} skipped`);
  return result;
}
