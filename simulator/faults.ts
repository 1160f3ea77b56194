/**
 * Fault injection: scripted failures for the next N calls of an action, for tests and users.
 */

/** The longest latency a fault may add: one hour, beyond any client's timeout. */
export const MAX_LATENCY_MS = 3_600_000;

/** Which calls a fault hits. */
export interface FaultTarget {
  /** Action name (`ModifyInstanceSpec`), or `*` for every action. */
  action: string;
  /**
   * Only calls that name this instance: as `InstanceId`, `ResourceId`, one of `ResourceId.N`, or
   * inside the `InstanceIds` JSON array. A call that names no instance (a listing) is not hit.
   */
  instanceId?: string;
  /** How many matching calls the fault hits (default 1). */
  count?: number;
}

/**
 * One injected fault.
 * - `error`: answer this ECS error instead of running the call (status defaults to the code's usual one).
 * - `latency`: wait `ms` (0 to `MAX_LATENCY_MS`) before handling the call normally (combines with one other fault).
 * - `drop`: close the connection without an answer; the call is not applied.
 * - `badGateway`: answer a non-JSON HTML 502; the call is not applied.
 * - `lostResponse`: apply the call, then close the connection without an answer.
 * @example { action: "ModifyInstanceSpec", kind: "error", code: "InternalError", count: 2 }
 */
export type FaultSpec = FaultTarget &
  (
    | { kind: "error"; code: string; httpStatus?: number; message?: string }
    | { kind: "latency"; ms: number }
    | { kind: "drop" }
    | { kind: "badGateway" }
    | { kind: "lostResponse" }
  );

/** A fault with the number of hits it has left. */
export interface ActiveFault {
  spec: FaultSpec;
  remaining: number;
}

/** Validates a fault given over the admin API; returns an error message or undefined. */
export function faultProblem(f: unknown): string | undefined {
  if (!f || typeof f !== "object") return "fault must be an object";
  const x = f as Record<string, unknown>;
  if (typeof x.action !== "string" || x.action === "") return "fault.action must be an action name or *";
  if (x.count !== undefined && (!Number.isSafeInteger(x.count) || (x.count as number) < 1)) return "fault.count must be an integer >= 1";
  if (x.instanceId !== undefined && typeof x.instanceId !== "string") return "fault.instanceId must be a string";
  switch (x.kind) {
    case "error":
      if (typeof x.code !== "string" || x.code === "") return "fault.code must be a string";
      if (x.httpStatus !== undefined && (!Number.isInteger(x.httpStatus) || (x.httpStatus as number) < 200 || (x.httpStatus as number) > 599)) {
        return "fault.httpStatus must be an HTTP status";
      }
      return undefined;
    case "latency":
      // Node's timers fire at once for delays over 2^31-1 ms, so an unchecked 1e12 would be no delay at all.
      return typeof x.ms === "number" && Number.isFinite(x.ms) && x.ms >= 0 && x.ms <= MAX_LATENCY_MS
        ? undefined
        : `fault.ms must be a number of milliseconds from 0 to ${MAX_LATENCY_MS}`;
    case "drop":
    case "badGateway":
    case "lostResponse":
      return undefined;
    default:
      return "fault.kind must be one of error, latency, drop, badGateway, lostResponse";
  }
}

/** The queue of active faults. */
export class FaultQueue {
  private faults: ActiveFault[] = [];

  add(spec: FaultSpec): void {
    this.faults.push({ spec, remaining: spec.count ?? 1 });
  }

  clear(): void {
    this.faults = [];
  }

  list(): ActiveFault[] {
    return this.faults.map((f) => ({ spec: f.spec, remaining: f.remaining }));
  }

  /**
   * Takes the faults that hit this call: the total latency of matching latency faults, and the
   * first matching fault of any other kind. Each taken fault loses one hit.
   */
  take(action: string, params: Record<string, string>): { latencyMs: number; fault?: FaultSpec } {
    const named = namedInstances(params);
    const hits = (f: ActiveFault) =>
      f.remaining > 0 && (f.spec.action === "*" || f.spec.action === action) &&
      (f.spec.instanceId === undefined || named.has(f.spec.instanceId));
    let latencyMs = 0;
    let fault: FaultSpec | undefined;
    for (const f of this.faults) {
      if (!hits(f)) continue;
      if (f.spec.kind === "latency") {
        latencyMs += f.spec.ms;
        f.remaining--;
      } else if (!fault) {
        fault = f.spec;
        f.remaining--;
      }
    }
    this.faults = this.faults.filter((f) => f.remaining > 0);
    return { latencyMs, fault };
  }
}

/** The instance IDs a call names: `InstanceId`, `ResourceId`, `ResourceId.N`, the `InstanceIds` JSON array. */
export function namedInstances(params: Record<string, string>): Set<string> {
  const named = new Set<string>();
  for (const [k, v] of Object.entries(params)) {
    if (k === "InstanceId" || k === "ResourceId" || /^ResourceId\.\d+$/.test(k)) named.add(v);
  }
  if (params.InstanceIds !== undefined) {
    try {
      const ids: unknown = JSON.parse(params.InstanceIds);
      if (Array.isArray(ids)) for (const id of ids) if (typeof id === "string") named.add(id);
    } catch {
      // A malformed list names nothing; the model answers InvalidParameter for it.
    }
  }
  return named;
}
