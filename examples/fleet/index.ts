// A fleet resized in one program. Each instance has its own cooldown, so Pulumi applies them in
// parallel; within one instance the calls stay serialized. `allowStop: false` on the database
// makes a plan that needs a stop fail at preview instead of taking it down.
import * as pulumi from "@pulumi/pulumi";
import { InstanceSpec } from "pulumi-ecs-spec";

const config = new pulumi.Config();
const cooldownSeconds = config.getNumber("cooldownSeconds");
const workers = config.getObject<string[]>("workers") ?? ["i-demo-worker-01", "i-demo-worker-02"];

const specs = workers.map(
  (instanceId, i) =>
    new InstanceSpec(`worker-${i + 1}`, {
      instanceId,
      instanceType: "ecs.c6.xlarge",
      internetMaxBandwidthOut: 10,
      cooldownSeconds,
    }),
);

const batch = new InstanceSpec("batch", {
  instanceId: config.get("batchInstanceId") ?? "i-demo-batch-01",
  // Stopped now, and it stays stopped: the type change needs no start.
  instanceType: "ecs.g6.2xlarge",
  allowStop: false,
  cooldownSeconds,
});

export const fleet = pulumi
  .all(specs.map((s) => pulumi.all([s.instanceId, s.actual])))
  .apply((rows) => rows.map(([id, actual]) => `${id}: ${actual.instanceType} ${actual.status} out ${actual.internetMaxBandwidthOut}`));
export const batchType = batch.actual.instanceType;
