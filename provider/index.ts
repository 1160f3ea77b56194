/**
 * pulumi-ecs-spec: change a running Alibaba Cloud ECS instance's spec and public bandwidth safely
 * from a Pulumi program.
 *
 * @example
 * import { InstanceSpec } from "pulumi-ecs-spec";
 * new InstanceSpec("web", { instanceId: "i-bp67acfmxazb4ph0abcd", regionId: "cn-hangzhou", instanceType: "ecs.g6.xlarge" });
 */
export { InstanceSpec, type InstanceSpecArgs, type TemporaryBandwidthArgs, type ActualSpec, type AppliedCall } from "./resource";
export {
  InstanceSpecFleet,
  type InstanceSpecFleetArgs,
  type FleetInstanceArgs,
  type FleetSpecArgs,
  type RolloutArgs,
  type FleetHealthCheckArgs,
  type FleetInstanceState,
} from "./fleet/resource";
