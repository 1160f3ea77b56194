/**
 * The executor: the only effectful runner. Reads the live instance, plans, runs each step once
 * inside `p-retry` with a named policy, waits for every change to show, and restarts an instance it
 * stopped if anything fails after the stop. Works from the live state, so running it again after an
 * interruption finishes the job without repeating a change.
 */
import pRetry from "p-retry";
import { realClock, type Clock } from "./clock";
import { modifyParams, type EcsApi, type ModifyInstanceSpecParams } from "./client";
import { isEcsApiError, type Decision } from "./errors";
import type { InstanceSnapshot } from "./model";
import {
  DEFAULT_ESTIMATES,
  describePlan,
  describeStep,
  formatDuration,
  plan as makePlan,
  temporaryActive,
  type Estimates,
  type ModifyStep,
  type Plan,
  type Refusal,
  type Step,
} from "./plan";
import type { DesiredSpec, TemporaryBandwidth } from "./schema";

/** Timing of the executor. All in seconds. */
export interface ApplyTiming extends Estimates {
  /** Interval between two `DescribeInstances` polls while waiting for a status or a change. Default 2. */
  readonly pollSeconds: number;
  /** Added to the end of every cooldown (absorbs the API's own rounding). Default 1. */
  readonly cooldownMarginSeconds: number;
  /** How long a change may take to show in `DescribeInstances`. Default 120. */
  readonly verifySeconds: number;
  /** How long a stop, a start or a transitional status may take. Default 600. */
  readonly settleSeconds: number;
  /** A cooldown wait reports progress at least this often. Default 30. */
  readonly progressSeconds: number;
}

/** Default executor timing. */
export const DEFAULT_TIMING: ApplyTiming = Object.freeze({
  ...DEFAULT_ESTIMATES,
  pollSeconds: 2,
  cooldownMarginSeconds: 1,
  verifySeconds: 120,
  settleSeconds: 600,
  progressSeconds: 30,
});

/** A named retry policy: how many retries and the backoff range (jittered, doubling). */
export interface RetryPolicy {
  readonly name: string;
  /** Retries after the first attempt. */
  readonly retries: number;
  /** First backoff, ms. */
  readonly minDelayMs: number;
  /** Backoff cap, ms. */
  readonly maxDelayMs: number;
}

/** Policy names. */
export type PolicyName = "specChange" | "specChangeWhileDown" | "power" | "read";

/** The retry policies: one per kind of call. */
export const RETRY_POLICIES: Readonly<Record<PolicyName, RetryPolicy>> = Object.freeze({
  /** ModifyInstanceSpec: cooldown waits and lost answers count as retries too. */
  specChange: { name: "specChange", retries: 8, minDelayMs: 2_000, maxDelayMs: 60_000 },
  /**
   * ModifyInstanceSpec while the instance is down because this run stopped it: every second of
   * backoff is downtime, so fewer, shorter retries (about half a minute in all) before the engine
   * gives up and starts the instance again; the next run tries the change once more.
   */
  specChangeWhileDown: { name: "specChangeWhileDown", retries: 4, minDelayMs: 1_000, maxDelayMs: 15_000 },
  /** StopInstance / StartInstance. */
  power: { name: "power", retries: 6, minDelayMs: 2_000, maxDelayMs: 30_000 },
  /** DescribeInstances / DescribeDisks / DescribeResourcesModification. */
  read: { name: "read", retries: 5, minDelayMs: 1_000, maxDelayMs: 15_000 },
});

/** What the executor reports while it works. Every event has a human `message`. */
export type ProgressEvent =
  | { readonly type: "plan"; readonly lines: readonly string[]; readonly message: string }
  | { readonly type: "step"; readonly index: number; readonly total: number; readonly step: Step; readonly message: string }
  | { readonly type: "waitingForCooldown"; readonly remainingSeconds: number; readonly message: string }
  | { readonly type: "waitingForStatus"; readonly current: string; readonly target: string; readonly message: string }
  | {
      readonly type: "retrying";
      readonly action: string;
      readonly code: string;
      readonly attempt: number;
      readonly delaySeconds: number;
      readonly message: string;
    }
  | { readonly type: "replanning"; readonly reason: string; readonly message: string }
  | { readonly type: "restarting"; readonly message: string };

