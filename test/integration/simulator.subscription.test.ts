/**
 * The simulator's subscription APIs: ModifyPrepayInstanceSpec, ModifyInstanceNetworkSpec and
 * RebootInstance. Every error the simulator can reach, with its documented code, HTTP status and
 * body, through both real clients (`@alicloud/pop-core` V1, `@alicloud/ecs20140526` V3); then the
 * state they keep: orders, asynchronous application, the restart an upgrade needs, the interval,
 * the downgrade quota and the rules of temporary windows.
 */
import assert from "node:assert/strict";
import type { RunningSimulator, SimState } from "../../simulator/index.js";
import { describeOne, ecsCall, ecsClient, expectEcsError, expectPopError, inst, popClient, sleep, startFast, stateWith, waitFor } from "../helpers/sim.js";

type Wire = Record<string, string | number | boolean>;

const PREPAID = "i-demo-prepaid-01";
const STOPPED = "i-demo-prepaid-stopped-01";
const ARREARS = "i-demo-prepaid-arrears-01";
const PREPAY = "ModifyPrepayInstanceSpec";
const NETWORK = "ModifyInstanceNetworkSpec";

/** `yyyy-MM-ddTHH:mmZ` / `yyyy-MM-ddTHHZ` of the whole hour `hours` after the current one. */
const hourAhead = (hours: number) => new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 + hours * 3_600_000).toISOString();
const startAt = (hours: number) => hourAhead(hours).slice(0, 16) + "Z";
const endAt = (hours: number) => hourAhead(hours).slice(0, 13) + "Z";

const prepaid = (edit: (i: ReturnType<typeof inst>) => void, id = PREPAID) => (s: SimState) => edit(inst(s, id));
const processing = (id: string) => (s: SimState) => {
  inst(s, id).orders = [
    { orderId: "2000000000009", action: NETWORK, direction: "upgrade", status: "Processing", autoPay: true, createdAtMs: Date.now(), settlesAtMs: Date.now() + 60_000, change: { item: "bandwidth", internetMaxBandwidthIn: 50 } },
  ];
};
const unpaid = (id: string) => (s: SimState) => {
  inst(s, id).orders = [
    { orderId: "2000000000008", action: NETWORK, direction: "upgrade", status: "Unpaid", autoPay: false, createdAtMs: 0, settlesAtMs: 0, change: { item: "bandwidth", internetMaxBandwidthOut: 10 } },
  ];
};

interface Case {
  action: string;
  code: string;
  status: number;
  given: string;
  state?: (s: SimState) => void;
  /** A call made before the one under test (it must succeed). */
  before?: Wire;
  when: Wire;
}

