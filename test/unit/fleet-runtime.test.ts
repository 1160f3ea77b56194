import * as assert from "node:assert/strict";
import * as runtime from "../../provider/runtime";

/** What Pulumi passes for a value not known yet during preview. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** Nothing listens here: a test that reached the network would fail with a connection error. */
const NO_NETWORK = { endpoint: "http://127.0.0.1:9" };

describe("InstanceSpecFleet provider adapters (no network)", function () {
  it("check: instance IDs not known at preview pass, and the plan says the waves are computed at apply time", async function () {
    // GIVEN instances that come from another resource
    const news = { ...NO_NETWORK, regionId: "cn-hangzhou", instances: [UNKNOWN, "i-known"], instanceType: "ecs.g6.xlarge", rollout: { maxUnavailable: 2 } };
    // WHEN checked
    const result = await runtime.fleet.check({}, news);
    // THEN no failure, no API call, and the plan explains itself
    assert.equal(result.failures, undefined);
    assert.deepEqual(result.inputs?.plan, ["the rollout is planned at apply time: instances not known yet (the waves are computed from the live fleet then)"]);
  });

  it("check: every bad field is named, in the shared spec, an instance's overrides and the rollout, before any API call", async function () {
    const news = {
      ...NO_NETWORK,
      regionId: "cn-hangzhou",
      instanceType: "g6",
      instances: ["i-a", { instanceId: "i-b", internetMaxBandwidthOut: 500 }, { instanceId: "bad" }],
      rollout: { maxUnavailable: 0, canary: { size: -1 }, healthCheck: { clb: { loadBalancerId: "x" } }, warmupSeconds: 5 },
      estimates: { healthSeconds: -1 },
    };
    const result = await runtime.fleet.check({}, news);
    assert.deepEqual(result.failures?.map((f) => f.property).sort(), [
      "estimates.healthSeconds",
      "instanceType",
      "instances[1].internetMaxBandwidthOut",
      "instances[2].instanceId",
      "rollout.canary.size",
      "rollout.maxUnavailable",
      "rollout.warmupSeconds",
    ]);
    // (the warmup belongs to the health check: rollout.healthCheck.warmupSeconds)
    assert.match(result.failures!.find((f) => f.property === "rollout.warmupSeconds")!.reason, /unknown field warmupSeconds/);
  });

  it("check: a health check that cannot be parsed is named by its field", async function () {
    const news = { ...NO_NETWORK, regionId: "cn-hangzhou", instances: ["i-a"], rollout: { healthCheck: { clb: { loadBalancerId: "x" }, warmupSeconds: -1 } } };
    const result = await runtime.fleet.check({}, news);
    assert.deepEqual(result.failures?.map((f) => f.property).sort(), ["rollout.healthCheck.clb.loadBalancerId", "rollout.healthCheck.warmupSeconds"]);
  });
});
