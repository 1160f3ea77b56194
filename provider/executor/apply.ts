/**
 * The executor's entry point: read, plan, run the steps, re-plan when the instance changed under
 * the plan, check the result, and start an instance it stopped if anything fails after the stop.
 * Works from the live state, so running it again after an interruption finishes the job without
 * repeating a change.
 */
import { describePlan } from "../describe";
import { isEcsApiError } from "../errors";
import type { InstanceSnapshot } from "../model";
import { typeCatalogueFor } from "../facts";
import { plan as makePlan, type Plan } from "../plan";
import { withRetry } from "./retry";
import { preflight } from "./preflight";
import { iso, newRun, partialOf, planContextOf, type Run } from "./run";
import { markerIsStale, markerSaysStart } from "../marker";
import { placeMarker, removeMarker } from "./marker";
import { restartIfStopped, runPlan } from "./steps";
import { ApplyError, EngineFailure, Replan, type ApplyErrorCode, type ApplyOptions, type ApplyResult } from "./types";
import { read, settle } from "./waits";

/** How often one apply plans again after the instance changed under its plan. */
const MAX_REPLANS = 3;

/**
 * Bring the instance to the desired spec.
 *
 * @example
 * const api = createEcsClient({ regionId: desired.regionId });
 * const r = await apply({ api, desired, lastChangeAt: state.lastChangeAt, onProgress: (e) => console.log(e.message) });
 */
export async function apply(o: ApplyOptions): Promise<ApplyResult> {
  const run = newRun(o);
  let before: InstanceSnapshot | undefined;
  let firstPlan: Plan | undefined;
  try {
    for (let round = 0; ; round++) {
      const actual = await settle(run);
      before ??= actual;
      // An instance found running is promised running at the end, whatever happens in between; so
      // is one a killed run stopped for a change (its restore marker says so).
      if ((actual.status === "Running" && round === 0) || markerSaysStart(actual)) run.state.startWhenDone = true;
      await fetchTypeCatalogue(run, actual);
      const p = makePlan(actual, run.desired, planContextOf(run));
      firstPlan ??= p;
      if (p.kind === "refused") {
        throw new ApplyError({
          code: "Refused",
          message: `refused, nothing changed by this step:\n${describePlan(p).join("\n")}`,
          refusals: p.refusals,
          partial: partialOf(run),
        });
      }
      if (p.steps.length === 0) break;
      run.emit({ type: "plan", lines: describePlan(p), message: describePlan(p).join("\n") });
      try {
        // Every spec change checked before the first step: a request the API would refuse stops the run here.
        await preflight(run, p);
        // With a caller that holds the stop back (a rolling resize), the marker goes on right before the stop instead.
        if (p.stopsInstance && !run.hooks.beforeStop) await placeMarker(run);
        await runPlan(run, p);
      } catch (e) {
        if (!(e instanceof Replan) || round >= MAX_REPLANS) throw e instanceof Replan ? (e.cause ?? e) : e;
        if (e.restartAfterChangeAtMs !== undefined) {
          await restartForCooldown(run, e);
          continue;
        }
        run.emit({ type: "replanning", reason: e.reason, message: `the instance changed under the plan (${e.reason}); reading it and planning again` });
        continue;
      }
      const rest = await whatIsLeft(run);
      if (rest === undefined) break;
      if (round >= MAX_REPLANS) {
        throw new EngineFailure(
          "NotConverged",
          `instance ${run.desired.instanceId} does not match the desired spec after the plan ran (changed elsewhere?); still to do:\n${describePlan(rest).join("\n")}`,
        );
      }
      run.emit({
        type: "replanning",
        reason: "not converged",
        message: `the instance does not show what the plan promised (changed while it ran, or a late duplicate of a stop or start); planning again:\n${describePlan(rest).join("\n")}`,
      });
    }
    // A marker left by an interrupted run on an instance that runs again would make a later run
    // start it after a stop made on purpose.
    if (run.state.current && markerIsStale(run.state.current)) await removeMarker(run);
  } catch (e) {
    throw await failure(run, e);
  }
  const st = run.state;
  return {
    before: before!,
    after: st.current!,
    plan: firstPlan!,
    steps: st.steps,
    ...(st.lastChangeMs !== undefined ? { lastChangeAt: iso(st.lastChangeMs) } : {}),
    ...(st.temporary ? { appliedTemporaryBandwidth: st.temporary } : {}),
    ...(st.pendingType !== undefined ? { pendingInstanceType: st.pendingType } : {}),
    ...(Object.keys(st.observed).length > 0 ? { observed: st.observed } : {}),
  };
}

