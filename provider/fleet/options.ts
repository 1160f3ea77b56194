/**
 * The inputs of an `InstanceSpecFleet`, validated: the rollout options (zod), and each instance's
 * desired spec — the shared spec under the instance's own overrides, through the single-instance
 * schema, so every rule and message is the same. Pure; failures are data naming the property.
 */
import { z } from "zod";
import { HEALTH_DEFAULTS, parseHealthCheck, type ParsedHealthCheck } from "../health";
import { parseDesiredSpec, type DesiredSpec, type SpecFailure } from "../schema";
import { resolveMaxUnavailable, type RolloutRules } from "./plan";

const seconds = (field: string, max = 86400) =>
  z
    .number({ error: `${field} must be a number of seconds, 0 or more` })
    .min(0, { error: `${field} must be 0 or more` })
    .max(max, { error: `${field} must be at most ${max}` });

/** The `rollout` input. */
export const RolloutSchema = z
  .object(
    {
      maxUnavailable: z
        .union([
          z.number().int().min(1),
          z.string().regex(/^(?:[1-9]\d?(?:\.\d+)?|100)%$/),
        ], { error: 'rollout.maxUnavailable must be a whole number of instances, 1 or more (e.g. 2), or a percentage of the fleet from 1% to 100% (e.g. "25%")' })
        .default(1),
      canary: z
        .object(
          {
            size: z.number({ error: "rollout.canary.size must be a whole number of instances, 0 or more" }).int({ error: "rollout.canary.size must be a whole number" }).min(0, { error: "rollout.canary.size must be 0 or more" }).default(1),
            bakeSeconds: seconds("rollout.canary.bakeSeconds").default(0),
          },
          { error: "rollout.canary must be an object {size, bakeSeconds}" },
        )
        .strict()
        .default({ size: 0, bakeSeconds: 0 }),
      // Validated by the health module (parseHealthCheck), with its own messages.
      healthCheck: z.unknown().optional(),
      maxFailures: z.number({ error: "rollout.maxFailures must be a whole number, 0 or more" }).int({ error: "rollout.maxFailures must be a whole number" }).min(0, { error: "rollout.maxFailures must be 0 or more" }).default(0),
      rollbackOnFailure: z.boolean({ error: "rollout.rollbackOnFailure must be true or false" }).default(false),
    },
    { error: "rollout must be an object {maxUnavailable, canary, healthCheck, maxFailures, rollbackOnFailure}" },
  )
  .strict();

/** The rollout input after validation (the health check still raw). */
export type RolloutInput = z.output<typeof RolloutSchema>;

/** Spec fields an instance may override, and the shared spec may set. */
export const SPEC_KEYS = [
  "instanceType",
  "internetMaxBandwidthOut",
  "internetMaxBandwidthIn",
  "temporaryBandwidth",
  "systemDiskCategory",
  "allowMigrateAcrossZone",
  "allowStop",
  "stoppedMode",
  "cooldownSeconds",
  "autoPay",
] as const;

/** The fleet's inputs as the runtime reads them. */
export interface FleetInputs {
  readonly regionId: string;
  readonly members: readonly DesiredSpec[];
  readonly rollout: RolloutInput;
  readonly rules: RolloutRules;
  /** The parsed `rollout.healthCheck` (absent: an instance serves when Running). */
  readonly healthCheck?: ParsedHealthCheck;
}

function issuesOf(error: z.ZodError, prefix: string): SpecFailure[] {
  return error.issues.flatMap((i) => {
    const at = [prefix, ...i.path.map(String)].join(".");
    if (i.code === "unrecognized_keys") return i.keys.map((key) => ({ property: `${at}.${key}`, reason: `unknown field ${key}: remove it (check the spelling)` }));
    return [{ property: at, reason: i.message }];
  });
}

