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
        await runPlan(run, p);
      } catch (e) {
        if (!(e instanceof Replan) || round >= MAX_REPLANS) throw e instanceof Replan ? (e.cause ?? e) : e;
        run.emit({ type: "replanning", reason: e.reason, message: `the instance changed under the plan (${e.reason}); reading it and planning again` });
        continue;
      }
      await checkConverged(run);
      break;
    }
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
  const types = await typeCatalogueFor(run.api, actual, run.desired, run.state.pendingType, async (action, call) =>
    (await withRetry(run, run.policies.read, action, call)).value,
  );
  run.state.availableTypes = types;
}

/** Every step checked its own effect; anything still to do now was changed by someone else. */
async function checkConverged(run: Run): Promise<void> {
  const final = run.state.dirty || !run.state.current ? await read(run) : run.state.current;
  const check = makePlan(final, run.desired, planContextOf(run));
  if (check.kind === "ok" && check.steps.length === 0) return;
  throw new EngineFailure(
    "NotConverged",
    `instance ${run.desired.instanceId} does not match the desired spec after the plan ran (changed elsewhere?); still to do:\n${describePlan(check).join("\n")}`,
  );
}

/** The ApplyError for a failure: after starting again an instance this run stopped. */
async function failure(run: Run, e: unknown): Promise<ApplyError> {
  if (e instanceof ApplyError) return e;
  const restarted = await restartIfStopped(run);
  const aborted = run.signal?.aborted === true && !(e instanceof EngineFailure) && !isEcsApiError(e);
  const code: ApplyErrorCode = aborted ? "Aborted" : e instanceof EngineFailure ? e.code : "ApiError";
  const what = e instanceof Error ? e.message : String(e);
  return new ApplyError({
    code,
    message:
      `${aborted ? "aborted" : "failed"}: ${what}` +
      (restarted ? `\nthe instance had been stopped for the change and was started again` : "") +
      (run.state.stoppedByUs ? `\nthe instance is still STOPPED (restart failed); run again to finish, or start it yourself` : ""),
    partial: partialOf(run),
    restarted,
    cause: e,
  });
}
