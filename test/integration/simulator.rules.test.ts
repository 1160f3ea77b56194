/**
 * ecs-sim actions and rules through the real clients: reads (DescribeInstances paging and filters,
 * DescribeInstanceAttribute, DescribeDisks, DescribeResourcesModification), status transitions
 * that take time, type changes taking effect on start, one item per call, the per-instance
 * cooldown, ClientToken idempotency, Async, the temporary bandwidth window, zone migration.
 */
import assert from "node:assert/strict";
import * as $Ecs from "@alicloud/ecs20140526";
import type { RunningSimulator } from "../../simulator/index.js";
import {
  describeOne, ecsClient, expectEcsError, expectPopError, inst, isoSeconds, modifyRequest, popClient, sleep, startFast, stateWith, waitFor,
} from "../helpers/sim.js";

const REGION = "cn-hangzhou";
const WEB = "i-demo-web-01";

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("ecs-sim: actions and rules", function () {
  this.timeout(15_000);
  let sim: RunningSimulator;
  afterEach(async () => sim && (await sim.close()));

  describe("reads", () => {
    it("DescribeInstances lists the documented demo instances, wrapped and paged", async () => {
      // GIVEN the default demo state
      sim = await startFast();
      const client = popClient(sim);
      // WHEN listing page 2 with 4 per page
      const r = (await client.request("DescribeInstances", { RegionId: REGION, PageSize: 4, PageNumber: 2 })) as Body;
      // THEN the real shape: {Instances:{Instance:[…]}, TotalCount, PageNumber, PageSize, RequestId}
      // (ten named instances, then the ten of the web tier behind lb-demo-tier)
      assert.equal(r.TotalCount, 20);
      assert.equal(r.PageNumber, 2);
      assert.equal(r.PageSize, 4);
      assert.match(r.RequestId, /^[0-9A-F-]{36}$/);
      assert.deepEqual(r.Instances.Instance.map((i: Body) => i.InstanceId), ["i-demo-batch-01", "i-demo-prepaid-01", "i-demo-eip-01", "i-demo-localdisk-01"]);
      const all = (await client.request("DescribeInstances", { RegionId: REGION, PageSize: 100 })) as Body;
      const byId = Object.fromEntries(all.Instances.Instance.map((i: Body) => [i.InstanceId, i]));
      assert.deepEqual(
        Object.keys(byId).sort(),
        ["i-demo-api-01", "i-demo-batch-01", "i-demo-ddh-01", "i-demo-eip-01", "i-demo-localdisk-01", "i-demo-locked-01",
          "i-demo-prepaid-01", "i-demo-tier-01", "i-demo-tier-02", "i-demo-tier-03", "i-demo-tier-04", "i-demo-tier-05",
          "i-demo-tier-06", "i-demo-tier-07", "i-demo-tier-08", "i-demo-tier-09", "i-demo-tier-10",
          "i-demo-web-01", "i-demo-worker-01", "i-demo-worker-02"],
      );
      assert.equal(byId["i-demo-tier-01"].Status, "Running");
      assert.equal(byId["i-demo-tier-01"].InstanceChargeType, "PostPaid");
      assert.deepEqual(byId["i-demo-tier-01"].VpcAttributes.PrivateIpAddress.IpAddress, ["192.168.10.11"]);
      assert.deepEqual(byId["i-demo-tier-10"].PublicIpAddress.IpAddress, []);
      assert.equal(byId["i-demo-tier-10"].EipAddress.AllocationId, "");
      assert.equal(byId[WEB].InstanceType, "ecs.g6.large");
      assert.equal(byId[WEB].Status, "Running");
      assert.equal(byId[WEB].InternetMaxBandwidthOut, 5);
      assert.equal(byId[WEB].InternetMaxBandwidthIn, 100);
      assert.equal(byId[WEB].Cpu, 2);
      assert.equal(byId[WEB].Memory, 8192);
      assert.equal(byId[WEB].ZoneId, "cn-hangzhou-h");
      assert.equal(byId["i-demo-api-01"].InternetMaxBandwidthOut, 10);
      assert.equal(byId["i-demo-batch-01"].Status, "Stopped");
      assert.equal(byId["i-demo-batch-01"].InstanceType, "ecs.g6.xlarge");
      assert.equal(byId["i-demo-prepaid-01"].InstanceChargeType, "PrePaid");
      assert.equal(byId["i-demo-eip-01"].EipAddress.AllocationId, "eip-demo-0001");
      assert.equal(byId["i-demo-ddh-01"].DedicatedHostAttribute.DedicatedHostId, "dh-demo-0001");
      assert.deepEqual(byId["i-demo-locked-01"].OperationLocks.LockReason.map((l: Body) => l.LockReason), ["security"]);
      assert.equal(byId["i-demo-localdisk-01"].InstanceType, "ecs.i2.xlarge");
    });

    it("DescribeInstances filters by the InstanceIds JSON array and refuses a malformed one", async () => {
      sim = await startFast();
      const r = await ecsClient(sim).describeInstances(
        new $Ecs.DescribeInstancesRequest({ regionId: REGION, instanceIds: JSON.stringify(["i-demo-api-01", "i-missing", WEB]) }));
      // THEN unknown IDs are simply absent
      assert.deepEqual(r.body!.instances!.instance!.map((i) => i.instanceId).sort(), ["i-demo-api-01", WEB]);
      await expectEcsError(ecsClient(sim).describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: REGION, instanceIds: "i-demo-web-01" })), "InvalidParameter", 400);
      await expectEcsError(ecsClient(sim).describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: REGION, pageSize: 101 })), "InvalidParameter", 400);
      await expectPopError(sim, popClient(sim).request("DescribeInstances", {}), "MissingParameter", 400);
    });

    it("DescribeInstanceAttribute answers one instance, or InvalidInstanceId.NotFound (404)", async () => {
      sim = await startFast();
      const r = await ecsClient(sim).describeInstanceAttribute(new $Ecs.DescribeInstanceAttributeRequest({ instanceId: "i-demo-api-01" }));
      assert.equal(r.body!.instanceType, "ecs.c6.large");
      assert.equal(r.body!.status, "Running");
      await expectEcsError(ecsClient(sim).describeInstanceAttribute(new $Ecs.DescribeInstanceAttributeRequest({ instanceId: "i-nope" })), "InvalidInstanceId.NotFound", 404);
    });

    it("DescribeDisks shows local disk categories, so a planner can detect them", async () => {
      sim = await startFast();
      const r = (await popClient(sim).request("DescribeDisks", { RegionId: REGION, InstanceId: "i-demo-localdisk-01" })) as Body;
      assert.deepEqual(
        r.Disks.Disk.map((d: Body) => [d.Type, d.Category]),
        [["system", "cloud_essd"], ["data", "local_ssd_pro"]],
      );
      const web = await ecsClient(sim).describeDisks(new $Ecs.DescribeDisksRequest({ regionId: REGION, instanceId: WEB, diskType: "system" }));
      assert.deepEqual(web.body!.disks!.disk!.map((d) => d.category), ["cloud_essd"]);
    });

    it("DescribeResourcesModification answers the zone catalogue with stock", async () => {
      sim = await startFast();
      const r = await ecsClient(sim).describeResourcesModification(new $Ecs.DescribeResourcesModificationRequest({
        regionId: REGION, resourceId: WEB, destinationResource: "InstanceType", operationType: "Upgrade",
      }));
      const zones = r.body!.availableZones!.availableZone!;
      assert.deepEqual(zones.map((z) => z.zoneId), ["cn-hangzhou-h"]);
      const offers = Object.fromEntries(zones[0].availableResources!.availableResource![0].supportedResources!.supportedResource!.map((s) => [s.value, s.status]));
      for (const t of ["ecs.g6.xlarge", "ecs.g6.2xlarge", "ecs.c6.large", "ecs.c6.xlarge", "ecs.c6.2xlarge", "ecs.r6.large", "ecs.r6.xlarge"]) {
        assert.equal(offers[t], "Available", t);
      }
      assert.equal(offers["ecs.g6.4xlarge"], "SoldOut");
      assert.equal(offers["ecs.n1.small"], undefined, "retired types are not offered");
      assert.equal(offers["ecs.g6.large"], undefined, "the current type is not a destination");
      // WHEN migration across zones is allowed THEN the other zone shows up, with g6.4xlarge in stock there
      const m = (await popClient(sim).request("DescribeResourcesModification", {
        RegionId: REGION, ResourceId: WEB, DestinationResource: "InstanceType", MigrateAcrossZone: true,
      })) as Body;
      const other = m.AvailableZones.AvailableZone.find((z: Body) => z.ZoneId === "cn-hangzhou-i");
      assert.ok(other.AvailableResources.AvailableResource[0].SupportedResources.SupportedResource
        .some((s: Body) => s.Value === "ecs.g6.4xlarge" && s.Status === "Available"));
      await expectPopError(sim, popClient(sim).request("DescribeResourcesModification", { RegionId: REGION, ResourceId: "i-nope", DestinationResource: "InstanceType" }),
        "InvalidResourceId.NotFound", 404);
    });
  });

  describe("status transitions", () => {
    it("StopInstance: Running → Stopping → Stopped, with StoppedMode; StartInstance: Stopped → Starting → Running", async () => {
      // GIVEN a Running instance
      sim = await startFast({ timing: { stopSeconds: 0.3, startSeconds: 0.3 } });
      const client = popClient(sim);
      // WHEN it is stopped with StopCharging
      await client.request("StopInstance", { InstanceId: WEB, StoppedMode: "StopCharging", ForceStop: false });
      // THEN it is Stopping at once, Stopped later
      assert.equal((await describeOne(client, REGION, WEB)).Status, "Stopping");
      await waitFor(async () => (await describeOne(client, REGION, WEB)).Status === "Stopped");
      assert.equal((await describeOne(client, REGION, WEB)).StoppedMode, "StopCharging");
      // WHEN it is started THEN Starting, then Running
      await client.request("StartInstance", { InstanceId: WEB });
      assert.equal((await describeOne(client, REGION, WEB)).Status, "Starting");
      await waitFor(async () => (await describeOne(client, REGION, WEB)).Status === "Running");
    });

    it("answers IncorrectInstanceStatus (403) to a stop of a stopped instance and a start of a running one", async () => {
      sim = await startFast();
      await expectEcsError(ecsClient(sim).stopInstance(new $Ecs.StopInstanceRequest({ instanceId: "i-demo-batch-01" })), "IncorrectInstanceStatus", 403);
      await expectEcsError(ecsClient(sim).startInstance(new $Ecs.StartInstanceRequest({ instanceId: WEB })), "IncorrectInstanceStatus", 403);
      // AND a stop while already Stopping
      await ecsClient(sim).stopInstance(new $Ecs.StopInstanceRequest({ instanceId: WEB, forceStop: true }));
      await expectEcsError(ecsClient(sim).stopInstance(new $Ecs.StopInstanceRequest({ instanceId: WEB })), "IncorrectInstanceStatus", 403);
      await expectEcsError(ecsClient(sim).stopInstance(new $Ecs.StopInstanceRequest({ instanceId: "i-demo-worker-01", stoppedMode: "Hibernate" })), "InvalidParameter", 400);
    });

    it("a type change is pending while Stopped and shows in InstanceType once started", async () => {
      // GIVEN the stopped batch instance (ecs.g6.xlarge)
      sim = await startFast();
      const client = popClient(sim);
      // WHEN its type is changed
      await client.request("ModifyInstanceSpec", { InstanceId: "i-demo-batch-01", InstanceType: "ecs.g6.2xlarge" });
      // THEN DescribeInstances still shows the old type, the state records the pending one
      assert.equal((await describeOne(client, REGION, "i-demo-batch-01")).InstanceType, "ecs.g6.xlarge");
      assert.equal(inst(sim.getState(), "i-demo-batch-01").pendingInstanceType, "ecs.g6.2xlarge");
      // WHEN it is started (StartInstance is not blocked by the cooldown)
      await client.request("StartInstance", { InstanceId: "i-demo-batch-01" });
      assert.equal((await describeOne(client, REGION, "i-demo-batch-01")).InstanceType, "ecs.g6.xlarge", "not yet while Starting");
      // THEN once Running it has the new type, CPU and memory
      const after = await waitFor(async () => {
        const i = await describeOne(client, REGION, "i-demo-batch-01");
        return i.Status === "Running" ? i : undefined;
      });
      assert.equal(after.InstanceType, "ecs.g6.2xlarge");
      assert.equal(after.Cpu, 8);
      assert.equal(after.Memory, 32768);
    });

    it("a full resize: stop, change type, start — in that order, with the cooldown not blocking stop/start", async () => {
      sim = await startFast();
      const ecs = ecsClient(sim);
      // GIVEN a bandwidth change just started the cooldown
      await ecs.modifyInstanceSpec(modifyRequest({ InstanceId: WEB, InternetMaxBandwidthOut: 20 }));
      // WHEN the instance is stopped right away  THEN the stop is accepted
      await ecs.stopInstance(new $Ecs.StopInstanceRequest({ instanceId: WEB }));
      await waitFor(() => inst(sim.getState(), WEB).status === "Stopped");
      // AND the type change waits out the cooldown
      await expectEcsError(ecs.modifyInstanceSpec(modifyRequest({ InstanceId: WEB, InstanceType: "ecs.g6.xlarge" })), "Throttling", 400);
      await waitFor(async () => {
        try {
          await ecs.modifyInstanceSpec(modifyRequest({ InstanceId: WEB, InstanceType: "ecs.g6.xlarge" }));
          return true;
        } catch (e) {
          if ((e as { code?: string }).code !== "Throttling") throw e;
          return false;
        }
      }, 3000, 100);
      await ecs.startInstance(new $Ecs.StartInstanceRequest({ instanceId: WEB }));
      await waitFor(() => inst(sim.getState(), WEB).status === "Running");
      assert.equal(inst(sim.getState(), WEB).instanceType, "ecs.g6.xlarge");
      // THEN the call log shows the exact sequence
      const seq = sim.calls().map((c) => `${c.action}:${c.code ?? c.httpStatus}`);
      const firstOk = seq.indexOf("ModifyInstanceSpec:200", 1);
      assert.deepEqual(seq.slice(0, 3), ["ModifyInstanceSpec:200", "StopInstance:200", "ModifyInstanceSpec:Throttling"]);
      assert.ok(seq.slice(3, firstOk).every((s) => s === "ModifyInstanceSpec:Throttling"));
      assert.deepEqual(seq.slice(firstOk), ["ModifyInstanceSpec:200", "StartInstance:200"]);
      assert.deepEqual(sim.calls()[0].params, { InstanceId: WEB, InternetMaxBandwidthOut: "20" });
    });
  });

  describe("ModifyInstanceSpec rules", () => {
    it("changes bandwidth at once, Out and In together count as one item", async () => {
      sim = await startFast();
      await popClient(sim).request("ModifyInstanceSpec", { InstanceId: "i-demo-worker-01", InternetMaxBandwidthOut: 50, InternetMaxBandwidthIn: 150 }, { method: "POST" });
      const i = await describeOne(popClient(sim), REGION, "i-demo-worker-01");
      assert.equal(i.InternetMaxBandwidthOut, 50);
      assert.equal(i.InternetMaxBandwidthIn, 150);
    });

    it("refuses a bandwidth change on an instance that is Starting (InvalidStatus.ValueNotSupported, 403)", async () => {
      sim = await startFast({ timing: { startSeconds: 5 } });
      await popClient(sim).request("StartInstance", { InstanceId: "i-demo-batch-01" });
      await expectPopError(sim, popClient(sim).request("ModifyInstanceSpec", { InstanceId: "i-demo-batch-01", InternetMaxBandwidthOut: 5 }),
        "InvalidStatus.ValueNotSupported", 403);
    });

    it("allows a bandwidth change on a Stopped instance", async () => {
      sim = await startFast();
      await popClient(sim).request("ModifyInstanceSpec", { InstanceId: "i-demo-batch-01", InternetMaxBandwidthOut: 5 });
      assert.equal(inst(sim.getState(), "i-demo-batch-01").internetMaxBandwidthOut, 5);
    });

    it("the cooldown is per instance and ends after cooldownSeconds", async () => {
      sim = await startFast({ timing: { cooldownSeconds: 0.5 } });
      const ecs = ecsClient(sim);
      await ecs.modifyInstanceSpec(modifyRequest({ InstanceId: "i-demo-worker-01", InternetMaxBandwidthOut: 2 }));
      // THEN another instance is not affected
      await ecs.modifyInstanceSpec(modifyRequest({ InstanceId: "i-demo-worker-02", InternetMaxBandwidthOut: 2 }));
      const e = await expectEcsError(ecs.modifyInstanceSpec(modifyRequest({ InstanceId: "i-demo-worker-01", InternetMaxBandwidthOut: 3 })), "Throttling", 400);
      assert.match(e.message ?? "", /please try again after 5 minutes/);
      await sleep(550);
      await ecs.modifyInstanceSpec(modifyRequest({ InstanceId: "i-demo-worker-01", InternetMaxBandwidthOut: 3 }));
      assert.equal(inst(sim.getState(), "i-demo-worker-01").internetMaxBandwidthOut, 3);
    });

    it("a failed call does not start the cooldown", async () => {
      sim = await startFast();
      await expectPopError(sim, popClient(sim).request("ModifyInstanceSpec", { InstanceId: WEB, InstanceType: "ecs.g6.xlarge" }), "InvalidInstanceStatus.NotStopped", 400);
      await popClient(sim).request("ModifyInstanceSpec", { InstanceId: WEB, InternetMaxBandwidthOut: 6 });
    });

    it("ClientToken: the same token and parameters replay the same answer, even during the cooldown", async () => {
      sim = await startFast();
      const ecs = ecsClient(sim);
      const p = { InstanceId: WEB, InternetMaxBandwidthOut: 25, ClientToken: "3f1c6a2e-idem-0001" };
      const first = await ecs.modifyInstanceSpec(modifyRequest(p));
      const again = await ecs.modifyInstanceSpec(modifyRequest(p));
      assert.equal(again.body!.requestId, first.body!.requestId);
      // AND through the other client too (same wire parameters)
      const third = (await popClient(sim).request("ModifyInstanceSpec", p)) as Body;
      assert.equal(third.RequestId, first.body!.requestId);
      assert.equal(inst(sim.getState(), WEB).internetMaxBandwidthOut, 25);
      // AND the same token with other parameters is refused
      await expectEcsError(ecs.modifyInstanceSpec(modifyRequest({ ...p, InternetMaxBandwidthOut: 26 })), "IdempotenceParamNotMatch", 400);
    });

    it("ClientToken: a token still in flight answers LastTokenProcessing (403), then the same outcome", async () => {
      sim = await startFast({ timing: { tokenProcessingSeconds: 0.4 } });
      const p = { InstanceId: WEB, InternetMaxBandwidthOut: 30, ClientToken: "tok-flight" };
      const first = (await popClient(sim).request("ModifyInstanceSpec", p)) as Body;
      await expectPopError(sim, popClient(sim).request("ModifyInstanceSpec", p), "LastTokenProcessing", 403);
      await sleep(450);
      const later = (await popClient(sim).request("ModifyInstanceSpec", p)) as Body;
      assert.equal(later.RequestId, first.RequestId);
    });

    it("Async=true: the type change applies for asyncApplySeconds; StartInstance answers InstanceNotReady (403) meanwhile", async () => {
      sim = await startFast({ timing: { asyncApplySeconds: 0.4 } });
      const ecs = ecsClient(sim);
      await ecs.modifyInstanceSpec(modifyRequest({ InstanceId: "i-demo-batch-01", InstanceType: "ecs.r6.xlarge", Async: true }));
      await expectEcsError(ecs.startInstance(new $Ecs.StartInstanceRequest({ instanceId: "i-demo-batch-01" })), "InstanceNotReady", 403);
      await sleep(450);
      await ecs.startInstance(new $Ecs.StartInstanceRequest({ instanceId: "i-demo-batch-01" }));
      await waitFor(() => inst(sim.getState(), "i-demo-batch-01").status === "Running");
      assert.equal(inst(sim.getState(), "i-demo-batch-01").instanceType, "ecs.r6.xlarge");
    });

    it("Temporary.*: the window is stored and the reported bandwidth is the temporary one inside it", async () => {
      sim = await startFast();
      const start = isoSeconds(Date.now() - 1000);
      const end = isoSeconds(Date.now() + 2000);
      await ecsClient(sim).modifyInstanceSpec(modifyRequest({
        InstanceId: "i-demo-api-01", "Temporary.StartTime": start, "Temporary.EndTime": end, "Temporary.InternetMaxBandwidthOut": 80,
      }));
      assert.deepEqual(inst(sim.getState(), "i-demo-api-01").temporaryBandwidth, { startTime: start, endTime: end, internetMaxBandwidthOut: 80 });
      assert.equal((await describeOne(popClient(sim), REGION, "i-demo-api-01")).InternetMaxBandwidthOut, 80);
      assert.deepEqual(sim.calls()[0].params, {
        InstanceId: "i-demo-api-01", "Temporary.StartTime": start, "Temporary.EndTime": end, "Temporary.InternetMaxBandwidthOut": "80",
      });
      // THEN after the window the base bandwidth is back
      await waitFor(async () => (await describeOne(popClient(sim), REGION, "i-demo-api-01")).InternetMaxBandwidthOut === 10, 4000, 100);
      // AND the temporary window with a normal bandwidth in one call is two items
      await expectPopError(sim, popClient(sim).request("ModifyInstanceSpec", {
        InstanceId: "i-demo-worker-01", InternetMaxBandwidthOut: 3, "Temporary.StartTime": isoSeconds(Date.now() + 60_000),
        "Temporary.EndTime": isoSeconds(Date.now() + 120_000), "Temporary.InternetMaxBandwidthOut": 50,
      }), "InvalidParameter.Mismatch", 400);
    });

    it("Temporary.*: a time not in yyyy-MM-ddTHH:mm:ssZ is InvalidTemporary.StartTime (400)", async () => {
      sim = await startFast();
      await expectPopError(sim, popClient(sim).request("ModifyInstanceSpec", {
        InstanceId: WEB, "Temporary.StartTime": "2030-01-01 10:00", "Temporary.EndTime": "2030-01-01T11:00:00Z", "Temporary.InternetMaxBandwidthOut": 50,
      }), "InvalidTemporary.StartTime", 400);
    });

    it("AllowMigrateAcrossZone moves a stopped instance to a zone with stock; SystemDisk.Category changes the system disk", async () => {
      sim = await startFast({ state: stateWith((s) => { inst(s, WEB).status = "Stopped"; }) });
      await ecsClient(sim).modifyInstanceSpec(modifyRequest({
        InstanceId: WEB, InstanceType: "ecs.g6.4xlarge", AllowMigrateAcrossZone: true, "SystemDisk.Category": "cloud_ssd",
      }));
      const s = inst(sim.getState(), WEB);
      assert.equal(s.zoneId, "cn-hangzhou-i");
      assert.equal(s.pendingInstanceType, "ecs.g6.4xlarge");
      assert.equal(s.disks.find((d) => d.type === "system")!.category, "cloud_ssd");
    });

    it("DryRun=true validates and answers DryRunOperation (400) without applying", async () => {
      sim = await startFast();
      await expectEcsError(ecsClient(sim).modifyInstanceSpec(modifyRequest({ InstanceId: WEB, InternetMaxBandwidthOut: 9, DryRun: true })), "DryRunOperation", 400);
      assert.equal(inst(sim.getState(), WEB).internetMaxBandwidthOut, 5);
      assert.equal(inst(sim.getState(), WEB).lastSpecChangeAtMs, null);
    });

    it("StartInstance answers OperationDenied.NoStock (403) when the pending type sold out meanwhile", async () => {
      sim = await startFast();
      await popClient(sim).request("ModifyInstanceSpec", { InstanceId: "i-demo-batch-01", InstanceType: "ecs.r6.large" });
      const s = sim.getState();
      s.zones[0].offers.find((o) => o.instanceType === "ecs.r6.large")!.status = "SoldOut";
      sim.setState(s);
      await expectPopError(sim, popClient(sim).request("StartInstance", { InstanceId: "i-demo-batch-01" }), "OperationDenied.NoStock", 403);
    });
  });
});
