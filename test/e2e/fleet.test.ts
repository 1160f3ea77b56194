/**
 * InstanceSpecFleet through the real pulumi CLI and the simulator, compressed time (cooldown 3 s,
 * stop/start 0.5 s, a backend healthy 1 s after Running): the demo tier of 10 behind
 * `lb-demo-tier`, judged by the CLB check. The preview shows the waves; `up` keeps at most
 * maxUnavailable backends not serving (the simulator's sampler counts them); a canary that never
 * serves stops the rollout (and is rolled back); a SIGKILLed rollout is finished by the next `up`
 * within the same bound.
 */
import * as assert from "node:assert/strict";
import { findResource, PulumiProject, startInBackground, waitForExit } from "../harness/pulumi";
import { changeCalls, simEnv } from "../helpers/sim";
import { DEMO_TIER, DEMO_TIER_LB, startSimulator, type RunningSimulator } from "../../simulator/index";

const TYPE = "pulumi-nodejs:dynamic/ecs-spec:InstanceSpecFleet";
const TIMING = { cooldownSeconds: 3, stopSeconds: 0.5, startSeconds: 0.5, healthyAfterSeconds: 1 };
const IDS = [...DEMO_TIER];
const CLB_CHECK = { clb: { loadBalancerId: DEMO_TIER_LB }, intervalSeconds: 0.2, healthyThreshold: 1, warmupSeconds: 0.5, timeoutSeconds: 5 };

interface State {
  instanceId: string;
  done: string;
  stops: number;
  actual?: { instanceType: string; status: string; internetMaxBandwidthOut: number };
  wave?: number;
}

function programOf(rollout: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  const args = {
    instances: IDS,
    instanceType: "ecs.g6.xlarge",
    internetMaxBandwidthOut: 20,
    cooldownSeconds: TIMING.cooldownSeconds,
    estimates: { stopSeconds: TIMING.stopSeconds, startSeconds: TIMING.startSeconds, healthSeconds: TIMING.healthyAfterSeconds },
    rollout: { healthCheck: CLB_CHECK, ...rollout },
    ...extra,
  };
  return `const { InstanceSpecFleet } = require("pulumi-ecs-spec");\nconst f = new InstanceSpecFleet("tier", ${JSON.stringify(args)});\nexports.states = f.instanceStates;\n`;
}

/** The most backends of the tier not serving at once since the last reset, by the simulator's sampler. */
const mostNotServing = (sim: RunningSimulator) => sim.availability().loadBalancers[DEMO_TIER_LB]!.maxNotServing;

