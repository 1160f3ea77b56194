/**
 * What the executor takes and gives back: options, results, progress events and its error.
 */
import type { Clock } from "../clock";
import type { EcsApi } from "../client";
import type { InstanceSnapshot } from "../model";
import type { Plan, Refusal, Step } from "../plan";
import type { DesiredSpec, TemporaryBandwidth } from "../schema";
import type { PolicyName, RetryPolicy } from "./policies";
import type { ApplyTiming, ObservedDurations } from "./timing";

/** What the executor reports while it works. Every event has a human `message`. */
export type ProgressEvent =
  | { readonly type: "plan"; readonly lines: readonly string[]; readonly message: string }
  | { readonly type: "step"; readonly index: number; readonly total: number; readonly step: Step; readonly message: string }
  | { readonly type: "waitingForCooldown"; readonly remainingSeconds: number; readonly message: string }
  | { readonly type: "waitingForStatus"; readonly current: string; readonly target: string; readonly message: string }
  | {
      readonly type: "retrying";
      readonly action: string;
      readonly code: string;
      readonly attempt: number;
      readonly delaySeconds: number;
      readonly message: string;
    }
  | { readonly type: "replanning"; readonly reason: string; readonly message: string }
  | { readonly type: "restarting"; readonly message: string }
  | { readonly type: "marker"; readonly action: "placed" | "removed" | "refused"; readonly message: string };

/** One step as it ran. */
export interface AppliedStep {
  /** Position in its plan, 1-based. */
  readonly index: number;
  readonly kind: Step["kind"];
  /** The API action, for calls. */
  readonly action?: "ModifyInstanceSpec" | "ModifyPrepayInstanceSpec" | "ModifyInstanceNetworkSpec" | "StopInstance" | "StartInstance";
  /** The order a subscription change created (ModifyPrepayInstanceSpec, ModifyInstanceNetworkSpec). */
  readonly orderId?: string;
  /** The call's wire parameters as the client sent them (no credentials), for calls. */
  readonly params?: Readonly<Record<string, string>>;
  /** The API's RequestId of the successful attempt (absent when the change was found already applied). */
  readonly requestId?: string;
  readonly clientToken?: string;
  /** ISO 8601. */
  readonly startedAt: string;
  /** ISO 8601. */
  readonly finishedAt: string;
  /** Calls made (0 for waits and skipped steps). */
  readonly attempts: number;
  /** `done`; `alreadyApplied` (an answer was lost but the change shows); `skipped` (nothing to do by then). */
  readonly outcome: "done" | "alreadyApplied" | "skipped";
}

/** Options of {@link apply}. */
export interface ApplyOptions {
  /** The ECS client (the executor's only I/O). */
  readonly api: EcsApi;
  /** The validated desired spec. */
  readonly desired: DesiredSpec;
  /** End of the last successful spec change (from the resource's state), for the cooldown. */
  readonly lastChangeAt?: Date | string;
  /** The temporary window applied by an earlier run (DescribeInstances does not show windows). */
  readonly appliedTemporaryBandwidth?: TemporaryBandwidth;
  /** A type change an earlier run made on a Stopped instance (shows only after the next start). */
  readonly pendingInstanceType?: string;
  /** An earlier, interrupted run left the instance Stopped (`ApplyError.partial.stoppedByEngine`): start it. */
  readonly startWhenDone?: boolean;
  /** Stop/start durations seen on this instance by earlier runs: the status polls aim at them. */
  readonly observed?: ObservedDurations;
  /**
   * The caller itself remembers that the instance should run (a Pulumi update whose state records
   * it running): when tagging the instance with the restore marker is refused, the plan may still
   * stop it. Without this (a first `pulumi up`), a refused marker refuses the plan before anything
   * is touched: nothing else could finish the job after an interruption.
   */
  readonly markerFallback?: boolean;
  /** Default: the real clock. */
  readonly clock?: Clock;
  /** Jitter source in [0, 1); default `Math.random`. */
  readonly random?: () => number;
  readonly onProgress?: (e: ProgressEvent) => void;
  /** Stops the run; an instance the run stopped is started again before `apply` rejects. */
  readonly signal?: AbortSignal;
  readonly timing?: Partial<ApplyTiming>;
  readonly policies?: Partial<Record<PolicyName, RetryPolicy>>;
  /** Points where a caller coordinating several instances (a rolling resize) joins in. */
  readonly hooks?: ApplyHooks;
}

