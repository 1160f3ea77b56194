/**
 * The planner's output as data: the steps of a plan, refusals, and the plan itself. Types only, so
 * the planner and the request rules (rules.ts) can share them without importing each other.
 */
import type { InstanceStatus } from "./model";

/** Wait until the instance leaves a transitional status. */
export interface WaitStatusStep {
  readonly kind: "waitStatus";
  readonly from: InstanceStatus;
  readonly until: "Running" | "Stopped";
  readonly expectedSeconds: number;
}
/**
 * Wait for the cooldown of the last spec change, until `leadSeconds` before its end (a stop that
 * follows overlaps the cooldown's tail, so the instance is never stopped while waiting).
 * The executor computes the real wait from the real last change time; `expectedSeconds` is the plan's estimate.
 */
export interface WaitCooldownStep {
  readonly kind: "waitCooldown";
  readonly leadSeconds: number;
  readonly expectedSeconds: number;
}
/** StopInstance, then wait until Stopped. */
export interface StopStep {
  readonly kind: "stop";
  readonly stoppedMode: "KeepCharging" | "StopCharging";
  readonly expectedSeconds: number;
}
/** StartInstance, then wait until Running. */
export interface StartStep {
  readonly kind: "start";
  readonly expectedSeconds: number;
}
export interface ModifyBase {
  /** Deterministic idempotency token (≤ 64 ASCII chars), the same for every attempt of this step. */
  readonly clientToken: string;
  /** The instance's status during the call. */
  readonly whileStatus: "Running" | "Stopped";
  readonly expectedSeconds: number;
}
/** ModifyInstanceSpec with InstanceType (+ SystemDisk.Category, AllowMigrateAcrossZone). Needs a Stopped instance. */
export interface ModifyTypeStep extends ModifyBase {
  readonly kind: "modifyType";
  readonly from: string;
  readonly instanceType: string;
  readonly systemDiskCategory?: "cloud_efficiency" | "cloud_ssd";
  readonly allowMigrateAcrossZone?: boolean;
}
/** A bandwidth value before and after. */
export interface Change {
  readonly from: number;
  readonly to: number;
}
/** ModifyInstanceSpec with InternetMaxBandwidthOut and/or InternetMaxBandwidthIn (one item: public bandwidth). */
export interface ModifyBandwidthStep extends ModifyBase {
  readonly kind: "modifyBandwidth";
  readonly out?: Change;
  readonly in?: Change;
}
/**
 * ModifyInstanceSpec with Temporary.StartTime/EndTime/InternetMaxBandwidthOut. A window that has
 * begun by the time the call is sent starts then, to its end (see `atSendTime` in rules.ts).
 */
export interface ModifyTemporaryBandwidthStep extends ModifyBase {
  readonly kind: "modifyTemporaryBandwidth";
  /** The desired start. */
  readonly startTime: string;
  readonly endTime: string;
  readonly out: number;
  /** The window had begun when the plan was made: the call starts it when it is sent. */
  readonly begun?: true;
}
/** What a subscription change costs: an order paid (an upgrade) or refunded (a downgrade). */
export interface OrderTerms {
  /** `upgrade` creates an order to pay; `downgrade` refunds the difference and counts against the downgrade quota. */
  readonly direction: "upgrade" | "downgrade";
  /** `AutoPay`: an upgrade's order is paid from the account's balance at once; false leaves it unpaid (the change waits for the payment). Ignored by the API for a downgrade. */
  readonly autoPay: boolean;
}
/**
 * ModifyPrepayInstanceSpec: the type of a subscription (PrePaid) instance, with `OperatorType`,
 * `AutoPay` and always `RebootWhenFinished=true` (a Stopped instance stays Stopped whatever the
 * flag says, so the request is the same whatever the status, and its ClientToken survives a re-plan).
 * Asynchronous: it creates an order, and the type shows after the ECS restart the flag asks for (a
 * Running instance), or after the next start (a Stopped one).
 */
