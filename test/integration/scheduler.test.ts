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

  it("disks are read once for the process: one listing of the region serves every instance", async () => {
    // GIVEN an instance
    sim = await startFast();
    const api = createEcsClient({ regionId: sim.regionId, endpoint: sim.url, credentials: { accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret } });
    // WHEN its disks are asked about three times
    const answers = [await api.hasLocalDisks(WEB), await api.hasLocalDisks(WEB), await api.hasLocalDisks(WEB)];
    // THEN one DescribeDisks
    assert.deepEqual(answers, [false, false, false]);
    assert.deepEqual(sim.calls().map((c) => c.action), ["DescribeDisks"]);
  });

  it("the local-disk facts of 120 instances come from one paged listing of the region, not one call each", async () => {
    // GIVEN 120 copies of the web instance (one disk each) besides the demo instances, one of which has a local disk
    sim = await startFast({ state: fleetState(120) });
    const api = createEcsClient({ regionId: sim.regionId, endpoint: sim.url, credentials: { accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret } });
    const diskCount = sim.getState().instances.reduce((n, i) => n + i.disks.length, 0);
    const ids = Array.from({ length: 120 }, (_, k) => `i-fleet-${String(k).padStart(2, "0")}`);
    // WHEN every fleet instance's disks and the local-disk instance's are asked about at once
    const answers = await Promise.all([...ids, "i-demo-localdisk-01"].map((id) => api.hasLocalDisks(id)));
    // THEN the region's disks were listed in pages of 100 (no InstanceId), and every flag is right
    const calls = sim.calls();
    assert.deepEqual(calls.map((c) => [c.action, c.params.InstanceId, c.params.PageSize, c.params.PageNumber]), Array.from({ length: Math.ceil(diskCount / 100) }, (_, k) => ["DescribeDisks", undefined, "100", String(k + 1)]));
    assert.deepEqual(answers, [...ids.map(() => false), true]);
  });

  it("an instance the listing does not have is read on its own", async () => {
    // GIVEN a listing of the region's disks already made, then an instance with a local disk added to the region
    sim = await startFast();
    const api = createEcsClient({ regionId: sim.regionId, endpoint: sim.url, credentials: { accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret } });
    await api.hasLocalDisks(WEB);
    const late: SimInstance = JSON.parse(JSON.stringify(inst(sim.getState(), "i-demo-localdisk-01")));
    late.instanceId = "i-late-01";
    late.disks = late.disks.map((d, j) => ({ ...d, diskId: `d-late-${j}` }));
    sim.setState({ ...sim.getState(), instances: [...sim.getState().instances, late] });
    // WHEN its disks are asked about, twice
    const answers = [await api.hasLocalDisks("i-late-01"), await api.hasLocalDisks("i-late-01")];
    // THEN one DescribeDisks of that instance after the listing, and it has a local disk
    assert.deepEqual(answers, [true, true]);
    assert.deepEqual(sim.calls().map((c) => [c.action, c.params.InstanceId]), [["DescribeDisks", undefined], ["DescribeDisks", "i-late-01"]]);
  });

  it("the type catalogue is asked once per zone, type and billing method: alike instances share it, another type does not", async () => {
    // GIVEN three instances in one zone, two of type ecs.g6.large and one changed to ecs.g6.2xlarge
    sim = await startFast({ state: fleetState(3) });
    sim.setState({ ...sim.getState(), instances: sim.getState().instances.map((i) => (i.instanceId === "i-fleet-02" ? { ...i, instanceType: "ecs.g6.2xlarge" } : i)) });
    const api = createEcsClient({ regionId: sim.regionId, endpoint: sim.url, credentials: { accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret } });
    const ids = ["i-fleet-00", "i-fleet-01", "i-fleet-02"];
    await Promise.all(ids.map((id) => api.describeInstance(id, { knownHasLocalDisks: false })));
    // WHEN the catalogue of each is asked for
    const answers = await Promise.all(ids.map((id) => api.describeAvailableInstanceTypes(id, { allowMigrateAcrossZone: false })));
    // THEN two DescribeResourcesModification calls (one per type); each answer leaves out its own type
    const asked = sim.calls().filter((c) => c.action === "DescribeResourcesModification").map((c) => c.params.ResourceId);
    assert.deepEqual(asked, ["i-fleet-00", "i-fleet-02"]);
    assert.deepEqual(answers[0], answers[1]);
    assert.ok(answers[0]!.includes("ecs.g6.2xlarge") && !answers[0]!.includes("ecs.g6.large"));
    assert.ok(answers[2]!.includes("ecs.g6.large") && !answers[2]!.includes("ecs.g6.2xlarge"));
  });

  it("the catalogue of an instance not read yet is asked for that instance", async () => {
    // GIVEN two alike instances, neither read by the process
    sim = await startFast({ state: fleetState(2) });
    const api = createEcsClient({ regionId: sim.regionId, endpoint: sim.url, credentials: { accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret } });
    // WHEN the catalogue of each is asked for, twice
    for (const id of ["i-fleet-00", "i-fleet-01", "i-fleet-00"]) await api.describeAvailableInstanceTypes(id);
    // THEN one call per instance
    assert.deepEqual(sim.calls().map((c) => c.params.ResourceId), ["i-fleet-00", "i-fleet-01"]);
  });

  it("a read within the fresh window after another instance's batch is answered from it, unless the instance changed since", async () => {
    // GIVEN two instances, both polled once by the process (a batch answers reads for 300 ms)
    sim = await startFast({ state: fleetState(2) });
    const api = createEcsClient({ regionId: sim.regionId, endpoint: sim.url, credentials: { accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret } });
    const read = (id: string) => api.describeInstance(id, { knownHasLocalDisks: false });
    await Promise.all([read("i-fleet-00"), read("i-fleet-01")]);
    // WHEN, past the fresh window, i-fleet-00 is read again, then i-fleet-01 at once; then i-fleet-01 is stopped and read
    await new Promise((r) => setTimeout(r, 400));
    await read("i-fleet-00");
    const served = await read("i-fleet-01");
    await api.stopInstance("i-fleet-01", "KeepCharging");
    const afterStop = await read("i-fleet-01");
    // THEN the second batch carried both ids and served i-fleet-01; the read after the stop made its own call and saw it
    const batches = sim.calls().filter((c) => c.action === "DescribeInstances").map((c) => JSON.parse(c.params.InstanceIds!) as string[]);
    assert.deepEqual(batches, [["i-fleet-00", "i-fleet-01"], ["i-fleet-00", "i-fleet-01"], ["i-fleet-01", "i-fleet-00"]]);
    assert.equal(served!.status, "Running");
    assert.ok(afterStop!.status === "Stopping" || afterStop!.status === "Stopped", afterStop!.status);
  });

  it("a second client spending the account's budget makes calls wait, not fail", async () => {
    // GIVEN a limit of 2 DescribeResourcesModification per (compressed, 2 s) window, spent by another tool of the account
    sim = await startFast({ state: fleetState(3), rateLimits: { DescribeResourcesModification: 2 }, rateWindowSeconds: 2 });
    const other = popClient(sim);
    const ask = { RegionId: sim.regionId, ResourceId: WEB, DestinationResource: "InstanceType" };
    for (let k = 0; k < 2; k++) await other.request("DescribeResourcesModification", ask, { method: "POST" });
    const waits: string[] = [];
    const api = createEcsClient({
      regionId: sim.regionId,
      endpoint: sim.url,
      credentials: { accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret },
      onBudgetWait: (m) => waits.push(m),
    });
    // WHEN the provider reads the catalogues of three instances in the same window
    const answers = await Promise.all(["i-fleet-00", "i-fleet-01", "i-fleet-02"].map((id) => api.describeAvailableInstanceTypes(id)));
    // THEN every read succeeds; the API refused some attempts, and each instance was answered exactly once
    assert.deepEqual(answers.map((a) => a.length > 0), [true, true, true]);
    const ours = sim.calls().filter((c) => c.action === "DescribeResourcesModification").slice(2);
    assert.ok(ours.some((c) => c.code === "Throttling.User"), "the budget was spent");
    assert.deepEqual(ours.filter((c) => c.code === undefined).map((c) => c.params.ResourceId).sort(), ["i-fleet-00", "i-fleet-01", "i-fleet-02"]);
    assert.ok(waits.every((m) => /^waiting \d+\.\d s for the account's DescribeResourcesModification budget \(API rate limit\); the call is delayed, not failed$/.test(m)));
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
