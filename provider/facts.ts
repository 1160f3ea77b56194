/**
 * Live facts the planner needs beyond the instance itself, read through the client. The one place
 * that decides when the type catalogue (`DescribeResourcesModification`) is asked for: only when a
 * type change is wanted. Used by the preview (`check`) and by the executor, each with its own retry.
 */
import type { EcsApi } from "./client";
import type { InstanceSnapshot } from "./model";
import { wantedInstanceType } from "./plan";
import type { DesiredSpec } from "./schema";

/**
 * The instance types the instance may change to (in stock, allowed), when a type change is wanted;
 * `undefined` when none is (nothing is read then). `retry` wraps the read in the caller's policy.
 */
export async function typeCatalogueFor(
  api: EcsApi,
  actual: InstanceSnapshot,
  desired: DesiredSpec,
  pendingInstanceType: string | undefined,
  retry: <T>(action: string, read: () => Promise<T>) => Promise<T>,
): Promise<string[] | undefined> {
  if (wantedInstanceType(actual, desired, pendingInstanceType) === undefined) return undefined;
  const opts = { allowMigrateAcrossZone: desired.allowMigrateAcrossZone ?? false };
  return retry("DescribeResourcesModification", () => api.describeAvailableInstanceTypes(desired.instanceId, opts));
}
