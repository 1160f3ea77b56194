import * as pulumi from "@pulumi/pulumi";
import type { InstanceSpecArgs } from "../resource";

/**
 * The serialized provider of {@link InstanceSpecFleet}: as tiny as InstanceSpec's, capturing
 * nothing; every method loads `pulumi-ecs-spec/runtime` in the provider process.
 */
const provider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    return require("pulumi-ecs-spec/runtime").configure(req);
  },
  async check(olds, news) {
    return require("pulumi-ecs-spec/runtime").fleet.check(olds, news);
  },
  async diff(id, olds, news) {
    return require("pulumi-ecs-spec/runtime").fleet.diff(id, olds, news);
  },
  async create(inputs) {
    return require("pulumi-ecs-spec/runtime").fleet.create(inputs);
  },
  async read(id, props) {
    return require("pulumi-ecs-spec/runtime").fleet.read(id, props);
  },
  async update(id, olds, news) {
    return require("pulumi-ecs-spec/runtime").fleet.update(id, olds, news);
  },
  async delete(id, props) {
    return require("pulumi-ecs-spec/runtime").fleet.delete(id, props);
  },
};

/**
 * The spec fields an instance of a fleet may set for itself, over the fleet's shared ones: those of
 * {@link InstanceSpecArgs}, with the same meaning and defaults. A type change stops (or has ECS
 * restart) the instance in its turn of the rollout; a bandwidth change alone needs no stop and is
 * made outside the rollout's slots.
 * `autoPay` has no default: a rollout that would create an order to pay is refused at preview until
 * it is set.
 */
export type FleetSpecArgs = Pick<
  InstanceSpecArgs,
  | "instanceType"
  | "internetMaxBandwidthOut"
  | "internetMaxBandwidthIn"
  | "temporaryBandwidth"
  | "systemDiskCategory"
  | "allowMigrateAcrossZone"
  | "allowStop"
  | "stoppedMode"
  | "cooldownSeconds"
  | "autoPay"
>;

/** One instance of a fleet with its own overrides of the shared spec. */
export interface FleetInstanceArgs extends FleetSpecArgs {
  /** The instance, `i-…`. */
  instanceId: pulumi.Input<string>;
}

/** When a restarted instance counts as serving again (see README, "Rolling resize"). */
export type FleetHealthCheckArgs = pulumi.Input<Record<string, unknown>>;

/** How the fleet is rolled. */
export interface RolloutArgs {
  /** At most this many instances of the fleet not serving at any moment (those down for other reasons count): a count, or a percentage of the fleet such as `"20%"` (rounded down, at least 1). Default 1. */
  maxUnavailable?: pulumi.Input<number | string>;
  /** The first wave: `size` instances (default 1 when `canary` is given), then `bakeSeconds` of watching them serve before the rest go. */
  canary?: pulumi.Input<{ size?: pulumi.Input<number>; bakeSeconds?: pulumi.Input<number> }>;
  /** When a restarted instance serves again. Default: when it is Running. */
  healthCheck?: FleetHealthCheckArgs;
  /** Seconds an instance must keep serving before it frees its slot. Default 0. */
  warmupSeconds?: pulumi.Input<number>;
  /** Seconds a restarted instance may take to serve before it counts as failed. Default 600. */
  healthTimeoutSeconds?: pulumi.Input<number>;
  /** Failures tolerated; one more stops the rollout, leaving the instances not started yet untouched. Default 0. */
  maxFailures?: pulumi.Input<number>;
  /** Give an instance that never serves again its previous type back (after its cooldown). Default false. */
  rollbackOnFailure?: pulumi.Input<boolean>;
}

