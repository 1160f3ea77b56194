/**
 * Every error code of the ModifyInstanceSpec API table, one test each, reached from instance or
 * account state (or, for InternalError, from an injected fault), through both real clients:
 * `@alicloud/pop-core` (V1; status read from the call log, since pop-core ignores it) and
 * `@alicloud/ecs20140526` (V3; status from the client's error).
 */
import assert from "node:assert/strict";
import type { RunningSimulator, SimState } from "../../simulator/index.js";
import { MODIFY_INSTANCE_SPEC_CODES } from "../helpers/api-table.js";
import { ecsCall, ecsClient, expectEcsError, expectPopError, inst, isoSeconds, modifyRequest, popClient, startFast, stateWith } from "../helpers/sim.js";

type Wire = Record<string, string | number | boolean>;

interface Case {
  /** The code and status the API table gives. */
  code: string;
  status: number;
  /** GIVEN: what the world looks like. */
  given: string;
  state?: (s: SimState) => void;
  /** Calls made before the one under test (they must succeed). */
  before?: (sim: RunningSimulator, send: (p: Wire) => Promise<unknown>) => Promise<void>;
  /** WHEN: the ModifyInstanceSpec parameters (or another action). */
  when: Wire;
  action?: string;
}

const stopped = (id: string) => (s: SimState) => {
  inst(s, id).status = "Stopped";
  inst(s, id).stoppedMode = "KeepCharging";
};
const WEB = "i-demo-web-01";
const future = (minutes: number) => isoSeconds(Date.now() + minutes * 60_000);