/** One step as it ran. */
export interface AppliedStep {
  /** Position in its plan, 1-based. */
  readonly index: number;
  readonly kind: Step["kind"];
  /** The API action, for calls. */
  readonly action?: "ModifyInstanceSpec" | "StopInstance" | "StartInstance";
  /** The call's wire parameters (no credentials), for calls. */
  readonly params?: Readonly<Record<string, string>>;
  /** The API's RequestId of the successful attempt (absent when the change was found already applied). */
  readonly requestId?: string;
  readonly clientToken?: string;
  /** ISO 8601. */
  readonly startedAt: string;
  /** ISO 8601. */
  readonly finishedAt: string;
  /** Calls made (0 for waits and skipped steps). */
  readonly attempts: number;
  /** `done`; `alreadyApplied` (an answer was lost but the change shows); `skipped` (nothing to do by then). */
  readonly outcome: "done" | "alreadyApplied" | "skipped";
}

/** Options of {@link apply}. */
export interface ApplyOptions {
  /** The ECS client (the executor's only I/O). */
  readonly api: EcsApi;
  /** The validated desired spec. */
  readonly desired: DesiredSpec;
  /** End of the last successful spec change (from the resource's state), for the cooldown. */
  readonly lastChangeAt?: Date | string;
  /** The temporary window applied by an earlier run (DescribeInstances does not show windows). */
  readonly appliedTemporaryBandwidth?: TemporaryBandwidth;
  /** A type change an earlier run made on a Stopped instance (shows only after the next start). */
  readonly pendingInstanceType?: string;
  /** An earlier, interrupted run left the instance Stopped (`ApplyError.partial.stoppedByEngine`): start it. */
  readonly startWhenDone?: boolean;
  /** Default: the real clock. */
  readonly clock?: Clock;
  /** Jitter source in [0, 1); default `Math.random`. */
  readonly random?: () => number;
  readonly onProgress?: (e: ProgressEvent) => void;
  /** Stops the run; an instance the run stopped is started again before `apply` rejects. */
  readonly signal?: AbortSignal;
  readonly timing?: Partial<ApplyTiming>;
  readonly policies?: Partial<Record<PolicyName, RetryPolicy>>;
}

/** What a successful apply did. */
export interface ApplyResult {
  readonly before: InstanceSnapshot;
  readonly after: InstanceSnapshot;
  /** The first plan (what preview showed, if nothing changed in between). */
  readonly plan: Plan;
  readonly steps: readonly AppliedStep[];
  /** ISO 8601 end of the last successful spec change (this run's or the one passed in). */
  readonly lastChangeAt?: string;
  /** The temporary window now applied. */
  readonly appliedTemporaryBandwidth?: TemporaryBandwidth;
  /** A type change made on a Stopped instance that shows after its next start. */
  readonly pendingInstanceType?: string;
}

/** Why an apply failed. */
export type ApplyErrorCode = "Refused" | "NotFound" | "ApiError" | "Timeout" | "Aborted" | "NotConverged" | "ChangeNotVisible";

/** What had happened when an apply failed: enough for the caller to record the real state. */
export interface PartialResult {
  readonly after?: InstanceSnapshot;
  readonly steps: readonly AppliedStep[];
  readonly lastChangeAt?: string;
  readonly appliedTemporaryBandwidth?: TemporaryBandwidth;
  readonly pendingInstanceType?: string;
  /** The instance is left Stopped by this engine (restart failed): pass `startWhenDone: true` next time. */
  readonly stoppedByEngine: boolean;
}