/** The desired spec of a tier of existing ECS instances (pay-as-you-go or subscription), and how to roll it. */
export interface InstanceSpecFleetArgs extends FleetSpecArgs {
  /** The instances: IDs, or `{instanceId, ...overrides}`; the shared spec applies to the rest. */
  instances: pulumi.Input<pulumi.Input<string | FleetInstanceArgs>[]>;
  /** Their region. Defaults to the `alicloud:region` config. */
  regionId?: pulumi.Input<string>;
  /** How the fleet is rolled. */
  rollout?: pulumi.Input<RolloutArgs>;
  /** Give up an instance's apply after this many seconds (its wait for a slot included). Default 3600. */
  timeoutSeconds?: pulumi.Input<number>;
  /** Estimates for the preview's schedule, seconds: `stopSeconds`, `startSeconds`, `stopLeadSeconds`, `orderSeconds` (a subscription order until it applies) and `healthSeconds` (Running to serving). */
  estimates?: pulumi.Input<{ stopSeconds?: pulumi.Input<number>; startSeconds?: pulumi.Input<number>; stopLeadSeconds?: pulumi.Input<number>; orderSeconds?: pulumi.Input<number>; healthSeconds?: pulumi.Input<number> }>;
  /** The ECS endpoint (default the region's public one). */
  endpoint?: pulumi.Input<string>;
  /** A named profile of the Alibaba Cloud CLI config to take credentials from. */
  credentialsProfile?: pulumi.Input<string>;
}

/** One instance after the last rollout. */
export interface FleetInstanceState {
  instanceId: string;
  actual?: { instanceType: string; internetMaxBandwidthOut: number; internetMaxBandwidthIn: number; status: string };
  /** `changed`, `skipped`, `failed`, `rolledBack` or `untouched`. */
  done: string;
  /** How often the last rollout stopped it (StopInstance). */
  stops: number;
  /** How often the last rollout had ECS restart it (a subscription upgrade of a running instance). */
  restarts?: number;
  wave?: number;
  notServingSeconds?: number;
  /** `Action(items) RequestId` of each call. */
  calls: string[];
  /** The orders its subscription changes created (ModifyPrepayInstanceSpec, ModifyInstanceNetworkSpec), in call order. */
  orderIds?: string[];
  lastChangeAt?: string;
  error?: string;
}

/**
 * A rolling resize of a tier of ECS instances: each instance changes like an `InstanceSpec`
 * (single-item calls, a stop only for a type change, cooldowns waited out), and the fleet never
 * has more than `rollout.maxUnavailable` instances not serving — a slot is taken right before a
 * stop (or before a subscription upgrade's order, which ECS follows with a restart) and freed once
 * the instance serves again (health check) and has warmed up. A canary wave
 * bakes first; failures stop the rollout (and may roll an instance back). `pulumi preview --diff`
 * shows the waves under `plan`. A killed rollout is finished by the next `up`.
 *
 * @example
 * new InstanceSpecFleet("web", {
 *   instances: ["i-a", "i-b", { instanceId: "i-c", instanceType: "ecs.g6.2xlarge" }],
 *   instanceType: "ecs.g6.xlarge",
 *   rollout: { maxUnavailable: 1, canary: { size: 1, bakeSeconds: 120 }, healthCheck: { type: "clb", loadBalancerId: "lb-…" } },
 * });
 */
export class InstanceSpecFleet extends pulumi.dynamic.Resource {
  /** The rollout shown at preview: waves, instances per wave, downtime, the most down at once, the total. */
  declare public readonly plan: pulumi.Output<string[]>;
  /** Per instance: the live spec and status, and what the last rollout did. */
  declare public readonly instanceStates: pulumi.Output<FleetInstanceState[]>;
  /** The last rollout: its waves, failures, whether it stopped, the most instances it counted down at once. */
  declare public readonly lastRollout: pulumi.Output<Record<string, unknown>>;

  constructor(name: string, args: InstanceSpecFleetArgs, opts?: pulumi.CustomResourceOptions) {
    const regionId = args.regionId ?? new pulumi.Config("alicloud").get("region");
    super(provider, name, { ...args, regionId, plan: undefined, instanceStates: undefined, lastRollout: undefined }, opts, "ecs-spec", "InstanceSpecFleet");
  }
}
