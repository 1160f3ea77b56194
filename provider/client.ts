/**
 * The only module that does HTTP: typed ECS calls over `@alicloud/pop-core` (RPC, signature V1),
 * credentials from explicit keys or `@alicloud/credentials`' default chain, and every failure
 * normalized to {@link EcsApiError}.
 *
 * pop-core quirks handled here (see docs/ecs-api.md, "The RPC client (pop-core)"): it ignores the HTTP status
 * (we read it in verbose mode and fail on ≥ 400), throws `SyntaxError` on a non-JSON body, sends
 * `"undefined"` for undefined values and `[object Object]` for objects (we send flat, defined,
 * string-valued params only), and puts the signed URL (with AccessKeyId and SecurityToken) into its
 * error messages. The gateway's `SignatureDoesNotMatch` message quotes its string-to-sign, which
 * holds the AccessKeyId and the SecurityToken too: every message the client passes on goes
 * through {@link redact}.
 */
import { createHash } from "node:crypto";
import RPCClient from "@alicloud/pop-core";
import { CLIProfileCredentialsProvider, DefaultCredentialsProvider } from "@alicloud/credentials";
import { EcsApiError, TRANSPORT_CODES } from "./errors";
import type { InstanceSnapshot, InstanceStatus } from "./model";
import { MAX_IDS_PER_DESCRIBE, schedulerFor, type ApiPriority } from "./scheduler";

/** ECS API version used for every call. */
export const ECS_API_VERSION = "2014-05-26";
/** CLB (classic SLB) API version of `DescribeHealthStatus`. */
export const SLB_API_VERSION = "2014-05-15";
/** Environment variable naming the CLB endpoint when it is not the ECS one (see {@link slbEndpointFor}). */
export const SLB_ENDPOINT_ENV = "PULUMI_ECS_SPEC_SLB_ENDPOINT";

/** Explicit credentials. Used only inside the client; never logged or put into errors. */
export interface EcsCredentials {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly securityToken?: string;
}

/** Options of {@link createEcsClient}. */
export interface EcsClientOptions {
  /** Region of the instance, e.g. `cn-hangzhou`. */
  readonly regionId: string;
  /**
   * `https://host[:port]`; default `https://ecs.<regionId>.aliyuncs.com`. `http://` is accepted
   * only for a loopback host (127.x.x.x, ::1, localhost), e.g. the simulator.
   */
  readonly endpoint?: string;
  /** Explicit keys; when absent, `@alicloud/credentials`' default chain (env, OIDC, profiles, ECS RAM role, URI). */
  readonly credentials?: EcsCredentials;
  /** A profile of the Alibaba Cloud CLI config (`~/.aliyun/config.json`) instead of the default chain. */
  readonly profile?: string;
  /** Connect and read timeout per request, ms. Default 10000. */
  readonly timeoutMs?: number;
  /**
   * Told when the process's API budget holds a call back for a second or more (the call waits,
   * it does not fail): a line of progress for the user.
   */
  readonly onBudgetWait?: (message: string) => void;
  /**
   * The CLB endpoint for `DescribeHealthStatus`, same rules as `endpoint`. Default: see
   * {@link slbEndpointFor}.
   */
  readonly slbEndpoint?: string;
}

/** What a CLB health check reports for a backend on a listener. */
export type ServerHealthStatus = "normal" | "abnormal" | "unavailable";

/** One row of `DescribeHealthStatus`: a backend server on a listener. */
export interface HealthStatusRow {
  /** The ECS instance ID (or an ENI ID for ENI backends). */
  readonly serverId: string;
  /** The listener's frontend port. */
  readonly listenerPort: number;
  /** The backend port. */
  readonly port: number;
  /**
   * `normal` (healthy), `abnormal` (failing), `unavailable` (no health check on the listener, or
   * not run yet). A value the API adds later is read as `unavailable`: no signal, never healthy.
   */
  readonly status: ServerHealthStatus;
}

/** The answer of {@link HealthApi.probeHttp}: the HTTP status, or why there was none. */
export type HttpProbeResult = { readonly status: number } | { readonly error: string };

/** The calls the health checks use. Every method but `probeHttp` throws only {@link EcsApiError}. */
export interface HealthApi {
  /**
   * CLB `DescribeHealthStatus` (2014-05-15) of one load balancer, all listeners or one: one call,
   * every backend's rows.
   */
  describeHealthStatus(query: { readonly loadBalancerId: string; readonly listenerPort?: number }): Promise<HealthStatusRow[]>;
  /**
   * `GET url` with no credentials and no cookies, never following a redirect (a 3xx is the
   * answer); resolves `{status}` for any HTTP answer and `{error}` for none within `timeoutMs`.
   * Never throws.
   */
  probeHttp(url: string, timeoutMs: number): Promise<HttpProbeResult>;
}

/** What {@link createEcsClient} returns: the ECS calls plus the health calls. */
export type EcsClient = EcsApi & HealthApi;

/**
 * The CLB endpoint: `slbEndpoint` (or the `PULUMI_ECS_SPEC_SLB_ENDPOINT` variable) when set; else
 * the custom ECS `endpoint` when one is set (a simulator serves both APIs on one port); else the
 * region's public endpoint from the CLB endpoint table: `https://slb.<region>.aliyuncs.com`, but
 * the central `https://slb.aliyuncs.com` for `cn-hangzhou`. Checked like the ECS endpoint.
 */
