/**
 * Step runners: one per kind of plan step. Each performs its call(s) through {@link withRetry},
 * waits for the effect to show, and records an {@link AppliedStep} in the run's state.
 */
import { modifyInstanceSpecParams, startInstanceParams, stopInstanceParams, type ModifyRequest } from "../client";
import { describeStep } from "../describe";
import type { InstanceSnapshot } from "../model";
import { temporaryActive, type ModifyStep, type Plan, type Step } from "../plan";
import { placeMarker, removeMarker } from "./marker";
import { atSendTime } from "../rules";
import { withRetry } from "./retry";
import { cooldownEndMs, expectedSeconds, iso, type CallOptions, type Run } from "./run";
import { isEcsApiError, TRANSPORT_CODES } from "../errors";
import { EngineFailure, type AppliedStep } from "./types";
import { waitUntil } from "./cooldown";
import { pollUntil, readOnce, waitStatus } from "./waits";

/** The single-item `ModifyInstanceSpec` request of a step. */
export function requestOf(instanceId: string, step: ModifyStep): ModifyRequest {
  switch (step.kind) {
    case "modifyType":
      return {
        item: "instanceType",
        instanceId,
        instanceType: step.instanceType,
        ...(step.systemDiskCategory !== undefined ? { systemDiskCategory: step.systemDiskCategory } : {}),
        ...(step.allowMigrateAcrossZone !== undefined ? { allowMigrateAcrossZone: step.allowMigrateAcrossZone } : {}),
      };
    case "modifyBandwidth":
      return {
        item: "bandwidth",
        instanceId,
        ...(step.out ? { internetMaxBandwidthOut: step.out.to } : {}),
        ...(step.in ? { internetMaxBandwidthIn: step.in.to } : {}),
      };
    case "modifyTemporaryBandwidth":
      return { item: "temporaryBandwidth", instanceId, startTime: step.startTime, endTime: step.endTime, internetMaxBandwidthOut: step.out };
  }
}

/** Does the snapshot show the step's change? (Temporary windows never show in DescribeInstances.) */
function shows(run: Run, step: ModifyStep, s: InstanceSnapshot): boolean {
  switch (step.kind) {
    case "modifyType":
      return s.instanceType === step.instanceType;
    case "modifyBandwidth": {
      const temporary = run.state.temporary;
      const out = temporaryActive(temporary, run.clock.now()) ? temporary!.internetMaxBandwidthOut : step.out?.to;
      return (step.out === undefined || s.internetMaxBandwidthOut === out) && (step.in === undefined || s.internetMaxBandwidthIn === step.in.to);
    }
    case "modifyTemporaryBandwidth":
      return false;
  }
}

/** One ModifyInstanceSpec step: after the cooldown, with its ClientToken; never resent once it shows. */
export async function runModify(run: Run, planned: ModifyStep, index: number): Promise<void> {
  const st = run.state;
  const end = cooldownEndMs(run);
  if (end !== undefined) await waitUntil(run, end);
  // Settled once, before the first attempt: a window that has begun by now is sent from now.
  const step = atSendTime(planned, run.clock.now());
  const startedAt = run.clock.now();
  const request = requestOf(run.desired.instanceId, step);
  let already = false;
  const policy = st.stoppedByUs ? run.policies.specChangeWhileDown : run.policies.specChange;
  const { value, attempts } = await withRetry(run, policy, "ModifyInstanceSpec", async (attempt, previous) => {
    if (attempt > 1 && previous === "verifyThenBackoff") {
      // The last answer was lost: if the change shows, it was applied — do not send it again.
      if (shows(run, step, await readOnce(run))) {
        already = true;
        return undefined;
      }
    }
    st.dirty = true;
    return run.api.modifyInstanceSpec(request, step.clientToken);
  });
  const doneMs = run.clock.now();
  st.lastChangeMs = doneMs;
  if (step.kind === "modifyTemporaryBandwidth") {
    st.temporary = { startTime: step.startTime, endTime: step.endTime, internetMaxBandwidthOut: step.out };
  }
  if (step.kind === "modifyType") st.pendingType = step.instanceType;
  st.steps.push({
    index,
    kind: step.kind,
    action: "ModifyInstanceSpec",
    // An answer lost after the change was applied leaves no answer: the request as built is what was sent.
    params: value?.sent ?? modifyInstanceSpecParams(request, step.clientToken),
    ...(value?.requestId ? { requestId: value.requestId } : {}),
    clientToken: step.clientToken,
    startedAt: iso(startedAt),
    finishedAt: iso(doneMs),
    attempts,
    outcome: already ? "alreadyApplied" : "done",
  });
  if (step.kind === "modifyBandwidth" && !already) {
    await pollUntil(
      run,
      (s) => shows(run, step, s),
      { target: "the new bandwidth in DescribeInstances", limitSeconds: run.timing.verifySeconds, code: "ChangeNotVisible" },
      {},
      { readNow: true, expect: { sinceMs: doneMs, expectedSeconds: run.timing.modifySeconds } },
    );
  }
  // A type change shows after the next start (checked there); one that stays on a Stopped
  // instance is reported as pendingInstanceType.
}

