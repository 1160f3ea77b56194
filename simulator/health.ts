/**
 * Health of the simulated instances as a load balancer and the application see it: the CLB
 * `DescribeHealthStatus` action (API `2014-05-15`), the `/_health/` URLs, the per-instance health
 * faults and the availability sampler. No I/O here: the server calls these with `now`.
 *
 * The model: an instance serves when it is `Running`, has been for `timing.healthyAfterSeconds`,
 * and no health fault says otherwise. A CLB listener without a health check reports
 * `unavailable` for every backend (no signal), whatever the instance does.
 */
import { E } from "./errors.js";
import { advance, newRequestId, type ModelContext, type Outcome, type Params, type SimulatorTiming } from "./model.js";
import type { SimInstance, SimListener, SimState } from "./state.js";

/**
 * A per-instance health fault (admin API `POST /_sim/health-faults`):
 * - `neverHealthy`: abnormal (and 503) while running, forever, until the fault is removed;
 * - `flap`: while it would be healthy, alternates `periodSeconds` normal, `periodSeconds` abnormal,
 *   starting normal at the moment the fault was set.
 */
export type HealthFaultSpec = { instanceId: string } & ({ health: "neverHealthy" } | { health: "flap"; periodSeconds: number });

/** A health fault with the moment it was set (the flap's phase counts from it). */
export interface ActiveHealthFault {
  spec: HealthFaultSpec;
  sinceMs: number;
}

/** The instance's health by the model: `normal` or `abnormal`. */
export type BackendHealth = "normal" | "abnormal";

/** What `DescribeHealthStatus` reports per row. */
export type ServerHealthStatus = BackendHealth | "unavailable";

/** Validates a health fault given over the admin API; returns an error message or undefined. */
export function healthFaultProblem(f: unknown): string | undefined {
  if (!f || typeof f !== "object") return "health fault must be an object {instanceId, health}";
  const x = f as Record<string, unknown>;
  if (typeof x.instanceId !== "string" || x.instanceId === "") return "healthFault.instanceId must be an instance ID";
  if (x.health === "neverHealthy") return undefined;
  if (x.health === "flap") {
    return typeof x.periodSeconds === "number" && Number.isFinite(x.periodSeconds) && x.periodSeconds > 0 && x.periodSeconds <= 3600
      ? undefined
      : "healthFault.periodSeconds must be a number of seconds over 0 and at most 3600";
  }
  return "healthFault.health must be neverHealthy or flap";
}

/** The health faults in force, one per instance at most (a new one replaces the old). */
export class HealthFaults {
  private readonly byInstance = new Map<string, ActiveHealthFault>();

  set(spec: HealthFaultSpec, nowMs: number): void {
    this.byInstance.set(spec.instanceId, { spec: { ...spec }, sinceMs: nowMs });
  }

  /** Removes the instance's fault; true when there was one. */
  remove(instanceId: string): boolean {
    return this.byInstance.delete(instanceId);
  }

  clear(): void {
    this.byInstance.clear();
  }

  get(instanceId: string): ActiveHealthFault | undefined {
    return this.byInstance.get(instanceId);
  }

  list(): ActiveHealthFault[] {
    return [...this.byInstance.values()].map((f) => ({ spec: { ...f.spec }, sinceMs: f.sinceMs }));
  }
}

/** The instance's health at `now` (its status advanced to `now` first). */
export function instanceHealth(inst: SimInstance, now: number, timing: SimulatorTiming, fault: ActiveHealthFault | undefined): BackendHealth {
  advance(inst, now);
  if (inst.status !== "Running") return "abnormal";
  if (inst.runningSinceMs !== null && now - inst.runningSinceMs < timing.healthyAfterSeconds * 1000) return "abnormal";
  if (!fault) return "normal";
  if (fault.spec.health === "neverHealthy") return "abnormal";
  const phase = Math.floor(Math.max(0, now - fault.sinceMs) / (fault.spec.periodSeconds * 1000));
  return phase % 2 === 0 ? "normal" : "abnormal";
}

/** What the SLB actions need besides their parameters. */
export interface HealthContext extends ModelContext {
  healthFaults: HealthFaults;
}

const LISTENER_PROTOCOLS: readonly string[] = ["http", "https", "tcp", "udp"];

function rowStatus(listener: SimListener, health: BackendHealth): ServerHealthStatus {
  return listener.healthCheck ? health : "unavailable";
}

/**
 * CLB `DescribeHealthStatus`: one row per (listener, backend), for the listeners the filters
 * keep. A backend whose instance no longer exists has no row (CLB drops released instances).
 */
