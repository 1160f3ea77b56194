/**
 * Before a plan's first change, every ModifyInstanceSpec step is checked as it will be sent: by the
 * request rules (rules.ts, which the planner applied at preview, again at this moment) and, where
 * the API can judge it now, by a `DryRun` of the call. A step the API would refuse is then refused
 * while nothing has been stopped or changed, not after the steps before it have been done.
 */
import { describeStep } from "../describe";
import { isEcsApiError } from "../errors";
import { stepRefusals, type ModifyStep, type Plan, type Refusal, type Step } from "../plan";
import { atSendTime } from "../rules";
import { withRetry } from "./retry";
import { cooldownEndMs, partialOf, type Run } from "./run";
import { prepayRequestOf, requestOf, type SpecStep } from "./steps";
import { ApplyError, Replan } from "./types";
import { waitUntil } from "./cooldown";

// Only ModifyInstanceSpec has a DryRun: ModifyPrepayInstanceSpec and ModifyInstanceNetworkSpec
// have none, so a subscription plan is checked by the request rules alone (and the planner's reads).
const isModify = (s: Step): s is SpecStep => s.kind === "modifyType" || s.kind === "modifyBandwidth" || s.kind === "modifyTemporaryBandwidth";

/** A spec change step with its 1-based position in the plan. */
export interface DryRunTarget {
  readonly step: SpecStep;
  readonly index: number;
}

/**
 * The steps worth a DryRun. Only a spec change that comes after a stop or another spec change: when
 * the first change is refused, nothing is half done, so a DryRun of it would only cost a call. And
 * only what the API can judge before the steps ahead of it have run:
 * - a type change only on an instance that is Stopped now: on a running one the API answers
 *   `InvalidInstanceStatus.NotStopped` before any other check, which tells nothing (the type itself
 *   was checked against DescribeResourcesModification when the plan was made);
 * - a temporary window only when no step before it changes the outbound bandwidth: the API judges a
 *   window against the bandwidth in force, which that step would replace.
 */
export function dryRunTargets(steps: readonly Step[], status: string | undefined): DryRunTarget[] {
  const targets: DryRunTarget[] = [];
  let changed = false;
  let outChanged = false;
  steps.forEach((step, i) => {
    if (step.kind === "stop") changed = true;
    if (!isModify(step)) return;
    const judgedNow =
      step.kind === "modifyType" ? status === "Stopped" && step.whileStatus === "Stopped" : step.kind === "modifyTemporaryBandwidth" ? !outChanged : true;
    if (changed && judgedNow) targets.push({ step, index: i + 1 });
    changed = true;
    if (step.kind === "modifyBandwidth" && step.out) outChanged = true;
  });
  return targets;
}

/** The input a step changes, for a refusal. */
function fieldOf(step: ModifyStep): string {
  switch (step.kind) {
    case "modifyType":
    case "modifyPrepayType":
      return "instanceType";
    case "modifyBandwidth":
    case "modifyNetworkSpec":
      return step.out ? "internetMaxBandwidthOut" : "internetMaxBandwidthIn";
    case "modifyTemporaryBandwidth":
    case "modifyNetworkTemporary":
      return "temporaryBandwidth";
  }
}

function refused(run: Run, refusals: readonly Refusal[], cause?: unknown): ApplyError {
  return new ApplyError({
    code: "Refused",
    message: `refused before any change, nothing was changed:\n${refusals.map((r) => `refused (${r.code}${r.field ? `, ${r.field}` : ""}): ${r.message}`).join("\n")}`,
    refusals,
    partial: partialOf(run),
    ...(cause !== undefined ? { cause } : {}),
  });
}

/**
 * Check the plan's spec changes before its first step runs: the request rules for every one, then a
 * DryRun of each {@link dryRunTargets} target (at most two calls, since a plan has at most three
 * changes). Throws `Refused` when one would be refused; a DryRun that cannot get an answer fails the
 * apply as the real call would, with nothing changed.
 */
