/**
 * Kill points (reliability/kill.ts): `pulumi up` of a type + bandwidth + window change, SIGKILLed
 * (CLI and provider) right after each step took effect, on update and on create; then `pulumi up`
 * again must converge. `npm run reliability -- --kill` prints the same results as a table.
 */
import assert from "node:assert/strict";
import { KILL_POINTS, PHASES, runKillPoint } from "../../reliability/kill";
import { TO } from "../../reliability/matrix";

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