const CASES: Case[] = [
  { code: "InvalidInternetChargeType.ValueNotSupported", status: 400, given: "an instance billed PayBy95 for traffic",
    state: (s) => { inst(s, WEB).internetChargeType = "PayBy95"; }, when: { InstanceId: WEB, InternetMaxBandwidthOut: 20 } },
  { code: "InvalidInstanceType.ValueUnauthorized", status: 400, given: "a stopped instance and a type that does not exist",
    state: stopped(WEB), when: { InstanceId: WEB, InstanceType: "ecs.zz9.large" } },
  { code: "InvalidInstanceType.ValueUnauthorized", status: 400, given: "a stopped instance and a type the account is not authorized for",
    state: stopped(WEB), when: { InstanceId: WEB, InstanceType: "ecs.ebmg6.26xlarge" } },
  { code: "InvalidInstanceId.NotFound", status: 404, given: "no such instance", when: { InstanceId: "i-nope", InternetMaxBandwidthOut: 10 } },
  { code: "InvalidInstanceType.ValueNotSupported", status: 400, given: "a malformed type name",
    state: stopped(WEB), when: { InstanceId: WEB, InstanceType: "g6-large" } },
  { code: "InvalidParameter", status: 400, given: "an outbound bandwidth above 100", when: { InstanceId: WEB, InternetMaxBandwidthOut: 101 } },
  { code: "InvalidParameter.Mismatch", status: 400, given: "a type and a bandwidth in one call",
    state: stopped(WEB), when: { InstanceId: WEB, InstanceType: "ecs.g6.xlarge", InternetMaxBandwidthOut: 10 } },
  { code: "CategoryViolation", status: 403, given: "an instance with local disks",
    state: stopped("i-demo-localdisk-01"), when: { InstanceId: "i-demo-localdisk-01", InstanceType: "ecs.i2.2xlarge" } },
  { code: "InvalidStatus.ValueNotSupported", status: 403, given: "an instance still Stopping",
    state: (s) => { inst(s, WEB).status = "Stopping"; inst(s, WEB).transition = { to: "Stopped", atMs: Date.now() + 60_000 }; },
    when: { InstanceId: WEB, InternetMaxBandwidthOut: 10 } },
  { code: "InstanceLockedForSecurity", status: 403, given: "the security-locked demo instance",
    when: { InstanceId: "i-demo-locked-01", InternetMaxBandwidthOut: 10 } },
  { code: "InternalError", status: 500, given: "an injected InternalError for the next call",
    before: async (sim) => sim.addFault({ action: "ModifyInstanceSpec", kind: "error", code: "InternalError" }),
    when: { InstanceId: WEB, InternetMaxBandwidthOut: 10 } },
  { code: "InvalidAccountStatus.NotEnoughBalance", status: 403, given: "an account with too low a balance",
    state: (s) => { s.account.lowBalance = true; }, when: { InstanceId: WEB, InternetMaxBandwidthOut: 10 } },
  { code: "ChargeTypeViolation", status: 403, given: "the PrePaid demo instance", when: { InstanceId: "i-demo-prepaid-01", InternetMaxBandwidthOut: 10 } },
  { code: "OperationDenied", status: 403, given: "an instance out of usage",
    state: (s) => { inst(s, WEB).outOfUsage = true; }, when: { InstanceId: WEB, InternetMaxBandwidthOut: 10 } },
  { code: "OperationDenied", status: 403, given: "a stopped g6.large asked to become ecs.g6.large again",
    state: stopped(WEB), when: { InstanceId: WEB, InstanceType: "ecs.g6.large" } },
  { code: "BandwidthUpgradeDenied.EipBoundInstance", status: 400, given: "the EIP demo instance and a temporary upgrade",
    when: { InstanceId: "i-demo-eip-01", "Temporary.StartTime": future(1), "Temporary.EndTime": future(60), "Temporary.InternetMaxBandwidthOut": 50 } },
  { code: "MissingTemporary.StartTime", status: 404, given: "a temporary upgrade without a start",
    when: { InstanceId: WEB, "Temporary.EndTime": future(60), "Temporary.InternetMaxBandwidthOut": 50 } },
  { code: "MissingTemporary.EndTime", status: 404, given: "a temporary upgrade without an end",
    when: { InstanceId: WEB, "Temporary.StartTime": future(1), "Temporary.InternetMaxBandwidthOut": 50 } },
  { code: "InvalidTemporary.StartTime", status: 400, given: "a temporary window starting an hour ago",
    when: { InstanceId: WEB, "Temporary.StartTime": future(-60), "Temporary.EndTime": future(60), "Temporary.InternetMaxBandwidthOut": 50 } },
  { code: "InvalidTemporary.EndTime", status: 400, given: "a temporary window ending before it starts",
    when: { InstanceId: WEB, "Temporary.StartTime": future(30), "Temporary.EndTime": future(10), "Temporary.InternetMaxBandwidthOut": 50 } },
  { code: "LastTokenProcessing", status: 403, given: "an Async type change with token T still applying",
    state: stopped(WEB),
    before: async (_sim, send) => { await send({ InstanceId: WEB, InstanceType: "ecs.g6.xlarge", Async: true, ClientToken: "tok-processing" }); },
    when: { InstanceId: WEB, InstanceType: "ecs.g6.xlarge", Async: true, ClientToken: "tok-processing" } },
  { code: "Downgrade.NotSupported", status: 400, given: "a stopped g6.xlarge whose downgrades are refused",
    state: (s) => { inst(s, "i-demo-batch-01").downgradeNotSupported = true; },
    when: { InstanceId: "i-demo-batch-01", InstanceType: "ecs.g6.large" } },
  { code: "InstanceSpecModification.NotEffective", status: 403, given: "an instance with a reserved, not yet effective spec change",
    state: (s) => { inst(s, WEB).specModificationReserved = true; }, when: { InstanceId: WEB, InternetMaxBandwidthOut: 10 } },
  { code: "DependencyViolation.InstanceType", status: 400, given: "a stopped x86 instance and an Arm type",
    state: stopped(WEB), when: { InstanceId: WEB, InstanceType: "ecs.g6r.large" } },
  { code: "InvalidInstanceType.ValueNotSupported", status: 403, given: "a type offered only in another zone",
    state: stopped(WEB), when: { InstanceId: WEB, InstanceType: "ecs.c6.4xlarge" } },
  { code: "ImageNotSupportInstanceType", status: 403, given: "the demo image, which does not support ecs.gn6i-c4g1.xlarge",
    state: stopped(WEB), when: { InstanceId: WEB, InstanceType: "ecs.gn6i-c4g1.xlarge" } },
  { code: "Account.Arrearage", status: 400, given: "an account in arrears",
    state: (s) => { s.account.arrears = true; }, when: { InstanceId: WEB, InternetMaxBandwidthOut: 10 } },
  { code: "InvalidParameter.Bandwidth", status: 400, given: "an inbound bandwidth above 200", when: { InstanceId: WEB, InternetMaxBandwidthIn: 500 } },
  { code: "InvalidParameter.Conflict", status: 400, given: "a 32-bit image and a 16 GiB type",
    state: (s) => { stopped(WEB)(s); inst(s, WEB).imageId = "centos_6_10_32_40G_alibase_20200319.vhd"; },
    when: { InstanceId: WEB, InstanceType: "ecs.g6.xlarge" } },
  { code: "InvalidParameter.AllowMigrateAcrossZone", status: 400, given: "AllowMigrateAcrossZone=maybe",
    state: stopped(WEB), when: { InstanceId: WEB, InstanceType: "ecs.g6.xlarge", AllowMigrateAcrossZone: "maybe" } },
  { code: "InvalidParam.SystemDiskCategory", status: 400, given: "SystemDisk.Category=cloud_fancy",
    state: stopped(WEB), when: { InstanceId: WEB, InstanceType: "ecs.g6.xlarge", "SystemDisk.Category": "cloud_fancy" } },
  { code: "Throttling", status: 400, given: "a successful bandwidth change a moment ago (cooldown running)",
    before: async (_sim, send) => { await send({ InstanceId: WEB, InternetMaxBandwidthOut: 20 }); },
    when: { InstanceId: WEB, InternetMaxBandwidthOut: 30 } },
  { code: "InvalidInstanceStatus.NotStopped", status: 400, given: "a Running instance and a type change",
    when: { InstanceId: WEB, InstanceType: "ecs.g6.xlarge" } },
  { code: "InstanceType.Offline", status: 403, given: "the retired ecs.n1.small",
    state: stopped(WEB), when: { InstanceId: WEB, InstanceType: "ecs.n1.small" } },
  { code: "InvalidAction", status: 400, given: "an action ECS does not have", action: "ModifyInstanceSpecs", when: { InstanceId: WEB } },
  { code: "IdempotenceParamNotMatch", status: 400, given: "token T already used for another bandwidth",
    before: async (_sim, send) => { await send({ InstanceId: WEB, InternetMaxBandwidthOut: 20, ClientToken: "tok-1" }); },
    when: { InstanceId: WEB, InternetMaxBandwidthOut: 30, ClientToken: "tok-1" } },
  { code: "InvalidClientToken.ValueNotSupported", status: 400, given: "a ClientToken of 65 characters",
    when: { InstanceId: WEB, InternetMaxBandwidthOut: 10, ClientToken: "x".repeat(65) } },
  { code: "Price.PricePlanResultNotFound", status: 400, given: "a PayByBandwidth instance asked for 0 Mbit/s",
    state: (s) => { inst(s, WEB).internetChargeType = "PayByBandwidth"; }, when: { InstanceId: WEB, InternetMaxBandwidthOut: 0 } },
  { code: "InvalidParameter.NotMatch", status: 403, given: "AllowMigrateAcrossZone with a bandwidth change",
    when: { InstanceId: WEB, InternetMaxBandwidthOut: 10, AllowMigrateAcrossZone: true } },
  { code: "InvalidInstance.EipNotSupport", status: 403, given: "the EIP demo instance and a bandwidth change",
    when: { InstanceId: "i-demo-eip-01", InternetMaxBandwidthOut: 10 } },
  { code: "InvalidAction.NotSupport", status: 400, given: "the dedicated-host demo instance and a type change",
    state: stopped("i-demo-ddh-01"), when: { InstanceId: "i-demo-ddh-01", InstanceType: "ecs.g6.xlarge" } },
  { code: "InvalidMarketImageStatus.NotSupported", status: 400, given: "an instance from a delisted marketplace image",
    state: (s) => { stopped(WEB)(s); inst(s, WEB).imageId = "m-market-delisted-0001"; }, when: { InstanceId: WEB, InstanceType: "ecs.g6.xlarge" } },
  { code: "OperationDenied.NoStock", status: 403, given: "ecs.g6.4xlarge sold out in the zone",
    state: stopped(WEB), when: { InstanceId: WEB, InstanceType: "ecs.g6.4xlarge" } },
  { code: "InvalidOperation.Ipv4CountExceeded", status: 403, given: "4 private IPv4 addresses and a type allowing 2",
    state: (s) => { stopped(WEB)(s); inst(s, WEB).privateIpv4Count = 4; }, when: { InstanceId: WEB, InstanceType: "ecs.t5-lc1m2.small" } },
  { code: "InvalidOperation.Ipv6CountExceeded", status: 403, given: "8 IPv6 addresses and a type allowing 6",
    state: (s) => { stopped("i-demo-batch-01")(s); inst(s, "i-demo-batch-01").ipv6Count = 8; },
    when: { InstanceId: "i-demo-batch-01", InstanceType: "ecs.g6.large" } },
  { code: "InvalidOperation.Ipv6NotSupport", status: 403, given: "an IPv6 address and a type without IPv6",
    state: (s) => { stopped(WEB)(s); inst(s, WEB).ipv6Count = 1; }, when: { InstanceId: WEB, InstanceType: "ecs.t5-lc1m2.small" } },
  { code: "InvalidOperation.InstanceWithEipNotSupport", status: 403, given: "the EIP instance, stopped, migrating zones for a sold-out type",
    state: stopped("i-demo-eip-01"), when: { InstanceId: "i-demo-eip-01", InstanceType: "ecs.g6.4xlarge", AllowMigrateAcrossZone: true } },
  { code: "SecurityRisk.3DVerification", status: 403, given: "an account whose card needs 3-D verification",
    state: (s) => { s.account.securityRisk3DVerification = true; }, when: { InstanceId: WEB, InternetMaxBandwidthOut: 10 } },
  { code: "InvalidInstanceChargeType.NotFound", status: 404, given: "an instance with an unknown charge type",
    state: (s) => { inst(s, WEB).instanceChargeType = "Subscription"; }, when: { InstanceId: WEB, InternetMaxBandwidthOut: 10 } },
];

