/**
 * The request rules checked before anything is sent, and how a window that has begun is sent.
 */
import assert from "node:assert/strict";
import { atSendTime, isoSeconds, MAX_WINDOW_AHEAD_DAYS, requestRefusals, windowRefusals } from "../../provider/rules";
import { sameTemporary, NETWORK_BEGUN_SLACK_MS, type ModifyBandwidthStep, type ModifyNetworkTemporaryStep, type ModifyTemporaryBandwidthStep, type ModifyTypeStep } from "../../provider/plan";

const NOW = Date.parse("2030-01-01T12:00:00Z");
const TOKEN = "ecsspec-000000000000000000000000000000000000000000000000";
const base = { clientToken: TOKEN, whileStatus: "Running" as const, expectedSeconds: 5 };
const window = (startTime: string, endTime: string): ModifyTemporaryBandwidthStep => ({ ...base, kind: "modifyTemporaryBandwidth", startTime, endTime, out: 50 });

describe("rules: a window that has begun is sent from now", () => {
  it("starts at the send time cut to the whole second, keeps its end, and gets a token of its own", () => {
    // GIVEN a window that began an hour before the call is sent, at 12:00:00.750
    const planned = window("2030-01-01T11:00:00Z", "2030-01-01T14:00:00Z");
    const sent = atSendTime(planned, NOW + 750);
    // THEN it starts at 12:00:00 (never after the moment it is sent), to the same end
    assert.equal(sent.startTime, "2030-01-01T12:00:00Z");
    assert.equal(sent.endTime, "2030-01-01T14:00:00Z");
    // AND its token is another one, the same for every attempt of that call
    assert.notEqual(sent.clientToken, TOKEN);
    assert.match(sent.clientToken, /^ecsspec-[0-9a-f]{48}$/);
    assert.equal(atSendTime(planned, NOW + 999).clientToken, sent.clientToken);
    assert.notEqual(atSendTime(planned, NOW + 1000).clientToken, sent.clientToken);
  });

  it("a window that has not begun, and any other step, is sent as planned", () => {
    const future = window("2030-01-01T12:00:01Z", "2030-01-01T14:00:00Z");
    assert.equal(atSendTime(future, NOW), future);
    const exact = window("2030-01-01T12:00:00Z", "2030-01-01T14:00:00Z");
    assert.equal(atSendTime(exact, NOW + 500), exact);
    const bw: ModifyBandwidthStep = { ...base, kind: "modifyBandwidth", out: { from: 5, to: 20 } };
    assert.equal(atSendTime(bw, NOW), bw);
  });

  it("isoSeconds: the API's format, cut down to the second", () => {
    assert.equal(isoSeconds(NOW + 999), "2030-01-01T12:00:00Z");
  });
});

describe("rules: a subscription window (ModifyInstanceNetworkSpec) that has begun is sent from the next whole minute", () => {
  const netWindow = (startTime: string, endTime: string): ModifyNetworkTemporaryStep => ({
    ...base, kind: "modifyNetworkTemporary", startTime, endTime, out: 50, direction: "upgrade", autoPay: true,
  });

  it("the API takes the start to the minute and refuses one in the past: the next whole minute, its own token", () => {
    // GIVEN a window that began at 11:00, sent at 12:00:20
    const sent = atSendTime(netWindow("2030-01-01T11:00:00Z", "2030-01-01T15:00:00Z"), NOW + 20_000);
    // THEN it starts at 12:01:00, keeps its end, with a token of its own
    assert.equal(sent.startTime, "2030-01-01T12:01:00Z");
    assert.equal(sent.endTime, "2030-01-01T15:00:00Z");
    assert.notEqual(sent.clientToken, TOKEN);
    // AND at a whole minute it starts then
    assert.equal(atSendTime(netWindow("2030-01-01T11:00:00Z", "2030-01-01T15:00:00Z"), NOW).startTime, "2030-01-01T12:00:00Z");
  });

  it("refused when less than 3 hours are left from that start", () => {
    const r = requestRefusals(netWindow("2030-01-01T11:00:00Z", "2030-01-01T15:00:00Z"), NOW + 20_000, NOW);
    assert.deepEqual(r.map((x) => x.code), ["TemporaryWindowTooShort"]);
    assert.deepEqual(requestRefusals(netWindow("2030-01-01T11:00:00Z", "2030-01-01T16:00:00Z"), NOW + 20_000, NOW), []);
  });

  it("the window recorded from the next minute is the same as the desired one that began (a re-run sends nothing)", () => {
    const desired = { startTime: "2030-01-01T11:00:00Z", endTime: "2030-01-01T16:00:00Z", internetMaxBandwidthOut: 50 };
    const applied = { ...desired, startTime: "2030-01-01T12:01:00Z" };
    assert.equal(sameTemporary(desired, applied, NOW + 20_000, NETWORK_BEGUN_SLACK_MS), true);
    assert.equal(sameTemporary(desired, applied, NOW + 20_000), false);
  });
});

