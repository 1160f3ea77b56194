/**
 * The executor: the only effectful runner of plans. `apply` sequences the steps; the step runners,
 * waits, retry wrapper and policies live beside it, one rule each.
 */
export { apply } from "./apply";
export { readWithRetry } from "./retry";
export { classify, retryDelayMs, RETRY_POLICIES, type PolicyName, type RetryAction, type RetryPolicy } from "./policies";
export { DEFAULT_TIMING, type ApplyTiming, type ObservedDurations } from "./timing";
export {
  ApplyError,
  type ApplyErrorCode,
  type ApplyHooks,
  type ApplyOptions,
  type ApplyResult,
  type AppliedStep,
  type PartialResult,
  type ProgressEvent,
} from "./types";
