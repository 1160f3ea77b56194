/**
 * The implementation behind the serialized provider of {@link InstanceSpec}: thin adapters from
 * Pulumi's dynamic-provider calls to the resize engine. Loaded at run time in the provider process
 * (`require("pulumi-ecs-spec/runtime")`), so nothing here is ever serialized into state.
 *
 * Where things come from, at run time only:
 * - endpoint: the `endpoint` input, else `pulumi-ecs-spec:endpoint` stack config, else
 *   `PULUMI_ECS_SPEC_ENDPOINT`, else the public endpoint of the region;
 * - credentials: `alicloud:accessKey`/`alicloud:secretKey`(/`alicloud:securityToken`) stack
 *   config, else `ALICLOUD_ACCESS_KEY`/`ALICLOUD_SECRET_KEY`, else the `@alicloud/credentials`
 *   default chain (`ALIBABA_CLOUD_ACCESS_KEY_ID`…, OIDC, CLI profile, ECS RAM role).
 */
import type * as pulumi from "@pulumi/pulumi";
import * as net from "node:net";
import { isDeepStrictEqual } from "node:util";
import { apply, ApplyError, readWithRetry, createEcsClient, describePlan, parseDesiredSpec, plan, type AppliedStep, type DesiredSpec, type EcsApi, type Estimates, type InstanceSnapshot, type PlanContext, type TemporaryBandwidth } from "./engine";

/** The placeholder Pulumi passes for values not known yet during preview. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * A hidden input (keys starting with `__` are not shown in diffs) recording the status the
 * instance should be in after the apply that recorded it. An instance found Stopped when it should
 * run (an apply interrupted after its stop) is started again; `pulumi refresh` accepts a stop made
 * on purpose. Kept in the inputs because `check`, which shows the plan, sees only old inputs.
 */
const EXPECTED_STATUS_KEY = "__expectedStatus";

/** Inputs that belong to the Pulumi resource (how to connect, what to expect), not to the desired spec. */
const CONNECTION_KEYS = ["endpoint", "credentialsProfile", "estimates"] as const;
/** Outputs an apply records (the rest of the outputs echo the inputs). */
const APPLY_OUTPUT_KEYS = ["actual", "lastChangeAt", "lastApply", "engineState"] as const;
/** Properties the provider or the engine computes; never user input. */
const COMPUTED_KEYS = [...APPLY_OUTPUT_KEYS, "plan", "__provider", EXPECTED_STATUS_KEY] as const;

interface Settings {
  endpoint?: string;
  credentials?: { accessKeyId: string; accessKeySecret: string; securityToken?: string };
}

let settings: Settings = {};

/** Reads the stack config once per provider process; keeps secrets in memory only. */
export async function configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
  guardTheProcess();
  const accessKeyId = req.config.get("alicloud:accessKey") ?? process.env.ALICLOUD_ACCESS_KEY;
  const accessKeySecret = req.config.get("alicloud:secretKey") ?? process.env.ALICLOUD_SECRET_KEY;
  const securityToken = req.config.get("alicloud:securityToken") ?? process.env.ALICLOUD_SECURITY_TOKEN;
  settings = {
    endpoint: req.config.get("pulumi-ecs-spec:endpoint") ?? process.env.PULUMI_ECS_SPEC_ENDPOINT,
    credentials: accessKeyId && accessKeySecret ? { accessKeyId, accessKeySecret, ...(securityToken ? { securityToken } : {}) } : undefined,
  };
}

/** Stopped, or on its way there. */
function isDown(s: InstanceSnapshot): boolean {
  return s.status === "Stopped" || s.status === "Stopping";
}

function isUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(isUnknown);
  if (value && typeof value === "object") return Object.values(value).some(isUnknown);
  return false;
}

/** The user's desired spec out of the resource's inputs (computed and connection keys removed). */
function specInputs(inputs: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(inputs)) {
    if ((COMPUTED_KEYS as readonly string[]).includes(key) || (CONNECTION_KEYS as readonly string[]).includes(key)) continue;
    if (value === undefined || value === null) continue;
    out[key] = value;
  }
  return out;
}

function clientFor(inputs: Record<string, unknown>, regionId: string): EcsApi {
  const profile = typeof inputs.credentialsProfile === "string" ? inputs.credentialsProfile : undefined;
  return createEcsClient({
    regionId,
    endpoint: (typeof inputs.endpoint === "string" ? inputs.endpoint : undefined) ?? settings.endpoint,
    // A profile named on the resource wins over keys from the stack config or the environment.
    ...(profile !== undefined ? { profile } : { credentials: settings.credentials }),
  });
}

