/**
 * Health gates: how a restarted instance is judged to serve again. Pure parsing of the user's
 * `healthCheck` input, a small monitor that asks the load balancer (CLB `DescribeHealthStatus`,
 * one call per load balancer for every instance asked) or the application's own URL, and
 * {@link waitUntilServing}, which polls a monitor on an injected clock. The only I/O goes through
 * the client ({@link HealthApi}); see docs/ecs-api.md, "CLB DescribeHealthStatus", for the facts.
 *
 * How signals are read:
 * - CLB: an instance serves when every row of it on the listener(s) asked reads `normal`; any
 *   `abnormal` row means not serving. `unavailable` (no health check on that listener, or not run
 *   yet) is no signal, not a failure: such rows are ignored when another row of the instance reads
 *   `normal`, and an instance with only `unavailable` rows, or with no row (not a backend), gets
 *   `noSignal`. Name `listenerPort` to judge by one listener only.
 * - HTTP: serving when `GET url` answers `expectedStatus` (default 200); any other status, a
 *   redirect (never followed), a timeout or a refused connection is not serving. A URL the
 *   instance cannot fill (e.g. `{publicIp}` and no public IP) is `noSignal`.
 * - `noSignal` never counts as serving. While waiting it is neither success nor failure: the wait
 *   goes on until the timeout. Whether a signal can come at all is checked before any change by
 *   {@link healthTargetProblems} (a preview-time refusal).
 * - Flapping: serving needs `healthyThreshold` (default 2) serving observations in a row, one
 *   `intervalSeconds` apart; one normal sample between failures is not enough.
 */
import type { HealthApi, HealthStatusRow } from "./client";
import { realClock, type Clock } from "./clock";
import { isEcsApiError } from "./errors";

/** How a restarted instance is judged to serve again. */
export type HealthCheckSpec =
  | { type: "clb"; loadBalancerId: string; listenerPort?: number }
  | { type: "http"; url: string /* template with {instanceId} {privateIp} {publicIp} */; expectedStatus?: number /* default 200 */ };

/**
 * The user-facing `healthCheck` input: exactly one of `clb` or `http`, plus the timing.
 *
 * @example { clb: { loadBalancerId: "lb-bp1o94dp5i6ea****", listenerPort: 80 }, warmupSeconds: 30 }
 * @example { http: { url: "http://{privateIp}:8080/healthz" }, timeoutSeconds: 300 }
 */
export interface HealthCheckArgs {
  /** Ask the CLB in front of the instances (`slb:DescribeHealthStatus`). */
  clb?: {
    /** The CLB instance, `lb-…`, in the instances' region. */
    loadBalancerId: string;
    /** Judge by this listener only (1–65535); default every listener of the load balancer. */
    listenerPort?: number;
  };
  /** Ask the application: `GET url` from the machine running Pulumi, no credentials sent. */
  http?: {
    /** `http(s)://…` with `{instanceId}`, `{privateIp}` or `{publicIp}` filled per instance, e.g. `http://{privateIp}:8080/healthz`. */
    url: string;
    /** The status that means serving. Default 200. */
    expectedStatus?: number;
  };
  /** Seconds to wait after the instance is judged serving, before the next one is touched. 0–3600, default 0. */
  warmupSeconds?: number;
  /** Seconds an instance may take (from its start) to be judged serving; then the wait fails. 1–86400, default 600. */
  timeoutSeconds?: number;
  /** Seconds between two observations. 0.1–300, default 2. */
  intervalSeconds?: number;
  /** Serving observations in a row needed (against flapping). 1–10, default 2. */
  healthyThreshold?: number;
}

/** The timing of a health gate, defaults filled. */
export interface HealthTiming {
  readonly warmupSeconds: number;
  readonly timeoutSeconds: number;
  readonly intervalSeconds: number;
  readonly healthyThreshold: number;
}

/** A validated `healthCheck`: the check plus its timing. */
export interface ParsedHealthCheck extends HealthTiming {
  readonly check: HealthCheckSpec;
}

/** Defaults of {@link HealthCheckArgs}' timing. */
export const HEALTH_DEFAULTS: HealthTiming = Object.freeze({ warmupSeconds: 0, timeoutSeconds: 600, intervalSeconds: 2, healthyThreshold: 2 });

/** Time allowed for one HTTP probe: the interval, within 1 to 10 s. */
export function probeTimeoutMs(intervalSeconds: number): number {
  return Math.min(10_000, Math.max(1_000, intervalSeconds * 1000));
}

