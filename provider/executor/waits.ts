/**
 * Reading and waiting: the instance's status and changes (polled), the cooldown (slept, with
 * progress), all bounded by the apply's deadline and its abort signal.
 */
import type { InstanceSnapshot } from "../model";
import { withRetry } from "./retry";
import { expectedSeconds, signalOf, type CallOptions, type Run } from "./run";
import { nextPollAtMs, type PollExpectation } from "./timing";
import { EngineFailure, type ApplyErrorCode } from "./types";

/** One `DescribeInstances` (no retry); records the snapshot. A vanished instance fails the run. */
export async function readOnce(run: Run): Promise<InstanceSnapshot> {
  const id = run.desired.instanceId;
  // Local disks do not come and go: DescribeDisks is asked once per run, with the first read.
  const known = run.state.current;
  const snap = await run.api.describeInstance(id, known === undefined ? undefined : { knownHasLocalDisks: known.hasLocalDisks });
  if (!snap) throw new EngineFailure("NotFound", `instance ${id} not found in ${run.desired.regionId}: check instanceId and regionId`);
  return remember(run, snap);
}

/** Records a snapshot as the run's latest knowledge of the instance. */
function remember(run: Run, snap: InstanceSnapshot): InstanceSnapshot {
  const st = run.state;
  if (snap.instanceType === st.pendingType && snap.status === "Running") st.pendingType = undefined;
  st.current = snap;
  st.dirty = false;
  st.powerCallSinceRead = false;
  return snap;
}

/** A read with the `read` retry policy. */
export async function read(run: Run, opts: CallOptions = {}): Promise<InstanceSnapshot> {
  return (await withRetry(run, run.policies.read, "DescribeInstances", () => readOnce(run), opts)).value;
}

/** What a poll waits for, to name it in progress events and errors. */
export interface PollTarget {
  readonly target: string;
  readonly limitSeconds: number;
  readonly code: ApplyErrorCode;
}

/** Where a poll starts: a snapshot already read, or the expectation of the thing waited for. */
export interface PollStart {
  /** A snapshot read just now: checked first, instead of a read. */
  readonly first?: InstanceSnapshot;
  /** When the thing waited for began and how long it should take; default: from now, `modifySeconds`. */
  readonly expect?: PollExpectation;
  /** Read at once (a change that may already show) rather than at the first scheduled poll. */
  readonly readNow?: boolean;
}

/** Poll until `done(snapshot)`, reading on the schedule of {@link nextPollAtMs}. */
export async function pollUntil(
  run: Run,
  done: (s: InstanceSnapshot) => boolean,
  what: PollTarget,
  opts: CallOptions = {},
  start: PollStart = {},
): Promise<InstanceSnapshot> {
  const startMs = run.clock.now();
  const limit = Math.min(startMs + what.limitSeconds * 1000, opts.limitMs ?? run.deadlineMs);
  const signal = signalOf(run, opts);
  const expect = start.expect ?? { sinceMs: startMs, expectedSeconds: run.timing.modifySeconds };
  let snap = start.first ?? (start.readNow ? await read(run, opts) : undefined);
  let lastReadMs = snap ? run.clock.now() : expect.sinceMs;
  for (;;) {
    if (snap && done(snap)) return snap;
    const next = Math.max(run.clock.now(), nextPollAtMs(lastReadMs, expect, run.timing));
    if (next > limit) {
      const seen = snap ?? run.state.current;
      throw new EngineFailure(
        what.code,
        `instance ${run.desired.instanceId} did not reach ${what.target} in time` +
          (seen ? ` (status ${seen.status}, type ${seen.instanceType}, out ${seen.internetMaxBandwidthOut}, in ${seen.internetMaxBandwidthIn})` : ""),
      );
    }
    if (snap) run.emit({ type: "waitingForStatus", current: snap.status, target: what.target, message: `waiting for ${what.target} (now ${snap.status})` });
    await run.clock.sleep(next - run.clock.now(), signal);
    lastReadMs = run.clock.now();
    snap = await read(run, opts);
  }
}

/** Poll until the instance is `target`; `start` as for {@link pollUntil} (default: read now). */
export function waitStatus(run: Run, target: "Running" | "Stopped", opts: CallOptions = {}, start: PollStart = { readNow: true }): Promise<InstanceSnapshot> {
  return pollUntil(run, (s) => s.status === target, { target: `status ${target}`, limitSeconds: run.timing.settleSeconds, code: "Timeout" }, opts, start);
}

/** Read, and wait until the instance is Running or Stopped. */
export async function settle(run: Run): Promise<InstanceSnapshot> {
  const snap = await read(run);
  if (snap.status === "Running" || snap.status === "Stopped") return snap;
  return pollUntil(
    run,
    (s) => s.status === "Running" || s.status === "Stopped",
    { target: "a settled status (Running or Stopped)", limitSeconds: run.timing.settleSeconds, code: "Timeout" },
    {},
    { first: snap, expect: { sinceMs: run.clock.now(), expectedSeconds: expectedSeconds(run, snap.status === "Stopping" ? "stop" : "start") } },
  );
}
