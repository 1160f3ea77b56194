// A subscription (PrePaid) instance: a larger type and more bandwidth. The preview shows both orders
// and who pays them; `pulumi up` upgrades the type while the instance runs (ECS restarts it once
// when the order settles: no stop), then raises the bandwidth after the interval between changes.
import * as pulumi from "@pulumi/pulumi";
import { InstanceSpec } from "pulumi-ecs-spec";

const config = new pulumi.Config();

const db = new InstanceSpec("db", {
  instanceId: config.get("instanceId") ?? "i-demo-prepaid-01",
  instanceType: config.get("instanceType") ?? "ecs.g6.xlarge",
  internetMaxBandwidthOut: config.getNumber("bandwidthOut") ?? 20,
  // Upgrades cost the price difference for the rest of the billing cycle: pay it from the balance.
  // Without this the preview refuses the plan and says what would be ordered.
  autoPay: true,
  cooldownSeconds: config.getNumber("cooldownSeconds"),
});

export const instanceType = db.actual.instanceType;
export const status = db.actual.status;
export const orders = db.lastApply.apply((calls) => calls.filter((c) => c.orderId !== undefined).map((c) => `${c.action}: order ${c.orderId}`));