export function slbEndpointFor(
  regionId: string,
  opts: { readonly endpoint?: string; readonly slbEndpoint?: string },
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const explicit = opts.slbEndpoint ?? (env[SLB_ENDPOINT_ENV] || undefined);
  return checkEndpoint(explicit ?? opts.endpoint ?? (regionId === "cn-hangzhou" ? "https://slb.aliyuncs.com" : `https://slb.${regionId}.aliyuncs.com`));
}

/**
 * One `ModifyInstanceSpec` request. The API changes one item per call, so a request is exactly one
 * of: a type change, a public bandwidth change (outbound and/or inbound: one item), or a temporary
 * outbound bandwidth window. The client turns it into wire parameters.
 */
export type ModifyRequest =
  | {
      readonly item: "instanceType";
      readonly instanceId: string;
      readonly instanceType: string;
      readonly systemDiskCategory?: "cloud_efficiency" | "cloud_ssd";
      readonly allowMigrateAcrossZone?: boolean;
    }
  | {
      readonly item: "bandwidth";
      readonly instanceId: string;
      readonly internetMaxBandwidthOut?: number;
      readonly internetMaxBandwidthIn?: number;
    }
  | {
      readonly item: "temporaryBandwidth";
      readonly instanceId: string;
      readonly startTime: string;
      readonly endTime: string;
      readonly internetMaxBandwidthOut: number;
    };

/**
 * One `ModifyPrepayInstanceSpec` request: the type of a subscription instance. `RebootWhenFinished`
 * is always sent `true` (a Running instance restarts once the order settles, a Stopped one stays
 * Stopped), so the request, and with it its ClientToken, is the same whatever the status.
 */
export interface PrepayTypeRequest {
  readonly instanceId: string;
  readonly instanceType: string;
  /** Sent when known; without it the API judges the direction itself. */
  readonly operatorType?: "upgrade" | "downgrade";
  /** `AutoPay` (ignored by the API for a downgrade). */
  readonly autoPay: boolean;
  /** `MigrateAcrossZone`, sent when set. */
  readonly migrateAcrossZone?: boolean;
  /** `SystemDisk.Category`, sent when set. */
  readonly systemDiskCategory?: "cloud_efficiency" | "cloud_ssd";
}

/**
 * One `ModifyInstanceNetworkSpec` request: the bandwidth of a subscription instance, or a temporary
 * upgrade window (`startTime` `yyyy-MM-ddTHH:mmZ`, `endTime` `yyyy-MM-ddTHHZ`, as the API takes them).
 */
export type NetworkSpecRequest =
  | {
      readonly item: "bandwidth";
      readonly instanceId: string;
      readonly internetMaxBandwidthOut?: number;
      readonly internetMaxBandwidthIn?: number;
      readonly autoPay: boolean;
    }
  | {
      readonly item: "temporaryBandwidth";
      readonly instanceId: string;
      readonly startTime: string;
      readonly endTime: string;
      readonly internetMaxBandwidthOut: number;
      readonly autoPay: boolean;
    };

/** Wire parameters of one request as sent (flat, string-valued; never credentials or a signature). */
export type WireParams = Readonly<Record<string, string>>;

/** Options of {@link EcsApi.describeAvailableInstanceTypes}. */
export interface AvailableTypesOptions {
  /** Also list types offered in other zones of the region. */
  readonly allowMigrateAcrossZone?: boolean;
  /**
   * `OperationType`: `Upgrade` (default) or `Downgrade`. A subscription instance's catalogue is split
   * by direction (a downgrade is a refund); a pay-as-you-go instance's is the same either way.
   */
  readonly operationType?: "Upgrade" | "Downgrade";
}

/** Answer of a call that changes something. */
export interface CallResult {
  /** The API's `RequestId`. */
  readonly requestId: string;
  /** The request's parameters as sent (the same for every attempt of it). */
  readonly sent: WireParams;
}

/** Answer of a call that creates an order. */
export interface OrderResult extends CallResult {
  /** The order's ID (the API may write it as a number; always a string here). */
  readonly orderId: string;
}

/** The ECS calls the engine uses. Every method throws only {@link EcsApiError}. */
export interface EcsApi {
  /**
   * `DescribeInstances` (+ `DescribeDisks` unless `knownHasLocalDisks` is given); `undefined` when
   * the instance does not exist. `priority` says how urgent the read is when the API budget makes
   * calls wait (default: `downtime` for an instance this process stopped, else `normal`).
   */
  describeInstance(
    instanceId: string,
    opts?: { readonly knownHasLocalDisks?: boolean; readonly priority?: ApiPriority },
  ): Promise<InstanceSnapshot | undefined>;
  /** `DescribeResourcesModification` (DestinationResource=InstanceType): the types the instance may change to, in stock. */
  describeAvailableInstanceTypes(instanceId: string, opts?: AvailableTypesOptions): Promise<string[]>;
  /** `DescribeDisks`: true when a disk of the instance is local (`ephemeral*`, `local_*`). */
  hasLocalDisks(instanceId: string): Promise<boolean>;
  /**
   * `StopInstance` (ForceStop=false). The API takes no ClientToken for it; the executor makes it
   * idempotent by re-reading the status before any retry.
   */
  stopInstance(instanceId: string, stoppedMode: "KeepCharging" | "StopCharging"): Promise<CallResult>;
  /** `StartInstance`. No ClientToken either (see {@link EcsApi.stopInstance}). */
  startInstance(instanceId: string): Promise<CallResult>;
  /** `ModifyInstanceSpec` with one item and the given idempotency token. */
  modifyInstanceSpec(request: ModifyRequest, clientToken: string): Promise<CallResult>;
  /** `ModifyPrepayInstanceSpec` with the given idempotency token: creates an order, applied asynchronously. */
  modifyPrepayInstanceSpec(request: PrepayTypeRequest, clientToken: string): Promise<OrderResult>;
  /** `ModifyInstanceNetworkSpec` with the given idempotency token: creates an order. */
  modifyInstanceNetworkSpec(request: NetworkSpecRequest, clientToken: string): Promise<OrderResult>;
  /** `TagResources` on one instance: adds the tags, overwriting the values of keys it has. */
  tagInstance(instanceId: string, tags: Readonly<Record<string, string>>): Promise<CallResult>;
  /** `UntagResources` on one instance: removes the keys (a key it lacks is no error). */
  untagInstance(instanceId: string, keys: readonly string[]): Promise<CallResult>;
  /**
   * `ModifyInstanceSpec` with `DryRun=true` and no ClientToken: the API checks the request against
   * the instance as it is now and changes nothing. Resolves when it answers `DryRunOperation` (every
   * check passed); throws the refusal otherwise. Optional: without it the executor checks requests
   * with its own rules only.
   */
  dryRunModifyInstanceSpec?(request: ModifyRequest): Promise<void>;
}

