/**
 * Health gates through the real client against the in-process simulator: `describeHealthStatus`
 * (pop-core, 2014-05-15, on the ECS endpoint), the CLB and HTTP monitors, `waitUntilServing` on the
 * real clock after a stop and a start, the errors as `EcsApiError`, and `probeHttp`'s limits.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createEcsClient, probeHttp, type EcsClient } from "../../provider/client";
import { isEcsApiError } from "../../provider/errors";
import { healthMonitorFor, healthTargetProblems, parseHealthCheck, waitUntilServing, type ParsedHealthCheck } from "../../provider/health";
import type { RunningSimulator } from "../../simulator/index.js";
import { popClient, rejection, startFast, stateWith, waitFor } from "../helpers/sim";

const LB = "lb-demo-tier";
const TIER = Array.from({ length: 10 }, (_, k) => `i-demo-tier-${String(k + 1).padStart(2, "0")}`);
const TIER_01 = TIER[0]!;

function parsed(raw: unknown): ParsedHealthCheck {
  const r = parseHealthCheck(raw, "healthCheck");
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

describe("health gates against the simulator", function () {
  this.timeout(20_000);
  let sim: RunningSimulator;
  let api: EcsClient;
  const start = async (opts: Parameters<typeof startFast>[0] = {}) => {
    sim = await startFast(opts);
    api = createEcsClient({ regionId: sim.regionId, endpoint: sim.url, credentials: { accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret } });
  };
  afterEach(async () => sim && (await sim.close()));

  it("describeHealthStatus: the ECS endpoint serves CLB too; rows are read as {serverId, listenerPort, port, status}", async () => {
    await start();
    const rows = await api.describeHealthStatus({ loadBalancerId: LB, listenerPort: 80 });
    assert.equal(rows.length, 10);
    assert.deepEqual(rows[0], { serverId: TIER_01, listenerPort: 80, port: 80, status: "normal" });
    const call = sim.calls().at(-1)!;
    assert.equal(call.action, "DescribeHealthStatus");
    assert.deepEqual(call.params, { RegionId: "cn-hangzhou", LoadBalancerId: LB, ListenerPort: "80" });
  });

  it("describeHealthStatus errors are EcsApiErrors with the table's decision, and carry no credential", async () => {
    await start({ state: stateWith((s) => (s.account.deniedActions = ["DescribeHealthStatus"])) });
    const denied = await rejection(api.describeHealthStatus({ loadBalancerId: LB }));
    assert.ok(isEcsApiError(denied));
    assert.equal(denied.code, "Forbidden.RAM");
    assert.equal(denied.retryable, false);
    assert.match(denied.message, /slb:DescribeHealthStatus/);
    assert.ok(!denied.message.includes(sim.accessKeyId) && !denied.message.includes(sim.accessKeySecret));
    await sim.close();

    await start();
    const missing = await rejection(api.describeHealthStatus({ loadBalancerId: "lb-gone" }));
    assert.ok(isEcsApiError(missing));
    assert.equal(missing.code, "InvalidLoadBalancerId.NotFound");
    assert.equal(missing.httpStatus, 404);
    assert.equal(missing.decision, "fail");
    sim.addFault({ action: "DescribeHealthStatus", kind: "error", code: "SystemBusy", httpStatus: 503 });
    const busy = await rejection(api.describeHealthStatus({ loadBalancerId: LB }));
    assert.ok(isEcsApiError(busy));
    assert.equal(busy.code, "SystemBusy");
    assert.equal(busy.decision, "retry");
    assert.equal(busy.retryable, true);
  });

  it("the CLB monitor reads ten instances with one DescribeHealthStatus, and follows a stop", async () => {
    await start();
    const monitor = healthMonitorFor(parsed({ clb: { loadBalancerId: LB, listenerPort: 80 } }), api);
    await popClient(sim).request("StopInstance", { InstanceId: TIER_01 }, { method: "POST" });
    sim.clearCalls();
    const seen = await monitor.observe(TIER.map((instanceId) => ({ instanceId })));
    assert.deepEqual([...seen.values()], ["notServing", ...Array(9).fill("serving")]);
    assert.deepEqual(sim.calls().map((c) => c.action), ["DescribeHealthStatus"]);
  });

  it("the HTTP monitor reads the application's URL, filled from the instance's addresses in DescribeInstances", async () => {
    await start();
    const snap = (await api.describeInstance(TIER_01, { knownHasLocalDisks: false }))!;
    assert.equal(snap.privateIp, "192.168.10.11");
    assert.equal(snap.publicIp, undefined);
    const web = (await api.describeInstance("i-demo-web-01", { knownHasLocalDisks: false }))!;
    assert.match(web.publicIp ?? "", /^47\.96\.1\.\d+$/);
    const monitor = healthMonitorFor(parsed({ http: { url: `${sim.url}/_health/ip/{privateIp}` } }), api);
    sim.setHealthFault({ instanceId: "i-demo-tier-02", health: "neverHealthy" });
    const seen = await monitor.observe([snap, { instanceId: "i-demo-tier-02", privateIp: "192.168.10.12" }, { instanceId: "i-x", privateIp: "10.255.0.1" }]);
    assert.deepEqual([...seen], [[TIER_01, "serving"], ["i-demo-tier-02", "notServing"], ["i-x", "notServing"]]);
  });

  it("healthTargetProblems: an instance outside the load balancer is refused before any change", async () => {
    await start();
    const problems = await healthTargetProblems(parsed({ clb: { loadBalancerId: LB } }), api, [{ instanceId: TIER_01 }, { instanceId: "i-demo-web-01" }], "healthCheck");
    assert.deepEqual(problems.map((p) => p.property), ["healthCheck.clb.loadBalancerId"]);
    assert.match(problems[0]!.reason, /instance i-demo-web-01 is not a backend server of lb-demo-tier/);
    const gone = await healthTargetProblems(parsed({ clb: { loadBalancerId: "lb-gone" } }), api, [{ instanceId: TIER_01 }], "healthCheck");
    assert.match(gone[0]!.reason, /lb-gone was not found/);
  });

  for (const kind of ["clb", "http"] as const) {
    it(`waitUntilServing (${kind}): after a stop and a start, serving once healthyAfterSeconds have passed, then the warm-up`, async () => {
      // GIVEN healthy 0.4 s after Running, polls every 0.1 s, two in a row, 0.2 s warm-up
      await start({ timing: { healthyAfterSeconds: 0.4 } });
      const raw = kind === "clb" ? { clb: { loadBalancerId: LB } } : { http: { url: `${sim.url}/_health/instance/{instanceId}` } };
      const check = parsed({ ...raw, intervalSeconds: 0.1, timeoutSeconds: 5, warmupSeconds: 0.2 });
      const monitor = healthMonitorFor(check, api);
      const ecs = popClient(sim);
      await ecs.request("StopInstance", { InstanceId: TIER_01 }, { method: "POST" });
      await waitFor(() => sim.getState().instances.find((i) => i.instanceId === TIER_01)!.status === "Stopped");
      await ecs.request("StartInstance", { InstanceId: TIER_01 }, { method: "POST" });
      // WHEN waited for
      const r = await waitUntilServing(monitor, { instanceId: TIER_01 }, { timing: check });
      // THEN serving no earlier than 0.4 s after Running (plus one more poll), ready 0.2 s later
      assert.ok(r.ok, JSON.stringify(r));
      const since = sim.getState().instances.find((i) => i.instanceId === TIER_01)!.runningSinceMs!;
      assert.ok(r.servingAtMs >= since + 400 + 100 - 5, `serving at +${r.servingAtMs - since} ms`);
      assert.ok(r.servingAtMs <= since + 400 + 100 + 400, `serving at +${r.servingAtMs - since} ms`);
      assert.ok(r.readyAtMs - r.servingAtMs >= 200);
    });
  }

  it("waitUntilServing: a neverHealthy instance times out with ok: false", async () => {
    await start();
    sim.setHealthFault({ instanceId: TIER_01, health: "neverHealthy" });
    const check = parsed({ clb: { loadBalancerId: LB }, intervalSeconds: 0.1, timeoutSeconds: 1 });
    const t0 = Date.now();
    const r = await waitUntilServing(healthMonitorFor(check, api), { instanceId: TIER_01 }, { timing: check });
    assert.deepEqual(r.ok ? r : { ok: r.ok, last: r.lastObservation }, { ok: false, last: "notServing" });
    assert.ok(Date.now() - t0 >= 1000 && Date.now() - t0 < 3000);
  });
});

describe("probeHttp", function () {
  this.timeout(10_000);
  let server: Server | undefined;
  const seen: IncomingHttpHeaders[] = [];
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server?.closeAllConnections();
    server = undefined;
    seen.length = 0;
  });
  const serve = async (handler: Parameters<typeof createServer>[1]): Promise<string> => {
    server = createServer((req, res) => {
      seen.push(req.headers);
      handler!(req, res);
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  it("answers the status of a redirect without following it, and sends no credentials", async () => {
    const base = await serve((req, res) => {
      res.writeHead(req.url === "/h" ? 302 : 200, { location: "http://example.invalid/elsewhere" });
      res.end();
    });
    assert.deepEqual(await probeHttp(`${base}/h`, 1000), { status: 302 });
    assert.equal(seen.length, 1, "the redirect was not followed");
    assert.equal(seen[0]!.authorization, undefined);
    assert.equal(seen[0]!.cookie, undefined);
  });

  it("gives an error, not a throw, for no answer in time, a refused connection, user info and other schemes", async () => {
    const base = await serve(() => undefined); // never answers
    assert.deepEqual(await probeHttp(`${base}/h`, 200), { error: "no answer within 200 ms" });
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", () => r()));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    assert.deepEqual(await probeHttp(`http://127.0.0.1:${closedPort}/h`, 1000), { error: "ECONNREFUSED" });
    assert.match((await probeHttp(`http://u:p@127.0.0.1:1/`, 1000) as { error: string }).error, /user info/);
    assert.match((await probeHttp("file:///etc/passwd", 1000) as { error: string }).error, /only http/);
  });
});
