/**
 * One table deciding what to do about every error code `ModifyInstanceSpec` documents (see
 * docs/ecs-api.md, "Error codes and what the engine does"), the StopInstance/StartInstance status codes, the common
 * gateway codes, and the transport failures the client normalizes (network, timeout, non-JSON body).
 * Pure data plus one lookup; no I/O.
 */

/**
 * What the executor does about an error:
 * - `retry`: transient on the server's side and the call had no effect (rate limit, token still
 *   processing, nonce clash): retry with jittered backoff, same ClientToken.
 * - `verifyThenRetry`: the call may or may not have taken effect (5xx, network, timeout, garbage
 *   body): re-read the instance; if the change shows, count the step as done, else retry with the
 *   same ClientToken and jittered backoff.
 * - `waitCooldown`: the per-instance interval after a successful change has not passed yet: retry
 *   at its end (known from the last change time), not on a blind backoff.
 * - `stopFirst`: the instance must be Stopped for this call: stop it (if allowed) and plan again.
 * - `waitStatus`: the instance is in a status that does not accept the call right now: wait for it
 *   to settle (poll `DescribeInstances`), then plan again.
 * - `fail`: nothing the engine can do; report `hint` to the user.
 */
export type Decision = "retry" | "verifyThenRetry" | "waitCooldown" | "stopFirst" | "waitStatus" | "fail";

/**
 * True when the same call may succeed later as it is: every decision but `fail` and `stopFirst`.
 * The executor's retry classifier and {@link EcsApiError.retryable} both rest on it.
 */
export function isRetryableDecision(decision: Decision): boolean {
  return decision !== "fail" && decision !== "stopFirst";
}

/** One row of the error table. */
export interface ErrorRule {
  /** What to do. */
  readonly decision: Decision;
  /** What the user can do about it (for `fail`), or what the engine does (otherwise). */
  readonly hint: string;
}

const fail = (hint: string): ErrorRule => ({ decision: "fail", hint });
const PLANNER_BUG =
  "the engine sent a request the API rejects as malformed; this is a bug in pulumi-ecs-spec — please report it with the request ID";

/**
 * Codes the client itself assigns to failures that carry no API code. They never come from the API
 * (API codes have no `Client.` prefix).
 */
export const TRANSPORT_CODES = {
  /** Connection refused/reset, DNS failure, socket hang-up. */
  network: "Client.NetworkError",
  /** Connect or read timeout. */
  timeout: "Client.Timeout",
  /** The body was not JSON (an HTML error page from a gateway or proxy). */
  invalidBody: "Client.InvalidResponseBody",
  /** HTTP status ≥ 400 with a JSON body that has no `Code`. */
  httpError: "Client.HttpError",
  /** The credentials chain found no usable credentials. */
  credentials: "Client.CredentialsUnavailable",
} as const;

/**
 * The error table: every code ModifyInstanceSpec documents, the Stop/Start status codes, the common
 * gateway codes (docs/ecs-api.md, "Error answers"), and the client's transport codes.
 */