/**
 * Hooks of a caller that coordinates several applies (`InstanceSpecFleet`'s rollout): the one
 * executor runs every instance, and the caller decides when each may go down.
 */
export interface ApplyHooks {
  /**
   * Awaited right before a step that takes the instance down, so the caller can hold it until a
   * slot is free: a StopInstance, or the `ModifyPrepayInstanceSpec` of a subscription upgrade of a
   * running instance (`RebootWhenFinished`: ECS restarts it once the order settles, with no
   * StopInstance). Rejecting fails the apply before that call: nothing more is touched.
   */
  readonly beforeStop?: () => Promise<void>;
  /**
   * Called once the instance is Running again: after a StartInstance step of the plan, or after
   * the ECS restart of such an upgrade, once it shows the new type.
   */
  readonly afterStart?: () => void;
}

/** What a successful apply did. */
export interface ApplyResult {
  readonly before: InstanceSnapshot;
  readonly after: InstanceSnapshot;
  /** The first plan (what preview showed, if nothing changed in between). */
  readonly plan: Plan;
  readonly steps: readonly AppliedStep[];
  /** ISO 8601 end of the last successful spec change (this run's or the one passed in). */
  readonly lastChangeAt?: string;
  /** The temporary window now applied. */
  readonly appliedTemporaryBandwidth?: TemporaryBandwidth;
  /** A type change made on a Stopped instance that shows after its next start. */
  readonly pendingInstanceType?: string;
  /** Stop/start durations observed on the instance (this run's, else the ones passed in). */
  readonly observed?: ObservedDurations;
}

/** Why an apply failed. */
export type ApplyErrorCode = "Refused" | "NotFound" | "ApiError" | "Timeout" | "Aborted" | "NotConverged" | "ChangeNotVisible" | "OrderUnpaid";

/** What had happened when an apply failed: enough for the caller to record the real state. */
export interface PartialResult {
  readonly after?: InstanceSnapshot;
  readonly steps: readonly AppliedStep[];
  readonly lastChangeAt?: string;
  readonly appliedTemporaryBandwidth?: TemporaryBandwidth;
  readonly pendingInstanceType?: string;
  readonly observed?: ObservedDurations;
  /** The instance is left Stopped by this engine (restart failed): pass `startWhenDone: true` next time. */
  readonly stoppedByEngine: boolean;
}

/** An apply that did not finish. */
export class ApplyError extends Error {
  override readonly name = "ApplyError";
  readonly code: ApplyErrorCode;
  /** For `Refused`: the refusals (nothing was touched). */
  readonly refusals?: readonly Refusal[];
  /** True when the instance had been stopped by this run and was started again before reporting. */
  readonly restarted: boolean;
  readonly partial: PartialResult;
  override readonly cause?: unknown;

  constructor(f: {
    code: ApplyErrorCode;
    message: string;
    partial: PartialResult;
    restarted?: boolean;
    refusals?: readonly Refusal[];
    cause?: unknown;
  }) {
    super(f.message);
    this.code = f.code;
    this.partial = f.partial;
    this.restarted = f.restarted ?? false;
    if (f.refusals) this.refusals = f.refusals;
    if (f.cause !== undefined) this.cause = f.cause;
  }
}

/** Internal: the plan no longer matches the instance; re-read and plan again. */
export class Replan extends Error {
  constructor(
    readonly reason: string,
    override readonly cause?: unknown,
    /**
     * Start the instance again before planning (it is down for a change that must wait for a
     * cooldown of unknown start), and plan as if a change was made at this time (ms): that
     * cooldown ends by then plus one cooldown at the latest.
     */
    readonly restartAfterChangeAtMs?: number,
  ) {
    super(reason);
  }
}

/** Internal: a failure that is the engine's own (a deadline, a change that never shows), not an API error. */
export class EngineFailure extends Error {
  constructor(
    readonly code: ApplyErrorCode,
    message: string,
  ) {
    super(message);
  }
}
