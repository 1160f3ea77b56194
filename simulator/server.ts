/**
 * The HTTP layer: parse a request (query + form body), authenticate it, apply faults and the rate
 * limit, run the model, log the call and serialize the answer; plus the admin API under `/_sim/`.
 * The only file of the simulator that does network or file I/O.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { adminTokenProblem, checkAdminRequest, isLoopbackHost, newAdminToken, type AdminGuard } from "./admin.js";
import { authenticate, NonceStore, type SimCredential } from "./auth.js";
import { CallLog, type CallLogEntry, type CallLogLimits, type CallLogStats } from "./calllog.js";
import { defaultMessageFor, defaultStatusFor, E, type SimError } from "./errors.js";
import { faultProblem, FaultQueue, MAX_LATENCY_MS, namedInstances, type ActiveFault, type FaultSpec } from "./faults.js";
import {
  AvailabilitySampler, healthFaultProblem, HealthFaults, httpHealth, SLB_ACTIONS,
  type ActiveHealthFault, type HealthContext, type HealthFaultSpec, type LoadBalancerAvailability,
} from "./health.js";
import { ACTIONS, advanceAll, DEFAULT_TIMING, newRequestId, pruneTokens, type Outcome, type Params, type SimulatorTiming } from "./model.js";
import { RateWindows } from "./ratelimit.js";
import { demoState, normalizeState, type SimState } from "./state.js";

/** The ECS API version the simulator speaks. */
export const API_VERSION = "2014-05-26";
/** The CLB (SLB) API version the simulator speaks (`DescribeHealthStatus`). */
export const SLB_API_VERSION = "2014-05-15";
/** `HostId` of every ECS answer. */
export const HOST_ID = "ecs.aliyuncs.com";

/** One product the server answers for: its own action namespace, selected by `Version`. */
interface Product {
  /** The `product=` of the error's `Recommend` link. */
  name: string;
  hostId: string;
  actions: Readonly<Record<string, (ctx: HealthContext, p: Params) => Outcome>>;
}

/** The products served, by API version: a request is dispatched by (Version, Action). */
const PRODUCTS: Readonly<Record<string, Product>> = {
  [API_VERSION]: { name: "Ecs", hostId: HOST_ID, actions: ACTIONS },
  [SLB_API_VERSION]: { name: "Slb", hostId: "slb.aliyuncs.com", actions: SLB_ACTIONS },
};

/** Default of `SimulatorOptions.availabilitySampleMs`. */
export const DEFAULT_AVAILABILITY_SAMPLE_MS = 100;

/** The demo key pair the simulator accepts unless `credentials` says otherwise. */
export const DEMO_CREDENTIALS: { accessKeyId: string; accessKeySecret: string } = Object.freeze({
  accessKeyId: "LTAI5tEcsSimDemoKey0001",
  accessKeySecret: "EcsSimDemoSecret-not-a-real-key-0001",
});