/** The type catalogue, when a type change is wanted (asked again each round: stock moves). */
async function fetchTypeCatalogue(run: Run, actual: InstanceSnapshot): Promise<void> {
  const catalogue = await typeCatalogueFor(run.api, actual, run.desired, run.state.pendingType, async (action, call) =>
    (await withRetry(run, run.policies.read, action, call)).value,
  );
  run.state.availableTypes = catalogue?.availableTypes;
  run.state.downgradeTypes = catalogue?.downgradeTypes;
}

/**
 * The instance is down for a change refused by a cooldown this run did not start (a change made in
 * the console minutes ago): rather than keep it down for up to a whole cooldown, start it again now
 * and plan the change after that cooldown, with the stop in its tail.
 */
async function restartForCooldown(run: Run, e: Replan): Promise<void> {
  run.emit({
    type: "replanning",
    reason: e.reason,
    message: `${e.reason}; starting the instance again rather than keeping it down through that cooldown, then planning the change after it`,
  });
  if (!(await restartIfStopped(run))) throw e.cause ?? e;
  const assumed = e.restartAfterChangeAtMs!;
  run.state.lastChangeMs = Math.max(run.state.lastChangeMs ?? assumed, assumed);
}

/**
 * The final check: success only when a read after the plan shows every item and the promised
 * status. Every step checked its own effect, so anything left was done by someone else, or is a
 * late duplicate of a stop or start sent again after a lost answer — for which the read waits
 * `straySettleSeconds` first. Returns the plan of what is left, or undefined when nothing is.
 */
async function whatIsLeft(run: Run): Promise<Plan | undefined> {
  if (run.state.powerCallResent) {
    run.emit({
      type: "waitingForStatus",
      current: run.state.current?.status ?? "unknown",
      target: "no late duplicate",
      message: `a stop or start was sent twice after a lost answer: checking for ${run.timing.straySettleSeconds} s that no late duplicate lands`,
    });
    await run.clock.sleep(run.timing.straySettleSeconds * 1000, run.signal);
    run.state.powerCallResent = false;
    run.state.dirty = true;
  }
  const final = run.state.dirty || !run.state.current ? await read(run) : run.state.current;
  const check = makePlan(final, run.desired, planContextOf(run));
  return check.kind === "ok" && check.steps.length === 0 ? undefined : check;
}

/** The ApplyError for a failure: after starting again an instance this run stopped. */
async function failure(run: Run, e: unknown): Promise<ApplyError> {
  // Also a refusal: a re-planned round may be refused while this run has the instance stopped.
  const restarted = await restartIfStopped(run);
  // Aborted or failed before the stop (or started again): the instance runs, the marker must go.
  if (!run.state.stoppedByUs && run.state.current && markerIsStale(run.state.current)) await removeMarker(run);
  const restartNote =
    (restarted ? `\nthe instance had been stopped for the change and was started again` : "") +
    (run.state.stoppedByUs ? `\nthe instance is still STOPPED (restart failed); run again to finish, or start it yourself` : "");
  if (e instanceof ApplyError) {
    if (!restarted && !run.state.stoppedByUs) return e;
    return new ApplyError({
      code: e.code,
      message: e.message + restartNote,
      partial: partialOf(run),
      restarted,
      ...(e.refusals ? { refusals: e.refusals } : {}),
      cause: e.cause,
    });
  }
  const aborted = run.signal?.aborted === true && !(e instanceof EngineFailure) && !isEcsApiError(e);
  const code: ApplyErrorCode = aborted ? "Aborted" : e instanceof EngineFailure ? e.code : "ApiError";
  const what = e instanceof Error ? e.message : String(e);
  return new ApplyError({
    code,
    message: `${aborted ? "aborted" : "failed"}: ${what}` + restartNote,
    partial: partialOf(run),
    restarted,
    cause: e,
  });
}
