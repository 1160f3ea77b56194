/**
 * The fleet's `rollout.healthCheck` turned into a {@link FleetHealth}: without one, an instance
 * serves when it is Running.
 */
import type { EcsApi } from "../client";
import type { InstanceSnapshot } from "../model";
import { statusHealth, type FleetHealth, type InstanceAddress } from "./health-port";

/** A ready health check, how to address an instance for it, and how long a restarted instance typically takes to pass it. */
export interface HealthSetup {
  readonly health: FleetHealth;
  readonly addressOf: (s: InstanceSnapshot) => InstanceAddress;
  /** Estimate, seconds: from Running to serving. */
  readonly healthSeconds: number;
}

/** The health check of a fleet, or failures naming `rollout.healthCheck…`. */
export function healthFor(
  raw: unknown,
  api: EcsApi,
  _inputs: Record<string, unknown>,
  _regionId: string,
): { ok: true; value: HealthSetup } | { ok: false; failures: { property: string; reason: string }[] } {
  if (raw === undefined || raw === null) {
    return { ok: true, value: { health: statusHealth(api), addressOf: (s) => ({ instanceId: s.instanceId }), healthSeconds: 0 } };
  }
  return { ok: false, failures: [{ property: "rollout.healthCheck", reason: "rollout.healthCheck is not supported yet: remove it (an instance then serves when Running)" }] };
}
