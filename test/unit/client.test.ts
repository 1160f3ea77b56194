/**
 * The client against a scripted local HTTP server: what goes on the wire, and how every kind of
 * answer (JSON error with status, 500 without Code, HTML 502, dropped connection) is normalized.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import {
  checkEndpoint,
  createEcsClient,
  EndpointError,
  modifyInstanceSpecParams,
  normalizeError,
  redact,
  tagResourcesParams,
  toSnapshot,
  untagResourcesParams,
  type EcsApi,
  type EcsCredentials,
} from "../../provider/client";
import { EcsApiError, ERROR_TABLE, TRANSPORT_CODES } from "../../provider/errors";

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

/**
 * A loopback server standing in for the API: each request is recorded, then answered with the next
 * scripted reply (a JSON 200 when none is left); "drop" closes the connection without an answer.
 */
async function scriptedServer(
  replies: () => Reply[],
  record: (r: { method: string; params: URLSearchParams }) => void,
): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      record({ method: req.method!, params: new URLSearchParams(body || req.url!.split("?")[1]) });
      const r = replies().shift() ?? { status: 200, body: '{"RequestId":"R-default"}' };
      if (r === "drop") return req.socket.destroy();
      res.writeHead(r.status, { "content-type": r.type ?? "application/json" });
      res.end(r.body);
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return server;
}

