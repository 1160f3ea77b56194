/**
 * The implementation behind the serialized provider of `InstanceSpecFleet`: thin adapters from
 * Pulumi's dynamic-provider calls to the rollout planner and executor. Reached at run time through
 * `require("pulumi-ecs-spec/runtime").fleet`, so nothing here is serialized into state; the
 * runtime hands in its client factory and the stack's defaults (endpoint, credentials and budget
 * are configured once per provider process there).
 */
import type * as pulumi from "@pulumi/pulumi";
import type { EcsClient } from "../client";
import { ESTIMATE_KEYS, defined, isUnknown, prototypeFailures, type StackDefaults } from "../context";
import { readWithRetry, type AppliedStep } from "../executor";
import { guardTheProcess, shutdownSignal, trackApply } from "../lifecycle";
import type { InstanceSnapshot } from "../model";
import { describeRollout } from "./describe";
import { healthFor, healthProblems, type HealthSetup } from "./health";
import { parseFleetInputs, SPEC_KEYS, type FleetInputs } from "./options";
import { planFleet, rollout, RolloutError, type MemberRecord, type MemberResult, type RolloutResult } from "./rollout";

/** What the runtime gives the fleet's adapters. */
export interface FleetRuntime {
  /** A client for the resource's inputs (endpoint, profile) in `regionId`; `label` prefixes budget-wait lines. */
  readonly clientFor: (inputs: Record<string, unknown>, regionId: string, label: string) => EcsClient;
  /** The stack's defaults (cooldown, estimates), read at `configure`. */
  readonly defaults: () => StackDefaults;
}

/** Properties the provider computes; never user input. */
const COMPUTED = ["plan", "instanceStates", "lastRollout", "__provider"] as const;

/** One instance in the fleet's outputs. */
export interface InstanceState {
  readonly instanceId: string;
  /** The live instance after the rollout. */
  readonly actual?: { instanceType: string; internetMaxBandwidthOut: number; internetMaxBandwidthIn: number; status: string };
  /** What the last rollout did: `changed`, `skipped`, `failed`, `rolledBack` or `untouched`. */
  readonly done: string;
  /** How often the last rollout stopped it (StopInstance). */
  readonly stops: number;
  /** How often the last rollout had ECS restart it (a subscription upgrade of a running instance); absent when never. */
  readonly restarts?: number;
  readonly wave?: number;
  /** Seconds from its slot (its stop, or its reboot-making order) until it served again and had warmed up. */
  readonly notServingSeconds?: number;
  /** The calls of the last rollout: `Action(items) RequestId`. */
  readonly calls: readonly string[];
  /** The orders its subscription changes created, in call order, as InstanceSpec records them (`lastApply[].orderId`); absent when none. */
  readonly orderIds?: readonly string[];
  /** End of its last spec change (ISO 8601), for the cooldown across runs. */
  readonly lastChangeAt?: string;
  readonly error?: string;
}

function withDefaults(inputs: Record<string, unknown>, defaults: StackDefaults): Record<string, unknown> {
  return defaults.cooldownSeconds !== undefined && inputs.cooldownSeconds === undefined ? { ...inputs, cooldownSeconds: defaults.cooldownSeconds } : inputs;
}

/** The estimates of the fleet: its `estimates` input over the stack's; `healthSeconds` apart. */
function estimatesOf(inputs: Record<string, unknown>, defaults: StackDefaults): { single: Record<string, number>; healthSeconds?: number } {
  const e = (inputs.estimates ?? {}) as Record<string, unknown>;
  const single: Record<string, number> = { ...(defaults.estimates as Record<string, number> | undefined) };
  for (const key of ESTIMATE_KEYS) if (typeof e[key] === "number" && (e[key] as number) >= 0) single[key] = e[key] as number;
  return { single, ...(typeof e.healthSeconds === "number" && e.healthSeconds >= 0 ? { healthSeconds: e.healthSeconds } : {}) };
}

function estimateFailures(raw: unknown): { property: string; reason: string }[] {
  if (raw === undefined || raw === null || isUnknown(raw)) return [];
  if (typeof raw !== "object" || Array.isArray(raw)) return [{ property: "estimates", reason: "estimates must be an object of seconds, e.g. { stopSeconds: 45, startSeconds: 45, healthSeconds: 30 }" }];
  const keys = [...ESTIMATE_KEYS, "healthSeconds"];
  return Object.entries(raw).flatMap(([k, v]) =>
    !keys.includes(k)
      ? [{ property: `estimates.${k}`, reason: `unknown estimate ${k}: use one of ${keys.join(", ")}` }]
      : typeof v !== "number" || !Number.isFinite(v) || v < 0
        ? [{ property: `estimates.${k}`, reason: `estimates.${k} must be a number of seconds, 0 or more; got ${JSON.stringify(v)}` }]
        : [],
  );
}

