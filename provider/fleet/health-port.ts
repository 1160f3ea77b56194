/**
 * What the rollout needs from a health check: one observation of many instances at once. The
 * status check (serving = Running) is used when the fleet has no `healthCheck`; load balancer and
 * HTTP checks come from the health module. Waiting for one instance to serve is here, on top of
 * `observe`, so every check gets the same warmup and flap handling.
 */
import type { Clock } from "../clock";
import type { EcsApi } from "../client";
import { readWithRetry } from "../executor";

/** What a health check says of one instance. */
export type HealthObservation = "serving" | "notServing" | "noSignal";

/** How an instance is reached by a check. */
export interface InstanceAddress {
  readonly instanceId: string;
  readonly privateIp?: string;
  readonly publicIp?: string;
}

/** A health check the rollout can ask about many instances at once. */
export interface FleetHealth {
  /** What is checked, for progress lines (`CLB lb-web backend health`). */
  readonly description: string;
  observe(instances: readonly InstanceAddress[]): Promise<Map<string, HealthObservation>>;
}

/** Without a health check: an instance serves when it is Running. */
export function statusHealth(api: EcsApi): FleetHealth {
  return {
    description: "instance status Running (no healthCheck)",
    async observe(instances) {
      const snaps = await Promise.all(instances.map((i) => readWithRetry(() => api.describeInstance(i.instanceId, { knownHasLocalDisks: false }))));
      return new Map(instances.map((i, n) => [i.instanceId, snaps[n]?.status === "Running" ? "serving" : "notServing"] as const));
    },
  };
}

/** Options of {@link waitServing}. */
export interface WaitServingOptions {
  readonly clock: Clock;
  /** Give up after this long, ms. */
  readonly timeoutMs: number;
  /** Seconds it must keep serving after it is first seen serving (checked again at the end). */
  readonly warmupSeconds: number;
  /** Between two observations, ms. */
  readonly pollMs: number;
  readonly signal?: AbortSignal;
}

/** The outcome of {@link waitServing}. */
export type ServingResult =
  | { readonly ok: true; readonly servingAtMs: number; readonly readyAtMs: number }
  | { readonly ok: false; readonly reason: string; readonly lastObservation: HealthObservation | undefined };

/**
 * Wait until the instance serves, then for the warmup, and check it still serves at its end (one
 * that flaps starts over). Resolves `ok: false` at the timeout.
 */
export async function waitServing(health: FleetHealth, instance: InstanceAddress, o: WaitServingOptions): Promise<ServingResult> {
  const until = o.clock.now() + o.timeoutMs;
  let last: HealthObservation | undefined;
  let servingSince: number | undefined;
  for (;;) {
    o.signal?.throwIfAborted();
    last = (await health.observe([instance])).get(instance.instanceId) ?? "noSignal";
    const now = o.clock.now();
    if (last === "serving") {
      servingSince ??= now;
      if (now - servingSince >= o.warmupSeconds * 1000) return { ok: true, servingAtMs: servingSince, readyAtMs: now };
    } else {
      servingSince = undefined;
    }
    if (now >= until) {
      return { ok: false, reason: `not serving ${Math.round(o.timeoutMs / 1000)} s after it started (${health.description}: ${last})`, lastObservation: last };
    }
    const next = servingSince !== undefined ? Math.min(servingSince + o.warmupSeconds * 1000 - now, o.pollMs) : o.pollMs;
    await o.clock.sleep(Math.max(1, Math.min(next, until - now)), o.signal);
  }
}