/** How to start a simulator. */
export interface SimulatorOptions {
  /** Interface to listen on. Default `127.0.0.1`. Anything but loopback needs `allowRemote`. */
  host?: string;
  /**
   * Allow a non-loopback `host`: the API and the admin API become reachable from other machines,
   * over plain HTTP. Default false (starting then throws).
   */
  allowRemote?: boolean;
  /**
   * Host names the admin API accepts in the `Host` header, besides `localhost`, IP addresses and
   * `host` (e.g. a container's service name). Other names are refused (DNS rebinding).
   */
  allowedHostNames?: string[];
  /**
   * The token the admin API requires (`authorization: Bearer <token>`): 16 to 256 characters among
   * `A-Z a-z 0-9 . _ ~ + / = -`. Default: a new random token per start (see `RunningSimulator.adminToken`).
   */
  adminToken?: string;
  /** Port; 0 (default) picks a free one. */
  port?: number;
  /** Load the state from this file when it exists, and write every change back to it. */
  stateFile?: string;
  /** Durations; unspecified ones take `DEFAULT_TIMING`. */
  timing?: Partial<SimulatorTiming>;
  /** Initial state (ignored when `stateFile` exists). Default: `demoState()`. */
  state?: SimState;
  /** Accepted key pairs. Default: `[DEMO_CREDENTIALS]`. All belong to the one simulated account. */
  credentials?: SimCredential[];
  /**
   * Calls per calendar minute per action for the account (every caller, every key) before
   * `Throttling.User`; 0 = no limit. Default 1000. A call refused at minute T succeeds again from
   * minute T+1 (the API's documented window).
   */
  rateLimitPerMinute?: number;
  /** Per-action overrides of `rateLimitPerMinute`, e.g. `{ DescribeInstances: 300 }`. */
  rateLimits?: Record<string, number>;
  /** The rate limit's window, seconds: 60 as in the API, less in compressed time. Default 60. */
  rateWindowSeconds?: number;
  /** No per-call log line on stdout. Default true. */
  quiet?: boolean;
  /** Bounds of the call log (default 10,000 entries and 32 MiB); the oldest entries go first. */
  callLog?: Partial<CallLogLimits>;
  /**
   * How often the availability sampler counts the backends of each load balancer that do not
   * serve, ms; 0 turns it off. Default {@link DEFAULT_AVAILABILITY_SAMPLE_MS}.
   */
  availabilitySampleMs?: number;
}

/** What `GET /_sim/availability` (and `RunningSimulator.availability()`) answers. */
export interface AvailabilityReport {
  /** The sampling period, ms (0: off). */
  sampleMs: number;
  /** Per load balancer ID. */
  loadBalancers: Record<string, LoadBalancerAvailability>;
}

/** A started simulator. */
export interface RunningSimulator {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `127.0.0.1:PORT`, the `endpoint` for `@alicloud/openapi-core` Config. */
  endpointHost: string;
  /** The first configured key pair. */
  accessKeyId: string;
  accessKeySecret: string;
  /** The state's region (`cn-hangzhou` for the demo). */
  regionId: string;
  /** The admin API's token; requests under `/_sim/` send `authorization: Bearer <adminToken>`. */
  adminToken: string;
  /**
   * Calls the admin API with the token (JSON in and out), e.g.
   * `await sim.admin("POST", "/_sim/faults", { action: "StopInstance", kind: "drop" })`.
   */
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }>;
  /** A deep copy of the state, statuses advanced to now. */
  getState(): SimState;
  /** Replaces the whole state (deep-copied; throws on a malformed state). */
  setState(s: SimState): void;
  addFault(f: FaultSpec): void;
  clearFaults(): void;
  /** Faults not yet used up. */
  faults(): ActiveFault[];
  /** The call log as far as it is kept (see `SimulatorOptions.callLog`), oldest first. */
  calls(): CallLogEntry[];
  clearCalls(): void;
  /** How much the call log holds and has let go. */
  callLogStats(): CallLogStats;
  /** Current durations. */
  timing(): SimulatorTiming;
  /** Changes some durations from now on. */
  setTiming(t: Partial<SimulatorTiming>): void;
  /** Sets an instance's health fault (replacing its previous one); throws on a malformed one. */
  setHealthFault(f: HealthFaultSpec): void;
  /** Removes an instance's health fault; true when it had one. */
  removeHealthFault(instanceId: string): boolean;
  clearHealthFaults(): void;
  healthFaults(): ActiveHealthFault[];
  /** What the availability sampler has seen since the start or the last reset. */
  availability(): AvailabilityReport;
  resetAvailability(): void;
  close(): Promise<void>;
}

/** Parameters that are signature/auth noise, never shown in the call log or used by the model. */
const NOISE = new Set([
  "Signature", "SignatureNonce", "Timestamp", "AccessKeyId", "SecurityToken", "SignatureMethod",
  "SignatureVersion", "SignatureType", "Format", "Version", "Action",
]);

