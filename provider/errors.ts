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

  // --- ModifyPrepayInstanceSpec and ModifyInstanceNetworkSpec (subscription orders), codes of their
  // references not listed above; where a code means something else for one of them, ACTION_ERROR_TABLE says so ---
  "InvalidInstanceType.NotSupported": fail(
    "the target type is not supported for this instance (another architecture or family it cannot move to); pick a type DescribeResourcesModification offers",
  ),
  "InvalidBillingMethod.ValueNotSupported": fail(
    "the instance's billing method does not allow this subscription change; check that the instance is a subscription (PrePaid) instance in the console",
  ),
  "InvalidInstanceChargeType.ValueNotSupported": fail(
    "the instance's charge type does not allow this change; a subscription change needs a PrePaid instance (convert it, or change it in the console)",
  ),
  "InvalidInstance.PurchaseNotFound": fail("the instance has no purchase record for a subscription change; change it in the console or contact support"),
  "InvalidInstance.UnpaidOrder": fail(
    "the instance has an unpaid order, which blocks every further change; pay or cancel it in the Billing console (Expenses > Orders), then run again",
  ),
  "InvalidInstance.UnPaidOrder": fail(
    "the instance has an unpaid order, which blocks every further change; pay or cancel it in the Billing console (Expenses > Orders), then run again",
  ),
  "OperationDenied.UnpaidOrder": fail(
    "the instance has an unpaid order, which blocks every further change; pay or cancel it in the Billing console (Expenses > Orders), then run again",
  ),
  OrderCreationFailed: { decision: "retry", hint: "the order could not be created (nothing was ordered); retrying with the same ClientToken" },
  LastOrderProcessing: {
    decision: "retry",
    hint: "the instance's previous order is still being processed (nothing new was ordered); retrying with the same ClientToken",
  },
  LastRequestProcessing: { decision: "retry", hint: "the previous request on the instance is still being processed; retrying with the same ClientToken" },
  TaskConflict: { decision: "retry", hint: "another task on the instance is running; retrying with backoff and the same ClientToken" },
  "InvalidRebootTime.MalFormed": fail(PLANNER_BUG + " (RebootTime; the engine never sends it)"),
  "InvalidRebootTime.ValueNotSupported": fail(PLANNER_BUG + " (RebootTime; the engine never sends it)"),
  "InvalidStatus.NotStopped": fail(
    "the API judged this type change a downgrade, which needs a Stopped instance, although the type catalogue listed it as an upgrade; stop the instance yourself and run again (the change is then made stopped)",
  ),
  "InstanceDowngrade.QuotaExceed": fail(
    "the instance has used its downgrades (refunds; 3 in all, type and bandwidth together): a downgrade now needs support, or keep the current spec and renew with a smaller one at the end of the cycle",
  ),
  "InvalidOperation.VpcHasEnabledAdvancedNetworkFeature": fail("the instance's VPC has an advanced network feature enabled that forbids this change; change it in the console"),
  "InvalidAction.WithActiveElasticUpgrade": fail(
    "a temporary (elastic) upgrade of the instance is still active and blocks further changes; wait until it ends, then run again",
  ),
  "InstanceTypeNotSupported.TooManyDisksAttached": fail("the target type allows fewer disks than the instance has; detach disks or pick a larger type"),
  "QuotaExceed.DiskCapacity": fail("the zone's disk capacity quota is used up for the disk type this change needs; raise the quota or pick another type"),
  "MissingParameter.DiskCategory": fail(PLANNER_BUG + " (Disk.N; the engine never sends it)"),
  "InvalidParameter.DiskCategory": fail(PLANNER_BUG + " (Disk.N.Category; the engine never sends it)"),
  "InvalidPerformanceLevel.Malformed": fail(PLANNER_BUG + " (Disk.N.PerformanceLevel; the engine never sends it)"),
  "InvalidSystemDiskCategory.NotMatchInstanceType": fail("the system disk's category does not fit the target type; pick a type that supports it (see DescribeResourcesModification)"),
  "QuotaExceed.RufundVcpu": fail("the account may not refund more vCPUs (downgrade refunds are capped); keep the type, or ask support"),
  "NoPermission.Price": fail(
    "the RAM user may not see prices, which an order with autoPay: false needs; grant the price permission (bss) or set autoPay: true",
  ),
  "NoPermission.Refund": fail("the RAM user may not receive refunds, which a downgrade order needs; ask the main account for the refund permission"),
  InvalidInstanceStatus: {
    decision: "waitStatus",
    hint: "the instance's status does not accept the change right now; waiting for it to settle, then planning again",
  },
  "InvalidOperation.InstanceRenewWithDowngradeInPlan": fail(
    "a renewal with a downgrade is scheduled for the instance, which blocks upgrades until the next billing cycle; cancel that renewal in the console, or wait for the new cycle",
  ),
  "InvalidOperation.OnlineModificationUnsupported": fail(
    "the instance's CPU topology does not allow changing the type while it runs; stop it yourself, then run again (the upgrade is then made on the stopped instance)",
  ),
  "InvalidUser.PassRoleForbidden": fail("the RAM user may not pass the instance's RAM role; grant ram:PassRole for it"),
  "InvalidParameter.InstanceId": fail("the instance ID was refused for this change; check instanceId"),
  "InvalidOperation.StarterPackage": fail("starter-package instances cannot change their spec; change it in the console (or buy a regular instance)"),
  "InvalidInstance.PreInstanceExpired": fail("the subscription has expired; renew the instance (console or RenewInstance), then run again"),
  "OperationDenied.ImageNotValid": fail("the instance's image is not authorized for this change; change the image or contact its vendor"),
  "OperationDenied.LocalDiskUnsupported": fail("instances with local disks cannot change their type; move the workload to an instance with cloud disks"),
  "InvalidOperation.EniCountExceeded": fail("the target type allows fewer network interfaces than the instance has; detach ENIs or pick a larger type"),
  "InvalidOperation.Ipv4NotSupport": fail("the target type does not support the instance's IPv4 setup; pick another type"),
  "InvalidInstance.NotFoundSystemDisk": fail("the instance has no system disk attached; attach it, then run again"),
  "InvalidInstanceType.NotSupportDiskCategory": fail("the target type does not support the category of the instance's disks; pick another type or change the disks"),
  "QuotaExceed.ElasticQuota": fail("no quota left for this instance type (instances or vCPUs in the zone); raise the quota in the console or pick another type"),
  "InvalidResourceType.NotSupported": fail("the target type is not supported here; pick a type DescribeResourcesModification offers"),
  "InvalidOperation.MaxEniQueueNumberExceeded": fail("the target type allows fewer ENI queues than the instance uses; pick a larger type"),
  "InvalidOperation.ExceedInstanceTypeQueueNumber": fail("the target type allows fewer ENI queues than the instance uses; pick a larger type"),
  "InvalidParameter.InvalidEniQueueNumber": fail("the instance's ENI queue number does not fit the target type; pick a larger type"),
  "HibernationConfigured.InstanceOperationForbidden": fail("instances configured for hibernation cannot change their type; change it in the console"),
  "InvalidOperation.MaxModifyOnlineNumberExceeded": fail(
    "the instance was changed online too often and must be restarted first; restart it (RebootInstance or the console), then run again",
  ),
  "InvalidOperation.RebootingRequired": fail("the instance must be restarted first; restart it (RebootInstance or the console), then run again"),
  "InvalidOperation.OSTypeNotSupported": fail("the instance's operating system does not support the target type; pick another type"),
  "InvalidDisk.DetachedSystemDisk": fail("the instance's system disk is detached; attach it, then run again"),
  "InvalidDataDiskCategory.ValueNotSupported": fail("a data disk's category does not fit the target type; pick another type or change the disk"),
  BillingMethodNotFound: fail("the account has not chosen a billing method; set one up in the Billing console"),
  ImageOrderFailed: fail("the marketplace image's order failed; check the image's subscription with its vendor, then run again"),
  "Image.OrderFailed": fail("the marketplace image's order failed; check the image's subscription with its vendor, then run again"),
  "InvalidInternetMaxBandwidthIn.ValueNotSupported": fail("internetMaxBandwidthIn is out of the range the instance allows (1–200, at most its outbound bandwidth when that is above 10)"),
  "InvalidInternetMaxBandwidthOut.ValueNotSupported": fail("internetMaxBandwidthOut is out of the range the instance allows (0–100; its type's network bandwidth caps it too)"),
  "InvalidStartTime.ValueNotSupported": fail("temporaryBandwidth.startTime was refused: it must be on a whole minute and not in the past"),
  "InvalidEndTime.ValueNotSupported": fail("temporaryBandwidth.endTime was refused: it must be on the hour and at least 3 hours after the start"),
  "InvalidStartTime.BeyondLifeCycle": fail("temporaryBandwidth starts after the subscription ends; move the window, or renew the instance first"),
  "InvalidEndTime.BeyondLifeCycle": fail("temporaryBandwidth ends after the subscription ends; end it by the instance's ExpiredTime, or renew the instance first"),
  DecreasedBandwidthNotAllowed: fail("the bandwidth cannot be lowered for this instance now (see the message); keep it, or lower it at renewal"),
  IpAllocationError: fail("a public IP could not be allocated for the new bandwidth; try again later or contact support"),
  "InvalidParam.AllocatePublicIp": fail(PLANNER_BUG + " (AllocatePublicIp; the engine never sends it)"),
  "InvalidBandwidth.ValueNotSupported": fail(
    "a temporary window's bandwidth may not be below the current outbound bandwidth; raise temporaryBandwidth.internetMaxBandwidthOut",
  ),
  "InvalidPayMethod.SyncPaymentNotSupport": fail("the account's payment method cannot pay orders at once; set a default payment method, or set autoPay: false and pay in the console"),
  "InvalidBandwidthOut.LessThanZero": fail(PLANNER_BUG + " (ISP; the engine never sends it)"),
  "InvalidParameter.BandwidthBiggerThanBaseBandwidth": fail("the bandwidth is above what the instance type allows; lower it or pick a larger type"),
  "InvalidParameter.CloudboxNotSupported": fail("CloudBox instances do not support this change"),
  "InvalidParameter.DedicatedRegionNotSupported": fail("instances in a dedicated region have no public IP; remove the bandwidth fields"),
  "InvalidOperation.InstanceStatusUnsupported": {
    decision: "waitStatus",
    hint: "the instance must be Running or Stopped for a bandwidth change; waiting for it to settle, then planning again",
  },
  "QuotaExceeded.InternetBandwidth": fail("the region's public bandwidth quota is used up; raise it in the console or lower the bandwidth"),
  UnsupportedIspNetworkChargeType: fail(PLANNER_BUG + " (ISP; the engine never sends it)"),
  InstanceExpiredOrInArrears: fail(
    "the subscription has expired or the account is in arrears; renew the instance or settle the overdue payment, then run again",
  ),
  "InvalidInstance.InstanceNotSupported": fail(
    "the instance has an EIP bound, so its public bandwidth is the EIP's; change the EIP's bandwidth instead, or unbind it",
  ),
  NAT_PUBLIC_IP_BINDING_FAILED: fail("binding the NAT public IP failed; try again later or contact support"),
  "InvalidInstance.NatPortMapNotSupport": fail("instances with a NAT port mapping do not support this change; remove the mapping first"),
  "Mayi.InternalError": { decision: "verifyThenRetry", hint: "server-side error; re-reading the instance, then retrying with the same ClientToken" },
  "InvalidNetworkType.ValueNotSupported": fail("the instance's network type does not allow this change (classic network?); change it in the console"),
  "InvalidIspType.ValueNotSupported": fail(PLANNER_BUG + " (ISP; the engine never sends it)"),
  UnsupportedIspChargeType: fail(PLANNER_BUG + " (ISP; the engine never sends it)"),
  UnsupportedIspClassicNetwork: fail(PLANNER_BUG + " (ISP; the engine never sends it)"),
  InvalidIspBandwidthOut: fail(PLANNER_BUG + " (ISP; the engine never sends it)"),
  UnsupportedChangeIsp: fail(PLANNER_BUG + " (ISP; the engine never sends it)"),
  InvalidIspUID: fail(PLANNER_BUG + " (ISP; the engine never sends it)"),
  UnsupportedIspRegion: fail(PLANNER_BUG + " (ISP; the engine never sends it)"),
  BandIncreaseNotSupportIsp: fail(PLANNER_BUG + " (ISP; the engine never sends it)"),
  "InvalidOperation.PublicIpAddressNoStock": fail("no public IP addresses are left in the region for this charge type; try later or another charge type"),

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
  Forbidden: fail("the credentials are not allowed to make this call; grant the RAM policy (ecs:DescribeInstances, ecs:ModifyInstanceSpec, ecs:StopInstance, ecs:StartInstance, ecs:DescribeResourcesModification, ecs:DescribeDisks, ecs:TagResources and ecs:UntagResources; slb:DescribeHealthStatus for a CLB health check; ecs:ModifyPrepayInstanceSpec and ecs:ModifyInstanceNetworkSpec for subscription instances)"),
  "Forbidden.RAM": fail("the RAM user is not allowed to make this call; grant ecs:DescribeInstances, ecs:ModifyInstanceSpec, ecs:StopInstance, ecs:StartInstance, ecs:DescribeResourcesModification, ecs:DescribeDisks, ecs:TagResources and ecs:UntagResources (and slb:DescribeHealthStatus for a CLB health check; ecs:ModifyPrepayInstanceSpec and ecs:ModifyInstanceNetworkSpec for subscription instances)"),
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
 * Codes that mean something else for one action than {@link ERROR_TABLE} says: looked up first, by
 * the action that answered them. Only the subscription calls need it (the same generic code,
 * `OperationDenied` say, names another refusal there).
 */