/** One entry of `instances`: an ID, or `{instanceId, ...overrides}`. */
function memberRaw(entry: unknown, index: number): { raw?: Record<string, unknown>; failures: SpecFailure[] } {
  const property = `instances[${index}]`;
  if (typeof entry === "string") return { raw: { instanceId: entry }, failures: [] };
  if (entry && typeof entry === "object" && !Array.isArray(entry)) {
    const o = entry as Record<string, unknown>;
    const unknown = Object.keys(o).filter((k) => k !== "instanceId" && !(SPEC_KEYS as readonly string[]).includes(k));
    return {
      raw: o,
      failures: unknown.map((k) => ({ property: `${property}.${k}`, reason: `unknown field ${k}: an instance may override only ${SPEC_KEYS.join(", ")}` })),
    };
  }
  return { failures: [{ property, reason: `${property} must be an instance ID (i-…) or an object {instanceId, ...overrides}` }] };
}

/**
 * Validate the fleet's inputs: `instances`, the shared spec, `regionId`, `timeoutSeconds` and
 * `rollout`. Every failure names its property (`instances[3].instanceType`, `rollout.maxUnavailable`).
 *
 * @example
 * const r = parseFleetInputs({ regionId: "cn-hangzhou", instances: ["i-a", { instanceId: "i-b", instanceType: "ecs.g6.2xlarge" }], instanceType: "ecs.g6.xlarge" });
 */
export function parseFleetInputs(inputs: Record<string, unknown>): { ok: true; value: FleetInputs } | { ok: false; failures: SpecFailure[] } {
  const failures: SpecFailure[] = [];
  const rollout = RolloutSchema.safeParse(inputs.rollout ?? {});
  if (!rollout.success) failures.push(...issuesOf(rollout.error, "rollout"));
  const rawCheck = rollout.success ? rollout.data.healthCheck : undefined;
  const check = rawCheck === undefined || rawCheck === null ? undefined : parseHealthCheck(rawCheck, "rollout.healthCheck");
  if (check && !check.ok) failures.push(...check.problems);
  const instances = inputs.instances;
  if (!Array.isArray(instances) || instances.length === 0) {
    failures.push({ property: "instances", reason: "instances must be a non-empty list of instance IDs (i-…) or {instanceId, ...overrides}" });
  }
  const shared = Object.fromEntries(SPEC_KEYS.filter((k) => inputs[k] !== undefined && inputs[k] !== null).map((k) => [k, inputs[k]]));
  const members: DesiredSpec[] = [];
  (Array.isArray(instances) ? instances : []).forEach((entry, index) => {
    const m = memberRaw(entry, index);
    failures.push(...m.failures);
    if (!m.raw || m.failures.length > 0) return;
    const own = Object.fromEntries(Object.entries(m.raw).filter(([, v]) => v !== undefined && v !== null));
    const parsed = parseDesiredSpec({
      ...shared,
      ...own,
      regionId: inputs.regionId,
      ...(inputs.timeoutSeconds !== undefined ? { timeoutSeconds: inputs.timeoutSeconds } : {}),
    });
    if (parsed.ok) members.push(parsed.value);
    else {
      for (const f of parsed.failures) {
        const top = f.property.split(".")[0]!;
        const overridden = top in own;
        const property = overridden ? `instances[${index}].${f.property}` : f.property;
        // A shared field's failure is the same for every instance: reported once.
        if (!failures.some((x) => x.property === property && x.reason === f.reason)) failures.push({ property, reason: overridden ? f.reason : f.reason });
      }
    }
  });
  if (failures.length > 0 || !rollout.success) return { ok: false, failures };
  const r = rollout.data;
  return {
    ok: true,
    value: {
      regionId: String(inputs.regionId),
      members,
      rollout: r,
      rules: {
        maxUnavailable: r.maxUnavailable,
        canary: r.canary,
        maxFailures: r.maxFailures,
        rollbackOnFailure: r.rollbackOnFailure,
        warmupSeconds: check?.ok ? check.value.warmupSeconds : 0,
        healthTimeoutSeconds: check?.ok ? check.value.timeoutSeconds : HEALTH_DEFAULTS.timeoutSeconds,
      },
      ...(check?.ok ? { healthCheck: check.value } : {}),
    },
  };
}

/** `maxUnavailable` of the fleet as a count (re-exported for the runtime's messages). */
export { resolveMaxUnavailable };
