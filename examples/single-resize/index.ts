// One instance, one new type. `pulumi preview --diff` shows the stop before anything happens;
// `pulumi up` stops the instance, changes its type, starts it again and waits until it runs.
import * as pulumi from "@pulumi/pulumi";
import { InstanceSpec } from "pulumi-ecs-spec";

const config = new pulumi.Config();

const app = new InstanceSpec("app", {
  instanceId: config.get("instanceId") ?? "i-demo-web-01",
  instanceType: config.get("instanceType") ?? "ecs.g6.xlarge",
  // Billing stops while the instance is stopped for the change (pay-as-you-go, VPC).
  stoppedMode: "StopCharging",
  cooldownSeconds: config.getNumber("cooldownSeconds"),
});

export const instanceType = app.actual.instanceType;
export const status = app.actual.status;
