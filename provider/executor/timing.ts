/**
 * The executor's timing: how often it reads while waiting, the cooldown margin, and its limits.
 */
import { DEFAULT_ESTIMATES, type Estimates } from "../plan";

/**
 * Timing of the executor. All in seconds.
 *
 * Status polls aim at the expected end of what is waited for (a stop, a start: the estimate, or the
 * duration observed on this instance before): sparse probes every `pollSeconds` until shortly before
 * that end, then reads every `pollFraction` of the expected duration, never closer than
 * `minPollSeconds` (so a fleet of instances cannot flood the API) nor further than `pollSeconds`.
 * See {@link nextPollAtMs}.
 */
export interface ApplyTiming extends Estimates {
  /** The longest interval between two `DescribeInstances` polls while waiting. Default 5. */
  readonly pollSeconds: number;
  /** The shortest interval between two polls of one instance. Default 0.25. */
  readonly minPollSeconds: number;
  /** Near the expected end, polls come every this share of the expected duration. Default 0.05. */
  readonly pollFraction: number;
  /**
   * Added to the end of every cooldown. The cooldown is measured from the arrival of the answer
   * that accepted the change, which is after the API accepted it, so the network's return trip is
   * already a margin; this only absorbs clock granularity. Default 0.05.
   */
  readonly cooldownMarginSeconds: number;
  /**
   * After a StopInstance/StartInstance whose answer was lost, how long to watch for the status to
   * move (the call may still land) before sending it again. Default 10.
   */
  readonly lostAnswerGraceSeconds: number;
  /**
   * When a stop or start had to be sent again after a lost answer, the first one may still land
   * late: the final read waits this long after the plan, so a late duplicate shows (and is
   * corrected) before success is reported. Default 10.
   */
  readonly straySettleSeconds: number;
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
  pollSeconds: 5,
  minPollSeconds: 0.25,
  pollFraction: 0.05,
  cooldownMarginSeconds: 0.05,
  lostAnswerGraceSeconds: 10,
  straySettleSeconds: 10,
  verifySeconds: 120,
  settleSeconds: 600,
  progressSeconds: 30,
});

/** Stop and start durations seen on one instance, seconds. */
export interface ObservedDurations {
  readonly stopSeconds?: number;
  readonly startSeconds?: number;
}

/** What a poll expects: the thing waited for started at `sinceMs` and should take about `expectedSeconds`. */
export interface PollExpectation {
  readonly sinceMs: number;
  readonly expectedSeconds: number;
}

/** The interval between polls near the expected end, ms. */
export function pollIntervalMs(expectedSeconds: number, t: Pick<ApplyTiming, "pollSeconds" | "minPollSeconds" | "pollFraction">): number {
  return Math.min(t.pollSeconds, Math.max(t.minPollSeconds, expectedSeconds * t.pollFraction)) * 1000;
}

/**
 * When to read next, after a read at `lastReadMs` (or, before the first read, the start of the
 * wait), for a wait with expectation `e`. Pure.
 * Before the expected end: sparse probes every `pollSeconds`, then one read an interval before the
 * expected end, so a transition that ends as expected is seen within one short interval; after it,
 * reads every interval, spreading out (up to `pollSeconds`) the later the transition is.
 */
export function nextPollAtMs(lastReadMs: number, e: PollExpectation, t: Pick<ApplyTiming, "pollSeconds" | "minPollSeconds" | "pollFraction">): number {
  const interval = pollIntervalMs(e.expectedSeconds, t);
  const windowStart = e.sinceMs + e.expectedSeconds * 1000 - interval;
  const probe = lastReadMs + t.pollSeconds * 1000;
  if (probe <= windowStart) return probe;
  if (lastReadMs < windowStart) return Math.max(windowStart, lastReadMs + t.minPollSeconds * 1000);
  // Past the expected end the reads spread out with the lateness, so a slow transition costs few reads.
  const lateness = lastReadMs - (e.sinceMs + e.expectedSeconds * 1000);
  return lastReadMs + Math.min(t.pollSeconds * 1000, Math.max(interval, lateness / 2));
}