const CASES: Case[] = [
  // --- ModifyPrepayInstanceSpec ---
  { action: PREPAY, code: "InvalidInstanceId.NotFound", status: 400, given: "no such instance", when: { InstanceId: "i-nope", InstanceType: "ecs.g6.xlarge" } },
  { action: PREPAY, code: "InvalidInstanceType.ValueNotSupported", status: 400, given: "a malformed type", when: { InstanceId: PREPAID, InstanceType: "g6-large" } },
  { action: PREPAY, code: "InvalidInstanceType.ValueUnauthorized", status: 400, given: "a type the account may not use", when: { InstanceId: PREPAID, InstanceType: "ecs.ebmg6.26xlarge" } },
  { action: PREPAY, code: "InvalidInstanceType.NotSupported", status: 400, given: "an arm64 type for an x86 instance", when: { InstanceId: PREPAID, InstanceType: "ecs.g6r.large" } },
  { action: PREPAY, code: "InvalidBillingMethod.ValueNotSupported", status: 400, given: "a pay-as-you-go instance", when: { InstanceId: "i-demo-web-01", InstanceType: "ecs.g6.xlarge" } },
  { action: PREPAY, code: "InvalidInstance.UnpaidOrder", status: 400, given: "an unpaid order on the instance", state: unpaid(PREPAID), when: { InstanceId: PREPAID, InstanceType: "ecs.g6.xlarge" } },
  { action: PREPAY, code: "Account.Arrearage", status: 400, given: "the instance locked for arrears", when: { InstanceId: ARREARS, InstanceType: "ecs.g6.xlarge" } },
  { action: PREPAY, code: "InvalidRebootTime.MalFormed", status: 400, given: "a RebootTime that is no time", when: { InstanceId: PREPAID, InstanceType: "ecs.g6.xlarge", RebootTime: "tomorrow" } },
  { action: PREPAY, code: "InvalidRebootTime.ValueNotSupported", status: 400, given: "a RebootTime in the past", when: { InstanceId: PREPAID, InstanceType: "ecs.g6.xlarge", RebootTime: "2020-01-01T00:00:00Z" } },
  {
    action: PREPAY, code: "IdempotenceParamNotMatch", status: 400, given: "a token used before for another type",
    before: { InstanceId: STOPPED, InstanceType: "ecs.g6.2xlarge", ClientToken: "tok-prepay-1" },
    when: { InstanceId: STOPPED, InstanceType: "ecs.r6.xlarge", ClientToken: "tok-prepay-1" },
  },
  { action: PREPAY, code: "InvalidStatus.NotStopped", status: 400, given: "a downgrade of a running instance", when: { InstanceId: PREPAID, InstanceType: "ecs.c6.large" } },
  {
    action: PREPAY, code: "InstanceDowngrade.QuotaExceed", status: 400, given: "a stopped instance with its 3 downgrades used",
    state: prepaid((i) => (i.downgradeCount = 3), STOPPED), when: { InstanceId: STOPPED, InstanceType: "ecs.g6.large" },
  },
  { action: PREPAY, code: "InvalidParameter", status: 400, given: "an OperatorType that is neither upgrade nor downgrade", when: { InstanceId: PREPAID, InstanceType: "ecs.g6.xlarge", OperatorType: "sideways" } },
  { action: PREPAY, code: "LastOrderProcessing", status: 400, given: "an order still processing", state: processing(PREPAID), when: { InstanceId: PREPAID, InstanceType: "ecs.g6.xlarge" } },
  {
    action: PREPAY, code: "Throttling", status: 400, given: "a change made a moment ago (the interval)",
    state: prepaid((i) => (i.lastSpecChangeAtMs = Date.now())), when: { InstanceId: PREPAID, InstanceType: "ecs.g6.xlarge" },
  },
  {
    action: PREPAY, code: "InvalidOperation.InstanceRenewWithDowngradeInPlan", status: 400, given: "a renewal with a downgrade scheduled",
    state: prepaid((i) => (i.renewWithDowngradeInPlan = true)), when: { InstanceId: PREPAID, InstanceType: "ecs.g6.xlarge" },
  },
  { action: PREPAY, code: "OperationDenied.NoStock", status: 403, given: "a sold-out type", when: { InstanceId: PREPAID, InstanceType: "ecs.g6.4xlarge" } },
  { action: PREPAY, code: "ImageNotSupportInstanceType", status: 403, given: "a type the image cannot run", when: { InstanceId: PREPAID, InstanceType: "ecs.gn6i-c4g1.xlarge" } },
  { action: PREPAY, code: "InstanceType.Offline", status: 403, given: "a retired type", when: { InstanceId: PREPAID, InstanceType: "ecs.n1.small" } },
  {
    action: PREPAY, code: "IncorrectInstanceStatus", status: 403, given: "an instance still Stopping",
    state: prepaid((i) => { i.status = "Stopping"; i.transition = { to: "Stopped", atMs: Date.now() + 60_000 }; }),
    when: { InstanceId: PREPAID, InstanceType: "ecs.g6.xlarge" },
  },
  {
    action: PREPAY, code: "InvalidInstance.PreInstanceExpired", status: 403, given: "an expired subscription",
    state: prepaid((i) => (i.expiredTime = "2020-01-01T00:00Z")), when: { InstanceId: PREPAID, InstanceType: "ecs.g6.xlarge" },
  },
  {
    action: PREPAY, code: "InvalidInstance.EipNotSupport", status: 403, given: "an EIP-bound subscription instance where the (configurable) EIP rule holds",
    state: (s) => { s.account.eipBlocksPrepayTypeChange = true; inst(s, PREPAID).eip = { allocationId: "eip-x", ipAddress: "47.1.1.1", bandwidth: 5 }; },
    when: { InstanceId: PREPAID, InstanceType: "ecs.g6.xlarge" },
  },
  {
    action: PREPAY, code: "OperationDenied.LocalDiskUnsupported", status: 403, given: "a subscription instance with local disks",
    state: prepaid((i) => { i.instanceChargeType = "PrePaid"; }, "i-demo-localdisk-01"), when: { InstanceId: "i-demo-localdisk-01", InstanceType: "ecs.i2.2xlarge" },
  },
  // --- ModifyInstanceNetworkSpec ---
  { action: NETWORK, code: "InvalidInternetMaxBandwidthOut.ValueNotSupported", status: 400, given: "an outbound bandwidth of 201", when: { InstanceId: PREPAID, InternetMaxBandwidthOut: 201 } },
  { action: NETWORK, code: "InvalidInternetMaxBandwidthIn.ValueNotSupported", status: 400, given: "an inbound bandwidth of 0", when: { InstanceId: PREPAID, InternetMaxBandwidthIn: 0 } },
  { action: NETWORK, code: "InvalidInternetChargeType.ValueNotSupported", status: 400, given: "an unknown network charge type", when: { InstanceId: PREPAID, NetworkChargeType: "PayBy95" } },
  { action: NETWORK, code: "InvalidParameter.Conflict", status: 400, given: "a StartTime without an EndTime", when: { InstanceId: PREPAID, InternetMaxBandwidthOut: 50, StartTime: startAt(1) } },
  { action: NETWORK, code: "InvalidStartTime.ValueNotSupported", status: 400, given: "a StartTime with seconds", when: { InstanceId: PREPAID, InternetMaxBandwidthOut: 50, StartTime: hourAhead(1).slice(0, 19) + "Z", EndTime: endAt(5) } },
  { action: NETWORK, code: "InvalidEndTime.ValueNotSupported", status: 400, given: "a window of 2 hours", when: { InstanceId: PREPAID, InternetMaxBandwidthOut: 50, StartTime: startAt(1), EndTime: endAt(3) } },
  {
    action: NETWORK, code: "InvalidEndTime.BeyondLifeCycle", status: 400, given: "a window ending after the subscription",
    state: prepaid((i) => (i.expiredTime = hourAhead(4).slice(0, 16) + "Z")), when: { InstanceId: PREPAID, InternetMaxBandwidthOut: 50, StartTime: startAt(1), EndTime: endAt(5) },
  },
  { action: NETWORK, code: "InvalidBandwidth.ValueNotSupported", status: 400, given: "a temporary bandwidth below the current one", when: { InstanceId: PREPAID, InternetMaxBandwidthOut: 3, StartTime: startAt(1), EndTime: endAt(5) } },
  { action: NETWORK, code: "InvalidParam.AllocatePublicIp", status: 400, given: "AllocatePublicIp that is no boolean", when: { InstanceId: PREPAID, InternetMaxBandwidthOut: 10, AllocatePublicIp: "yes" } },
  { action: NETWORK, code: "InvalidParameter.Bandwidth", status: 400, given: "the bandwidth the instance already has", when: { InstanceId: PREPAID, InternetMaxBandwidthOut: 5 } },
  { action: NETWORK, code: "InvalidClientToken.ValueNotSupported", status: 400, given: "a ClientToken of 65 characters", when: { InstanceId: PREPAID, InternetMaxBandwidthOut: 10, ClientToken: "x".repeat(65) } },
  {
    action: NETWORK, code: "Throttling", status: 400, given: "a change made a moment ago (the interval)",
    state: prepaid((i) => (i.lastSpecChangeAtMs = Date.now())), when: { InstanceId: PREPAID, InternetMaxBandwidthOut: 10 },
  },
  {
    action: NETWORK, code: "OperationDenied", status: 400, given: "a bandwidth downgrade earlier in this billing cycle",
    state: prepaid((i) => (i.bandwidthDowngradedThisCycle = true)), when: { InstanceId: PREPAID, InternetMaxBandwidthOut: 10 },
  },
  {
    action: NETWORK, code: "InstanceDowngrade.QuotaExceed", status: 400, given: "a bandwidth downgrade with the 3 downgrades used",
    state: prepaid((i) => (i.downgradeCount = 3)), when: { InstanceId: PREPAID, InternetMaxBandwidthOut: 2 },
  },
  {
    action: NETWORK, code: "InvalidOperation.InstanceStatusUnsupported", status: 400, given: "an instance still Stopping",
    state: prepaid((i) => { i.status = "Stopping"; i.transition = { to: "Stopped", atMs: Date.now() + 60_000 }; }),
    when: { InstanceId: PREPAID, InternetMaxBandwidthOut: 10 },
  },
  { action: NETWORK, code: "LastOrderProcessing", status: 400, given: "an order still processing", state: processing(PREPAID), when: { InstanceId: PREPAID, InternetMaxBandwidthOut: 10 } },
  { action: NETWORK, code: "Account.Arrearage", status: 400, given: "an account in arrears", state: (s) => { s.account.arrears = true; }, when: { InstanceId: PREPAID, InternetMaxBandwidthOut: 10 } },
  { action: NETWORK, code: "InvalidInstance.UnPaidOrder", status: 403, given: "an unpaid order on the instance", state: unpaid(PREPAID), when: { InstanceId: PREPAID, InternetMaxBandwidthOut: 10 } },
  { action: NETWORK, code: "InstanceExpiredOrInArrears", status: 403, given: "the instance locked for arrears", when: { InstanceId: ARREARS, InternetMaxBandwidthOut: 10 } },
  { action: NETWORK, code: "InstanceLockedForSecurity", status: 403, given: "the security-locked demo instance", when: { InstanceId: "i-demo-locked-01", InternetMaxBandwidthOut: 10 } },
  { action: NETWORK, code: "InvalidInstance.InstanceNotSupported", status: 403, given: "the EIP instance's bandwidth", when: { InstanceId: "i-demo-eip-01", InternetMaxBandwidthOut: 10 } },
  { action: NETWORK, code: "BandwidthUpgradeDenied.EipBoundInstance", status: 400, given: "a window on the EIP instance", when: { InstanceId: "i-demo-eip-01", InternetMaxBandwidthOut: 10, StartTime: startAt(1), EndTime: endAt(5) } },
  { action: NETWORK, code: "InvalidInstanceId.NotFound", status: 404, given: "no such instance", when: { InstanceId: "i-nope", InternetMaxBandwidthOut: 10 } },
];