/** An apply that did not finish. */
export class ApplyError extends Error {
  override readonly name = "ApplyError";
  readonly code: ApplyErrorCode;
  /** For `Refused`: the refusals (nothing was touched). */
  readonly refusals?: readonly Refusal[];
  /** True when the instance had been stopped by this run and was started again before reporting. */
  readonly restarted: boolean;
  readonly partial: PartialResult;
  override readonly cause?: unknown;

  constructor(f: {
    code: ApplyErrorCode;
    message: string;
    partial: PartialResult;
    restarted?: boolean;
    refusals?: readonly Refusal[];
    cause?: unknown;
  }) {
    super(f.message);
    this.code = f.code;
    this.partial = f.partial;
    this.restarted = f.restarted ?? false;
    if (f.refusals) this.refusals = f.refusals;
    if (f.cause !== undefined) this.cause = f.cause;
  }
}

/** Internal: the plan no longer matches the instance; re-read and plan again. */
class Replan extends Error {
  constructor(
    readonly reason: string,
    override readonly cause?: unknown,
  ) {
    super(reason);
  }
}
/** Internal: a failure that is the engine's own (not an API error). */
class EngineFailure extends Error {
  constructor(readonly code: ApplyErrorCode, message: string) {
    super(message);
  }
}

const MAX_REPLANS = 3;

/**
 * The delay before the next attempt, ms. Pure.
 * - `waitCooldown`: until the known end of the cooldown; if it is unknown (a change made elsewhere)
 *   or already past, a jittered backoff but never later than the latest possible end of an unknown
 *   cooldown (`throttledSinceMs + cooldownMs`), since a refused call does not restart it.
 * - otherwise: jittered doubling backoff (half fixed, half random) within the policy's range.
 */
export function retryDelayMs(i: {
  decision: Decision;
  attemptNumber: number;
  policy: RetryPolicy;
  nowMs: number;
  random: () => number;
  cooldownEndMs?: number;
  throttledSinceMs?: number;
  cooldownMs: number;
}): number {
  const base = Math.min(i.policy.maxDelayMs, i.policy.minDelayMs * 2 ** Math.max(0, i.attemptNumber - 1));
  const backoff = Math.round(base / 2 + (i.random() * base) / 2);
  if (i.decision !== "waitCooldown") return backoff;
  if (i.cooldownEndMs !== undefined && i.cooldownEndMs > i.nowMs) return i.cooldownEndMs - i.nowMs;
  if (i.throttledSinceMs !== undefined) {
    const latestEnd = i.throttledSinceMs + i.cooldownMs;
    if (latestEnd > i.nowMs) return Math.min(backoff, latestEnd - i.nowMs);
  }
  return backoff;
}

const RETRYABLE: ReadonlySet<Decision> = new Set(["retry", "verifyThenRetry", "waitCooldown"]);

/**
 * Bring the instance to the desired spec.
 *
 * @example
 * const api = createEcsClient({ regionId: desired.regionId });
 * const r = await apply({ api, desired, lastChangeAt: state.lastChangeAt, onProgress: (e) => console.log(e.message) });
 */