describe("InstanceSpecFleet through the real pulumi CLI and the simulator", function () {
  this.timeout(180_000);
  let sim: RunningSimulator;
  let project: PulumiProject | undefined;

  beforeEach(async function () {
    sim = await startSimulator({ port: 0, timing: TIMING, quiet: true, availabilitySampleMs: 10 });
  });
  afterEach(async function () {
    project?.remove();
    await sim?.close();
  });

  async function newProject(program: string): Promise<PulumiProject> {
    project = await PulumiProject.create("fleet", {
      program,
      config: { "alicloud:region": sim.regionId },
      env: simEnv(sim),
    });
    return project;
  }

  async function states(): Promise<State[]> {
    const r = findResource(await project!.exportState(), TYPE, "tier");
    return (r?.outputs?.instanceStates ?? []) as State[];
  }

  it("previews the waves, then rolls 10 instances with never more than 2 not serving, canary first", async function () {
    // GIVEN the tier: 10 running ecs.g6.large, out 0, behind lb-demo-tier; a fleet wanting ecs.g6.xlarge, out 20,
    // maxUnavailable 2, canary 1, judged by the CLB backend health
    await newProject(programOf({ maxUnavailable: 2, canary: { size: 1, bakeSeconds: 1 } }));
    // WHEN previewed
    const preview = await project!.preview();
    // THEN the plan shows the canary alone, then waves of 2, per-instance downtime and the totals
    assert.match(preview.stdout, /wave 1 \(canary, then bake 0:01\) at ~0:00: i-demo-tier-01/);
    assert.match(preview.stdout, /wave 2 at ~0:0\d: i-demo-tier-02, i-demo-tier-03/);
    assert.match(preview.stdout, /wave 6 at [^\n]*: i-demo-tier-10/);
    assert.match(preview.stdout, /most not serving at once 2 \(maxUnavailable 2\), total ~/);
    assert.deepEqual(IDS.flatMap((id) => changeCalls(sim.calls(), id)), [], "a preview changes nothing");
    assert.match(preview.stdout, /health: CLB lb-demo-tier backend health/);
    // WHEN applied
    sim.resetAvailability();
    const up = await project!.up();
    // THEN never more than 2 backends were not serving at a sampled moment
    assert.ok(mostNotServing(sim) <= 2, `most not serving at once: ${mostNotServing(sim)}`);
    assert.equal(mostNotServing(sim), 2, "the rollout used both slots");
    // AND every instance has its spec, stopped once
    for (const id of IDS) {
      const i = sim.getState().instances.find((x) => x.instanceId === id)!;
      assert.deepEqual([i.status, i.instanceType, i.internetMaxBandwidthOut], ["Running", "ecs.g6.xlarge", 20], id);
      assert.equal(changeCalls(sim.calls(), id).filter((c) => c.startsWith("StopInstance")).length, 1, id);
    }
    // AND progress per wave and instance was shown
    assert.match(up.stdout, /\[fleet\] \[i-demo-tier-01\] wave 1 \(canary\): slot taken/);
    assert.match(up.stdout, /canary passed/);
    // AND the outputs say what was done per instance
    const s = await states();
    assert.deepEqual(s.map((x) => `${x.instanceId} ${x.done} ${x.stops} ${x.actual?.instanceType} ${x.actual?.status}`), IDS.map((id) => `${id} changed 1 ecs.g6.xlarge Running`));
    // AND a second preview has nothing to do
    await project!.preview(["--expect-no-changes"]);
    // AND a refresh reads every instance back as it is
    await project!.cli(["refresh", "--yes"]);
    assert.deepEqual(new Set((await states()).map((x) => `${x.actual?.instanceType} ${x.actual?.status}`)), new Set(["ecs.g6.xlarge Running"]));
  });

  it("fails the preview naming each refused instance before anything is touched (a subscription upgrade with autoPay undecided among them)", async function () {
    await newProject(
      `const { InstanceSpecFleet } = require("pulumi-ecs-spec");\nnew InstanceSpecFleet("tier", ${JSON.stringify({
        instances: ["i-demo-web-01", "i-demo-prepaid-01", "i-demo-localdisk-01"],
        instanceType: "ecs.g6.xlarge",
        rollout: { maxUnavailable: "50%" },
      })});\n`,
    );
    const preview = await project!.preview([], { allowFailure: true });
    assert.notEqual(preview.code, 0);
    const out = preview.stdout + preview.stderr;
    assert.match(out, /i-demo-prepaid-01: i-demo-prepaid-01 is a subscription instance: the type upgrade creates an order that costs money/);
    assert.match(out, /set autoPay: true/);
    assert.match(out, /i-demo-localdisk-01: instance i-demo-localdisk-01 has local \(ephemeral\) disks/);
    assert.deepEqual(sim.calls().filter((c) => ["StopInstance", "ModifyInstanceSpec", "StartInstance", "TagResources"].includes(c.action)), []);
  });

  it("a subscription instance in the fleet (autoPay): the preview shows its restart and its order; up upgrades it by one order, no stop, its OrderId recorded", async function () {
    // GIVEN a fleet of a pay-as-you-go and a subscription instance (orders settle in 0.3 s), autoPay true, one at a time
    await sim.close();
    sim = await startSimulator({ port: 0, timing: { ...TIMING, prepayApplySeconds: 0.3, prepayIntervalSeconds: 3 }, quiet: true });
    await newProject(
      `const { InstanceSpecFleet } = require("pulumi-ecs-spec");\nconst f = new InstanceSpecFleet("tier", ${JSON.stringify({
        instances: ["i-demo-web-01", "i-demo-prepaid-01"],
        instanceType: "ecs.g6.xlarge",
        autoPay: true,
        cooldownSeconds: TIMING.cooldownSeconds,
        estimates: { stopSeconds: TIMING.stopSeconds, startSeconds: TIMING.startSeconds, orderSeconds: 0.3 },
        rollout: { maxUnavailable: 1 },
      })});\nexports.states = f.instanceStates;\n`,
    );
    // WHEN previewed THEN each instance says how it goes down, and the order is shown paid
    const preview = await project!.preview();
    assert.match(preview.stdout, /"  i-demo-prepaid-01: ecs.g6.large → ecs.g6.xlarge; down ~0:01 by ECS restart \(no stop\), not serving ~0:01"/);
    assert.match(preview.stdout, /"    i-demo-prepaid-01 orders: type PAID by AutoPay"/);
    assert.match(preview.stdout, /"1 of the 2 are subscription upgrades: down by ONE ECS RESTART after the order \(no stop\), in a slot all the same"/);
    assert.match(preview.stdout, /i-demo-web-01: [^\n]*by stop\/start/);
    // WHEN applied
    await project!.up();
    // THEN the subscription instance got one ModifyPrepayInstanceSpec with RebootWhenFinished, no stop; both run the new type
    const calls = sim.calls().filter((c) => c.params.InstanceId === "i-demo-prepaid-01" && ["ModifyPrepayInstanceSpec", "StopInstance", "StartInstance"].includes(c.action));
    assert.deepEqual(calls.map((c) => `${c.action} ${c.params.RebootWhenFinished}`), ["ModifyPrepayInstanceSpec true"]);
    const orders = sim.getState().instances.find((i) => i.instanceId === "i-demo-prepaid-01")!.orders ?? [];
    // AND the outputs record it: no stop, one restart, its OrderId
    const s = (await states()) as (State & { restarts?: number; orderIds?: string[] })[];
    assert.deepEqual(
      s.map((x) => `${x.instanceId} ${x.done} ${x.stops} ${x.restarts ?? 0} ${x.actual?.instanceType} ${(x.orderIds ?? []).join(",")}`),
      ["i-demo-web-01 changed 1 0 ecs.g6.xlarge ", `i-demo-prepaid-01 changed 0 1 ecs.g6.xlarge ${orders.map((o) => o.orderId).join(",")}`],
    );
    assert.equal(orders.length, 1);
  });

  it("stops after a canary that never serves: the others untouched, the canary rolled back to its old type", async function () {
    // GIVEN the canary (i-demo-tier-01) never turns healthy behind the load balancer
    sim.setHealthFault({ instanceId: IDS[0]!, health: "neverHealthy" });
    await newProject(programOf({ maxUnavailable: 2, canary: { size: 1, bakeSeconds: 1 }, rollbackOnFailure: true, healthCheck: { ...CLB_CHECK, timeoutSeconds: 2 } }));
    // WHEN applied
    const up = await project!.up([], { allowFailure: true });
    // THEN the up fails, saying the rollout stopped after the canary and that it was rolled back
    assert.notEqual(up.code, 0);
    const out = up.stdout + up.stderr;
    assert.match(out, /rollout stopped: 1 failure\(s\) > maxFailures 0/);
    assert.match(out, /i-demo-tier-01: rolledBack/);
    // AND no other instance saw a change
    assert.deepEqual(IDS.slice(1).flatMap((id) => changeCalls(sim.calls(), id)), []);
    // AND the canary has its old type back, running (stopped twice: the change, the rollback)
    const canary = sim.getState().instances.find((x) => x.instanceId === IDS[0])!;
    assert.deepEqual([canary.status, canary.instanceType], ["Running", "ecs.g6.large"]);
    assert.equal(changeCalls(sim.calls(), IDS[0]!).filter((c) => c.startsWith("StopInstance")).length, 2);
    // AND the stack records per instance what was done
    const s = await states();
    assert.deepEqual(s.map((x) => x.done), ["rolledBack", ...IDS.slice(1).map(() => "untouched")]);
  });

  it("finishes a SIGKILLed rollout with the next up, never more than 2 down, no instance stopped twice", async function () {
    // GIVEN a rollout of 10 with maxUnavailable 2, SIGKILLed (CLI and provider) once the 4th stop is sent
    await newProject(programOf({ maxUnavailable: 2 }, { internetMaxBandwidthOut: undefined }));
    sim.resetAvailability();
    const run = startInBackground(project!, ["up", "--yes", "--skip-preview"]);
    const until = Date.now() + 60_000;
    while (sim.calls().filter((c) => c.action === "StopInstance").length < 4) {
      if (Date.now() > until) throw new Error("no 4th stop within 60 s");
      await new Promise((r) => setTimeout(r, 10));
    }
    const pids = [...run.providerProcesses()];
    run.kill();
    await run.exited;
    await waitForExit(pids, 10_000);
    project!.removeStaleLocks();
    const downAfterKill = sim.getState().instances.filter((i) => IDS.includes(i.instanceId) && i.status !== "Running").length;
    // WHEN `up` runs again
    await project!.up();
    // THEN every instance has its type and runs, never more than 2 down over both runs
    assert.ok(mostNotServing(sim) <= 2, `most not serving at once: ${mostNotServing(sim)} (down right after the kill: ${downAfterKill})`);
    for (const id of IDS) {
      const i = sim.getState().instances.find((x) => x.instanceId === id)!;
      assert.deepEqual([i.status, i.instanceType], ["Running", "ecs.g6.xlarge"], id);
      // AND each changed its type once and was stopped at most once
      const calls = changeCalls(sim.calls(), id);
      assert.equal(calls.filter((c) => c === "ModifyInstanceSpec(InstanceType)").length, 1, `${id}: ${calls.join(", ")}`);
      assert.ok(calls.filter((c) => c.startsWith("StopInstance")).length <= 1, `${id} stopped twice: ${calls.join(", ")}`);
    }
  });
});
