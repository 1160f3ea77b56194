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
