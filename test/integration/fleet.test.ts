/**
 * The rollout executor against the simulator, through the real client, with compressed time
 * (cooldown 2 s, stop/start 0.3 s, a backend healthy 0.3 s after Running): the demo tier of 10
 * behind `lb-demo-tier`, judged by the CLB check; the simulator's sampler counts backends not serving.
 */
import assert from "node:assert/strict";
import { DEMO_TIER, DEMO_TIER_LB, startSimulator, type RunningSimulator } from "../../simulator/index";
import type { EcsClient } from "../../provider/client";
import { parseHealthCheck } from "../../provider/health";
import { healthFor } from "../../provider/fleet/health";
import type { RolloutRules } from "../../provider/fleet/plan";
import { rollout, RolloutError, type RolloutOptions } from "../../provider/fleet/rollout";
import { configureApiScheduling, DEFAULT_API_RATE_LIMITS } from "../../provider/scheduler";
import { parseDesiredSpec } from "../../provider/schema";
import { FAST_ENGINE_TIMING, simClient } from "../helpers/engine";
import { changeCalls, stateWith } from "../helpers/sim";

const SIM_TIMING = { cooldownSeconds: 2, stopSeconds: 0.3, startSeconds: 0.3, tokenProcessingSeconds: 0, healthyAfterSeconds: 0.3 };
const IDS = [...DEMO_TIER];
const RULES: RolloutRules = { maxUnavailable: 2, canary: { size: 1, bakeSeconds: 0.3 }, maxFailures: 0, rollbackOnFailure: false, warmupSeconds: 0.2, healthTimeoutSeconds: 3 };
function check() {
  const c = parseHealthCheck({ clb: { loadBalancerId: DEMO_TIER_LB }, intervalSeconds: 0.1, healthyThreshold: 2 }, "healthCheck");
  if (!c.ok) throw new Error(JSON.stringify(c.problems));
  return c.value;
}

function members(want: Record<string, unknown> = { instanceType: "ecs.g6.xlarge", internetMaxBandwidthOut: 20 }) {
  return IDS.map((instanceId) => {
    const r = parseDesiredSpec({ instanceId, regionId: "cn-hangzhou", cooldownSeconds: 2, timeoutSeconds: 120, ...want });
    if (!r.ok) throw new Error(JSON.stringify(r.failures));
    return r.value;
  });
}

/** The most backends of the tier's load balancer not serving at once, by the simulator's sampler. */
const mostNotServing = (sim: RunningSimulator) => sim.availability().loadBalancers[DEMO_TIER_LB]!.maxNotServing;

