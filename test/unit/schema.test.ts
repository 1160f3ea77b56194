/**
 * The desired-spec schema: defaults, and every failure naming the field and the fix.
 */
import assert from "node:assert/strict";
import { parseDesiredSpec } from "../../provider/schema";

const base = { instanceId: "i-bp67acfmxazb4ph0abcd", regionId: "cn-hangzhou" };

describe("schema: valid specs", () => {
  it("applies the defaults (KeepCharging, 300 s cooldown, 3600 s timeout)", () => {
    const r = parseDesiredSpec(base);
    assert.deepEqual(r, { ok: true, value: { ...base, stoppedMode: "KeepCharging", cooldownSeconds: 300, timeoutSeconds: 3600 } });
  });

  it("accepts a full spec; `.000Z` times are normalized to whole seconds", () => {
    const r = parseDesiredSpec({
      ...base,
      instanceType: "ecs.g6.xlarge",
      internetMaxBandwidthOut: 0,
      internetMaxBandwidthIn: 200,
      temporaryBandwidth: { startTime: "2030-01-01T08:00:00.000Z", endTime: "2030-01-01T09:00:00Z", internetMaxBandwidthOut: 100 },
      systemDiskCategory: "cloud_ssd",
      allowMigrateAcrossZone: true,
      allowStop: false,
      stoppedMode: "StopCharging",
    });
    assert.equal(r.ok, true);
    assert.equal(r.ok && r.value.temporaryBandwidth!.startTime, "2030-01-01T08:00:00Z");
  });
});

describe("schema: every failure names the field and the fix", () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ["missing instanceId", { regionId: "cn-hangzhou" }, "instanceId", /instanceId is required/],
    ["bad instanceId", { ...base, instanceId: "bp67" }, "instanceId", /must look like i-/],
    ["bad regionId", { ...base, regionId: "Hangzhou" }, "regionId", /region ID such as cn-hangzhou/],
    ["bad instanceType", { ...base, instanceType: "g6.large" }, "instanceType", /ecs\.<family>\.<size>/],
    ["out above 100", { ...base, internetMaxBandwidthOut: 150 }, "internetMaxBandwidthOut", /at most 100 Mbit\/s; got 150/],
    ["out below 0", { ...base, internetMaxBandwidthOut: -1 }, "internetMaxBandwidthOut", /at least 0 Mbit\/s; got -1/],
    ["out not whole", { ...base, internetMaxBandwidthOut: 1.5 }, "internetMaxBandwidthOut", /whole number/],
    ["in 0", { ...base, internetMaxBandwidthIn: 0 }, "internetMaxBandwidthIn", /at least 1 Mbit\/s/],
    ["in above 200", { ...base, internetMaxBandwidthIn: 201 }, "internetMaxBandwidthIn", /at most 200/],
    ["in as a string", { ...base, internetMaxBandwidthIn: "10" }, "internetMaxBandwidthIn", /must be a number/],
    [
      "end before start",
      { ...base, temporaryBandwidth: { startTime: "2030-01-01T09:00:00Z", endTime: "2030-01-01T08:00:00Z", internetMaxBandwidthOut: 50 } },
      "temporaryBandwidth.endTime",
      /must be after temporaryBandwidth.startTime/,
    ],
    [
      "non-UTC time",
      { ...base, temporaryBandwidth: { startTime: "2030-01-01T09:00:00+08:00", endTime: "2030-01-02T08:00:00Z", internetMaxBandwidthOut: 50 } },
      "temporaryBandwidth.startTime",
      /yyyy-MM-ddTHH:mm:ssZ/,
    ],
    [
      "impossible date",
      { ...base, temporaryBandwidth: { startTime: "2030-02-30T09:00:00Z", endTime: "2030-03-02T08:00:00Z", internetMaxBandwidthOut: 50 } },
      "temporaryBandwidth.startTime",
      /valid UTC time/,
    ],
    [
      "window not above out",
      { ...base, internetMaxBandwidthOut: 50, temporaryBandwidth: { startTime: "2030-01-01T08:00:00Z", endTime: "2030-01-01T09:00:00Z", internetMaxBandwidthOut: 50 } },
      "temporaryBandwidth.internetMaxBandwidthOut",
      /must be above internetMaxBandwidthOut \(50\)/,
    ],
    ["systemDiskCategory without a type change", { ...base, systemDiskCategory: "cloud_ssd" }, "systemDiskCategory", /only with a type change: set instanceType too/],
    ["bad systemDiskCategory", { ...base, instanceType: "ecs.g6.xlarge", systemDiskCategory: "cloud" }, "systemDiskCategory", /cloud_efficiency or cloud_ssd/],
    ["allowMigrateAcrossZone without a type", { ...base, allowMigrateAcrossZone: true }, "allowMigrateAcrossZone", /only with a type change/],
    ["bad stoppedMode", { ...base, stoppedMode: "Stop" }, "stoppedMode", /KeepCharging or StopCharging/],
    ["negative cooldown", { ...base, cooldownSeconds: -1 }, "cooldownSeconds", /0 or more/],
    ["zero timeout", { ...base, timeoutSeconds: 0 }, "timeoutSeconds", /more than 0/],
    ["unknown field", { ...base, bandwidth: 5 }, "bandwidth", /^unknown field bandwidth: remove it \(check the spelling\)$/],
    ["a field named constructor", { ...base, constructor: 1 }, "constructor", /^unknown field constructor: remove it/],
    ["an own __proto__ key (as JSON.parse makes it)", JSON.parse(`{"instanceId":"i-abc","regionId":"cn-hangzhou","__proto__":{"x":1}}`), "__proto__", /^unknown field __proto__: remove it/],
    [
      "an unknown key inside temporaryBandwidth",
      { ...base, temporaryBandwidth: JSON.parse(`{"startTime":"2030-01-01T08:00:00Z","endTime":"2030-01-01T09:00:00Z","internetMaxBandwidthOut":50,"__proto__":1}`) },
      "temporaryBandwidth.__proto__",
      /^unknown field __proto__: remove it/,
    ],
  ];
  for (const [name, input, property, reason] of cases) {
    it(name, () => {
      const r = parseDesiredSpec(input);
      assert.equal(r.ok, false);
      if (r.ok) return;
      const f = r.failures.find((x) => x.property === property);
      assert.ok(f, `no failure for ${property}: ${JSON.stringify(r.failures)}`);
      assert.match(f.reason, reason);
    });
  }

  it("names every unknown key on its own", () => {
    // GIVEN two unknown keys WHEN parsed THEN one failure each, on the key
    const r = parseDesiredSpec({ ...base, bandwidth: 5, toString: "x" });
    assert.deepEqual(!r.ok && r.failures.map((f) => f.property), ["bandwidth", "toString"]);
  });

  it("reports every failure at once", () => {
    const r = parseDesiredSpec({ ...base, internetMaxBandwidthOut: 500, internetMaxBandwidthIn: 0 });
    assert.deepEqual(!r.ok && r.failures.map((f) => f.property), ["internetMaxBandwidthOut", "internetMaxBandwidthIn"]);
  });
});
