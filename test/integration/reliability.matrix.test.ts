/**
 * The fault matrix (reliability/matrix.ts): every call of three plans × every injected fault, one
 * `it` per cell: a pay-as-you-go type + bandwidth + window change, a subscription upgrade of a running
 * instance with a bandwidth change, and a subscription downgrade. The cells run in `before`, six at a
 * time (each on its own simulator, with time compressed; they mostly wait, so they share the CPU
 * well), so the whole matrix takes about a minute. `npm run reliability` prints the same matrix as tables.
 */
import assert from "node:assert/strict";
import { faultsFor, plannedSteps, runMatrix, SCENARIOS, type CellResult, type MatrixResult } from "../../reliability/matrix";

describe("fault matrix: each step of a plan × each injected fault", function () {
  let matrix: MatrixResult;

  before(async function () {
    this.timeout(400_000);
    matrix = await runMatrix({ concurrency: 6 });
  });

  const ROWS = {
    payg: ["bandwidth", "stop", "read", "type", "start", "temporary"],
    prepaidUpgrade: ["type", "readRestart", "bandwidth"],
    prepaidDowngrade: ["check", "stop", "read", "type", "start"],
  };

  for (const scenario of SCENARIOS) {
    describe(scenario.label, function () {
      const { kinds, rows } = plannedSteps(scenario);

      it(`plans ${scenario.expectedKinds.join(", ")}; rows ${ROWS[scenario.id].join(", ")}`, function () {
        assert.deepEqual(kinds, scenario.expectedKinds);
        assert.deepEqual(
          rows.map((r) => r.id),
          ROWS[scenario.id],
        );
      });

      const orders = scenario.subscription ? `, one order per item (${scenario.orders.join(", ")})` : "";
      for (const step of rows) {
        for (const fault of faultsFor(step)) {
          it(`${step.label} × ${fault.label}: converges in one apply, each item once${orders}, Running, no call refused`, function () {
            // GIVEN the fault injected once on this step's call (WHEN: the apply ran in `before`)
            const cell = matrix.cells.find((c) => c.scenario === scenario.id && c.step === step.id && c.fault === fault.id) as CellResult;
            const why = `\n${cell.problems.join("\n")}\n${(cell.trace ?? []).join("\n")}`;
            assert.equal(cell.faultHit, true, `the fault hit the call${why}`);
            // THEN one apply converged
            assert.equal(cell.runs, 1, `applies needed${why}`);
            // AND each item of the plan, its stop and its start were applied exactly once, nothing else (replays of a ClientToken are not applies)
            const want = { bandwidth: 0, type: 0, temporary: 0, stop: 0, start: 0 };
            for (const i of scenario.items) want[i] = 1;
            assert.deepEqual(cell.applied, want, `applied${why}`);
            // AND no call was refused by a rule of the API
            assert.deepEqual(cell.refused, [], `refused${why}`);
            // AND a subscription instance has exactly one order per item, settled: never a second one after a lost answer
            const wantOrders = { type: 0, bandwidth: 0, temporary: 0 };
            for (const i of scenario.orders) wantOrders[i] = 1;
            assert.deepEqual(cell.orders, wantOrders, `orders${why}`);
            assert.ok(cell.orderStatuses.every((s) => s === "Paid" || s === "Refunded"), `orders settled: ${cell.orderStatuses.join(", ")}${why}`);
            // AND the instance is Running with the new type and bandwidth (and window)
            assert.deepEqual(
              cell.end,
              {
                status: "Running",
                instanceType: scenario.to.instanceType,
                pendingInstanceType: null,
                internetMaxBandwidthOut: scenario.to.internetMaxBandwidthOut,
                temporary: scenario.items.includes("temporary") ? cell.window : null,
              },
              `end state${why}`,
            );
            assert.deepEqual(cell.problems, []);
          });
        }
      }
    });
  }
});