/** An input problem: the field (dotted path) and what to do about it, as `check` reports them. */
export interface InputProblem {
  readonly property: string;
  readonly reason: string;
}

const PLACEHOLDERS = ["instanceId", "privateIp", "publicIp"] as const;
const TOP_KEYS = ["clb", "http", "warmupSeconds", "timeoutSeconds", "intervalSeconds", "healthyThreshold"];

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

/**
 * Validates a `healthCheck` input. Every problem names the field (under `path`, e.g.
 * `healthCheck`) and says how to fix it; all problems are reported at once.
 */
export function parseHealthCheck(raw: unknown, path: string): { ok: true; value: ParsedHealthCheck } | { ok: false; problems: InputProblem[] } {
  const problems: InputProblem[] = [];
  const problem = (property: string, reason: string) => problems.push({ property, reason });
  if (!isObject(raw)) {
    problem(path, `${path} must be an object with exactly one of clb or http, e.g. { clb: { loadBalancerId: "lb-…" } } or { http: { url: "http://{privateIp}:8080/healthz" } }`);
    return { ok: false, problems };
  }
  for (const k of Object.keys(raw)) {
    if (!TOP_KEYS.includes(k)) problem(`${path}.${k}`, `${path}.${k} is not a known field; remove it (known: ${TOP_KEYS.join(", ")})`);
  }
  const number = (key: keyof HealthTiming, min: number, max: number, unit: string, integer: boolean): number => {
    const v = raw[key];
    if (v === undefined) return HEALTH_DEFAULTS[key];
    const name = `${path}.${key}`;
    if (typeof v !== "number" || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
      problem(name, `${name} must be a ${integer ? "whole " : ""}number of ${unit} from ${min} to ${max}; got ${JSON.stringify(v)}`);
      return HEALTH_DEFAULTS[key];
    }
    return v;
  };
  const warmupSeconds = number("warmupSeconds", 0, 3600, "seconds", false);
  const timeoutSeconds = number("timeoutSeconds", 1, 86400, "seconds", false);
  const intervalSeconds = number("intervalSeconds", 0.1, 300, "seconds", false);
  const healthyThreshold = number("healthyThreshold", 1, 10, "observations", true);

  let check: HealthCheckSpec | undefined;
  if (raw.clb !== undefined && raw.http !== undefined) {
    problem(path, `${path} must have exactly one of clb or http, not both; keep the one that says when the instance serves`);
  } else if (raw.clb === undefined && raw.http === undefined) {
    problem(path, `${path} needs one of clb (e.g. { clb: { loadBalancerId: "lb-…", listenerPort: 80 } }) or http (e.g. { http: { url: "http://{privateIp}:8080/healthz" } })`);
  } else if (raw.clb !== undefined) {
    check = parseClb(raw.clb, `${path}.clb`, problem);
  } else {
    check = parseHttp(raw.http, `${path}.http`, problem);
  }
  if (problems.length > 0 || !check) return { ok: false, problems };
  return { ok: true, value: { check, warmupSeconds, timeoutSeconds, intervalSeconds, healthyThreshold } };
}

function unknownKeys(o: Record<string, unknown>, known: readonly string[], path: string, problem: (p: string, r: string) => void): void {
  for (const k of Object.keys(o)) if (!known.includes(k)) problem(`${path}.${k}`, `${path}.${k} is not a known field; remove it (known: ${known.join(", ")})`);
}

function parseClb(v: unknown, path: string, problem: (p: string, r: string) => void): HealthCheckSpec | undefined {
  if (!isObject(v)) {
    problem(path, `${path} must be an object { loadBalancerId: "lb-…", listenerPort?: 80 }`);
    return undefined;
  }
  unknownKeys(v, ["loadBalancerId", "listenerPort"], path, problem);
  let ok = true;
  if (typeof v.loadBalancerId !== "string" || !/^lb-[A-Za-z0-9-]+$/.test(v.loadBalancerId)) {
    problem(`${path}.loadBalancerId`, `${path}.loadBalancerId is required: the CLB instance ID, e.g. lb-bp1o94dp5i6ea4jzm5ehq (starts with lb-)`);
    ok = false;
  }
  const port = v.listenerPort;
  if (port !== undefined && !(typeof port === "number" && Number.isInteger(port) && port >= 1 && port <= 65535)) {
    problem(`${path}.listenerPort`, `${path}.listenerPort must be a whole number from 1 to 65535 (the listener's frontend port), or left out for every listener; got ${JSON.stringify(port)}`);
    ok = false;
  }
  if (!ok) return undefined;
  return { type: "clb", loadBalancerId: v.loadBalancerId as string, ...(port !== undefined ? { listenerPort: port as number } : {}) };
}

