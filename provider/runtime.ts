/**
 * The implementation behind the serialized provider of {@link InstanceSpec}: thin adapters from
 * Pulumi's dynamic-provider calls to the resize engine. Loaded at run time in the provider process
 * (`require("pulumi-ecs-spec/runtime")`), so nothing here is ever serialized into state. The mapping
 * between Pulumi's inputs/outputs and the engine is in `context.ts`; signals and orphan handling in
 * `lifecycle.ts`.
 *
 * Where things come from, at run time only:
 * - endpoint: the `endpoint` input, else `pulumi-ecs-spec:endpoint` stack config, else
 *   `PULUMI_ECS_SPEC_ENDPOINT`, else the public endpoint of the region;
 * - credentials: `alicloud:accessKey`/`alicloud:secretKey`(/`alicloud:securityToken`) stack
 *   config, else `ALICLOUD_ACCESS_KEY`/`ALICLOUD_SECRET_KEY`, else the `@alicloud/credentials`
 *   default chain (`ALIBABA_CLOUD_ACCESS_KEY_ID`…, OIDC, CLI profile, ECS RAM role);
 * - defaults for every resource of the stack: `pulumi-ecs-spec:cooldownSeconds` and
 *   `pulumi-ecs-spec:estimates` stack config (a resource's own input wins);
 * - the process's API budget: `pulumi-ecs-spec:apiRateLimits` (calls per minute per action).
 *   `PULUMI_ECS_SPEC_API_SCHEDULER=off` sends every call on its own, unbudgeted, as before the
 *   scheduler existed: for the benchmark's comparison only.
 */
import type * as pulumi from "@pulumi/pulumi";
import {
  checkInputs,
  desiredOf,
  estimatesOf,
  expectedStatusAfter,
  EXPECTED_STATUS_KEY,
  isUnknown,
  outputsOf,
  planContextFor,
  recordedInOldInputs,
  recordedInOutputs,
  refreshed,
  settingsChanged,
  shouldStart,
  specInputs,
  type StackDefaults,
} from "./context";
import { apply, ApplyError, readWithRetry, createEcsClient, describePlan, plan, typeCatalogueFor, type InstanceSnapshot } from "./engine";
import type { EcsClient } from "./client";
import { fleetAdapters } from "./fleet/adapter";
import { guardTheProcess, shutdownSignal, trackApply } from "./lifecycle";
import { markerIsStale, RESTORE_MARKER_KEY } from "./marker";
import { wantedInstanceType } from "./plan";
import { configureApiScheduling } from "./scheduler";
import { parseApiRateLimits, parseStackDefaults } from "./stack-config";

interface Settings {
  endpoint?: string;
  /** The CLB endpoint for health checks (`pulumi-ecs-spec:slbEndpoint`); the client falls back to `PULUMI_ECS_SPEC_SLB_ENDPOINT`, then `endpoint`. */
  slbEndpoint?: string;
  credentials?: { accessKeyId: string; accessKeySecret: string; securityToken?: string };
  defaults: StackDefaults;
}

let settings: Settings = { defaults: {} };

/** Reads the stack config once per provider process; keeps secrets in memory only. */
export async function configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
  guardTheProcess();
  const accessKeyId = req.config.get("alicloud:accessKey") ?? process.env.ALICLOUD_ACCESS_KEY;
  const accessKeySecret = req.config.get("alicloud:secretKey") ?? process.env.ALICLOUD_SECRET_KEY;
  const securityToken = req.config.get("alicloud:securityToken") ?? process.env.ALICLOUD_SECURITY_TOKEN;
  settings = {
    endpoint: req.config.get("pulumi-ecs-spec:endpoint") ?? process.env.PULUMI_ECS_SPEC_ENDPOINT,
    slbEndpoint: req.config.get("pulumi-ecs-spec:slbEndpoint"),
    credentials: accessKeyId && accessKeySecret ? { accessKeyId, accessKeySecret, ...(securityToken ? { securityToken } : {}) } : undefined,
    defaults: parseStackDefaults((key) => req.config.get(`pulumi-ecs-spec:${key}`)),
  };
  const limits = parseApiRateLimits((key) => req.config.get(`pulumi-ecs-spec:${key}`));
  configureApiScheduling({ ...(limits ? { limits } : {}), enabled: process.env.PULUMI_ECS_SPEC_API_SCHEDULER !== "off" });
}

