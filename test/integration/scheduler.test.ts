/**
 * The process's API scheduler through the real client (pop-core) against the simulator: coalesced
 * reads, and a budget spent by someone else making calls wait instead of failing.
 */
import assert from "node:assert/strict";
import { createEcsClient } from "../../provider/client";
import { RateWindows } from "../../simulator/ratelimit.js";
import type { RunningSimulator, SimInstance } from "../../simulator/index.js";
import { inst, popClient, startFast, stateWith } from "../helpers/sim";

const WEB = "i-demo-web-01";

/** `n` copies of the demo web instance, `i-fleet-00`…, each with its own disks. */
function fleetState(n: number) {
  return stateWith((s) => {
    const web = inst(s, WEB);
    for (let k = 0; k < n; k++) {
      const id = `i-fleet-${String(k).padStart(2, "0")}`;
      const copy: SimInstance = JSON.parse(JSON.stringify(web));
      copy.instanceId = id;
      copy.disks = copy.disks.map((d, j) => ({ ...d, diskId: `d-fleet-${k}-${j}` }));
      s.instances.push(copy);
    }
  });
}

describe("API scheduler against the simulator", function () {
  this.timeout(20_000);
  let sim: RunningSimulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it("concurrent describeInstance calls become one DescribeInstances; each caller gets its own instance", async () => {
    // GIVEN 20 instances and two clients of the same account and region
    sim = await startFast({ state: fleetState(20) });
    const opts = { regionId: sim.regionId, endpoint: sim.url, credentials: { accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret } };
    const [a, b] = [createEcsClient(opts), createEcsClient(opts)];
    const ids = Array.from({ length: 20 }, (_, k) => `i-fleet-${String(k).padStart(2, "0")}`);
    // WHEN every instance and one that does not exist are read at once, half through each client
    const snaps = await Promise.all([...ids, "i-missing"].map((id, k) => (k % 2 ? a : b).describeInstance(id, { knownHasLocalDisks: false })));
    // THEN the simulator saw one DescribeInstances with the 21 ids; each caller got its instance, the missing one undefined
    const calls = sim.calls();
    assert.deepEqual(calls.map((c) => c.action), ["DescribeInstances"]);
    assert.deepEqual(JSON.parse(calls[0]!.params.InstanceIds!), [...ids, "i-missing"]);
    assert.equal(calls[0]!.params.PageSize, "100");
    assert.deepEqual(snaps.map((s) => s?.instanceId), [...ids, undefined]);
  });

  it("disks are read once per instance for the process", async () => {
    // GIVEN an instance
    sim = await startFast();
    const api = createEcsClient({ regionId: sim.regionId, endpoint: sim.url, credentials: { accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret } });
    // WHEN its disks are asked about three times
    const answers = [await api.hasLocalDisks(WEB), await api.hasLocalDisks(WEB), await api.hasLocalDisks(WEB)];
    // THEN one DescribeDisks
    assert.deepEqual(answers, [false, false, false]);
    assert.deepEqual(sim.calls().map((c) => c.action), ["DescribeDisks"]);
  });

  it("a second client spending the account's budget makes calls wait, not fail", async () => {
    // GIVEN a limit of 2 DescribeDisks per (compressed, 2 s) window, spent by another tool of the account
    sim = await startFast({ state: fleetState(3), rateLimits: { DescribeDisks: 2 }, rateWindowSeconds: 2 });
    const other = popClient(sim);
    for (let k = 0; k < 2; k++) await other.request("DescribeDisks", { RegionId: sim.regionId, InstanceId: WEB }, { method: "POST" });
    const waits: string[] = [];
    const api = createEcsClient({
      regionId: sim.regionId,
      endpoint: sim.url,
      credentials: { accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret },
      onBudgetWait: (m) => waits.push(m),
    });
    // WHEN the provider reads the disks of three instances in the same window
    const answers = await Promise.all(["i-fleet-00", "i-fleet-01", "i-fleet-02"].map((id) => api.hasLocalDisks(id)));
    // THEN every read succeeds; the API refused some attempts, and each instance was answered exactly once
    assert.deepEqual(answers, [false, false, false]);
    const ours = sim.calls().filter((c) => c.action === "DescribeDisks").slice(2);
    assert.ok(ours.some((c) => c.code === "Throttling.User"), "the budget was spent");
    assert.deepEqual(ours.filter((c) => c.code === undefined).map((c) => c.params.InstanceId).sort(), ["i-fleet-00", "i-fleet-01", "i-fleet-02"]);
    assert.ok(waits.every((m) => /^waiting \d+\.\d s for the account's DescribeDisks budget \(API rate limit\); the call is delayed, not failed$/.test(m)));
  });
});

describe("simulator rate limit windows", () => {
  it("counts calls per action per calendar minute: refused at minute T, served again from minute T+1", () => {
    // GIVEN a limit of 2 DescribeInstances a minute and no limit on StartInstance
    const w = new RateWindows((a) => (a === "DescribeInstances" ? 2 : 0));
    const t = Date.UTC(2030, 0, 1, 0, 0, 0);
    // WHEN calls come at 0 s, 30 s, 59.999 s (refused), 60 s and 61 s, 62 s (refused)
    const served = [0, 30_000, 59_999, 60_000, 61_000, 62_000].map((dt) => w.take("DescribeInstances", t + dt));
    // THEN a refused call is not counted, and the next minute starts from zero
    assert.deepEqual(served, [true, true, false, true, true, false]);
    assert.deepEqual([1, 2, 3].map(() => w.take("StartInstance", t)), [true, true, true]);
  });
});
