/**
 * Every error code of the ModifyInstanceSpec API reference's error table (summarized in
 * `docs/ecs-api.md#error-codes-and-what-the-engine-does`), once, for the tests that must cover all of them.
 */
export const MODIFY_INSTANCE_SPEC_CODES: readonly string[] = [
  "InvalidInternetChargeType.ValueNotSupported", "InvalidInstanceType.ValueUnauthorized", "InvalidInstanceId.NotFound",
  "InvalidInstanceType.ValueNotSupported", "InvalidParameter", "InvalidParameter.Mismatch", "CategoryViolation",
  "InvalidStatus.ValueNotSupported", "InstanceLockedForSecurity", "InternalError", "InvalidAccountStatus.NotEnoughBalance",
  "ChargeTypeViolation", "OperationDenied", "BandwidthUpgradeDenied.EipBoundInstance", "MissingTemporary.StartTime",
  "MissingTemporary.EndTime", "InvalidTemporary.StartTime", "InvalidTemporary.EndTime", "LastTokenProcessing",
  "Downgrade.NotSupported", "InstanceSpecModification.NotEffective", "DependencyViolation.InstanceType",
  "ImageNotSupportInstanceType", "Account.Arrearage", "InvalidParameter.Bandwidth", "InvalidParameter.Conflict",
  "InvalidParameter.AllowMigrateAcrossZone", "InvalidParam.SystemDiskCategory", "Throttling", "InvalidInstanceStatus.NotStopped",
  "InstanceType.Offline", "InvalidAction", "IdempotenceParamNotMatch", "InvalidClientToken.ValueNotSupported",
  "Price.PricePlanResultNotFound", "InvalidParameter.NotMatch", "InvalidInstance.EipNotSupport", "InvalidAction.NotSupport",
  "InvalidMarketImageStatus.NotSupported", "OperationDenied.NoStock", "InvalidOperation.Ipv4CountExceeded",
  "InvalidOperation.Ipv6CountExceeded", "InvalidOperation.Ipv6NotSupport", "InvalidOperation.InstanceWithEipNotSupport",
  "SecurityRisk.3DVerification", "InvalidInstanceChargeType.NotFound",
];

/** Every error code of the ModifyPrepayInstanceSpec reference's error table (docs/ecs-api.md lists the decisions). */
export const MODIFY_PREPAY_INSTANCE_SPEC_CODES: readonly string[] = [
  "InvalidInstanceType.ValueUnauthorized", "InvalidInstanceType.ValueNotSupported", "InvalidInstanceType.NotSupported",
  "InvalidBillingMethod.ValueNotSupported", "InvalidInstanceChargeType.ValueNotSupported", "InvalidInstance.PurchaseNotFound",
  "InvalidInstance.UnpaidOrder", "OrderCreationFailed", "Throttling", "Account.Arrearage", "InvalidInstanceId.NotFound",
  "InvalidRebootTime.MalFormed", "InvalidRebootTime.ValueNotSupported", "IdempotenceParamNotMatch", "InvalidStatus.NotStopped",
  "InvalidAction", "InstanceDowngrade.QuotaExceed", "InvalidParameter", "OperationDenied", "LastOrderProcessing",
  "InvalidOperation.VpcHasEnabledAdvancedNetworkFeature", "InvalidAction.WithActiveElasticUpgrade",
  "InstanceTypeNotSupported.TooManyDisksAttached", "QuotaExceed.DiskCapacity", "MissingParameter.DiskCategory",
  "InvalidParameter.DiskCategory", "InvalidPerformanceLevel.Malformed", "InvalidSystemDiskCategory.NotMatchInstanceType",
  "QuotaExceed.RufundVcpu", "NoPermission.Price", "NoPermission.Refund", "InvalidInstanceStatus",
  "InvalidOperation.InstanceRenewWithDowngradeInPlan", "InvalidOperation.OnlineModificationUnsupported",
  "OperationDenied.NoStock", "InvalidUser.PassRoleForbidden", "ImageNotSupportInstanceType", "InstanceType.Offline",
  "IncorrectInstanceStatus", "InvalidParameter.InstanceId", "InvalidOperation.StarterPackage",
  "InvalidInstance.PreInstanceExpired", "InvalidInstance.EipNotSupport", "OperationDenied.ImageNotValid",
  "OperationDenied.LocalDiskUnsupported", "InvalidOperation.EniCountExceeded", "InvalidOperation.Ipv4CountExceeded",
  "InvalidOperation.Ipv6CountExceeded", "InvalidOperation.Ipv6NotSupport", "InvalidOperation.Ipv4NotSupport",
  "InvalidInstance.NotFoundSystemDisk", "InvalidInstanceType.NotSupportDiskCategory", "QuotaExceed.ElasticQuota",
  "InvalidResourceType.NotSupported", "InvalidOperation.MaxEniQueueNumberExceeded",
  "InvalidOperation.ExceedInstanceTypeQueueNumber", "InvalidParameter.InvalidEniQueueNumber",
  "HibernationConfigured.InstanceOperationForbidden", "InvalidOperation.MaxModifyOnlineNumberExceeded",
  "InvalidOperation.RebootingRequired", "InvalidOperation.OSTypeNotSupported", "OperationDenied.UnpaidOrder",
  "InvalidDisk.DetachedSystemDisk", "InvalidDataDiskCategory.ValueNotSupported", "InvalidRegionId.NotFound",
  "BillingMethodNotFound", "InternalError", "ImageOrderFailed",
];