export const ERROR_TABLE: Readonly<Record<string, ErrorRule>> = Object.freeze({
  // --- ModifyInstanceSpec, in the order of the API reference ---
  "InvalidInternetChargeType.ValueNotSupported": fail(
    "the instance's internet charge type does not allow this bandwidth change; check internetMaxBandwidthOut/internetMaxBandwidthIn against the instance's InternetChargeType",
  ),
  "InvalidInstanceType.ValueUnauthorized": fail(
    "the instance type does not exist or this account may not use it; pick one that DescribeResourcesModification offers for the instance",
  ),
  "InvalidInstanceId.NotFound": fail("no such instance: check instanceId and regionId"),
  "InvalidInstanceType.ValueNotSupported": fail(
    "the zone does not offer this instance type; pick a type DescribeResourcesModification offers, or set allowMigrateAcrossZone: true",
  ),
  InvalidParameter: fail(
    "a parameter is out of range (internetMaxBandwidthOut 0–100, internetMaxBandwidthIn 1–200); fix the value named in the message",
  ),
  "InvalidParameter.Mismatch": fail(PLANNER_BUG + " (more than one item in one ModifyInstanceSpec call)"),
  CategoryViolation: fail(
    "instances with local (ephemeral) disks cannot change their spec; move the workload to an instance with cloud disks",
  ),
  "InvalidStatus.ValueNotSupported": {
    decision: "waitStatus",
    hint: "the instance's current status does not accept the change; waiting for it to settle, then planning again",
  },
  InstanceLockedForSecurity: fail(
    "the instance is locked for security reasons; resolve the lock in the Alibaba Cloud console (Security Center) or with support, then run again",
  ),
  InternalError: {
    decision: "verifyThenRetry",
    hint: "server-side error; re-reading the instance, then retrying (open a ticket if it persists)",
  },
  "InvalidAccountStatus.NotEnoughBalance": fail("the account balance is too low; top up the account, then run again"),
  ChargeTypeViolation: fail(
    "ModifyInstanceSpec only changes pay-as-you-go (PostPaid) instances; change a subscription instance with ModifyPrepayInstanceSpec or in the console",
  ),
  OperationDenied: fail(
    "the operation was denied (often: the target type is out of stock); pick another instanceType, or set allowMigrateAcrossZone: true",
  ),
  "BandwidthUpgradeDenied.EipBoundInstance": fail(
    "the instance has an EIP bound, so its public bandwidth is the EIP's; change the EIP's bandwidth instead, or unbind it",
  ),
  "MissingTemporary.StartTime": fail(PLANNER_BUG + " (Temporary.StartTime missing)"),
  "MissingTemporary.EndTime": fail(PLANNER_BUG + " (Temporary.EndTime missing)"),
  "InvalidTemporary.StartTime": fail(
    "temporaryBandwidth.startTime was refused; use yyyy-MM-ddTHH:mm:ssZ (UTC) and a time that is not in the past",
  ),
  "InvalidTemporary.EndTime": fail(
    "temporaryBandwidth.endTime was refused; use yyyy-MM-ddTHH:mm:ssZ (UTC), later than startTime and in the future",
  ),
  LastTokenProcessing: {
    decision: "retry",
    hint: "the previous request with this ClientToken is still being processed; retrying with the same token",
  },
  "Downgrade.NotSupported": fail("this instance cannot be downgraded; choose an instanceType at least as large as the current one"),
  "InstanceSpecModification.NotEffective": fail(
    "a spec change is already reserved for this instance and has not taken effect yet; wait for it to take effect, then run again",
  ),
  "DependencyViolation.InstanceType": fail(
    "the current instance type cannot change to this one; pick a type DescribeResourcesModification offers for the instance",
  ),
  ImageNotSupportInstanceType: fail(
    "the instance's image does not support the target type; pick another instanceType or change the image first",
  ),
  "Account.Arrearage": fail("the account has an outstanding payment; settle it, then run again"),
  "InvalidParameter.Bandwidth": fail("the bandwidth value is not valid; check internetMaxBandwidthOut (0–100) and internetMaxBandwidthIn (1–200)"),
  "InvalidParameter.Conflict": fail("the instance's image does not support the target type; pick another instanceType"),
  "InvalidParameter.AllowMigrateAcrossZone": fail("allowMigrateAcrossZone is not valid for this change; remove it or set it to false"),
  "InvalidParam.SystemDiskCategory": fail(
    "systemDiskCategory is not valid for this change; use cloud_efficiency or cloud_ssd, or leave it out",
  ),
  Throttling: {
    decision: "waitCooldown",
    hint: "the instance accepts one spec change per cooldown (5 minutes after the last one); the change is sent again when that cooldown has ended",
  },
  "InvalidInstanceStatus.NotStopped": {
    decision: "stopFirst",
    hint: "the instance must be Stopped to change its type; stopping it (allowStop) and planning again",
  },
  "InstanceType.Offline": fail("the instance type has been retired; choose a current instanceType"),
  InvalidAction: fail(PLANNER_BUG + " (unknown Action; is the endpoint an ECS endpoint?)"),
  IdempotenceParamNotMatch: fail(PLANNER_BUG + " (a ClientToken was reused with other parameters)"),
  "InvalidClientToken.ValueNotSupported": fail(PLANNER_BUG + " (ClientToken rejected)"),
  "Price.PricePlanResultNotFound": fail(
    "no price plan for this bandwidth; check internetMaxBandwidthOut/internetMaxBandwidthIn for the instance's InternetChargeType",
  ),
  "InvalidParameter.NotMatch": fail("parameters conflict with each other (see the message); adjust the desired spec"),
  "InvalidInstance.EipNotSupport": fail("instances with an EIP bound do not support this change; unbind the EIP first"),
  "InvalidAction.NotSupport": fail(
    "instances on a dedicated host cannot change their type; use ModifyInstanceAttribute/redeploy on the host instead",
  ),
  "InvalidMarketImageStatus.NotSupported": fail("the instance's marketplace image does not allow this change; contact the image vendor"),
  "OperationDenied.NoStock": fail("the target type is out of stock; pick another instanceType, or set allowMigrateAcrossZone: true, or try later"),
  "InvalidOperation.Ipv4CountExceeded": fail("the target type allows fewer private IPv4 addresses than the instance has; remove addresses or pick a larger type"),
  "InvalidOperation.Ipv6CountExceeded": fail("the target type allows fewer IPv6 addresses than the instance has; remove addresses or pick a larger type"),
  "InvalidOperation.Ipv6NotSupport": fail("the target type does not support IPv6; unassign the IPv6 addresses or pick another type"),
  "InvalidOperation.InstanceWithEipNotSupport": fail("instances with an EIP bound do not support this change; unbind the EIP first"),
  "SecurityRisk.3DVerification": fail("the account's card needs 3D verification; follow the link in the email from Alibaba Cloud"),
  "InvalidInstanceChargeType.NotFound": fail("the instance's charge type is unknown to the API; check the instance in the console"),

  // --- StopInstance / StartInstance ---
  IncorrectInstanceStatus: {
    decision: "waitStatus",
    hint: "the instance is in a status that does not accept this call; waiting for it to settle, then planning again",
  },
  InstanceNotReady: { decision: "waitStatus", hint: "the instance is not ready; waiting for it to settle" },

  // --- TagResources / UntagResources (the restore marker) ---
  "NoPermission.Tag": fail("the credentials may not tag the instance; grant ecs:TagResources and ecs:UntagResources"),
  "OperationDenied.QuotaExceed": fail("the instance has as many tags as it may have; remove one so the restore marker fits"),
  "QuotaExceed.Tags": fail("the instance has as many tags as it may have; remove one so the restore marker fits"),
  "InvalidResourceId.NotFound": fail("no such instance to tag: check instanceId and regionId"),
  "InvalidResourceId.NotSupported": fail("the instance does not support tags; contact support"),
  "Duplicate.TagKey": fail(PLANNER_BUG + " (a tag key twice in one request)"),
  "NumberExceed.Tags": fail(PLANNER_BUG + " (more than 20 tags in one request)"),
  "NumberExceed.ResourceIds": fail(PLANNER_BUG + " (more than 50 resources in one request)"),
  "InvalidTagKey.Malformed": fail(PLANNER_BUG + " (a malformed tag key)"),
  "InvalidTagValue.Malformed": fail(PLANNER_BUG + " (a malformed tag value)"),
  "InvalidResourceType.NotFound": fail(PLANNER_BUG + " (ResourceType)"),
  "MissingParameter.Tags": fail(PLANNER_BUG + " (tags missing)"),

  // --- CLB DescribeHealthStatus (health checks of a fleet) ---
  "InvalidLoadBalancerId.NotFound": fail(
    "no such load balancer: check healthCheck.clb.loadBalancerId and that the load balancer is in the instances' region",
  ),
  SystemBusy: { decision: "retry", hint: "the load balancer service is busy; retrying with backoff" },
  OperationBusy: { decision: "retry", hint: "the load balancer is busy with another operation; retrying with backoff" },
  ServiceIsStopping: { decision: "retry", hint: "the load balancer is being stopped or reconfigured; retrying with backoff" },
  "BackendServer.configuring": { decision: "retry", hint: "the load balancer's backend servers are being configured; retrying with backoff" },
  ServiceIsConfiguring: { decision: "retry", hint: "the load balancer is being configured; retrying with backoff" },

  // --- common gateway codes ---
  MissingParameter: fail(PLANNER_BUG + " (missing parameter)"),
  SignatureDoesNotMatch: fail("the request signature was rejected; check the AccessKey secret (and that no proxy rewrites requests)"),
  IncompleteSignature: fail("the request signature was rejected as incomplete; check the AccessKey secret"),
  SignatureNonceUsed: { decision: "retry", hint: "signature nonce clash; retrying with a fresh nonce" },
  "InvalidTimeStamp.Expired": fail("the request timestamp was refused; fix this machine's clock (NTP)"),
  "InvalidTimeStamp.Format": fail(PLANNER_BUG + " (timestamp format)"),
  "InvalidAccessKeyId.NotFound": fail("the AccessKey ID is unknown; check the credentials (ALIBABA_CLOUD_ACCESS_KEY_ID or the profile)"),
  "InvalidAccessKeyId.Inactive": fail("the AccessKey is disabled; enable it or use another one"),
  "InvalidSecurityToken.Expired": fail("the STS security token has expired; refresh the credentials"),
  "InvalidSecurityToken.Malformed": fail("the STS security token is malformed; check ALIBABA_CLOUD_SECURITY_TOKEN"),
  "InvalidRegionId.NotFound": fail("no such region: check regionId"),
  Forbidden: fail("the credentials are not allowed to make this call; grant the RAM policy (ecs:DescribeInstances, ecs:ModifyInstanceSpec, ecs:StopInstance, ecs:StartInstance, ecs:DescribeResourcesModification, ecs:DescribeDisks, ecs:TagResources and ecs:UntagResources; slb:DescribeHealthStatus for a CLB health check)"),
  "Forbidden.RAM": fail("the RAM user is not allowed to make this call; grant ecs:DescribeInstances, ecs:ModifyInstanceSpec, ecs:StopInstance, ecs:StartInstance, ecs:DescribeResourcesModification, ecs:DescribeDisks, ecs:TagResources and ecs:UntagResources (and slb:DescribeHealthStatus for a CLB health check)"),
  OperationConflict: { decision: "retry", hint: "another operation on the instance is in progress; retrying" },
  ServiceUnavailable: { decision: "verifyThenRetry", hint: "the service is temporarily unavailable; re-reading the instance, then retrying" },
  UnknownError: { decision: "verifyThenRetry", hint: "unknown server error; re-reading the instance, then retrying" },
  "Throttling.User": { decision: "retry", hint: "the account's API rate limit was hit; retrying with backoff" },
  "Throttling.Api": { decision: "retry", hint: "the API's rate limit was hit; retrying with backoff" },

  // --- transport, assigned by the client ---
  [TRANSPORT_CODES.network]: {
    decision: "verifyThenRetry",
    hint: "network error; re-reading the instance (the call may have been applied), then retrying",
  },
  [TRANSPORT_CODES.timeout]: {
    decision: "verifyThenRetry",
    hint: "request timed out; re-reading the instance (the call may have been applied), then retrying",
  },
  [TRANSPORT_CODES.invalidBody]: {
    decision: "verifyThenRetry",
    hint: "the answer was not JSON (a gateway error page); re-reading the instance, then retrying",
  },
  [TRANSPORT_CODES.httpError]: {
    decision: "verifyThenRetry",
    hint: "HTTP error without an API error code; re-reading the instance, then retrying",
  },
  [TRANSPORT_CODES.credentials]: fail(
    "no Alibaba Cloud credentials found: set ALIBABA_CLOUD_ACCESS_KEY_ID/ALIBABA_CLOUD_ACCESS_KEY_SECRET, a CLI profile, or an ECS RAM role",
  ),
});

