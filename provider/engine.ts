/**
 * The resize engine's public API: schema, planner, executor, client and error table.
 * No Pulumi types here; the Pulumi provider is a thin adapter over these.
 */
export {
  DesiredSpecSchema,
  TemporaryBandwidthSchema,
  parseDesiredSpec,
  temporaryIsUpgrade,
  DEFAULT_COOLDOWN_SECONDS,
  DEFAULT_TIMEOUT_SECONDS,
  type DesiredSpec,
  type DesiredSpecInput,
  type TemporaryBandwidth,
  type SpecFailure,
  type ParseResult,
} from "./schema";
export {
  plan,
  wantedInstanceType,
  clientTokenFor,
  sameTemporary,
  temporaryActive,
  DEFAULT_ESTIMATES,
  type Plan,
  type PlanContext,
  type Estimates,
  type Step,
  type ModifyStep,
  type WaitStatusStep,
  type WaitCooldownStep,
  type StopStep,
  type StartStep,
  type ModifyTypeStep,
  type ModifyBandwidthStep,
  type ModifyTemporaryBandwidthStep,
  type Change,
  type Refusal,
  type RefusalCode,
  stepRefusals,
} from "./plan";
export { atSendTime, requestRefusals, windowRefusals, isoSeconds, MAX_WINDOW_AHEAD_DAYS } from "./rules";
export {
  apply,
  readWithRetry,
  classify,
  retryDelayMs,
  ApplyError,
  DEFAULT_TIMING,
  RETRY_POLICIES,
  type ApplyOptions,
  type ApplyResult,
  type ApplyTiming,
  type ApplyErrorCode,
  type ApplyHooks,
  type AppliedStep,
  type ObservedDurations,
  type PartialResult,
  type ProgressEvent,
  type RetryAction,
  type RetryPolicy,
  type PolicyName,
} from "./executor";
export { describePlan, describeStep, formatDuration } from "./describe";
export { typeCatalogueFor } from "./facts";
export {
  createEcsClient,
  checkEndpoint,
  EndpointError,
  ECS_API_VERSION,
  type EcsApi,
  type EcsClientOptions,
  type EcsCredentials,
  type ModifyRequest,
  type WireParams,
  type AvailableTypesOptions,
  type CallResult,
} from "./client";
export { EcsApiError, isEcsApiError, isRetryableDecision, decide, ERROR_TABLE, ACTION_ERROR_TABLE, TRANSPORT_CODES, type Decision, type ErrorRule } from "./errors";
export { realClock, type Clock } from "./clock";
export type { InstanceSnapshot, InstanceStatus } from "./model";
