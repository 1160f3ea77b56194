/**
 * Subscription (PrePaid) instances: the engine against the simulator through the real client, with
 * compressed timings (interval 2 s, order 0.5 s, stop/start 0.3 s). Every order, every call and
 * every refusal is asserted as the simulator saw it.
 */
import assert from "node:assert/strict";
import { startSimulator, type CallLogEntry, type RunningSimulator, type SimInstance } from "../../simulator/index";
import { apply, RETRY_POLICIES, type ApplyOptions } from "../../provider/executor";
import { budgetKey, type EcsApi } from "../../provider/client";
import { schedulerFor } from "../../provider/scheduler";
import type { DesiredSpecInput } from "../../provider/schema";
import { desiredSpec, FAST_ENGINE_TIMING, FAST_RETRY, rejects, simClient } from "../helpers/engine";
import { stateWith } from "../helpers/sim";

const PREPAID = "i-demo-prepaid-01";
const SIM_TIMING = { cooldownSeconds: 2, prepayIntervalSeconds: 2, prepayApplySeconds: 0.5, stopSeconds: 0.3, startSeconds: 0.3 };
const ENGINE_TIMING = { ...FAST_ENGINE_TIMING, orderSeconds: 0.5 };
const RETRY = {
  ...FAST_RETRY,
  specChangeWhileDown: { ...RETRY_POLICIES.specChangeWhileDown, retries: 4, minDelayMs: 50, maxDelayMs: 200 },
  startAfterOrder: { ...RETRY_POLICIES.startAfterOrder, minDelayMs: 50, maxDelayMs: 200 },
};
const MUTATING = new Set(["ModifyPrepayInstanceSpec", "ModifyInstanceNetworkSpec", "ModifyInstanceSpec", "StopInstance", "StartInstance", "RebootInstance"]);

function desired(over: Partial<DesiredSpecInput>) {
  return desiredSpec({ instanceId: PREPAID, ...over });
}

/** The calls that change something, as `Action(params that carry the change)` and the error code of a refusal. */
function changes(calls: readonly CallLogEntry[]): string[] {
  return calls
    .filter((c) => MUTATING.has(c.action))
    .map((c) => {
      const p = Object.entries(c.params)
        .filter(([k]) => !["InstanceId", "ClientToken", "RegionId", "ForceStop", "StoppedMode"].includes(k))
        .map(([k, v]) => `${k}=${v}`)
        .sort();
      return `${c.action}(${p.join(",")})${c.code ? " " + c.code : ""}`;
    });
}

