/**
 * The fault matrix (reliability/matrix.ts): every call of a type + bandwidth + temporary-window plan
 * × every fault the simulator injects, one `it` per cell. The cells run in `before`, four at a time
 * (each on its own simulator, with time compressed), so the whole matrix takes about half a minute.
 * `npm run reliability` prints the same matrix as a table.
 */
import assert from "node:assert/strict";
import { FAULTS, plannedSteps, runMatrix, TO, type CellResult, type MatrixResult } from "../../reliability/matrix";

describe("fault matrix: each step of a type + bandwidth + window plan × each injected fault", function () {
  const { kinds, rows } = plannedSteps();
  let matrix: MatrixResult;

  before(async function () {
    this.timeout(300_000);
    matrix = await runMatrix({ concurrency: 4 });
  });

  it("plans i-demo-web-01 (Running, ecs.g6.large, out 5) → ecs.g6.xlarge, out 20, a window: bandwidth, stop, type, start, window", function () {
    assert.deepEqual(kinds, ["modifyBandwidth", "waitCooldown", "stop", "modifyType", "start", "waitCooldown", "modifyTemporaryBandwidth"]);
    assert.deepEqual(
      rows.map((r) => r.id),
      ["bandwidth", "stop", "read", "type", "start", "temporary"],
    );
  });

  for (const step of rows) {
    for (const fault of FAULTS) {
      it(`${step.label} × ${fault.label}: converges in one apply, each item once, Running, no call refused`, function () {
        // GIVEN the fault injected once on this step's call (WHEN: the apply ran in `before`)
        const cell = matrix.cells.find((c) => c.step === step.id && c.fault === fault.id) as CellResult;
        const why = `\n${cell.problems.join("\n")}\n${(cell.trace ?? []).join("\n")}`;
        assert.equal(cell.faultHit, true, `the fault hit the call${why}`);
        // THEN one apply converged
        assert.equal(cell.runs, 1, `applies needed${why}`);
        // AND each item, the stop and the start were applied exactly once (replays of a ClientToken are not applies)
        assert.deepEqual(cell.applied, { bandwidth: 1, type: 1, temporary: 1, stop: 1, start: 1 }, `applied${why}`);
        // AND no call was refused by a rule of the API
        assert.deepEqual(cell.refused, [], `refused${why}`);
        // AND the instance is Running with the new type, bandwidth and window
        assert.deepEqual(
          cell.end,
          { status: "Running", instanceType: TO.instanceType, pendingInstanceType: null, internetMaxBandwidthOut: TO.internetMaxBandwidthOut, temporary: cell.window },
          `end state${why}`,
        );
        assert.deepEqual(cell.problems, []);
      });
    }
  }
});