/** Every error code of the ModifyInstanceNetworkSpec reference's error table (docs/ecs-api.md lists the decisions). */
export const MODIFY_INSTANCE_NETWORK_SPEC_CODES: readonly string[] = [
  "InvalidInternetMaxBandwidthIn.ValueNotSupported", "InvalidInternetMaxBandwidthOut.ValueNotSupported", "OperationDenied",
  "InvalidParameter.Conflict", "InvalidStartTime.ValueNotSupported", "InvalidEndTime.ValueNotSupported", "ChargeTypeViolation",
  "Account.Arrearage", "InvalidInternetChargeType.ValueNotSupported", "DecreasedBandwidthNotAllowed",
  "BandwidthUpgradeDenied.EipBoundInstance", "InvalidClientToken.ValueNotSupported", "Throttling",
  "InvalidInstanceStatus.NotStopped", "InvalidAction", "IpAllocationError", "InvalidParam.AllocatePublicIp",
  "InstanceDowngrade.QuotaExceed", "InvalidBandwidth.ValueNotSupported", "InvalidInstanceStatus",
  "InvalidInstance.UnPaidOrder", "LastOrderProcessing", "LastRequestProcessing", "InvalidStartTime.BeyondLifeCycle",
  "InvalidEndTime.BeyondLifeCycle", "InvalidPayMethod.SyncPaymentNotSupport", "InvalidBandwidthOut.LessThanZero",
  "InvalidParameter.BandwidthBiggerThanBaseBandwidth", "InvalidAction.WithActiveElasticUpgrade",
  "InvalidParameter.CloudboxNotSupported", "InvalidParameter.Bandwidth", "NoPermission.Price", "NoPermission.Refund",
  "InvalidParameter.DedicatedRegionNotSupported", "InvalidOperation.InstanceStatusUnsupported",
  "QuotaExceeded.InternetBandwidth", "UnsupportedIspNetworkChargeType", "IncorrectInstanceStatus", "TaskConflict",
  "InstanceLockedForSecurity", "InstanceExpiredOrInArrears", "InvalidAccountStatus.NotEnoughBalance",
  "InvalidInstance.InstanceNotSupported", "InvalidOperation.StarterPackage", "NAT_PUBLIC_IP_BINDING_FAILED",
  "InvalidInstance.EipNotSupport", "InvalidInstance.NatPortMapNotSupport", "OperationDenied.UnpaidOrder", "Mayi.InternalError",
  "InvalidNetworkType.ValueNotSupported", "OperationDenied.ImageNotValid", "InvalidInstanceChargeType.ValueNotSupported",
  "InvalidIspType.ValueNotSupported", "UnsupportedIspChargeType", "UnsupportedIspClassicNetwork", "InvalidIspBandwidthOut",
  "UnsupportedChangeIsp", "InvalidIspUID", "UnsupportedIspRegion", "BandIncreaseNotSupportIsp", "SecurityRisk.3DVerification",
  "InvalidOperation.PublicIpAddressNoStock", "InvalidInstanceId.NotFound", "InternalError", "Image.OrderFailed",
];