export interface ModifyPrepayTypeStep extends ModifyBase, OrderTerms {
  readonly kind: "modifyPrepayType";
  readonly from: string;
  readonly instanceType: string;
  /** The API judges the direction itself when the catalogue could not tell it: `OperatorType` is then not sent. */
  readonly operatorTypeKnown: boolean;
  /** The instance is Running during the call: ECS restarts it once the order settles (the plan's only downtime). */
  readonly restarts: boolean;
  /** `SystemDisk.Category` (only for a move from a retired non-I/O-optimized type). */
  readonly systemDiskCategory?: "cloud_efficiency" | "cloud_ssd";
  /** `MigrateAcrossZone`: allow a move to another zone (cluster) of the region. */
  readonly allowMigrateAcrossZone?: boolean;
}
/** ModifyInstanceNetworkSpec with InternetMaxBandwidthOut and/or InternetMaxBandwidthIn: the bandwidth of a subscription instance. Creates an order. */
export interface ModifyNetworkSpecStep extends ModifyBase, OrderTerms {
  readonly kind: "modifyNetworkSpec";
  readonly out?: Change;
  readonly in?: Change;
}
/**
 * ModifyInstanceNetworkSpec with StartTime (to the minute), EndTime (to the hour) and
 * InternetMaxBandwidthOut: a temporary upgrade of a subscription instance. Creates an order (an upgrade).
 */
export interface ModifyNetworkTemporaryStep extends ModifyBase, OrderTerms {
  readonly kind: "modifyNetworkTemporary";
  /** The desired start, `yyyy-MM-ddTHH:mm:ssZ` with zero seconds. */
  readonly startTime: string;
  /** The desired end, on the hour. */
  readonly endTime: string;
  readonly out: number;
  /** The window had begun when the plan was made: it starts at the next whole minute after the call is sent. */
  readonly begun?: true;
}
/** A change of a subscription instance: it creates an order. */
export type OrderStep = ModifyPrepayTypeStep | ModifyNetworkSpecStep | ModifyNetworkTemporaryStep;
/** A spec change step. */
export type ModifyStep = ModifyTypeStep | ModifyBandwidthStep | ModifyTemporaryBandwidthStep | OrderStep;
/** True for a step that creates an order. */
export function isOrderStep(s: Step): s is OrderStep {
  return s.kind === "modifyPrepayType" || s.kind === "modifyNetworkSpec" || s.kind === "modifyNetworkTemporary";
}
/** True for a spec change step (every kind that calls an API to change the instance). */
export function isModifyStep(s: Step): s is ModifyStep {
  return s.kind !== "waitStatus" && s.kind !== "waitCooldown" && s.kind !== "stop" && s.kind !== "start";
}
/** The API a spec change step calls. */
export function actionOf(s: ModifyStep): "ModifyInstanceSpec" | "ModifyPrepayInstanceSpec" | "ModifyInstanceNetworkSpec" {
  return s.kind === "modifyPrepayType" ? "ModifyPrepayInstanceSpec" : s.kind === "modifyNetworkSpec" || s.kind === "modifyNetworkTemporary" ? "ModifyInstanceNetworkSpec" : "ModifyInstanceSpec";
}
/** One step of a plan, discriminated by `kind`. */
export type Step = WaitStatusStep | WaitCooldownStep | StopStep | StartStep | ModifyStep;

/** Why a plan was refused. */
export type RefusalCode =
  | "Expired"
  | "AutoPayUndecided"
  | "DowngradeFreezesBandwidth"
  | "TemporaryWindowPrecision"
  | "TemporaryWindowTooShort"
  | "TemporaryWindowBeyondExpiry"
  | "EipBound"
  | "LocalDisks"
  | "DedicatedHost"
  | "SecurityLock"
  | "Locked"
  | "TypeNotOffered"
  | "StopNotAllowed"
  | "NotSettled"
  | "RegionMismatch"
  | "TemporaryWindowPast"
  | "TemporaryWindowTooFar"
  | "TemporaryWindowEndsFirst"
  | "TemporaryNotUpgrade"
  | "InvalidRequest"
  | "DryRunRefused"
  | "MarkerRefused";

/** A change that cannot work, found before anything is touched. */
export interface Refusal {
  readonly code: RefusalCode;
  /** The desired-spec field at fault, when one is. */
  readonly field?: string;
  /** What is wrong and how to fix it. */
  readonly message: string;
}

/** The plan: steps to run, or refusals. */
export type Plan =
  | {
      readonly kind: "ok";
      readonly steps: readonly Step[];
      /** Seconds the instance is expected to be not Running because of this plan. */
      readonly expectedDowntimeSeconds: number;
      /** Seconds the whole plan is expected to take. */
      readonly expectedDurationSeconds: number;
      /** True when the plan stops the instance. */
      readonly stopsInstance: boolean;
      /** True when ECS restarts the instance for the plan (a subscription upgrade while Running: one reboot, no stop across the call). */
      readonly restartsInstance?: boolean;
    }
  | { readonly kind: "refused"; readonly refusals: readonly Refusal[] };

