/**
 * Reading and waiting: the instance's status and changes (polled), the cooldown (slept, with
 * progress), all bounded by the apply's deadline and its abort signal.
 */
import { formatDuration } from "../describe";
import type { InstanceSnapshot } from "../model";
import { withRetry } from "./retry";
import { checkDeadline, signalOf, type CallOptions, type Run } from "./run";
import { EngineFailure, type ApplyErrorCode } from "./types";

/** Sleep until `untilMs`, reporting the remaining cooldown at least every `progressSeconds`. */
export async function waitUntil(run: Run, untilMs: number, opts: CallOptions = {}): Promise<void> {
  const signal = signalOf(run, opts);
  checkDeadline(run, untilMs, "waiting for the cooldown", opts.limitMs);
  for (let now = run.clock.now(); now < untilMs; now = run.clock.now()) {
    const remaining = untilMs - now;
    run.emit({
      type: "waitingForCooldown",
      remainingSeconds: remaining / 1000,
      message: `waiting for cooldown ${formatDuration(remaining / 1000)}`,
    });
    await run.clock.sleep(Math.min(remaining, run.timing.progressSeconds * 1000), signal);
  }
}

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

/** Poll until `done(snapshot)`; the first snapshot may be given (already read). */
export async function pollUntil(
  run: Run,
  done: (s: InstanceSnapshot) => boolean,
  what: PollTarget,
  opts: CallOptions = {},
  first?: InstanceSnapshot,
): Promise<InstanceSnapshot> {
  const limit = Math.min(run.clock.now() + what.limitSeconds * 1000, opts.limitMs ?? run.deadlineMs);
  const signal = signalOf(run, opts);
  for (let known = first; ; known = undefined) {
    const snap = known ?? (await read(run, opts));
    if (done(snap)) return snap;
    const next = run.clock.now() + run.timing.pollSeconds * 1000;
    if (next > limit) {
      throw new EngineFailure(
        what.code,
        `instance ${run.desired.instanceId} did not reach ${what.target} in time (status ${snap.status}, type ${snap.instanceType}, out ${snap.internetMaxBandwidthOut}, in ${snap.internetMaxBandwidthIn})`,
      );
    }
    run.emit({ type: "waitingForStatus", current: snap.status, target: what.target, message: `waiting for ${what.target} (now ${snap.status})` });
    await run.clock.sleep(run.timing.pollSeconds * 1000, signal);
  }
}

/** Poll until the instance is `target`. */
export function waitStatus(run: Run, target: "Running" | "Stopped", opts: CallOptions = {}, first?: InstanceSnapshot): Promise<InstanceSnapshot> {
  return pollUntil(run, (s) => s.status === target, { target: `status ${target}`, limitSeconds: run.timing.settleSeconds, code: "Timeout" }, opts, first);
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
    snap,
  );
}