/** Options of {@link runPower}. */
export interface PowerOptions extends CallOptions {
  /** Read the status before the first call even when a snapshot is known. */
  readonly fresh?: boolean;
  /**
   * Every second counts (the restart after a failure or an interrupt, which the CLI follows with
   * SIGKILL within seconds): poll from the first moment, not at the expected end.
   */
  readonly urgent?: boolean;
}

/** StopInstance or StartInstance, idempotent by status: every retry re-reads first. */
export async function runPower(
  run: Run,
  kind: "stop" | "start",
  index: number,
  stoppedMode: "KeepCharging" | "StopCharging" = run.desired.stoppedMode,
  opts: PowerOptions = {},
): Promise<void> {
  const st = run.state;
  const id = run.desired.instanceId;
  const target = kind === "stop" ? "Stopped" : "Running";
  const moving = kind === "stop" ? "Stopping" : "Starting";
  const from = kind === "stop" ? "Running" : "Stopped";
  const action = kind === "stop" ? "StopInstance" : "StartInstance";
  const startedAt = run.clock.now();
  let outcome = "done" as AppliedStep["outcome"];
  const { value, attempts } = await withRetry(
    run,
    run.policies.power,
    action,
    async (attempt, _previous, previousError) => {
      let snap = attempt > 1 || opts.fresh || st.current === undefined ? await readOnce(run) : st.current;
      if (isLostInTransit(previousError) && snap.status === from) snap = await awaitLostCall(run, from, snap, opts);
      if (snap.status === target || snap.status === moving) {
        outcome = attempt > 1 ? "alreadyApplied" : "skipped";
        return undefined;
      }
      if (snap.status !== from) {
        snap = await pollUntil(
          run,
          (s) => s.status === from || s.status === target,
          { target: `status ${from}`, limitSeconds: run.timing.settleSeconds, code: "Timeout" },
          opts,
          { first: snap, expect: { sinceMs: run.clock.now(), expectedSeconds: opts.urgent ? 0 : expectedSeconds(run, kind === "stop" ? "start" : "stop") } },
        );
      }
      if (snap.status === target) {
        outcome = "skipped";
        return undefined;
      }
      st.dirty = true;
      st.powerCallSinceRead = true;
      if (isLostInTransit(previousError)) st.powerCallResent = true;
      if (kind === "stop") st.stoppedByUs = true;
      return kind === "stop" ? run.api.stopInstance(id, stoppedMode) : run.api.startInstance(id);
    },
    opts,
  );
  const calls = outcome === "skipped" && attempts === 1 ? 0 : attempts;
  const answeredMs = run.clock.now();
  // After our own call the first read aims at the transition's expected end; otherwise the
  // snapshot just read says where the instance is.
  const expect = { sinceMs: answeredMs, expectedSeconds: opts.urgent ? 0 : expectedSeconds(run, kind) };
  const snap = await waitStatus(run, target, opts, outcome === "done" ? { expect } : { first: st.current!, expect });
  if (outcome === "done") learn(run, kind, (run.clock.now() - answeredMs) / 1000);
  if (kind === "start") await removeMarker(run);
  if (kind === "start") st.stoppedByUs = false;
  st.steps.push({
    index,
    kind,
    action,
    params: value?.sent ?? (kind === "stop" ? stopInstanceParams(id, stoppedMode) : startInstanceParams(id)),
    ...(value?.requestId ? { requestId: value.requestId } : {}),
    startedAt: iso(startedAt),
    finishedAt: iso(run.clock.now()),
    attempts: calls,
    outcome,
  });
  if (kind === "start" && st.pendingType !== undefined && snap.instanceType !== st.pendingType) {
    const pending = st.pendingType;
    await pollUntil(
      run,
      (s) => s.instanceType === pending,
      { target: `instance type ${pending}`, limitSeconds: run.timing.verifySeconds, code: "ChangeNotVisible" },
      opts,
      { first: snap },
    );
  }
}