describe("client: the wire and the answers", () => {
  let server: http.Server;
  let replies: Reply[];
  let seen: { method: string; params: URLSearchParams }[];
  let api: EcsApi;

  before(async () => {
    server = await scriptedServer(() => replies, (r) => seen.push(r));
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

  it("describeInstance: DescribeInstances then a DescribeDisks listing of the region; local disks found; absent instance is undefined", async () => {
    replies = [
      { status: 200, body: JSON.stringify({ RequestId: "R", Instances: { Instance: [{ InstanceId: "i-1", Status: "Stopped", InstanceType: "ecs.i2.xlarge", InternetMaxBandwidthOut: 0, InternetMaxBandwidthIn: 10, InstanceChargeType: "PostPaid", OperationLocks: { LockReason: [] }, EipAddress: { AllocationId: "" }, DedicatedHostAttribute: { DedicatedHostId: "" } }] } }) },
      { status: 200, body: JSON.stringify({ RequestId: "R", TotalCount: 3, Disks: { Disk: [{ InstanceId: "i-1", Category: "cloud_essd" }, { InstanceId: "i-1", Category: "local_ssd_pro" }, { InstanceId: "i-9", Category: "cloud_essd" }] } }) },
      { status: 200, body: JSON.stringify({ RequestId: "R", Instances: { Instance: [] } }) },
    ];
    const s = await api.describeInstance("i-1");
    assert.equal(s!.hasLocalDisks, true);
    assert.equal(s!.eipAllocationId, undefined);
    assert.deepEqual(seen.map((x) => x.params.get("Action")), ["DescribeInstances", "DescribeDisks"]);
    assert.equal(seen[0]!.params.get("InstanceIds"), '["i-1"]');
    assert.deepEqual([seen[1]!.params.get("InstanceId"), seen[1]!.params.get("PageSize"), seen[1]!.params.get("PageNumber")], [null, "100", "1"]);
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

describe("client: no credential in any message", () => {
  // An STS key pair: the token holds `+`, `/` and `=`, so that its encoded forms differ from it.
  const STS: EcsCredentials = { accessKeyId: "STS.NUnitKeyId0001", accessKeySecret: "unitStsSecret-0001", securityToken: "CAIS+unit/Token=0001" };
  const TOKEN_ONCE = "CAIS%2Bunit%2FToken%3D0001";
  const TOKEN_TWICE = "CAIS%252Bunit%252FToken%253D0001";
  const CHAIN_ENV = ["ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN", "HOME"] as const;
  let server: http.Server;
  let replies: Reply[];
  let seen: URLSearchParams[];
  let savedEnv: Partial<Record<(typeof CHAIN_ENV)[number], string>>;

  before(async () => {
    server = await scriptedServer(() => replies, (r) => seen.push(r.params));
  });
  after(() => new Promise<void>((ok) => server.close(() => ok())));
  beforeEach(() => {
    replies = [];
    seen = [];
    savedEnv = Object.fromEntries(CHAIN_ENV.map((k) => [k, process.env[k]]));
  });
  afterEach(() => {
    for (const k of CHAIN_ENV) {
      if (savedEnv[k] === undefined) delete process.env[k];
      else process.env[k] = savedEnv[k];
    }
  });

  const endpoint = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const apiError = (body: object, status = 400): Reply => ({ status, body: JSON.stringify(body) });

  async function failure(p: Promise<unknown>): Promise<EcsApiError> {
    try {
      await p;
    } catch (e) {
      assert.ok(e instanceof EcsApiError, String(e));
      return e;
    }
    assert.fail("expected an EcsApiError");
  }

  it("a SignatureDoesNotMatch quoting the string-to-sign keeps neither the key id nor the STS token, and keeps the hint", async () => {
    // GIVEN explicit STS credentials, and the gateway's answer quoting its string-to-sign, in which
    // the key id is raw and the token is encoded twice
    const api = createEcsClient({ regionId: "cn-hangzhou", endpoint: endpoint(), credentials: STS, timeoutMs: 1000 });
    replies = [
      apiError({
        RequestId: "R-sig",
        Code: "SignatureDoesNotMatch",
        Message:
          "Specified signature is not matched with our calculation. server string to sign is:POST&%2F&AccessKeyId%3DSTS.NUnitKeyId0001" +
          `%26Action%3DDescribeInstances%26SecurityToken%3D${TOKEN_TWICE}%26SignatureMethod%3DHMAC-SHA1`,
      }),
    ];
    // WHEN a call is refused
    const e = await failure(api.describeInstance("i-1"));
    // THEN the string-to-sign is gone, the rest of the message and the hint stay
    assert.equal(
      e.message,
      "DescribeInstances failed: SignatureDoesNotMatch (HTTP 400): Specified signature is not matched with our calculation. " +
        `server string to sign is:<redacted> [RequestId R-sig] — ${ERROR_TABLE.SignatureDoesNotMatch!.hint}`,
    );
  });

  it("an API message naming the key id, the secret and the token, raw and encoded, keeps none of them", async () => {
    // GIVEN explicit STS credentials, a refusal naming them in prose, and a 500 without Code quoting them as parameters
    const api = createEcsClient({ regionId: "cn-hangzhou", endpoint: endpoint(), credentials: STS, timeoutMs: 1000 });
    replies = [
      apiError({
        RequestId: "R-tok",
        Code: "InvalidSecurityToken.Malformed",
        Message: `Specified SecurityToken CAIS+unit/Token=0001 (sent as ${TOKEN_ONCE}) of STS.NUnitKeyId0001 signed with unitStsSecret-0001 is malformed.`,
      }),
      apiError({ RequestId: "R-500", Message: `internal error for AccessKeyId=someone-else&SecurityToken=${TOKEN_ONCE}&Signature=q1w2e3%2Br4%3D` }, 500),
    ];
    // WHEN calls fail
    const malformed = await failure(api.stopInstance("i-1", "KeepCharging"));
    const internal = await failure(api.startInstance("i-1"));
    // THEN every credential and the signature are replaced by the marker
    assert.equal(
      malformed.message,
      "StopInstance failed: InvalidSecurityToken.Malformed (HTTP 400): Specified SecurityToken <redacted> (sent as <redacted>) of <redacted> " +
        `signed with <redacted> is malformed. [RequestId R-tok] — ${ERROR_TABLE["InvalidSecurityToken.Malformed"]!.hint}`,
    );
    assert.equal(
      internal.message,
      "StartInstance failed: Client.HttpError (HTTP 500): internal error for AccessKeyId=<redacted>&SecurityToken=<redacted>&Signature=<redacted> " +
        `[RequestId R-500] — ${ERROR_TABLE[TRANSPORT_CODES.httpError]!.hint}`,
    );
  });

  it("a pop-core error quoting the key id, the secret, the token and a signature, raw and encoded, keeps none of them", () => {
    // GIVEN a connection error whose message quotes the credentials and a signed query
    const e = Object.assign(
      new Error(
        `socket closed after AccessKeyId=STS.NUnitKeyId0001&SecurityToken=${TOKEN_ONCE}&Signature=q1w2e3%2Br4%3D ` +
          "(key STS.NUnitKeyId0001, secret unitStsSecret-0001, token CAIS+unit/Token=0001)",
      ),
      { code: "ECONNRESET" },
    );
    // WHEN normalized with the credentials in use
    const n = normalizeError("ModifyInstanceSpec", e, [STS.accessKeyId, STS.accessKeySecret, STS.securityToken!]);
    // THEN it is a network error with every credential and the signature replaced
    assert.equal(n.code, TRANSPORT_CODES.network);
    assert.equal(
      n.message,
      "ModifyInstanceSpec failed: Client.NetworkError: socket closed after AccessKeyId=<redacted>&SecurityToken=<redacted>&Signature=<redacted> " +
        `(key <redacted>, secret <redacted>, token <redacted>) — ${ERROR_TABLE[TRANSPORT_CODES.network]!.hint}`,
    );
  });

  it("credentials from the default chain are redacted too, and the client object holds none", async () => {
    // GIVEN STS credentials in the environment, read by the default chain, and a refusal naming them in prose
    process.env.ALIBABA_CLOUD_ACCESS_KEY_ID = STS.accessKeyId;
    process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = STS.accessKeySecret;
    process.env.ALIBABA_CLOUD_SECURITY_TOKEN = STS.securityToken;
    const api = createEcsClient({ regionId: "cn-hangzhou", endpoint: endpoint(), timeoutMs: 1000 });
    replies = [apiError({ RequestId: "R-chain", Code: "Forbidden", Message: `STS.NUnitKeyId0001 with token ${TOKEN_ONCE} may not call this.` }, 403)];
    // WHEN a call is refused
    const e = await failure(api.describeAvailableInstanceTypes("i-1"));
    // THEN the request was signed with the chain's credentials, and the message names none of them
    assert.equal(seen[0]!.get("AccessKeyId"), STS.accessKeyId);
    assert.equal(seen[0]!.get("SecurityToken"), STS.securityToken);
    assert.equal(e.message, `DescribeResourcesModification failed: Forbidden (HTTP 403): <redacted> with token <redacted> may not call this. [RequestId R-chain] — ${ERROR_TABLE.Forbidden!.hint}`);
    // AND the client object has no enumerable state
    assert.equal(JSON.stringify(api), "{}");
  });

  it("a CLI config the chain cannot parse is quoted by the chain with its keys; the message keeps the reason, not the keys", async () => {
    // GIVEN a CLI config that is not JSON, holding a profile's keys and token
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "ecs-spec-redact-"));
    try {
      fs.mkdirSync(path.join(home, ".aliyun"));
      const config = path.join(home, ".aliyun", "config.json");
      fs.writeFileSync(
        config,
        `{"current":"p","profiles":[{"name":"p","mode":"StsToken","access_key_id":"STS.NUnitKeyId0001","access_key_secret":"unitStsSecret-0001","sts_token":"CAIS+unit/Token=0001",}]}`,
      );
      process.env.HOME = home;
      const api = createEcsClient({ regionId: "cn-hangzhou", endpoint: endpoint(), profile: "p", timeoutMs: 1000 });
      // WHEN a call is made
      const e = await failure(api.describeInstance("i-1"));
      // THEN no request was sent, and the message says why, with the keys replaced
      assert.equal(seen.length, 0);
      assert.equal(e.code, TRANSPORT_CODES.credentials);
      assert.equal(
        e.message,
        `DescribeInstances failed: Client.CredentialsUnavailable: the credentials chain found no credentials: parse aliyun cli config from '${config}' failed: ` +
          `{"current":"p","profiles":[{"name":"p","mode":"StsToken","access_key_id":"<redacted>","access_key_secret":"<redacted>","sts_token":"<redacted>",}]} ` +
          `— ${ERROR_TABLE[TRANSPORT_CODES.credentials]!.hint}`,
      );
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
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
      publicIp: "42.112.**.**",
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

  it("redact removes known values in any case of their percent-encoding, and V3 signature headers", () => {
    // GIVEN a token encoded with lower-case hex, and an ACS3 Authorization header
    const message = "sent cais%2bunit%2ftoken%3d0001; Authorization: ACS3-HMAC-SHA256 Credential=LTAI5tUnit,SignedHeaders=host;x-acs-date,Signature=9f86d081884c7d65";
    // WHEN redacted with the token
    // THEN the token, the credential and the signature are replaced, the rest stays
    assert.equal(
      redact(message, ["CAIS+unit/Token=0001"]),
      "sent <redacted>; Authorization: ACS3-HMAC-SHA256 Credential=<redacted>,SignedHeaders=host;x-acs-date,Signature=<redacted>",
    );
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