/** Drops `undefined` (protobuf cannot carry it), deeply. */
function defined<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function actualOf(s: InstanceSnapshot) {
  return {
    instanceType: s.instanceType,
    internetMaxBandwidthOut: s.internetMaxBandwidthOut,
    internetMaxBandwidthIn: s.internetMaxBandwidthIn,
    status: s.status,
    zoneId: s.zoneId,
    instanceChargeType: s.instanceChargeType,
  };
}

/**
 * What `DescribeInstances` cannot show and the next apply must know, kept in the outputs: the
 * temporary window applied, a type change accepted on a Stopped instance that shows only after its
 * next start, and whether this engine left the instance stopped.
 */
interface EngineState {
  appliedTemporaryBandwidth?: TemporaryBandwidth;
  pendingInstanceType?: string;
  stoppedByEngine?: boolean;
}

/** The `estimates` input: how long a stop and a start take for this instance (plan and progress only). */
function estimatesOf(inputs: Record<string, unknown>): Partial<Estimates> {
  const e = (inputs.estimates ?? {}) as Record<string, unknown>;
  const out: { -readonly [K in keyof Estimates]?: number } = {};
  for (const key of ["stopSeconds", "startSeconds", "stopLeadSeconds"] as const) {
    const value = e[key];
    if (typeof value === "number" && value >= 0) out[key] = value;
  }
  return out;
}

function dateOrUndefined(value: unknown): Date | undefined {
  return typeof value === "string" && !Number.isNaN(Date.parse(value)) ? new Date(value) : undefined;
}

function fmtSnapshot(s: InstanceSnapshot): string {
  return `${s.instanceType}, ${s.status}, bandwidth out ${s.internetMaxBandwidthOut} in ${s.internetMaxBandwidthIn} Mbit/s`;
}

/** Pulumi `check`: validates, then shows the plan computed from the live instance as the `plan` input. */
export async function check(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
  const raw = specInputs(news);
  const unknownFields = Object.keys(raw).filter((k) => isUnknown(raw[k]));
  const known = Object.fromEntries(Object.entries(raw).filter(([k]) => !unknownFields.includes(k)));
  const parsed = parseDesiredSpec({ instanceId: "i-unknown", regionId: "xx-unknown", ...known });
  const failures = parsed.ok ? [] : parsed.failures.filter((f) => !unknownFields.some((u) => f.property === u || f.property.startsWith(u + ".")));
  if (failures.length > 0) return { failures: failures.map((f) => ({ property: f.property || "instanceId", reason: f.reason })) };
  if (unknownFields.length > 0 || !parsed.ok) {
    return { inputs: { ...news, plan: [`planned at apply time: ${unknownFields.join(", ")} not known yet`] } };
  }
  const desired = parsed.value;
  const api = clientFor(news, desired.regionId);
  const actual = await readWithRetry(() => api.describeInstance(desired.instanceId));
  if (!actual) {
    return { failures: [{ property: "instanceId", reason: `instance ${desired.instanceId} was not found in region ${desired.regionId}: check instanceId and regionId (and the credentials' account)` }] };
  }
  const typeChange = desired.instanceType !== undefined && desired.instanceType !== actual.instanceType;
  const startWhenDone = olds[EXPECTED_STATUS_KEY] === "Running" && isDown(actual);
  // Only old inputs are visible here: a window or a type already asked for by the last recorded
  // apply is taken as applied (diff and update use the exact record in the outputs).
  const sameAsBefore = (key: string) => olds[key] !== undefined && isDeepStrictEqual(olds[key], news[key]);
  const result = plan(actual, desired, {
    now: new Date(),
    estimates: estimatesOf(news),
    startWhenDone,
    appliedTemporaryBandwidth: sameAsBefore("temporaryBandwidth") ? desired.temporaryBandwidth : undefined,
    pendingInstanceType: sameAsBefore("instanceType") && actual.status === "Stopped" && !startWhenDone ? desired.instanceType : undefined,
    availableTypes: typeChange
      ? await readWithRetry(() => api.describeAvailableInstanceTypes(desired.instanceId, { allowMigrateAcrossZone: desired.allowMigrateAcrossZone ?? false }))
      : undefined,
  });
  if (result.kind === "refused") {
    return { failures: result.refusals.map((r) => ({ property: r.field ?? "instanceId", reason: r.message })) };
  }
  const endsRunning = !isDown(actual) || startWhenDone;
  const lines = [`live ${new Date().toISOString().slice(0, 19)}Z: ${fmtSnapshot(actual)}`, ...describePlan(result)];
  return { inputs: { ...news, plan: lines, [EXPECTED_STATUS_KEY]: endsRunning ? "Running" : "Stopped" } };
}