export const ACTION_ERROR_TABLE: Readonly<Record<string, Readonly<Record<string, ErrorRule>>>> = Object.freeze({
  ModifyPrepayInstanceSpec: Object.freeze({
    OperationDenied: fail("the account or the instance may not make this subscription change (see the message); change it in the console or contact support"),
    InvalidAction: fail("the subscription change was refused as an invalid action (see the message: often a pending change or a temporary upgrade); resolve it in the console, then run again"),
    InvalidParameter: fail("a parameter was refused (see the message; e.g. the instance already has the type, or the OperatorType does not match); adjust the desired spec"),
    "InvalidInstanceId.NotFound": fail("no such instance: check instanceId and regionId"),
  }),
  ModifyInstanceNetworkSpec: Object.freeze({
    OperationDenied: fail(
      "the bandwidth change was denied (see the message): after a bandwidth downgrade a subscription instance's bandwidth cannot change again until the next billing cycle, " +
        "and some accounts or VPC instances may not change it at all; keep the bandwidth, or change it after renewal",
    ),
    InvalidAction: fail(PLANNER_BUG + " (ModifyInstanceNetworkSpec refused the action; is the endpoint an ECS endpoint?)"),
    "InvalidParameter.Conflict": fail(PLANNER_BUG + " (ModifyInstanceNetworkSpec parameters conflict: see the message)"),
    ChargeTypeViolation: fail("the instance's billing method does not allow this bandwidth change; check its charge types in the console"),
    "InvalidInstanceStatus.NotStopped": fail(
      "this bandwidth change needs a Stopped instance (a classic-network instance raised from 0 Mbit/s); stop it yourself, then run again",
    ),
  }),
});

/**
 * The rule for a code answered by `action`. Codes in neither table are decided by HTTP status: 5xx
 * (or no status) may have been applied, so verify then retry; a 4xx is the caller's problem, so fail.
 */
export function decide(code: string, httpStatus?: number, action?: string): ErrorRule {
  const rule = (action !== undefined ? ACTION_ERROR_TABLE[action]?.[code] : undefined) ?? ERROR_TABLE[code];
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
    const rule = decide(fields.code, fields.httpStatus, fields.action);
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