function parseHttp(v: unknown, path: string, problem: (p: string, r: string) => void): HealthCheckSpec | undefined {
  if (!isObject(v)) {
    problem(path, `${path} must be an object { url: "http://{privateIp}:8080/healthz", expectedStatus?: 200 }`);
    return undefined;
  }
  unknownKeys(v, ["url", "expectedStatus"], path, problem);
  let ok = true;
  const url = v.url;
  if (typeof url !== "string" || url === "") {
    problem(`${path}.url`, `${path}.url is required: an http(s) URL with {instanceId}, {privateIp} or {publicIp}, e.g. http://{privateIp}:8080/healthz`);
    ok = false;
  } else {
    const reason = urlTemplateProblem(url);
    if (reason) {
      problem(`${path}.url`, `${path}.url ${reason}`);
      ok = false;
    }
  }
  const status = v.expectedStatus;
  if (status !== undefined && !(typeof status === "number" && Number.isInteger(status) && status >= 100 && status <= 599)) {
    problem(`${path}.expectedStatus`, `${path}.expectedStatus must be an HTTP status from 100 to 599 (default 200); got ${JSON.stringify(status)}`);
    ok = false;
  }
  if (!ok) return undefined;
  return { type: "http", url: url as string, ...(status !== undefined ? { expectedStatus: status as number } : {}) };
}

/** Why a URL template is unusable (a phrase after the field name), or undefined. */
function urlTemplateProblem(template: string): string | undefined {
  const unknown = [...template.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]!).filter((n) => !(PLACEHOLDERS as readonly string[]).includes(n));
  if (unknown.length > 0) {
    return `has unknown placeholder(s) ${unknown.map((n) => `{${n}}`).join(", ")}; use only {instanceId}, {privateIp} and {publicIp}`;
  }
  let url: URL;
  try {
    url = new URL(fillUrl(template, { instanceId: "i-sample", privateIp: "192.0.2.10", publicIp: "198.51.100.10" }));
  } catch {
    return `is not a URL once filled in; write it like http://{privateIp}:8080/healthz`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `must start with http:// or https://, not ${url.protocol}//`;
  if (url.username || url.password) return "must not carry user info (user:password@): health URLs are probed without credentials";
  return undefined;
}

/** The template with the instance's values (IDs and IPs need no encoding). */
function fillUrl(template: string, values: Record<(typeof PLACEHOLDERS)[number], string>): string {
  return template.replace(/\{(instanceId|privateIp|publicIp)\}/g, (_, name: (typeof PLACEHOLDERS)[number]) => values[name]);
}

/** The URL probed for an instance, or undefined when it needs an address the instance lacks. */
export function healthUrlFor(template: string, instance: InstanceAddress): string | undefined {
  const needs = (n: string) => template.includes(`{${n}}`);
  if ((needs("privateIp") && !instance.privateIp) || (needs("publicIp") && !instance.publicIp)) return undefined;
  return fillUrl(template, { instanceId: instance.instanceId, privateIp: instance.privateIp ?? "", publicIp: instance.publicIp ?? "" });
}

/** An instance and its addresses, as `DescribeInstances` reports them (see `InstanceSnapshot`). */
export interface InstanceAddress {
  instanceId: string;
  privateIp?: string;
  publicIp?: string;
}

/** One judgement of one instance. */
export type HealthObservation = "serving" | "notServing" | "noSignal";

/** Batches: one DescribeHealthStatus per load balancer answers for all instances asked. */
export interface HealthMonitor {
  /**
   * Observes each instance once; throws the client's `EcsApiError` when the load balancer could
   * not be asked (its `retryable` says whether asking again may help).
   */
  observe(instances: readonly InstanceAddress[]): Promise<Map<string, HealthObservation>>;
}

/** The client calls a monitor needs. */
export type HealthClient = Pick<HealthApi, "describeHealthStatus" | "probeHttp">;