/** The plan context the last apply's record gives (old outputs). */
function recordedContext(olds: Record<string, unknown>): Omit<PlanContext, "now"> {
  const engineState = (olds.engineState ?? {}) as EngineState;
  return {
    lastChangeAt: dateOrUndefined(olds.lastChangeAt),
    appliedTemporaryBandwidth: engineState.appliedTemporaryBandwidth,
    pendingInstanceType: engineState.pendingInstanceType,
  };
}

/** Pulumi `diff`: the desired spec against the live instance (one `DescribeInstances`). */
export async function diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.DiffResult> {
  const replaces = ["instanceId", "regionId"].filter((k) => olds[k] !== news[k]);
  if (replaces.length > 0) return { changes: true, replaces, deleteBeforeReplace: true };
  const raw = specInputs(news);
  if (isUnknown(raw)) return { changes: true };
  const parsed = parseDesiredSpec(raw);
  if (!parsed.ok) return { changes: true };
  const api = clientFor(news, parsed.value.regionId);
  const actual = await readWithRetry(() => api.describeInstance(parsed.value.instanceId, { knownHasLocalDisks: false }));
  if (!actual) return { changes: true };
  const startWhenDone = news[EXPECTED_STATUS_KEY] === "Running" && isDown(actual);
  const result = plan(actual, parsed.value, { now: new Date(), estimates: estimatesOf(news), startWhenDone, ...recordedContext(olds) });
  const settingsChanged = [...new Set([...Object.keys(specInputs(olds)), ...Object.keys(raw), ...CONNECTION_KEYS])].some(
    (k) => !isDeepStrictEqual(olds[k], news[k]),
  );
  return { changes: result.kind === "refused" || result.steps.length > 0 || settingsChanged };
}

function outputsOf(
  inputs: Record<string, unknown>,
  result: { after?: InstanceSnapshot; steps: readonly AppliedStep[]; lastChangeAt?: string; appliedTemporaryBandwidth?: TemporaryBandwidth; pendingInstanceType?: string; stoppedByEngine?: boolean },
  previous: Record<string, unknown>,
): Record<string, unknown> {
  const engineState: EngineState = {
    appliedTemporaryBandwidth: result.appliedTemporaryBandwidth,
    pendingInstanceType: result.pendingInstanceType,
    stoppedByEngine: result.stoppedByEngine || undefined,
  };
  return defined({
    ...inputs,
    actual: result.after ? actualOf(result.after) : previous.actual,
    lastChangeAt: result.lastChangeAt ?? previous.lastChangeAt,
    lastApply: result.steps
      .filter((s) => s.action !== undefined)
      .map((s) => ({ action: s.action, params: s.params ?? {}, requestId: s.requestId ?? "", outcome: s.outcome, startedAt: s.startedAt, finishedAt: s.finishedAt, attempts: s.attempts })),
    engineState,
  });
}

/**
 * The CLI runs this process in a process group of its own, so a terminal's Ctrl-C does not reach
 * it; the CLI itself sends SIGINT when it shuts its plugins down (after a second Ctrl-C, say), and
 * SIGKILL 5 s later if it is still there to. Dying on that SIGINT could leave an instance stopped in
 * the middle of a type change; instead every apply in flight is aborted, which makes the engine
 * send `StartInstance` for an instance it stopped (within milliseconds) and report a partial
 * failure, and the process exits once they have settled. With nothing in flight, or at a second
 * signal, it exits at once.
 */
const shutdown = new AbortController();
let appliesInFlight = 0;
let processGuarded = false;

/** How often the guard looks for settled applies and a gone engine. */
const GUARD_TICK_MS = 1000;

/**
 * The engine's address, which the CLI passes to the provider process as its argument
 * (`…/dynamic-provider/index.js 127.0.0.1:PORT`); undefined when not run as a plugin.
 */
