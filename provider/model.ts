/**
 * The live facts about one ECS instance that planning and applying need, normalized from a
 * `DescribeInstances` answer. No Pulumi types and no I/O here.
 */

/** ECS instance statuses as `DescribeInstances` reports them. */
export type InstanceStatus = "Pending" | "Running" | "Starting" | "Stopping" | "Stopped";

/** One instance as the resize engine sees it. */
export interface InstanceSnapshot {
  /** The instance ID, `i-…`. */
  readonly instanceId: string;
  /** The region, e.g. `cn-hangzhou`. */
  readonly regionId: string;
  /** The zone, e.g. `cn-hangzhou-h`. */
  readonly zoneId: string;
  /** Current status. */
  readonly status: InstanceStatus;
  /** Current instance type, e.g. `ecs.g6.large`. */
  readonly instanceType: string;
  /** Outbound public bandwidth cap, Mbit/s. */
  readonly internetMaxBandwidthOut: number;
  /** Inbound public bandwidth cap, Mbit/s. */
  readonly internetMaxBandwidthIn: number;
  /** `PostPaid` (pay-as-you-go, the only kind `ModifyInstanceSpec` changes) or `PrePaid`. */
  readonly instanceChargeType: "PostPaid" | "PrePaid";
  /** `PayByTraffic` or `PayByBandwidth`. */
  readonly internetChargeType: string;
  /** What a stop does to billing, as the instance reports it (`KeepCharging`, `StopCharging`, `Not-applicable`). */
  readonly stoppedMode: string;
  /** The EIP allocation bound to the instance, if any. */
  readonly eipAllocationId?: string;
  /** The dedicated host the instance runs on, if any. */
  readonly dedicatedHostId?: string;
  /** Lock reasons from `OperationLocks` (`security`, `financial`, …). */
  readonly operationLocks: readonly string[];
  /** True when the instance type family has local (ephemeral) disks. */
  readonly hasLocalDisks: boolean;
  /** The instance's tags (`Tags.Tag[]` of `DescribeInstances`), key → value. */
  readonly tags: Readonly<Record<string, string>>;
  /** The primary private IPv4 address (`VpcAttributes.PrivateIpAddress`, or `InnerIpAddress` on classic network), if any. */
  readonly privateIp?: string;
  /** The public IPv4 address: the bound EIP's, else the instance's own (`PublicIpAddress`), if any. */
  readonly publicIp?: string;
}

/** Stopped, or on its way there. */
export function isDown(s: Pick<InstanceSnapshot, "status">): boolean {
  return s.status === "Stopped" || s.status === "Stopping";
}
