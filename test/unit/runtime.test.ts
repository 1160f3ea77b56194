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

  describe("check: keys that are not settings are refused with the key named", () => {
    const spec = { ...NO_NETWORK, instanceId: "i-abc", regionId: "cn-hangzhou" };

    it("an own __proto__ key (JSON.parse, defineProperty) fails on __proto__, and so does create", async function () {
      // GIVEN inputs with an own key named __proto__
      const news = JSON.parse(`{"endpoint":"${NO_NETWORK.endpoint}","instanceId":"i-abc","regionId":"cn-hangzhou","__proto__":{"instanceType":"ecs.g6.xlarge"}}`);
      assert.deepEqual(Object.keys(news), ["endpoint", "instanceId", "regionId", "__proto__"]);
      // WHEN checked THEN one failure, on __proto__, before any API call
      assert.deepEqual((await runtime.check({}, news)).failures, [{ property: "__proto__", reason: "unknown field __proto__: remove it (check the spelling)" }]);
      // AND create names the key too (it used to fail with an empty property name)
      await assert.rejects(runtime.create(news), /^Error: __proto__: unknown field __proto__/);
    });

    it("a deserializer that copies with obj[key] = value: the swapped prototype fails on __proto__", async function () {
      // GIVEN the object such a deserializer builds: `__proto__` became its prototype, not a key
      const news: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(JSON.parse(`{"instanceId":"i-abc","regionId":"cn-hangzhou","endpoint":"${NO_NETWORK.endpoint}","__proto__":{"x":1}}`))) news[k] = v;
      assert.equal(Object.hasOwn(news, "__proto__"), false);
      // WHEN checked THEN the failure is on __proto__, not on an inherited "x" or an empty name
      assert.deepEqual((await runtime.check({}, news)).failures, [{ property: "__proto__", reason: "unknown field __proto__: remove it (it is never a setting)" }]);
    });

    it("through Pulumi's protobuf Struct a __proto__ key never reaches the provider: nothing to refuse, nothing applied", function () {
      // GIVEN the inputs a program sent, as Pulumi turns them into the object `check` receives
      const { Struct } = require("google-protobuf/google/protobuf/struct_pb") as {
        Struct: { fromJavaScript(o: object): { toJavaScript(): Record<string, unknown> } };
      };
      const passed = Struct.fromJavaScript(JSON.parse(`{"instanceId":"i-abc","__proto__":{"x":1},"constructor":2}`)).toJavaScript();
      // THEN the protobuf map dropped __proto__ (other odd keys, like constructor, arrive and are refused above)
      assert.deepEqual(Object.keys(passed).sort(), ["constructor", "instanceId"]);
      assert.equal(Object.getPrototypeOf(passed), Object.prototype);
    });

    it("constructor, toString: each fails on its own name", async function () {
      const result = await runtime.check({}, { ...spec, constructor: 1, toString: "x" });
      assert.deepEqual(result.failures?.map((f) => f.property), ["constructor", "toString"]);
    });
  });

  describe("check: estimates", () => {
    const spec = { ...NO_NETWORK, instanceId: "i-abc", regionId: "cn-hangzhou" };
    const cases: [string, unknown, { property: string; reason: string }[]][] = [
      ["negative", { stopSeconds: -5 }, [{ property: "estimates.stopSeconds", reason: "estimates.stopSeconds must be a number of seconds, 0 or more; got -5" }]],
      ["a string", { startSeconds: "30" }, [{ property: "estimates.startSeconds", reason: 'estimates.startSeconds must be a number of seconds, 0 or more; got "30"' }]],
      ["an unknown key", { stopSecs: 3 }, [{ property: "estimates.stopSecs", reason: "unknown estimate stopSecs: remove it, or use one of stopSeconds, startSeconds, stopLeadSeconds, orderSeconds" }]],
      ["not an object", 45, [{ property: "estimates", reason: "estimates must be an object of seconds; e.g. estimates: { stopSeconds: 45, startSeconds: 45 } (keys: stopSeconds, startSeconds, stopLeadSeconds, orderSeconds)" }]],
    ];
    for (const [name, estimates, failures] of cases) {
      it(`${name} is refused at check, naming the estimate`, async function () {
        // GIVEN estimates that used to be ignored silently WHEN checked THEN refused, before any API call
        assert.deepEqual((await runtime.check({}, { ...spec, estimates })).failures, failures);
      });
    }

    it("an estimate not known yet at preview is let through", async function () {
      const result = await runtime.check({}, { ...spec, instanceId: UNKNOWN, estimates: { stopSeconds: UNKNOWN, startSeconds: 30 } });
      assert.equal(result.failures, undefined);
    });
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