/**
 * The call's answer was lost on the way (a timeout or a broken connection), so the call itself may
 * still be on its way. An error answer (a 5xx) means the API has handled it: its effect, if any,
 * shows at once.
 */
function isLostInTransit(error: unknown): boolean {
  return isEcsApiError(error) && (error.code === TRANSPORT_CODES.timeout || error.code === TRANSPORT_CODES.network);
}

/**
 * A stop or start whose answer was lost may still land: watch the status move for
 * `lostAnswerGraceSeconds` before the caller sends the call again (StopInstance and StartInstance
 * take no ClientToken, so a second call is a second operation). Returns the last snapshot.
 */
async function awaitLostCall(run: Run, from: InstanceSnapshot["status"], snap: InstanceSnapshot, opts: CallOptions): Promise<InstanceSnapshot> {
  const limitMs = Math.min(run.clock.now() + run.timing.lostAnswerGraceSeconds * 1000, opts.limitMs ?? run.deadlineMs);
  try {
    return await pollUntil(
      run,
      (s) => s.status !== from,
      { target: `the lost call to show (status leaving ${from})`, limitSeconds: run.timing.lostAnswerGraceSeconds, code: "Timeout" },
      { ...opts, limitMs },
      { first: snap, expect: { sinceMs: run.clock.now(), expectedSeconds: 0 } },
    );
  } catch (e) {
    // Not moved within the grace: the call most likely never arrived; the caller sends it again.
    if (e instanceof EngineFailure && run.clock.now() < (opts.limitMs ?? run.deadlineMs)) return run.state.current ?? snap;
    throw e;
  }
}

/** Remember how long a stop or start of this instance took (an upper bound: until the read that saw it). */
function learn(run: Run, kind: "stop" | "start", seconds: number): void {
  run.state.observed = { ...run.state.observed, [kind === "stop" ? "stopSeconds" : "startSeconds"]: Math.round(seconds * 1000) / 1000 };
}

/** Run a plan's steps in order. */
export async function runPlan(run: Run, p: Extract<Plan, { kind: "ok" }>): Promise<void> {
  const total = p.steps.length;
  for (let i = 0; i < total; i++) {
    run.signal?.throwIfAborted();
    const step: Step = p.steps[i]!;
    run.emit({ type: "step", index: i + 1, total, step, message: `step ${i + 1}/${total}: ${describeStep(step)}` });
    const startedAt = run.clock.now();
    switch (step.kind) {
      case "waitStatus":
        await waitStatus(run, step.until, {}, { first: run.state.current!, expect: { sinceMs: run.clock.now(), expectedSeconds: step.expectedSeconds } });
        break;
      case "waitCooldown": {
        const end = cooldownEndMs(run);
        if (end !== undefined) await waitUntil(run, end - step.leadSeconds * 1000);
        break;
      }
      case "stop":
        if (run.hooks.beforeStop) {
          await run.hooks.beforeStop();
          await placeMarker(run);
        }
        await runPower(run, "stop", i + 1, step.stoppedMode);
        continue;
      case "start":
        await runPower(run, "start", i + 1);
        run.hooks.afterStart?.();
        continue;
      default:
        await runModify(run, step, i + 1);
        continue;
    }
    run.state.steps.push({ index: i + 1, kind: step.kind, startedAt: iso(startedAt), finishedAt: iso(run.clock.now()), attempts: 0, outcome: "done" });
  }
}

/** After a failure: start an instance this run stopped. Runs past an abort, with its own time limit. */
export async function restartIfStopped(run: Run): Promise<boolean> {
  if (!run.state.stoppedByUs) return false;
  run.emit({ type: "restarting", message: `starting ${run.desired.instanceId} again: it was stopped for the change` });
  const limitMs = run.clock.now() + run.timing.settleSeconds * 1000;
  try {
    // The shortest way back to Running: when the last read, made after the stop, showed Stopped (a
    // failed type change leaves the status as it was), StartInstance goes out at once; a surprise
    // (someone started it) is answered IncorrectInstanceStatus, and the retry re-reads.
    const fresh = run.state.powerCallSinceRead || run.state.current?.status !== "Stopped";
    await runPower(run, "start", run.state.steps.length + 1, run.desired.stoppedMode, { limitMs, signal: undefined, fresh, urgent: true });
    return true;
  } catch {
    return false;
  }
}