function clientFor(inputs: Record<string, unknown>, regionId: string, label = typeof inputs.instanceId === "string" ? inputs.instanceId : "pulumi-ecs-spec"): EcsClient {
  const profile = typeof inputs.credentialsProfile === "string" ? inputs.credentialsProfile : undefined;
  return createEcsClient({
    regionId,
    onBudgetWait: (message) => console.log(`[${label}] ${message}`),
    endpoint: (typeof inputs.endpoint === "string" ? inputs.endpoint : undefined) ?? settings.endpoint,
    ...(settings.slbEndpoint !== undefined ? { slbEndpoint: settings.slbEndpoint } : {}),
    // A profile named on the resource wins over keys from the stack config or the environment.
    ...(profile !== undefined ? { profile } : { credentials: settings.credentials }),
  });
}

/** The adapters of `InstanceSpecFleet` (the fleet's serialized provider calls `runtime.fleet.*`). */
export const fleet = fleetAdapters({ clientFor, defaults: () => settings.defaults });

const retryRead = <T>(_action: string, read: () => Promise<T>): Promise<T> => readWithRetry(read);

function fmtSnapshot(s: InstanceSnapshot): string {
  return `${s.instanceType}, ${s.status}, bandwidth out ${s.internetMaxBandwidthOut} in ${s.internetMaxBandwidthIn} Mbit/s`;
}

/** Pulumi `check`: validates, then shows the plan computed from the live instance as the `plan` input. */
export async function check(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
  const checked = checkInputs(news, settings.defaults);
  if (checked.failures.length > 0) return { failures: checked.failures.map((f) => ({ property: f.property || "instanceId", reason: f.reason })) };
  const desired = checked.desired;
  if (!desired) return { inputs: { ...news, plan: [`planned at apply time: ${checked.unknownFields.join(", ")} not known yet`] } };
  const api = clientFor(news, desired.regionId);
  const read = await readWithRetry(() => api.describeInstance(desired.instanceId, { knownHasLocalDisks: false, priority: "preview" }));
  if (!read) {
    return { failures: [{ property: "instanceId", reason: `instance ${desired.instanceId} was not found in region ${desired.regionId}: check instanceId and regionId (and the credentials' account)` }] };
  }
  const recorded = recordedInOldInputs(olds, news, desired, read);
  // Local disks matter only to a type change: the disks are read only when one is wanted.
  const actual =
    wantedInstanceType(read, desired, recorded.pendingInstanceType) === undefined
      ? read
      : { ...read, hasLocalDisks: await readWithRetry(() => api.hasLocalDisks(desired.instanceId)) };
  const startWhenDone = shouldStart(olds[EXPECTED_STATUS_KEY], recorded.stoppedByEngine, actual);
  const catalogue = await typeCatalogueFor(api, actual, desired, recorded.pendingInstanceType, retryRead);
  const result = plan(actual, desired, {
    ...planContextFor(recorded, startWhenDone, estimatesOf(news, settings.defaults), new Date()),
    ...(catalogue ?? {}),
  });
  if (result.kind === "refused") {
    return { failures: result.refusals.map((r) => ({ property: r.field ?? "instanceId", reason: r.message })) };
  }
  const lines = [
    `live ${new Date().toISOString().slice(0, 19)}Z: ${fmtSnapshot(actual)}`,
    ...describePlan(result),
    ...(markerIsStale(actual) ? [`removes the tag ${RESTORE_MARKER_KEY} an interrupted run left on the running instance`] : []),
  ];
  return { inputs: { ...news, plan: lines, [EXPECTED_STATUS_KEY]: expectedStatusAfter(actual, startWhenDone) } };
}