export async function apply(o: ApplyOptions): Promise<ApplyResult> {
  const { api, desired, signal } = o;
  const clock = o.clock ?? realClock;
  const random = o.random ?? Math.random;
  const timing: ApplyTiming = { ...DEFAULT_TIMING, ...o.timing };
  const policies = { ...RETRY_POLICIES, ...o.policies };
  const emit = (e: ProgressEvent) => o.onProgress?.(e);
  const id = desired.instanceId;
  const cooldownMs = desired.cooldownSeconds * 1000;
  const startedMs = clock.now();
  const deadline = startedMs + desired.timeoutSeconds * 1000;
  const iso = (ms: number) => new Date(ms).toISOString();

  const st = {
    lastChangeMs: o.lastChangeAt === undefined ? undefined : new Date(o.lastChangeAt).getTime(),
    temp: o.appliedTemporaryBandwidth,
    pendingType: o.pendingInstanceType,
    startWhenDone: o.startWhenDone === true,
    stoppedByUs: false,
    hasLocalDisks: undefined as boolean | undefined,
    current: undefined as InstanceSnapshot | undefined,
    /** A call that changes something was made after the last read. */
    dirty: false,
    steps: [] as AppliedStep[],
  };

  const cooldownEndMs = () =>
    st.lastChangeMs === undefined ? undefined : st.lastChangeMs + cooldownMs + timing.cooldownMarginSeconds * 1000;

  const checkDeadline = (untilMs: number, what: string, limitMs = deadline) => {
    if (untilMs > limitMs) {
      throw new EngineFailure("Timeout", `timed out: ${what} would end after the timeout of ${formatDuration(desired.timeoutSeconds)} (timeoutSeconds)`);
    }
  };

  /** One call wrapped in p-retry with a named policy. `attemptFn` gets the attempt number and the previous decision. */
  async function withRetry<T>(
    policy: RetryPolicy,
    action: string,
    attemptFn: (attempt: number, previous: Decision | undefined) => Promise<T>,
    opts: { limitMs?: number; signal?: AbortSignal | undefined } = {},
  ): Promise<{ value: T; attempts: number }> {
    let previous: Decision | undefined;
    let attempts = 0;
    let throttledSinceMs: number | undefined;
    const sig = "signal" in opts ? opts.signal : signal;
    const value = await pRetry(
      async (n) => {
        attempts = n;
        return attemptFn(n, previous);
      },
      {
        retries: policy.retries,
        // Delays are ours (on the injected clock); p-retry's own timer stays at 0.
        minTimeout: 0,
        maxTimeout: 0,
        factor: 1,
        ...(sig ? { signal: sig } : {}),
        onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
          if (!isEcsApiError(error)) throw error;
          previous = error.decision;
          if (error.decision === "stopFirst" || (error.decision === "waitStatus" && (policy.name === "specChange" || policy.name === "specChangeWhileDown"))) {
            throw new Replan(`${error.code} on ${error.action}`, error);
          }
          const retryable = RETRYABLE.has(error.decision) || error.decision === "waitStatus";
          if (!retryable || retriesLeft <= 0) throw error;
          const now = clock.now();
          if (error.decision === "waitCooldown") throttledSinceMs ??= now;
          const delay = retryDelayMs({
            decision: error.decision,
            attemptNumber,
            policy,
            nowMs: now,
            random,
            cooldownEndMs: cooldownEndMs(),
            throttledSinceMs,
            cooldownMs,
          });
          checkDeadline(now + delay, `retrying ${action} after ${error.code}`, opts.limitMs);
          emit({
            type: "retrying",
            action,
            code: error.code,
            attempt: attemptNumber,
            delaySeconds: delay / 1000,
            message: `${action}: ${error.code}${error.requestId ? ` [${error.requestId}]` : ""} — retrying in ${formatDuration(delay / 1000)} (attempt ${attemptNumber + 1}/${policy.retries + 1})`,
          });
          if (error.decision === "waitCooldown") await waitUntil(now + delay, opts.limitMs, sig);
          else await clock.sleep(delay, sig);
        },
      },
    );
    return { value, attempts };
  }

  /** Sleep until `untilMs`, reporting the remaining cooldown at least every `progressSeconds`. */
  async function waitUntil(untilMs: number, limitMs = deadline, sig = signal): Promise<void> {
    checkDeadline(untilMs, "waiting for the cooldown", limitMs);
    for (let now = clock.now(); now < untilMs; now = clock.now()) {
      const remaining = untilMs - now;
      emit({
        type: "waitingForCooldown",
        remainingSeconds: remaining / 1000,
        message: `waiting for cooldown ${formatDuration(remaining / 1000)}`,
      });
      await clock.sleep(Math.min(remaining, timing.progressSeconds * 1000), sig);
    }
  }

  async function read(opts: { limitMs?: number; signal?: AbortSignal | undefined } = {}): Promise<InstanceSnapshot> {
    const { value } = await withRetry(policies.read, "DescribeInstances", () => readOnce(), opts);
    return value;
  }
  async function readOnce(): Promise<InstanceSnapshot> {
    const snap = await api.describeInstance(id, st.hasLocalDisks === undefined ? undefined : { knownHasLocalDisks: st.hasLocalDisks });
    if (!snap) throw new EngineFailure("NotFound", `instance ${id} not found in ${desired.regionId}: check instanceId and regionId`);
    st.hasLocalDisks ??= snap.hasLocalDisks;
    st.dirty = false;
    if (st.pendingType !== undefined && snap.instanceType === st.pendingType && snap.status === "Running") st.pendingType = undefined;
    st.current = snap;
    return snap;
  }

  /** Poll until `done(snapshot)`; `what` names the wait in progress events and errors. */
  async function pollUntil(
    done: (s: InstanceSnapshot) => boolean,
    what: { target: string; limitSeconds: number; code: ApplyErrorCode },
    opts: { limitMs?: number; signal?: AbortSignal | undefined } = {},
    first?: InstanceSnapshot,
  ): Promise<InstanceSnapshot> {
    const limit = Math.min(clock.now() + what.limitSeconds * 1000, opts.limitMs ?? deadline);
    const sig = "signal" in opts ? opts.signal : signal;
    for (let known = first; ; known = undefined) {
      const snap = known ?? (await read(opts));
      if (done(snap)) return snap;
      const next = clock.now() + timing.pollSeconds * 1000;
      if (next > limit) {
        throw new EngineFailure(what.code, `instance ${id} did not reach ${what.target} in time (status ${snap.status}, type ${snap.instanceType}, out ${snap.internetMaxBandwidthOut}, in ${snap.internetMaxBandwidthIn})`);
      }
      emit({ type: "waitingForStatus", current: snap.status, target: what.target, message: `waiting for ${what.target} (now ${snap.status})` });
      await clock.sleep(timing.pollSeconds * 1000, sig);
    }
  }

  const waitStatus = (target: "Running" | "Stopped", opts: { limitMs?: number; signal?: AbortSignal | undefined } = {}) =>
    pollUntil((s) => s.status === target, { target: `status ${target}`, limitSeconds: timing.settleSeconds, code: "Timeout" }, opts);

  async function settle(): Promise<InstanceSnapshot> {
    const snap = await read();
    if (snap.status === "Running" || snap.status === "Stopped") return snap;
    return pollUntil(
      (s) => s.status === "Running" || s.status === "Stopped",
      { target: "a settled status (Running or Stopped)", limitSeconds: timing.settleSeconds, code: "Timeout" },
      {},
      snap,
    );
  }

  /** Does the snapshot show the step's change? (Temporary windows never show in DescribeInstances.) */
  function shows(step: ModifyStep, s: InstanceSnapshot, nowMs: number): boolean {
    switch (step.kind) {
      case "modifyType":
        return s.instanceType === step.instanceType;
      case "modifyBandwidth": {
        const out = temporaryActive(st.temp, nowMs) ? st.temp!.internetMaxBandwidthOut : step.out?.to;
        return (step.out === undefined || s.internetMaxBandwidthOut === out) && (step.in === undefined || s.internetMaxBandwidthIn === step.in.to);
      }
      case "modifyTemporaryBandwidth":
        return false;
    }
  }

  function paramsOf(step: ModifyStep): ModifyInstanceSpecParams {
    switch (step.kind) {
      case "modifyType":
        return {
          instanceId: id,
          instanceType: step.instanceType,
          ...(step.systemDiskCategory !== undefined ? { systemDiskCategory: step.systemDiskCategory } : {}),
          ...(step.allowMigrateAcrossZone !== undefined ? { allowMigrateAcrossZone: step.allowMigrateAcrossZone } : {}),
        };
      case "modifyBandwidth":
        return {
          instanceId: id,
          ...(step.out ? { internetMaxBandwidthOut: step.out.to } : {}),
          ...(step.in ? { internetMaxBandwidthIn: step.in.to } : {}),
        };
      case "modifyTemporaryBandwidth":
        return { instanceId: id, temporary: { startTime: step.startTime, endTime: step.endTime, internetMaxBandwidthOut: step.out } };
    }
  }

  async function runModify(step: ModifyStep, index: number): Promise<void> {
    const end = cooldownEndMs();
    if (end !== undefined) await waitUntil(end);
    const startedAt = clock.now();
    const params = paramsOf(step);
    let already = false;
    const policy = st.stoppedByUs ? policies.specChangeWhileDown : policies.specChange;
    const { value, attempts } = await withRetry(policy, "ModifyInstanceSpec", async (attempt, previous) => {
      if (attempt > 1 && previous === "verifyThenRetry") {
        // The last answer was lost: if the change shows, it was applied — do not send it again.
        const snap = await readOnce();
        if (shows(step, snap, clock.now())) {
          already = true;
          return undefined;
        }
      }
      st.dirty = true;
      return api.modifyInstanceSpec(params, step.clientToken);
    });
    const doneMs = clock.now();
    st.lastChangeMs = doneMs;
    if (step.kind === "modifyTemporaryBandwidth") {
      st.temp = { startTime: step.startTime, endTime: step.endTime, internetMaxBandwidthOut: step.out };
    }
    if (step.kind === "modifyType") st.pendingType = step.instanceType;
    st.steps.push({
      index,
      kind: step.kind,
      action: "ModifyInstanceSpec",
      params: { ...modifyParams(params), ClientToken: step.clientToken },
      ...(value?.requestId ? { requestId: value.requestId } : {}),
      clientToken: step.clientToken,
      startedAt: iso(startedAt),
      finishedAt: iso(doneMs),
      attempts,
      outcome: already ? "alreadyApplied" : "done",
    });
    if (step.kind === "modifyBandwidth" && !already) {
      await pollUntil((s) => shows(step, s, clock.now()), {
        target: "the new bandwidth in DescribeInstances",
        limitSeconds: timing.verifySeconds,
        code: "ChangeNotVisible",
      });
    }
    // A type change shows after the next start (checked there); one that stays on a Stopped
    // instance is reported as pendingInstanceType.
  }

  /** StopInstance or StartInstance, idempotent by status: every retry re-reads first. */
  async function runPower(
    kind: "stop" | "start",
    index: number,
    stoppedMode: "KeepCharging" | "StopCharging" = desired.stoppedMode,
    opts: { limitMs?: number; signal?: AbortSignal | undefined; fresh?: boolean } = {},
  ): Promise<void> {
    const target = kind === "stop" ? "Stopped" : "Running";
    const moving = kind === "stop" ? "Stopping" : "Starting";
    const from = kind === "stop" ? "Running" : "Stopped";
    const action = kind === "stop" ? "StopInstance" : "StartInstance";
    const startedAt = clock.now();
    let outcome = "done" as AppliedStep["outcome"];
    const { value, attempts } = await withRetry(
      policies.power,
      action,
      async (attempt) => {
        let snap = attempt > 1 || opts.fresh || st.current === undefined ? await readOnce() : st.current;
        if (snap.status === target || snap.status === moving) {
          outcome = attempt > 1 ? "alreadyApplied" : "skipped";
          return undefined;
        }
        if (snap.status !== from) {
          snap = await pollUntil(
            (s) => s.status === from || s.status === target,
            { target: `status ${from}`, limitSeconds: timing.settleSeconds, code: "Timeout" },
            opts,
            snap,
          );
        }
        if (snap.status === target) {
          outcome = "skipped";
          return undefined;
        }
        st.dirty = true;
        if (kind === "stop") {
          st.stoppedByUs = true;
          return api.stopInstance(id, stoppedMode);
        }
        return api.startInstance(id);
      },
      opts,
    );
    const calls = outcome === "skipped" && attempts === 1 ? 0 : attempts;
    const snap = await waitStatus(target, opts);
    if (kind === "start") st.stoppedByUs = false;
    st.steps.push({
      index,
      kind,
      action,
      params: kind === "stop" ? { InstanceId: id, ForceStop: "false", StoppedMode: stoppedMode } : { InstanceId: id },
      ...(value?.requestId ? { requestId: value.requestId } : {}),
      startedAt: iso(startedAt),
      finishedAt: iso(clock.now()),
      attempts: calls,
      outcome,
    });
    if (kind === "start" && st.pendingType !== undefined && snap.instanceType !== st.pendingType) {
      await pollUntil((s) => s.instanceType === st.pendingType, {
        target: `instance type ${st.pendingType}`,
        limitSeconds: timing.verifySeconds,
        code: "ChangeNotVisible",
      }, opts);
    }
  }

  async function runPlan(p: Extract<Plan, { kind: "ok" }>): Promise<void> {
    const total = p.steps.length;
    for (let i = 0; i < total; i++) {
      signal?.throwIfAborted();
      const step = p.steps[i]!;
      emit({ type: "step", index: i + 1, total, step, message: `step ${i + 1}/${total}: ${describeStep(step)}` });
      const startedAt = clock.now();
      switch (step.kind) {
        case "waitStatus":
          await waitStatus(step.until);
          break;
        case "waitCooldown": {
          const end = cooldownEndMs();
          if (end !== undefined) await waitUntil(end - step.leadSeconds * 1000);
          break;
        }
        case "stop":
          await runPower("stop", i + 1, step.stoppedMode);
          continue;
        case "start":
          await runPower("start", i + 1);
          continue;
        default:
          await runModify(step, i + 1);
          continue;
      }
      st.steps.push({ index: i + 1, kind: step.kind, startedAt: iso(startedAt), finishedAt: iso(clock.now()), attempts: 0, outcome: "done" });
    }
  }

  const contextNow = () => ({
    now: new Date(clock.now()),
    ...(st.lastChangeMs !== undefined ? { lastChangeAt: new Date(st.lastChangeMs) } : {}),
    ...(st.temp ? { appliedTemporaryBandwidth: st.temp } : {}),
    ...(st.pendingType !== undefined ? { pendingInstanceType: st.pendingType } : {}),
    ...(st.hasLocalDisks !== undefined ? { hasLocalDisks: st.hasLocalDisks } : {}),
    startWhenDone: st.startWhenDone || st.stoppedByUs,
    estimates: { stopSeconds: timing.stopSeconds, startSeconds: timing.startSeconds, modifySeconds: timing.modifySeconds, stopLeadSeconds: timing.stopLeadSeconds },
  });

  const partial = (): PartialResult => ({
    ...(st.current ? { after: st.current } : {}),
    steps: st.steps.slice(),
    ...(st.lastChangeMs !== undefined ? { lastChangeAt: iso(st.lastChangeMs) } : {}),
    ...(st.temp ? { appliedTemporaryBandwidth: st.temp } : {}),
    ...(st.pendingType !== undefined ? { pendingInstanceType: st.pendingType } : {}),
    stoppedByEngine: st.stoppedByUs || (st.startWhenDone && st.current?.status !== "Running"),
  });

  let before: InstanceSnapshot | undefined;
  let firstPlan: Plan | undefined;
  try {
    for (let round = 0; ; round++) {
      const actual = await settle();
      before ??= actual;
      const wantsType =
        desired.instanceType !== undefined && desired.instanceType !== (st.pendingType ?? actual.instanceType);
      let availableTypes: string[] | undefined;
      if (wantsType) {
        const opts = desired.allowMigrateAcrossZone ? { allowMigrateAcrossZone: true } : {};
        availableTypes = (
          await withRetry(policies.read, "DescribeResourcesModification", () => api.describeAvailableInstanceTypes(id, opts))
        ).value;
      }
      const p = makePlan(actual, desired, { ...contextNow(), ...(availableTypes ? { availableTypes } : {}) });
      firstPlan ??= p;
      if (p.kind === "refused") {
        throw new ApplyError({
          code: "Refused",
          message: `refused, nothing changed by this step:\n${describePlan(p).join("\n")}`,
          refusals: p.refusals,
          partial: partial(),
        });
      }
      if (p.steps.length === 0) break;
      emit({ type: "plan", lines: describePlan(p), message: describePlan(p).join("\n") });
      try {
        await runPlan(p);
      } catch (e) {
        if (!(e instanceof Replan) || round >= MAX_REPLANS) throw e instanceof Replan ? (e.cause ?? e) : e;
        emit({ type: "replanning", reason: e.reason, message: `the instance changed under the plan (${e.reason}); reading it and planning again` });
        continue;
      }
      // Every step checked its own effect; anything still to do now was changed by someone else.
      const final = st.dirty || !st.current ? await read() : st.current;
      const check = makePlan(final, desired, contextNow());
      if (check.kind === "ok" && check.steps.length === 0) break;
      throw new EngineFailure(
        "NotConverged",
        `instance ${id} does not match the desired spec after the plan ran (changed elsewhere?); still to do:\n${describePlan(check).join("\n")}`,
      );
    }
  } catch (e) {
    if (e instanceof ApplyError) throw e;
    const restarted = await restartIfStopped();
    const aborted = signal?.aborted === true && !(e instanceof EngineFailure) && !isEcsApiError(e);
    const code: ApplyErrorCode = aborted ? "Aborted" : e instanceof EngineFailure ? e.code : "ApiError";
    const what = e instanceof Error ? e.message : String(e);
    throw new ApplyError({
      code,
      message:
        `${aborted ? "aborted" : "failed"}: ${what}` +
        (restarted ? `\nthe instance had been stopped for the change and was started again` : "") +
        (st.stoppedByUs ? `\nthe instance is still STOPPED (restart failed); run again to finish, or start it yourself` : ""),
      partial: partial(),
      restarted,
      cause: e,
    });
  }

  /** After a failure: start an instance this run stopped. Runs past an abort, with its own time limit. */
  async function restartIfStopped(): Promise<boolean> {
    if (!st.stoppedByUs) return false;
    emit({ type: "restarting", message: `starting ${id} again: it was stopped for the change` });
    const limitMs = clock.now() + timing.settleSeconds * 1000;
    try {
      await runPower("start", st.steps.length + 1, desired.stoppedMode, { limitMs, signal: undefined, fresh: true });
      return true;
    } catch {
      return false;
    }
  }

  return {
    before: before!,
    after: st.current!,
    plan: firstPlan!,
    steps: st.steps,
    ...(st.lastChangeMs !== undefined ? { lastChangeAt: iso(st.lastChangeMs) } : {}),
    ...(st.temp ? { appliedTemporaryBandwidth: st.temp } : {}),
    ...(st.pendingType !== undefined ? { pendingInstanceType: st.pendingType } : {}),
  };
}

/**
 * One read outside an apply (`check`, `diff`, `refresh`), with the same `read` retry policy:
 * a rate limit, a 5xx or a network error is retried with jittered backoff, anything else
 * (not found, bad credentials) fails at once.
 *
 * @example
 * const live = await readWithRetry(() => api.describeInstance("i-bp67acfmxazb4ph0abcd"));
 */
export async function readWithRetry<T>(
  read: () => Promise<T>,
  options: { clock?: Clock; random?: () => number; policy?: RetryPolicy } = {},
): Promise<T> {
  const clock = options.clock ?? realClock;
  const random = options.random ?? Math.random;
  const policy = options.policy ?? RETRY_POLICIES.read;
  return pRetry(read, {
    retries: policy.retries,
    minTimeout: 0,
    maxTimeout: 0,
    factor: 1,
    onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
      if (!isEcsApiError(error) || !(error.decision === "retry" || error.decision === "verifyThenRetry") || retriesLeft <= 0) throw error;
      await clock.sleep(retryDelayMs({ decision: error.decision, attemptNumber, policy, nowMs: clock.now(), random, cooldownMs: 0 }));
    },
  });
}