/** The largest request body served; larger ones are answered 413. */
const MAX_BODY = 1024 * 1024;
const MAX_DRAIN = 64 * 1024 * 1024;
/** Page size of `GET /_sim/calls`: default and largest. */
const CALLS_PAGE = 100;
const CALLS_PAGE_MAX = 1000;

/** A record without a prototype, so that keys like `__proto__` are plain keys. */
function bare(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}

function parsePairs(s: string, plusIsSpace: boolean): Record<string, string> {
  const out = bare();
  const dec = (x: string) => {
    try {
      return decodeURIComponent(plusIsSpace ? x.replace(/\+/g, " ") : x);
    } catch {
      return x;
    }
  };
  for (const part of s.split("&")) {
    if (!part) continue;
    const i = part.indexOf("=");
    out[dec(i < 0 ? part : part.slice(0, i))] = i < 0 ? "" : dec(part.slice(i + 1));
  }
  return out;
}

/** A request body, or the fact that it was over `MAX_BODY` (then `body` is empty). */
interface ReadBody {
  body: Buffer;
  tooLarge: boolean;
}

/**
 * Reads the body. One over `MAX_BODY` is still read to its end (and thrown away) up to
 * `MAX_DRAIN`: closing a socket with unread data resets it, and the client would never see the 413.
 */
function readBody(req: IncomingMessage): Promise<ReadBody> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers["content-length"]) > MAX_DRAIN) {
      resolve({ body: Buffer.alloc(0), tooLarge: true });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_DRAIN) {
        req.destroy();
        reject(new Error("request body too large"));
      } else if (size > MAX_BODY) chunks.length = 0;
      else chunks.push(c);
    });
    req.on("end", () => resolve(size > MAX_BODY ? { body: Buffer.alloc(0), tooLarge: true } : { body: Buffer.concat(chunks), tooLarge: false }));
    req.on("error", reject);
  });
}

