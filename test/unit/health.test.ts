/**
 * provider/health.ts without a network: the `healthCheck` parser (every bad input names the field
 * and the fix), how CLB rows read, the HTTP template, the monitors over a scripted client, and
 * waitUntilServing on a fake clock (threshold, warm-up, timeout, flapping, errors, abort).
 */
import assert from "node:assert/strict";
import { describeHealthStatusParams, EndpointError, parseHealthStatus, slbEndpointFor, type HealthStatusRow, type HttpProbeResult } from "../../provider/client";
import { EcsApiError } from "../../provider/errors";
import {
  HEALTH_DEFAULTS,
  healthMonitorFor,
  healthTargetProblems,
  healthUrlFor,
  observationFromRows,
  parseHealthCheck,
  waitUntilServing,
  type HealthClient,
  type HealthMonitor,
  type HealthObservation,
  type ParsedHealthCheck,
  type WaitProgress,
} from "../../provider/health";
import { FakeClock, T0 } from "../helpers/clock";

/** A monitor that answers a script, one observation (or error) per call, the last one repeated. */
class ScriptedMonitor implements HealthMonitor {
  calls: number[] = [];
  constructor(private clock: FakeClock, private script: (HealthObservation | Error)[]) {}
  async observe(instances: readonly { instanceId: string }[]) {
    this.calls.push(this.clock.now() - T0);
    const next = this.script.length > 1 ? this.script.shift()! : this.script[0]!;
    if (next instanceof Error) throw next;
    return new Map(instances.map((i) => [i.instanceId, next] as const));
  }
}

const I = { instanceId: "i-1", privateIp: "10.0.0.1" };