const CLIENTS = {
  "@alicloud/pop-core (V1)": {
    send: (sim: RunningSimulator) => (p: Wire, action = "ModifyInstanceSpec") => popClient(sim).request(action, p, { method: "POST" }),
    expect: (sim: RunningSimulator, p: Promise<unknown>, code: string, status: number) => expectPopError(sim, p, code, status),
  },
  "@alicloud/ecs20140526 (V3)": {
    send: (sim: RunningSimulator) => (p: Wire, action = "ModifyInstanceSpec") =>
      action === "ModifyInstanceSpec" ? ecsClient(sim).modifyInstanceSpec(modifyRequest(p)) : ecsCall(ecsClient(sim), action, p),
    expect: (_sim: RunningSimulator, p: Promise<unknown>, code: string, status: number) => expectEcsError(p, code, status),
  },
};

describe("ecs-sim: every ModifyInstanceSpec error code of the API table", function () {
  this.timeout(10_000);
  let sim: RunningSimulator;
  afterEach(async () => sim && (await sim.close()));

  it("covers every code of the table", () => {
    assert.deepEqual([...new Set(CASES.map((c) => c.code))].sort(), [...MODIFY_INSTANCE_SPEC_CODES].sort());
  });

  for (const [clientName, client] of Object.entries(CLIENTS)) {
    describe(clientName, () => {
      for (const c of CASES) {
        it(`${c.code} (${c.status}): GIVEN ${c.given}`, async () => {
          // GIVEN
          sim = await startFast({ state: c.state ? stateWith(c.state) : undefined });
          const send = client.send(sim);
          if (c.before) await c.before(sim, (p) => send(p));
          const stateBefore = JSON.stringify(sim.getState().instances);
          // WHEN
          const call = send(c.when, c.action);
          // THEN the documented code and HTTP status, the error shape, and nothing changed
          const e = await client.expect(sim, call, c.code, c.status);
          const body = (e.data ?? {}) as Record<string, unknown>;
          assert.equal(body.Code, c.code);
          assert.equal(body.HostId, "ecs.aliyuncs.com");
          assert.equal(typeof body.Message, "string");
          assert.equal(body.Recommend, `https://api.aliyun.com/troubleshoot?q=${c.code}&product=Ecs`);
          assert.equal(JSON.stringify(sim.getState().instances), stateBefore, "a refused call changes nothing");
        });
      }
    });
  }
});
