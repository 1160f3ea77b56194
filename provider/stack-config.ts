/**
 * Stack-wide defaults read from stack config, validated with the same messages style as inputs:
 *
 *   pulumi config set pulumi-ecs-spec:cooldownSeconds 6
 *   pulumi config set --path 'pulumi-ecs-spec:estimates.stopSeconds' 3
 *
 * A bad value fails every resource of the stack with the key named, before any API call.
 */
import { ESTIMATE_KEYS, type StackDefaults } from "./context";
import type { Estimates } from "./plan";
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
  const out: { cooldownSeconds?: number; estimates?: Partial<Estimates> } = {};
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
  const estimates = get("estimates");
  if (estimates !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(estimates);
    } catch {
      parsed = undefined;
    }
    const usage = `fix it with: pulumi config set --path 'pulumi-ecs-spec:estimates.stopSeconds' 45 (keys: ${ESTIMATE_KEYS.join(", ")})`;
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new StackConfigError(`stack config pulumi-ecs-spec:estimates must be an object of seconds; ${usage}`);
    }
    const e: { -readonly [K in keyof Estimates]?: number } = {};
    for (const [key, value] of Object.entries(parsed)) {
      if (!(ESTIMATE_KEYS as readonly string[]).includes(key)) {
        throw new StackConfigError(`stack config pulumi-ecs-spec:estimates.${key} is not a known estimate; ${usage}`);
      }
      if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
        throw new StackConfigError(`stack config pulumi-ecs-spec:estimates.${key} must be a number of seconds, 0 or more, got ${JSON.stringify(value)}; ${usage}`);
      }
      e[key as (typeof ESTIMATE_KEYS)[number]] = value;
    }
    out.estimates = e;
  }
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
  const raw = get("apiRateLimits");
  if (raw === undefined) return undefined;
  const keys = ["default", ...RATE_LIMITED_ACTIONS];
  const usage = `fix it with: pulumi config set --path 'pulumi-ecs-spec:apiRateLimits.DescribeInstances' 100 (keys: ${keys.join(", ")})`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new StackConfigError(`stack config pulumi-ecs-spec:apiRateLimits must be an object of calls per minute; ${usage}`);
  }
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!keys.includes(key)) throw new StackConfigError(`stack config pulumi-ecs-spec:apiRateLimits.${key} is not a rate-limited action; ${usage}`);
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 100_000) {
      throw new StackConfigError(
        `stack config pulumi-ecs-spec:apiRateLimits.${key} must be a whole number of calls per minute from 1 to 100000, got ${JSON.stringify(value)}; ${usage}`,
      );
    }
    out[key] = value;
  }
  return out;
}