function errorBody(e: SimError, product: Product = PRODUCTS[API_VERSION]!): Record<string, unknown> {
  return {
    RequestId: newRequestId(),
    HostId: product.hostId,
    Code: e.code,
    Message: e.message,
    Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(e.code)}&product=${product.name}`,
  };
}

function sendJsonText(res: ServerResponse, status: number, text: string, requestId?: string): void {
  const headers: Record<string, string | number> = { "content-type": "application/json;charset=utf-8", "content-length": Buffer.byteLength(text) };
  if (requestId !== undefined) headers["x-acs-request-id"] = requestId;
  res.writeHead(status, headers);
  res.end(text);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const rid = (body as { RequestId?: unknown } | null)?.RequestId;
  sendJsonText(res, status, JSON.stringify(body), typeof rid === "string" ? rid : undefined);
}

const BAD_GATEWAY_HTML =
  "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>Tengine</center>\r\n</body>\r\n</html>\r\n";

function clone<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

/** Starts a simulator. Resolves once it listens. */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<RunningSimulator> {
  const host = opts.host ?? "127.0.0.1";
  if (!isLoopbackHost(host) && !opts.allowRemote) {
    throw new Error(`host ${host} is not loopback: other machines could reach the simulator; set allowRemote to mean it`);
  }
  const adminToken = opts.adminToken ?? newAdminToken();
  const tokenProblem = adminTokenProblem(adminToken);
  if (tokenProblem) throw new Error(tokenProblem);
  const guard: AdminGuard = {
    token: adminToken,
    hostNames: new Set([host, ...(opts.allowedHostNames ?? [])].map((h) => h.replace(/^\[|\]$/g, "").toLowerCase())),
  };
  let timing: SimulatorTiming = { ...DEFAULT_TIMING, ...(opts.timing ?? {}) };
  const credentials = opts.credentials && opts.credentials.length > 0 ? opts.credentials : [DEMO_CREDENTIALS];
  const rateLimit = opts.rateLimitPerMinute ?? 1000;
  const rateLimits: Record<string, number> = { ...(opts.rateLimits ?? {}) };
  const limitOf = (action: string) => (Object.hasOwn(rateLimits, action) ? rateLimits[action]! : rateLimit);
  const quiet = opts.quiet ?? true;
  const nonces = new NonceStore();
  const faults = new FaultQueue();
  const rateWindows = new RateWindows(limitOf, (opts.rateWindowSeconds ?? 60) * 1000);
  // Latency faults in progress; close() cancels them so a long one does not keep the process alive.
  const sleeping = new Set<NodeJS.Timeout>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        sleeping.delete(t);
        resolve();
      }, ms);
      sleeping.add(t);
    });
  const log = new CallLog(opts.callLog);
  const healthFaults = new HealthFaults();
  const sampler = new AvailabilitySampler();
  const sampleMs = opts.availabilitySampleMs ?? DEFAULT_AVAILABILITY_SAMPLE_MS;
  if (!(Number.isFinite(sampleMs) && sampleMs >= 0)) throw new Error("availabilitySampleMs must be a number of milliseconds >= 0");

  let state: SimState;
  if (opts.stateFile && existsSync(opts.stateFile)) {
    const parsed = normalizeState(JSON.parse(readFileSync(opts.stateFile, "utf8")));
    if (!parsed.ok) throw new Error(`${opts.stateFile}: ${parsed.error}`);
    state = parsed.state;
  } else {
    const parsed = normalizeState(clone(opts.state ?? demoState()));
    if (!parsed.ok) throw new Error(`invalid initial state: ${parsed.error}`);
    state = parsed.state;
  }

  let lastWritten = "";
  const persist = () => {
    if (!opts.stateFile) return;
    const text = JSON.stringify(state, null, 2) + "\n";
    if (text === lastWritten) return;
    const tmp = `${opts.stateFile}.tmp-${process.pid}`;
    writeFileSync(tmp, text);
    renameSync(tmp, opts.stateFile);
    lastWritten = text;
  };
  persist();

  const record = (entry: Omit<CallLogEntry, "seq">) => {
    log.add(entry);
    if (!quiet) {
      const id = [...namedInstances(entry.params)].join(",");
      process.stdout.write(`${entry.at} ${entry.action || "-"} ${id} -> ${entry.httpStatus}${entry.code ? " " + entry.code : ""}${entry.fault ? " [fault " + entry.fault + "]" : ""}\n`);
    }
  };

  const overRateLimit = (action: string, now: number): boolean => !rateWindows.take(action, now);

  const replaceState = (input: unknown): string | undefined => {
    const parsed = normalizeState(clone(input));
    if (!parsed.ok) return parsed.error;
    state = parsed.state;
    persist();
    return undefined;
  };

  async function handleApi(req: IncomingMessage, res: ServerResponse, path: string, rawQuery: string, { body, tooLarge }: ReadBody): Promise<void> {
    const now = Date.now();
    const query = parsePairs(rawQuery, false);
    const isForm = String(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");
    const form = isForm ? parsePairs(body.toString("utf8"), true) : {};
    const all = Object.assign(bare(), query, form);
    const action = all.Action ?? String(req.headers["x-acs-action"] ?? "");
    const version = all.Version ?? (req.headers["x-acs-version"] as string | undefined);
    const product = version !== undefined && Object.hasOwn(PRODUCTS, version) ? PRODUCTS[version]! : PRODUCTS[API_VERSION]!;
    const params: Params = bare();
    for (const [k, v] of Object.entries(all)) if (!NOISE.has(k)) params[k] = v;
    const entry: Omit<CallLogEntry, "seq"> = { at: new Date(now).toISOString(), atMs: now, action, params, httpStatus: 0, response: null };

    const answer = (status: number, respBody: Record<string, unknown>, code?: string) => {
      entry.httpStatus = status;
      entry.response = respBody;
      if (code) entry.code = code;
      record(entry);
      sendJson(res, status, respBody);
    };
    const answerError = (e: SimError) => answer(e.httpStatus, errorBody(e, product), e.code);

    if (tooLarge) {
      res.setHeader("connection", "close");
      return answerError(E.requestTooLarge(MAX_BODY));
    }
    if (req.method !== "GET" && req.method !== "POST") {
      return answerError({ httpStatus: 405, code: "UnsupportedHTTPMethod", message: `HTTP method ${req.method} is not supported.`, retryable: false });
    }
    const auth = authenticate({ method: req.method, path, headers: req.headers, params: all, query, body }, credentials, nonces, now);
    if (!auth.ok) return answerError(auth.error);
    entry.signatureVersion = auth.style;
    if (version === undefined) return answerError(E.missingParameter("Version"));
    if (!Object.hasOwn(PRODUCTS, version)) return answerError(E.invalidVersion());
    if (action === "") return answerError(E.missingParameter("Action"));
    const handler = Object.hasOwn(product.actions, action) ? product.actions[action] : undefined;
    if (!handler) return answerError(E.invalidAction());
    if (state.account.deniedActions.includes(action)) return answerError(E.forbiddenRam());
    if (overRateLimit(action, now)) return answerError(E.throttlingUser());

    const { latencyMs, fault } = faults.take(action, params);
    if (latencyMs > 0) await sleep(Math.min(latencyMs, MAX_LATENCY_MS));
    if (fault) entry.fault = fault.kind;
    if (fault?.kind === "error") {
      const status = fault.httpStatus ?? defaultStatusFor(fault.code);
      return answerError({ httpStatus: status, code: fault.code, message: fault.message ?? defaultMessageFor(fault.code), retryable: true });
    }
    if (fault?.kind === "drop") {
      record(entry);
      req.socket.destroy();
      return;
    }
    if (fault?.kind === "badGateway") {
      entry.httpStatus = 502;
      entry.response = BAD_GATEWAY_HTML;
      record(entry);
      res.writeHead(502, { "content-type": "text/html", "content-length": Buffer.byteLength(BAD_GATEWAY_HTML) });
      res.end(BAD_GATEWAY_HTML);
      return;
    }

    const ctxNow = Date.now();
    pruneTokens(state, ctxNow);
    const outcome = handler({ state, timing, now: ctxNow, healthFaults }, params);
    persist();
    if (fault?.kind === "lostResponse") {
      entry.httpStatus = outcome.ok ? 200 : outcome.error.httpStatus;
      entry.response = outcome.ok ? outcome.body : errorBody(outcome.error, product);
      if (!outcome.ok) entry.code = outcome.error.code;
      record(entry);
      req.socket.destroy();
      return;
    }
    if (outcome.ok) answer(200, outcome.body);
    else answerError(outcome.error);
  }

  async function handleAdmin(req: IncomingMessage, res: ServerResponse, path: string, rawQuery: string, { body, tooLarge }: ReadBody): Promise<void> {
    const method = req.method ?? "GET";
    if (tooLarge) {
      res.setHeader("connection", "close");
      return sendJson(res, 413, { error: `request body over ${MAX_BODY} bytes` });
    }
    const refusal = checkAdminRequest(req.headers, body.length > 0, guard);
    if (refusal) {
      if (refusal.status === 401) res.setHeader("www-authenticate", "Bearer");
      return sendJson(res, refusal.status, { error: refusal.error });
    }
    const route = `${method} ${path.replace(/\/+$/, "")}`;
    const json = (): unknown => JSON.parse(body.toString("utf8") || "null");
    const bad = (message: string) => sendJson(res, 400, { error: message });
    try {
      if (method === "DELETE" && path.startsWith("/_sim/health-faults/")) {
        const id = decodeURIComponent(path.slice("/_sim/health-faults/".length));
        return healthFaults.remove(id) ? sendJson(res, 200, { ok: true }) : sendJson(res, 404, { error: `no health fault on ${id}` });
      }
      switch (route) {
        case "GET /_sim/health":
          return sendJson(res, 200, { ok: true, url: sim.url, regionId: state.regionId, accessKeyId: sim.accessKeyId });
        case "GET /_sim/state":
          advanceAll(state, Date.now());
          return sendJson(res, 200, state);
        case "PUT /_sim/state": {
          const problem = replaceState(json());
          return problem ? bad(problem) : sendJson(res, 200, { ok: true });
        }
        case "POST /_sim/reset":
          replaceState(demoState());
          return sendJson(res, 200, { ok: true });
        case "GET /_sim/faults":
          return sendJson(res, 200, faults.list());
        case "POST /_sim/faults": {
          const input = json();
          const list = Array.isArray(input) ? input : [input];
          for (const f of list) {
            const problem = faultProblem(f);
            if (problem) return bad(problem);
          }
          for (const f of list) faults.add(f as FaultSpec);
          return sendJson(res, 200, { ok: true, faults: faults.list() });
        }
        case "DELETE /_sim/faults":
          faults.clear();
          return sendJson(res, 200, { ok: true });
        case "GET /_sim/health-faults":
          return sendJson(res, 200, healthFaults.list());
        case "POST /_sim/health-faults": {
          const input = json();
          const list = Array.isArray(input) ? input : [input];
          for (const f of list) {
            const problem = healthFaultProblem(f);
            if (problem) return bad(problem);
          }
          for (const f of list) healthFaults.set(f as HealthFaultSpec, Date.now());
          return sendJson(res, 200, { ok: true, healthFaults: healthFaults.list() });
        }
        case "DELETE /_sim/health-faults":
          healthFaults.clear();
          return sendJson(res, 200, { ok: true });
        case "GET /_sim/availability":
          return sendJson(res, 200, availability());
        case "DELETE /_sim/availability":
          sampler.reset();
          return sendJson(res, 200, { ok: true });
        case "GET /_sim/calls": {
          const q = parsePairs(rawQuery, true);
          const int = (name: string, min: number, max: number, dflt: number | undefined) => {
            const v = q[name];
            if (v === undefined) return dflt;
            return /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max ? Number(v) : NaN;
          };
          const after = int("after", 0, Number.MAX_SAFE_INTEGER, undefined);
          const since = int("since", 0, Number.MAX_SAFE_INTEGER, undefined);
          const limit = int("limit", 1, CALLS_PAGE_MAX, CALLS_PAGE)!;
          if (Number.isNaN(after) || Number.isNaN(since) || Number.isNaN(limit)) {
            return bad(`after and since must be whole numbers >= 0, limit 1 to ${CALLS_PAGE_MAX}`);
          }
          const page = log.page({ after, since, action: q.action, limit });
          // The entries are kept as JSON text: joined, not parsed and serialized again.
          return sendJsonText(res, 200, `{"calls":[${page.json.join(",")}],"next":${page.next},"dropped":${log.stats().dropped}}`);
        }
        case "DELETE /_sim/calls":
          log.clear();
          return sendJson(res, 200, { ok: true });
        case "GET /_sim/config":
          return sendJson(res, 200, {
            timing, rateLimitPerMinute: rateLimit, rateLimits, regionId: state.regionId, apiVersion: API_VERSION,
            apiVersions: Object.keys(PRODUCTS), availabilitySampleMs: sampleMs, callLog: log.stats(),
          });
        case "PUT /_sim/timing": {
          const t = json() as Partial<SimulatorTiming> | null;
          if (!t || typeof t !== "object" || Object.entries(t).some(([k, v]) => !(k in DEFAULT_TIMING) || typeof v !== "number" || v < 0)) {
            return bad(`timing must be an object of non-negative numbers among ${Object.keys(DEFAULT_TIMING).join(", ")}`);
          }
          timing = { ...timing, ...t };
          return sendJson(res, 200, { ok: true, timing });
        }
        default:
          return sendJson(res, 404, { error: `no admin route ${route}` });
      }
    } catch (e) {
      return bad(`invalid JSON body: ${(e as Error).message}`);
    }
  }

  const availability = (): AvailabilityReport => ({ sampleMs, loadBalancers: sampler.snapshot() });

  /** `GET /_health/instance/{id}`, `GET /_health/ip/{privateIp}`: the application's own health URL, unsigned. */
  function handleHealth(req: IncomingMessage, res: ServerResponse, path: string): void {
    if (req.method !== "GET" && req.method !== "HEAD") return sendJson(res, 405, { error: "the health URLs answer GET and HEAD" });
    const m = /^\/_health\/(instance|ip)\/([^/]+)$/.exec(path);
    if (!m) return sendJson(res, 404, { error: "health URLs are /_health/instance/{instanceId} and /_health/ip/{privateIp}" });
    const key = decodeURIComponent(m[2]!);
    const r = httpHealth(state, m[1] === "instance" ? { instanceId: key } : { privateIp: key }, Date.now(), timing, healthFaults);
    return sendJson(res, r.status, r.body);
  }

  const server = createServer((req, res) => {
    const url = req.url ?? "/";
    const qi = url.indexOf("?");
    const path = qi < 0 ? url : url.slice(0, qi);
    const rawQuery = qi < 0 ? "" : url.slice(qi + 1);
    readBody(req)
      .then((body) =>
        path === "/_sim" || path.startsWith("/_sim/")
          ? handleAdmin(req, res, path, rawQuery, body)
          : path.startsWith("/_health/")
            ? handleHealth(req, res, path)
            : handleApi(req, res, path, rawQuery, body))
      .catch((e: Error) => {
        if (!res.headersSent && !res.destroyed) sendJson(res, 500, errorBody({ ...E.internalError(), message: e.message }));
      });
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const sampling = sampleMs > 0 ? setInterval(() => sampler.sample(state, Date.now(), timing, healthFaults), sampleMs) : undefined;
  sampling?.unref();
  // Clients cannot connect to a wildcard address by name: show the loopback one instead.
  const shown = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  const hostPart = shown.includes(":") ? `[${shown}]` : shown;

  const sim: RunningSimulator = {
    url: `http://${hostPart}:${port}`,
    endpointHost: `${hostPart}:${port}`,
    accessKeyId: credentials[0].accessKeyId,
    accessKeySecret: credentials[0].accessKeySecret,
    get regionId() {
      return state.regionId;
    },
    adminToken,
    admin: async (method, path, body) => {
      const headers: Record<string, string> = { authorization: `Bearer ${adminToken}` };
      if (body !== undefined) headers["content-type"] = "application/json";
      const r = await fetch(`${sim.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: r.status, json: (await r.json()) as unknown };
    },
    getState: () => {
      advanceAll(state, Date.now());
      return clone(state);
    },
    setState: (s) => {
      const problem = replaceState(s);
      if (problem) throw new Error(`invalid state: ${problem}`);
    },
    addFault: (f) => {
      const problem = faultProblem(f);
      if (problem) throw new Error(problem);
      faults.add(clone(f));
    },
    clearFaults: () => faults.clear(),
    faults: () => faults.list(),
    calls: () => log.all(),
    clearCalls: () => log.clear(),
    callLogStats: () => log.stats(),
    timing: () => ({ ...timing }),
    setTiming: (t) => {
      timing = { ...timing, ...t };
    },
    setHealthFault: (f) => {
      const problem = healthFaultProblem(f);
      if (problem) throw new Error(problem);
      healthFaults.set(f, Date.now());
    },
    removeHealthFault: (id) => healthFaults.remove(id),
    clearHealthFaults: () => healthFaults.clear(),
    healthFaults: () => healthFaults.list(),
    availability,
    resetAvailability: () => sampler.reset(),
    close: () =>
      new Promise<void>((resolve) => {
        persist();
        if (sampling) clearInterval(sampling);
        for (const t of sleeping) clearTimeout(t);
        sleeping.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return sim;
}
