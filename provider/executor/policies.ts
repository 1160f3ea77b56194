/**
 * The retry policies and the one retry classifier. Every retry decision of the executor, and of
 * reads outside it, is made by {@link classify} from the error table's decision and the policy.
 */
import { isEcsApiError } from "../errors";

/** Policy names: one per kind of call. */
export type PolicyName = "specChange" | "specChangeWhileDown" | "power" | "startAfterOrder" | "read";

/** A named retry policy: how many retries, the backoff range (jittered, doubling), and what a wrong status means. */
export interface RetryPolicy {
  readonly name: PolicyName;
  /** Retries after the first attempt. */
  readonly retries: number;
  /** First backoff, ms. */
  readonly minDelayMs: number;
  /** Backoff cap, ms. */
  readonly maxDelayMs: number;
  /**
   * What an answer "the instance is in the wrong status" means under this policy: for a spec
   * change the plan no longer fits the instance (`replan`); for a stop or start the call is
   * retried after waiting for the status to settle (`waitStatus`).
   */
  readonly onWrongStatus: "replan" | "waitStatus";
  /**
   * Whether a `Throttling` answer is the per-instance cooldown (spec changes: wait for its end) or
   * only a rate limit (every other call: back off).
   */
  readonly cooldownApplies: boolean;
  /**
   * A cooldown of unknown start (a change made outside this run): probe until one full cooldown has
   * passed since the first refusal (`probe`), or, while the instance is down for the change, probe
   * only as long as a restart and a second stop would cost, then start it again and plan the change
   * after that cooldown, with the instance running (`restartAndReplan`).
   */
  readonly unknownCooldown: "probe" | "restartAndReplan";
}

/** The retry policies. */
export const RETRY_POLICIES: Readonly<Record<PolicyName, RetryPolicy>> = Object.freeze({
  /** ModifyInstanceSpec: cooldown waits and lost answers count as retries too. */
  specChange: {
    name: "specChange",
    retries: 8,
    minDelayMs: 2_000,
    maxDelayMs: 60_000,
    onWrongStatus: "replan",
    cooldownApplies: true,
    unknownCooldown: "probe",
  },
  /**
   * ModifyInstanceSpec while the instance is down because this run stopped it: every second of
   * backoff is downtime, so retries start fast (a transient error usually clears within a second)
   * and stop after about 15 s of backoff in all, when the engine starts the instance again; the
   * next run tries the change once more.
   */
  specChangeWhileDown: {
    name: "specChangeWhileDown",
    retries: 6,
    minDelayMs: 250,
    maxDelayMs: 8_000,
    onWrongStatus: "replan",
    cooldownApplies: true,
    unknownCooldown: "restartAndReplan",
  },
  /** StopInstance / StartInstance. */
  power: {
    name: "power",
    retries: 6,
    minDelayMs: 2_000,
    maxDelayMs: 30_000,
    onWrongStatus: "waitStatus",
    cooldownApplies: false,
    unknownCooldown: "probe",
  },
  /**
   * StartInstance right after a subscription order on the instance this run stopped: the API
   * answers `InstanceNotReady` until the order settles (5–10 s), and every second of backoff is
   * downtime, so the start is asked again at short intervals, for about a minute in all.
   */
  startAfterOrder: {
    name: "startAfterOrder",
    retries: 40,
    minDelayMs: 250,
    maxDelayMs: 1_500,
    onWrongStatus: "waitStatus",
    cooldownApplies: false,
    unknownCooldown: "probe",
  },
  /** DescribeInstances / DescribeDisks / DescribeResourcesModification. */
  read: {
    name: "read",
    retries: 5,
    minDelayMs: 1_000,
    maxDelayMs: 15_000,
    onWrongStatus: "waitStatus",
    cooldownApplies: false,
    unknownCooldown: "probe",
  },
});

/**
 * What to do about a failed attempt:
 * - `backoff`: retry the same call after a jittered backoff; with `verifyFirst`, re-read the
 *   instance first (the call may have been applied and only its answer lost);
 * - `waitCooldown`: retry when the instance's cooldown ends;
 * - `waitStatus`: retry after a backoff (the attempt itself re-reads and waits for the status);
 * - `replan`: the plan no longer fits the instance: re-read and plan again;
 * - `fail`: never retried (the error table says so, or it is not an API error at all: a bug or an abort).
 */
export type RetryAction = "backoff" | "verifyThenBackoff" | "waitCooldown" | "waitStatus" | "replan" | "fail";

/**
 * The one retry classifier: an error and the policy it happened under → what to do.
 * Only {@link EcsApiError}s are ever retried; programmer errors and aborts fail at once.
 */
export function classify(error: unknown, policy: RetryPolicy): RetryAction {
  if (!isEcsApiError(error)) return "fail";
  switch (error.decision) {
    case "retry":
      return "backoff";
    case "verifyThenRetry":
      return "verifyThenBackoff";
    case "waitCooldown":
      return policy.cooldownApplies ? "waitCooldown" : "backoff";
    case "waitStatus":
      return policy.onWrongStatus;
    case "stopFirst":
      return "replan";
    case "fail":
      return "fail";
  }
}

/**
 * How often a cooldown of unknown start is probed: a thirtieth of the cooldown (10 s for the API's
 * 5 minutes), at least 0.1 s. The change then lands within one probe of the cooldown's real end.
 */
export function cooldownProbeMs(cooldownMs: number): number {
  return Math.min(10_000, Math.max(100, Math.round(cooldownMs / 30)));
}

/**
 * The delay before the next attempt, ms. Pure.
 * - `waitCooldown`: until the known end of the cooldown; if it is unknown (a change made elsewhere)
 *   or already past, a probe every {@link cooldownProbeMs}, never later than the latest possible end
 *   of that cooldown (`throttledSinceMs + cooldownMs`: a refused call does not restart it); past
 *   that end a `Throttling` is not this cooldown, so a backoff.
 * - otherwise: jittered doubling backoff (half fixed, half random) within the policy's range.
 */
export function retryDelayMs(i: {
  action: RetryAction;
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
  if (i.action !== "waitCooldown") return backoff;
  if (i.cooldownEndMs !== undefined && i.cooldownEndMs > i.nowMs) return i.cooldownEndMs - i.nowMs;
  if (i.throttledSinceMs !== undefined) {
    const latestEnd = i.throttledSinceMs + i.cooldownMs;
    if (latestEnd > i.nowMs) return Math.min(cooldownProbeMs(i.cooldownMs), latestEnd - i.nowMs);
  }
  return backoff;
}

/** True while a cooldown first met at `throttledSinceMs` may still be running (one probe of slack). */
export function withinUnknownCooldown(nowMs: number, throttledSinceMs: number | undefined, cooldownMs: number): boolean {
  return throttledSinceMs !== undefined && nowMs < throttledSinceMs + cooldownMs + cooldownProbeMs(cooldownMs);
}