describe("subscription instances against the simulator (real pop-core client)", function () {
  this.timeout(30_000);
  let sim: RunningSimulator;
  let api: EcsApi;
  const run = (d: Partial<DesiredSpecInput>, o: Partial<ApplyOptions> = {}) =>
    apply({ api, desired: desired(d), timing: ENGINE_TIMING, policies: RETRY, ...o });
  const instance = (id = PREPAID): SimInstance => sim.getState().instances.find((i) => i.instanceId === id)!;

  beforeEach(async () => {
    sim = await startSimulator({ port: 0, timing: SIM_TIMING, quiet: true });
    api = simClient(sim);
  });
  afterEach(async () => {
    await sim.close();
  });

  it("type upgrade of a running instance: one call while Running, one ECS restart, no stop across the call, the order recorded", async () => {
    // GIVEN running subscription instance i-demo-prepaid-01 (ecs.g6.large)
    // WHEN upgraded to ecs.g6.xlarge with autoPay
    const r = await run({ instanceType: "ecs.g6.xlarge", autoPay: true });
    // THEN the only change call is ModifyPrepayInstanceSpec, sent while Running, with RebootWhenFinished
    assert.deepEqual(changes(sim.calls()), [
      "ModifyPrepayInstanceSpec(AutoPay=true,InstanceType=ecs.g6.xlarge,OperatorType=upgrade,RebootWhenFinished=true)",
    ]);
    // AND the plan says so: a restart, no stop
    assert.equal(r.plan.kind === "ok" && r.plan.stopsInstance, false);
    assert.equal(r.plan.kind === "ok" && r.plan.restartsInstance, true);
    // AND the instance runs the new type, with exactly one paid order, whose id is recorded
    assert.equal(r.after.instanceType, "ecs.g6.xlarge");
    assert.equal(r.after.status, "Running");
    const orders = instance().orders ?? [];
    assert.deepEqual(orders.map((o) => [o.direction, o.status]), [["upgrade", "Paid"]]);
    assert.deepEqual(r.steps.filter((s) => s.orderId).map((s) => s.orderId), [orders[0]!.orderId]);
  });

  it("a rolling resize's hooks around the upgrade of a running instance: the gate right before the order, afterStart once it runs the new type after the ECS restart; its reads are downtime until then", async () => {
    // GIVEN running i-demo-prepaid-01 (ecs.g6.large), and a caller that watches the instance from its gate to afterStart
    const seen: string[] = [];
    const statuses = new Set<string>();
    let watching = false;
    const watcher = setInterval(() => {
      if (watching) statuses.add(instance().status);
    }, 5);
    const scheduler = schedulerFor(budgetKey(sim.url, sim.regionId, { regionId: sim.regionId, endpoint: sim.url, credentials: { accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret } }))!;
    let downAfterCall: boolean | undefined;
    const r = await run(
      { instanceType: "ecs.g6.xlarge", autoPay: true },
      {
        hooks: {
          beforeStop: async () => {
            seen.push(`gate: ${changes(sim.calls()).length} change calls, ${instance().status} ${instance().instanceType}`);
            watching = true;
          },
          afterStart: () => {
            watching = false;
            seen.push(`afterStart: ${instance().status} ${instance().instanceType}`);
          },
        },
        onProgress: (e) => {
          if (e.type === "waitingForStatus" && downAfterCall === undefined) downAfterCall = scheduler.down.has(PREPAID);
        },
      },
    );
    clearInterval(watcher);
    // THEN the gate was asked once, before any change call; afterStart came once, Running on the new type
    assert.deepEqual(seen, ["gate: 0 change calls, Running ecs.g6.large", "afterStart: Running ecs.g6.xlarge"]);
    // AND between the two the instance went through the ECS restart (not Running at some moment): the gate covers it
    assert.ok([...statuses].some((s) => s !== "Running"), `statuses seen between the gate and afterStart: ${[...statuses].join(",")}`);
    // AND one call, no StopInstance
    assert.deepEqual(changes(sim.calls()), ["ModifyPrepayInstanceSpec(AutoPay=true,InstanceType=ecs.g6.xlarge,OperatorType=upgrade,RebootWhenFinished=true)"]);
    assert.equal(r.after.instanceType, "ecs.g6.xlarge");
    // AND the process scheduler counted it down (downtime priority) while it rebooted, and no longer once it runs the new type
    assert.equal(downAfterCall, true);
    assert.equal(scheduler.down.has(PREPAID), false);
    assert.equal(scheduler.rebooting.has(PREPAID), false);
  });

  it("type downgrade of a running instance: its call checked while running (refused: NotStopped), stop, the call while Stopped, start; a refund, one downgrade counted", async () => {
    // GIVEN running i-demo-prepaid-01 (ecs.g6.large) WHEN downgraded to ecs.c6.large (no autoPay needed: a refund)
    const r = await run({ instanceType: "ecs.c6.large" });
    // THEN the call once while running (what only the call can tell is told before the stop; it orders
    // nothing), then stop → ModifyPrepayInstanceSpec (downgrade) → start, with one token
    assert.deepEqual(changes(sim.calls().filter((c) => c.code !== "InstanceNotReady")), [
      "ModifyPrepayInstanceSpec(AutoPay=false,InstanceType=ecs.c6.large,OperatorType=downgrade,RebootWhenFinished=true) InvalidStatus.NotStopped",
      "StopInstance()",
      "ModifyPrepayInstanceSpec(AutoPay=false,InstanceType=ecs.c6.large,OperatorType=downgrade,RebootWhenFinished=true)",
      "StartInstance()",
    ]);
    assert.equal(r.after.instanceType, "ecs.c6.large");
    assert.equal(r.after.status, "Running");
    assert.deepEqual((instance().orders ?? []).map((o) => [o.direction, o.status]), [["downgrade", "Refunded"]]);
    assert.equal(instance().downgradeCount, 1);
    assert.equal(new Set(sim.calls().filter((c) => c.action === "ModifyPrepayInstanceSpec").map((c) => c.params.ClientToken)).size, 1);
  });

  it("a downgrade resumed on an instance a killed run left stopped: the start waits for the order to settle (no InstanceNotReady)", async () => {
    // GIVEN i-demo-prepaid-01 left Stopped by a killed run of the downgrade (stopped, the order not made yet)
    sim.setState(stateWith((s) => (s.instances.find((x) => x.instanceId === PREPAID)!.status = "Stopped")));
    // WHEN the next run resumes it (the killed run's state says: start it when done)
    const r = await run({ instanceType: "ecs.c6.large" }, { startWhenDone: true });
    // THEN the order while Stopped, then ONE StartInstance, sent once the order has settled: not
    // refused InstanceNotReady and retried with the stop/start backoff (seconds of downtime each)
    assert.deepEqual(changes(sim.calls()), [
      "ModifyPrepayInstanceSpec(AutoPay=false,InstanceType=ecs.c6.large,OperatorType=downgrade,RebootWhenFinished=true)",
      "StartInstance()",
    ]);
    const order = sim.calls().find((c) => c.action === "ModifyPrepayInstanceSpec")!;
    const start = sim.calls().find((c) => c.action === "StartInstance")!;
    assert.ok(start.atMs - order.atMs >= SIM_TIMING.prepayApplySeconds * 1000, `the start ${start.atMs - order.atMs} ms after the order, which settles in 500 ms`);
    assert.deepEqual([r.after.instanceType, r.after.status], ["ecs.c6.large", "Running"]);
    assert.deepEqual((instance().orders ?? []).map((o) => [o.direction, o.status]), [["downgrade", "Refunded"]]);
  });

  it("type upgrade of a stopped instance: the call while Stopped; it stays Stopped, the type pending until its next start", async () => {
    // GIVEN stopped i-demo-prepaid-stopped-01 (ecs.g6.xlarge) WHEN upgraded to ecs.g6.2xlarge
    const r = await run({ instanceId: "i-demo-prepaid-stopped-01", instanceType: "ecs.g6.2xlarge", autoPay: true });
    // THEN one call, no start, and the type is reported pending
    assert.deepEqual(changes(sim.calls()), [
      "ModifyPrepayInstanceSpec(AutoPay=true,InstanceType=ecs.g6.2xlarge,OperatorType=upgrade,RebootWhenFinished=true)",
    ]);
    assert.equal(r.after.status, "Stopped");
    assert.equal(r.pendingInstanceType, "ecs.g6.2xlarge");
  });

  it("allowMigrateAcrossZone: a type sold out in the instance's zone is taken in another (MigrateAcrossZone=true)", async () => {
    // GIVEN ecs.g6.4xlarge sold out in cn-hangzhou-h, available in cn-hangzhou-i
    const r = await run({ instanceType: "ecs.g6.4xlarge", allowMigrateAcrossZone: true, autoPay: true });
    // THEN one call with MigrateAcrossZone, the instance moved, upgraded, running
    assert.deepEqual(changes(sim.calls()), [
      "ModifyPrepayInstanceSpec(AutoPay=true,InstanceType=ecs.g6.4xlarge,MigrateAcrossZone=true,OperatorType=upgrade,RebootWhenFinished=true)",
    ]);
    assert.deepEqual([r.after.instanceType, r.after.zoneId, r.after.status], ["ecs.g6.4xlarge", "cn-hangzhou-i", "Running"]);
  });

  it("bandwidth and a temporary window through ModifyInstanceNetworkSpec: two orders, the interval between them waited out", async () => {
    // GIVEN running i-demo-prepaid-01, out 5 WHEN out 20 and a 3-hour window of 50 starting on the next hour
    const start = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 3_600_000);
    const end = new Date(start.getTime() + 3 * 3_600_000);
    const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");
    const r = await run({ internetMaxBandwidthOut: 20, temporaryBandwidth: { startTime: iso(start), endTime: iso(end), internetMaxBandwidthOut: 50 }, autoPay: true });
    // THEN two ModifyInstanceNetworkSpec calls, the window's times to the minute and the hour
    assert.deepEqual(changes(sim.calls()), [
      "ModifyInstanceNetworkSpec(AutoPay=true,InternetMaxBandwidthOut=20)",
      `ModifyInstanceNetworkSpec(AutoPay=true,EndTime=${iso(end).slice(0, 13)}Z,InternetMaxBandwidthOut=50,StartTime=${iso(start).slice(0, 16)}Z)`,
    ]);
    const calls = sim.calls().filter((c) => c.action === "ModifyInstanceNetworkSpec");
    assert.ok(calls[1]!.atMs - calls[0]!.atMs >= 2000 - 50, "the interval between two changes is respected");
    assert.equal(r.after.internetMaxBandwidthOut, 20);
    assert.deepEqual(instance().temporaryBandwidth, { startTime: iso(start), endTime: iso(end), internetMaxBandwidthOut: 50 });
    assert.equal((instance().orders ?? []).length, 2);
  });

  it("an unpaid order: the upgrade of a running instance is refused at the call, before any stop or restart", async () => {
    // GIVEN an unpaid order on the instance (someone ordered with AutoPay off in the console)
    sim.setState(
      stateWith((s) => {
        const i = s.instances.find((x) => x.instanceId === PREPAID)!;
        i.orders = [
          { orderId: "2000000000001", action: "ModifyInstanceNetworkSpec", direction: "upgrade", status: "Unpaid", autoPay: false, createdAtMs: 0, settlesAtMs: 0, change: { item: "bandwidth", internetMaxBandwidthOut: 10 } },
        ];
      }),
    );
    // WHEN upgraded
    const e = await rejects(run({ instanceType: "ecs.g6.xlarge", autoPay: true }));
    // THEN refused with the hint, nothing stopped or restarted, no new order
    assert.equal(e.code, "ApiError");
    assert.match(e.message, /InvalidInstance\.UnpaidOrder[\s\S]*pay or cancel it in the Billing console/);
    assert.deepEqual(changes(sim.calls()), [
      "ModifyPrepayInstanceSpec(AutoPay=true,InstanceType=ecs.g6.xlarge,OperatorType=upgrade,RebootWhenFinished=true) InvalidInstance.UnpaidOrder",
    ]);
    assert.equal(instance().status, "Running");
    assert.equal((instance().orders ?? []).length, 1);
  });

  it("arrears (a financial lock): refused before any call", async () => {
    // GIVEN i-demo-prepaid-arrears-01, locked for an overdue payment WHEN an upgrade is applied
    const e = await rejects(run({ instanceId: "i-demo-prepaid-arrears-01", instanceType: "ecs.g6.xlarge", autoPay: true }));
    // THEN refused from the read alone
    assert.equal(e.code, "Refused");
    assert.deepEqual(e.refusals!.map((r) => r.code), ["Locked"]);
    assert.deepEqual(changes(sim.calls()), []);
  });

  it("an expired subscription: refused before any call, with the hint to renew", async () => {
    sim.setState(stateWith((s) => (s.instances.find((x) => x.instanceId === PREPAID)!.expiredTime = "2020-01-01T00:00Z")));
    const e = await rejects(run({ instanceType: "ecs.g6.xlarge", autoPay: true }));
    assert.deepEqual(e.refusals!.map((r) => r.code), ["Expired"]);
    assert.match(e.message, /renew/);
    assert.deepEqual(changes(sim.calls()), []);
  });

  it("the downgrade quota used up: refused by the call checked while running, before any stop", async () => {
    // GIVEN an instance with its 3 downgrades used
    sim.setState(stateWith((s) => (s.instances.find((x) => x.instanceId === PREPAID)!.downgradeCount = 3)));
    // WHEN downgraded
    const e = await rejects(run({ instanceType: "ecs.c6.large" }));
    // THEN refused with InstanceDowngrade.QuotaExceed (only the call can tell), and the instance was never stopped
    assert.equal(e.code, "Refused");
    assert.match(e.message, /not stopped[\s\S]*InstanceDowngrade\.QuotaExceed[\s\S]*downgrades/);
    assert.deepEqual(changes(sim.calls()), [
      "ModifyPrepayInstanceSpec(AutoPay=false,InstanceType=ecs.c6.large,OperatorType=downgrade,RebootWhenFinished=true) InstanceDowngrade.QuotaExceed",
    ]);
    assert.equal(instance().status, "Running");
    assert.equal((instance().orders ?? []).length, 0);
  });

  it("an unpaid order and a downgrade: refused before the stop, by the call checked while running", async () => {
    sim.setState(
      stateWith((s) => {
        s.instances.find((x) => x.instanceId === PREPAID)!.orders = [
          { orderId: "2000000000003", action: "ModifyInstanceNetworkSpec", direction: "upgrade", status: "Unpaid", autoPay: false, createdAtMs: 0, settlesAtMs: 0, change: { item: "bandwidth", internetMaxBandwidthOut: 10 } },
        ];
      }),
    );
    const e = await rejects(run({ instanceType: "ecs.c6.large" }));
    assert.equal(e.code, "Refused");
    assert.match(e.message, /InvalidInstance\.UnpaidOrder[\s\S]*Billing console/);
    assert.deepEqual(changes(sim.calls()).map((c) => c.split("(")[0]), ["ModifyPrepayInstanceSpec"]);
    assert.equal(instance().status, "Running");
  });

  it("autoPay: false: the order is created unpaid and nothing changes; the apply says where to pay it", async () => {
    const e = await rejects(run({ internetMaxBandwidthOut: 20, autoPay: false }));
    assert.equal(e.code, "OrderUnpaid");
    const orders = instance().orders ?? [];
    assert.deepEqual(orders.map((o) => o.status), ["Unpaid"]);
    assert.match(e.message, new RegExp(`order ${orders[0]!.orderId}[\\s\\S]*Billing console`));
    assert.equal(instance().internetMaxBandwidthOut, 5);
  });

  it("AutoPay with too low a balance: the order stays unpaid, the type never shows; the apply says so, and the next run does not take the type as applied", async () => {
    // GIVEN an account whose balance cannot pay the upgrade
    sim.setState(stateWith((s) => (s.account.lowBalance = true)));
    // WHEN upgraded with autoPay
    const e = await rejects(run({ instanceType: "ecs.g6.xlarge", autoPay: true }, { timing: { ...ENGINE_TIMING, verifySeconds: 1 } }));
    // THEN the wait for the type gives up, pointing at the unpaid order; the instance was never restarted
    assert.equal(e.code, "ChangeNotVisible");
    assert.match(e.message, /order \d+[\s\S]*unpaid[\s\S]*Billing console/);
    assert.deepEqual((instance().orders ?? []).map((o) => o.status), ["Unpaid"]);
    assert.equal(e.partial.pendingInstanceType, undefined);
    // AND the next run plans the upgrade again, and is refused by the unpaid order, not told it is done
    const again = await rejects(run({ instanceType: "ecs.g6.xlarge", autoPay: true }, { ...(e.partial.lastChangeAt ? { lastChangeAt: e.partial.lastChangeAt } : {}) }));
    assert.match(again.message, /InvalidInstance\.UnpaidOrder/);
    assert.equal(instance().instanceType, "ecs.g6.large");
  });

  it("a lost answer: the same ClientToken is sent again and answers with the same order, never a second one", async () => {
    // GIVEN the first answer of ModifyPrepayInstanceSpec is lost after the order was created
    sim.addFault({ action: "ModifyPrepayInstanceSpec", kind: "lostResponse" });
    // WHEN upgraded
    const r = await run({ instanceType: "ecs.g6.xlarge", autoPay: true });
    // THEN two calls with one token, one order, the type shows
    const calls = sim.calls().filter((c) => c.action === "ModifyPrepayInstanceSpec");
    assert.ok(calls.length >= 2);
    assert.equal(new Set(calls.map((c) => c.params.ClientToken)).size, 1);
    assert.equal((instance().orders ?? []).length, 1);
    assert.equal(r.after.instanceType, "ecs.g6.xlarge");
  });

  it("injected InternalError and OrderCreationFailed: verified, retried with the same ClientToken, one order", async () => {
    // GIVEN the next two ModifyPrepayInstanceSpec calls fail before anything is ordered
    sim.addFault({ action: "ModifyPrepayInstanceSpec", kind: "error", code: "InternalError" });
    sim.addFault({ action: "ModifyPrepayInstanceSpec", kind: "error", code: "OrderCreationFailed" });
    // WHEN upgraded
    const r = await run({ instanceType: "ecs.g6.xlarge", autoPay: true });
    // THEN three calls, one token, one order, and no stop
    const calls = sim.calls().filter((c) => c.action === "ModifyPrepayInstanceSpec");
    assert.deepEqual(calls.map((c) => c.code ?? "ok"), ["InternalError", "OrderCreationFailed", "ok"]);
    assert.equal(new Set(calls.map((c) => c.params.ClientToken)).size, 1);
    assert.equal((instance().orders ?? []).length, 1);
    assert.equal(r.after.instanceType, "ecs.g6.xlarge");
    assert.deepEqual(changes(sim.calls()).filter((c) => c.startsWith("Stop")), []);
  });

  it("a renewal with downgrade in plan: the upgrade of a running instance is refused at its call, nothing touched", async () => {
    sim.setState(stateWith((s) => (s.instances.find((x) => x.instanceId === PREPAID)!.renewWithDowngradeInPlan = true)));
    const e = await rejects(run({ instanceType: "ecs.g6.xlarge", autoPay: true }));
    assert.match(e.message, /InvalidOperation\.InstanceRenewWithDowngradeInPlan[\s\S]*next billing cycle/);
    assert.equal(changes(sim.calls()).length, 1);
    assert.equal(instance().status, "Running");
  });

  it("LastOrderProcessing is retried: a second change waits for the first order to settle", async () => {
    // GIVEN an order still processing on the instance
    sim.setState(
      stateWith((s) => {
        const i = s.instances.find((x) => x.instanceId === PREPAID)!;
        i.orders = [
          { orderId: "2000000000002", action: "ModifyInstanceNetworkSpec", direction: "upgrade", status: "Processing", autoPay: true, createdAtMs: Date.now(), settlesAtMs: Date.now() + 600, change: { item: "bandwidth", internetMaxBandwidthIn: 50 } },
        ];
      }),
    );
    // WHEN the bandwidth is changed
    const r = await run({ internetMaxBandwidthOut: 20, autoPay: true });
    // THEN the first call met LastOrderProcessing, a retry went through
    const codes = sim.calls().filter((c) => c.action === "ModifyInstanceNetworkSpec").map((c) => c.code ?? "ok");
    assert.equal(codes[0], "LastOrderProcessing");
    assert.equal(codes.at(-1), "ok");
    assert.equal(r.after.internetMaxBandwidthOut, 20);
  });
});
