/**
 * The one mapping between Pulumi's view of a resource and the engine's: from the inputs and outputs
 * Pulumi recorded (plus the stack's defaults) to the desired spec, what the last apply left behind,
 * the planner's context and `startWhenDone`; and from an apply's result back to outputs. Used by
 * `check`, `diff`, `read`, `create` and `update`; pure (no I/O, no Pulumi imports).
 */
import { isDeepStrictEqual } from "node:util";
import type { AppliedStep, ObservedDurations } from "./executor";
import { markerSaysStart } from "./marker";
import { isDown, type InstanceSnapshot } from "./model";
import type { Estimates, PlanContext } from "./plan";
import { parseDesiredSpec, TemporaryBandwidthSchema, type DesiredSpec, type ParseResult, type SpecFailure, type TemporaryBandwidth } from "./schema";

/** The placeholder Pulumi passes for values not known yet during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * A hidden input (keys starting with `__` are not shown in diffs) recording the status the
 * instance should be in after the apply that recorded it. An instance found Stopped when it should
 * run (an apply interrupted after its stop) is started again; `pulumi refresh` accepts a stop made
 * on purpose. Kept in the inputs because `check`, which shows the plan, sees only old inputs.
 */
export const EXPECTED_STATUS_KEY = "__expectedStatus";

/** Inputs that belong to the Pulumi resource (how to connect, what to expect), not to the desired spec. */
export const CONNECTION_KEYS = ["endpoint", "credentialsProfile", "estimates"] as const;
/** Outputs an apply records (the rest of the outputs echo the inputs). */
export const APPLY_OUTPUT_KEYS = ["actual", "lastChangeAt", "lastApply", "engineState"] as const;
/** Properties the provider or the engine computes; never user input. */
const COMPUTED_KEYS = [...APPLY_OUTPUT_KEYS, "plan", "__provider", EXPECTED_STATUS_KEY] as const;

/** Estimate keys a resource (or the stack) may set. */
export const ESTIMATE_KEYS = ["stopSeconds", "startSeconds", "stopLeadSeconds", "orderSeconds"] as const;

/**
 * Defaults for every resource of a stack, from stack config (`pulumi-ecs-spec:cooldownSeconds`,
 * `pulumi-ecs-spec:estimates`): a compressed simulator, say, is described once, not per resource.
 * A resource's own input wins.
 */
export interface StackDefaults {
  readonly cooldownSeconds?: number;
  readonly estimates?: Partial<Estimates>;
}

/**
 * What `DescribeInstances` cannot show and the next apply must know, kept in the outputs: the
 * temporary window applied, a type change accepted on a Stopped instance that shows only after its
 * next start, whether this engine left the instance stopped, and the stop/start durations seen.
 */
export interface EngineState {
  appliedTemporaryBandwidth?: TemporaryBandwidth;
  pendingInstanceType?: string;
  stoppedByEngine?: boolean;
  observed?: ObservedDurations;
}

/** What the last apply left behind, as far as the caller can know it. */
export interface Recorded {
  readonly lastChangeAt?: Date;
  readonly appliedTemporaryBandwidth?: TemporaryBandwidth;
  readonly pendingInstanceType?: string;
  readonly stoppedByEngine: boolean;
  readonly observed?: ObservedDurations;
}

/** True for a value (or a value holding one) not known yet at preview. */
export function isUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(isUnknown);
  if (value && typeof value === "object") return Object.values(value).some(isUnknown);
  return false;
}


/** The user's desired spec out of the resource's inputs (computed and connection keys removed). */
export function specInputs(inputs: Record<string, unknown>): Record<string, unknown> {
  // fromEntries defines own properties: an input named `__proto__` stays a key the schema refuses,
  // where `out[key] = value` would have swapped the object's prototype and hidden it.
  return Object.fromEntries(
    Object.entries(inputs).filter(
      ([key, value]) =>
        !(COMPUTED_KEYS as readonly string[]).includes(key) &&
        !(CONNECTION_KEYS as readonly string[]).includes(key) &&
        value !== undefined &&
        value !== null,
    ),
  );
}

/**
 * Objects among the inputs whose prototype is not a plain object's: a deserializer that copies keys
 * with `obj[key] = value` turns an input named `__proto__` into the object's prototype, so the key
 * never shows among its own keys. Each is reported as the `__proto__` field where it was found.
 */
export function prototypeFailures(value: unknown, path: readonly string[] = []): SpecFailure[] {
  if (value === null || typeof value !== "object") return [];
  const proto = Object.getPrototypeOf(value);
  const own: SpecFailure[] =
    Array.isArray(value) || proto === Object.prototype || proto === null
      ? []
      : [{ property: [...path, "__proto__"].join("."), reason: "unknown field __proto__: remove it (it is never a setting)" }];
  return [...own, ...Object.entries(value).flatMap(([k, v]) => prototypeFailures(v, [...path, k]))];
}

/**
 * The `estimates` input: an object of known estimate keys, each a number of seconds, 0 or more.
 * Checked at `check`, so a typo or a negative value is named there rather than silently ignored.
 */