export async function preflight(run: Run, p: Extract<Plan, { kind: "ok" }>): Promise<void> {
  // Re-planned while down because of this run: its refusal would skip the restart, and the
  // planner has just applied the request rules anyway.
  if (run.state.stoppedByUs) return;
  const refusals = stepRefusals(p.steps, run.clock.now());
  if (refusals.length > 0) throw refused(run, refusals);
  await probeDowngrades(run, p);
  const dryRun = run.api.dryRunModifyInstanceSpec?.bind(run.api);
  const targets = dryRunTargets(p.steps, run.state.current?.status);
  if (!dryRun || targets.length === 0) return;
  const end = cooldownEndMs(run);
  if (end !== undefined && end > run.clock.now()) {
    // During the cooldown the API answers a DryRun with Throttling before judging anything. Waiting
    // for its end costs no downtime when the plan's first change waits for it anyway (at most the
    // stop's overlap with it, in wall time); when the plan first starts an instance that is down, it
    // would, so the DryRuns are left out and the request rules stand alone.
    if (p.steps.find((s) => s.kind !== "waitStatus")?.kind === "start") return;
    await waitUntil(run, end);
  }
  for (const { step, index } of targets) {
    const request = requestOf(run.desired.instanceId, atSendTime(step, run.clock.now()));
    try {
      // A DryRun changes nothing, so a lost answer is simply asked again.
      await withRetry(run, run.policies.specChange, "ModifyInstanceSpec (DryRun)", () => dryRun(request));
    } catch (e) {
      if (!isEcsApiError(e) || e.retryable) throw e;
      throw refused(
        run,
        [{ code: "DryRunRefused", field: fieldOf(step), message: `step ${index} (${describeStep(step)}) would be refused: ${e.message}` }],
        e,
      );
    }
  }
}

/** Answers that mean "only the status is wrong": what a downgrade of a running instance is told. */
const STATUS_ONLY = new Set(["InvalidStatus.NotStopped", "IncorrectInstanceStatus", "InvalidInstanceStatus"]);

/**
 * ModifyPrepayInstanceSpec has no DryRun, and a downgrade needs a Stopped instance, so what only the
 * call can tell (an unpaid order, arrears without a lock, a renewal with downgrade, the downgrade
 * quota) would come after the stop. The plan's own call is therefore sent once before the stop,
 * while the instance still runs, with its own ClientToken and parameters: a downgrade of a running
 * instance is refused (`InvalidStatus.NotStopped`), so it orders nothing, and any other refusal
 * refuses the plan while nothing has been touched. Should the API ever take it, the order is the
 * step's own (the same token): the call after the stop answers it again, and no second order is made.
 */
async function probeDowngrades(run: Run, p: Extract<Plan, { kind: "ok" }>): Promise<void> {
  let stopped = false;
  for (const [i, step] of p.steps.entries()) {
    if (step.kind === "stop") stopped = true;
    if (step.kind !== "modifyPrepayType" || !stopped || step.direction !== "downgrade" || !step.operatorTypeKnown) continue;
    const end = cooldownEndMs(run);
    if (end !== undefined && end > run.clock.now()) await waitUntil(run, end);
    try {
      await withRetry(run, run.policies.specChange, "ModifyPrepayInstanceSpec (checked while running)", () =>
        run.api.modifyPrepayInstanceSpec(prepayRequestOf(run.desired.instanceId, step), step.clientToken),
      );
      run.emit({
        type: "replanning",
        reason: "downgrade taken while running",
        message: `ModifyPrepayInstanceSpec took the downgrade while the instance runs (the API reference says it needs Stopped); the order is the step's own and is not made twice`,
      });
    } catch (e) {
      // Under the spec-change policy a wrong status asks for a re-plan: here it is the expected answer.
      const answer = e instanceof Replan ? e.cause : e;
      if (isEcsApiError(answer) && STATUS_ONLY.has(answer.code)) continue;
      if (!isEcsApiError(e) || e.retryable) throw e;
      throw refused(
        run,
        [
          {
            code: "DryRunRefused",
            field: "instanceId",
            message:
              `step ${i + 1} (${describeStep(step)}) would be refused, so the instance was not stopped: ${e.message} ` +
              `(checked with the call itself while the instance runs: a downgrade of a running instance orders nothing)`,
          },
        ],
        e,
      );
    }
  }
}
