// A permanent bandwidth change plus a temporary upgrade window (a launch, a sale): no stop at all.
// The calls are serialized one item each, with the API's cooldown waited out between them.
import * as pulumi from "@pulumi/pulumi";
import { InstanceSpec } from "pulumi-ecs-spec";

const config = new pulumi.Config();
const hour = 3600_000;
/** ISO 8601 UTC without milliseconds, the format `Temporary.StartTime` takes. */
const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
// A fixed window from config in a real program; the example's default starts on the next whole hour.
const start = config.get("windowStart") ?? isoSeconds(Math.ceil(Date.now() / hour) * hour + hour);
const end = config.get("windowEnd") ?? isoSeconds(Date.parse(start) + 6 * hour);

const edge = new InstanceSpec("edge", {
  instanceId: config.get("instanceId") ?? "i-demo-api-01",
  internetMaxBandwidthOut: 20,
  internetMaxBandwidthIn: 100,
  temporaryBandwidth: { startTime: start, endTime: end, internetMaxBandwidthOut: 80 },
  cooldownSeconds: config.getNumber("cooldownSeconds"),
});

export const bandwidthOut = edge.actual.internetMaxBandwidthOut;
export const calls = edge.lastApply.apply((steps) => steps.map((s) => `${s.action} ${s.requestId}`));
