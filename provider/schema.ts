/**
 * The desired spec of one ECS instance, validated with zod. Types are derived from the schema.
 * Every message names the field and says how to fix it.
 */
import { z } from "zod";

/** Default cooldown between two spec changes on one instance (the API documents 5 minutes). */
export const DEFAULT_COOLDOWN_SECONDS = 300;
/** Default overall timeout of one apply. */
export const DEFAULT_TIMEOUT_SECONDS = 3600;

const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.0{1,3})?Z$/;

/** `yyyy-MM-ddTHH:mm:ssZ` in UTC (whole seconds; `.000Z` accepted and dropped), as the API wants it. */
const isoUtc = (field: string) =>
  z
    .string({ error: `${field} must be a string like 2030-01-01T08:00:00Z (ISO 8601, UTC)` })
    .refine((s) => ISO_UTC.test(s) && !Number.isNaN(Date.parse(s)) && new Date(s).toISOString().slice(0, 19) === s.slice(0, 19), {
      error: `${field} must be a valid UTC time written yyyy-MM-ddTHH:mm:ssZ, e.g. 2030-01-01T08:00:00Z`,
    })
    .transform((s) => s.slice(0, 19) + "Z");

const intIn = (field: string, min: number, max: number, unit: string) =>
  z
    .number({ error: `${field} must be a number of ${unit} from ${min} to ${max}` })
    .int({ error: `${field} must be a whole number of ${unit} from ${min} to ${max}` })
    .min(min, { error: (iss) => `${field} must be at least ${min} ${unit}; got ${String(iss.input)}` })
    .max(max, { error: (iss) => `${field} must be at most ${max} ${unit}; got ${String(iss.input)}` });

/** A temporary outbound bandwidth upgrade window. */
export const TemporaryBandwidthSchema = z
  .object(
    {
      startTime: isoUtc("temporaryBandwidth.startTime"),
      endTime: isoUtc("temporaryBandwidth.endTime"),
      internetMaxBandwidthOut: intIn("temporaryBandwidth.internetMaxBandwidthOut", 1, 100, "Mbit/s"),
    },
    { error: "temporaryBandwidth must be an object {startTime, endTime, internetMaxBandwidthOut}" },
  )
  .strict()
  .superRefine((v, ctx) => {
    if (Date.parse(v.endTime) <= Date.parse(v.startTime)) {
      ctx.addIssue({
        code: "custom",
        path: ["endTime"],
        message: `temporaryBandwidth.endTime (${v.endTime}) must be after temporaryBandwidth.startTime (${v.startTime})`,
      });
    }
  });