/**
 * The rule for a code. Codes not in the table are decided by HTTP status: 5xx (or no status) may
 * have been applied, so verify then retry; a 4xx is the caller's problem, so fail.
 */
export function decide(code: string, httpStatus?: number): ErrorRule {
  const rule = ERROR_TABLE[code];
  if (rule) return rule;
  if (httpStatus === undefined || httpStatus >= 500) {
    return { decision: "verifyThenRetry", hint: `unrecognized server error ${code}; re-reading the instance, then retrying` };
  }
  return fail(`unrecognized error ${code}; see the message and the ECS API reference for ${code}`);
}

/** Every failure of an ECS call, normalized. Carries no credentials and no request URL. */
export class EcsApiError extends Error {
  override readonly name = "EcsApiError";
  /** The API's `Code`, or one of {@link TRANSPORT_CODES}. */
  readonly code: string;
  /** HTTP status when known (unknown for network errors and non-JSON bodies). */
  readonly httpStatus?: number;
  /** The API's `RequestId`, when the answer had one. */
  readonly requestId?: string;
  /** The action that failed, e.g. `ModifyInstanceSpec`. */
  readonly action: string;
  /** What the executor does about it (from {@link ERROR_TABLE}). */
  readonly decision: Decision;
  /** What the user can do (or what the engine is doing) about it. */
  readonly hint: string;
  /** True when the same call may succeed later as it is (a retry, a wait for the cooldown or a status); false for `stopFirst` and `fail`. */
  readonly retryable: boolean;

  constructor(fields: { action: string; code: string; message: string; httpStatus?: number; requestId?: string }) {
    const rule = decide(fields.code, fields.httpStatus);
    super(
      `${fields.action} failed: ${fields.code}${fields.httpStatus !== undefined ? ` (HTTP ${fields.httpStatus})` : ""}: ${fields.message}` +
        `${fields.requestId ? ` [RequestId ${fields.requestId}]` : ""} — ${rule.hint}`,
    );
    this.action = fields.action;
    this.code = fields.code;
    if (fields.httpStatus !== undefined) this.httpStatus = fields.httpStatus;
    if (fields.requestId !== undefined) this.requestId = fields.requestId;
    this.decision = rule.decision;
    this.hint = rule.hint;
    this.retryable = isRetryableDecision(rule.decision);
  }
}

/** True for an {@link EcsApiError} (also across module copies). */
export function isEcsApiError(e: unknown): e is EcsApiError {
  return e instanceof EcsApiError || (e instanceof Error && e.name === "EcsApiError" && typeof (e as EcsApiError).decision === "string");
}
