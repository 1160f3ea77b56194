/**
 * The executor's timing: how often it reads while waiting, the cooldown margin, and its limits.
 */
import { DEFAULT_ESTIMATES, type Estimates } from "../plan";

/** Timing of the executor. All in seconds. */
export interface ApplyTiming extends Estimates {
  /** Interval between two `DescribeInstances` polls while waiting for a status or a change. Default 2. */
  readonly pollSeconds: number;
  /** Added to the end of every cooldown (absorbs the API's own rounding). Default 1. */
  readonly cooldownMarginSeconds: number;
  /** How long a change may take to show in `DescribeInstances`. Default 120. */
  readonly verifySeconds: number;
  /** How long a stop, a start or a transitional status may take. Default 600. */
  readonly settleSeconds: number;
  /** A cooldown wait reports progress at least this often. Default 30. */
  readonly progressSeconds: number;
}

/** Default executor timing. */
export const DEFAULT_TIMING: ApplyTiming = Object.freeze({
  ...DEFAULT_ESTIMATES,
  pollSeconds: 2,
  cooldownMarginSeconds: 1,
  verifySeconds: 120,
  settleSeconds: 600,
  progressSeconds: 30,
});

/** Stop and start durations seen on one instance, seconds. */
export interface ObservedDurations {
  readonly stopSeconds?: number;
  readonly startSeconds?: number;
}