/** Thrown by {@link createEcsClient} for an endpoint it refuses. */
export class EndpointError extends Error {
  override readonly name = "EndpointError";
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|\[::1\]|localhost)$/i;

/** Check an endpoint: `https://host[:port]`, or `http://` on loopback only. Returns it without a trailing slash. */
export function checkEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new EndpointError(`endpoint "${endpoint}" is not a URL; use https://ecs.<region>.aliyuncs.com`);
  }
  if (url.username || url.password || url.search || url.hash || (url.pathname !== "/" && url.pathname !== "")) {
    throw new EndpointError(`endpoint "${url.origin}" must be only scheme://host[:port], without path, query or user info`);
  }
  if (url.protocol === "https:") return url.origin;
  if (url.protocol === "http:") {
    if (LOOPBACK.test(url.hostname)) return url.origin;
    throw new EndpointError(
      `endpoint "${url.origin}" uses plain http:// on a non-loopback host; requests carry signed credentials — use https://, ` +
        `or http:// only on 127.0.0.1, ::1 or localhost (a local simulator)`,
    );
  }
  throw new EndpointError(`endpoint "${endpoint}" must start with https:// (or http:// on loopback)`);
}

type Params = Record<string, string>;
type Body = Record<string, unknown>;

const NETWORK_ERRNO = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNABORTED",
  "ERR_SOCKET_CONNECTION_TIMEOUT",
]);

/** What takes the place of a credential, a signature or a string-to-sign in a message. */
export const REDACTED = "<redacted>";

/** RFC 3986 percent-encoding, the one the POP signature uses (`encodeURIComponent` plus `!'()*`). */
function percentEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * The forms a value takes in a message: raw, as a query or form parameter, and encoded twice as
 * the parameters inside a V1 string-to-sign are.
 */
function encodedForms(value: string): string[] {
  const once = [percentEncode(value), encodeURIComponent(value), new URLSearchParams({ v: value }).toString().slice(2)];
  return [...new Set([value, ...once, ...once.map(percentEncode)])].sort((a, b) => b.length - a.length);
}

