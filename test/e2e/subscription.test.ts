/**
 * Subscription (PrePaid) instances through the real `pulumi` CLI and the simulator, in compressed
 * time (interval 3 s, orders settling in 1 s, stop/start 0.5 s): the preview shows the orders, an
 * upgrade of a running instance takes one restart and no stop, a downgrade stops and starts it,
 * the bandwidth and a temporary window go through ModifyInstanceNetworkSpec, arrears and an unpaid
 * order are refused before anything is touched, and a kill in the middle of an order is finished by
 * the next `up` without a second order.
 */
import * as assert from "node:assert/strict";
import { findResource, PulumiProject, startInBackground, type CliResult } from "../harness/pulumi";
import { simEnv, simInstance } from "../helpers/sim";
import { startSimulator, type CallLogEntry, type RunningSimulator } from "../../simulator/index";

const TYPE = "pulumi-nodejs:dynamic/ecs-spec:InstanceSpec";
const PREPAID = "i-demo-prepaid-01";
const TIMING = { cooldownSeconds: 3, prepayIntervalSeconds: 3, prepayApplySeconds: 1, stopSeconds: 0.5, startSeconds: 0.5 };
const CHANGES = new Set(["ModifyPrepayInstanceSpec", "ModifyInstanceNetworkSpec", "ModifyInstanceSpec", "StopInstance", "StartInstance", "RebootInstance"]);

function programOf(resources: Record<string, Record<string, unknown>>): string {
  const lines = Object.entries(resources).map(
    ([name, args]) => `exports[${JSON.stringify(name)}] = new InstanceSpec(${JSON.stringify(name)}, ${JSON.stringify({ cooldownSeconds: TIMING.cooldownSeconds, ...args })}).actual;`,
  );
  return `const { InstanceSpec } = require("pulumi-ecs-spec");\n${lines.join("\n")}\n`;
}

const everything = (...results: CliResult[]) => results.map((r) => r.stdout + r.stderr).join("\n");

/** The calls that change `instanceId`, as `Action(changed parameters)` plus the code of a refusal. */
function changes(calls: readonly CallLogEntry[], instanceId: string): string[] {
  return calls
    .filter((c) => CHANGES.has(c.action) && c.params.InstanceId === instanceId)
    .map((c) => {
      const items = Object.keys(c.params)
        .filter((k) => !["InstanceId", "ClientToken", "RegionId", "ForceStop", "StoppedMode", "AutoPay", "RebootWhenFinished"].includes(k))
        .sort();
      return `${c.action}(${items.join(",")})${c.code ? " " + c.code : ""}`;
    });
}

/** A 3-hour window from the next whole hour, as the input takes it. */
function windowFromNextHour(out: number) {
  const start = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 3_600_000);
  const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");
  return { startTime: iso(start), endTime: iso(new Date(start.getTime() + 3 * 3_600_000)), internetMaxBandwidthOut: out };
}

