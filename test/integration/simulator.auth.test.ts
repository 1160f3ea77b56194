/**
 * ecs-sim authentication and gateway behaviour, through the real clients over loopback:
 * signature V1 (pop-core, GET and POST) and V3 (ecs20140526), bad signatures, unknown keys,
 * stale timestamps, replayed nonces, STS tokens, versions, unknown actions, the rate limit.
 */
import assert from "node:assert/strict";
import * as $Ecs from "@alicloud/ecs20140526";
import type { RunningSimulator } from "../../simulator/index.js";
import { DEMO_CREDENTIALS } from "../../simulator/index.js";
import { popEncode, v1Sign, v1StringToSign } from "../../simulator/auth.js";
import {
  ecsCall, ecsClient, expectEcsError, expectPopError, isoSeconds, popClient, runtimeWithHeaders, startFast,
} from "../helpers/sim.js";

const REGION = "cn-hangzhou";
const ONE = { RegionId: REGION, InstanceIds: JSON.stringify(["i-demo-web-01"]) };

describe("ecs-sim: authentication and gateway", function () {
  this.timeout(10_000);
  let sim: RunningSimulator;
  afterEach(async () => sim && (await sim.close()));

  describe("signature V1 (@alicloud/pop-core)", () => {
    it("accepts a GET signed with the demo key pair", async () => {
      // GIVEN a simulator with the demo key pair
      sim = await startFast();
      // WHEN pop-core calls DescribeInstances (GET)
      const r = (await popClient(sim).request("DescribeInstances", ONE)) as { Instances: { Instance: { InstanceId: string }[] } };
      // THEN the instance is listed and the call log shows a V1 call without auth noise
      assert.equal(r.Instances.Instance[0].InstanceId, "i-demo-web-01");
      const [call] = sim.calls();
      assert.equal(call.signatureVersion, "V1");
      assert.deepEqual(call.params, ONE);
      assert.equal(sim.accessKeyId, DEMO_CREDENTIALS.accessKeyId);
    });

    it("accepts a POST whose parameters travel in a form body", async () => {
      // GIVEN a simulator
      sim = await startFast();
      // WHEN pop-core sends StopInstance with method POST (params in an x-www-form-urlencoded body)
      await popClient(sim).request("StopInstance", { InstanceId: "i-demo-web-01" }, { method: "POST" });
      // THEN the call was authenticated and applied
      assert.equal(sim.calls()[0].httpStatus, 200);
      assert.equal(sim.getState().instances.find((i) => i.instanceId === "i-demo-web-01")!.status, "Stopping");
    });

    it("answers SignatureDoesNotMatch (400) to a wrong secret", async () => {
      // GIVEN a simulator  WHEN pop-core signs with the right key id but a wrong secret
      sim = await startFast();
      const e = await expectPopError(sim, popClient(sim, { accessKeySecret: "wrong" }).request("DescribeInstances", ONE), "SignatureDoesNotMatch", 400);
      // THEN the message shows the server's string to sign, as ECS does
      assert.match(e.message ?? "", /server string to sign is:GET&%2F&/);
    });

    it("answers InvalidAccessKeyId.NotFound (404) to an unknown key id", async () => {
      sim = await startFast();
      await expectPopError(sim, popClient(sim, { accessKeyId: "LTAI-unknown" }).request("DescribeInstances", ONE), "InvalidAccessKeyId.NotFound", 404);
    });

    it("answers InvalidTimeStamp.Expired (400) to a stale timestamp", async () => {
      // GIVEN a simulator  WHEN pop-core signs a request whose Timestamp is 20 minutes old
      sim = await startFast();
      const stale = isoSeconds(Date.now() - 20 * 60 * 1000);
      // THEN it is refused
      await expectPopError(sim, popClient(sim).request("DescribeInstances", { ...ONE, Timestamp: stale }), "InvalidTimeStamp.Expired", 400);
    });

    it("answers SignatureNonceUsed (400) to a replayed nonce, and only to the replay", async () => {
      // GIVEN a call signed with nonce N succeeded
      sim = await startFast();
      const client = popClient(sim);
      await client.request("DescribeInstances", { ...ONE, SignatureNonce: "nonce-replayed-0001" });
      // WHEN a second, correctly signed call reuses N
      // THEN it is refused
      await expectPopError(sim, client.request("DescribeInstances", { ...ONE, SignatureNonce: "nonce-replayed-0001" }), "SignatureNonceUsed", 400);
    });

    it("does not burn a nonce on a request with a bad signature", async () => {
      // GIVEN a request with nonce N and a bad signature was refused
      sim = await startFast();
      await expectPopError(sim, popClient(sim, { accessKeySecret: "wrong" }).request("DescribeInstances", { ...ONE, SignatureNonce: "n-2" }), "SignatureDoesNotMatch", 400);
      // WHEN the rightful owner uses N
      await popClient(sim).request("DescribeInstances", { ...ONE, SignatureNonce: "n-2" });
      // THEN it succeeds
      assert.equal(sim.calls().at(-1)!.httpStatus, 200);
    });

    it("answers MissingParameter (400) to an unsigned request and IncompleteSignature (400) to a malformed ACS3 header", async () => {
      sim = await startFast();
      // WHEN a plain GET carries no signature at all
      const r1 = await fetch(`${sim.url}/?Action=DescribeInstances&RegionId=${REGION}&Version=2014-05-26`);
      // THEN MissingParameter
      assert.equal(r1.status, 400);
      assert.equal(((await r1.json()) as { Code: string }).Code, "MissingParameter");
      // WHEN the Authorization header is ACS3 but malformed
      const r2 = await fetch(`${sim.url}/?RegionId=${REGION}`, {
        method: "POST", headers: { authorization: "ACS3-HMAC-SHA256 Credential=x", "x-acs-action": "DescribeInstances", "x-acs-version": "2014-05-26" },
      });
      // THEN IncompleteSignature, in the documented error shape
      const body = (await r2.json()) as Record<string, string>;
      assert.equal(r2.status, 400);
      assert.equal(body.Code, "IncompleteSignature");
      assert.deepEqual(Object.keys(body).sort(), ["Code", "HostId", "Message", "Recommend", "RequestId"]);
      assert.match(body.RequestId, /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
      assert.equal(body.Recommend, "https://api.aliyun.com/troubleshoot?q=IncompleteSignature&product=Ecs");
    });
  });

  describe("signature V3 ACS3-HMAC-SHA256 (@alicloud/ecs20140526)", () => {
    it("accepts the client's default V3 signature", async () => {
      sim = await startFast();
      // WHEN the ecs client calls DescribeInstances
      const r = await ecsClient(sim).describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: REGION, instanceIds: JSON.stringify(["i-demo-api-01"]) }));
      // THEN 200, the typed body is filled, and the log shows a V3 call
      assert.equal(r.statusCode, 200);
      assert.equal(r.body!.instances!.instance![0].instanceType, "ecs.c6.large");
      assert.equal(sim.calls()[0].signatureVersion, "V3");
    });

    it("answers SignatureDoesNotMatch (400) to a wrong secret", async () => {
      sim = await startFast();
      await expectEcsError(
        ecsClient(sim, { accessKeySecret: "wrong" }).describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: REGION })),
        "SignatureDoesNotMatch", 400);
    });

    it("answers InvalidAccessKeyId.NotFound (404) to an unknown key id", async () => {
      sim = await startFast();
      await expectEcsError(
        ecsClient(sim, { accessKeyId: "LTAI-unknown" }).describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: REGION })),
        "InvalidAccessKeyId.NotFound", 404);
    });

    it("answers InvalidTimeStamp.Expired (400) to a stale x-acs-date", async () => {
      sim = await startFast();
      const runtime = runtimeWithHeaders({ "x-acs-date": isoSeconds(Date.now() - 20 * 60 * 1000) });
      await expectEcsError(
        ecsClient(sim).describeInstancesWithOptions(new $Ecs.DescribeInstancesRequest({ regionId: REGION }), runtime),
        "InvalidTimeStamp.Expired", 400);
    });

    it("answers SignatureNonceUsed (400) to a replayed x-acs-signature-nonce", async () => {
      // GIVEN a V3 call with nonce N succeeded
      sim = await startFast();
      const client = ecsClient(sim);
      const runtime = () => runtimeWithHeaders({ "x-acs-signature-nonce": "v3-nonce-replayed" });
      await client.describeInstancesWithOptions(new $Ecs.DescribeInstancesRequest({ regionId: REGION }), runtime());
      // WHEN a second call reuses N  THEN it is refused
      await expectEcsError(client.describeInstancesWithOptions(new $Ecs.DescribeInstancesRequest({ regionId: REGION }), runtime()), "SignatureNonceUsed", 400);
    });

    it("keeps nonces per key: a V1 nonce replayed as V3 is refused too", async () => {
      sim = await startFast();
      await popClient(sim).request("DescribeInstances", { ...ONE, SignatureNonce: "shared-nonce" });
      await expectEcsError(
        ecsClient(sim).describeInstancesWithOptions(new $Ecs.DescribeInstancesRequest({ regionId: REGION }), runtimeWithHeaders({ "x-acs-signature-nonce": "shared-nonce" })),
        "SignatureNonceUsed", 400);
    });
  });

  describe("STS security tokens", () => {
    const sts = { accessKeyId: "STS.NTestKey0001", accessKeySecret: "sts-secret-0001", securityToken: "CAIS-sts-token-0001" };

    it("accepts the configured token with both signature versions", async () => {
      // GIVEN a simulator configured with an STS key pair and token
      sim = await startFast({ credentials: [sts] });
      // WHEN both clients send the token  THEN both succeed
      await popClient(sim, sts).request("DescribeInstances", ONE);
      const r = await ecsClient(sim, sts).describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: REGION }));
      assert.equal(r.statusCode, 200);
      assert.equal(r.body!.totalCount, 20);
    });

    it("answers InvalidSecurityToken.Malformed (400) to a missing or wrong token", async () => {
      sim = await startFast({ credentials: [sts] });
      await expectPopError(sim, popClient(sim, { ...sts, securityToken: undefined }).request("DescribeInstances", ONE), "InvalidSecurityToken.Malformed", 400);
      await expectEcsError(
        ecsClient(sim, { ...sts, securityToken: "CAIS-forged" }).describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: REGION })),
        "InvalidSecurityToken.Malformed", 400);
    });

    it("answers InvalidSecurityToken.Expired (400) once the token has expired", async () => {
      sim = await startFast({ credentials: [{ ...sts, expiration: new Date(Date.now() - 1000).toISOString() }] });
      await expectPopError(sim, popClient(sim, sts).request("DescribeInstances", ONE), "InvalidSecurityToken.Expired", 400);
    });
  });

  describe("versions, actions and the account rate limit", () => {
    it("answers InvalidAction (400) to an unknown action, with either client", async () => {
      sim = await startFast();
      await expectPopError(sim, popClient(sim).request("DeleteEverything", {}), "InvalidAction", 400);
      await expectEcsError(ecsCall(ecsClient(sim), "DeleteEverything", {}), "InvalidAction", 400);
    });

    it("answers InvalidAction (400) to the names of Object.prototype, and logs the call", async () => {
      // GIVEN a simulator
      sim = await startFast();
      // WHEN signed calls name actions that every JavaScript object has (pop-core upper-cases the
      // first letter, so the lower-case ones go through the ecs client's x-acs-action header)
      await expectPopError(sim, popClient(sim).request("__proto__", {}), "InvalidAction", 400);
      for (const action of ["constructor", "toString", "hasOwnProperty", "__defineGetter__"]) {
        await expectEcsError(ecsCall(ecsClient(sim), action, {}), "InvalidAction", 400);
      }
      // THEN each call is answered as an unknown action and appears in the call log
      assert.deepEqual(
        sim.calls().map((c) => [c.action, c.httpStatus, c.code]),
        [["__proto__", 400, "InvalidAction"], ["constructor", 400, "InvalidAction"], ["toString", 400, "InvalidAction"],
          ["hasOwnProperty", 400, "InvalidAction"], ["__defineGetter__", 400, "InvalidAction"]],
      );
    });

    it("treats a parameter or ClientToken named __proto__ or constructor as a plain name", async () => {
      // GIVEN a simulator without cooldown
      sim = await startFast({ timing: { cooldownSeconds: 0 } });
      const pop = popClient(sim);
      // WHEN ModifyInstanceSpec uses the tokens "constructor" and "__proto__" for the first time
      await pop.request("ModifyInstanceSpec", { InstanceId: "i-demo-web-01", InternetMaxBandwidthOut: 11, ClientToken: "constructor" });
      const first = (await pop.request("ModifyInstanceSpec", { InstanceId: "i-demo-web-01", InternetMaxBandwidthOut: 12, ClientToken: "__proto__" })) as { RequestId: string };
      // THEN both succeed and are remembered as tokens
      assert.deepEqual(Object.keys(sim.getState().clientTokens).sort(), ["__proto__", "constructor"]);
      assert.equal(sim.getState().instances.find((i) => i.instanceId === "i-demo-web-01")!.internetMaxBandwidthOut, 12);
      // AND a retry of "__proto__" gets the first answer, other parameters get IdempotenceParamNotMatch
      const again = (await pop.request("ModifyInstanceSpec", { InstanceId: "i-demo-web-01", InternetMaxBandwidthOut: 12, ClientToken: "__proto__" })) as { RequestId: string };
      assert.equal(again.RequestId, first.RequestId);
      await expectPopError(sim, pop.request("ModifyInstanceSpec", { InstanceId: "i-demo-web-01", InternetMaxBandwidthOut: 13, ClientToken: "__proto__" }), "IdempotenceParamNotMatch", 400);
      // AND a query parameter named __proto__ (the clients cannot send one: they build plain
      // objects) is a parameter: a V1 signature that covers it matches
      const q: Record<string, string> = JSON.parse(JSON.stringify({
        Action: "DescribeInstances", RegionId: REGION, Format: "JSON", Version: "2014-05-26", AccessKeyId: sim.accessKeyId,
        SignatureMethod: "HMAC-SHA1", SignatureVersion: "1.0", SignatureNonce: "proto-nonce-1", Timestamp: isoSeconds(Date.now()),
      }).replace(/^{/, '{"__proto__":"1",'));
      q.Signature = v1Sign(sim.accessKeySecret, v1StringToSign("GET", q));
      const r = await fetch(`${sim.url}/?${Object.keys(q).map((k) => `${popEncode(k)}=${popEncode(q[k])}`).join("&")}`);
      assert.equal(r.status, 200);
      const params = sim.calls().at(-1)!.params;
      assert.equal(Object.getOwnPropertyDescriptor(params, "__proto__")?.value, "1");
    });

    it("answers 413 RequestEntityTooLarge to a body over 1 MiB instead of resetting the connection, and logs it", async () => {
      // GIVEN a simulator
      sim = await startFast();
      // WHEN pop-core POSTs a ModifyInstanceSpec whose form body is 3 MB
      const huge = "x".repeat(3 * 1024 * 1024);
      const e = await expectPopError(sim, popClient(sim).request("ModifyInstanceSpec", { InstanceId: "i-demo-web-01", Description: huge }, { method: "POST" }),
        "RequestEntityTooLarge", 413);
      // THEN the client reads an ECS error body; the log has the call (action from the x-acs-action header pop-core also sends), without its body
      assert.equal(e.message, `The request body is larger than 1048576 bytes., URL: ${sim.url}/`);
      assert.deepEqual(sim.calls().map((c) => [c.action, c.httpStatus, c.code, c.params]), [["ModifyInstanceSpec", 413, "RequestEntityTooLarge", {}]]);
      // AND the admin API answers 413 too
      const admin = await fetch(`${sim.url}/_sim/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ pad: huge }) });
      assert.equal(admin.status, 413);
      // AND the simulator still serves
      await popClient(sim).request("DescribeInstances", ONE);
      assert.equal(sim.calls().at(-1)!.httpStatus, 200);
    });

    it("answers InvalidVersion (400) to another API version", async () => {
      sim = await startFast();
      const old = popClient(sim);
      (old as unknown as { apiVersion: string }).apiVersion = "2013-01-10";
      await expectPopError(sim, old.request("DescribeInstances", ONE), "InvalidVersion", 400);
    });

    it("answers Throttling.User (400) past the per-minute limit, per action, distinct from the cooldown", async () => {
      // GIVEN a limit of 3 calls per minute per action, and not the last second of a minute (the window is the calendar minute)
      sim = await startFast({ rateLimitPerMinute: 3 });
      if (Date.now() % 60_000 > 59_000) await new Promise((r) => setTimeout(r, 60_000 - (Date.now() % 60_000) + 10));
      const client = ecsClient(sim);
      for (let i = 0; i < 3; i++) await client.describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: REGION }));
      // WHEN a fourth DescribeInstances arrives within the minute
      const e = await expectEcsError(client.describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: REGION })), "Throttling.User", 400);
      // THEN the ecs client classifies it as throttling; another action is still served
      assert.equal(e.name, "ThrottlingError");
      await client.describeInstanceAttribute(new $Ecs.DescribeInstanceAttributeRequest({ instanceId: "i-demo-web-01" }));
    });
  });
});
