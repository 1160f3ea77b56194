/**
 * What the rollout needs from a health check: the fleet's `rollout.healthCheck` turned into a
 * {@link FleetHealth} through the health module (parsing, monitor, preview-time target check);
 * without one, an instance serves when it is Running.
 */
import type { EcsApi, EcsClient } from "../client";
import { readWithRetry } from "../executor";
import { HEALTH_DEFAULTS, healthMonitorFor, healthTargetProblems, type HealthMonitor, type HealthTiming, type InputProblem, type InstanceAddress, type ParsedHealthCheck } from "../health";
import type { InstanceSnapshot } from "../model";

export type { HealthObservation, InstanceAddress } from "../health";

/** A health monitor the rollout asks about many instances at once, and how to wait on it. */
export interface FleetHealth extends HealthMonitor {
  /** What is checked, for progress lines (`CLB lb-web backend health`). */
  readonly description: string;
  /** Polling of one instance's wait (`waitUntilServing`): interval and serving observations in a row. */
  readonly timing: Pick<HealthTiming, "intervalSeconds" | "healthyThreshold">;
}

/** Without a health check: an instance serves when it is Running (one observation is enough). */
export function statusHealth(api: EcsApi, intervalSeconds = 1): FleetHealth {
  return {
    description: "instance status Running (no healthCheck)",
    timing: { intervalSeconds, healthyThreshold: 1 },
    async observe(instances) {
      const snaps = await Promise.all(instances.map((i) => readWithRetry(() => api.describeInstance(i.instanceId, { knownHasLocalDisks: false }))));
      return new Map(instances.map((i, n) => [i.instanceId, snaps[n]?.status === "Running" ? "serving" : "notServing"] as const));
    },
  };
}

const HEALTH_CHECK_PATH = "rollout.healthCheck";

/** A ready health check and its timing. */
export interface HealthSetup {
  readonly health: FleetHealth;
  /** The parsed check (absent: the status check). */
  readonly parsed?: ParsedHealthCheck;
  /** Seconds an instance must keep serving before it frees its slot. */
  readonly warmupSeconds: number;
  /** Seconds a restarted instance may take to serve before it counts as failed. */
  readonly timeoutSeconds: number;
}

/** How an instance is reached by a check: its ID and addresses from `DescribeInstances`. */
export function addressOf(s: InstanceSnapshot): InstanceAddress {
  return { instanceId: s.instanceId, ...(s.privateIp ? { privateIp: s.privateIp } : {}), ...(s.publicIp ? { publicIp: s.publicIp } : {}) };
}

/** The health check of a fleet (parsed by `parseFleetInputs`), over the client. */
export function healthFor(parsed: ParsedHealthCheck | undefined, api: EcsClient): HealthSetup {
  if (parsed === undefined) return { health: statusHealth(api), warmupSeconds: 0, timeoutSeconds: HEALTH_DEFAULTS.timeoutSeconds };
  const c = parsed.check;
  const description =
    c.type === "clb"
      ? `CLB ${c.loadBalancerId}${c.listenerPort !== undefined ? ` listener ${c.listenerPort}` : ""} backend health`
      : `GET ${c.url} answering ${c.expectedStatus ?? 200}`;
  // Every wait of the rollout polls the same load balancer: observations within half an interval
  // share one DescribeHealthStatus, no staler than polling at that interval is anyway.
  const monitor = healthMonitorFor(parsed, api, { shareAnswerMs: (parsed.intervalSeconds * 1000) / 2 });
  return {
    health: { description, timing: parsed, observe: (instances) => monitor.observe(instances) },
    parsed,
    warmupSeconds: parsed.warmupSeconds,
    timeoutSeconds: parsed.timeoutSeconds,
  };
}

/**
 * Before anything is touched: instances the check can never judge (not a backend of the load
 * balancer, no health check on its listener, no address for the URL) fail the preview.
 */
export async function healthProblems(setup: HealthSetup, api: EcsClient, snapshots: readonly InstanceSnapshot[]): Promise<InputProblem[]> {
  return setup.parsed ? healthTargetProblems(setup.parsed, api, snapshots.map(addressOf), HEALTH_CHECK_PATH) : [];
}