function estimateFailures(estimates: unknown): SpecFailure[] {
  if (estimates === undefined || estimates === null || estimates === UNKNOWN) return [];
  const usage = `e.g. estimates: { stopSeconds: 45, startSeconds: 45 } (keys: ${ESTIMATE_KEYS.join(", ")})`;
  if (typeof estimates !== "object" || Array.isArray(estimates)) {
    return [{ property: "estimates", reason: `estimates must be an object of seconds; ${usage}` }];
  }
  return Object.entries(estimates).flatMap(([key, value]): SpecFailure[] => {
    const property = `estimates.${key}`;
    if (!(ESTIMATE_KEYS as readonly string[]).includes(key)) {
      return [{ property, reason: `unknown estimate ${key}: remove it, or use one of ${ESTIMATE_KEYS.join(", ")}` }];
    }
    if (value !== UNKNOWN && (typeof value !== "number" || !Number.isFinite(value) || value < 0)) {
      return [{ property, reason: `${property} must be a number of seconds, 0 or more; got ${JSON.stringify(value)}` }];
    }
    return [];
  });
}

/** The stack's defaults under the resource's spec inputs. */
function withDefaults(spec: Record<string, unknown>, defaults: StackDefaults): Record<string, unknown> {
  return defaults.cooldownSeconds !== undefined && spec.cooldownSeconds === undefined ? { ...spec, cooldownSeconds: defaults.cooldownSeconds } : spec;
}

/** The validated desired spec of a resource's inputs, with the stack's defaults. */
export function desiredOf(inputs: Record<string, unknown>, defaults: StackDefaults): ParseResult {
  const parsed = parseDesiredSpec(withDefaults(specInputs(inputs), defaults));
  const shape = prototypeFailures(inputs);
  return shape.length === 0 ? parsed : { ok: false, failures: [...shape, ...(parsed.ok ? [] : parsed.failures)] };
}

/**
 * Validation at preview: the known fields are validated, unknown ones (`UNKNOWN`) are let through;
 * so are the `estimates`. `desired` is set only when every field is known and valid.
 */
export function checkInputs(
  inputs: Record<string, unknown>,
  defaults: StackDefaults,
): { readonly failures: readonly SpecFailure[]; readonly unknownFields: readonly string[]; readonly desired?: DesiredSpec } {
  const raw = specInputs(inputs);
  const unknownFields = Object.keys(raw).filter((k) => isUnknown(raw[k]));
  const known = Object.fromEntries(Object.entries(raw).filter(([k]) => !unknownFields.includes(k)));
  const parsed = parseDesiredSpec(withDefaults({ instanceId: "i-unknown", regionId: "xx-unknown", ...known }, defaults));
  const failures = [
    ...prototypeFailures(inputs),
    ...(parsed.ok ? [] : parsed.failures.filter((f) => !unknownFields.some((u) => f.property === u || f.property.startsWith(u + ".")))),
    ...estimateFailures(inputs.estimates),
  ];
  const complete = failures.length === 0 && unknownFields.length === 0 && parsed.ok;
  return { failures, unknownFields, ...(complete ? { desired: parsed.value } : {}) };
}

/** The estimates of a resource: its `estimates` input over the stack's. Plan and polling only. */
export function estimatesOf(inputs: Record<string, unknown>, defaults: StackDefaults): Partial<Estimates> {
  const e = (inputs.estimates ?? {}) as Record<string, unknown>;
  const out: { -readonly [K in keyof Estimates]?: number } = { ...defaults.estimates };
  for (const key of ESTIMATE_KEYS) {
    const value = e[key];
    if (typeof value === "number" && value >= 0) out[key] = value;
  }
  return out;
}

function dateOrUndefined(value: unknown): Date | undefined {
  return typeof value === "string" && !Number.isNaN(Date.parse(value)) ? new Date(value) : undefined;
}

/** What the last apply recorded in the outputs (`diff`, `update`). */
export function recordedInOutputs(olds: Record<string, unknown>): Recorded {
  const engineState = (olds.engineState ?? {}) as EngineState;
  return {
    lastChangeAt: dateOrUndefined(olds.lastChangeAt),
    appliedTemporaryBandwidth: engineState.appliedTemporaryBandwidth,
    pendingInstanceType: engineState.pendingInstanceType,
    stoppedByEngine: engineState.stoppedByEngine === true,
    observed: engineState.observed,
  };
}

/**
 * What `check` can infer from old *inputs* only (it never sees outputs): a window or a type already
 * asked for by the last recorded apply is taken as applied; `diff` and `update` use the exact record.
 * An old window is passed on even when the new one differs: the planner decides whether they are
 * the same (two begun windows with one end and bandwidth are, see `sameTemporary`).
 */
export function recordedInOldInputs(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  desired: DesiredSpec,
  actual: InstanceSnapshot,
): Recorded {
  const sameAsBefore = (key: string) => olds[key] !== undefined && isDeepStrictEqual(olds[key], news[key]);
  const startAgain = shouldStart(olds[EXPECTED_STATUS_KEY], false, actual);
  return {
    appliedTemporaryBandwidth: sameAsBefore("temporaryBandwidth") ? desired.temporaryBandwidth : oldWindow(olds.temporaryBandwidth),
    pendingInstanceType: sameAsBefore("instanceType") && actual.status === "Stopped" && !startAgain ? desired.instanceType : undefined,
    stoppedByEngine: false,
  };
}

