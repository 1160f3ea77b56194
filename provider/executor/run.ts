/**
 * One apply's context and state, passed explicitly to every step runner and wait: what it was
 * given (client, desired spec, clock, timing, policies, progress sink, abort signal, deadline) and
 * what it has learned so far (the last read, the last change time, what it changed).
 */
import { realClock, type Clock } from "../clock";
import type { EcsApi } from "../client";
import { formatDuration } from "../describe";
import type { InstanceSnapshot } from "../model";
import type { PlanContext } from "../plan";
import type { DesiredSpec, TemporaryBandwidth } from "../schema";
import { RETRY_POLICIES, type PolicyName, type RetryPolicy } from "./policies";
import { DEFAULT_TIMING, type ApplyTiming, type ObservedDurations } from "./timing";
import { EngineFailure, type AppliedStep, type ApplyHooks, type ApplyOptions, type PartialResult, type ProgressEvent } from "./types";

/** What one apply has learned and done so far. Mutated only by the step runners and waits. */
export interface RunState {
  /** End of the last successful spec change, ms (answer arrival). */
  lastChangeMs: number | undefined;
  /** The temporary window applied (DescribeInstances cannot show it). */
  temporary: TemporaryBandwidth | undefined;
  /** A type accepted on a Stopped instance, showing only after the next start. */
  pendingType: string | undefined;
  /** The instance must end Running although it may be found down: an earlier, interrupted run left it stopped, or this run found it running. */
  startWhenDone: boolean;
  /** This run stopped the instance and has not started it again yet. */
  stoppedByUs: boolean;
  /** The last snapshot read. */
  current: InstanceSnapshot | undefined;
  /** A call that changes something was made after the last read. */
  dirty: boolean;
  /** A StopInstance/StartInstance was sent after the last read: the last status read is stale. */
  powerCallSinceRead: boolean;
  /** A StopInstance/StartInstance was sent again after its answer was lost: the first may land late. */
  powerCallResent: boolean;
  /** Steps as they ran. */
  readonly steps: AppliedStep[];
  /** Stop/start durations observed (passed in, then learned). */
  observed: ObservedDurations;
  /** The caller remembers the instance should run: a refused restore marker does not stop the plan. */
  readonly markerFallback: boolean;
  /** The types `DescribeResourcesModification` offered in this round (undefined: no type change wanted). */
  availableTypes: readonly string[] | undefined;
  /** Subscription instances: the downgrades among {@link RunState.availableTypes}. */
  downgradeTypes: readonly string[] | undefined;
  /** A subscription order sent while the instance was Stopped is expected to settle by then (ms); a start before it retries fast. */
  orderSettlingUntilMs: number | undefined;
  /** Orders this run created (subscription changes), by OrderId, oldest first. */
  readonly orders: string[];
}

/** One apply: its inputs and its state. */
export interface Run {
  readonly api: EcsApi;
  readonly desired: DesiredSpec;
  readonly clock: Clock;
  readonly random: () => number;
  readonly timing: ApplyTiming;
  readonly policies: Readonly<Record<PolicyName, RetryPolicy>>;
  readonly emit: (e: ProgressEvent) => void;
  /** The caller's abort signal (an interrupt); the deadline is {@link Run.deadlineMs}. */
  readonly signal: AbortSignal | undefined;
  /** `timeoutSeconds` after the start, ms. */
  readonly deadlineMs: number;
  readonly state: RunState;
  /** The caller's hooks (a rolling resize). */
  readonly hooks: ApplyHooks;
}

/** A new run from the apply options. */
export function newRun(o: ApplyOptions): Run {
  const clock = o.clock ?? realClock;
  return {
    api: o.api,
    desired: o.desired,
    clock,
    random: o.random ?? Math.random,
    timing: { ...DEFAULT_TIMING, ...o.timing },
    policies: { ...RETRY_POLICIES, ...o.policies },
    emit: (e) => o.onProgress?.(e),
    signal: o.signal,
    deadlineMs: clock.now() + o.desired.timeoutSeconds * 1000,
    hooks: o.hooks ?? {},
    state: {
      lastChangeMs: o.lastChangeAt === undefined ? undefined : new Date(o.lastChangeAt).getTime(),
      temporary: o.appliedTemporaryBandwidth,
      pendingType: o.pendingInstanceType,
      startWhenDone: o.startWhenDone === true,
      stoppedByUs: false,
      current: undefined,
      dirty: false,
      powerCallSinceRead: false,
      powerCallResent: false,
      steps: [],
      observed: { ...o.observed },
      markerFallback: o.markerFallback === true,
      availableTypes: undefined,
      downgradeTypes: undefined,
      orders: [],
      orderSettlingUntilMs: undefined,
    },
  };
}