const CLIENTS = {
  "@alicloud/pop-core (V1)": {
    send: (sim: RunningSimulator, action: string, p: Wire) => popClient(sim).request(action, p, { method: "POST" }),
    expect: (sim: RunningSimulator, p: Promise<unknown>, code: string, status: number) => expectPopError(sim, p, code, status),
  },
  "@alicloud/ecs20140526 (V3)": {
    send: (sim: RunningSimulator, action: string, p: Wire) => ecsCall(ecsClient(sim), action, p),
    expect: (_sim: RunningSimulator, p: Promise<unknown>, code: string, status: number) => expectEcsError(p, code, status),
  },
};

describe("ecs-sim: subscription errors (ModifyPrepayInstanceSpec, ModifyInstanceNetworkSpec)", function () {
  this.timeout(10_000);
  let sim: RunningSimulator;
  afterEach(async () => sim && (await sim.close()));

  for (const [clientName, client] of Object.entries(CLIENTS)) {
    describe(clientName, () => {
      for (const c of CASES) {
        it(`${c.action} ${c.code} (${c.status}): GIVEN ${c.given}`, async () => {
          // GIVEN
          sim = await startFast({ state: c.state ? stateWith(c.state) : undefined, timing: { prepayIntervalSeconds: 300 } });
          if (c.before) await client.send(sim, c.action, c.before);
          const stateBefore = JSON.stringify(sim.getState().instances);
          // WHEN
          const call = client.send(sim, c.action, c.when);
          // THEN the documented code and status, the error body, and nothing changed
          const e = await client.expect(sim, call, c.code, c.status);
          const body = (e.data ?? {}) as Record<string, unknown>;
          if (clientName.includes("pop-core")) {
            assert.equal(body.Code, c.code);
            assert.equal(body.HostId, "ecs.aliyuncs.com");
            assert.equal(typeof body.Message, "string");
          }
          assert.equal(JSON.stringify(sim.getState().instances), stateBefore, "a refused call changes nothing");
        });
      }
    });
  }
});

