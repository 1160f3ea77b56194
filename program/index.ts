/**
 * The main job: resize the simulator's demo instances (or, pointed at Alibaba Cloud, the instances
 * named in the stack config). Run it with `npm run demo`, which starts the simulator when no
 * endpoint or credentials are configured, or with `pulumi up` in this folder.
 */
import * as pulumi from "@pulumi/pulumi";
import { InstanceSpec } from "../provider";

const config = new pulumi.Config();
/** Seconds of the API's change cooldown: 300 in the cloud; the demo's simulator compresses it. */
const cooldownSeconds = config.getNumber("cooldownSeconds");
/** How long a stop and a start take: ~45 s each in the cloud; the demo's simulator is faster. */
const estimates = { stopSeconds: config.getNumber("stopSeconds"), startSeconds: config.getNumber("startSeconds") };

// A type change and a bandwidth change on one running instance: one short stop for the type, a
// start right after, and the bandwidth once the API's cooldown is over (while running).
const web = new InstanceSpec("web", {
  instanceId: config.get("webInstanceId") ?? "i-demo-web-01",
  instanceType: config.get("webInstanceType") ?? "ecs.g6.xlarge",
  internetMaxBandwidthOut: config.getNumber("webBandwidthOut") ?? 20,
  cooldownSeconds,
  estimates,
});

// Bandwidth only, out and in: no stop at all.
const api = new InstanceSpec("api", {
  instanceId: config.get("apiInstanceId") ?? "i-demo-api-01",
  internetMaxBandwidthOut: config.getNumber("apiBandwidthOut") ?? 50,
  internetMaxBandwidthIn: config.getNumber("apiBandwidthIn") ?? 200,
  cooldownSeconds,
});

export const webActual = web.actual;
export const webCalls = web.lastApply.apply((calls) => calls.map((c) => `${c.action} → RequestId ${c.requestId}`));
export const apiActual = api.actual;
