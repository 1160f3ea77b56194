/**
 * Each call wrapped once in p-retry under a named policy, with the retry decision made by the one
 * classifier. p-retry counts the attempts, honours `retries` and the abort signal, never retries a
 * programmer error (a `TypeError`), and asks `shouldRetry`, which classifies and waits. Its own timer
 * is not used (`minTimeout: 0`): delays are slept on the injected clock (so tests run on a fake
 * clock), and a cooldown wait is an exact deadline, not a backoff p-retry could compute.
 * `maxRetryTime` is not used either: the apply's deadline bounds every wait before it starts, so a
 * wait that would pass it fails at once (as `Timeout`) instead of being cut short.
 */
import pRetry from "p-retry";
import { formatDuration } from "../describe";
import type { EcsApiError } from "../errors";
import { realClock, type Clock } from "../clock";
import { classify, RETRY_POLICIES, retryDelayMs, withinUnknownCooldown, type RetryAction, type RetryPolicy } from "./policies";
import { checkDeadline, cooldownEndMs, expectedSeconds, signalOf, type CallOptions, type Run } from "./run";
import { Replan } from "./types";
import { waitUntil } from "./cooldown";

/**
 * Run `attempt` under `policy`: retried as {@link classify} decides, with the delay of
 * {@link retryDelayMs}. `attempt` gets the attempt number, the previous failure's action and the
 * previous error (so a step can re-read before resending after a lost answer). A `replan` throws {@link Replan}.
 */
export async function withRetry<T>(
  run: Run,
  policy: RetryPolicy,
  action: string,
  attempt: (attemptNumber: number, previous: RetryAction | undefined, previousError: unknown) => Promise<T>,
  opts: CallOptions = {},
): Promise<{ value: T; attempts: number }> {
  let previous: RetryAction | undefined;
  let previousError: unknown;
  let attempts = 0;
  let throttledSinceMs: number | undefined;
  const signal = signalOf(run, opts);
  const value = await pRetry(
    async (n) => {
      attempts = n;
      return attempt(n, previous, previousError);
    },
    {
      retries: policy.retries,
      minTimeout: 0,
      maxTimeout: 0,
      factor: 1,
      ...(signal ? { signal } : {}),
      // Runs on every failure, also the last one: a plan that no longer fits is re-planned even
      // when this call has no retry left.
      onFailedAttempt: ({ error }) => {
        previous = classify(error, policy);
        previousError = error;
        const e = error as EcsApiError;
        if (previous === "replan") throw new Replan(`${e.code} on ${e.action}`, e);
        if (previous === "waitCooldown") {
          const now = run.clock.now();
          throttledSinceMs ??= now;
          const known = cooldownEndMs(run);
          // While the instance is down for the change, waiting is downtime: probe only as long as a
          // restart and a second stop would add (their expected durations), then restart and re-plan.
          const restartCostMs = (expectedSeconds(run, "stop") + expectedSeconds(run, "start")) * 1000;
          if (policy.unknownCooldown === "restartAndReplan" && (known === undefined || known <= now) && now - throttledSinceMs >= restartCostMs) {
            throw new Replan(`${e.code} on ${e.action}: a cooldown this run did not start`, e, throttledSinceMs);
          }
        }
      },
      // A cooldown of unknown start is waited out, however many probes it takes: those attempts
      // are not retries of a failure.
      shouldConsumeRetry: () =>
        previous !== "waitCooldown" || !withinUnknownCooldown(run.clock.now(), throttledSinceMs, run.desired.cooldownSeconds * 1000),
      // Runs only while retries are left; the wait happens here, on the injected clock.
      shouldRetry: async ({ error, attemptNumber }) => {
        const next = previous!;
        if (next === "fail") return false;
        const e = error as EcsApiError;
        const now = run.clock.now();
        const delay = retryDelayMs({
          action: next,
          attemptNumber,
          policy,
          nowMs: now,
          random: run.random,
          cooldownEndMs: cooldownEndMs(run),
          throttledSinceMs,
          cooldownMs: run.desired.cooldownSeconds * 1000,
        });
        checkDeadline(run, now + delay, `retrying ${action} after ${e.code}`, opts.limitMs);
        const cooldownMs = run.desired.cooldownSeconds * 1000;
        const known = cooldownEndMs(run);
        const unknownCooldown = next === "waitCooldown" && (known === undefined || known <= now) && withinUnknownCooldown(now, throttledSinceMs, cooldownMs);
        run.emit({
          type: "retrying",
          action,
          code: e.code,
          attempt: attemptNumber,
          delaySeconds: delay / 1000,
          message: unknownCooldown
            ? `${action}: ${e.code}${e.requestId ? ` [${e.requestId}]` : ""} — the instance is in the cooldown of a change made outside this run; ` +
              `trying again in ${formatDuration(delay / 1000)} (it ends within ${formatDuration((throttledSinceMs! + cooldownMs - now) / 1000)} at the latest)`
            : `${action}: ${e.code}${e.requestId ? ` [${e.requestId}]` : ""} — retrying in ${formatDuration(delay / 1000)} (attempt ${attemptNumber + 1}/${policy.retries + 1})`,
        });
        if (next === "waitCooldown") await waitUntil(run, now + delay, { ...opts, signal });
        else await run.clock.sleep(delay, signal);
        return true;
      },
    },
  );
  return { value, attempts };
}

/**
 * One read outside an apply (`check`, `diff`, `refresh`), under the `read` policy and the same
 * classifier: a rate limit, a 5xx or a network error is retried with jittered backoff, anything
 * else (not found, bad credentials) fails at once.
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
    shouldRetry: async ({ error, attemptNumber }) => {
      const next = classify(error, policy);
      if (next !== "backoff" && next !== "verifyThenBackoff") return false;
      await clock.sleep(retryDelayMs({ action: next, attemptNumber, policy, nowMs: clock.now(), random, cooldownMs: 0 }));
      return true;
    },
  });
}
