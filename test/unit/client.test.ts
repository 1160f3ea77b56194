/**
 * The client against a scripted local HTTP server: what goes on the wire, and how every kind of
 * answer (JSON error with status, 500 without Code, HTML 502, dropped connection) is normalized.
 */
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { checkEndpoint, createEcsClient, EndpointError, modifyInstanceSpecParams, normalizeError, tagResourcesParams, toSnapshot, untagResourcesParams, type EcsApi } from "../../provider/client";
import { EcsApiError, TRANSPORT_CODES } from "../../provider/errors";

type Reply = { status: number; body: string; type?: string } | "drop";
const SECRET = "sEcReT-do-not-leak";
const TOKEN = "sts-token-do-not-leak";

describe("client: endpoints", () => {
  it("accepts https:// anywhere and http:// only on loopback", () => {
    assert.equal(checkEndpoint("https://ecs.cn-hangzhou.aliyuncs.com/"), "https://ecs.cn-hangzhou.aliyuncs.com");
    assert.equal(checkEndpoint("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    assert.equal(checkEndpoint("http://127.1.2.3:1"), "http://127.1.2.3:1");
    assert.equal(checkEndpoint("http://localhost:9"), "http://localhost:9");
    assert.equal(checkEndpoint("http://[::1]:9"), "http://[::1]:9");
  });
  const refused: [string, RegExp][] = [
    ["http://ecs.cn-hangzhou.aliyuncs.com", /plain http:\/\/ on a non-loopback host/],
    ["http://10.0.0.1:80", /non-loopback/],
    ["ftp://x", /must start with https:\/\//],
    ["https://ecs.example.com/path", /without path/],
    ["not a url", /is not a URL/],
  ];
  for (const [url, why] of refused) {
    it(`refuses ${url}`, () => {
      assert.throws(() => checkEndpoint(url), (e: unknown) => e instanceof EndpointError && why.test(e.message));
      assert.throws(() => createEcsClient({ regionId: "cn-hangzhou", endpoint: url }), EndpointError);
    });
  }
});

describe("client: the wire and the answers", () => {
  let server: http.Server;
  let replies: Reply[];
  let seen: { method: string; params: URLSearchParams }[];
  let api: EcsApi;

  before(async () => {
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        seen.push({ method: req.method!, params: new URLSearchParams(body || req.url!.split("?")[1]) });
        const r = replies.shift() ?? { status: 200, body: '{"RequestId":"R-default"}' };
        if (r === "drop") return req.socket.destroy();
        res.writeHead(r.status, { "content-type": r.type ?? "application/json" });
        res.end(r.body);
      });
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  });
  after(() => new Promise<void>((ok) => server.close(() => ok())));
  beforeEach(() => {
    replies = [];
    seen = [];
    const port = (server.address() as AddressInfo).port;
    api = createEcsClient({
      regionId: "cn-hangzhou",
      endpoint: `http://127.0.0.1:${port}`,
      credentials: { accessKeyId: "AKID", accessKeySecret: SECRET, securityToken: TOKEN },
      timeoutMs: 1000,
    });
  });

  async function failure(p: Promise<unknown>): Promise<EcsApiError> {
    try {
      await p;
    } catch (e) {
      assert.ok(e instanceof EcsApiError, String(e));
      assert.ok(!e.message.includes(SECRET) && !e.message.includes(TOKEN) && !e.message.includes("Signature="), e.message);
      return e;
    }
    assert.fail("expected an EcsApiError");
  }

  it("ModifyInstanceSpec: one flat, string-valued param per set field, signed, POST; no 'undefined'", async () => {
    replies = [{ status: 200, body: '{"RequestId":"R-1"}' }];
    const r = await api.modifyInstanceSpec(
      { item: "temporaryBandwidth", instanceId: "i-1", startTime: "2030-01-01T00:00:00Z", endTime: "2030-01-01T01:00:00Z", internetMaxBandwidthOut: 50 },
      "tok-1",
    );
    // THEN the answer carries the request ID and exactly what was sent (no credential, no signature)
    assert.deepEqual(r, {
      requestId: "R-1",
      sent: {
        InstanceId: "i-1",
        "Temporary.StartTime": "2030-01-01T00:00:00Z",
        "Temporary.EndTime": "2030-01-01T01:00:00Z",
        "Temporary.InternetMaxBandwidthOut": "50",
        ClientToken: "tok-1",
      },
    });
    const p = seen[0]!.params;
    assert.equal(seen[0]!.method, "POST");
    assert.equal(p.get("Action"), "ModifyInstanceSpec");
    assert.equal(p.get("Temporary.StartTime"), "2030-01-01T00:00:00Z");
    assert.equal(p.get("Temporary.InternetMaxBandwidthOut"), "50");
    assert.equal(p.get("ClientToken"), "tok-1");
    assert.equal(p.get("SecurityToken"), TOKEN);
    assert.ok(p.get("Signature"));
    assert.ok(![...p.values()].some((v) => v === "undefined" || v === "[object Object]"));
    assert.equal(p.has("InternetMaxBandwidthOut"), false);
  });

  it("a JSON error with its HTTP status: code, status, request ID, decision", async () => {
    replies = [{ status: 400, body: '{"RequestId":"R-2","HostId":"ecs","Code":"Throttling","Message":"please try again after 5 minutes."}' }];
    const e = await failure(api.modifyInstanceSpec({ item: "bandwidth", instanceId: "i-1", internetMaxBandwidthOut: 10 }, "t"));
    assert.deepEqual([e.code, e.httpStatus, e.requestId, e.decision, e.action], ["Throttling", 400, "R-2", "waitCooldown", "ModifyInstanceSpec"]);
  });

  it("a 500 with a JSON body but no Code (pop-core would call it success) is an error", async () => {
    replies = [{ status: 500, body: '{"RequestId":"R-3"}' }];
    const e = await failure(api.startInstance("i-1"));
    assert.deepEqual([e.code, e.httpStatus, e.requestId, e.decision], [TRANSPORT_CODES.httpError, 500, "R-3", "verifyThenRetry"]);
  });

  it("an HTML 502 (pop-core throws SyntaxError) is an invalid-body error to verify and retry", async () => {
    replies = [{ status: 502, body: "<html><body>502 Bad Gateway</body></html>", type: "text/html" }];
    const e = await failure(api.stopInstance("i-1", "KeepCharging"));
    assert.deepEqual([e.code, e.decision], [TRANSPORT_CODES.invalidBody, "verifyThenRetry"]);
  });

  it("a dropped connection is a network error to verify and retry, with no URL or secret in the message", async () => {
    replies = ["drop"];
    const e = await failure(api.modifyInstanceSpec({ item: "bandwidth", instanceId: "i-1", internetMaxBandwidthIn: 10 }, "t"));
    assert.deepEqual([e.code, e.decision], [TRANSPORT_CODES.network, "verifyThenRetry"]);
  });

  it("describeInstance: DescribeInstances then DescribeDisks; local disks found; absent instance is undefined", async () => {
    replies = [
      { status: 200, body: JSON.stringify({ RequestId: "R", Instances: { Instance: [{ InstanceId: "i-1", Status: "Stopped", InstanceType: "ecs.i2.xlarge", InternetMaxBandwidthOut: 0, InternetMaxBandwidthIn: 10, InstanceChargeType: "PostPaid", OperationLocks: { LockReason: [] }, EipAddress: { AllocationId: "" }, DedicatedHostAttribute: { DedicatedHostId: "" } }] } }) },
      { status: 200, body: JSON.stringify({ RequestId: "R", Disks: { Disk: [{ Category: "cloud_essd" }, { Category: "local_ssd_pro" }] } }) },
      { status: 200, body: JSON.stringify({ RequestId: "R", Instances: { Instance: [] } }) },
    ];
    const s = await api.describeInstance("i-1");
    assert.equal(s!.hasLocalDisks, true);
    assert.equal(s!.eipAllocationId, undefined);
    assert.deepEqual(seen.map((x) => x.params.get("Action")), ["DescribeInstances", "DescribeDisks"]);
    assert.equal(seen[0]!.params.get("InstanceIds"), '["i-1"]');
    assert.equal(await api.describeInstance("i-2", { knownHasLocalDisks: false }), undefined);
    assert.equal(seen.length, 3);
  });

  it("describeAvailableInstanceTypes: only Available types of Available zones", async () => {
    replies = [{
      status: 200,
      body: JSON.stringify({ AvailableZones: { AvailableZone: [
        { ZoneId: "a", Status: "Available", AvailableResources: { AvailableResource: [{ Type: "InstanceType", SupportedResources: { SupportedResource: [{ Value: "ecs.g6.xlarge", Status: "Available" }, { Value: "ecs.g6.4xlarge", Status: "SoldOut" }] } }] } },
        { ZoneId: "b", Status: "SoldOut", AvailableResources: { AvailableResource: [{ Type: "InstanceType", SupportedResources: { SupportedResource: [{ Value: "ecs.c6.large", Status: "Available" }] } }] } },
      ] } }),
    }];
    assert.deepEqual(await api.describeAvailableInstanceTypes("i-1", { allowMigrateAcrossZone: true }), ["ecs.g6.xlarge"]);
    const p = seen[0]!.params;
    assert.deepEqual([p.get("DestinationResource"), p.get("OperationType"), p.get("MigrateAcrossZone"), p.get("ResourceId")], ["InstanceType", "Upgrade", "true", "i-1"]);
  });
});

describe("client: pure helpers", () => {
  it("toSnapshot reads the documented DescribeInstances sample", () => {
    const sample = {
      InstanceId: "i-bp67acfmxazb4p****", RegionId: "cn-hangzhou", ZoneId: "cn-hangzhou-g", Status: "Running",
      InstanceType: "ecs.g5.large", InternetMaxBandwidthOut: 5, InternetMaxBandwidthIn: 50, InstanceChargeType: "PostPaid",
      InternetChargeType: "PayByTraffic", StoppedMode: "KeepCharging",
      EipAddress: { AllocationId: "eip-2ze88m67qx5z****", IpAddress: "42.112.**.**" },
      DedicatedHostAttribute: { DedicatedHostId: "dh-bp67acfmxazb4p****" },
      OperationLocks: { LockReason: [{ LockReason: "security" }] },
    };
    assert.deepEqual(toSnapshot(sample, "cn-hangzhou", false), {
      instanceId: "i-bp67acfmxazb4p****", regionId: "cn-hangzhou", zoneId: "cn-hangzhou-g", status: "Running",
      instanceType: "ecs.g5.large", internetMaxBandwidthOut: 5, internetMaxBandwidthIn: 50, instanceChargeType: "PostPaid",
      internetChargeType: "PayByTraffic", stoppedMode: "KeepCharging", eipAllocationId: "eip-2ze88m67qx5z****",
      dedicatedHostId: "dh-bp67acfmxazb4p****", operationLocks: ["security"], hasLocalDisks: false, tags: {},
    });
  });

  it("toSnapshot reads the tags of DescribeInstances (TagKey/TagValue) as a map", () => {
    const snap = toSnapshot({ InstanceId: "i-1", Status: "Stopped", Tags: { Tag: [{ TagKey: "pulumi-ecs-spec:restore-status", TagValue: "Running" }, { TagKey: "team", TagValue: "" }] } }, "cn-hangzhou", false);
    assert.deepEqual(snap.tags, { "pulumi-ecs-spec:restore-status": "Running", team: "" });
  });

  it("tag and untag parameters: one instance, ResourceType instance, numbered keys", () => {
    assert.deepEqual(tagResourcesParams("cn-hangzhou", "i-1", { a: "1", b: "" }), {
      RegionId: "cn-hangzhou", ResourceType: "instance", "ResourceId.1": "i-1", "Tag.1.Key": "a", "Tag.1.Value": "1", "Tag.2.Key": "b", "Tag.2.Value": "",
    });
    assert.deepEqual(untagResourcesParams("cn-hangzhou", "i-1", ["a"]), { RegionId: "cn-hangzhou", ResourceType: "instance", "ResourceId.1": "i-1", "TagKey.1": "a" });
  });

  it("modifyInstanceSpecParams sends only the request's item, as strings, with dotted keys and the ClientToken", () => {
    assert.deepEqual(
      modifyInstanceSpecParams({ item: "instanceType", instanceId: "i-1", instanceType: "ecs.g6.xlarge", systemDiskCategory: "cloud_ssd", allowMigrateAcrossZone: false }, "t"),
      { InstanceId: "i-1", InstanceType: "ecs.g6.xlarge", "SystemDisk.Category": "cloud_ssd", AllowMigrateAcrossZone: "false", ClientToken: "t" },
    );
    assert.deepEqual(modifyInstanceSpecParams({ item: "bandwidth", instanceId: "i-1", internetMaxBandwidthOut: 0 }, "t"), {
      InstanceId: "i-1",
      InternetMaxBandwidthOut: "0",
      ClientToken: "t",
    });
  });

  it("normalizeError strips signed URLs from messages and maps timeouts", () => {
    const e = new Error(`ReadTimeout(3000). GET http://127.0.0.1:1/?AccessKeyId=AKID&SecurityToken=${TOKEN}&Signature=abc failed.`);
    e.name = "RequestTimeoutError";
    const n = normalizeError("DescribeInstances", e);
    assert.equal(n.code, TRANSPORT_CODES.timeout);
    assert.ok(!n.message.includes(TOKEN) && !n.message.includes("AKID"), n.message);
    assert.match(n.message, /http:\/\/127\.0\.0\.1:1 failed/);
  });
});