/** The records of the last rollout (outputs), by instance. */
function recordsOf(olds: Record<string, unknown>): Map<string, MemberRecord> {
  const states = Array.isArray(olds.instanceStates) ? (olds.instanceStates as InstanceState[]) : [];
  return new Map(states.filter((s) => typeof s?.instanceId === "string").map((s) => [s.instanceId, s.lastChangeAt ? { lastChangeAt: s.lastChangeAt } : {}]));
}

function callLine(s: AppliedStep): string {
  const items = Object.keys(s.params ?? {})
    .filter((k) => !["InstanceId", "ClientToken", "RegionId", "ForceStop", "Async", "ResourceType", "ResourceId.1"].includes(k) && !k.startsWith("Tag."))
    .sort();
  return `${s.action}(${items.join(",")})${s.outcome !== "done" ? ` ${s.outcome}` : ""}${s.requestId ? ` ${s.requestId}` : ""}`;
}

function actualOf(s: InstanceSnapshot | undefined): InstanceState["actual"] {
  return s && { instanceType: s.instanceType, internetMaxBandwidthOut: s.internetMaxBandwidthOut, internetMaxBandwidthIn: s.internetMaxBandwidthIn, status: s.status };
}

function stateOf(m: MemberResult): InstanceState {
  return {
    instanceId: m.instanceId,
    ...(m.actual ? { actual: actualOf(m.actual) } : {}),
    done: m.outcome,
    stops: m.stops,
    ...(m.restarts > 0 ? { restarts: m.restarts } : {}),
    ...(m.wave !== undefined ? { wave: m.wave } : {}),
    ...(m.notServingSeconds !== undefined ? { notServingSeconds: m.notServingSeconds } : {}),
    calls: m.steps.filter((s) => s.action !== undefined).map(callLine),
    ...(m.steps.some((s) => s.orderId) ? { orderIds: m.steps.flatMap((s) => (s.orderId ? [s.orderId] : [])) } : {}),
    ...(m.lastChangeAt ? { lastChangeAt: m.lastChangeAt } : {}),
    ...(m.error ? { error: m.error } : {}),
  };
}

function outputsOf(inputs: Record<string, unknown>, r: RolloutResult, startedAt: Date, olds: Record<string, unknown>): Record<string, unknown> {
  const previous = recordsOf(olds);
  return defined({
    ...inputs,
    instanceStates: r.members.map((m) => {
      const s = stateOf(m);
      // A skipped instance keeps the last change time recorded before (its cooldown may still run).
      return s.lastChangeAt || !previous.get(m.instanceId)?.lastChangeAt ? s : { ...s, lastChangeAt: previous.get(m.instanceId)!.lastChangeAt };
    }),
    lastRollout: {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      waves: r.plan.waves,
      maxUnavailable: r.plan.maxUnavailable,
      mostDownCounted: r.mostDownCounted,
      failures: r.failures,
      halted: r.halted,
    },
  });
}