function engineAddress(): { host: string; port: number } | undefined {
  for (const arg of process.argv.slice(2)) {
    const m = /^\[?([\w.:-]+?)\]?:(\d+)$/.exec(arg);
    if (m) return { host: m[1]!, port: Number(m[2]) };
  }
  return undefined;
}

/** Resolves false when nothing listens at `address` any more (the CLI is gone). */
function engineAnswers(address: { host: string; port: number }): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(address.port, address.host);
    socket.setTimeout(5000);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", (e: NodeJS.ErrnoException) => resolve(e.code !== "ECONNREFUSED"));
  });
}

/**
 * Once per provider process: the signal handling above, and two guards for a CLI that died
 * without a word (killed alone), which leaves this process orphaned with its output pipes closed.
 * Writing a progress line then fails with EPIPE; the dynamic-provider host logs uncaught errors to
 * the same closed pipe, which fails again, forever, at full CPU and growing memory. So write errors
 * on stdout/stderr are dropped, the orphaned apply runs to its end, and the process exits as soon
 * as nothing is in flight and the engine no longer answers at its address.
 */
function guardTheProcess(): void {
  if (processGuarded) return;
  processGuarded = true;
  process.stdout.on("error", () => undefined);
  process.stderr.on("error", () => undefined);
  const engine = engineAddress();
  let orphaned = false;
  let probing = false;
  setInterval(() => {
    if ((orphaned || shutdown.signal.aborted) && appliesInFlight === 0) process.exit(orphaned ? 0 : 130);
    if (engine && !orphaned && !probing) {
      probing = true;
      void engineAnswers(engine).then((answers) => {
        orphaned = !answers;
        probing = false;
      });
    }
  }, GUARD_TICK_MS).unref();
  const onSignal = (signal: NodeJS.Signals) => {
    if (appliesInFlight === 0 || shutdown.signal.aborted) process.exit(130);
    console.log(`pulumi-ecs-spec: ${signal}: interrupting ${appliesInFlight} apply(s); an instance they stopped is started again first`);
    shutdown.abort(new Error(`interrupted by ${signal}`));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

async function run(id: string | undefined, inputs: Record<string, unknown>, olds: Record<string, unknown>): Promise<Record<string, unknown>> {
  const parsed = parseDesiredSpec(specInputs(inputs));
  if (!parsed.ok) throw new Error(parsed.failures.map((f) => `${f.property}: ${f.reason}`).join("; "));
  const desired: DesiredSpec = parsed.value;
  const api = clientFor(inputs, desired.regionId);
  const recorded = recordedContext(olds);
  const engineState = (olds.engineState ?? {}) as EngineState;
  guardTheProcess();
  appliesInFlight++;
  try {
    const result = await apply({
      api,
      desired,
      lastChangeAt: recorded.lastChangeAt,
      appliedTemporaryBandwidth: recorded.appliedTemporaryBandwidth,
      pendingInstanceType: recorded.pendingInstanceType,
      startWhenDone: engineState.stoppedByEngine === true || inputs[EXPECTED_STATUS_KEY] === "Running",
      timing: estimatesOf(inputs),
      onProgress: (e) => {
        if (e.type !== "plan") console.log(`[${desired.instanceId}] ${e.message}`);
      },
      signal: AbortSignal.any([AbortSignal.timeout(desired.timeoutSeconds * 1000), shutdown.signal]),
    });
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
  } finally {
    appliesInFlight--;
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
  const regionId = String(props.regionId);
  const api = clientFor(props, regionId);
  const live = await readWithRetry(() => api.describeInstance(id, { knownHasLocalDisks: false }));
  if (!live) return {};
  const inputs = Object.fromEntries(Object.entries(props).filter(([k]) => !(APPLY_OUTPUT_KEYS as readonly string[]).includes(k)));
  return {
    id,
    props: defined({ ...props, actual: actualOf(live) }),
    inputs: defined({ ...inputs, [EXPECTED_STATUS_KEY]: isDown(live) ? "Stopped" : "Running" }),
  };
}

/** Pulumi `delete`: the instance is left exactly as it is; only Pulumi stops managing its spec. */
export async function deleteResource(id: string): Promise<void> {
  console.log(`[${id}] removed from the stack; the instance is left as it is (pulumi-ecs-spec never deletes or resizes on delete)`);
}
export { deleteResource as delete };
