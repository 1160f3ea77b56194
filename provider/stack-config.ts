/**
 * Stack-wide defaults read from stack config, validated with the same messages style as inputs:
 *
 *   pulumi config set pulumi-ecs-spec:cooldownSeconds 6
 *   pulumi config set --path 'pulumi-ecs-spec:estimates.stopSeconds' 3
 *
 * A bad value fails every resource of the stack with the key named, before any API call.
 */
import { ESTIMATE_KEYS, type StackDefaults } from "./context";
import { RATE_LIMITED_ACTIONS } from "./scheduler";

/** A stack config value that cannot be used. */
export class StackConfigError extends Error {
  override readonly name = "StackConfigError";
}

/**
 * The defaults from stack config; `get(key)` returns the raw string of `pulumi-ecs-spec:<key>`
 * (structured values arrive as JSON text).
 */
export function parseStackDefaults(get: (key: string) => string | undefined): StackDefaults {
  const out: { -readonly [K in keyof StackDefaults]: StackDefaults[K] } = {};
  const cooldown = get("cooldownSeconds");
  if (cooldown !== undefined) {
    const n = Number(cooldown);
    if (cooldown.trim() === "" || !Number.isFinite(n) || n < 0 || n > 3600) {
      throw new StackConfigError(
        `stack config pulumi-ecs-spec:cooldownSeconds must be a number of seconds from 0 to 3600, got ${JSON.stringify(cooldown)}; fix it with: pulumi config set pulumi-ecs-spec:cooldownSeconds 300`,
      );
    }
    out.cooldownSeconds = n;
  }
  const estimates = numberMap(get, "estimates", {
    keys: ESTIMATE_KEYS,
    what: "an object of seconds",
    unknownKey: "is not a known estimate",
    valid: (v) => Number.isFinite(v) && v >= 0,
    rule: "a number of seconds, 0 or more",
    example: "estimates.stopSeconds' 45",
  });
  if (estimates) out.estimates = estimates;
  return out;
}

/**
 * `pulumi-ecs-spec:apiRateLimits`: calls per minute the provider process allows itself per ECS
 * action (`default` for the actions not named), e.g.
 *
 *   pulumi config set --path 'pulumi-ecs-spec:apiRateLimits.DescribeInstances' 100
 *
 * `undefined` when not set (the scheduler's documented defaults apply).
 */
export function parseApiRateLimits(get: (key: string) => string | undefined): Record<string, number> | undefined {
  // Every key present holds a number: the map has no undefined values.
  return numberMap(get, "apiRateLimits", {
    keys: ["default", ...RATE_LIMITED_ACTIONS],
    what: "an object of calls per minute",
    unknownKey: "is not a rate-limited action",
    valid: (v) => Number.isInteger(v) && v >= 1 && v <= 100_000,
    rule: "a whole number of calls per minute from 1 to 100000",
    example: "apiRateLimits.DescribeInstances' 100",
  }) as Record<string, number> | undefined;
}

/**
 * A structured stack config value (`pulumi-ecs-spec:<name>`, JSON text): an object of known keys,
 * each a number the rule accepts. `undefined` when not set; a `StackConfigError` naming the key and
 * the fix otherwise.
 */
function numberMap<K extends string>(
  get: (key: string) => string | undefined,
  name: string,
  spec: { keys: readonly K[]; what: string; unknownKey: string; valid: (v: number) => boolean; rule: string; example: string },
): Partial<Record<K, number>> | undefined {
  const raw = get(name);
  if (raw === undefined) return undefined;
  const usage = `fix it with: pulumi config set --path 'pulumi-ecs-spec:${spec.example} (keys: ${spec.keys.join(", ")})`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new StackConfigError(`stack config pulumi-ecs-spec:${name} must be ${spec.what}; ${usage}`);
  }
  const out: Partial<Record<K, number>> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!(spec.keys as readonly string[]).includes(key)) throw new StackConfigError(`stack config pulumi-ecs-spec:${name}.${key} ${spec.unknownKey}; ${usage}`);
    if (typeof value !== "number" || !spec.valid(value)) {
      throw new StackConfigError(`stack config pulumi-ecs-spec:${name}.${key} must be ${spec.rule}, got ${JSON.stringify(value)}; ${usage}`);
    }
    out[key as K] = value;
  }
  return out;
}
