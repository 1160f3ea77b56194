/**
 * Live facts the planner needs beyond the instance itself, read through the client. The one place
 * that decides when the type catalogue (`DescribeResourcesModification`) is asked for: only when a
 * type change is wanted. Used by the preview (`check`) and by the executor, each with its own retry.
 */
import type { EcsApi } from "./client";
import type { InstanceSnapshot } from "./model";
import { wantedInstanceType } from "./plan";
import type { DesiredSpec } from "./schema";

/** The type catalogue the planner needs: what the instance may change to, and (subscription) which of it is a downgrade. */
export interface TypeCatalogue {
  /** Types the instance may change to (in stock, allowed). */
  readonly availableTypes: string[];
  /** Subscription instances: those of `availableTypes` that are a downgrade (a refund, on a Stopped instance). */
  readonly downgradeTypes?: string[];
}

/**
 * The type catalogue, when a type change is wanted; `undefined` when none is (nothing is read
 * then). A subscription instance's catalogue is read twice, `OperationType=Upgrade` and
 * `Downgrade`: the direction decides the plan (an upgrade may run while Running) and the money (an
 * order to pay, or a refund). `retry` wraps each read in the caller's policy.
 */
export async function typeCatalogueFor(
  api: EcsApi,
  actual: InstanceSnapshot,
  desired: DesiredSpec,
  pendingInstanceType: string | undefined,
  retry: <T>(action: string, read: () => Promise<T>) => Promise<T>,
): Promise<TypeCatalogue | undefined> {
  if (wantedInstanceType(actual, desired, pendingInstanceType) === undefined) return undefined;
  const opts = { allowMigrateAcrossZone: desired.allowMigrateAcrossZone ?? false };
  const upgrades = await retry("DescribeResourcesModification", () => api.describeAvailableInstanceTypes(desired.instanceId, opts));
  if (actual.instanceChargeType !== "PrePaid") return { availableTypes: upgrades };
  const downgrades = await retry("DescribeResourcesModification", () =>
    api.describeAvailableInstanceTypes(desired.instanceId, { ...opts, operationType: "Downgrade" }),
  );
  return { availableTypes: [...new Set([...upgrades, ...downgrades])].sort(), downgradeTypes: downgrades };
}
