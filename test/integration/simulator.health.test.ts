/**
 * ecs-sim's CLB side: `DescribeHealthStatus` (2014-05-15) on the same port as ECS, through the
 * real clients (pop-core, signature V1; openapi-core, signature V3); the health model that follows
 * stop/start; the `/_health/` URLs; the health faults; and the availability sampler.
 */
import assert from "node:assert/strict";
import type { RunningSimulator, SimState } from "../../simulator/index.js";
import { expectEcsError, expectPopError, popClient, slbCall, slbPopClient, sleep, startFast, stateWith, waitFor } from "../helpers/sim.js";

const REGION = "cn-hangzhou";
const LB = "lb-demo-tier";
const TIER_01 = "i-demo-tier-01";
type Row = { ListenerPort: number; ServerId: string; Port: number; ServerIp: string; ServerHealthStatus: string; Protocol: string; Type: string };
type HealthBody = { RequestId: string; BackendServers: { BackendServer: Row[] } };

async function health(sim: RunningSimulator, params: Record<string, string | number> = {}): Promise<HealthBody> {
  return (await slbPopClient(sim).request("DescribeHealthStatus", { RegionId: REGION, LoadBalancerId: LB, ...params }, { method: "POST" })) as HealthBody;
}

async function statusOf(sim: RunningSimulator, id: string): Promise<string[]> {
  return (await health(sim)).BackendServers.BackendServer.filter((r) => r.ServerId === id).map((r) => r.ServerHealthStatus);
}

async function url(sim: RunningSimulator, path: string): Promise<number> {
  const r = await fetch(`${sim.url}${path}`);
  await r.body?.cancel();
  return r.status;
}

/** The demo state with a second listener on the tier's load balancer: 443/tcp, health check off. */
function twoListeners(): SimState {
  return stateWith((s) => s.loadBalancers[0]!.listeners.push({ port: 443, protocol: "tcp", backendPort: 8443, healthCheck: false }));
}

