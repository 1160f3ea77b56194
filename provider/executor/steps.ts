/**
 * Step runners: one per kind of plan step. Each performs its call(s) through {@link withRetry},
 * waits for the effect to show, and records an {@link AppliedStep} in the run's state.
 */
import {
  modifyInstanceNetworkSpecParams,
  modifyInstanceSpecParams,
  modifyPrepayInstanceSpecParams,
  startInstanceParams,
  stopInstanceParams,
  type CallResult,
  type ModifyRequest,
  type NetworkSpecRequest,
  type OrderResult,
  type PrepayTypeRequest,
} from "../client";
import { describeStep, formatDuration } from "../describe";
import type { InstanceSnapshot } from "../model";
import { actionOf, isOrderStep, temporaryActive, type ModifyStep, type OrderStep, type Plan, type Step } from "../plan";
import { placeMarker, removeMarker } from "./marker";
import { atSendTime } from "../rules";
import { withRetry } from "./retry";
import { cooldownEndMs, expectedSeconds, iso, signalOf, type CallOptions, type Run } from "./run";
import { isEcsApiError, TRANSPORT_CODES } from "../errors";
import { EngineFailure, type AppliedStep } from "./types";
import { waitUntil } from "./cooldown";
import { pollUntil, readOnce, waitStatus } from "./waits";

/** A step that calls `ModifyInstanceSpec` (pay-as-you-go). */
export type SpecStep = Exclude<ModifyStep, OrderStep>;