describe("subscription instances through the real pulumi CLI and the simulator", function () {
  let sim: RunningSimulator;
  let project: PulumiProject;

  beforeEach(async function () {
    sim = await startSimulator({ port: 0, timing: TIMING, quiet: true });
  });
  afterEach(async function () {
    project?.remove();
    await sim?.close();
  });

  async function newProject(resources: Record<string, Record<string, unknown>>): Promise<PulumiProject> {
    project = await PulumiProject.create("prepaid", {
      program: programOf(resources),
      config: {
        "alicloud:region": sim.regionId,
        "pulumi-ecs-spec:estimates": JSON.stringify({ stopSeconds: TIMING.stopSeconds, startSeconds: TIMING.startSeconds, orderSeconds: TIMING.prepayApplySeconds }),
      },
      env: simEnv(sim),
    });
    return project;
  }

  it("previews the orders, then upgrades a running instance with one restart (no stop across the call) and raises its bandwidth", async function () {
    // GIVEN running subscription instance i-demo-prepaid-01 (ecs.g6.large, out 5) and a program that upgrades both, auto-paid
    await newProject({ p: { instanceId: PREPAID, instanceType: "ecs.g6.xlarge", internetMaxBandwidthOut: 20, autoPay: true } });
    // WHEN previewed
    const preview = await project.preview();
    // THEN the plan names each order, who pays it, and the restart as the only downtime
    assert.match(preview.stdout, /ModifyPrepayInstanceSpec InstanceType ecs\.g6\.large → ecs\.g6\.xlarge \(upgrade, running: ONE ECS RESTART[^\n]*no stop\) — order PAID by AutoPay/);
    assert.match(preview.stdout, /ModifyInstanceNetworkSpec InternetMaxBandwidthOut 5 → 20 \(upgrade, running\) — order PAID by AutoPay/);
    assert.match(preview.stdout, /orders: 2 — 2 to pay \(AutoPay\), 0 refund/);
    assert.match(preview.stdout, /one ECS restart/);
    assert.doesNotMatch(preview.stdout, /StopInstance/);
    assert.deepEqual(changes(sim.calls(), PREPAID), [], "a preview changes nothing");

    // WHEN applied
    await project.up();
    // THEN the type changed while Running (no StopInstance, no StartInstance: ECS restarted it once), then the bandwidth
    assert.deepEqual(changes(sim.calls(), PREPAID), [
      "ModifyPrepayInstanceSpec(InstanceType,OperatorType)",
      "ModifyInstanceNetworkSpec(InternetMaxBandwidthOut)",
    ]);
    const typeCall = sim.calls().find((c) => c.action === "ModifyPrepayInstanceSpec")!;
    assert.deepEqual([typeCall.params.RebootWhenFinished, typeCall.params.AutoPay, typeCall.params.OperatorType], ["true", "true", "upgrade"]);
    const instance = simInstance(sim, PREPAID);
    assert.deepEqual([instance.instanceType, instance.status, instance.internetMaxBandwidthOut], ["ecs.g6.xlarge", "Running", 20]);
    // AND the stack records both orders with the calls that made them
    const p = findResource(await project.exportState(), TYPE, "p");
    const lastApply = p?.outputs?.lastApply as { action: string; orderId?: string }[];
    assert.deepEqual(
      lastApply.map((s) => [s.action, s.orderId]),
      (instance.orders ?? []).map((o) => [o.action, o.orderId]),
    );
    assert.equal((instance.orders ?? []).length, 2);
    // AND a second preview finds nothing to do
    await project.preview(["--expect-no-changes"]);
  });

  it("downgrades with a stop and a start, and sets a temporary window through ModifyInstanceNetworkSpec", async function () {
    // GIVEN running i-demo-prepaid-01 and a program that downgrades it to ecs.c6.large and adds a 3-hour window of 50 Mbit/s
    const window = windowFromNextHour(50);
    await newProject({ p: { instanceId: PREPAID, instanceType: "ecs.c6.large", temporaryBandwidth: window, autoPay: true } });
    // WHEN previewed THEN a refund for the type and a paid order for the window
    const preview = await project.preview();
    assert.match(preview.stdout, /StopInstance[\s\S]*ModifyPrepayInstanceSpec[^\n]*downgrade, stopped[^\n]*REFUNDS/);
    assert.match(preview.stdout, /ModifyInstanceNetworkSpec temporary InternetMaxBandwidthOut 50 from [0-9T:-]{16}Z to [0-9T-]{13}Z/);
    // WHEN applied
    await project.up();
    // THEN the downgrade's call checked while running (refused for the status: nothing ordered), then
    // stop → downgrade → start, and the window (its times to the minute and the hour)
    const calls = changes(sim.calls(), PREPAID).filter((c) => !c.endsWith("InstanceNotReady"));
    assert.deepEqual(calls.filter((c) => !c.startsWith("ModifyInstanceNetworkSpec")), [
      "ModifyPrepayInstanceSpec(InstanceType,OperatorType) InvalidStatus.NotStopped",
      "StopInstance()",
      "ModifyPrepayInstanceSpec(InstanceType,OperatorType)",
      "StartInstance()",
    ]);
    assert.deepEqual(calls.filter((c) => c.startsWith("ModifyInstanceNetworkSpec")), ["ModifyInstanceNetworkSpec(EndTime,InternetMaxBandwidthOut,StartTime)"]);
    const netCall = sim.calls().find((c) => c.action === "ModifyInstanceNetworkSpec")!;
    assert.deepEqual([netCall.params.StartTime, netCall.params.EndTime], [window.startTime.slice(0, 16) + "Z", window.endTime.slice(0, 13) + "Z"]);
    const instance = simInstance(sim, PREPAID);
    assert.deepEqual([instance.instanceType, instance.status, instance.downgradeCount], ["ecs.c6.large", "Running", 1]);
    assert.deepEqual((instance.orders ?? []).map((o) => [o.direction, o.status]).sort(), [["downgrade", "Refunded"], ["upgrade", "Paid"]]);
    await project.preview(["--expect-no-changes"]);
  });

  it("refuses arrears at preview, and an unpaid order at the first call, before anything is touched", async function () {
    // GIVEN an instance locked for arrears, and another with an unpaid order
    const state = sim.getState();
    state.instances.find((i) => i.instanceId === PREPAID)!.orders = [
      { orderId: "2000000000123", action: "ModifyInstanceNetworkSpec", direction: "upgrade", status: "Unpaid", autoPay: false, createdAtMs: 0, settlesAtMs: 0, change: { item: "bandwidth", internetMaxBandwidthOut: 10 } },
    ];
    sim.setState(state);
    await newProject({ arrears: { instanceId: "i-demo-prepaid-arrears-01", instanceType: "ecs.g6.xlarge", autoPay: true } });
    // WHEN previewed THEN arrears fail the preview (the read shows the financial lock)
    const preview = await project.preview([], { allowFailure: true });
    assert.notEqual(preview.code, 0);
    assert.match(everything(preview), /i-demo-prepaid-arrears-01 is locked \(financial\)[^\n]*overdue payment/);
    // GIVEN the upgrade of the instance with the unpaid order (no read shows an unpaid order)
    project.writeProgram(programOf({ unpaid: { instanceId: PREPAID, instanceType: "ecs.g6.xlarge", autoPay: true } }));
    // WHEN applied THEN its first call is refused while it still runs: no stop, no restart, no second order
    const up = await project.up([], { allowFailure: true });
    assert.notEqual(up.code, 0);
    assert.match(everything(up), /InvalidInstance\.UnpaidOrder[^\n]*pay or cancel it in the Billing console/);
    assert.deepEqual(changes(sim.calls(), "i-demo-prepaid-arrears-01"), []);
    assert.deepEqual(changes(sim.calls(), PREPAID), ["ModifyPrepayInstanceSpec(InstanceType,OperatorType) InvalidInstance.UnpaidOrder"]);
    const instance = simInstance(sim, PREPAID);
    assert.deepEqual([instance.instanceType, instance.status, (instance.orders ?? []).length], ["ecs.g6.large", "Running", 1]);
  });

  it("finishes an up killed in the middle of an order with the next up, without a second order", async function () {
    // GIVEN an upgrade whose order takes 4 s to settle
    sim.setTiming({ prepayApplySeconds: 4 });
    await newProject({ p: { instanceId: PREPAID, instanceType: "ecs.g6.xlarge", autoPay: true } });
    const run = startInBackground(project, ["up", "--yes", "--skip-preview"]);
    const deadline = Date.now() + 60_000;
    while (!sim.calls().some((c) => c.action === "ModifyPrepayInstanceSpec" && c.httpStatus === 200)) {
      if (Date.now() > deadline) throw new Error("no ModifyPrepayInstanceSpec within a minute");
      await new Promise((r) => setTimeout(r, 20));
    }
    // WHEN `pulumi up` is killed (CLI and provider) while the order is still processing
    run.kill();
    await run.exited;
    assert.equal(simInstance(sim, PREPAID).orders![0]!.status, "Processing", "killed mid-order");
    // THEN the next up finishes the job
    project.removeStaleLocks();
    await project.up();
    const instance = simInstance(sim, PREPAID);
    assert.deepEqual([instance.instanceType, instance.status], ["ecs.g6.xlarge", "Running"]);
    // AND there is one order only: every ModifyPrepayInstanceSpec carried the same ClientToken
    assert.deepEqual((instance.orders ?? []).map((o) => o.status), ["Paid"]);
    const tokens = sim.calls().filter((c) => c.action === "ModifyPrepayInstanceSpec").map((c) => c.params.ClientToken);
    assert.equal(new Set(tokens).size, 1);
    assert.deepEqual(changes(sim.calls(), PREPAID).filter((c) => /StopInstance|StartInstance/.test(c)), [], "never stopped");
  });
});