/** The desired spec: what the instance should look like after apply. */
export const DesiredSpecSchema = z
  .object(
    {
      /** The instance, `i-…`. */
      instanceId: z
        .string({ error: "instanceId is required: the ECS instance ID, e.g. i-bp67acfmxazb4ph0abcd" })
        .regex(/^i-[A-Za-z0-9-]+$/, { error: "instanceId must look like i-bp67acfmxazb4ph0abcd (starts with i-)" }),
      /** The region, e.g. `cn-hangzhou`. */
      regionId: z
        .string({ error: "regionId is required, e.g. cn-hangzhou" })
        .regex(/^[a-z]{2}(-[a-z0-9]+)+$/, { error: "regionId must be a region ID such as cn-hangzhou or ap-southeast-1" }),
      /** Target instance type, e.g. `ecs.g6.xlarge`; omitted = keep the current type. */
      instanceType: z
        .string({ error: "instanceType must be a string such as ecs.g6.xlarge" })
        .regex(/^ecs\.[a-z0-9-]+\.[a-z0-9-]+$/, { error: "instanceType must look like ecs.g6.xlarge (ecs.<family>.<size>)" })
        .optional(),
      /** Outbound public bandwidth cap, Mbit/s, 0–100; omitted = keep. */
      internetMaxBandwidthOut: intIn("internetMaxBandwidthOut", 0, 100, "Mbit/s").optional(),
      /** Inbound public bandwidth cap, Mbit/s, 1–200; omitted = keep. */
      internetMaxBandwidthIn: intIn("internetMaxBandwidthIn", 1, 200, "Mbit/s").optional(),
      /** A temporary outbound bandwidth upgrade. */
      temporaryBandwidth: TemporaryBandwidthSchema.optional(),
      /** System disk category after a type change. Only with `instanceType`. */
      systemDiskCategory: z
        .enum(["cloud_efficiency", "cloud_ssd"], { error: "systemDiskCategory must be cloud_efficiency or cloud_ssd" })
        .optional(),
      /** Allow the type change to move the instance to another zone (its private IP changes). */
      allowMigrateAcrossZone: z.boolean({ error: "allowMigrateAcrossZone must be true or false" }).optional(),
      /** Allow stopping the instance when the change needs it (a type change on a running instance). Default true. */
      allowStop: z.boolean({ error: "allowStop must be true or false" }).optional(),
      /**
       * Subscription (PrePaid) instances only: whether an order that costs money (an upgrade of the
       * type or the bandwidth, a temporary window) is paid from the account's balance at once
       * (`true`), or left unpaid to be paid in the console (`false`; the change waits for the
       * payment). No default: a plan that would create such an order is refused at preview until
       * this says what to do. Downgrades are refunds and need no decision.
       */
      autoPay: z.boolean({ error: "autoPay must be true (pay subscription orders automatically) or false (leave them unpaid for the console)" }).optional(),
      /** Billing while stopped for the change. Default `KeepCharging` (keeps the resources, faster restart). */
      stoppedMode: z
        .enum(["KeepCharging", "StopCharging"], { error: "stoppedMode must be KeepCharging or StopCharging" })
        .default("KeepCharging"),
      /** Seconds to wait between two spec changes on the instance. Default 300. */
      cooldownSeconds: z
        .number({ error: "cooldownSeconds must be a number of seconds, e.g. 300" })
        .min(0, { error: "cooldownSeconds must be 0 or more" })
        .max(3600, { error: "cooldownSeconds must be at most 3600" })
        .default(DEFAULT_COOLDOWN_SECONDS),
      /** Overall timeout of one apply, seconds. Default 3600. */
      timeoutSeconds: z
        .number({ error: "timeoutSeconds must be a number of seconds, e.g. 3600" })
        .positive({ error: "timeoutSeconds must be more than 0" })
        .max(86400, { error: "timeoutSeconds must be at most 86400 (one day)" })
        .default(DEFAULT_TIMEOUT_SECONDS),
    },
    { error: "the desired spec must be an object with at least instanceId and regionId" },
  )
  .strict()
  .superRefine((v, ctx) => {
    if (v.systemDiskCategory !== undefined && v.instanceType === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["systemDiskCategory"],
        message: "systemDiskCategory applies only with a type change: set instanceType too, or remove systemDiskCategory",
      });
    }
    if (v.allowMigrateAcrossZone !== undefined && v.instanceType === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["allowMigrateAcrossZone"],
        message: "allowMigrateAcrossZone applies only with a type change: set instanceType too, or remove allowMigrateAcrossZone",
      });
    }
    const temp = v.temporaryBandwidth;
    if (temp && v.internetMaxBandwidthOut !== undefined && !temporaryIsUpgrade(temp.internetMaxBandwidthOut, v.internetMaxBandwidthOut)) {
      ctx.addIssue({
        code: "custom",
        path: ["temporaryBandwidth", "internetMaxBandwidthOut"],
        message: `temporaryBandwidth.internetMaxBandwidthOut (${temp.internetMaxBandwidthOut}) must be above internetMaxBandwidthOut (${v.internetMaxBandwidthOut}): a temporary change is an upgrade`,
      });
    }
  });

/** The desired spec after validation and defaults. */
export type DesiredSpec = z.output<typeof DesiredSpecSchema>;
/** The desired spec as a user writes it (defaults optional). */
export type DesiredSpecInput = z.input<typeof DesiredSpecSchema>;
/**
 * ECS accepts a temporary window only as an upgrade: its outbound bandwidth must be above the one
 * in force when the window is set. The one place this rule is written.
 */
export function temporaryIsUpgrade(temporaryOut: number, baseOut: number): boolean {
  return temporaryOut > baseOut;
}

/** A validated temporary bandwidth window. */
export type TemporaryBandwidth = z.output<typeof TemporaryBandwidthSchema>;

/** One validation failure, shaped like Pulumi's `CheckFailure`. */
export interface SpecFailure {
  /** Dotted path of the field, e.g. `temporaryBandwidth.endTime` (empty for the whole object). */
  readonly property: string;
  /** What is wrong and how to fix it. */
  readonly reason: string;
}

/** Result of {@link parseDesiredSpec}: the spec, or every failure. */
export type ParseResult = { readonly ok: true; readonly value: DesiredSpec } | { readonly ok: false; readonly failures: readonly SpecFailure[] };

/**
 * Validate a desired spec. Never throws for bad input.
 *
 * @example
 * const r = parseDesiredSpec({ instanceId: "i-abc", regionId: "cn-hangzhou", internetMaxBandwidthOut: 20 });
 * if (!r.ok) console.log(r.failures); // [{property, reason}]
 */
export function parseDesiredSpec(input: unknown): ParseResult {
  const r = DesiredSpecSchema.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  return {
    ok: false,
    failures: r.error.issues.flatMap((i) => {
      const at = i.path.map(String);
      // One failure per unknown key, on the key itself: Pulumi shows `property` as the field at fault.
      if (i.code === "unrecognized_keys") {
        return i.keys.map((key) => ({ property: [...at, key].join("."), reason: `unknown field ${key}: remove it (check the spelling)` }));
      }
      return [{ property: at.join("."), reason: i.message }];
    }),
  };
}