function parsed(raw: unknown): ParsedHealthCheck {
  const r = parseHealthCheck(raw, "healthCheck");
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

function problems(raw: unknown): { property: string; reason: string }[] {
  const r = parseHealthCheck(raw, "healthCheck");
  assert.equal(r.ok, false, `expected problems for ${JSON.stringify(raw)}`);
  return r.ok ? [] : r.problems;
}

describe("health: parseHealthCheck", () => {
  it("accepts a CLB check and fills the timing defaults", () => {
    assert.deepEqual(parsed({ clb: { loadBalancerId: "lb-bp1o94dp5i6ea4jzm5ehq" } }), {
      check: { type: "clb", loadBalancerId: "lb-bp1o94dp5i6ea4jzm5ehq" },
      warmupSeconds: 0, timeoutSeconds: 600, intervalSeconds: 2, healthyThreshold: 2,
    });
    assert.deepEqual(HEALTH_DEFAULTS, { warmupSeconds: 0, timeoutSeconds: 600, intervalSeconds: 2, healthyThreshold: 2 });
  });

  it("accepts an HTTP check with every field", () => {
    assert.deepEqual(
      parsed({ http: { url: "http://{privateIp}:8080/healthz?id={instanceId}", expectedStatus: 204 }, warmupSeconds: 30, timeoutSeconds: 120, intervalSeconds: 0.5, healthyThreshold: 3 }),
      {
        check: { type: "http", url: "http://{privateIp}:8080/healthz?id={instanceId}", expectedStatus: 204 },
        warmupSeconds: 30, timeoutSeconds: 120, intervalSeconds: 0.5, healthyThreshold: 3,
      },
    );
    assert.deepEqual(parsed({ clb: { loadBalancerId: "lb-x", listenerPort: 443 } }).check, { type: "clb", loadBalancerId: "lb-x", listenerPort: 443 });
  });

  const bad: { given: string; raw: unknown; property: string; fix: RegExp }[] = [
    { given: "not an object", raw: "lb-x", property: "healthCheck", fix: /must be an object with exactly one of clb or http/ },
    { given: "neither clb nor http", raw: { warmupSeconds: 5 }, property: "healthCheck", fix: /needs one of clb .* or http/ },
    { given: "both clb and http", raw: { clb: { loadBalancerId: "lb-x" }, http: { url: "http://{privateIp}/" } }, property: "healthCheck", fix: /exactly one of clb or http, not both/ },
    { given: "an unknown top-level field", raw: { clb: { loadBalancerId: "lb-x" }, retries: 3 }, property: "healthCheck.retries", fix: /not a known field; remove it/ },
    { given: "clb not an object", raw: { clb: "lb-x" }, property: "healthCheck.clb", fix: /must be an object \{ loadBalancerId/ },
    { given: "no loadBalancerId", raw: { clb: {} }, property: "healthCheck.clb.loadBalancerId", fix: /is required: the CLB instance ID, e\.g\. lb-/ },
    { given: "a loadBalancerId without lb-", raw: { clb: { loadBalancerId: "alb-123" } }, property: "healthCheck.clb.loadBalancerId", fix: /starts with lb-/ },
    { given: "listenerPort 0", raw: { clb: { loadBalancerId: "lb-x", listenerPort: 0 } }, property: "healthCheck.clb.listenerPort", fix: /whole number from 1 to 65535/ },
    { given: "listenerPort as a string", raw: { clb: { loadBalancerId: "lb-x", listenerPort: "80" } }, property: "healthCheck.clb.listenerPort", fix: /whole number from 1 to 65535/ },
    { given: "an unknown clb field", raw: { clb: { loadBalancerId: "lb-x", listenerId: "l" } }, property: "healthCheck.clb.listenerId", fix: /not a known field/ },
    { given: "http without url", raw: { http: {} }, property: "healthCheck.http.url", fix: /is required: an http\(s\) URL/ },
    { given: "an unknown placeholder", raw: { http: { url: "http://{ip}/h" } }, property: "healthCheck.http.url", fix: /unknown placeholder\(s\) \{ip\}; use only \{instanceId\}, \{privateIp\} and \{publicIp\}/ },
    { given: "not a URL", raw: { http: { url: "{privateIp}:8080/h" } }, property: "healthCheck.http.url", fix: /(not a URL once filled in|must start with http)/ },
    { given: "an ftp URL", raw: { http: { url: "ftp://{privateIp}/h" } }, property: "healthCheck.http.url", fix: /must start with http:\/\/ or https:\/\// },
    { given: "user info in the URL", raw: { http: { url: "http://admin:pw@{privateIp}/h" } }, property: "healthCheck.http.url", fix: /must not carry user info/ },
    { given: "expectedStatus 700", raw: { http: { url: "http://{privateIp}/", expectedStatus: 700 } }, property: "healthCheck.http.expectedStatus", fix: /HTTP status from 100 to 599/ },
    { given: "warmupSeconds negative", raw: { clb: { loadBalancerId: "lb-x" }, warmupSeconds: -1 }, property: "healthCheck.warmupSeconds", fix: /from 0 to 3600; got -1/ },
    { given: "timeoutSeconds 0", raw: { clb: { loadBalancerId: "lb-x" }, timeoutSeconds: 0 }, property: "healthCheck.timeoutSeconds", fix: /from 1 to 86400; got 0/ },
    { given: "intervalSeconds too small", raw: { clb: { loadBalancerId: "lb-x" }, intervalSeconds: 0.01 }, property: "healthCheck.intervalSeconds", fix: /from 0\.1 to 300/ },
    { given: "healthyThreshold 1.5", raw: { clb: { loadBalancerId: "lb-x" }, healthyThreshold: 1.5 }, property: "healthCheck.healthyThreshold", fix: /whole number of observations from 1 to 10/ },
  ];
  for (const c of bad) {
    it(`refuses ${c.given}, naming ${c.property} and the fix`, () => {
      const found = problems(c.raw);
      const p = found.find((x) => x.property === c.property);
      assert.ok(p, `no problem on ${c.property}: ${JSON.stringify(found)}`);
      assert.match(p.reason, c.fix);
      assert.ok(p.reason.startsWith(c.property) || p.reason.includes(c.property), `the reason names the field: ${p.reason}`);
    });
  }

  it("reports every problem at once", () => {
    const found = problems({ clb: { loadBalancerId: "x", listenerPort: -1 }, timeoutSeconds: "long" });
    assert.deepEqual(found.map((p) => p.property).sort(), ["healthCheck.clb.listenerPort", "healthCheck.clb.loadBalancerId", "healthCheck.timeoutSeconds"]);
  });
});

describe("health: reading the signals", () => {
  const row = (serverId: string, listenerPort: number, status: HealthStatusRow["status"]): HealthStatusRow => ({ serverId, listenerPort, port: listenerPort, status });

  it("CLB rows: all normal → serving; any abnormal → notServing; unavailable is no signal; no row → noSignal", () => {
    assert.equal(observationFromRows([row("i-1", 80, "normal"), row("i-2", 80, "abnormal")], "i-1"), "serving");
    assert.equal(observationFromRows([row("i-1", 80, "normal"), row("i-1", 443, "abnormal")], "i-1"), "notServing");
    assert.equal(observationFromRows([row("i-1", 80, "normal"), row("i-1", 443, "unavailable")], "i-1"), "serving");
    assert.equal(observationFromRows([row("i-1", 443, "unavailable")], "i-1"), "noSignal");
    assert.equal(observationFromRows([row("i-2", 80, "normal")], "i-1"), "noSignal");
  });

  it("fills the URL template, or says it cannot", () => {
    assert.equal(healthUrlFor("http://{privateIp}:8080/h?i={instanceId}", I), "http://10.0.0.1:8080/h?i=i-1");
    assert.equal(healthUrlFor("http://{publicIp}/h", I), undefined);
    assert.equal(healthUrlFor("http://{publicIp}/h", { ...I, publicIp: "47.1.1.1" }), "http://47.1.1.1/h");
  });

  /** A client answering scripted rows and statuses, recording its calls. */
  function fakeClient(rows: HealthStatusRow[], statuses: Record<string, HttpProbeResult> = {}) {
    const calls: string[] = [];
    const client: HealthClient = {
      describeHealthStatus: async (q) => {
        calls.push(`DescribeHealthStatus ${q.loadBalancerId}${q.listenerPort !== undefined ? `:${q.listenerPort}` : ""}`);
        return rows;
      },
      probeHttp: async (url, timeoutMs) => {
        calls.push(`GET ${url} (${timeoutMs} ms)`);
        return statuses[url] ?? { error: "ECONNREFUSED" };
      },
    };
    return { client, calls };
  }

  it("the CLB monitor asks once for all the instances it is given", async () => {
    const { client, calls } = fakeClient([row("i-1", 80, "normal"), row("i-2", 80, "abnormal")]);
    const m = healthMonitorFor(parsed({ clb: { loadBalancerId: "lb-x", listenerPort: 80 } }), client);
    const got = await m.observe([{ instanceId: "i-1" }, { instanceId: "i-2" }, { instanceId: "i-3" }]);
    assert.deepEqual([...got], [["i-1", "serving"], ["i-2", "notServing"], ["i-3", "noSignal"]]);
    assert.deepEqual(calls, ["DescribeHealthStatus lb-x:80"]);
  });

  it("the HTTP monitor probes each URL once; only the expected status serves", async () => {
    const { client, calls } = fakeClient([], { "http://10.0.0.1/h": { status: 200 }, "http://10.0.0.2/h": { status: 302 } });
    const m = healthMonitorFor(parsed({ http: { url: "http://{privateIp}/h" }, intervalSeconds: 2 }), client);
    const got = await m.observe([I, { instanceId: "i-2", privateIp: "10.0.0.2" }, { instanceId: "i-3", privateIp: "10.0.0.3" }, { instanceId: "i-4" }]);
    assert.deepEqual([...got], [["i-1", "serving"], ["i-2", "notServing"], ["i-3", "notServing"], ["i-4", "noSignal"]]);
    assert.deepEqual(calls, ["GET http://10.0.0.1/h (2000 ms)", "GET http://10.0.0.2/h (2000 ms)", "GET http://10.0.0.3/h (2000 ms)"]);
  });

  it("healthTargetProblems: refuses, before any change, an instance that is not a backend or has only unavailable rows", async () => {
    const { client, calls } = fakeClient([row("i-1", 80, "normal"), row("i-2", 443, "unavailable")]);
    const found = await healthTargetProblems(parsed({ clb: { loadBalancerId: "lb-x" } }), client, [{ instanceId: "i-1" }, { instanceId: "i-2" }, { instanceId: "i-3" }], "healthCheck");
    assert.deepEqual(found.map((p) => p.property), ["healthCheck.clb.loadBalancerId", "healthCheck.clb.loadBalancerId"]);
    assert.match(found[0]!.reason, /i-2 .*unavailable: no health check on the listener.*turn the listener's health check on/);
    assert.match(found[1]!.reason, /instance i-3 is not a backend server of lb-x.*add it to the load balancer/);
    assert.deepEqual(calls, ["DescribeHealthStatus lb-x"]);
  });

  it("healthTargetProblems: an unknown load balancer is a problem on loadBalancerId; other errors are thrown", async () => {
    const notFound: HealthClient = {
      describeHealthStatus: async () => {
        throw new EcsApiError({ action: "DescribeHealthStatus", code: "InvalidLoadBalancerId.NotFound", message: "nope", httpStatus: 404 });
      },
      probeHttp: async () => ({ error: "unused" }),
    };
    const found = await healthTargetProblems(parsed({ clb: { loadBalancerId: "lb-gone" } }), notFound, [I], "healthCheck");
    assert.deepEqual(found.map((p) => p.property), ["healthCheck.clb.loadBalancerId"]);
    assert.match(found[0]!.reason, /lb-gone was not found/);
    const forbidden: HealthClient = {
      ...notFound,
      describeHealthStatus: async () => {
        throw new EcsApiError({ action: "DescribeHealthStatus", code: "Forbidden.RAM", message: "no", httpStatus: 403 });
      },
    };
    await assert.rejects(healthTargetProblems(parsed({ clb: { loadBalancerId: "lb-x" } }), forbidden, [I], "healthCheck"), /Forbidden\.RAM/);
  });

  it("healthTargetProblems: an HTTP URL needing a public IP the instance lacks", async () => {
    const { client, calls } = fakeClient([]);
    const found = await healthTargetProblems(parsed({ http: { url: "http://{publicIp}/h" } }), client, [I, { ...I, instanceId: "i-2", publicIp: "47.1.1.1" }], "healthCheck");
    assert.deepEqual(found.map((p) => p.property), ["healthCheck.http.url"]);
    assert.match(found[0]!.reason, /i-1 does not have \(no public IP\)/);
    assert.deepEqual(calls, [], "nothing is probed at preview");
  });
});

describe("health: waitUntilServing (fake clock)", () => {
  const timing = { intervalSeconds: 2, timeoutSeconds: 20, warmupSeconds: 0, healthyThreshold: 2 };

  it("needs two serving observations in a row, then waits the warm-up", async () => {
    // GIVEN an instance not serving for two polls, then serving
    const clock = new FakeClock();
    const m = new ScriptedMonitor(clock, ["notServing", "notServing", "serving"]);
    const progress: WaitProgress[] = [];
    // WHEN waited for with a 30 s warm-up
    const r = await waitUntilServing(m, I, { timing: { ...timing, warmupSeconds: 30 }, clock, onProgress: (p) => progress.push(p) });
    // THEN observed at 0, 2, 4, 6 s; serving confirmed at 6 s; ready 30 s later
    assert.deepEqual(m.calls, [0, 2000, 4000, 6000]);
    assert.deepEqual(r, { ok: true, servingAtMs: T0 + 6000, readyAtMs: T0 + 36_000 });
    assert.deepEqual(clock.sleeps, [2000, 2000, 2000, 30_000]);
    assert.deepEqual(progress.map((p) => [p.observation, p.consecutive]), [["notServing", 0], ["notServing", 0], ["serving", 1], ["serving", 2]]);
    assert.equal(progress[2]!.message, "i-1 serving (1/2 serving in a row), 4 s of 20 s");
  });

  it("a flapping instance (serving, not, serving, …) is never judged serving: it times out", async () => {
    const clock = new FakeClock();
    const flap: HealthObservation[] = Array.from({ length: 40 }, (_, k) => (k % 2 === 0 ? "serving" : "notServing"));
    const m = new ScriptedMonitor(clock, flap);
    const r = await waitUntilServing(m, I, { timing, clock });
    assert.equal(r.ok, false);
    assert.equal(m.calls.length, 11, "0, 2, … 20 s");
    assert.equal(clock.now() - T0, 20_000);
    assert.ok(!r.ok && r.lastObservation === "serving");
    assert.match(!r.ok ? r.reason : "", /i-1 was not judged serving within 20 s .*2 serving observations in a row are needed/);
  });

  it("times out on noSignal with a reason that says so", async () => {
    const clock = new FakeClock();
    const m = new ScriptedMonitor(clock, ["noSignal"]);
    const r = await waitUntilServing(m, I, { timing: { ...timing, timeoutSeconds: 5 }, clock });
    assert.deepEqual(m.calls, [0, 2000, 4000, 5000], "the last poll is at the deadline");
    assert.deepEqual(r, { ok: false, reason: "i-1 gave no health signal within 5 s (last observation: noSignal; 2 serving observations in a row are needed)", lastObservation: "noSignal" });
  });

  it("a retryable error (SLB busy, throttling) counts as noSignal and polling goes on", async () => {
    const clock = new FakeClock();
    const busy = new EcsApiError({ action: "DescribeHealthStatus", code: "SystemBusy", message: "busy", httpStatus: 503 });
    const m = new ScriptedMonitor(clock, [busy, "serving", "serving"]);
    const progress: string[] = [];
    const r = await waitUntilServing(m, I, { timing, clock, onProgress: (p) => progress.push(p.message) });
    assert.deepEqual(r, { ok: true, servingAtMs: T0 + 4000, readyAtMs: T0 + 4000 });
    assert.match(progress[0]!, /^i-1 no signal \(DescribeHealthStatus failed: SystemBusy/);
  });

  it("a non-retryable error ends the wait at once", async () => {
    const clock = new FakeClock();
    const denied = new EcsApiError({ action: "DescribeHealthStatus", code: "Forbidden.RAM", message: "denied", httpStatus: 403 });
    const m = new ScriptedMonitor(clock, ["notServing", denied]);
    const r = await waitUntilServing(m, I, { timing, clock });
    assert.equal(m.calls.length, 2);
    assert.ok(!r.ok);
    assert.equal(r.lastObservation, "notServing");
    assert.match(r.reason, /^the health check failed: DescribeHealthStatus failed: Forbidden\.RAM/);
  });

  it("an abort rejects with the signal's reason, also during the warm-up", async () => {
    const clock = new FakeClock();
    const ac = new AbortController();
    const m = new ScriptedMonitor(clock, ["notServing"]);
    const stop = new Error("stopped by the user");
    const originalSleep = clock.sleep.bind(clock);
    clock.sleep = async (ms, signal) => {
      if (clock.sleeps.length === 2) ac.abort(stop);
      return originalSleep(ms, signal);
    };
    await assert.rejects(waitUntilServing(m, I, { timing, clock, signal: ac.signal }), stop);
    assert.equal(m.calls.length, 3);

    const clock2 = new FakeClock();
    const ac2 = new AbortController();
    const m2 = new ScriptedMonitor(clock2, ["serving"]);
    clock2.sleep = async (ms, signal) => {
      if (ms === 60_000) ac2.abort(stop);
      signal?.throwIfAborted();
      clock2.t += ms;
    };
    await assert.rejects(waitUntilServing(m2, I, { timing: { ...timing, warmupSeconds: 60 }, clock: clock2, signal: ac2.signal }), stop);
  });

  it("threshold 1 and the defaults: one serving observation is enough when asked for", async () => {
    const clock = new FakeClock();
    const m = new ScriptedMonitor(clock, ["serving"]);
    const r = await waitUntilServing(m, I, { timing: { healthyThreshold: 1 }, clock });
    assert.deepEqual(r, { ok: true, servingAtMs: T0, readyAtMs: T0 });
  });
});

describe("client: the CLB endpoint (slbEndpointFor)", () => {
  it("slbEndpoint, then PULUMI_ECS_SPEC_SLB_ENDPOINT, then the custom ECS endpoint, then the region's (slb.aliyuncs.com for cn-hangzhou)", () => {
    assert.equal(slbEndpointFor("eu-central-1", {}, {}), "https://slb.eu-central-1.aliyuncs.com");
    assert.equal(slbEndpointFor("cn-hangzhou", {}, {}), "https://slb.aliyuncs.com");
    assert.equal(slbEndpointFor("cn-hangzhou", { endpoint: "http://127.0.0.1:8080" }, {}), "http://127.0.0.1:8080");
    assert.equal(slbEndpointFor("cn-hangzhou", { endpoint: "http://127.0.0.1:8080" }, { PULUMI_ECS_SPEC_SLB_ENDPOINT: "https://slb-proxy.example.com" }), "https://slb-proxy.example.com");
    assert.equal(slbEndpointFor("cn-hangzhou", { slbEndpoint: "https://slb.aliyuncs.com" }, { PULUMI_ECS_SPEC_SLB_ENDPOINT: "https://other.example.com" }), "https://slb.aliyuncs.com");
    assert.equal(slbEndpointFor("cn-hangzhou", { endpoint: "https://ecs.example.com" }, { PULUMI_ECS_SPEC_SLB_ENDPOINT: "" }), "https://ecs.example.com");
  });

  it("checks it like the ECS endpoint: plain http only on loopback", () => {
    assert.throws(() => slbEndpointFor("cn-hangzhou", { slbEndpoint: "http://slb.example.com" }, {}), EndpointError);
    assert.throws(() => slbEndpointFor("cn-hangzhou", {}, { PULUMI_ECS_SPEC_SLB_ENDPOINT: "https://x.example.com/path" }), EndpointError);
  });

  it("parses DescribeHealthStatus answers; an unknown status reads as unavailable (no signal)", () => {
    assert.deepEqual(
      parseHealthStatus({ BackendServers: { BackendServer: [
        { ListenerPort: 80, ServerId: "i-1", Port: 8080, ServerIp: "10.0.0.1", ServerHealthStatus: "abnormal", Protocol: "http" },
        { ListenerPort: 80, ServerId: "i-2", Port: 8080, ServerHealthStatus: "initial" },
      ] } }),
      [{ serverId: "i-1", listenerPort: 80, port: 8080, status: "abnormal" }, { serverId: "i-2", listenerPort: 80, port: 8080, status: "unavailable" }],
    );
    assert.deepEqual(parseHealthStatus({ RequestId: "R" }), []);
    assert.deepEqual(describeHealthStatusParams("cn-hangzhou", { loadBalancerId: "lb-x" }), { RegionId: "cn-hangzhou", LoadBalancerId: "lb-x" });
    assert.deepEqual(describeHealthStatusParams("cn-hangzhou", { loadBalancerId: "lb-x", listenerPort: 443 }), { RegionId: "cn-hangzhou", LoadBalancerId: "lb-x", ListenerPort: "443" });
  });
});