export function describeHealthStatus(ctx: HealthContext, p: Params): Outcome {
  if (p.RegionId === undefined) return { ok: false, error: E.missingParameter("RegionId") };
  if (p.LoadBalancerId === undefined) return { ok: false, error: E.missingParameter("LoadBalancerId") };
  let port: number | undefined;
  if (p.ListenerPort !== undefined) {
    port = /^\d{1,5}$/.test(p.ListenerPort) ? Number(p.ListenerPort) : NaN;
    if (!(port >= 1 && port <= 65535)) return { ok: false, error: E.invalidParameter("ListenerPort") };
  }
  if (p.ListenerProtocol !== undefined && !LISTENER_PROTOCOLS.includes(p.ListenerProtocol)) {
    return { ok: false, error: E.invalidParameter("ListenerProtocol") };
  }
  if (p.RegionId !== ctx.state.regionId) return { ok: false, error: E.regionNotFound() };
  const lb = ctx.state.loadBalancers.find((l) => l.loadBalancerId === p.LoadBalancerId && l.regionId === p.RegionId);
  if (!lb) return { ok: false, error: E.loadBalancerNotFound() };
  const rows: Record<string, unknown>[] = [];
  for (const listener of lb.listeners) {
    if (port !== undefined && listener.port !== port) continue;
    if (p.ListenerProtocol !== undefined && listener.protocol !== p.ListenerProtocol) continue;
    for (const id of lb.backends) {
      const inst = ctx.state.instances.find((i) => i.instanceId === id);
      if (!inst) continue;
      rows.push({
        ListenerPort: listener.port,
        ServerId: id,
        Port: listener.backendPort,
        ServerIp: inst.privateIpAddress,
        ServerHealthStatus: rowStatus(listener, instanceHealth(inst, ctx.now, ctx.timing, ctx.healthFaults.get(id))),
        Protocol: listener.protocol,
        Type: "ecs",
      });
    }
  }
  return { ok: true, body: { RequestId: newRequestId(), BackendServers: { BackendServer: rows } } };
}

/** The CLB actions the simulator serves, by name. */
export const SLB_ACTIONS: Record<string, (ctx: HealthContext, p: Params) => Outcome> = {
  DescribeHealthStatus: describeHealthStatus,
};

/**
 * The answer of the application's own health URL: `GET /_health/instance/{id}` or
 * `GET /_health/ip/{privateIp}`. 200 when the instance serves, 503 when not, 404 when unknown.
 */
export function httpHealth(
  state: SimState,
  by: { instanceId: string } | { privateIp: string },
  now: number,
  timing: SimulatorTiming,
  faults: HealthFaults,
): { status: 200 | 503 | 404; body: Record<string, unknown> } {
  const inst = "instanceId" in by
    ? state.instances.find((i) => i.instanceId === by.instanceId)
    : state.instances.find((i) => i.privateIpAddress === by.privateIp);
  if (!inst) return { status: 404, body: { error: "no such instance" } };
  const health = instanceHealth(inst, now, timing, faults.get(inst.instanceId));
  return { status: health === "normal" ? 200 : 503, body: { instanceId: inst.instanceId, status: inst.status, health } };
}

/** One point of a load balancer's availability timeline. */
export interface AvailabilityPoint {
  atMs: number;
  /** Backends not serving at that sample. */
  notServing: number;
}

/** What the sampler saw of one load balancer since the last reset. */
export interface LoadBalancerAvailability {
  loadBalancerId: string;
  /** Backends at the last sample. */
  backends: number;
  /** The most backends not serving at once in any sample. */
  maxNotServing: number;
  /** When that maximum was first seen (epoch ms), null before any sample. */
  maxNotServingAtMs: number | null;
  /** Samples taken. */
  samples: number;
  lastSample: AvailabilityPoint | null;
  /** The samples where `notServing` changed (the first sample included), oldest first, at most {@link TIMELINE_CAP}. */
  timeline: AvailabilityPoint[];
  /** Timeline points let go to stay within the cap. */
  timelineDropped: number;
}

/** Timeline points kept per load balancer. */
export const TIMELINE_CAP = 1000;

/**
 * Counts, at each sample, the backends of every load balancer that do not serve (not Running, or
 * not healthy by the model, or gone), keeping the maximum and the changes. Memory stays bounded:
 * one record per load balancer and at most {@link TIMELINE_CAP} points each.
 */
export class AvailabilitySampler {
  private readonly byLb = new Map<string, LoadBalancerAvailability>();

  sample(state: SimState, now: number, timing: SimulatorTiming, faults: HealthFaults): void {
    if (state.loadBalancers.length === 0) return;
    const byId = new Map(state.instances.map((i) => [i.instanceId, i] as const));
    for (const lb of state.loadBalancers) {
      let notServing = 0;
      for (const id of lb.backends) {
        const inst = byId.get(id);
        if (!inst || instanceHealth(inst, now, timing, faults.get(id)) !== "normal") notServing++;
      }
      let rec = this.byLb.get(lb.loadBalancerId);
      if (!rec) {
        rec = { loadBalancerId: lb.loadBalancerId, backends: 0, maxNotServing: 0, maxNotServingAtMs: null, samples: 0, lastSample: null, timeline: [], timelineDropped: 0 };
        this.byLb.set(lb.loadBalancerId, rec);
      }
      rec.backends = lb.backends.length;
      if (rec.samples === 0 || notServing > rec.maxNotServing) {
        rec.maxNotServing = notServing;
        rec.maxNotServingAtMs = now;
      }
      if (rec.lastSample === null || rec.lastSample.notServing !== notServing) {
        rec.timeline.push({ atMs: now, notServing });
        if (rec.timeline.length > TIMELINE_CAP) {
          rec.timeline.shift();
          rec.timelineDropped++;
        }
      }
      rec.samples++;
      rec.lastSample = { atMs: now, notServing };
    }
  }

  /** A copy of what was seen, per load balancer. */
  snapshot(): Record<string, LoadBalancerAvailability> {
    const out: Record<string, LoadBalancerAvailability> = {};
    for (const [id, rec] of this.byLb) out[id] = { ...rec, lastSample: rec.lastSample && { ...rec.lastSample }, timeline: rec.timeline.map((p) => ({ ...p })) };
    return out;
  }

  /** Forgets everything; the next sample starts afresh. */
  reset(): void {
    this.byLb.clear();
  }
}