/** Pulumi `diff`: the desired spec against the live instance (one `DescribeInstances`). */
export async function diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.DiffResult> {
  const replaces = ["instanceId", "regionId"].filter((k) => olds[k] !== news[k]);
  if (replaces.length > 0) return { changes: true, replaces, deleteBeforeReplace: true };
  if (isUnknown(specInputs(news))) return { changes: true };
  const parsed = desiredOf(news, settings.defaults);
  if (!parsed.ok) return { changes: true };
  const api = clientFor(news, parsed.value.regionId);
  const actual = await readWithRetry(() => api.describeInstance(parsed.value.instanceId, { knownHasLocalDisks: false, priority: "preview" }));
  if (!actual) return { changes: true };
  const recorded = recordedInOutputs(olds);
  const startWhenDone = shouldStart(news[EXPECTED_STATUS_KEY], recorded.stoppedByEngine, actual);
  const result = plan(actual, parsed.value, planContextFor(recorded, startWhenDone, estimatesOf(news, settings.defaults), new Date()));
  return { changes: result.kind === "refused" || result.steps.length > 0 || markerIsStale(actual) || settingsChanged(olds, news) };
}

async function run(id: string | undefined, inputs: Record<string, unknown>, olds: Record<string, unknown>): Promise<Record<string, unknown>> {
  const parsed = desiredOf(inputs, settings.defaults);
  if (!parsed.ok) throw new Error(parsed.failures.map((f) => `${f.property}: ${f.reason}`).join("; "));
  const desired = parsed.value;
  const api = clientFor(inputs, desired.regionId);
  const recorded = recordedInOutputs(olds);
  try {
    const result = await trackApply(() =>
      apply({
        api,
        desired,
        ...(recorded.lastChangeAt ? { lastChangeAt: recorded.lastChangeAt } : {}),
        ...(recorded.appliedTemporaryBandwidth ? { appliedTemporaryBandwidth: recorded.appliedTemporaryBandwidth } : {}),
        ...(recorded.pendingInstanceType !== undefined ? { pendingInstanceType: recorded.pendingInstanceType } : {}),
        ...(recorded.observed ? { observed: recorded.observed } : {}),
        startWhenDone: shouldStart(inputs[EXPECTED_STATUS_KEY], recorded.stoppedByEngine),
        // An update's state records whether the instance should run; a first `up` has nothing.
        markerFallback: olds[EXPECTED_STATUS_KEY] === "Running",
        timing: estimatesOf(inputs, settings.defaults),
        onProgress: (e) => {
          if (e.type !== "plan") console.log(`[${desired.instanceId}] ${e.message}`);
        },
        // The apply's own deadline (timeoutSeconds) is the executor's; this is the engine's interrupt.
        signal: shutdownSignal,
      }),
    );
    return outputsOf(inputs, result, olds);
  } catch (error) {
    if (error instanceof ApplyError) {
      // A partial failure: the engine records what really happened, and the next `pulumi up`
      // plans again from the live instance to finish the job.
      const outs = outputsOf(inputs, error.partial, olds);
      const message = `${desired.instanceId}: ${error.message}${error.restarted ? " (the instance was started again)" : ""}`;
      throw Object.assign(new Error(message), { id: id ?? desired.instanceId, properties: outs, reasons: [message] });
    }
    throw error;
  }
}

/** Pulumi `create`: adopts the existing instance and applies the desired spec. */
export async function create(inputs: Record<string, unknown>): Promise<pulumi.dynamic.CreateResult> {
  const outs = await run(undefined, inputs, {});
  return { id: String(inputs.instanceId), outs };
}

/** Pulumi `update`: applies the desired spec from the live state. */
export async function update(id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.UpdateResult> {
  return { outs: await run(id, news, olds) };
}

/**
 * Pulumi `read` (`pulumi refresh`): the live instance; an empty id when it no longer exists.
 * Refresh accepts the live status as the one expected from now on.
 */
export async function read(id: string, props: Record<string, unknown>): Promise<pulumi.dynamic.ReadResult> {
  const api = clientFor(props, String(props.regionId));
  const live = await readWithRetry(() => api.describeInstance(id, { knownHasLocalDisks: false, priority: "preview" }));
  if (!live) return {};
  return { id, ...refreshed(props, live) };
}

/** Pulumi `delete`: the instance is left exactly as it is; only Pulumi stops managing its spec. */
export async function deleteResource(id: string): Promise<void> {
  console.log(`[${id}] removed from the stack; the instance is left as it is (pulumi-ecs-spec never deletes or resizes on delete)`);
}
export { deleteResource as delete };
