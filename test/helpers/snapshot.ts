import type { InstanceSnapshot } from "../../provider/model";

/** A running pay-as-you-go instance (ecs.g6.large, out 5 in 100), with `over` applied. */
export function snapshot(over: Partial<InstanceSnapshot> = {}): InstanceSnapshot {
  return {
    instanceId: "i-web",
    regionId: "cn-hangzhou",
    zoneId: "cn-hangzhou-h",
    status: "Running",
    instanceType: "ecs.g6.large",
    internetMaxBandwidthOut: 5,
    internetMaxBandwidthIn: 100,
    instanceChargeType: "PostPaid",
    internetChargeType: "PayByTraffic",
    stoppedMode: "Not-applicable",
    operationLocks: [],
    hasLocalDisks: false,
    tags: {},
    ...over,
  };
}
