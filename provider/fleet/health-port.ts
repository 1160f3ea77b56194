/**
 * What the rollout needs from a health check: the health module's monitor (one observation of
 * many instances at once) with a line saying what it checks. Without a `healthCheck` the status
 * check is used: an instance serves when it is Running.
 */
import type { EcsApi } from "../client";
import { readWithRetry } from "../executor";
import type { HealthMonitor, HealthTiming } from "../health";

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
