/**
 * `ecs-sim`: a strict, offline ECS API (2014-05-26) for tests, demos, benchmarks and users.
 * Start one with `startSimulator()`, point `@alicloud/pop-core` or `@alicloud/ecs20140526` at
 * `url` / `endpointHost`, and sign with `accessKeyId` / `accessKeySecret`. See simulator/README.md.
 *
 * @example
 * const sim = await startSimulator({ timing: { cooldownSeconds: 1, stopSeconds: 0.2, startSeconds: 0.2 } });
 * const client = new RPCClient({ endpoint: sim.url, apiVersion: "2014-05-26",
 *   accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret });
 * await client.request("StopInstance", { InstanceId: "i-demo-web-01" });
 * await sim.close();
 */
export {
  startSimulator,
  DEMO_CREDENTIALS,
  API_VERSION,
  SLB_API_VERSION,
  DEFAULT_AVAILABILITY_SAMPLE_MS,
  type SimulatorOptions,
  type RunningSimulator,
  type AvailabilityReport,
} from "./server.js";
export {
  TIMELINE_CAP,
  type HealthFaultSpec,
  type ActiveHealthFault,
  type LoadBalancerAvailability,
  type AvailabilityPoint,
  type ServerHealthStatus,
} from "./health.js";
export {
  DEFAULT_CALL_LOG_LIMITS,
  type CallLogEntry,
  type CallLogLimits,
  type CallLogStats,
} from "./calllog.js";
export { DEFAULT_TIMING, type SimulatorTiming } from "./model.js";
export { MAX_LATENCY_MS, type FaultSpec, type FaultTarget, type ActiveFault } from "./faults.js";
export { ADMIN_TOKEN_ENV } from "./admin.js";
export type { SimCredential } from "./auth.js";
export type { SimError } from "./errors.js";
export {
  demoState,
  makeInstance,
  DEMO_REGION,
  DEMO_ZONE,
  DEMO_ZONE_2,
  DEMO_IMAGE,
  DEMO_TIER,
  DEMO_TIER_LB,
  LOCAL_DISK_CATEGORIES,
  type SimState,
  type SimInstance,
  type SimAccount,
  type SimTag,
  type SimInstanceType,
  type SimZone,
  type SimZoneOffer,
  type SimImage,
  type SimDisk,
  type SimStatus,
  type SimTemporaryBandwidth,
  type SimClientToken,
  type SimLoadBalancer,
  type SimListener,
} from "./state.js";