/** Options of a call or a wait: a time limit other than the apply's deadline, and the abort signal. */
export interface CallOptions {
  /** A time limit other than the apply's deadline (the restart after a failure has its own). */
  readonly limitMs?: number;
  /** Abort signal; default the run's. `undefined` given explicitly: not abortable (the restart). */
  readonly signal?: AbortSignal | undefined;
}

/** The signal of a call or wait: its own when given (even `undefined`), else the run's. */
export const signalOf = (run: Run, opts: CallOptions): AbortSignal | undefined => ("signal" in opts ? opts.signal : run.signal);

/** ISO 8601 of a clock reading. */
export const iso = (ms: number): string => new Date(ms).toISOString();

/** When the cooldown of the last change ends (with the margin), ms; undefined when no change is known. */
export function cooldownEndMs(run: Run): number | undefined {
  const last = run.state.lastChangeMs;
  return last === undefined ? undefined : last + run.desired.cooldownSeconds * 1000 + run.timing.cooldownMarginSeconds * 1000;
}

/** Throws `Timeout` when something that would last until `untilMs` ends after the limit (default: the apply's deadline). */
export function checkDeadline(run: Run, untilMs: number, what: string, limitMs = run.deadlineMs): void {
  if (untilMs > limitMs) {
    throw new EngineFailure(
      "Timeout",
      `timed out: ${what} would end after the timeout of ${formatDuration(run.desired.timeoutSeconds)} (timeoutSeconds)`,
    );
  }
}

/** The planner's context from what the run knows now. */
export function planContextOf(run: Run): PlanContext {
  const st = run.state;
  const t = run.timing;
  return {
    now: new Date(run.clock.now()),
    ...(st.lastChangeMs !== undefined ? { lastChangeAt: new Date(st.lastChangeMs) } : {}),
    ...(st.temporary ? { appliedTemporaryBandwidth: st.temporary } : {}),
    ...(st.pendingType !== undefined ? { pendingInstanceType: st.pendingType } : {}),
    ...(st.availableTypes ? { availableTypes: st.availableTypes } : {}),
    ...(st.downgradeTypes ? { downgradeTypes: st.downgradeTypes } : {}),
    startWhenDone: st.startWhenDone || st.stoppedByUs,
    estimates: {
      stopSeconds: t.stopSeconds,
      startSeconds: t.startSeconds,
      modifySeconds: t.modifySeconds,
      stopLeadSeconds: t.stopLeadSeconds,
      orderSeconds: t.orderSeconds,
    },
  };
}

/** What the run has done so far, for a failure report. */
export function partialOf(run: Run): PartialResult {
  const st = run.state;
  return {
    ...(st.current ? { after: st.current } : {}),
    steps: st.steps.slice(),
    ...(st.lastChangeMs !== undefined ? { lastChangeAt: iso(st.lastChangeMs) } : {}),
    ...(st.temporary ? { appliedTemporaryBandwidth: st.temporary } : {}),
    ...(st.pendingType !== undefined ? { pendingInstanceType: st.pendingType } : {}),
    ...(Object.keys(st.observed).length > 0 ? { observed: st.observed } : {}),
    stoppedByEngine: st.stoppedByUs || (st.startWhenDone && st.current?.status !== "Running"),
  };
}

/** How long a stop or a start of this instance should take: as observed before, else the estimate. */
export function expectedSeconds(run: Run, kind: "stop" | "start"): number {
  return kind === "stop" ? (run.state.observed.stopSeconds ?? run.timing.stopSeconds) : (run.state.observed.startSeconds ?? run.timing.startSeconds);
}
