/**
 * Placing and removing the restore marker (see provider/marker.ts) around a plan that stops the
 * instance. Placed before the plan's first step, so a refusal comes before anything is touched;
 * removed as soon as the instance runs again.
 */
import { classify } from "./policies";
import { hasRestoreMarker, RESTORE_MARKER_KEY, RESTORE_MARKER_VALUE } from "../marker";
import { withRetry } from "./retry";
import { partialOf, type Run } from "./run";
import { ApplyError } from "./types";

/** Tag the instance before a plan that stops it. A refusal refuses the plan unless the caller remembers the status itself. */
export async function placeMarker(run: Run): Promise<void> {
  if (run.state.current && hasRestoreMarker(run.state.current)) return;
  const id = run.desired.instanceId;
  try {
    await withRetry(run, run.policies.read, "TagResources", () => run.api.tagInstance(id, { [RESTORE_MARKER_KEY]: RESTORE_MARKER_VALUE }));
    run.emit({ type: "marker", action: "placed", message: `tagged ${RESTORE_MARKER_KEY}=${RESTORE_MARKER_VALUE}: an interrupted run is finished by the next one` });
    run.state.current = run.state.current && { ...run.state.current, tags: { ...run.state.current.tags, [RESTORE_MARKER_KEY]: RESTORE_MARKER_VALUE } };
  } catch (e) {
    if (classify(e, run.policies.read) !== "fail") throw e;
    const why = e instanceof Error ? e.message : String(e);
    if (run.state.markerFallback) {
      run.emit({
        type: "marker",
        action: "refused",
        message: `could not tag the instance (${why}); going on: the stack's state records that it should run, so an interrupted update is still finished by the next one`,
      });
      return;
    }
    throw new ApplyError({
      code: "Refused",
      message:
        `refused, nothing changed by this step: the plan stops the instance, and tagging it (${RESTORE_MARKER_KEY}) so that an interrupted ` +
        `first run can be finished was refused: ${why}. Grant ecs:TagResources and ecs:UntagResources, or make the first \`pulumi up\` ` +
        `without the type change (later updates can fall back on the stack's state)`,
      refusals: [{ code: "MarkerRefused", field: "instanceId", message: `tagging the instance was refused: ${why}` }],
      partial: partialOf(run),
      cause: e,
    });
  }
}

/** Remove the marker once the instance runs (a failure to remove it is reported, not fatal: the next run removes it). */
export async function removeMarker(run: Run): Promise<void> {
  const current = run.state.current;
  if (!current || !hasRestoreMarker(current)) return;
  try {
    await withRetry(run, run.policies.read, "UntagResources", () => run.api.untagInstance(run.desired.instanceId, [RESTORE_MARKER_KEY]), { signal: undefined });
    const { [RESTORE_MARKER_KEY]: _removed, ...tags } = current.tags;
    run.state.current = { ...current, tags };
    run.emit({ type: "marker", action: "removed", message: `removed the tag ${RESTORE_MARKER_KEY}: the instance runs again` });
  } catch (e) {
    run.emit({
      type: "marker",
      action: "refused",
      message: `could not remove the tag ${RESTORE_MARKER_KEY} (${e instanceof Error ? e.message : String(e)}); the next run removes it — until then, an instance stopped on purpose would be started again by it`,
    });
  }
}
