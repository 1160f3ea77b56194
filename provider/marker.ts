/**
 * The restore marker: a tag this tool puts on an instance right before a plan that stops it, and
 * removes once the instance runs again. It records, in the cloud itself, that the instance is down
 * only because a run stopped it for a change: a run killed in between (even a first `pulumi up`,
 * whose Pulumi state was never written) is finished by the next one, which starts the instance
 * again. An instance stopped on purpose carries no marker and stays stopped. Pure; no I/O.
 */
import { isDown, type InstanceSnapshot } from "./model";

/** The tag key. Not under the reserved `aliyun`/`acs:` prefixes. */
export const RESTORE_MARKER_KEY = "pulumi-ecs-spec:restore-status";
/** The tag value: the status to restore. */
export const RESTORE_MARKER_VALUE = "Running";

/** True when the instance carries the marker. */
export function hasRestoreMarker(s: InstanceSnapshot): boolean {
  return s.tags[RESTORE_MARKER_KEY] === RESTORE_MARKER_VALUE;
}

/** True when the marker says a run stopped the instance and it must be started again. */
export function markerSaysStart(s: InstanceSnapshot): boolean {
  return hasRestoreMarker(s) && isDown(s);
}

/** True when the marker is left on an instance that runs (an interrupted run's leftover): remove it. */
export function markerIsStale(s: InstanceSnapshot): boolean {
  return hasRestoreMarker(s) && (s.status === "Running" || s.status === "Starting");
}