/** The fleet's adapters, over the runtime's client factory and defaults. */
export function fleetAdapters(rt: FleetRuntime) {
  type Ready = { fleet: FleetInputs; api: EcsClient; health: HealthSetup; estimates: ReturnType<typeof estimatesOf> };
  const prepare = (inputs: Record<string, unknown>, label: string): { ok: true; value: Ready } | { ok: false; failures: { property: string; reason: string }[] } => {
    const parsed = parseFleetInputs(withDefaults(inputs, rt.defaults()));
    const failures = [...prototypeFailures(inputs), ...(parsed.ok ? [] : parsed.failures), ...estimateFailures(inputs.estimates)];
    if (!parsed.ok || failures.length > 0) return { ok: false, failures };
    const api = rt.clientFor(inputs, parsed.value.regionId, label);
    const health = healthFor(parsed.value.healthCheck, api);
    return { ok: true, value: { fleet: parsed.value, api, health, estimates: estimatesOf(inputs, rt.defaults()) } };
  };
  // Without an estimate: a restarted instance is judged serving after healthyThreshold observations.
  const healthSecondsOf = (r: Ready) =>
    r.estimates.healthSeconds ?? (r.fleet.healthCheck ? r.fleet.healthCheck.intervalSeconds * r.fleet.healthCheck.healthyThreshold : 0);
  const planOf = (r: Ready, records: Map<string, MemberRecord>) =>
    planFleet(
      {
        api: r.api,
        members: r.fleet.members,
        rules: r.fleet.rules,
        health: r.health.health,
        estimates: { ...r.estimates.single, healthSeconds: healthSecondsOf(r) },
        records,
      },
      new Date(),
      "preview",
    );

  /** Pulumi `check`: validates, then shows the rollout planned from the live fleet as the `plan` input. */
  async function check(_olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
    const user = Object.fromEntries(Object.entries(news).filter(([k]) => !(COMPUTED as readonly string[]).includes(k)));
    const unknown = Object.keys(user).filter((k) => isUnknown(user[k]));
    if (unknown.length > 0) {
      return { inputs: { ...news, plan: [`the rollout is planned at apply time: ${unknown.join(", ")} not known yet (the waves are computed from the live fleet then)`] } };
    }
    const ready = prepare(news, "fleet");
    if (!ready.ok) return { failures: ready.failures };
    const { plan, snapshots } = await planOf(ready.value, new Map());
    if (plan.kind === "refused") {
      return { failures: plan.refusals.map((r) => ({ property: `instances[${r.index}]${r.refusal.field && r.refusal.field !== "instanceId" ? `.${r.refusal.field}` : ""}`, reason: `${r.instanceId}: ${r.refusal.message}` })) };
    }
    const unjudged = await healthProblems(ready.value.health, ready.value.api, [...snapshots.values()]);
    if (unjudged.length > 0) return { failures: unjudged };
    return { inputs: { ...news, plan: [`live ${new Date().toISOString().slice(0, 19)}Z, health: ${ready.value.health.health.description}`, ...describeRollout(plan)] } };
  }

  /** Pulumi `diff`: changes when the inputs changed or the live fleet does not match them. */
  async function diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.DiffResult> {
    if (olds.regionId !== news.regionId) return { changes: true, replaces: ["regionId"], deleteBeforeReplace: true };
    const keys = ["instances", ...SPEC_KEYS, "rollout", "estimates", "timeoutSeconds", "endpoint", "credentialsProfile"];
    if (keys.some((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]))) return { changes: true };
    const ready = prepare(news, "fleet");
    if (!ready.ok) return { changes: true };
    const { plan } = await planOf(ready.value, recordsOf(olds));
    return { changes: plan.kind === "refused" || plan.members.some((m) => m.kind !== "skip") };
  }

  async function run(id: string | undefined, inputs: Record<string, unknown>, olds: Record<string, unknown>): Promise<Record<string, unknown>> {
    guardTheProcess();
    const ready = prepare(inputs, "fleet");
    if (!ready.ok) throw new Error(ready.failures.map((f) => `${f.property}: ${f.reason}`).join("; "));
    const r = ready.value;
    const startedAt = new Date();
    try {
      const result = await trackApply(() =>
        rollout({
          api: r.api,
          members: r.fleet.members,
          rules: r.fleet.rules,
          health: r.health.health,
          estimates: { ...r.estimates.single, healthSeconds: healthSecondsOf(r) },
          healthProblems: (snaps) => healthProblems(r.health, r.api, snaps),
          timing: r.estimates.single,
          records: recordsOf(olds),
          onProgress: (line) => console.log(`[fleet] ${line}`),
          signal: shutdownSignal,
        }),
      );
      return outputsOf(inputs, result, startedAt, olds);
    } catch (e) {
      if (e instanceof RolloutError) {
        const message = e.message;
        // A partial rollout: what happened is recorded, and the next `up` continues from the live fleet.
        const properties = e.result ? outputsOf(inputs, e.result, startedAt, olds) : { ...olds, ...inputs };
        throw Object.assign(new Error(message), { id: id ?? fleetId(r.fleet), properties, reasons: [message] });
      }
      throw e;
    }
  }

  function fleetId(f: FleetInputs): string {
    return `fleet-${f.regionId}-${f.members[0]?.instanceId ?? "empty"}-${f.members.length}`;
  }

  return {
    check,
    diff,
    /** Pulumi `create`: rolls the listed instances to the desired spec. */
    async create(inputs: Record<string, unknown>): Promise<pulumi.dynamic.CreateResult> {
      const ready = prepare(inputs, "fleet");
      const outs = await run(undefined, inputs, {});
      return { id: ready.ok ? fleetId(ready.value.fleet) : "fleet", outs };
    },
    /** Pulumi `update`: rolls the fleet from its live state. */
    async update(id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.UpdateResult> {
      return { outs: await run(id, news, olds) };
    },
    /** Pulumi `read` (`pulumi refresh`): the live instances. */
    async read(id: string, props: Record<string, unknown>): Promise<pulumi.dynamic.ReadResult> {
      const states = Array.isArray(props.instanceStates) ? (props.instanceStates as InstanceState[]) : [];
      const api = rt.clientFor(props, String(props.regionId), "fleet");
      const live = await Promise.all(states.map((s) => readWithRetry(() => api.describeInstance(s.instanceId, { knownHasLocalDisks: false, priority: "preview" }))));
      return { id, props: defined({ ...props, instanceStates: states.map((s, i) => ({ ...s, actual: actualOf(live[i]) })) }) };
    },
    /** Pulumi `delete`: the instances are left as they are. */
    async delete(id: string): Promise<void> {
      console.log(`[${id}] removed from the stack; the instances are left as they are`);
    },
  };
}