// The server quotes its string-to-sign after these words ("… server string to sign is:POST&%2F&…"):
// it holds every signed parameter, the AccessKeyId and the SecurityToken among them, so all of it goes.
const STRING_TO_SIGN = /(string[ _-]?to[ _-]?sign(?:\s+is)?\s*[:=]?)[\s\S]*$/i;
// `name=value` of credential and signature parameters, raw, URL-encoded once or twice, as JSON or
// as a config file has them (the credentials chain quotes a CLI config it cannot parse); the value
// ends at a separator, or at an encoded `&` inside an encoded query.
const CREDENTIAL_PARAM =
  /(^|[^a-z])(access[_-]?key[_-]?(?:id|secret)|(?:security|sts)[_-]?token|signature|credential|x-acs-security-token)(=|%3D|%253D|"?\s*:\s*"?)((?:(?!%26|%2526)[^&\s"',;}])+)/gi;

/**
 * `message` with no credential left in it: signed URLs cut to scheme://host[:port], the server's
 * string-to-sign, the values of `AccessKeyId`, `SecurityToken`, `Signature` and similar parameters,
 * and every one of `known` (raw or URL-encoded once or twice) replaced by {@link REDACTED}.
 * Every message the client passes on goes through it.
 *
 * @param known the credentials in use (AccessKeyId, secret, SecurityToken), to be removed wherever they appear
 * @example
 * redact("bad: AccessKeyId=LTAI5t...&Signature=abc%3D", ["LTAI5t..."]); // "bad: AccessKeyId=<redacted>&Signature=<redacted>"
 */
export function redact(message: string, known: Iterable<string> = []): string {
  let out = message
    .replace(/(https?:\/\/[^/\s?]+)[^\s]*/g, "$1")
    .replace(STRING_TO_SIGN, `$1${REDACTED}`)
    .replace(CREDENTIAL_PARAM, `$1$2$3${REDACTED}`);
  for (const value of known) {
    if (value === "") continue;
    for (const form of encodedForms(value)) out = out.replace(new RegExp(escapeRegExp(form), "gi"), REDACTED);
  }
  return out;
}

/** The credentials chain failed; `message` is its reason, not yet redacted. */
class CredentialsUnavailable extends Error {}

/** The error for an answer that carries an API error, or an HTTP status ≥ 400 without one. */
function answerError(action: string, body: Body, httpStatus: number | undefined, known: Iterable<string>): EcsApiError {
  return new EcsApiError({
    action,
    code: typeof body.Code === "string" ? body.Code : TRANSPORT_CODES.httpError,
    message: redact(typeof body.Message === "string" ? body.Message : httpStatus !== undefined ? `HTTP ${httpStatus}` : "", known),
    httpStatus,
    requestId: typeof body.RequestId === "string" ? body.RequestId : undefined,
  });
}

/**
 * Turn anything pop-core (or the credentials chain) threw into an {@link EcsApiError} whose
 * message has been through {@link redact} with `known`. Exported for tests.
 */
export function normalizeError(action: string, e: unknown, known: Iterable<string> = []): EcsApiError {
  if (e instanceof EcsApiError) return e;
  if (e instanceof CredentialsUnavailable) {
    return new EcsApiError({
      action,
      code: TRANSPORT_CODES.credentials,
      message: `the credentials chain found no credentials${e.message ? `: ${redact(e.message, known)}` : ""}`,
    });
  }
  const err = e as { name?: unknown; code?: unknown; data?: unknown; message?: unknown; entry?: { response?: { statusCode?: number } } };
  const data = err?.data as Body | undefined;
  if (data && typeof data === "object" && typeof data.Code === "string") {
    return answerError(action, data, err.entry?.response?.statusCode, known);
  }
  // json-bigint throws a plain object named SyntaxError (not an instance) on an HTML body.
  if (e instanceof SyntaxError || err?.name === "SyntaxError") {
    return new EcsApiError({ action, code: TRANSPORT_CODES.invalidBody, message: "the answer was not JSON (an HTML or empty body)" });
  }
  const name = typeof err?.name === "string" ? err.name : "";
  const message = redact(typeof err?.message === "string" ? err.message : String(e), known);
  if (/Timeout/i.test(name) || err?.code === "ETIMEDOUT") {
    return new EcsApiError({ action, code: TRANSPORT_CODES.timeout, message });
  }
  if ((typeof err?.code === "string" && NETWORK_ERRNO.has(err.code)) || /socket hang up/i.test(message)) {
    return new EcsApiError({ action, code: TRANSPORT_CODES.network, message });
  }
  return new EcsApiError({ action, code: TRANSPORT_CODES.network, message: `${name || "Error"}: ${message}` });
}

/** The snapshot of one `DescribeInstances` instance entry. Exported for tests. */
export function toSnapshot(i: Body, regionId: string, hasLocalDisks: boolean): InstanceSnapshot {
  const str = (v: unknown): string => (v === undefined || v === null ? "" : String(v));
  const num = (v: unknown): number => Number(str(v));
  const obj = (v: unknown): Body => (v && typeof v === "object" ? (v as Body) : {});
  const status = str(i.Status) as InstanceStatus;
  const locks = obj(i.OperationLocks).LockReason;
  const eip = str(obj(i.EipAddress).AllocationId);
  const ddh = str(obj(i.DedicatedHostAttribute).DedicatedHostId);
  const firstIp = (v: unknown): string => {
    const l = obj(v).IpAddress;
    return Array.isArray(l) && l.length > 0 ? str(l[0]) : "";
  };
  const privateIp = firstIp(obj(i.VpcAttributes).PrivateIpAddress) || firstIp(i.InnerIpAddress);
  const publicIp = str(obj(i.EipAddress).IpAddress) || firstIp(i.PublicIpAddress);
  return {
    instanceId: str(i.InstanceId),
    regionId: str(i.RegionId) || regionId,
    zoneId: str(i.ZoneId),
    status,
    instanceType: str(i.InstanceType),
    internetMaxBandwidthOut: num(i.InternetMaxBandwidthOut),
    internetMaxBandwidthIn: num(i.InternetMaxBandwidthIn),
    instanceChargeType: str(i.InstanceChargeType) === "PrePaid" ? "PrePaid" : "PostPaid",
    internetChargeType: str(i.InternetChargeType),
    stoppedMode: str(i.StoppedMode),
    ...(str(i.InstanceChargeType) === "PrePaid" && !Number.isNaN(Date.parse(str(i.ExpiredTime))) ? { expiredTime: str(i.ExpiredTime) } : {}),
    ...(eip ? { eipAllocationId: eip } : {}),
    ...(ddh ? { dedicatedHostId: ddh } : {}),
    operationLocks: Array.isArray(locks) ? locks.map((l) => str(obj(l).LockReason)).filter((s) => s !== "") : [],
    hasLocalDisks,
    tags: Object.fromEntries(
      (Array.isArray(obj(i.Tags).Tag) ? (obj(i.Tags).Tag as unknown[]) : []).map((t) => [str(obj(t).TagKey), str(obj(t).TagValue)] as const).filter(([k]) => k !== ""),
    ),
    ...(privateIp ? { privateIp } : {}),
    ...(publicIp ? { publicIp } : {}),
  };
}

/** Disk categories that are local to the host. */
export function isLocalDiskCategory(category: string): boolean {
  return category.startsWith("ephemeral") || category.startsWith("local_");
}

// A preview reads its instances from one listing of the region (ceil(M / 100) calls for M instances)
// this old at most: preview shows, the apply reads live. Regions larger than the listing's pages are
// read by id instead.
const LISTING_TTL_MS = 30_000;
const LISTING_MAX_PAGES = 10;

// The type catalogue changes with stock: shared by the reads of one run (preview, then the apply), no longer.
const CATALOGUE_TTL_MS = 60_000;

// Local-disk facts come from one listing of the region's disks per process (ceil(D / 100) calls for
// D disks). A region with more disks than these pages is read per instance instead.
const DISK_PAGE_SIZE = 100;
const DISK_LISTING_MAX_PAGES = 10;

/**
 * The identity calls are budgeted under: the account and region behind endpoint and credentials,
 * as a hash, so no credential is ever a readable key.
 */
/** The key of the process scheduler (budget, coalescer, caches) the clients of this endpoint, region and identity share. */
export function budgetKey(endpoint: string, regionId: string, opts: EcsClientOptions): string {
  const who = opts.credentials ? `key:${opts.credentials.accessKeyId}` : opts.profile !== undefined ? `profile:${opts.profile}` : "chain";
  return createHash("sha256").update(JSON.stringify([endpoint, regionId, who])).digest("hex");
}

/**
 * Create the ECS client. Cheap: no call is made until a method is used. Credentials stay inside
 * the closure (the returned object has no enumerable state). Every call goes through the process's
 * {@link schedulerFor scheduler} of its account and region: clients of the same identity share one
 * budget, one `DescribeInstances` coalescer and the caches of disks and type catalogues.
 *
 * @example
 * const api = createEcsClient({ regionId: "cn-hangzhou" }); // default credentials chain
 * const snap = await api.describeInstance("i-bp67acfmxazb4ph0abcd");
 */
export function createEcsClient(opts: EcsClientOptions): EcsClient {
  const regionId = opts.regionId;
  const endpoint = checkEndpoint(opts.endpoint ?? `https://ecs.${regionId}.aliyuncs.com`);
  const slbEndpoint = slbEndpointFor(regionId, opts);
  const timeout = opts.timeoutMs ?? 10_000;
  const explicit = opts.credentials;
  const chain = explicit
    ? undefined
    : opts.profile !== undefined
      ? CLIProfileCredentialsProvider.builder().withProfileName(opts.profile).build()
      : DefaultCredentialsProvider.builder().build();
  // The values every message is redacted with: the explicit keys, or the last ones the chain
  // returned (it may rotate them between calls). In the closure, as the keys are.
  const known: string[] = [];
  const remember = (c: { accessKeyId?: unknown; accessKeySecret?: unknown; securityToken?: unknown }) => {
    for (const v of [c.accessKeyId, c.accessKeySecret, c.securityToken]) {
      if (typeof v !== "string" || v === "" || known.includes(v)) continue;
      known.push(v);
      if (known.length > 12) known.shift(); // the last four key sets are plenty for calls in flight
    }
  };
  if (explicit) remember(explicit);
  const credentialsProvider = {
    getCredentials: async () => {
      if (explicit) return { ...explicit };
      const fetched = await chain!.getCredentials().catch((e: unknown) => {
        throw new CredentialsUnavailable(e instanceof Error ? e.message : String(e));
      });
      remember(fetched);
      return fetched;
    },
  };
  const Ctor = RPCClient as unknown as new (config: object, verbose: boolean) => {
    request(action: string, params: Params, options: object): Promise<[Body, { response?: { statusCode?: number } }]>;
  };
  const rpc = new Ctor({ endpoint, apiVersion: ECS_API_VERSION, credentialsProvider, opts: { timeout } }, true);
  // Built on first use: an ECS-only run never needs it.
  let slbRpc: InstanceType<typeof Ctor> | undefined;
  // CLB has its own rate limits: its calls get their own budget, keyed like the ECS one.
  const slbScheduler = schedulerFor(budgetKey(`slb:${slbEndpoint}`, regionId, opts));

  const scheduler = schedulerFor(budgetKey(endpoint, regionId, opts));
  const onWait =
    opts.onBudgetWait &&
    ((action: string, ms: number) =>
      opts.onBudgetWait!(`waiting ${(ms / 1000).toFixed(1)} s for the account's ${action} budget (API rate limit); the call is delayed, not failed`));
  const priorityOf = (instanceId: string): ApiPriority => (scheduler?.down.has(instanceId) ? "downtime" : "normal");
  // The status each instance had at its last read by this client: an upgrade ordered while it ran reboots it.
  const lastStatus = new Map<string, string>();
  const changed = (instanceId: string) => scheduler?.changed(instanceId);

  async function call(action: string, params: Params, priority: ApiPriority = "normal"): Promise<Body> {
    return scheduler ? scheduler.call(action, priority, () => send(action, params), onWait) : send(action, params);
  }

  async function send(action: string, params: Params, client = rpc): Promise<Body> {
    let body: Body;
    let status: number | undefined;
    try {
      const [json, entry] = await client.request(action, { ...params }, { method: "POST", formatParams: false, timeout });
      body = json;
      status = entry?.response?.statusCode;
    } catch (e) {
      throw normalizeError(action, e, known);
    }
    if (status !== undefined && status >= 400) throw answerError(action, body, status, known);
    return body;
  }
  const change = async (action: string, params: Params, priority: ApiPriority = "normal"): Promise<CallResult> => {
    const id = params.InstanceId ?? params["ResourceId.1"];
    const b = await call(action, params, priority).finally(() => id !== undefined && changed(id));
    return { requestId: typeof b.RequestId === "string" ? b.RequestId : "", sent: params };
  };
  const order = async (action: string, params: Params, priority: ApiPriority): Promise<OrderResult> => {
    const b = await call(action, params, priority).finally(() => changed(params.InstanceId!));
    const id = b.OrderId;
    return {
      requestId: typeof b.RequestId === "string" ? b.RequestId : "",
      sent: params,
      orderId: typeof id === "string" || typeof id === "number" || typeof id === "bigint" ? String(id) : "",
    };
  };
  // What the type catalogue of an instance is keyed by, from its last read in this process. The
  // answer (types the instance may change to, in stock, with OperationType=Upgrade and no
  // InstanceType filter) depends on the zone's stock, the current type (its family fixes the
  // architecture and what it may move to, and it is left out of the answer), the billing method
  // (PrePaid has its own upgrade paths) and MigrateAcrossZone (in the key where it is used): so
  // instances alike in these share one answer. It would be unsafe for types that also depend on
  // the instance's image (e.g. images without NVMe drivers) or its network (classic vs VPC); the
  // key has neither, and a type the image cannot run is refused by ModifyInstanceSpec itself.
  const catalogueKeys = scheduler?.catalogueKeys ?? new Map<string, string>();
  const catalogueKeyOf = (i: Body): string => JSON.stringify([i.ZoneId, i.InstanceType, i.InstanceChargeType]);
  const list = (b: unknown, outer: string, inner: string): Body[] => {
    const o = b && typeof b === "object" ? (b as Body)[outer] : undefined;
    const l = o && typeof o === "object" ? (o as Body)[inner] : undefined;
    return Array.isArray(l) ? (l as Body[]) : [];
  };

  // A disk's category never changes (local disks come and go only with the instance), so one answer
  // per instance serves the whole process; with a scheduler, the answers of all instances come
  // from one listing of the region's disks. An instance the listing does not have (created since)
  // is read on its own.
  const hasLocalDisks = (instanceId: string): Promise<boolean> =>
    scheduler
      ? scheduler.cached(`disks:${instanceId}`, Infinity, async () => {
          const listed = (await scheduler.cached("disk-listing", Infinity, listRegionDisks))?.get(instanceId);
          return listed ?? readLocalDisks(instanceId);
        })
      : readLocalDisks(instanceId);

  /** Whether each instance of the region has a local disk, or `undefined` when the region has more disks than the listing's pages. */
  async function listRegionDisks(): Promise<ReadonlyMap<string, boolean> | undefined> {
    const out = new Map<string, boolean>();
    let seen = 0;
    for (let page = 1; page <= DISK_LISTING_MAX_PAGES; page++) {
      const b = await call("DescribeDisks", { RegionId: regionId, PageSize: String(DISK_PAGE_SIZE), PageNumber: String(page) });
      const total = Number(b.TotalCount ?? 0);
      if (total > DISK_PAGE_SIZE * DISK_LISTING_MAX_PAGES) return undefined;
      const disks = list(b, "Disks", "Disk");
      for (const d of disks) {
        const id = String(d.InstanceId ?? "");
        if (id !== "") out.set(id, out.get(id) === true || isLocalDiskCategory(String(d.Category ?? "")));
      }
      seen += disks.length;
      if (disks.length < DISK_PAGE_SIZE || seen >= total) return out;
    }
    return undefined;
  }

  async function readLocalDisks(instanceId: string): Promise<boolean> {
    for (let page = 1; ; page++) {
      const b = await call("DescribeDisks", { RegionId: regionId, InstanceId: instanceId, PageSize: "100", PageNumber: String(page) });
      const disks = list(b, "Disks", "Disk");
      if (disks.some((d) => isLocalDiskCategory(String(d.Category ?? "")))) return true;
      if (disks.length < 100) return false;
    }
  }

  async function describeHealthStatus(q: { readonly loadBalancerId: string; readonly listenerPort?: number }): Promise<HealthStatusRow[]> {
    slbRpc ??= new Ctor({ endpoint: slbEndpoint, apiVersion: SLB_API_VERSION, credentialsProvider, opts: { timeout } }, true);
    const client = slbRpc;
    const params = describeHealthStatusParams(regionId, q);
    const sendIt = () => send("DescribeHealthStatus", params, client);
    const b = await (slbScheduler ? slbScheduler.call("DescribeHealthStatus", "normal", sendIt, onWait) : sendIt());
    return parseHealthStatus(b);
  }

  return {
    describeHealthStatus,
    probeHttp,
    async describeInstance(instanceId, o) {
      const priority = o?.priority ?? priorityOf(instanceId);
      const listed = scheduler && priority === "preview" ? (await scheduler.cached("listing", LISTING_TTL_MS, listRegion))?.get(instanceId) : undefined;
      const found =
        listed ??
        (scheduler
          ? await scheduler.readBatched("DescribeInstances", instanceId, priority, describeMany, onWait)
          : (await describeMany([instanceId])).get(instanceId));
      if (!found) return undefined;
      lastStatus.set(instanceId, String(found.Status));
      const rebootingTo = scheduler?.rebooting.get(instanceId);
      if (found.Status === "Running" && (rebootingTo === undefined || found.InstanceType === rebootingTo)) {
        scheduler?.down.delete(instanceId);
        scheduler?.rebooting.delete(instanceId);
      }
      catalogueKeys.set(instanceId, catalogueKeyOf(found));
      const local = o?.knownHasLocalDisks ?? (await hasLocalDisks(instanceId));
      return toSnapshot(found, regionId, local);
    },
    describeAvailableInstanceTypes(instanceId, o) {
      const read = () => readCatalogue(instanceId, o);
      const of = catalogueKeys.get(instanceId) ?? `instance:${instanceId}`;
      return scheduler ? scheduler.cached(`types:${of}:${o?.allowMigrateAcrossZone === true}:${o?.operationType ?? "Upgrade"}`, CATALOGUE_TTL_MS, read) : read();
    },
    hasLocalDisks,
    stopInstance: async (instanceId, stoppedMode) => {
      const r = await change("StopInstance", stopInstanceParams(instanceId, stoppedMode));
      scheduler?.down.add(instanceId);
      return r;
    },
    startInstance: (instanceId) => change("StartInstance", startInstanceParams(instanceId), priorityOf(instanceId)),
    modifyInstanceSpec: (request, clientToken) =>
      change("ModifyInstanceSpec", modifyInstanceSpecParams(request, clientToken), priorityOf(request.instanceId)),
    modifyPrepayInstanceSpec: async (request, clientToken) => {
      const r = await order("ModifyPrepayInstanceSpec", modifyPrepayInstanceSpecParams(request, clientToken), priorityOf(request.instanceId));
      // Accepted while Running and paid: ECS restarts it once the order settles (RebootWhenFinished),
      // and the reads that follow it through the restart are downtime, as after a StopInstance.
      if (scheduler && request.autoPay && lastStatus.get(request.instanceId) === "Running") {
        scheduler.down.add(request.instanceId);
        scheduler.rebooting.set(request.instanceId, request.instanceType);
      }
      return r;
    },
    modifyInstanceNetworkSpec: (request, clientToken) =>
      order("ModifyInstanceNetworkSpec", modifyInstanceNetworkSpecParams(request, clientToken), priorityOf(request.instanceId)),
    tagInstance: (instanceId, tags) => change("TagResources", tagResourcesParams(regionId, instanceId, tags)),
    untagInstance: (instanceId, keys) => change("UntagResources", untagResourcesParams(regionId, instanceId, keys)),
    async dryRunModifyInstanceSpec(request) {
      // No ClientToken: a token is bound by the real call, which must stay free to use it.
      const { ClientToken: _token, ...params } = modifyInstanceSpecParams(request, "");
      try {
        await call("ModifyInstanceSpec", { ...params, DryRun: "true" });
      } catch (e) {
        if (e instanceof EcsApiError && e.code === "DryRunOperation") return;
        throw e;
      }
    },
  };

  /** Every instance of the region, or `undefined` when it has more than the listing's pages. */
  async function listRegion(): Promise<ReadonlyMap<string, Body> | undefined> {
    const out = new Map<string, Body>();
    for (let page = 1; page <= LISTING_MAX_PAGES; page++) {
      const b = await call("DescribeInstances", { RegionId: regionId, PageSize: String(MAX_IDS_PER_DESCRIBE), PageNumber: String(page) }, "preview");
      const instances = list(b, "Instances", "Instance");
      for (const i of instances) out.set(String(i.InstanceId), i);
      if (instances.length < MAX_IDS_PER_DESCRIBE || out.size >= Number(b.TotalCount ?? 0)) return out;
    }
    return undefined;
  }

  /** One `DescribeInstances` for up to 100 ids (sent as is: the scheduler has the budget). */
  async function describeMany(ids: readonly string[]): Promise<ReadonlyMap<string, Body>> {
    const b = await send("DescribeInstances", {
      RegionId: regionId,
      InstanceIds: JSON.stringify(ids),
      PageSize: String(MAX_IDS_PER_DESCRIBE),
    });
    return new Map(list(b, "Instances", "Instance").map((i) => [String(i.InstanceId), i] as const));
  }

  async function readCatalogue(instanceId: string, o: AvailableTypesOptions | undefined): Promise<string[]> {
    const b = await call("DescribeResourcesModification", {
      RegionId: regionId,
      ResourceId: instanceId,
      DestinationResource: "InstanceType",
      OperationType: o?.operationType ?? "Upgrade",
      MigrateAcrossZone: o?.allowMigrateAcrossZone ? "true" : "false",
    });
    const types = new Set<string>();
    for (const zone of list(b, "AvailableZones", "AvailableZone")) {
      if (zone.Status !== undefined && zone.Status !== "Available") continue;
      for (const res of list(zone, "AvailableResources", "AvailableResource")) {
        if (res.Type !== "InstanceType") continue;
        for (const s of list(res, "SupportedResources", "SupportedResource")) {
          if (s.Status === "Available" && typeof s.Value === "string") types.add(s.Value);
        }
      }
    }
    return [...types].sort();
  }
}

/** `DescribeHealthStatus` parameters. */
export function describeHealthStatusParams(regionId: string, q: { readonly loadBalancerId: string; readonly listenerPort?: number }): WireParams {
  return { RegionId: regionId, LoadBalancerId: q.loadBalancerId, ...(q.listenerPort !== undefined ? { ListenerPort: String(q.listenerPort) } : {}) };
}

const HEALTH_STATUSES: readonly string[] = ["normal", "abnormal", "unavailable"];

/** The rows of a `DescribeHealthStatus` answer. Exported for tests. */
export function parseHealthStatus(b: Body): HealthStatusRow[] {
  const outer = b.BackendServers && typeof b.BackendServers === "object" ? (b.BackendServers as Body).BackendServer : undefined;
  const rows = Array.isArray(outer) ? (outer as unknown[]) : [];
  return rows.flatMap((r) => {
    if (!r || typeof r !== "object") return [];
    const x = r as Body;
    const status = String(x.ServerHealthStatus ?? "");
    return [{
      serverId: String(x.ServerId ?? ""),
      listenerPort: Number(x.ListenerPort),
      port: Number(x.Port),
      status: (HEALTH_STATUSES.includes(status) ? status : "unavailable") as ServerHealthStatus,
    }];
  });
}

/** See {@link HealthApi.probeHttp}. No credentials: no auth header, no cookies, a URL with user info is refused. */
export async function probeHttp(url: string, timeoutMs: number): Promise<HttpProbeResult> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { error: `not a URL: ${url}` };
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return { error: `only http:// and https:// URLs are probed, not ${parsed.protocol}` };
  if (parsed.username || parsed.password) return { error: "the URL carries user info; health URLs are probed without credentials" };
  try {
    const r = await fetch(parsed, { method: "GET", redirect: "manual", credentials: "omit", signal: AbortSignal.timeout(Math.max(1, timeoutMs)) });
    await r.body?.cancel().catch(() => undefined);
    return { status: r.status };
  } catch (e) {
    const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    if (err?.name === "TimeoutError" || err?.name === "AbortError") return { error: `no answer within ${timeoutMs} ms` };
    return { error: err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(e) };
  }
}

/** `StopInstance` parameters: a normal (not forced) stop in the given billing mode. */
export function stopInstanceParams(instanceId: string, stoppedMode: "KeepCharging" | "StopCharging"): WireParams {
  return { InstanceId: instanceId, ForceStop: "false", StoppedMode: stoppedMode };
}

/** `TagResources` parameters for one instance. */
export function tagResourcesParams(regionId: string, instanceId: string, tags: Readonly<Record<string, string>>): WireParams {
  const out: Params = { RegionId: regionId, ResourceType: "instance", "ResourceId.1": instanceId };
  Object.entries(tags).forEach(([key, value], i) => {
    out[`Tag.${i + 1}.Key`] = key;
    out[`Tag.${i + 1}.Value`] = value;
  });
  return out;
}

/** `UntagResources` parameters for one instance. */
export function untagResourcesParams(regionId: string, instanceId: string, keys: readonly string[]): WireParams {
  const out: Params = { RegionId: regionId, ResourceType: "instance", "ResourceId.1": instanceId };
  keys.forEach((key, i) => (out[`TagKey.${i + 1}`] = key));
  return out;
}

/** `StartInstance` parameters. */
export function startInstanceParams(instanceId: string): WireParams {
  return { InstanceId: instanceId };
}

/** The wire parameters of a `ModifyInstanceSpec` call: flat, string-valued, the request's item only, plus its ClientToken. */
export function modifyInstanceSpecParams(r: ModifyRequest, clientToken: string): WireParams {
  const out: Params = { InstanceId: r.instanceId };
  switch (r.item) {
    case "instanceType":
      out.InstanceType = r.instanceType;
      if (r.systemDiskCategory !== undefined) out["SystemDisk.Category"] = r.systemDiskCategory;
      if (r.allowMigrateAcrossZone !== undefined) out.AllowMigrateAcrossZone = String(r.allowMigrateAcrossZone);
      break;
    case "bandwidth":
      if (r.internetMaxBandwidthOut !== undefined) out.InternetMaxBandwidthOut = String(r.internetMaxBandwidthOut);
      if (r.internetMaxBandwidthIn !== undefined) out.InternetMaxBandwidthIn = String(r.internetMaxBandwidthIn);
      break;
    case "temporaryBandwidth":
      out["Temporary.StartTime"] = r.startTime;
      out["Temporary.EndTime"] = r.endTime;
      out["Temporary.InternetMaxBandwidthOut"] = String(r.internetMaxBandwidthOut);
      break;
  }
  out.ClientToken = clientToken;
  return out;
}

/** The wire parameters of a `ModifyPrepayInstanceSpec` call (always `RebootWhenFinished=true`; see {@link PrepayTypeRequest}). */
export function modifyPrepayInstanceSpecParams(r: PrepayTypeRequest, clientToken: string): WireParams {
  return {
    InstanceId: r.instanceId,
    InstanceType: r.instanceType,
    ...(r.operatorType !== undefined ? { OperatorType: r.operatorType } : {}),
    AutoPay: String(r.autoPay),
    RebootWhenFinished: "true",
    ...(r.migrateAcrossZone !== undefined ? { MigrateAcrossZone: String(r.migrateAcrossZone) } : {}),
    ...(r.systemDiskCategory !== undefined ? { "SystemDisk.Category": r.systemDiskCategory } : {}),
    ClientToken: clientToken,
  };
}

/** The wire parameters of a `ModifyInstanceNetworkSpec` call. */
export function modifyInstanceNetworkSpecParams(r: NetworkSpecRequest, clientToken: string): WireParams {
  const out: Params = { InstanceId: r.instanceId };
  if (r.item === "bandwidth") {
    if (r.internetMaxBandwidthOut !== undefined) out.InternetMaxBandwidthOut = String(r.internetMaxBandwidthOut);
    if (r.internetMaxBandwidthIn !== undefined) out.InternetMaxBandwidthIn = String(r.internetMaxBandwidthIn);
  } else {
    out.InternetMaxBandwidthOut = String(r.internetMaxBandwidthOut);
    out.StartTime = r.startTime;
    out.EndTime = r.endTime;
  }
  out.AutoPay = String(r.autoPay);
  out.ClientToken = clientToken;
  return out;
}
