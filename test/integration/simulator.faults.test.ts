/**
 * ecs-sim fault injection, the admin API under /_sim/, and state persistence, through the real
 * clients (and plain `fetch` for the admin API).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as $Ecs from "@alicloud/ecs20140526";
import { demoState, startSimulator, type CallLogEntry, type RunningSimulator, type SimState } from "../../simulator/index.js";
import { ecsClient, expectEcsError, expectPopError, inst, modifyRequest, popClient, rejection, startFast, waitFor } from "../helpers/sim.js";

const REGION = "cn-hangzhou";
const WEB = "i-demo-web-01";

async function admin(sim: RunningSimulator, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return (await sim.admin(method, path, body)) as { status: number; json: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A request to the simulator over plain HTTP with any headers (fetch may not set Host). */
function raw(sim: RunningSimulator, method: string, path: string, headers: Record<string, string>, body = ""): Promise<{ status: number; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${sim.url}${path}`, { method, headers: { ...headers, "content-length": String(Buffer.byteLength(body)) } }, (res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, json: JSON.parse(text) }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("ecs-sim: faults, admin API, persistence", function () {
  this.timeout(10_000);
  let sim: RunningSimulator;
  afterEach(async () => sim && (await sim.close()));

  describe("fault injection", () => {
    it("error: the next N calls of an action answer the code, then calls go through", async () => {
      // GIVEN 2 injected ServiceUnavailable errors on ModifyInstanceSpec
      sim = await startFast();
      sim.addFault({ action: "ModifyInstanceSpec", kind: "error", code: "ServiceUnavailable", count: 2 });
      const ecs = ecsClient(sim);
      // WHEN three calls are made  THEN two fail with 503 (ServerError), the third applies
      const e = await expectEcsError(ecs.modifyInstanceSpec(modifyRequest({ InstanceId: WEB, InternetMaxBandwidthOut: 7 })), "ServiceUnavailable", 503);
      assert.equal(e.name, "ServerError");
      await expectPopError(sim, popClient(sim).request("ModifyInstanceSpec", { InstanceId: WEB, InternetMaxBandwidthOut: 7 }), "ServiceUnavailable", 503);
      await ecs.modifyInstanceSpec(modifyRequest({ InstanceId: WEB, InternetMaxBandwidthOut: 7 }));
      assert.equal(inst(sim.getState(), WEB).internetMaxBandwidthOut, 7);
      assert.deepEqual(sim.calls().map((c) => c.fault ?? "-"), ["error", "error", "-"]);
      assert.deepEqual(sim.faults(), []);
    });

    it("error: a fault can target one instance and carry its own status and message", async () => {
      sim = await startFast();
      sim.addFault({ action: "*", instanceId: "i-demo-api-01", kind: "error", code: "OperationConflict", httpStatus: 409, message: "busy" });
      // WHEN another instance is changed  THEN it is not hit
      await popClient(sim).request("ModifyInstanceSpec", { InstanceId: WEB, InternetMaxBandwidthOut: 8 });
      const e = await expectEcsError(ecsClient(sim).describeInstanceAttribute(new $Ecs.DescribeInstanceAttributeRequest({ instanceId: "i-demo-api-01" })), "OperationConflict", 409);
      assert.match(e.message ?? "", /busy/);
    });

    it("error: a fault scoped to one instance hits DescribeInstances calls whose InstanceIds name it, and only those", async () => {
      // GIVEN an InternalError fault on DescribeInstances for i-demo-api-01 only
      sim = await startFast();
      sim.addFault({ action: "DescribeInstances", instanceId: "i-demo-api-01", kind: "error", code: "InternalError" });
      const ecs = ecsClient(sim);
      const describe = (ids?: string[]) =>
        ecs.describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: REGION, instanceIds: ids && JSON.stringify(ids) }));
      // WHEN the instances are listed without InstanceIds, and then another instance is read
      await describe();
      await describe([WEB]);
      // THEN neither call is hit (a listing names no instance)
      assert.equal(sim.faults().length, 1);
      // WHEN a call names it among others  THEN that call is hit, once
      await expectEcsError(describe([WEB, "i-demo-api-01"]), "InternalError", 500);
      const r = await describe(["i-demo-api-01"]);
      assert.equal(r.body!.instances!.instance![0].instanceId, "i-demo-api-01");
      assert.deepEqual(sim.calls().map((c) => c.fault ?? "-"), ["-", "-", "error", "-"]);
    });

    it("latency: the answer is delayed (pop-core times out when the delay exceeds its timeout)", async () => {
      sim = await startFast();
      sim.addFault({ action: "DescribeInstances", kind: "latency", ms: 300 });
      const t0 = Date.now();
      await ecsClient(sim).describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: REGION }));
      assert.ok(Date.now() - t0 >= 290, "delayed");
      sim.addFault({ action: "DescribeInstances", kind: "latency", ms: 400 });
      const slow = new (popClient(sim).constructor as any)({ endpoint: sim.url, apiVersion: "2014-05-26", accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret, opts: { timeout: 100 } }); // eslint-disable-line @typescript-eslint/no-explicit-any
      const e = await rejection(slow.request("DescribeInstances", { RegionId: REGION }));
      assert.equal(e.name, "RequestTimeoutError");
    });

    it("latency: a delay that is not a number of ms from 0 to one hour is refused, not turned into no delay", async () => {
      // GIVEN a simulator
      sim = await startFast();
      // WHEN latency faults of 1e12 ms, -1 ms, an hour and a millisecond, and Infinity are added
      const refused = "fault.ms must be a number of milliseconds from 0 to 3600000";
      assert.throws(() => sim.addFault({ action: "DescribeInstances", kind: "latency", ms: 1e12 }), { message: refused });
      assert.throws(() => sim.addFault({ action: "DescribeInstances", kind: "latency", ms: 3_600_001 }), { message: refused });
      assert.throws(() => sim.addFault({ action: "DescribeInstances", kind: "latency", ms: Infinity }), { message: refused });
      const viaAdmin = await admin(sim, "POST", "/_sim/faults", { action: "DescribeInstances", kind: "latency", ms: -1 });
      // THEN each is refused (400 over the admin API) and no fault is active
      assert.deepEqual(viaAdmin, { status: 400, json: { error: refused } });
      assert.deepEqual(sim.faults(), []);
      // AND a count that is not a whole number is refused too
      assert.throws(() => sim.addFault({ action: "*", kind: "drop", count: 1.5 }), { message: "fault.count must be an integer >= 1" });
    });

    it("latency: closing the simulator cancels a delay in progress", async () => {
      // GIVEN a call held by a one-hour latency fault
      sim = await startFast();
      const timersBefore = process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
      sim.addFault({ action: "DescribeInstances", kind: "latency", ms: 3_600_000 });
      const held = popClient(sim).request("DescribeInstances", { RegionId: REGION }, { timeout: 60_000 }).catch((e: Error) => e);
      await waitFor(() => sim.faults().length === 0);
      // WHEN the simulator closes
      const t0 = Date.now();
      await sim.close();
      // THEN it closes at once, the client sees the connection end, and no timer is left behind
      assert.ok(Date.now() - t0 < 1000, "closed at once");
      assert.ok((await held) instanceof Error);
      assert.ok(process.getActiveResourcesInfo().filter((r) => r === "Timeout").length <= timersBefore, "the one-hour timer is gone");
      sim = undefined as unknown as RunningSimulator;
    });

    it("drop: the connection closes without an answer and nothing is applied", async () => {
      sim = await startFast();
      sim.addFault({ action: "ModifyInstanceSpec", kind: "drop" });
      const e = await rejection(popClient(sim).request("ModifyInstanceSpec", { InstanceId: WEB, InternetMaxBandwidthOut: 9 }));
      assert.equal(e.code, "ECONNRESET");
      assert.equal(inst(sim.getState(), WEB).internetMaxBandwidthOut, 5);
      assert.deepEqual(pick(sim.calls()[0]), { action: "ModifyInstanceSpec", httpStatus: 0, fault: "drop" });
    });

    it("badGateway: a non-JSON HTML 502 (pop-core: SyntaxError; ecs client: an error), nothing applied", async () => {
      sim = await startFast();
      sim.addFault({ action: "ModifyInstanceSpec", kind: "badGateway", count: 2 });
      const e1 = await rejection(popClient(sim).request("ModifyInstanceSpec", { InstanceId: WEB, InternetMaxBandwidthOut: 9 }));
      assert.equal(e1.name, "SyntaxError");
      await rejection(ecsClient(sim).modifyInstanceSpec(modifyRequest({ InstanceId: WEB, InternetMaxBandwidthOut: 9 })));
      assert.deepEqual(sim.calls().map((c) => c.httpStatus), [502, 502]);
      assert.equal(inst(sim.getState(), WEB).internetMaxBandwidthOut, 5);
    });

    it("lostResponse: the change is applied but the answer lost; a retry with the ClientToken gets the original answer, one without gets Throttling", async () => {
      // GIVEN the answer of the next ModifyInstanceSpec will be lost
      sim = await startFast();
      sim.addFault({ action: "ModifyInstanceSpec", kind: "lostResponse" });
      const p = { InstanceId: WEB, InternetMaxBandwidthOut: 40, ClientToken: "lost-0001" };
      // WHEN the call is made  THEN the client sees a connection error
      const e = await rejection(ecsClient(sim).modifyInstanceSpec(modifyRequest(p)));
      assert.ok(e, "rejected");
      // AND yet the change is applied, and the log keeps the lost answer
      assert.equal(inst(sim.getState(), WEB).internetMaxBandwidthOut, 40);
      const lost = sim.calls()[0];
      assert.equal(lost.fault, "lostResponse");
      assert.equal(lost.httpStatus, 200);
      // WHEN retried with the same token  THEN the same answer
      const again = await ecsClient(sim).modifyInstanceSpec(modifyRequest(p));
      assert.equal(again.body!.requestId, (lost.response as { RequestId: string }).RequestId);
      // WHEN retried without a token  THEN the cooldown refuses it
      await expectPopError(sim, popClient(sim).request("ModifyInstanceSpec", { InstanceId: WEB, InternetMaxBandwidthOut: 40 }), "Throttling", 400);
    });
  });

  describe("admin API under /_sim/", () => {
    it("GET/PUT /_sim/state reads and replaces the whole state", async () => {
      sim = await startFast();
      const health = await admin(sim, "GET", "/_sim/health");
      assert.deepEqual(health.json, { ok: true, url: sim.url, regionId: REGION, accessKeyId: sim.accessKeyId });
      const got = await admin(sim, "GET", "/_sim/state");
      assert.equal(got.status, 200);
      const state = got.json as SimState;
      assert.equal(state.instances.length, 20);
      assert.deepEqual(state.loadBalancers.map((l) => l.loadBalancerId), ["lb-demo-tier"]);
      // WHEN the account is put in arrears through PUT
      state.account.arrears = true;
      assert.deepEqual((await admin(sim, "PUT", "/_sim/state", state)).json, { ok: true });
      // THEN the API follows the new state
      await expectPopError(sim, popClient(sim).request("ModifyInstanceSpec", { InstanceId: WEB, InternetMaxBandwidthOut: 6 }), "Account.Arrearage", 400);
      // AND a malformed state is refused, leaving the state alone
      const bad = await admin(sim, "PUT", "/_sim/state", { version: 2 });
      assert.equal(bad.status, 400);
      assert.equal(sim.getState().account.arrears, true);
      await admin(sim, "POST", "/_sim/reset");
      assert.equal(sim.getState().account.arrears, false);
    });

    it("POST/GET/DELETE /_sim/faults manage faults; GET/DELETE /_sim/calls read and clear the log", async () => {
      sim = await startFast();
      const added = await admin(sim, "POST", "/_sim/faults", [{ action: "StopInstance", kind: "error", code: "InternalError", count: 1 }]);
      assert.equal(added.status, 200);
      assert.equal((await admin(sim, "GET", "/_sim/faults")).json.length, 1);
      assert.equal((await admin(sim, "POST", "/_sim/faults", { action: "StopInstance", kind: "explode" })).status, 400);
      await expectPopError(sim, popClient(sim).request("StopInstance", { InstanceId: WEB }), "InternalError", 500);
      await popClient(sim).request("DescribeInstances", { RegionId: REGION });
      const page = (await admin(sim, "GET", "/_sim/calls?action=StopInstance")).json as { calls: CallLogEntry[]; next: number | null; dropped: number };
      assert.equal(page.next, null);
      assert.equal(page.dropped, 0);
      const calls = page.calls;
      assert.equal(calls.length, 1);
      assert.deepEqual(Object.keys(calls[0]).sort(), ["action", "at", "atMs", "code", "fault", "httpStatus", "params", "response", "seq", "signatureVersion"]);
      assert.equal(calls[0].seq, 1);
      assert.deepEqual(calls[0].params, { InstanceId: WEB });
      assert.equal(calls[0].code, "InternalError");
      assert.ok(!Number.isNaN(Date.parse(calls[0].at)));
      await admin(sim, "POST", "/_sim/faults", { action: "*", kind: "drop" });
      await admin(sim, "DELETE", "/_sim/faults");
      assert.deepEqual((await admin(sim, "GET", "/_sim/faults")).json, []);
      await admin(sim, "DELETE", "/_sim/calls");
      assert.deepEqual(sim.calls(), []);
    });

    it("the call log keeps at most callLog.maxEntries entries, the newest, and counts the ones let go", async () => {
      // GIVEN a call log bounded to 5 entries
      sim = await startFast({ callLog: { maxEntries: 5 } });
      // WHEN 12 calls are made
      for (let i = 0; i < 12; i++) await popClient(sim).request("DescribeInstanceAttribute", { InstanceId: WEB });
      // THEN the last 5 are kept, and 7 were let go
      assert.deepEqual(sim.calls().map((c) => c.seq), [8, 9, 10, 11, 12]);
      const stats = sim.callLogStats();
      assert.deepEqual({ entries: stats.entries, dropped: stats.dropped, lastSeq: stats.lastSeq, maxEntries: stats.maxEntries },
        { entries: 5, dropped: 7, lastSeq: 12, maxEntries: 5 });
      assert.equal((await admin(sim, "GET", "/_sim/config")).json.callLog.dropped, 7);
    });

    it("the call log keeps at most callLog.maxBytes bytes of entries (as JSON), so large answers do not pile up", async () => {
      // GIVEN the size of one DescribeInstances entry (10 instances per page) as the log keeps it
      sim = await startFast();
      await popClient(sim).request("DescribeInstances", { RegionId: REGION });
      const one = Buffer.byteLength(JSON.stringify(sim.calls()[0]));
      assert.ok(one > 10_000, `an entry carries the whole answer (${one} bytes)`);
      await sim.close();
      // AND a simulator whose log may hold three and a half of them
      sim = await startFast({ callLog: { maxBytes: Math.floor(one * 3.5) } });
      // WHEN 40 such reads are made
      for (let i = 0; i < 40; i++) await popClient(sim).request("DescribeInstances", { RegionId: REGION });
      // THEN the last 3 are kept and their bytes are within the bound
      assert.deepEqual(sim.calls().map((c) => c.seq), [38, 39, 40]);
      const stats = sim.callLogStats();
      assert.equal(stats.dropped, 37);
      assert.ok(stats.bytes <= stats.maxBytes, `${stats.bytes} <= ${stats.maxBytes}`);
      assert.deepEqual((await admin(sim, "GET", "/_sim/calls")).json.calls.map((c: CallLogEntry) => c.seq), [38, 39, 40]);
    });

    it("GET /_sim/calls is paged: limit (default 100, at most 1000) and after=<next of the previous page>", async () => {
      // GIVEN 250 logged calls, every fifth a StopInstance refused as IncorrectInstanceStatus
      sim = await startFast({ rateLimitPerMinute: 0 });
      const pop = popClient(sim);
      for (let i = 1; i <= 250; i++) {
        if (i % 5 === 0) await pop.request("StopInstance", { InstanceId: "i-demo-batch-01" }).catch(() => undefined);
        else await pop.request("DescribeInstanceAttribute", { InstanceId: WEB });
      }
      // WHEN the log is read without a limit  THEN the first 100 come, and `next` points past them
      const first = (await admin(sim, "GET", "/_sim/calls")).json;
      assert.deepEqual([first.calls.length, first.calls[0].seq, first.calls[99].seq, first.next, first.dropped], [100, 1, 100, 100, 0]);
      // WHEN the following pages are read with after=next  THEN they continue, and the last one says next=null
      const second = (await admin(sim, "GET", `/_sim/calls?after=${first.next}&limit=120`)).json;
      assert.deepEqual([second.calls.length, second.calls[0].seq, second.next], [120, 101, 220]);
      const last = (await admin(sim, "GET", `/_sim/calls?after=${second.next}&limit=1000`)).json;
      assert.deepEqual([last.calls.length, last.calls[0].seq, last.calls.at(-1).seq, last.next], [30, 221, 250, null]);
      // AND an action filter pages over the matching calls only
      const stops = (await admin(sim, "GET", "/_sim/calls?action=StopInstance&limit=20")).json;
      assert.deepEqual(stops.calls.map((c: CallLogEntry) => c.seq), Array.from({ length: 20 }, (_, i) => (i + 1) * 5));
      const moreStops = (await admin(sim, "GET", `/_sim/calls?action=StopInstance&after=${stops.next}`)).json;
      assert.deepEqual(moreStops.calls.map((c: CallLogEntry) => c.seq), Array.from({ length: 30 }, (_, i) => (i + 21) * 5));
      assert.equal(moreStops.next, null);
      // AND out-of-range paging values are refused
      assert.equal((await admin(sim, "GET", "/_sim/calls?limit=1001")).status, 400);
      assert.equal((await admin(sim, "GET", "/_sim/calls?after=-1")).status, 400);
      // AND a clear empties the log without reusing positions
      await admin(sim, "DELETE", "/_sim/calls");
      await pop.request("DescribeInstanceAttribute", { InstanceId: WEB });
      assert.deepEqual(sim.calls().map((c) => c.seq), [251]);
    });

    it("PUT /_sim/timing changes durations; GET /_sim/config shows them", async () => {
      sim = await startFast();
      await admin(sim, "PUT", "/_sim/timing", { cooldownSeconds: 0 });
      assert.equal((await admin(sim, "GET", "/_sim/config")).json.timing.cooldownSeconds, 0);
      await popClient(sim).request("ModifyInstanceSpec", { InstanceId: WEB, InternetMaxBandwidthOut: 6 });
      await popClient(sim).request("ModifyInstanceSpec", { InstanceId: WEB, InternetMaxBandwidthOut: 7 });
      assert.equal((await admin(sim, "PUT", "/_sim/timing", { cooldownSeconds: -1 })).status, 400);
    });
  });

  describe("who may use the admin API", () => {
    const DROP_ALL = JSON.stringify({ action: "*", kind: "drop" });

    it("refuses a request without the admin token (401), and one with another token", async () => {
      // GIVEN a simulator and its admin token
      sim = await startFast();
      const host = sim.endpointHost;
      // WHEN a fault is posted without the token, and with a wrong one
      const none = await raw(sim, "POST", "/_sim/faults", { host, "content-type": "application/json" }, DROP_ALL);
      const wrong = await raw(sim, "POST", "/_sim/faults", { host, "content-type": "application/json", authorization: "Bearer not-the-token-000000" }, DROP_ALL);
      // THEN both are refused, and no fault is active
      const message = "the admin API needs the header authorization: Bearer <admin token> (printed by ecs-sim at start)";
      assert.deepEqual(none, { status: 401, json: { error: message } });
      assert.deepEqual(wrong, { status: 401, json: { error: message } });
      assert.deepEqual(sim.faults(), []);
      // AND every route needs it, reads too
      for (const [method, path] of [["GET", "/_sim/health"], ["GET", "/_sim/state"], ["GET", "/_sim/calls"], ["POST", "/_sim/reset"], ["DELETE", "/_sim/calls"]]) {
        assert.equal((await raw(sim, method, path, { host })).status, 401, `${method} ${path}`);
      }
      // AND with the token the same request is served
      const ok = await raw(sim, "POST", "/_sim/faults", { host, "content-type": "application/json", authorization: `Bearer ${sim.adminToken}` }, DROP_ALL);
      assert.equal(ok.status, 200);
      assert.equal(sim.faults().length, 1);
    });

    it("accepts JSON bodies only: a text/plain body (what a web form can send) is refused with 415", async () => {
      sim = await startFast();
      const headers = { host: sim.endpointHost, authorization: `Bearer ${sim.adminToken}` };
      // WHEN a valid fault is posted as text/plain, as a form, and with no type
      for (const type of ["text/plain", "application/x-www-form-urlencoded", undefined]) {
        const r = await raw(sim, "POST", "/_sim/faults", type ? { ...headers, "content-type": type } : headers, DROP_ALL);
        // THEN it is refused and nothing changes
        assert.deepEqual(r, { status: 415, json: { error: "the admin API accepts only application/json bodies" } }, String(type));
      }
      assert.deepEqual(sim.faults(), []);
      // AND application/json with a charset is fine; a body-less POST needs no type
      assert.equal((await raw(sim, "POST", "/_sim/faults", { ...headers, "content-type": "application/json; charset=utf-8" }, DROP_ALL)).status, 200);
      assert.equal((await raw(sim, "POST", "/_sim/reset", headers)).status, 200);
    });

    it("refuses a Host that is a DNS name other than localhost (DNS rebinding), and any request from a web page (Origin)", async () => {
      sim = await startFast();
      const port = new URL(sim.url).port;
      const auth = { authorization: `Bearer ${sim.adminToken}` };
      // WHEN the right token comes with the Host of a rebound DNS name
      const rebound = await raw(sim, "GET", "/_sim/health", { ...auth, host: `attacker.example:${port}` });
      // THEN it is refused
      assert.deepEqual(rebound, {
        status: 403,
        json: { error: `the admin API answers only requests to localhost, an IP address or an allowed host name, not Host "attacker.example:${port}"` },
      });
      // AND localhost, 127.0.0.1 and [::1] are served
      for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
        assert.equal((await raw(sim, "GET", "/_sim/health", { ...auth, host })).status, 200, host);
      }
      // WHEN a request carries an Origin (a browser sends one with cross-origin requests)  THEN it is refused
      const fromPage = await raw(sim, "POST", "/_sim/reset", { ...auth, host: `127.0.0.1:${port}`, origin: "https://attacker.example" });
      assert.deepEqual(fromPage, { status: 403, json: { error: "the admin API does not answer web pages (the request has an Origin)" } });
    });

    it("accepts host names given in allowedHostNames (e.g. a container's service name)", async () => {
      sim = await startFast({ allowedHostNames: ["ecs-sim"] });
      const auth = { authorization: `Bearer ${sim.adminToken}` };
      assert.equal((await raw(sim, "GET", "/_sim/health", { ...auth, host: "ecs-sim:8080" })).status, 200);
      assert.equal((await raw(sim, "GET", "/_sim/health", { ...auth, host: "ecs-sim.attacker.example:8080" })).status, 403);
    });

    it("uses a new random token per start unless one is given; a malformed one is refused", async () => {
      // GIVEN two simulators started without a token
      sim = await startFast();
      const other = await startFast();
      try {
        // THEN each has its own random token, and sim.admin() uses it
        assert.match(sim.adminToken, /^[A-Za-z0-9_-]{32}$/);
        assert.notEqual(sim.adminToken, other.adminToken);
        assert.equal((await other.admin("GET", "/_sim/health")).status, 200);
        const foreign = await raw(other, "GET", "/_sim/health", { host: other.endpointHost, authorization: `Bearer ${sim.adminToken}` });
        assert.equal(foreign.status, 401);
      } finally {
        await other.close();
      }
      // WHEN a token is given  THEN it is the one required
      const given = await startFast({ adminToken: "scripts-set-this-token-0001" });
      try {
        assert.equal(given.adminToken, "scripts-set-this-token-0001");
        assert.equal((await raw(given, "GET", "/_sim/health", { host: given.endpointHost, authorization: "Bearer scripts-set-this-token-0001" })).status, 200);
      } finally {
        await given.close();
      }
      await assert.rejects(startFast({ adminToken: "short" }), { message: "the admin token must be 16 to 256 characters among A-Z a-z 0-9 . _ ~ + / = -" });
    });

    it("refuses to listen on a non-loopback interface unless allowRemote is set", async () => {
      // WHEN a simulator is started on all interfaces without allowRemote  THEN it refuses
      await assert.rejects(startSimulator({ host: "0.0.0.0" }), {
        message: "host 0.0.0.0 is not loopback: other machines could reach the simulator; set allowRemote to mean it",
      });
      // WHEN allowRemote is set  THEN it listens, and shows a loopback URL that clients can use
      sim = await startSimulator({ host: "0.0.0.0", allowRemote: true });
      assert.match(sim.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      await popClient(sim).request("DescribeInstances", { RegionId: REGION });
    });
  });

  describe("persistence", () => {
    it("--state FILE: every change is written, and a new simulator resumes from the file", async () => {
      const dir = mkdtempSync(join(tmpdir(), "ecs-sim-"));
      const file = join(dir, "state.json");
      try {
        // GIVEN a simulator persisting to FILE
        sim = await startFast({ stateFile: file });
        await popClient(sim).request("ModifyInstanceSpec", { InstanceId: "i-demo-batch-01", InstanceType: "ecs.c6.2xlarge" });
        const written = JSON.parse(readFileSync(file, "utf8")) as SimState;
        assert.equal(inst(written, "i-demo-batch-01").pendingInstanceType, "ecs.c6.2xlarge");
        await sim.close();
        // WHEN another simulator starts on the same file (with a different initial state given)
        const other = demoState();
        other.instances = [];
        sim = await startFast({ stateFile: file, state: other });
        // THEN it resumes: the pending type and the cooldown survive
        assert.equal(inst(sim.getState(), "i-demo-batch-01").pendingInstanceType, "ecs.c6.2xlarge");
        await expectPopError(sim, popClient(sim).request("ModifyInstanceSpec", { InstanceId: "i-demo-batch-01", InstanceType: "ecs.c6.xlarge" }), "Throttling", 400);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

function pick(c: CallLogEntry) {
  return { action: c.action, httpStatus: c.httpStatus, fault: c.fault };
}