describe("ecs-sim: CLB health (DescribeHealthStatus, /_health/, health faults, availability)", function () {
  this.timeout(20_000);
  let sim: RunningSimulator;
  afterEach(async () => sim && (await sim.close()));

  describe("DescribeHealthStatus", () => {
    it("answers the documented shape for the demo tier, through pop-core (V1) on the ECS port, and logs the call", async () => {
      // GIVEN the demo state: ten running instances behind lb-demo-tier (80/http, health check on)
      sim = await startFast();
      // WHEN pop-core (apiVersion 2014-05-15) asks for every listener
      const r = await health(sim);
      // THEN one row per backend, in the documented shape
      assert.match(r.RequestId, /^[0-9A-F-]{36}$/);
      assert.deepEqual(Object.keys(r).sort(), ["BackendServers", "RequestId"]);
      const rows = r.BackendServers.BackendServer;
      assert.equal(rows.length, 10);
      assert.deepEqual({ ...rows[0] }, { ListenerPort: 80, ServerId: TIER_01, Port: 80, ServerIp: "192.168.10.11", ServerHealthStatus: "normal", Protocol: "http", Type: "ecs" });
      assert.deepEqual(rows.map((x) => x.ServerId), Array.from({ length: 10 }, (_, k) => `i-demo-tier-${String(k + 1).padStart(2, "0")}`));
      assert.ok(rows.every((x) => x.ServerHealthStatus === "normal"));
      // AND the call log has it, as any ECS call
      const last = sim.calls().at(-1)!;
      assert.equal(last.action, "DescribeHealthStatus");
      assert.equal(last.httpStatus, 200);
      assert.equal(last.signatureVersion, "V1");
      assert.deepEqual(last.params, { RegionId: REGION, LoadBalancerId: LB });
    });

    it("answers the same through @alicloud/openapi-core (V3 signature)", async () => {
      sim = await startFast();
      const r = await slbCall(sim, "DescribeHealthStatus", { RegionId: REGION, LoadBalancerId: LB, ListenerPort: 80 });
      assert.equal(r.statusCode, 200);
      const rows = (r.body as unknown as HealthBody).BackendServers.BackendServer;
      assert.equal(rows.length, 10);
      assert.equal(sim.calls().at(-1)!.signatureVersion, "V3");
    });

    const errors: { given: string; params: Record<string, string | number>; code: string; status: number }[] = [
      { given: "no LoadBalancerId", params: { LoadBalancerId: undefined as unknown as string }, code: "MissingParameter", status: 400 },
      { given: "no RegionId", params: { RegionId: undefined as unknown as string }, code: "MissingParameter", status: 400 },
      { given: "an unknown load balancer", params: { LoadBalancerId: "lb-nope" }, code: "InvalidLoadBalancerId.NotFound", status: 404 },
      { given: "another region", params: { RegionId: "cn-beijing" }, code: "InvalidRegionId.NotFound", status: 404 },
      { given: "ListenerPort 0", params: { ListenerPort: 0 }, code: "InvalidParameter", status: 400 },
      { given: "ListenerPort 65536", params: { ListenerPort: 65536 }, code: "InvalidParameter", status: 400 },
      { given: "ListenerPort abc", params: { ListenerPort: "abc" }, code: "InvalidParameter", status: 400 },
      { given: "ListenerProtocol ftp", params: { ListenerProtocol: "ftp" }, code: "InvalidParameter", status: 400 },
    ];
    for (const c of errors) {
      it(`${c.code} (${c.status}) for ${c.given}, in the CLB error shape`, async () => {
        sim = await startFast();
        const params: Record<string, string | number> = { RegionId: REGION, LoadBalancerId: LB, ...c.params };
        for (const k of Object.keys(params)) if (params[k] === undefined) delete params[k];
        const e = await expectPopError(sim, slbPopClient(sim).request("DescribeHealthStatus", params, { method: "POST" }), c.code, c.status);
        const body = e.data ?? {};
        assert.equal(body.HostId, "slb.aliyuncs.com");
        assert.equal(body.Recommend, `https://api.aliyun.com/troubleshoot?q=${c.code}&product=Slb`);
      });
    }

    it("keeps each product's actions apart: DescribeInstances under 2014-05-15 and DescribeHealthStatus under 2014-05-26 are InvalidAction", async () => {
      sim = await startFast();
      await expectPopError(sim, slbPopClient(sim).request("DescribeInstances", { RegionId: REGION }, { method: "POST" }), "InvalidAction", 400);
      await expectPopError(sim, popClient(sim).request("DescribeHealthStatus", { RegionId: REGION, LoadBalancerId: LB }, { method: "POST" }), "InvalidAction", 400);
      await expectEcsError(slbCall(sim, "StopInstance", { InstanceId: TIER_01 }), "InvalidAction", 400);
    });

    it("is rate-limited per action like every action: DescribeHealthStatus's limit leaves DescribeInstances alone", async () => {
      // GIVEN a limit of 2 DescribeHealthStatus calls per window
      sim = await startFast({ rateLimits: { DescribeHealthStatus: 2 } });
      if (Date.now() % 60_000 > 59_000) await sleep(60_000 - (Date.now() % 60_000) + 10);
      await health(sim);
      await health(sim);
      // WHEN a third one comes  THEN Throttling.User, and ECS reads still pass
      await expectPopError(sim, health(sim), "Throttling.User", 400);
      await popClient(sim).request("DescribeInstances", { RegionId: REGION });
      assert.equal(sim.calls().at(-1)!.httpStatus, 200);
    });

    it("follows a stop and a start: abnormal from the stop until Running for healthyAfterSeconds, then normal", async () => {
      // GIVEN compressed timing: 0.15 s stop/start, healthy 0.6 s after reaching Running
      sim = await startFast({ timing: { healthyAfterSeconds: 0.6 } });
      const ecs = popClient(sim);
      // WHEN tier-01 stops
      await ecs.request("StopInstance", { InstanceId: TIER_01 }, { method: "POST" });
      // THEN abnormal while Stopping and Stopped; the others stay normal
      assert.deepEqual(await statusOf(sim, TIER_01), ["abnormal"]);
      assert.deepEqual(await statusOf(sim, "i-demo-tier-02"), ["normal"]);
      await waitFor(async () => (await sim.getState()).instances.find((i) => i.instanceId === TIER_01)!.status === "Stopped");
      assert.deepEqual(await statusOf(sim, TIER_01), ["abnormal"]);
      // WHEN it starts  THEN abnormal while Starting and for the first 0.6 s of Running
      await ecs.request("StartInstance", { InstanceId: TIER_01 }, { method: "POST" });
      assert.deepEqual(await statusOf(sim, TIER_01), ["abnormal"]);
      const running = await waitFor(() => sim.getState().instances.find((i) => i.instanceId === TIER_01 && i.status === "Running"));
      assert.ok(running.runningSinceMs !== null);
      if (Date.now() - running.runningSinceMs! < 400) assert.deepEqual(await statusOf(sim, TIER_01), ["abnormal"]);
      // THEN normal once it has been running 0.6 s
      await sleep(Math.max(0, running.runningSinceMs! + 650 - Date.now()));
      assert.deepEqual(await statusOf(sim, TIER_01), ["normal"]);
    });

    it("reports unavailable on a listener without health check, and filters by ListenerPort and ListenerProtocol", async () => {
      // GIVEN lb-demo-tier with 80/http (check on) and 443/tcp (check off)
      sim = await startFast({ state: twoListeners() });
      // WHEN asked for every listener  THEN 20 rows, the 443 ones unavailable
      const all = (await health(sim)).BackendServers.BackendServer;
      assert.equal(all.length, 20);
      assert.deepEqual([...new Set(all.filter((r) => r.ListenerPort === 443).map((r) => r.ServerHealthStatus))], ["unavailable"]);
      assert.deepEqual({ ...all.find((r) => r.ListenerPort === 443 && r.ServerId === TIER_01) }, {
        ListenerPort: 443, ServerId: TIER_01, Port: 8443, ServerIp: "192.168.10.11", ServerHealthStatus: "unavailable", Protocol: "tcp", Type: "ecs",
      });
      // WHEN filtered
      assert.deepEqual([...new Set((await health(sim, { ListenerPort: 443 })).BackendServers.BackendServer.map((r) => r.ListenerPort))], [443]);
      assert.deepEqual([...new Set((await health(sim, { ListenerProtocol: "http" })).BackendServers.BackendServer.map((r) => r.ListenerPort))], [80]);
      assert.deepEqual((await health(sim, { ListenerPort: 8080 })).BackendServers.BackendServer, []);
      // AND a stopped instance stays unavailable there (no signal, whatever the instance does)
      await popClient(sim).request("StopInstance", { InstanceId: TIER_01 }, { method: "POST" });
      assert.deepEqual((await health(sim, { ListenerPort: 443 })).BackendServers.BackendServer.find((r) => r.ServerId === TIER_01)!.ServerHealthStatus, "unavailable");
    });
  });

  describe("/_health/ URLs (no signature)", () => {
    it("answer 200 while serving, 503 when not, 404 for an unknown instance or address", async () => {
      sim = await startFast();
      assert.equal(await url(sim, `/_health/instance/${TIER_01}`), 200);
      assert.equal(await url(sim, "/_health/ip/192.168.10.11"), 200);
      const r = await fetch(`${sim.url}/_health/instance/${TIER_01}`);
      assert.deepEqual(await r.json(), { instanceId: TIER_01, status: "Running", health: "normal" });
      assert.equal(await url(sim, "/_health/instance/i-nope"), 404);
      assert.equal(await url(sim, "/_health/ip/10.9.9.9"), 404);
      assert.equal(await url(sim, "/_health/other"), 404);
      // WHEN the instance stops  THEN 503
      await popClient(sim).request("StopInstance", { InstanceId: TIER_01 }, { method: "POST" });
      assert.equal(await url(sim, `/_health/instance/${TIER_01}`), 503);
      assert.equal(await url(sim, "/_health/ip/192.168.10.11"), 503);
      // AND these requests are not API calls: the call log has only the stop
      assert.deepEqual(sim.calls().map((c) => c.action), ["StopInstance"]);
    });
  });

  describe("health faults", () => {
    it("neverHealthy: abnormal and 503 while running, until removed (admin API)", async () => {
      sim = await startFast();
      // WHEN the fault is set over the admin API
      const set = await sim.admin("POST", "/_sim/health-faults", { instanceId: TIER_01, health: "neverHealthy" });
      assert.equal(set.status, 200);
      // THEN the load balancer and the URL say not serving, though the instance runs
      assert.deepEqual(await statusOf(sim, TIER_01), ["abnormal"]);
      assert.equal(await url(sim, `/_health/instance/${TIER_01}`), 503);
      assert.equal(sim.getState().instances.find((i) => i.instanceId === TIER_01)!.status, "Running");
      assert.deepEqual(((await sim.admin("GET", "/_sim/health-faults")).json as { spec: unknown }[]).map((f) => f.spec), [{ instanceId: TIER_01, health: "neverHealthy" }]);
      // WHEN removed  THEN normal again
      assert.equal((await sim.admin("DELETE", `/_sim/health-faults/${TIER_01}`)).status, 200);
      assert.deepEqual(await statusOf(sim, TIER_01), ["normal"]);
      assert.equal((await sim.admin("DELETE", `/_sim/health-faults/${TIER_01}`)).status, 404);
    });

    it("flap: alternates normal and abnormal every periodSeconds while running", async () => {
      sim = await startFast();
      sim.setHealthFault({ instanceId: TIER_01, health: "flap", periodSeconds: 0.2 });
      const set = sim.healthFaults()[0]!.sinceMs;
      const seen: string[] = [];
      for (let k = 0; k < 4; k++) {
        // sample in the middle of each 0.2 s phase
        await sleep(Math.max(0, set + k * 200 + 100 - Date.now()));
        seen.push((await statusOf(sim, TIER_01))[0]!);
      }
      assert.deepEqual(seen, ["normal", "abnormal", "normal", "abnormal"]);
    });

    it("refuses a malformed health fault with a 400 naming the field", async () => {
      sim = await startFast();
      const r = await sim.admin("POST", "/_sim/health-faults", { instanceId: TIER_01, health: "flap" });
      assert.equal(r.status, 400);
      assert.match((r.json as { error: string }).error, /periodSeconds/);
      assert.throws(() => sim.setHealthFault({ instanceId: TIER_01, health: "sometimes" } as never), /neverHealthy or flap/);
    });
  });

  describe("availability sampler", () => {
    it("keeps the most backends not serving at once, a compact timeline, and resets", async () => {
      // GIVEN sampling every 20 ms
      sim = await startFast({ availabilitySampleMs: 20, timing: { healthyAfterSeconds: 0.2 } });
      await waitFor(() => (sim.availability().loadBalancers[LB]?.samples ?? 0) >= 2);
      assert.equal(sim.availability().loadBalancers[LB]!.maxNotServing, 0);
      // WHEN two tier instances stop together and start again
      const ecs = popClient(sim);
      for (const id of [TIER_01, "i-demo-tier-02"]) await ecs.request("StopInstance", { InstanceId: id }, { method: "POST" });
      await waitFor(() => sim.getState().instances.filter((i) => i.status === "Stopped" && i.instanceId.startsWith("i-demo-tier-")).length === 2);
      for (const id of [TIER_01, "i-demo-tier-02"]) await ecs.request("StartInstance", { InstanceId: id }, { method: "POST" });
      await waitFor(() => sim.availability().loadBalancers[LB]!.lastSample?.notServing === 0, 5000);
      // THEN at most 2 were not serving, the timeline went 0 → … 2 … → 0, and it is short
      const a = sim.availability();
      assert.equal(a.sampleMs, 20);
      const lb = a.loadBalancers[LB]!;
      assert.equal(lb.backends, 10);
      assert.equal(lb.maxNotServing, 2);
      assert.equal(lb.timeline[0]!.notServing, 0);
      assert.equal(lb.timeline.at(-1)!.notServing, 0);
      assert.ok(lb.timeline.some((p) => p.notServing === 2));
      assert.ok(lb.timeline.length <= 6, `only the changes are kept: ${JSON.stringify(lb.timeline)}`);
      assert.ok(lb.samples > lb.timeline.length);
      // AND the admin API says the same, and resets it
      const viaAdmin = (await sim.admin("GET", "/_sim/availability")).json as typeof a;
      assert.equal(viaAdmin.loadBalancers[LB]!.maxNotServing, 2);
      assert.equal((await sim.admin("DELETE", "/_sim/availability")).status, 200);
      await waitFor(() => (sim.availability().loadBalancers[LB]?.samples ?? 0) >= 1);
      assert.equal(sim.availability().loadBalancers[LB]!.maxNotServing, 0);
    });

    it("counts a running instance with a neverHealthy fault as not serving", async () => {
      sim = await startFast({ availabilitySampleMs: 10 });
      sim.setHealthFault({ instanceId: TIER_01, health: "neverHealthy" });
      await waitFor(() => sim.availability().loadBalancers[LB]?.lastSample?.notServing === 1);
      sim.clearHealthFaults();
      await waitFor(() => sim.availability().loadBalancers[LB]?.lastSample?.notServing === 0);
      assert.equal(sim.availability().loadBalancers[LB]!.maxNotServing, 1);
    });

    it("is off with availabilitySampleMs 0", async () => {
      sim = await startFast({ availabilitySampleMs: 0 });
      await sleep(150);
      assert.deepEqual(sim.availability(), { sampleMs: 0, loadBalancers: {} });
    });
  });
});
