import * as pulumi from "@pulumi/pulumi";

/**
 * The serialized provider. It is deliberately tiny and captures nothing: every method loads the
 * implementation (`pulumi-ecs-spec/runtime`) at run time in the provider process, resolved from
 * the Pulumi project's folder. So the `__provider` text is the same for every version of this
 * package (upgrading it is not a change of the resource), and no credential read by the program
 * can end up embedded in it.
 */
const provider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    return require("pulumi-ecs-spec/runtime").configure(req);
  },
  async check(olds, news) {
    return require("pulumi-ecs-spec/runtime").check(olds, news);
  },
  async diff(id, olds, news) {
    return require("pulumi-ecs-spec/runtime").diff(id, olds, news);
  },
  async create(inputs) {
    return require("pulumi-ecs-spec/runtime").create(inputs);
  },
  async read(id, props) {
    return require("pulumi-ecs-spec/runtime").read(id, props);
  },
  async update(id, olds, news) {
    return require("pulumi-ecs-spec/runtime").update(id, olds, news);
  },
  async delete(id, props) {
    return require("pulumi-ecs-spec/runtime").delete(id, props);
  },
};

/**
 * A temporary public bandwidth upgrade window. One that has already begun when it is applied is
 * applied from then to its end; one that ends more than 365 days ahead is refused.
 */
export interface TemporaryBandwidthArgs {
  /** Start of the window, ISO 8601 UTC `yyyy-MM-ddTHH:mm:ssZ`. */
  startTime: pulumi.Input<string>;
  /** End of the window, same format, after `startTime`, and within 365 days. */
  endTime: pulumi.Input<string>;
  /** Outbound bandwidth during the window, Mbit/s. */
  internetMaxBandwidthOut: pulumi.Input<number>;
}

/** The desired spec of one existing ECS instance, pay-as-you-go or subscription. */
export interface InstanceSpecArgs {
  /** The instance to manage, `i-…`. Changing it replaces the resource (nothing is deleted). */
  instanceId: pulumi.Input<string>;
  /** Its region. Defaults to the `alicloud:region` config. Changing it replaces the resource. */
  regionId?: pulumi.Input<string>;
  /** The instance type wanted, e.g. `ecs.g6.xlarge`. A change stops the instance (see `allowStop`). */
  instanceType?: pulumi.Input<string>;
  /** Outbound public bandwidth cap, Mbit/s, 0–100. */
  internetMaxBandwidthOut?: pulumi.Input<number>;
  /** Inbound public bandwidth cap, Mbit/s, 1–200. */
  internetMaxBandwidthIn?: pulumi.Input<number>;
  /** A temporary outbound bandwidth upgrade window. */
  temporaryBandwidth?: pulumi.Input<TemporaryBandwidthArgs>;
  /** System disk category after a type change: `cloud_efficiency` or `cloud_ssd`. Only with `instanceType`. */
  systemDiskCategory?: pulumi.Input<"cloud_efficiency" | "cloud_ssd">;
  /** Allow moving to another zone to find the type (changes the private IP). Default false. */
  allowMigrateAcrossZone?: pulumi.Input<boolean>;
  /**
   * Allow taking the instance down for a type change: a stop (pay-as-you-go; a subscription
   * downgrade) or the one ECS restart a subscription upgrade of a running instance needs. Default
   * true; false refuses such a plan at preview.
   */
  allowStop?: pulumi.Input<boolean>;
  /**
   * Subscription (PrePaid) instances: pay the orders of upgrades (type, bandwidth, temporary window)
   * from the account's balance at once (`true`), or leave them unpaid for the console (`false`; the
   * change waits for the payment). No default: a plan that would create an order to pay is refused
   * at preview until this is set. Downgrades are refunds and need nothing.
   */
  autoPay?: pulumi.Input<boolean>;
  /** Billing while stopped for the change: `KeepCharging` (default) or `StopCharging`. */
  stoppedMode?: pulumi.Input<"KeepCharging" | "StopCharging">;
  /** Seconds the API refuses further changes after each one. Default 300 (the documented 5 minutes). */
  cooldownSeconds?: pulumi.Input<number>;
  /** Give up an apply after this many seconds (the engine ignores `customTimeouts` for dynamic resources). Default 3600. */
  timeoutSeconds?: pulumi.Input<number>;
  /**
   * How long a stop and a start of this instance take, in seconds (default 45 each, typical on
   * Alibaba Cloud), and how much of a stop may overlap the end of a cooldown (`stopLeadSeconds`,
   * default 15: the short end of stop times, since a stop that ends before the cooldown leaves the
   * instance stopped, waiting). Only the plan's estimates and the timing of the stop use them.
   * Each is a number of seconds, 0 or more; another key or value fails the preview.
   */
  estimates?: pulumi.Input<{
    stopSeconds?: pulumi.Input<number>;
    startSeconds?: pulumi.Input<number>;
    stopLeadSeconds?: pulumi.Input<number>;
    /** A subscription order until it settles and applies (default 10; the API documents 5–10 s). */
    orderSeconds?: pulumi.Input<number>;
  }>;
  /** The ECS endpoint, e.g. `https://ecs.cn-hangzhou.aliyuncs.com` (default) or a simulator's `http://127.0.0.1:PORT`. */
  endpoint?: pulumi.Input<string>;
  /** A named profile of the Alibaba Cloud CLI config (`~/.aliyun/config.json`) to take credentials from. */
  credentialsProfile?: pulumi.Input<string>;
}

