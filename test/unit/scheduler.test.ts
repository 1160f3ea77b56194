import assert from "node:assert/strict";
import type { Clock } from "../../provider/clock";
import { EcsApiError } from "../../provider/errors";
import { ApiScheduler } from "../../provider/scheduler";
import { parseApiRateLimits, StackConfigError } from "../../provider/stack-config";

/** A clock whose timers fire only when the test advances it. */
class TimerClock implements Clock {
  t = Date.UTC(2030, 0, 1, 0, 0, 10); // 10 s into a minute
  private timers: { at: number; fire: () => void }[] = [];
  now() {
    return this.t;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.timers.push({ at: this.t + Math.max(0, ms), fire: resolve }));
  }
  /** Moves time forward by `ms`, firing due timers in order and letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at);
      next.fire();
      await settle();
    }
    this.t = end;
    await settle();
  }
}

const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

const throttled = (action: string) => new EcsApiError({ action, code: "Throttling.User", message: "Request was denied due to user flow control.", httpStatus: 400 });

describe("ApiScheduler: the per-action budget", () => {
  it("sends at most `limit` calls of an action in any 60 s; the rest wait, then go", async () => {
    // GIVEN a limit of 3 DescribeDisks calls a minute
    const clock = new TimerClock();
    const s = new ApiScheduler({ clock, limits: { DescribeDisks: 3 } });
    const sentAt: number[] = [];
    const waits: number[] = [];
    const t0 = clock.t;
    // WHEN 5 calls are asked for at once
    const done = [1, 2, 3, 4, 5].map((n) => s.call("DescribeDisks", "normal", async () => (sentAt.push(clock.t - t0), n), (_a, ms) => waits.push(ms)));
    await clock.advance(0);
    // THEN 3 go now, the other 2 are told they wait 60 s, and go when the first slots come back
    assert.deepEqual(sentAt, [0, 0, 0]);
    assert.deepEqual(waits, [60_000, 60_000]);
    await clock.advance(59_999);
    assert.equal(sentAt.length, 3);
    await clock.advance(1);
    assert.deepEqual(sentAt, [0, 0, 0, 60_000, 60_000]);
    assert.deepEqual(await Promise.all(done), [1, 2, 3, 4, 5]);
  });

  it("counts each action on its own", async () => {
    // GIVEN a limit of 1 a minute for every action
    const clock = new TimerClock();
    const s = new ApiScheduler({ clock, limits: { default: 1 } });
    // WHEN one StopInstance and one StartInstance are asked for
    const sent: string[] = [];
    const calls = ["StopInstance", "StartInstance"].map((a) => s.call(a, "normal", async () => sent.push(a)));
    await clock.advance(0);
    // THEN both go at once
    assert.deepEqual(sent, ["StopInstance", "StartInstance"]);
    await Promise.all(calls);
  });

  it("gives a freed slot to a downtime call before normal and preview calls, whatever their order", async () => {
    // GIVEN a limit of 1 a minute, spent
    const clock = new TimerClock();
    const s = new ApiScheduler({ clock, limits: { default: 1 } });
    const order: string[] = [];
    const first = s.call("DescribeInstances", "normal", async () => order.push("first"));
    await clock.advance(0);
    // WHEN a preview, a normal and a downtime call queue up, in that order
    const queued = (["preview", "normal", "downtime"] as const).map((p) => s.call("DescribeInstances", p, async () => order.push(p)));
    await clock.advance(60_000);
    // THEN the downtime call gets the next slot, then normal, then preview, a minute apart
    assert.deepEqual(order, ["first", "downtime"]);
    await clock.advance(60_000);
    assert.deepEqual(order, ["first", "downtime", "normal"]);
    await clock.advance(60_000);
    assert.deepEqual(order, ["first", "downtime", "normal", "preview"]);
    await Promise.all([first, ...queued]);
  });
});

describe("ApiScheduler: throttled answers", () => {
  it("a Throttling.User is retried by the scheduler after a pause of the whole action; the caller sees only the answer", async () => {
    // GIVEN an API that throttles the first ModifyInstanceSpec
    const clock = new TimerClock();
    const s = new ApiScheduler({ clock, limits: { default: 100 } });
    const attempts: number[] = [];
    let n = 0;
    // WHEN one call is made, and a second one is asked for during the pause
    const call = s.call("ModifyInstanceSpec", "normal", async () => {
      attempts.push(clock.t);
      if (n++ === 0) throw throttled("ModifyInstanceSpec");
      return "ok";
    });
    await clock.advance(0);
    const other = s.call("ModifyInstanceSpec", "normal", async () => (attempts.push(clock.t), "other"));
    await clock.advance(0);
    // THEN the second waits for the pause too (the action is paused, not the caller)
    assert.equal(attempts.length, 1);
    await clock.advance(250);
    assert.equal(await call, "ok");
    assert.equal(await other, "other");
    assert.deepEqual(attempts.map((a) => a - attempts[0]!), [0, 250, 250]);
    // AND the action's budget is halved
    assert.equal(s.effectiveLimit("ModifyInstanceSpec"), 50);
  });

  it("throttled in a row: the pause doubles and stops at the next minute (+0.5 s); the budget recovers a quarter a minute", async () => {
    // GIVEN an API that throttles the first 9 attempts (someone else spent the budget)
    const clock = new TimerClock(); // 10 s into the minute
    const s = new ApiScheduler({ clock, limits: { default: 100 } });
    const at: number[] = [];
    const t0 = clock.t;
    let n = 0;
    const call = s.call("DescribeDisks", "normal", async () => {
      at.push(clock.t - t0);
      if (n++ < 9) throw throttled("DescribeDisks");
      return "ok";
    });
    // WHEN time passes
    await clock.advance(120_000);
    // THEN pauses of 0.25, 0.5, 1, 2, 4, 8, 16 s, then to the next minute + 0.5 s, twice
    assert.deepEqual(at, [0, 250, 750, 1_750, 3_750, 7_750, 15_750, 31_750, 50_500, 110_500]);
    assert.equal(await call, "ok");
    // AND the budget, halved once for the run of refusals, is raised by a quarter after a quiet minute, then again
    assert.equal(s.effectiveLimit("DescribeDisks"), 75);
    await clock.advance(60_000);
    await s.call("DescribeDisks", "normal", async () => "x");
    assert.equal(s.effectiveLimit("DescribeDisks"), 100);
  });

  it("passes the Throttling.User on once the call has waited maxWaitMs", async () => {
    // GIVEN an API that always throttles, and a 1-minute limit on waiting
    const clock = new TimerClock();
    const s = new ApiScheduler({ clock, maxWaitMs: 60_000 });
    let attempts = 0;
    const call = s.call("StartInstance", "downtime", async () => {
      attempts++;
      throw throttled("StartInstance");
    });
    const outcome = call.then(
      () => "resolved",
      (e: EcsApiError) => e.code,
    );
    // WHEN more than a minute passes
    await clock.advance(120_000);
    // THEN the caller gets the last Throttling.User, from the first attempt after the minute (at 110.5 s)
    assert.equal(await outcome, "Throttling.User");
    assert.equal(attempts, 10);
  });
});

describe("ApiScheduler: coalesced reads and caches", () => {
  it("reads asked for within the window share one call of all their ids; each caller gets its own entry or undefined", async () => {
    // GIVEN a batch sender that records its calls
    const clock = new TimerClock();
    const s = new ApiScheduler({ clock, coalesceMs: 30 });
    const batches: string[][] = [];
    const send = async (ids: readonly string[]) => {
      batches.push([...ids]);
      return new Map(ids.filter((id) => id !== "i-gone").map((id) => [id, { id }] as const));
    };
    // WHEN three reads (one twice, one of a missing instance) come within 30 ms
    const reads = [s.readBatched("DescribeInstances", "i-a", "normal", send), s.readBatched("DescribeInstances", "i-b", "preview", send)];
    await clock.advance(10);
    reads.push(s.readBatched("DescribeInstances", "i-a", "normal", send), s.readBatched("DescribeInstances", "i-gone", "normal", send));
    await clock.advance(20);
    // THEN one call with the three distinct ids
    assert.deepEqual(batches, [["i-a", "i-gone", "i-b"]]);
    assert.deepEqual(await Promise.all(reads), [{ id: "i-a" }, { id: "i-b" }, { id: "i-a" }, undefined]);
  });

  it("more than 100 ids go out as calls of 100, downtime reads first", async () => {
    // GIVEN 150 preview reads and one downtime read
    const clock = new TimerClock();
    const s = new ApiScheduler({ clock });
    const batches: string[][] = [];
    const send = async (ids: readonly string[]) => (batches.push([...ids]), new Map<string, unknown>());
    const ids = Array.from({ length: 150 }, (_, i) => `i-${i}`);
    const reads = ids.map((id) => s.readBatched("DescribeInstances", id, "preview", send));
    reads.push(s.readBatched("DescribeInstances", "i-down", "downtime", send));
    // WHEN the window ends
    await clock.advance(30);
    // THEN two calls: 100 ids starting with the downtime one, then the other 51
    assert.deepEqual(batches.map((b) => b.length), [100, 51]);
    assert.equal(batches[0]![0], "i-down");
    await Promise.all(reads);
  });

  it("watched ids ride along in a batch; its answer serves their normal reads for freshMs, not a downtime read nor one after a change", async () => {
    // GIVEN ids a, b, c, d read once (normal), and a sender that records its calls
    const clock = new TimerClock();
    const s = new ApiScheduler({ clock, coalesceMs: 30, freshMs: 300 });
    const batches: string[][] = [];
    const send = async (ids: readonly string[]) => (batches.push([...ids]), new Map(ids.map((id) => [id, { id, at: clock.now() }] as const)));
    const read = (id: string, p: "normal" | "downtime" = "normal") => s.readBatched("DescribeInstances", id, p, send);
    const first = Promise.all(["i-a", "i-b", "i-c", "i-d"].map((id) => read(id)));
    await clock.advance(30);
    await first;
    await clock.advance(1_000);
    // WHEN a is read (one call), then within 300 ms b (normal), c (downtime), and d after a change of d
    const a = read("i-a");
    await clock.advance(30);
    const sentAt = clock.now();
    await a;
    await clock.advance(100);
    const b = await read("i-b");
    s.changed("i-d");
    const later = [read("i-c", "downtime"), read("i-d")];
    await clock.advance(30);
    await Promise.all(later);
    // THEN b came from a's call, which carried every watched id; c and d went out together in a call of their own
    assert.deepEqual(batches.slice(1), [["i-a", "i-b", "i-c", "i-d"], ["i-c", "i-d", "i-a", "i-b"]]);
    assert.deepEqual(b, { id: "i-b", at: sentAt });
    // AND more than 300 ms after the last call (which carried b too), b is read again
    await clock.advance(301);
    const again = read("i-b");
    await clock.advance(30);
    await again;
    assert.equal(batches.length, 4);
  });

  it("a throttled batch is sent again after the pause, not failed", async () => {
    // GIVEN a sender that throttles once
    const clock = new TimerClock();
    const s = new ApiScheduler({ clock });
    let n = 0;
    const send = async (ids: readonly string[]) => {
      if (n++ === 0) throw throttled("DescribeInstances");
      return new Map(ids.map((id) => [id, id] as const));
    };
    // WHEN two reads are made
    const reads = [s.readBatched("DescribeInstances", "i-a", "normal", send), s.readBatched("DescribeInstances", "i-b", "normal", send)];
    await clock.advance(30 + 250);
    // THEN both get their entries from the second call
    assert.deepEqual(await Promise.all(reads), ["i-a", "i-b"]);
    assert.equal(n, 2);
  });

  it("cached: one read per key within its time; a failed read is not kept", async () => {
    const clock = new TimerClock();
    const s = new ApiScheduler({ clock });
    let reads = 0;
    const read = async () => ++reads;
    // GIVEN/WHEN two concurrent reads, then one after the time is up
    assert.deepEqual(await Promise.all([s.cached("k", 1_000, read), s.cached("k", 1_000, read)]), [1, 1]);
    await clock.advance(1_000);
    assert.equal(await s.cached("k", 1_000, read), 2);
    // AND a failure is read again the next time
    await assert.rejects(s.cached("bad", Infinity, async () => Promise.reject(new Error("boom"))));
    assert.equal(await s.cached("bad", Infinity, async () => 7), 7);
  });
});

describe("stack config pulumi-ecs-spec:apiRateLimits", () => {
  it("takes whole calls per minute per action and `default`", () => {
    assert.deepEqual(parseApiRateLimits(() => '{"default":120,"DescribeInstances":60}'), { default: 120, DescribeInstances: 60 });
    assert.equal(parseApiRateLimits(() => undefined), undefined);
  });

  it("names the key and the fix when a value cannot be used", () => {
    assert.throws(
      () => parseApiRateLimits(() => '{"DescribeInstance":60}'),
      (e: Error) => e instanceof StackConfigError && /^stack config pulumi-ecs-spec:apiRateLimits\.DescribeInstance is not a rate-limited action; fix it with: pulumi config set --path/.test(e.message),
    );
    assert.throws(
      () => parseApiRateLimits(() => '{"StopInstance":0}'),
      (e: Error) => /apiRateLimits\.StopInstance must be a whole number of calls per minute from 1 to 100000, got 0;/.test(e.message),
    );
    assert.throws(() => parseApiRateLimits(() => "60"), (e: Error) => /apiRateLimits must be an object of calls per minute/.test(e.message));
  });
});