function oldWindow(value: unknown): TemporaryBandwidth | undefined {
  const parsed = TemporaryBandwidthSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/**
 * Whether the instance must end Running although it is down: the restore marker on the instance
 * says a run stopped it for a change, the recorded expected status says it should run, or the last
 * apply left it stopped. `actual` absent (the executor reads it itself):
 * whether it should run if it turns out to be down.
 */
export function shouldStart(expectedStatus: unknown, stoppedByEngine: boolean, actual?: InstanceSnapshot): boolean {
  if (actual !== undefined && markerSaysStart(actual)) return true;
  return (expectedStatus === "Running" || stoppedByEngine) && (actual === undefined || isDown(actual));
}

/** The planner's context for a resource (without the type catalogue, which needs a read). */
export function planContextFor(recorded: Recorded, startWhenDone: boolean, estimates: Partial<Estimates>, now: Date): PlanContext {
  return {
    now,
    estimates,
    startWhenDone,
    ...(recorded.lastChangeAt ? { lastChangeAt: recorded.lastChangeAt } : {}),
    ...(recorded.appliedTemporaryBandwidth ? { appliedTemporaryBandwidth: recorded.appliedTemporaryBandwidth } : {}),
    ...(recorded.pendingInstanceType !== undefined ? { pendingInstanceType: recorded.pendingInstanceType } : {}),
  };
}

/** The status the instance should have after the plan (recorded as {@link EXPECTED_STATUS_KEY}). */
export function expectedStatusAfter(actual: InstanceSnapshot, startWhenDone: boolean): "Running" | "Stopped" {
  return !isDown(actual) || startWhenDone ? "Running" : "Stopped";
}

/** Drops `undefined` (protobuf cannot carry it), deeply. */
export function defined<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The `actual` output of a snapshot. */
export function actualOf(s: InstanceSnapshot) {
  return {
    instanceType: s.instanceType,
    internetMaxBandwidthOut: s.internetMaxBandwidthOut,
    internetMaxBandwidthIn: s.internetMaxBandwidthIn,
    status: s.status,
    zoneId: s.zoneId,
    instanceChargeType: s.instanceChargeType,
  };
}

/** What an apply (or a partial one) gives back, as far as the outputs need it. */
export interface ApplyOutcome {
  readonly after?: InstanceSnapshot;
  readonly steps: readonly AppliedStep[];
  readonly lastChangeAt?: string;
  readonly appliedTemporaryBandwidth?: TemporaryBandwidth;
  readonly pendingInstanceType?: string;
  readonly stoppedByEngine?: boolean;
  readonly observed?: ObservedDurations;
}

/** The resource's outputs after an apply: the inputs, the live instance, the record of the calls and the engine state. */
export function outputsOf(inputs: Record<string, unknown>, result: ApplyOutcome, previous: Record<string, unknown>): Record<string, unknown> {
  const engineState: EngineState = {
    appliedTemporaryBandwidth: result.appliedTemporaryBandwidth,
    pendingInstanceType: result.pendingInstanceType,
    stoppedByEngine: result.stoppedByEngine || undefined,
    observed: result.observed,
  };
  return defined({
    ...inputs,
    actual: result.after ? actualOf(result.after) : previous.actual,
    lastChangeAt: result.lastChangeAt ?? previous.lastChangeAt,
    lastApply: result.steps
      .filter((s) => s.action !== undefined)
      .map((s) => ({
        action: s.action,
        params: s.params ?? {},
        requestId: s.requestId ?? "",
        ...(s.orderId ? { orderId: s.orderId } : {}),
        outcome: s.outcome,
        startedAt: s.startedAt,
        finishedAt: s.finishedAt,
        attempts: s.attempts,
      })),
    engineState,
  });
}

/** `pulumi refresh`: outputs and inputs from the live instance; the live status becomes the expected one. */
export function refreshed(props: Record<string, unknown>, live: InstanceSnapshot): { props: Record<string, unknown>; inputs: Record<string, unknown> } {
  const inputs = Object.fromEntries(Object.entries(props).filter(([k]) => !(APPLY_OUTPUT_KEYS as readonly string[]).includes(k)));
  return {
    props: defined({ ...props, actual: actualOf(live) }),
    inputs: defined({ ...inputs, [EXPECTED_STATUS_KEY]: isDown(live) ? "Stopped" : "Running" }),
  };
}

/** Did a setting that is not the live spec change (connection, estimates, spec fields)? */
export function settingsChanged(olds: Record<string, unknown>, news: Record<string, unknown>): boolean {
  const keys = new Set([...Object.keys(specInputs(olds)), ...Object.keys(specInputs(news)), ...CONNECTION_KEYS]);
  return [...keys].some((k) => !isDeepStrictEqual(olds[k], news[k]));
}
