/**
 * Kill points (reliability/kill.ts): `pulumi up` of a type + bandwidth + window change, SIGKILLed
 * (CLI and provider) right after each step took effect, on update and on create; then `pulumi up`
 * again must converge; and a subscription upgrade and downgrade killed mid-order (four of the twelve
 * subscription kill points). `npm run reliability -- --kill` prints all of them as tables.
 */
import assert from "node:assert/strict";
import { KILL_POINTS, PHASES, runKillPoint, runSubscriptionKillPoint, SUBSCRIPTION_KILL_POINTS, type Phase } from "../../reliability/kill";
import { scenarioOf, TO } from "../../reliability/matrix";

describe("kill points: SIGKILL of `pulumi up` at each step boundary, then `up` again", function () {
  this.timeout(180_000);

  for (const phase of PHASES) {
    for (const point of KILL_POINTS) {
      it(`on ${phase}, killed ${point.label}: the next up converges, each item once, Running`, async function () {
        // GIVEN i-demo-web-01 (Running, ecs.g6.large, out 5), and a stack that manages it (update) or none yet (create)
        // WHEN `up` to ecs.g6.xlarge, out 20 and a window is killed at the point, and `up` runs again
        const r = await runKillPoint(phase, point);
        const why = `\n${r.problems.join("\n")}\ncalls: ${r.changes.join(" → ")}${r.upTail ? `\n${r.upTail}` : ""}`;
        // THEN the kill landed where it should
        assert.deepEqual(r.killedAfter, point.before, `calls that took effect before the kill${why}`);
        // AND the next up succeeded
        assert.equal(r.upCode, 0, `exit code of the next up${why}`);
        // AND the instance is Running with the new type, bandwidth and window
        assert.deepEqual(
          r.end,
          { status: "Running", instanceType: TO.instanceType, internetMaxBandwidthOut: TO.internetMaxBandwidthOut, temporary: r.window },
          `end state${why}`,
        );
        // AND each item was applied once over both runs (a ClientToken replay is not an apply)
        assert.deepEqual(
          { bandwidth: r.applied.bandwidth, type: r.applied.type, temporary: r.applied.temporary },
          { bandwidth: 1, type: 1, temporary: 1 },
          `applied${why}`,
        );
        assert.deepEqual(r.problems, []);
      });
    }
  }
});

/**
 * Subscription kill points (reliability/kill.ts, SUBSCRIPTION_KILL_POINTS): the most telling four of
 * the twelve, to keep this file's time down; `npm run reliability -- --kill` runs all twelve.
 */
const SUBSCRIPTION_IN_TEST: readonly [Phase, string][] = [
  // A lost answer, then the kill: the next up must send the same ClientToken and get the same order.
  ["update", "upgradeOrderSent"],
  // No state at all (create), the instance rebooting for the order: the next up waits and finds the type.
  ["create", "upgradeRestart"],
  // Down, no order yet: the next up orders once and starts the instance once the order has settled.
  ["update", "downgradeAfterStop"],
  // Down, ordered, not started: the next up gets the same order back, then starts it.
  ["create", "downgradeAfterOrder"],
];

describe("kill points of a subscription change: SIGKILL of `pulumi up` mid-order, then `up` again", function () {
  this.timeout(180_000);

  for (const [phase, id] of SUBSCRIPTION_IN_TEST) {
    const point = SUBSCRIPTION_KILL_POINTS.find((p) => p.id === id)!;
    const scenario = scenarioOf(point.scenario);
    it(`on ${phase}, killed ${point.label}: the next up finishes with one order per item, Running, the type applied`, async function () {
      // GIVEN i-demo-prepaid-01 (Running, ecs.g6.large, out 5), and a stack that manages it (update) or none yet (create)
      // WHEN `up` of the subscription change is killed at the point, and `up` runs again
      const r = await runSubscriptionKillPoint(phase, point);
      const why = `\n${r.problems.join("\n")}\ncalls: ${r.changes.join(" → ")}${r.upTail ? `\n${r.upTail}` : ""}`;
      // THEN the kill landed where it should
      assert.deepEqual(r.killedAfter, point.before, `calls that took effect before the kill${why}`);
      // AND the next up succeeded
      assert.equal(r.upCode, 0, `exit code of the next up${why}`);
      // AND the instance is Running with the new type (and bandwidth)
      assert.deepEqual(r.end, { status: "Running", instanceType: scenario.to.instanceType, internetMaxBandwidthOut: scenario.to.internetMaxBandwidthOut }, `end state${why}`);
      // AND exactly one settled order per item over both runs: never a second one
      const want = { type: 0, bandwidth: 0, temporary: 0 };
      for (const i of scenario.orders) want[i] = 1;
      assert.deepEqual(r.orders, want, `orders${why}`);
      assert.ok(r.orderStatuses.every((s) => s === "Paid" || s === "Refunded"), `orders settled: ${r.orderStatuses.join(", ")}${why}`);
      // AND no call refused but the interval the killed run started (a start before the order settled, say)
      assert.deepEqual(r.refused.filter((x) => !/ Throttling$/.test(x)), [], `refused${why}`);
      assert.deepEqual(r.problems, []);
    });
  }
});