describe("fleet rollout against the simulator", function () {
  this.timeout(60_000);
  let sim: RunningSimulator;
  let api: EcsClient;
  let lines: string[];
  const run = (o: Partial<RolloutOptions> = {}) =>
    rollout({
      api,
      members: members(),
      rules: RULES,
      health: healthFor(check(), api).health,
      timing: FAST_ENGINE_TIMING,
      estimates: { stopSeconds: 0.3, startSeconds: 0.3, modifySeconds: 0.02, healthSeconds: 0 },
      healthPollMs: 50,
      onProgress: (l) => lines.push(l),
      ...o,
    });

  // The provider's API budget counts real minutes; here time runs ~100x faster (0.1 s health polls).
  before(() => configureApiScheduling({ limits: { default: 100_000 } }));
  after(() => configureApiScheduling({ limits: DEFAULT_API_RATE_LIMITS }));

  beforeEach(async () => {
    lines = [];
    sim = await startSimulator({ port: 0, timing: SIM_TIMING, quiet: true, availabilitySampleMs: 10 });
    api = simClient(sim);
  });
  afterEach(async () => {
    await sim?.close();
  });

  it("changes 10 instances with at most 2 not serving at any sampled moment, canary first, each stopped once", async function () {
    // GIVEN the tier: 10 running ecs.g6.large (out 0) behind lb-demo-tier, maxUnavailable 2, canary 1
    // WHEN rolled to ecs.g6.xlarge, out 20, judged by the CLB backend health
    sim.resetAvailability();
    const r = await run();
    // THEN never more than 2 backends were not serving at a sampled moment
    assert.ok(mostNotServing(sim) <= 2, `most not serving ${mostNotServing(sim)}`);
    assert.ok(mostNotServing(sim) >= 1, "the sampler saw the rollout");
    // AND every instance has its spec, each with one stop, type, start, then its bandwidth
    for (const id of IDS) {
      const i = sim.getState().instances.find((x) => x.instanceId === id)!;
      assert.deepEqual([i.status, i.instanceType, i.internetMaxBandwidthOut], ["Running", "ecs.g6.xlarge", 20], id);
      assert.deepEqual(changeCalls(sim.calls(), id), [
        "StopInstance(StoppedMode=KeepCharging)",
        "ModifyInstanceSpec(InstanceType)",
        "StartInstance()",
        "ModifyInstanceSpec(InternetMaxBandwidthOut)",
      ]);
    }
    assert.deepEqual(r.members.map((m) => m.outcome), IDS.map(() => "changed"));
    // AND the canary stopped alone: the second stop came after the canary's start
    const stops = sim.calls().filter((c) => c.action === "StopInstance");
    const starts = sim.calls().filter((c) => c.action === "StartInstance");
    assert.equal(stops[0]!.params.InstanceId, IDS[0]);
    assert.ok(stops[1]!.atMs > starts[0]!.atMs, "the rest waited for the canary");
    assert.ok(lines.some((l) => /^canary passed/.test(l)), lines.join("\n"));
    // AND a second rollout changes nothing
    sim.clearCalls();
    const again = await run();
    assert.deepEqual(again.members.map((m) => m.outcome), IDS.map(() => "skipped"));
    assert.deepEqual(IDS.flatMap((id) => changeCalls(sim.calls(), id)), []);
  });

  it("stops after a canary that never serves, leaving the rest untouched; with rollbackOnFailure it gets its old type back", async function () {
    // GIVEN the canary never serves, maxFailures 0, rollback on failure
    const rules = { ...RULES, rollbackOnFailure: true, healthTimeoutSeconds: 1 };
    // WHEN rolled out
    sim.setHealthFault({ instanceId: IDS[0]!, health: "neverHealthy" });
    const e = await run({ rules }).then(
      () => assert.fail("the rollout should fail"),
      (x: unknown) => x as RolloutError,
    );
    // THEN it fails naming the canary, rolled back, and the others untouched
    assert.ok(e instanceof RolloutError, String(e));
    assert.match(e.message, /rollout stopped: 1 failure\(s\) > maxFailures 0/);
    assert.deepEqual(e.result!.members.map((m) => m.outcome), ["rolledBack", ...IDS.slice(1).map(() => "untouched")]);
    // AND the canary was stopped twice: for the change and for the rollback, after its cooldown
    assert.deepEqual(changeCalls(sim.calls(), IDS[0]!), [
      "StopInstance(StoppedMode=KeepCharging)",
      "ModifyInstanceSpec(InstanceType)",
      "StartInstance()",
      "ModifyInstanceSpec(InternetMaxBandwidthOut)",
      "StopInstance(StoppedMode=KeepCharging)",
      "ModifyInstanceSpec(InstanceType)",
      "StartInstance()",
    ]);
    const canary = sim.getState().instances.find((x) => x.instanceId === IDS[0])!;
    assert.deepEqual([canary.status, canary.instanceType], ["Running", "ecs.g6.large"]);
    // AND no other instance saw a change call
    assert.deepEqual(IDS.slice(1).flatMap((id) => changeCalls(sim.calls(), id)), []);
    assert.equal(sim.calls().filter((c) => c.action === "ModifyInstanceSpec" && c.code === "Throttling").length, 0, "the rollback waited out the cooldown");
  });

  it("continues an interrupted rollout from the live fleet: done instances skipped, within maxUnavailable", async function () {
    // GIVEN a rollout interrupted once the third instance is stopped
    const ac = new AbortController();
    sim.resetAvailability();
    const watcher = setInterval(() => {
      if (sim.calls().filter((c) => c.action === "StopInstance").length >= 3) ac.abort(new Error("interrupted by test"));
    }, 5);
    const first = await run({ signal: ac.signal, members: members({ instanceType: "ecs.g6.xlarge" }) }).catch((x: unknown) => x as RolloutError);
    clearInterval(watcher);
    assert.ok(first instanceof RolloutError);
    const doneFirst = IDS.filter((id) => sim.getState().instances.find((x) => x.instanceId === id)!.instanceType === "ecs.g6.xlarge");
    // WHEN rolled out again
    const second = await run({ members: members({ instanceType: "ecs.g6.xlarge" }) });
    // THEN every instance has its type and runs, never more than 2 down
    assert.ok(mostNotServing(sim) <= 2, `most not serving ${mostNotServing(sim)}`);
    for (const id of IDS) {
      const i = sim.getState().instances.find((x) => x.instanceId === id)!;
      assert.deepEqual([i.status, i.instanceType], ["Running", "ecs.g6.xlarge"], id);
      // AND no instance changed its type twice
      assert.equal(changeCalls(sim.calls(), id).filter((c) => c === "ModifyInstanceSpec(InstanceType)").length, 1, id);
    }
    // AND the instances already done by the first run were skipped by the second
    for (const id of doneFirst) {
      const m = second.members.find((x) => x.instanceId === id)!;
      assert.equal(m.stops, 0, `${id} not stopped again`);
    }
  });

  it("a rollout longer than each instance's timeoutSeconds finishes: an instance's apply starts near its turn", async function () {
    // GIVEN one instance at a time (each ~1 s down and back to serving), and 5 s allowed per instance
    const t0 = Date.now();
    // WHEN the 10 are rolled (about 10 s in all)
    const r = await run({ rules: { ...RULES, maxUnavailable: 1, canary: { size: 0, bakeSeconds: 0 } }, members: members({ instanceType: "ecs.g6.xlarge", timeoutSeconds: 5 }) });
    // THEN every one changed, though the rollout took longer than any one's timeout
    assert.ok(Date.now() - t0 > 5000, `the rollout took ${Date.now() - t0} ms`);
    assert.deepEqual(r.members.map((m) => m.outcome), IDS.map(() => "changed"));
    assert.equal(mostNotServing(sim), 1);
  });

  it("judges by an HTTP check of a URL template ({privateIp}), a flapping instance included, within maxUnavailable", async function () {
    // GIVEN the application's health URL per private IP, 3 serving answers in a row needed, and
    // one instance that flaps (0.15 s healthy, 0.15 s not) for its first 2 s
    const c = parseHealthCheck({ http: { url: `${sim.url}/_health/ip/{privateIp}`, expectedStatus: 200 }, intervalSeconds: 0.1, healthyThreshold: 3, timeoutSeconds: 10 }, "healthCheck");
    if (!c.ok) throw new Error(JSON.stringify(c.problems));
    sim.setHealthFault({ instanceId: IDS[3]!, health: "flap", periodSeconds: 0.15 });
    setTimeout(() => sim.removeHealthFault(IDS[3]!), 2000);
    // WHEN rolled with maxUnavailable 3
    const r = await run({ rules: { ...RULES, maxUnavailable: 3, canary: { size: 0, bakeSeconds: 0 } }, health: healthFor(c.value, api).health, members: members({ instanceType: "ecs.g6.xlarge" }) });
    // THEN every instance changed, never more than 3 not serving
    assert.deepEqual(r.members.map((m) => m.outcome), IDS.map(() => "changed"));
    assert.ok(mostNotServing(sim) <= 3, `most not serving ${mostNotServing(sim)}`);
    // AND the flapping one freed its slot only once it served 3 observations in a row (after the flap)
    assert.ok(lines.some((l) => l.startsWith(`[${IDS[3]}] serving`)), lines.join("\n"));
  });

  it("mixes pay-as-you-go and subscription instances: the subscription upgrade is one order with RebootWhenFinished, its slot covers the ECS restart, never more than 2 down", async function () {
    // GIVEN the load balancer also serves subscription instance i-demo-prepaid-01 (running ecs.g6.large, out 5);
    // orders settle in 0.3 s, the interval between two changes is 2 s
    const PREPAID = "i-demo-prepaid-01";
    await sim.close();
    sim = await startSimulator({
      port: 0,
      timing: { ...SIM_TIMING, prepayIntervalSeconds: 2, prepayApplySeconds: 0.3 },
      quiet: true,
      availabilitySampleMs: 10,
      state: stateWith((st) => st.loadBalancers.find((lb) => lb.loadBalancerId === DEMO_TIER_LB)!.backends.push(PREPAID)),
    });
    api = simClient(sim);
    const ids = [IDS[0]!, IDS[1]!, PREPAID, IDS[2]!, IDS[3]!];
    const fleet = ids.map((instanceId) => {
      const r = parseDesiredSpec({ instanceId, regionId: "cn-hangzhou", cooldownSeconds: 2, timeoutSeconds: 120, instanceType: "ecs.g6.xlarge", internetMaxBandwidthOut: 20, autoPay: true });
      if (!r.ok) throw new Error(JSON.stringify(r.failures));
      return r.value;
    });
    // AND a watcher noting when the subscription instance is not Running, and when each progress line came
    const timed: { atMs: number; line: string }[] = [];
    const notRunningAt: number[] = [];
    const watcher = setInterval(() => {
      if (sim.getState().instances.find((i) => i.instanceId === PREPAID)!.status !== "Running") notRunningAt.push(Date.now());
    }, 5);
    sim.resetAvailability();
    // WHEN the five are rolled to ecs.g6.xlarge, out 20 (maxUnavailable 2, canary 1)
    let r;
    try {
      r = await run({
        members: fleet,
        timing: { ...FAST_ENGINE_TIMING, orderSeconds: 0.3 },
        estimates: { stopSeconds: 0.3, startSeconds: 0.3, modifySeconds: 0.02, orderSeconds: 0.3, healthSeconds: 0 },
        onProgress: (line) => {
          lines.push(line);
          timed.push({ atMs: Date.now(), line });
        },
      });
    } finally {
      clearInterval(watcher);
    }
    // THEN never more than 2 backends of the six were not serving at a sampled moment
    assert.ok(mostNotServing(sim) <= 2, `most not serving ${mostNotServing(sim)}`);
    assert.ok(mostNotServing(sim) >= 1, "the sampler saw the rollout");
    // AND the subscription instance got one ModifyPrepayInstanceSpec with RebootWhenFinished=true and no StopInstance/StartInstance, its bandwidth by an order after
    const its = sim.calls().filter((c) => c.params.InstanceId === PREPAID && ["ModifyPrepayInstanceSpec", "ModifyInstanceNetworkSpec", "ModifyInstanceSpec", "StopInstance", "StartInstance", "RebootInstance"].includes(c.action) && !c.code);
    assert.deepEqual(its.map((c) => c.action), ["ModifyPrepayInstanceSpec", "ModifyInstanceNetworkSpec"]);
    assert.deepEqual([its[0]!.params.RebootWhenFinished, its[0]!.params.AutoPay, its[0]!.params.InstanceType], ["true", "true", "ecs.g6.xlarge"]);
    const inst = sim.getState().instances.find((i) => i.instanceId === PREPAID)!;
    assert.deepEqual([inst.status, inst.instanceType, inst.internetMaxBandwidthOut], ["Running", "ecs.g6.xlarge", 20]);
    // AND the pay-as-you-go ones each stopped once, as before
    for (const id of ids.filter((x) => x !== PREPAID)) {
      assert.deepEqual(changeCalls(sim.calls(), id), ["StopInstance(StoppedMode=KeepCharging)", "ModifyInstanceSpec(InstanceType)", "StartInstance()", "ModifyInstanceSpec(InternetMaxBandwidthOut)"], id);
    }
    // AND its slot covered the restart: taken before the order, freed after it ran again, every moment it was not Running in between
    const at = (re: RegExp) => timed.find((t) => t.line.startsWith(`[${PREPAID}]`) && re.test(t.line))?.atMs;
    const taken = at(/slot taken, ordering the subscription upgrade/);
    const freed = at(/slot freed/);
    assert.ok(taken !== undefined && freed !== undefined, lines.join("\n"));
    assert.ok(notRunningAt.length > 0, "the watcher saw the ECS restart");
    assert.ok(taken <= its[0]!.atMs, "the slot was taken before the order");
    assert.ok(taken <= Math.min(...notRunningAt) && Math.max(...notRunningAt) <= freed, `restart ${Math.min(...notRunningAt)}..${Math.max(...notRunningAt)} outside the slot ${taken}..${freed}`);
    // AND its bandwidth order took no slot: sent after the slot was freed
    assert.ok(its[1]!.atMs >= freed, "the bandwidth order came after the slot was freed");
    // AND the result records the restart, no stop, and both orders
    const m = r.members.find((x) => x.instanceId === PREPAID)!;
    assert.deepEqual([m.outcome, m.stops, m.restarts], ["changed", 0, 1]);
    assert.deepEqual(m.steps.flatMap((st) => (st.orderId ? [st.orderId] : [])), (inst.orders ?? []).map((o) => o.orderId));
    assert.equal((inst.orders ?? []).length, 2);
  });
});
