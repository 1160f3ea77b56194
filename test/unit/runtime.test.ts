import * as assert from "node:assert/strict";
import * as runtime from "../../provider/runtime";

/** What Pulumi passes for a value not known yet during preview. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** Nothing listens here: a test that reached the network would fail with a connection error. */
const NO_NETWORK = { endpoint: "http://127.0.0.1:9" };

describe("provider runtime adapters (no network)", function () {
  it("check: unknown inputs at preview pass, and the plan says it is made at apply time", async function () {
    // GIVEN an instance ID that comes from another resource, not known yet
    const news = { ...NO_NETWORK, instanceId: UNKNOWN, regionId: "cn-hangzhou", instanceType: "ecs.g6.xlarge" };
    // WHEN checked
    const result = await runtime.check({}, news);
    // THEN no failure, and the plan input explains itself (no API call was attempted)
    assert.equal(result.failures, undefined);
    assert.deepEqual(result.inputs?.plan, ["planned at apply time: instanceId not known yet"]);
  });

  it("check: known fields are still validated while others are unknown", async function () {
    const news = { ...NO_NETWORK, instanceId: "i-abc", regionId: "cn-hangzhou", internetMaxBandwidthOut: UNKNOWN, instanceType: "g6" };
    const result = await runtime.check({}, news);
    assert.deepEqual(result.failures, [{ property: "instanceType", reason: "instanceType must look like ecs.g6.xlarge (ecs.<family>.<size>)" }]);
  });

  it("check: every bad field is reported with its property, before any API call", async function () {
    const news = { ...NO_NETWORK, instanceId: "bp1abc", regionId: "cn-hangzhou", internetMaxBandwidthIn: 0, stoppedMode: "Hibernate" };
    const result = await runtime.check({}, news);
    assert.deepEqual(
      result.failures?.map((f) => f.property),
      ["instanceId", "internetMaxBandwidthIn", "stoppedMode"],
    );
  });

  it("diff: a new instanceId or regionId replaces, without reading anything", async function () {
    const olds = { ...NO_NETWORK, instanceId: "i-abc", regionId: "cn-hangzhou" };
    assert.deepEqual(await runtime.diff("i-abc", olds, { ...olds, instanceId: "i-def" }), {
      changes: true,
      replaces: ["instanceId"],
      deleteBeforeReplace: true,
    });
  });
});