/** The live instance, as last read. */
export interface ActualSpec {
  instanceType: string;
  internetMaxBandwidthOut: number;
  internetMaxBandwidthIn: number;
  status: string;
  zoneId: string;
  instanceChargeType: string;
}

/** One call made by the last apply. */
export interface AppliedCall {
  action: string;
  params: Record<string, string>;
  /** The API's RequestId ("" when a lost answer was found already applied). */
  requestId: string;
  /** The order a subscription change created (ModifyPrepayInstanceSpec, ModifyInstanceNetworkSpec). */
  orderId?: string;
  /** `done`, `alreadyApplied` (the answer was lost but the change showed) or `skipped`. */
  outcome: "done" | "alreadyApplied" | "skipped";
  startedAt: string;
  finishedAt: string;
  attempts: number;
}

/**
 * The spec and public bandwidth of an existing Alibaba Cloud ECS instance, changed safely:
 * single-item `ModifyInstanceSpec` calls, a stop only when the type changes (and a restart
 * right after), cooldowns waited out, every API error decided. `pulumi preview --diff` shows
 * the planned calls under `plan`. Deleting the resource leaves the instance as it is.
 */
export class InstanceSpec extends pulumi.dynamic.Resource {
  /** The managed instance. */
  declare public readonly instanceId: pulumi.Output<string>;
  /** Its region. */
  declare public readonly regionId: pulumi.Output<string>;
  /** The live instance after the last apply or refresh. */
  declare public readonly actual: pulumi.Output<ActualSpec>;
  /** When the last successful spec change was made (ISO 8601), for the cooldown across runs. */
  declare public readonly lastChangeAt: pulumi.Output<string | undefined>;
  /** The calls of the last apply, with their request ids. */
  declare public readonly lastApply: pulumi.Output<AppliedCall[]>;
  /** The plan shown at preview: the live instance, one line per call or wait, then expected downtime and duration. */
  declare public readonly plan: pulumi.Output<string[]>;
  /** What `DescribeInstances` cannot show and the next apply must know (temporary window applied, pending type, left stopped). */
  declare public readonly engineState: pulumi.Output<{ appliedTemporaryBandwidth?: TemporaryBandwidthArgs; pendingInstanceType?: string; stoppedByEngine?: boolean }>;

  constructor(name: string, args: InstanceSpecArgs, opts?: pulumi.CustomResourceOptions) {
    const regionId = args.regionId ?? new pulumi.Config("alicloud").get("region");
    super(
      provider,
      name,
      {
        ...args,
        regionId,
        actual: undefined,
        lastChangeAt: undefined,
        lastApply: undefined,
        plan: undefined,
        engineState: undefined,
      },
      opts,
      "ecs-spec",
      "InstanceSpec",
    );
  }
}
