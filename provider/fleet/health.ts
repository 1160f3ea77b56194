/**
 * The fleet's `rollout.healthCheck` turned into a {@link FleetHealth} through the health module
 * (parsing, monitor, preview-time target check); without one, an instance serves when Running.
 */
import type { EcsClient, HealthStatusRow } from "../client";
import {
  HEALTH_DEFAULTS,
  healthMonitorFor,
  healthTargetProblems,
  observationFromRows,
  type HealthCheckSpec,
  type HealthClient,
  type HealthMonitor,
  type InputProblem,
  type ParsedHealthCheck,
} from "../health";
import type { InstanceSnapshot } from "../model";
import { statusHealth, type FleetHealth, type InstanceAddress } from "./health-port";

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
  const monitor = c.type === "clb" ? sharedClb(api, c, (parsed.intervalSeconds * 1000) / 2) : healthMonitorFor(parsed, api);
  return {
    health: { description, timing: parsed, observe: (instances) => monitor.observe(instances) },
    parsed,
    warmupSeconds: parsed.warmupSeconds,
    timeoutSeconds: parsed.timeoutSeconds,
  };
}

/**
 * A CLB monitor shared by every wait of the rollout: one `DescribeHealthStatus` answers for every
 * backend, so calls that start within `reuseMs` of each other share one answer (each instance
 * waiting for its health would otherwise poll on its own: maxUnavailable calls per interval, which
 * the API budget turns into waits). An answer is never older than half an interval, the staleness
 * polling at that interval has anyway.
 */
function sharedClb(api: HealthClient, spec: Extract<HealthCheckSpec, { type: "clb" }>, reuseMs: number): HealthMonitor {
  let last: { readonly startedMs: number; readonly rows: Promise<HealthStatusRow[]> } | undefined;
  return {
    async observe(instances) {
      const now = Date.now();
      if (!last || now - last.startedMs > reuseMs) {
        const rows = api.describeHealthStatus({ loadBalancerId: spec.loadBalancerId, ...(spec.listenerPort !== undefined ? { listenerPort: spec.listenerPort } : {}) });
        const mine = { startedMs: now, rows };
        last = mine;
        rows.catch(() => {
          if (last === mine) last = undefined;
        });
      }
      const rows = await last.rows;
      return new Map(instances.map((i) => [i.instanceId, observationFromRows(rows, i.instanceId)] as const));
    },
  };
}

/**
 * Before anything is touched: instances the check can never judge (not a backend of the load
 * balancer, no health check on its listener, no address for the URL) fail the preview.
 */
export async function healthProblems(setup: HealthSetup, api: EcsClient, snapshots: readonly InstanceSnapshot[]): Promise<InputProblem[]> {
  return setup.parsed ? healthTargetProblems(setup.parsed, api, snapshots.map(addressOf), HEALTH_CHECK_PATH) : [];
}