/** How the CLB rows of one instance read (see the module comment). */
export function observationFromRows(rows: readonly HealthStatusRow[], instanceId: string): HealthObservation {
  const mine = rows.filter((r) => r.serverId === instanceId);
  if (mine.some((r) => r.status === "abnormal")) return "notServing";
  return mine.some((r) => r.status === "normal") ? "serving" : "noSignal";
}

/** Options of {@link healthMonitorFor}. */
export interface MonitorOptions {
  /**
   * CLB: observations that start within this many ms of the last `DescribeHealthStatus` share its
   * answer (one call answers for every backend, so many waiters polling at once need one call, not
   * one each, which the API budget would turn into waits). Default 0: every observation asks.
   */
  readonly shareAnswerMs?: number;
}

/** The monitor for a parsed check, over the given client. */
export function healthMonitorFor(check: ParsedHealthCheck, client: HealthClient, opts: MonitorOptions = {}): HealthMonitor {
  const spec = check.check;
  if (spec.type === "clb") {
    const shareMs = opts.shareAnswerMs ?? 0;
    let last: { readonly startedMs: number; readonly rows: Promise<HealthStatusRow[]> } | undefined;
    return {
      async observe(instances) {
        const now = Date.now();
        if (shareMs <= 0 || !last || now - last.startedMs > shareMs) {
          const rows = client.describeHealthStatus({
            loadBalancerId: spec.loadBalancerId,
            ...(spec.listenerPort !== undefined ? { listenerPort: spec.listenerPort } : {}),
          });
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
  const expected = spec.expectedStatus ?? 200;
  const timeoutMs = probeTimeoutMs(check.intervalSeconds);
  return {
    async observe(instances) {
      const judged = await Promise.all(
        instances.map(async (i): Promise<readonly [string, HealthObservation]> => {
          const url = healthUrlFor(spec.url, i);
          if (url === undefined) return [i.instanceId, "noSignal"];
          const r = await client.probeHttp(url, timeoutMs);
          return [i.instanceId, "status" in r && r.status === expected ? "serving" : "notServing"];
        }),
      );
      return new Map(judged);
    },
  };
}

/**
 * Reasons the check can give no signal for some of the instances, found before any change (a
 * preview-time refusal): for CLB, an instance that is not a backend of the load balancer (on the
 * listener asked), or whose rows are all `unavailable` (no health check on the listener), and a
 * load balancer that does not exist; for HTTP, a URL needing an address the instance lacks.
 * Makes one `DescribeHealthStatus` call for CLB, none for HTTP. Other API errors are thrown.
 *
 * @param path the field of the check in the inputs, e.g. `healthCheck`
 */
export async function healthTargetProblems(
  check: ParsedHealthCheck,
  client: HealthClient,
  instances: readonly InstanceAddress[],
  path: string,
): Promise<InputProblem[]> {
  const spec = check.check;
  if (spec.type === "http") {
    return instances
      .filter((i) => healthUrlFor(spec.url, i) === undefined)
      .map((i) => ({
        property: `${path}.http.url`,
        reason: `${path}.http.url needs an address instance ${i.instanceId} does not have (${spec.url.includes("{publicIp}") && !i.publicIp ? "no public IP" : "no private IP"}); use {privateIp} or {instanceId}, or give the instance that address`,
      }));
  }
  let rows: HealthStatusRow[];
  try {
    rows = await client.describeHealthStatus({ loadBalancerId: spec.loadBalancerId, ...(spec.listenerPort !== undefined ? { listenerPort: spec.listenerPort } : {}) });
  } catch (e) {
    if (isEcsApiError(e) && e.code === "InvalidLoadBalancerId.NotFound") {
      return [{ property: `${path}.clb.loadBalancerId`, reason: `${path}.clb.loadBalancerId: load balancer ${spec.loadBalancerId} was not found in the instances' region; check the ID and the region` }];
    }
    throw e;
  }
  const on = spec.listenerPort !== undefined ? ` on listener port ${spec.listenerPort}` : "";
  const out: InputProblem[] = [];
  for (const i of instances) {
    const mine = rows.filter((r) => r.serverId === i.instanceId);
    if (mine.length === 0) {
      out.push({
        property: `${path}.clb.loadBalancerId`,
        reason: `instance ${i.instanceId} is not a backend server of ${spec.loadBalancerId}${on}, so the load balancer can never report it healthy; add it to the load balancer or use another health check`,
      });
    } else if (mine.every((r) => r.status === "unavailable")) {
      out.push({
        property: spec.listenerPort !== undefined ? `${path}.clb.listenerPort` : `${path}.clb.loadBalancerId`,
        reason: `${spec.loadBalancerId}${on} reports no health for instance ${i.instanceId} (unavailable: no health check on the listener); turn the listener's health check on, or set listenerPort to a listener that has one`,
      });
    }
  }
  return out;
}

/** Progress of {@link waitUntilServing}, after each observation. */
export interface WaitProgress {
  readonly instanceId: string;
  readonly observation: HealthObservation;
  /** Serving observations in a row so far. */
  readonly consecutive: number;
  /** Since the wait began, ms. */
  readonly elapsedMs: number;
  /** A line for the user, e.g. `i-… not serving (0/2 serving in a row), 12 s of 600 s`. */
  readonly message: string;
}

/** Options of {@link waitUntilServing}. */
export interface WaitOptions {
  /** The timing; a {@link ParsedHealthCheck} will do. Missing fields take {@link HEALTH_DEFAULTS}. */
  readonly timing?: Partial<HealthTiming>;
  /** Default the real clock. */
  readonly clock?: Clock;
  /** Aborting rejects the wait with the signal's reason. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: WaitProgress) => void;
}

/** The result of {@link waitUntilServing}. */
export type WaitResult =
  | { ok: true; servingAtMs: number; readyAtMs: number }
  | { ok: false; reason: string; lastObservation: HealthObservation };

/**
 * Waits until the instance serves, then `warmupSeconds`; or, after `timeoutSeconds` without it,
 * resolves `ok: false`. Polls the monitor every `intervalSeconds` on the injected clock, reports
 * each observation through `onProgress`, and rejects with the signal's reason on abort.
 *
 * Serving means `healthyThreshold` serving observations in a row; `servingAtMs` is the time of
 * the one that completed the run, `readyAtMs` that plus the warm-up. The timeout counts from the
 * call, observations included; the warm-up comes after and is not part of it. A monitor error
 * that may pass (`retryable`, e.g. throttling or a busy load balancer) counts as `noSignal` and
 * the polling goes on; any other error ends the wait with `ok: false`. An abort rejects.
 */
export async function waitUntilServing(monitor: HealthMonitor, instance: InstanceAddress, opts: WaitOptions = {}): Promise<WaitResult> {
  const t = { ...HEALTH_DEFAULTS, ...(opts.timing ?? {}) };
  const clock = opts.clock ?? realClock;
  const start = clock.now();
  const deadline = start + t.timeoutSeconds * 1000;
  let consecutive = 0;
  let last: HealthObservation = "noSignal";
  let lastError = "";
  for (;;) {
    opts.signal?.throwIfAborted();
    let obs: HealthObservation;
    try {
      obs = (await monitor.observe([instance])).get(instance.instanceId) ?? "noSignal";
      lastError = "";
    } catch (e) {
      opts.signal?.throwIfAborted();
      if (isEcsApiError(e) && !e.retryable) return { ok: false, reason: `the health check failed: ${e.message}`, lastObservation: last };
      obs = "noSignal";
      lastError = e instanceof Error ? e.message : String(e);
    }
    last = obs;
    consecutive = obs === "serving" ? consecutive + 1 : 0;
    const now = clock.now();
    const word = obs === "serving" ? "serving" : obs === "notServing" ? "not serving" : lastError ? `no signal (${lastError})` : "no signal";
    opts.onProgress?.({
      instanceId: instance.instanceId,
      observation: obs,
      consecutive,
      elapsedMs: now - start,
      message: `${instance.instanceId} ${word} (${consecutive}/${t.healthyThreshold} serving in a row), ${Math.round((now - start) / 1000)} s of ${t.timeoutSeconds} s`,
    });
    if (consecutive >= t.healthyThreshold) {
      if (t.warmupSeconds > 0) await clock.sleep(t.warmupSeconds * 1000, opts.signal);
      return { ok: true, servingAtMs: now, readyAtMs: clock.now() };
    }
    if (now >= deadline) {
      const what = obs === "noSignal" ? "gave no health signal" : "was not judged serving";
      return {
        ok: false,
        reason: `${instance.instanceId} ${what} within ${t.timeoutSeconds} s (last observation: ${obs}${lastError ? `, ${lastError}` : ""}; ${t.healthyThreshold} serving observations in a row are needed)`,
        lastObservation: obs,
      };
    }
    await clock.sleep(Math.min(t.intervalSeconds * 1000, deadline - now), opts.signal);
  }
}
