import * as assert from "node:assert/strict";
import { readWithRetry, RETRY_POLICIES } from "../../provider/executor";
import type { Clock } from "../../provider/clock";
import { EcsApiError } from "../../provider/errors";

/** A clock that only records the waits asked of it. */
function recordingClock(): Clock & { sleeps: number[] } {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

/** A read that fails with `codes` in turn, then answers "ok". */
function scriptedRead(codes: string[]): { read: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    calls: () => calls,
    read: async () => {
      const code = codes[calls++];
      if (code) throw new EcsApiError({ action: "DescribeInstances", code, message: "scripted" });
      return "ok";
    },
  };
}

describe("readWithRetry: reads outside an apply (check, diff, refresh)", function () {
  it("retries a server error and a rate limit with a backoff inside the read policy, then answers", async function () {
    // GIVEN a read that fails with InternalError, then Throttling.User, then answers
    const clock = recordingClock();
    const script = scriptedRead(["InternalError", "Throttling.User"]);
    // WHEN read with retries
    const value = await readWithRetry(script.read, { clock, random: () => 0 });
    // THEN it answered on the third call, after two waits of the policy's doubling backoff (no jitter)
    assert.equal(value, "ok");
    assert.equal(script.calls(), 3);
    assert.equal(clock.sleeps.length, 2);
    const { minDelayMs, maxDelayMs } = RETRY_POLICIES.read;
    for (const ms of clock.sleeps) assert.ok(ms >= minDelayMs / 2 && ms <= maxDelayMs, `wait ${ms} ms within the policy`);
    assert.ok(clock.sleeps[1]! > clock.sleeps[0]!, "the backoff grows");
  });

  it("fails at once on what a retry cannot fix (no such instance), with no wait", async function () {
    const clock = recordingClock();
    const script = scriptedRead(["InvalidInstanceId.NotFound"]);
    await assert.rejects(readWithRetry(script.read, { clock }), (e: unknown) => e instanceof EcsApiError && e.code === "InvalidInstanceId.NotFound" && !e.retryable);
    assert.equal(script.calls(), 1);
    assert.deepEqual(clock.sleeps, []);
  });

  it("gives up after the policy's retries and reports the last error", async function () {
    const clock = recordingClock();
    const script = scriptedRead(Array(10).fill("ServiceUnavailable"));
    await assert.rejects(readWithRetry(script.read, { clock, random: () => 0 }), (e: unknown) => e instanceof EcsApiError && e.code === "ServiceUnavailable" && e.retryable);
    assert.equal(script.calls(), RETRY_POLICIES.read.retries + 1);
  });
});