describe("rules: what is refused before anything is sent", () => {
  it("windowRefusals: over, or ending more than the horizon ahead", () => {
    const w = (startTime: string, endTime: string) => ({ startTime, endTime, internetMaxBandwidthOut: 50 });
    assert.deepEqual(windowRefusals(w("2030-01-01T10:00:00Z", "2030-01-01T12:00:00Z"), NOW).map((r) => [r.code, r.field]), [["TemporaryWindowPast", "temporaryBandwidth.endTime"]]);
    assert.deepEqual(windowRefusals(w("2030-01-01T10:00:00Z", "2030-01-01T12:00:01Z"), NOW), []);
    const lastOk = isoSeconds(NOW + MAX_WINDOW_AHEAD_DAYS * 86_400_000);
    assert.deepEqual(windowRefusals(w("2030-01-01T13:00:00Z", lastOk), NOW), []);
    assert.deepEqual(windowRefusals(w("2030-01-01T13:00:00Z", isoSeconds(Date.parse(lastOk) + 1000)), NOW).map((r) => [r.code, r.field]), [["TemporaryWindowTooFar", "temporaryBandwidth.endTime"]]);
  });

  it("requestRefusals: parameters the API refuses whatever the instance (a bug if it ever shows)", () => {
    const type: ModifyTypeStep = { ...base, kind: "modifyType", from: "ecs.g6.large", instanceType: "g6.large" };
    assert.deepEqual(requestRefusals(type, NOW, NOW).map((r) => [r.code, r.field]), [["InvalidRequest", "instanceType"]]);
    const bw: ModifyBandwidthStep = { ...base, clientToken: "", kind: "modifyBandwidth", out: { from: 5, to: 101 } };
    assert.deepEqual(requestRefusals(bw, NOW, NOW).map((r) => [r.code, r.field]), [["InvalidRequest", undefined], ["InvalidRequest", "internetMaxBandwidthOut"]]);
    assert.match(requestRefusals(bw, NOW, NOW)[1]!.message, /InternetMaxBandwidthOut 101 \(0–100\), which ModifyInstanceSpec refuses; nothing was sent/);
    const badTime = window("2030-01-01T12:00:00.5Z", "2030-01-01T14:00:00Z");
    assert.deepEqual(requestRefusals(badTime, NOW, NOW).map((r) => r.field), ["temporaryBandwidth.startTime"]);
  });

  it("requestRefusals: a window that ends before its step is expected to be sent", () => {
    const w = window("2030-01-01T11:00:00Z", "2030-01-01T12:05:00Z");
    assert.deepEqual(requestRefusals(w, NOW + 240_000, NOW), []);
    assert.deepEqual(requestRefusals(w, NOW + 300_000, NOW).map((r) => [r.code, r.field]), [["TemporaryWindowEndsFirst", "temporaryBandwidth.endTime"]]);
  });
});
