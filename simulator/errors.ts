/**
 * Every error the simulator can answer, one constructor per ECS error code, with the HTTP status
 * and message of the API reference (the ModifyInstanceSpec and tag tables plus the gateway's common codes).
 */

/** An ECS API error as the simulator answers it: HTTP status plus the body's `Code`/`Message`. */
export interface SimError {
  /** HTTP status of the answer. */
  readonly httpStatus: number;
  /** The ECS error code, e.g. `Throttling`. */
  readonly code: string;
  /** The error message. */
  readonly message: string;
  /** True when the same call may succeed later without any change (server-side or timing). */
  readonly retryable: boolean;
}

function err(httpStatus: number, code: string, message: string, retryable = false): SimError {
  return { httpStatus, code, message, retryable };
}

const missing = (name: string) =>
  `The input parameter "${name}" that is mandatory for processing this request is not supplied.`;

/** Error constructors, one per code (and per documented message variant). */
export const E = {
  // --- gateway / authentication ---
  missingParameter: (name: string) => err(400, "MissingParameter", missing(name)),
  invalidParameter: (name: string) => err(400, "InvalidParameter", `The specified parameter "${name}" is not valid.`),
  incompleteSignature: (detail = "The request signature does not conform to Aliyun standards.") =>
    err(400, "IncompleteSignature", detail),
  signatureDoesNotMatch: (stringToSign: string) =>
    err(400, "SignatureDoesNotMatch", `Specified signature is not matched with our calculation. server string to sign is:${stringToSign}`),
  accessKeyNotFound: () => err(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."),
  signatureNonceUsed: () => err(400, "SignatureNonceUsed", "Specified signature nonce was used already."),
  timestampExpired: (ts: string) =>
    err(400, "InvalidTimeStamp.Expired", `Specified time stamp or date value is expired. Timestamp: ${ts}`),
  timestampFormat: () => err(400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted."),
  securityTokenExpired: () => err(400, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired."),
  securityTokenMalformed: () => err(400, "InvalidSecurityToken.Malformed", "Specified SecurityToken is malformed."),
  invalidVersion: () => err(400, "InvalidVersion", "Specified parameter Version is not valid."),
  invalidAction: () => err(400, "InvalidAction", "Specified action is not valid."),
  throttlingUser: () => err(400, "Throttling.User", "Request was denied due to user flow control.", true),
  internalError: () =>
    err(500, "InternalError", "The request processing has failed due to some unknown error, exception or failure.", true),
  serviceUnavailable: () => err(503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server.", true),
  dryRunOperation: () => err(400, "DryRunOperation", "Request validation has been passed with DryRun flag set."),
  /** The simulator's own code: the API reference documents none for an oversized request. */
  requestTooLarge: (maxBytes: number | string) =>
    err(413, "RequestEntityTooLarge", `The request body is larger than ${maxBytes} bytes.`),

  // --- lookups ---
  instanceNotFound: () => err(404, "InvalidInstanceId.NotFound", "The specified InstanceId does not exist."),
  regionNotFound: () => err(404, "InvalidRegionId.NotFound", "The specified RegionId does not exist."),
  resourceNotFound: () => err(404, "InvalidResourceId.NotFound", "The specified ResourceId is not found."),

  // --- instance status (Stop/Start) ---
  incorrectInstanceStatus: () =>
    err(403, "IncorrectInstanceStatus", "The current status of the resource does not support this operation.", true),
  instanceNotReady: () => err(403, "InstanceNotReady", "The specified instance is not ready for use.", true),

  // --- ModifyInstanceSpec table ---
  internetChargeTypeNotSupported: () =>
    err(400, "InvalidInternetChargeType.ValueNotSupported", "The specified InternetChargeType is not valid."),
  instanceTypeUnknown: () =>
    err(400, "InvalidInstanceType.ValueUnauthorized", "The specified InstanceType does not exist or beyond the permitted range."),
  instanceTypeUnauthorized: () => err(400, "InvalidInstanceType.ValueUnauthorized", "The specified InstanceType is not authorized."),
  instanceTypeMalformed: () =>
    err(400, "InvalidInstanceType.ValueNotSupported", "The specified InstanceType does not exist or beyond the permitted range."),
  instanceTypeNotInZone: () =>
    err(403, "InvalidInstanceType.ValueNotSupported", "The specified zone does not offer the specified instancetype."),
  bandwidthOutInvalid: () => err(400, "InvalidParameter", 'The specified parameter "InternetMaxBandwidthOut" is not valid.'),
  mismatch: () => err(400, "InvalidParameter.Mismatch", "Too many parameters in one request."),
  categoryViolation: () =>
    err(403, "CategoryViolation", "The specified instance does not support this operation because of its disk category."),
  statusValueNotSupported: () =>
    err(403, "InvalidStatus.ValueNotSupported", "The current status of the resource does not support this operation.", true),
  lockedForSecurity: () =>
    err(403, "InstanceLockedForSecurity", "The specified operation is denied as your instance is locked for security reasons."),
  notEnoughBalance: () => err(403, "InvalidAccountStatus.NotEnoughBalance", "Your account does not have enough balance."),
  chargeTypeViolation: () => err(403, "ChargeTypeViolation", "The operation is not permitted due to charge type of the instance."),
  instanceOutOfUsage: () => err(403, "OperationDenied", "The specified instance is out of usage."),
  operationDenied: (message: string) => err(403, "OperationDenied", message),
  eipTemporaryDenied: () =>
    err(400, "BandwidthUpgradeDenied.EipBoundInstance", "The specified VPC instance has bound EIP, temporary bandwidth upgrade is denied."),
  missingTemporaryStart: () => err(404, "MissingTemporary.StartTime", "Temporary.StartTime is not specified."),
  missingTemporaryEnd: () => err(404, "MissingTemporary.EndTime", "Temporary.EndTime is not specified."),
  invalidTemporaryStart: () => err(400, "InvalidTemporary.StartTime", "The specifed Temporary.StartTime is not valid."),
  invalidTemporaryEnd: () => err(400, "InvalidTemporary.EndTime", "The specifed Temporary.EndTime is not valid."),
  lastTokenProcessing: () => err(403, "LastTokenProcessing", "The last token request is processing.", true),
  downgradeNotSupported: () => err(400, "Downgrade.NotSupported", "Downgrade operation is not supported."),
  specNotEffective: () =>
    err(403, "InstanceSpecModification.NotEffective",
      "The specified instance has been reserved for making a spec modification and not taken effective in the current contract period."),
  dependencyViolationType: () =>
    err(400, "DependencyViolation.InstanceType", "The current InstanceType cannot be changed to the specified InstanceType."),
  imageNotSupportType: () => err(403, "ImageNotSupportInstanceType", "The specified image do not support the InstanceType instance."),
  arrearage: () => err(400, "Account.Arrearage", "Your account has an outstanding payment."),
  bandwidthInvalid: () => err(400, "InvalidParameter.Bandwidth", "The specified parameter Bandwidth is not valid."),
  imageConflict: () => err(400, "InvalidParameter.Conflict", "The specified image does not support the specified instance type."),
  allowMigrateInvalid: () =>
    err(400, "InvalidParameter.AllowMigrateAcrossZone", "The specified parameter CanMigrateAcrossZone is not valid."),
  systemDiskCategoryInvalid: () => err(400, "InvalidParam.SystemDiskCategory", "The specified param SystemDisk.Category is not valid."),
  cooldown: () => err(400, "Throttling", "Request was denied due to request throttling, please try again after 5 minutes.", true),
  notStopped: () => err(400, "InvalidInstanceStatus.NotStopped", "The specified Instance status is not stopped."),
  typeOffline: () => err(403, "InstanceType.Offline", "The specified InstanceType has been offline"),
  idempotenceMismatch: () =>
    err(400, "IdempotenceParamNotMatch", "There is a idempotence signature mismatch between this and last request."),
  clientTokenInvalid: () => err(400, "InvalidClientToken.ValueNotSupported", "The ClientToken provided is invalid."),
  pricePlanNotFound: () =>
    err(400, "Price.PricePlanResultNotFound", "The internetMaxBandwidthIn or internetMaxBandwidthOut provided is invalid."),
  parameterNotMatch: (message: string) => err(403, "InvalidParameter.NotMatch", message),
  eipNotSupport: () =>
    err(403, "InvalidInstance.EipNotSupport", "The specified instance with eip is not supported, please unassociate eip first."),
  dedicatedHostNotSupport: () => err(400, "InvalidAction.NotSupport", "The ecs on dedicatedHost not support modify instanceType."),
  marketImageNotSupported: () =>
    err(400, "InvalidMarketImageStatus.NotSupported", "The status of specified market image does not support this operation."),
  noStock: () => err(403, "OperationDenied.NoStock", "The resource is out of usage.", true),
  ipv4CountExceeded: (message: string) => err(403, "InvalidOperation.Ipv4CountExceeded", message),
  ipv6CountExceeded: (message: string) => err(403, "InvalidOperation.Ipv6CountExceeded", message),
  ipv6NotSupport: (message: string) => err(403, "InvalidOperation.Ipv6NotSupport", message),
  instanceWithEipNotSupport: () =>
    err(403, "InvalidOperation.InstanceWithEipNotSupport", "The special instance with eip not support operate, please unassociate eip first."),
  securityRisk3D: () =>
    err(403, "SecurityRisk.3DVerification",
      "We have detected a security risk with your default credit or debit card. Please proceed with verification via the link in your email."),
  chargeTypeNotFound: () => err(404, "InvalidInstanceChargeType.NotFound", "The InstanceChargeType does not exist in our records"),

  // --- CLB (2014-05-15) DescribeHealthStatus ---
  /** Code, status and message unconfirmed: the API page lists no errors (see simulator/README.md). */
  loadBalancerNotFound: () => err(404, "InvalidLoadBalancerId.NotFound", "The specified LoadBalancerId does not exist."),
  /** Unconfirmed too: the SLB "busy" family that SDKs retry; never answered by the model, here for injected faults. */
  slbSystemBusy: () => err(503, "SystemBusy", "System is busy, please try again later.", true),

  // --- RAM (the gateway, before the action) ---
  forbiddenRam: () => err(403, "Forbidden.RAM", "User not authorized to operate on the specified resource, or this API doesn't support RAM."),

  // --- tags: TagResources, UntagResources, ListTagResources (they share the table), DescribeInstances filters ---
  tagMissingRegionId: () => err(404, "MissingParameter.RegionId", "The parameter - RegionId should not be null"),
  tagMissingResourceType: () => err(404, "MissingParameter.ResourceType", "The parameter - ResourceType should not be null"),
  tagMissingTags: () => err(404, "MissingParameter.Tags", "The parameter - Tags should not be null"),
  tagResourceTypeNotFound: () => err(404, "InvalidResourceType.NotFound", "The ResourceType provided does not exist in our records."),
  tagResourceIdsExceeded: () => err(400, "NumberExceed.ResourceIds", "The ResourceIds parameter's number is exceed , Valid : 50"),
  tagTagsExceeded: () => err(400, "NumberExceed.Tags", "The Tags parameter's number is exceed , Valid : 20"),
  tagDuplicateKey: () => err(400, "Duplicate.TagKey", "The Tag.N.Key contain duplicate key."),
  tagResourceNotFound: () => err(404, "InvalidResourceId.NotFound", "The specified ResourceIds are not found in our records."),
  tagKeyMalformed: () => err(400, "InvalidTagKey.Malformed", "The specified Tag.n.Key is not valid."),
  tagValueMalformed: () => err(400, "InvalidTagValue.Malformed", "The specified Tag.n.Value is not valid."),
  tagQuotaExceeded: () => err(400, "OperationDenied.QuotaExceed", "The quota of tags on resource is beyond permitted range."),
  /** The API reference gives no message for it; this one is the simulator's. */
  tagValueWithoutKey: () => err(400, "InvalidParameter.TagValue", "The specified Tag.N.Value is given without its Tag.N.Key."),
  tagMismatch: () => err(400, "InvalidTag.Mismatch", "The specified Tag.n.Key and Tag.n.Value are not match."),
  tagCount: () => err(400, "InvalidTagCount", "The specified tags are beyond the permitted range."),
  /** Never answered by the model (no tag policies are simulated); here so an injected fault gets its status and message. */
  tagNoPermission: () => err(403, "NoPermission.Tag", "The operator is not permission for the tag."),
} as const;

/** Gateway codes the simulator never answers by itself but faults may inject. */
const GATEWAY_ONLY: Record<string, number> = { "Throttling.Api": 400, OperationConflict: 409 };

let known: Map<string, SimError> | undefined;

/** The first status and message the simulator itself uses for each code. */
function knownErrors(): Map<string, SimError> {
  if (!known) {
    known = new Map();
    for (const make of Object.values(E)) {
      const e = (make as (...a: string[]) => SimError)("%s");
      if (!known.has(e.code)) known.set(e.code, e);
    }
  }
  return known;
}

/**
 * HTTP status for an error code injected by a fault that does not name one: the status the
 * simulator itself uses for that code, else 500.
 */
export function defaultStatusFor(code: string): number {
  return knownErrors().get(code)?.httpStatus ?? GATEWAY_ONLY[code] ?? 500;
}

/** Default message for an injected error code (the simulator's own when known). */
export function defaultMessageFor(code: string): string {
  return knownErrors().get(code)?.message ?? `Injected fault: ${code}`;
}