/** The single-item `ModifyInstanceSpec` request of a step. */
export function requestOf(instanceId: string, step: SpecStep): ModifyRequest {
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

/** The `ModifyPrepayInstanceSpec` request of a step. */
export function prepayRequestOf(instanceId: string, step: OrderStep & { kind: "modifyPrepayType" }): PrepayTypeRequest {
  return {
    instanceId,
    instanceType: step.instanceType,
    ...(step.operatorTypeKnown ? { operatorType: step.direction } : {}),
    autoPay: step.autoPay,
    ...(step.allowMigrateAcrossZone !== undefined ? { migrateAcrossZone: step.allowMigrateAcrossZone } : {}),
    ...(step.systemDiskCategory !== undefined ? { systemDiskCategory: step.systemDiskCategory } : {}),
  };
}

/** The `ModifyInstanceNetworkSpec` request of a step: the window's times cut to the API's precision (minute, hour). */
export function networkRequestOf(instanceId: string, step: OrderStep & { kind: "modifyNetworkSpec" | "modifyNetworkTemporary" }): NetworkSpecRequest {
  if (step.kind === "modifyNetworkTemporary") {
    return {
      item: "temporaryBandwidth",
      instanceId,
      startTime: step.startTime.slice(0, 16) + "Z",
      endTime: step.endTime.slice(0, 13) + "Z",
      internetMaxBandwidthOut: step.out,
      autoPay: step.autoPay,
    };
  }
  return {
    item: "bandwidth",
    instanceId,
    ...(step.out ? { internetMaxBandwidthOut: step.out.to } : {}),
    ...(step.in ? { internetMaxBandwidthIn: step.in.to } : {}),
    autoPay: step.autoPay,
  };
}

/** The wire parameters of an order step's call. */
function orderParams(instanceId: string, step: OrderStep): Readonly<Record<string, string>> {
  return step.kind === "modifyPrepayType"
    ? modifyPrepayInstanceSpecParams(prepayRequestOf(instanceId, step), step.clientToken)
    : modifyInstanceNetworkSpecParams(networkRequestOf(instanceId, step), step.clientToken);
}

/** Does the snapshot show the step's change? (Temporary windows never show in DescribeInstances.) */
function shows(run: Run, step: ModifyStep, s: InstanceSnapshot): boolean {
  switch (step.kind) {
    case "modifyType":
    case "modifyPrepayType":
      return s.instanceType === step.instanceType;
    case "modifyNetworkSpec":
    case "modifyBandwidth": {
      const temporary = run.state.temporary;
      const out = temporaryActive(temporary, run.clock.now()) ? temporary!.internetMaxBandwidthOut : step.out?.to;
      return (step.out === undefined || s.internetMaxBandwidthOut === out) && (step.in === undefined || s.internetMaxBandwidthIn === step.in.to);
    }
    case "modifyTemporaryBandwidth":
    case "modifyNetworkTemporary":
      return false;
  }
}

/** One ModifyInstanceSpec step: after the cooldown, with its ClientToken; never resent once it shows. */
export async function runModify(run: Run, planned: ModifyStep, index: number): Promise<void> {
  if (isOrderStep(planned)) return runOrder(run, planned, index);
  const st = run.state;
  const end = cooldownEndMs(run);
  if (end !== undefined) await waitUntil(run, end);
  // Settled once, before the first attempt: a window that has begun by now is sent from now.
  const step = atSendTime(planned, run.clock.now());
  const request = requestOf(run.desired.instanceId, step);
  const { already, doneMs } = await sendChange(run, step, index, "ModifyInstanceSpec", () => run.api.modifyInstanceSpec(request, step.clientToken), () =>
    modifyInstanceSpecParams(request, step.clientToken),
  );
  st.lastChangeMs = doneMs;
  if (step.kind === "modifyTemporaryBandwidth") {
    st.temporary = { startTime: step.startTime, endTime: step.endTime, internetMaxBandwidthOut: step.out };
  }
  if (step.kind === "modifyType") st.pendingType = step.instanceType;
  if (step.kind === "modifyBandwidth" && !already) await awaitBandwidth(run, step, doneMs);
  // A type change shows after the next start (checked there); one that stays on a Stopped
  // instance is reported as pendingInstanceType.
}

/**
 * Sends one spec change, already past its cooldown, with its ClientToken under the run's change
 * policy, and records it. After a lost answer a change that shows is not sent again
 * (`alreadyApplied`); the request as built stands for what was sent when no answer came back.
 */
async function sendChange<T extends CallResult & { readonly orderId?: string }>(
  run: Run,
  step: ModifyStep,
  index: number,
  action: ReturnType<typeof actionOf>,
  call: () => Promise<T>,
  params: () => Readonly<Record<string, string>>,
): Promise<{ value: T | undefined; already: boolean; doneMs: number }> {
  const st = run.state;
  const startedAt = run.clock.now();
  let already = false;
  const policy = st.stoppedByUs ? run.policies.specChangeWhileDown : run.policies.specChange;
  const { value, attempts } = await withRetry<T | undefined>(run, policy, action, async (attempt, previous) => {
    if (attempt > 1 && previous === "verifyThenBackoff") {
      // The last answer was lost: if the change shows, it was applied — do not send it again.
      if (shows(run, step, await readOnce(run))) {
        already = true;
        return undefined;
      }
    }
    st.dirty = true;
    return call();
  });
  const doneMs = run.clock.now();
  st.steps.push({
    index,
    kind: step.kind,
    action,
    params: value?.sent ?? params(),
    ...(value?.requestId ? { requestId: value.requestId } : {}),
    ...(value?.orderId ? { orderId: value.orderId } : {}),
    clientToken: step.clientToken,
    startedAt: iso(startedAt),
    finishedAt: iso(doneMs),
    attempts,
    outcome: already ? "alreadyApplied" : "done",
  });
  return { value, already, doneMs };
}

/** Waits until DescribeInstances shows a bandwidth change sent at `doneMs`. */
function awaitBandwidth(run: Run, step: ModifyStep, doneMs: number, order = ""): Promise<InstanceSnapshot> {
  return pollUntil(
    run,
    (s) => shows(run, step, s),
    { target: `the new bandwidth in DescribeInstances${order}`, limitSeconds: run.timing.verifySeconds, code: "ChangeNotVisible" },
    {},
    { readNow: true, expect: { sinceMs: doneMs, expectedSeconds: run.timing.modifySeconds } },
  );
}

/** True when an order step's order is one to pay (not a refund). */
function isPaidOrder(step: OrderStep): boolean {
  return step.direction === "upgrade" || (step.kind === "modifyPrepayType" && !step.operatorTypeKnown);
}

/**
 * One subscription change: ModifyPrepayInstanceSpec or ModifyInstanceNetworkSpec, after the
 * cooldown (the interval between changes), with its ClientToken, which makes a retry or a re-run
 * after a kill answer the same order instead of creating a second one. The call creates an order
 * (its OrderId is recorded); the step ends when the change shows: the type after the ECS restart
 * RebootWhenFinished makes (a Running instance), or at the next start (a Stopped one, checked there);
 * the bandwidth in DescribeInstances.
 */
async function runOrder(run: Run, planned: OrderStep, index: number): Promise<void> {
  const st = run.state;
  const end = cooldownEndMs(run);
  if (end !== undefined) await waitUntil(run, end);
  // An upgrade of a running instance takes it down without a stop: ECS restarts it once the order
  // settles. A caller coordinating downtime (a rolling resize) is asked right before the call, as
  // before a StopInstance, and told once it runs the new type (below).
  const reboots = planned.kind === "modifyPrepayType" && planned.restarts === true;
  if (reboots) await run.hooks.beforeStop?.();
  const step = atSendTime(planned, run.clock.now());
  const id = run.desired.instanceId;
  const action = actionOf(step);
  // After a lost answer the same token goes again (when the change does not show yet), and the API
  // answers with the order it has, never a second one.
  const { value, already, doneMs } = await sendChange(
    run,
    step,
    index,
    action,
    (): Promise<OrderResult> =>
      step.kind === "modifyPrepayType"
        ? run.api.modifyPrepayInstanceSpec(prepayRequestOf(id, step), step.clientToken)
        : run.api.modifyInstanceNetworkSpec(networkRequestOf(id, step), step.clientToken),
    () => orderParams(id, step),
  );
  const orderId = value?.orderId;
  if (orderId) st.orders.push(orderId);
  if (!already && isPaidOrder(step) && !step.autoPay) {
    throw new EngineFailure(
      "OrderUnpaid",
      `${action} created order ${orderId ?? "(no OrderId)"} and left it UNPAID (autoPay: false), so nothing changes until it is paid: ` +
        `pay it in the Billing console (Expenses > Orders), then run again; or cancel it there and set autoPay: true`,
    );
  }
  st.lastChangeMs = doneMs;
  const order = orderId ? ` (order ${orderId})` : "";
  const unpaidHint = `; if the order is unpaid (not enough balance for AutoPay), pay or cancel it in the Billing console, then run again`;
  try {
    if (step.kind === "modifyPrepayType") {
      // Pending only on a Stopped instance, where the next start shows it: on a running one the
      // restart follows by itself, and a type that never shows (an order that could not be paid)
      // must not pass for applied in the next plan.
      if (step.whileStatus === "Stopped") st.pendingType = step.instanceType;
      if (step.whileStatus === "Running") {
        // The order settles, then ECS restarts the instance (RebootWhenFinished) and the type shows.
        // Also when a lost answer's change already shows: the restart may still be under way.
        const restartSeconds = expectedSeconds(run, "stop") + expectedSeconds(run, "start");
        await pollUntil(
          run,
          (s) => s.instanceType === step.instanceType && s.status === "Running",
          {
            target: `instance type ${step.instanceType} after the order${order} and the restart`,
            limitSeconds: run.timing.verifySeconds + run.timing.orderSeconds + restartSeconds,
            code: "ChangeNotVisible",
          },
          {},
          { ...(already ? { readNow: true } : {}), expect: { sinceMs: doneMs, expectedSeconds: already ? 0 : run.timing.orderSeconds + restartSeconds } },
        );
        if (reboots) run.hooks.afterStart?.();
      } else {
        st.orderSettlingUntilMs = doneMs + run.timing.orderSeconds * 1000;
      }
    } else if (step.kind === "modifyNetworkTemporary") {
      st.temporary = { startTime: step.startTime, endTime: step.endTime, internetMaxBandwidthOut: step.out };
    } else if (!already) {
      await awaitBandwidth(run, step, doneMs, order);
    }
  } catch (e) {
    if (e instanceof EngineFailure && e.code === "ChangeNotVisible") throw new EngineFailure(e.code, e.message + unpaidHint);
    throw e;
  }
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
  // A start right after a subscription order on the Stopped instance meets InstanceNotReady until
  // the order settles. As the status polls do, the start aims at the order's expected end (the
  // `orderSeconds` estimate), then, if the order is late, is retried at short intervals: every
  // second of backoff is downtime. Not after a failure (`urgent`): the restart goes at once. Also
  // when an earlier, killed run stopped the instance (this run only starts it): it is down as well.
  const settling = kind === "start" && st.orderSettlingUntilMs !== undefined;
  if (settling && !opts.urgent && st.orderSettlingUntilMs! > run.clock.now()) {
    const until = Math.min(st.orderSettlingUntilMs!, opts.limitMs ?? run.deadlineMs);
    run.emit({
      type: "waitingForStatus",
      current: st.current?.status ?? "Stopped",
      target: "the order to settle",
      message: `waiting ${formatDuration((until - run.clock.now()) / 1000)} for the order to settle before StartInstance (estimates.orderSeconds)`,
    });
    await run.clock.sleep(until - run.clock.now(), signalOf(run, opts));
  }
  const { value, attempts } = await withRetry(
    run,
    settling ? run.policies.startAfterOrder : run.policies.power,
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
  if (kind === "start") {
    await removeMarker(run);
    st.stoppedByUs = false;
    st.orderSettlingUntilMs = undefined;
  }
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