describe("ecs-sim: subscription state (orders, restart, interval, quota, windows)", function () {
  this.timeout(15_000);
  let sim: RunningSimulator;
  afterEach(async () => sim && (await sim.close()));
  const call = (action: string, p: Wire) => popClient(sim).request(action, { ...p }, { method: "POST" }) as Promise<Record<string, unknown>>;
  const view = (id = PREPAID) => describeOne(popClient(sim), sim.regionId, id);

  it("an upgrade without RebootWhenFinished is paid, applied asynchronously, and shows only after RebootInstance", async () => {
    // GIVEN a running subscription instance, orders settling after 0.3 s
    sim = await startFast();
    // WHEN upgraded without RebootWhenFinished
    const r = await call(PREPAY, { InstanceId: PREPAID, InstanceType: "ecs.g6.xlarge", ClientToken: "t-up-1" });
    // THEN an order id comes back, and the order processes, then is paid
    assert.match(String(r.OrderId), /^\d+$/);
    assert.equal(sim.getState().instances.find((i) => i.instanceId === PREPAID)!.orders![0]!.status, "Processing");
    await sleep(400);
    const after = sim.getState().instances.find((i) => i.instanceId === PREPAID)!;
    assert.equal(after.orders![0]!.status, "Paid");
    // AND the type does not show while the instance keeps running
    assert.equal((await view()).InstanceType, "ecs.g6.large");
    // WHEN it is restarted through ECS
    await call("RebootInstance", { InstanceId: PREPAID });
    assert.equal((await view()).Status, "Stopping");
    // THEN it goes Stopping → Starting → Running, with the new type
    await waitFor(async () => (await view()).Status === "Running" && (await view()).InstanceType === "ecs.g6.xlarge");
  });

  it("RebootWhenFinished restarts a running instance once the order settles; the same ClientToken answers the same order", async () => {
    sim = await startFast();
    const p = { InstanceId: PREPAID, InstanceType: "ecs.g6.xlarge", RebootWhenFinished: "true", ClientToken: "t-up-2" };
    const first = await call(PREPAY, p);
    // WHEN sent again while the order processes THEN LastOrderProcessing; once settled, the same OrderId
    const e = await popClient(sim).request(PREPAY, { ...p }, { method: "POST" }).catch((x: { code: string }) => x);
    assert.equal((e as { code: string }).code, "LastOrderProcessing");
    await waitFor(async () => (await view()).InstanceType === "ecs.g6.xlarge" && (await view()).Status === "Running");
    const again = await call(PREPAY, p);
    assert.equal(again.OrderId, first.OrderId);
    assert.equal(sim.getState().instances.find((i) => i.instanceId === PREPAID)!.orders!.length, 1);
  });

  it("a downgrade of a stopped instance: StartInstance answers InstanceNotReady until the order settles; the type shows after the start", async () => {
    sim = await startFast();
    await call(PREPAY, { InstanceId: STOPPED, InstanceType: "ecs.g6.large", OperatorType: "downgrade" });
    await popClient(sim).request("StartInstance", { InstanceId: STOPPED }, { method: "POST" }).then(
      () => assert.fail("expected InstanceNotReady"),
      (e: { code: string }) => assert.equal(e.code, "InstanceNotReady"),
    );
    await sleep(400);
    assert.equal((await view(STOPPED)).InstanceType, "ecs.g6.xlarge");
    await call("StartInstance", { InstanceId: STOPPED });
    await waitFor(async () => (await view(STOPPED)).Status === "Running");
    assert.equal((await view(STOPPED)).InstanceType, "ecs.g6.large");
    const i = sim.getState().instances.find((x) => x.instanceId === STOPPED)!;
    assert.equal(i.downgradeCount, 1);
    assert.equal(i.orders![0]!.status, "Refunded");
  });

  it("AutoPay=false leaves the upgrade's order unpaid: nothing changes, and every further change is refused until it is paid", async () => {
    sim = await startFast();
    await call(NETWORK, { InstanceId: PREPAID, InternetMaxBandwidthOut: 20, AutoPay: "false" });
    assert.equal((await view()).InternetMaxBandwidthOut, 5);
    await popClient(sim).request(NETWORK, { InstanceId: PREPAID, InternetMaxBandwidthOut: 30 }, { method: "POST" }).then(
      () => assert.fail("expected InvalidInstance.UnPaidOrder"),
      (e: { code: string }) => assert.equal(e.code, "InvalidInstance.UnPaidOrder"),
    );
  });

  it("DescribeResourcesModification splits a subscription instance's catalogue by direction; a pay-as-you-go one's is whole", async () => {
    sim = await startFast();
    const types = async (id: string, op: string) => {
      const r = (await popClient(sim).request("DescribeResourcesModification", { RegionId: sim.regionId, ResourceId: id, DestinationResource: "InstanceType", OperationType: op })) as {
        AvailableZones: { AvailableZone: { AvailableResources: { AvailableResource: { SupportedResources: { SupportedResource: { Value: string }[] } }[] } }[] };
      };
      return r.AvailableZones.AvailableZone[0]!.AvailableResources.AvailableResource[0]!.SupportedResources.SupportedResource.map((s) => s.Value);
    };
    const up = await types(PREPAID, "Upgrade");
    const down = await types(PREPAID, "Downgrade");
    assert.ok(up.includes("ecs.g6.xlarge") && !up.includes("ecs.c6.large"));
    assert.ok(down.includes("ecs.c6.large") && !down.includes("ecs.g6.xlarge"));
    assert.deepEqual(await types("i-demo-web-01", "Downgrade"), await types("i-demo-web-01", "Upgrade"));
  });

  it("a bandwidth downgrade refunds, counts against the quota and freezes the bandwidth for the rest of the billing cycle", async () => {
    sim = await startFast({ timing: { prepayIntervalSeconds: 0 } });
    await call(NETWORK, { InstanceId: PREPAID, InternetMaxBandwidthOut: 2 });
    assert.equal((await view()).InternetMaxBandwidthOut, 2);
    const i = sim.getState().instances.find((x) => x.instanceId === PREPAID)!;
    assert.deepEqual([i.downgradeCount, i.orders![0]!.status], [1, "Refunded"]);
    await popClient(sim).request(NETWORK, { InstanceId: PREPAID, InternetMaxBandwidthOut: 20 }, { method: "POST" }).then(
      () => assert.fail("expected OperationDenied"),
      (e: { code: string }) => assert.equal(e.code, "OperationDenied"),
    );
  });

  it("a temporary window: start to the minute, end to the hour, at least 3 hours; DescribeInstances shows it inside the window", async () => {
    sim = await startFast();
    const now = new Date();
    const start = new Date(Math.floor(now.getTime() / 60_000) * 60_000).toISOString().slice(0, 16) + "Z";
    const end = endAt(4);
    await call(NETWORK, { InstanceId: PREPAID, InternetMaxBandwidthOut: 50, StartTime: start, EndTime: end });
    assert.equal((await view()).InternetMaxBandwidthOut, 50);
    const w = sim.getState().instances.find((x) => x.instanceId === PREPAID)!.temporaryBandwidth!;
    assert.deepEqual(w, { startTime: start.slice(0, 16) + ":00Z", endTime: end.slice(0, 13) + ":00:00Z", internetMaxBandwidthOut: 50 });
  });
});
