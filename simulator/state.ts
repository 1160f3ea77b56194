/**
 * The simulator's whole world as plain JSON: account flags, catalogue, images and instances.
 * `GET/PUT /_sim/state` and the `--state FILE` use exactly this shape.
 */

/** Instance statuses as ECS reports them. */
export type SimStatus = "Pending" | "Running" | "Starting" | "Stopping" | "Stopped";

/** Account-level flags that make ECS refuse spec changes. */
export interface SimAccount {
  /** The account ID shown nowhere but in the state (tokens and rate limits are per account). */
  accountId: string;
  /** Overdue payment: `Account.Arrearage` on ModifyInstanceSpec. */
  arrears: boolean;
  /** Balance too low: `InvalidAccountStatus.NotEnoughBalance` on ModifyInstanceSpec. */
  lowBalance: boolean;
  /** Card needs 3-D Secure verification: `SecurityRisk.3DVerification` on ModifyInstanceSpec. */
  securityRisk3DVerification: boolean;
  /** Economical mode: StopInstance without StoppedMode defaults to `StopCharging` when true. */
  economicalMode: boolean;
  /**
   * Actions a RAM policy denies to the caller (e.g. `["TagResources", "UntagResources"]`): each
   * call of them answers `Forbidden.RAM` (403) before anything else is checked. Default none.
   */
  deniedActions: string[];
}

/** A tag on a resource. Keys are unique per resource and case-sensitive. */
export interface SimTag {
  key: string;
  value: string;
}

/** One instance type as the account sees it (catalogue-wide, not per zone). */
export interface SimInstanceType {
  cpu: number;
  /** Memory in MiB. */
  memoryMiB: number;
  /** `ecs.g6` for `ecs.g6.large`. */
  family: string;
  architecture: "x86_64" | "arm64";
  /** GPUs per instance. */
  gpuAmount?: number;
  /** Private IPv4 addresses per ENI the type allows. */
  privateIpv4PerEni: number;
  /** IPv6 addresses per ENI the type allows (0 = no IPv6). */
  ipv6PerEni: number;
  /** The type has local (ephemeral) disks. */
  localStorage?: boolean;
  /** Retired: `InstanceType.Offline`. */
  offline?: boolean;
  /** False: `InvalidInstanceType.ValueUnauthorized` ("not authorized"). Default true. */
  authorized?: boolean;
}

/** Stock of one instance type in one zone. */
export interface SimZoneOffer {
  instanceType: string;
  /** `Available` (can change to it) or `SoldOut` (`OperationDenied.NoStock`). */
  status: "Available" | "SoldOut";
  statusCategory: "WithStock" | "ClosedWithStock" | "WithoutStock" | "ClosedWithoutStock";
}

/** One zone of the region and what it offers. */
export interface SimZone {
  zoneId: string;
  offers: SimZoneOffer[];
}

/** An image the instances may run. */
export interface SimImage {
  osName: string;
  osType: "linux" | "windows";
  architecture: "x86_64" | "arm64";
  /** 32-bit images cannot use types with more than 4 GiB memory (`InvalidParameter.Conflict`). */
  bits: 32 | 64;
  /** Types this image cannot run on (`ImageNotSupportInstanceType`). */
  unsupportedInstanceTypes?: string[];
  /** Marketplace image status; anything but `Available` refuses type changes (`InvalidMarketImageStatus.NotSupported`). */
  marketplaceStatus?: "Available" | "Offline";
}

/** A disk attached to an instance. */
export interface SimDisk {
  diskId: string;
  /** `cloud_essd`, `cloud_ssd`, `cloud_efficiency`, `cloud`, or a local category (`ephemeral_ssd`, `local_ssd_pro`, `local_hdd_pro`). */
  category: string;
  type: "system" | "data";
  sizeGiB: number;
  device: string;
}

/** A temporary bandwidth upgrade window set by `Temporary.*`. */
export interface SimTemporaryBandwidth {
  /** ISO `yyyy-MM-ddTHH:mm:ssZ`. */
  startTime: string;
  endTime: string;
  internetMaxBandwidthOut: number;
}

/** One ECS instance. Timestamps are epoch milliseconds (wall clock). */
export interface SimInstance {
  instanceId: string;
  instanceName: string;
  zoneId: string;
  imageId: string;
  status: SimStatus;
  /** An ongoing transition: at `atMs` the status becomes `to` (evaluated lazily on every read). */
  transition: { to: SimStatus; atMs: number } | null;
  instanceType: string;
  /** A type change accepted while Stopped; it becomes `instanceType` when the instance next reaches Running. */
  pendingInstanceType: string | null;
  /** An `Async=true` type change still being applied until this time (StartInstance: `InstanceNotReady`). */
  applyingUntilMs: number | null;
  internetMaxBandwidthOut: number;
  internetMaxBandwidthIn: number;
  /** `PayByTraffic` or `PayByBandwidth`; anything else: `InvalidInternetChargeType.ValueNotSupported`. */
  internetChargeType: string;
  /** `PostPaid` or `PrePaid`; anything else: `InvalidInstanceChargeType.NotFound`. */
  instanceChargeType: string;
  /** What the last stop did to billing: `KeepCharging`, `StopCharging`; `Not-applicable` while running. */
  stoppedMode: string;
  eip: { allocationId: string; ipAddress: string; bandwidth: number } | null;
  dedicatedHost: { dedicatedHostId: string; dedicatedHostName: string } | null;
  /** `OperationLocks`: `security` refuses every change; `financial` answers `Account.Arrearage`. */
  operationLocks: { lockReason: string; lockMsg?: string }[];
  disks: SimDisk[];
  privateIpAddress: string;
  publicIpAddress: string | null;
  privateIpv4Count: number;
  ipv6Count: number;
  temporaryBandwidth: SimTemporaryBandwidth | null;
  /** Epoch ms of the last successful ModifyInstanceSpec (starts the cooldown). */
  lastSpecChangeAtMs: number | null;
  /** Instance is out of usage (expired/released soon): `OperationDenied`. */
  outOfUsage?: boolean;
  /** A reserved spec change not yet effective: `InstanceSpecModification.NotEffective`. */
  specModificationReserved?: boolean;
  /** Downgrades refused for this instance: `Downgrade.NotSupported`. */
  downgradeNotSupported?: boolean;
  /** Tags, in the order they were added (a state may hold system tags starting with `aliyun`/`acs:`, which TagResources refuses). */
  tags: SimTag[];
  creationTime: string;
  /**
   * Epoch ms at which the instance last reached `Running` (the health model counts
   * `healthyAfterSeconds` from it); `null` when it has been running since before the state began.
   */
  runningSinceMs: number | null;
}

/** One listener of a CLB instance. */
export interface SimListener {
  /** Frontend port, 1–65535. */
  port: number;
  /** `http`, `https`, `tcp` or `udp`. */
  protocol: "http" | "https" | "tcp" | "udp";
  /** Port of the backend servers. */
  backendPort: number;
  /** Health check on: rows read `normal`/`abnormal`; off: `unavailable`. */
  healthCheck: boolean;
}

/** A classic load balancer (CLB) fronting ECS instances, as `DescribeHealthStatus` sees it. */
export interface SimLoadBalancer {
  /** `lb-…` */
  loadBalancerId: string;
  /** Must be the state's region to be found. */
  regionId: string;
  listeners: SimListener[];
  /** ECS instance IDs of the backend servers (every listener forwards to all of them). */
  backends: string[];
}

/** A remembered `ClientToken` of a successful ModifyInstanceSpec. */
export interface SimClientToken {
  /** Canonical hash of the call's parameters (all but auth noise and ClientToken). */
  paramsHash: string;
  /** Until this time a retry answers `LastTokenProcessing`. */
  processingUntilMs: number;
  /** The answer replayed to a retry with the same parameters. */
  httpStatus: number;
  response: unknown;
  createdAtMs: number;
}

/** The whole simulated world. JSON-serializable. */
export interface SimState {
  /** Format version of this JSON. */
  version: 1;
  regionId: string;
  account: SimAccount;
  instanceTypes: Record<string, SimInstanceType>;
  zones: SimZone[];
  images: Record<string, SimImage>;
  instances: SimInstance[];
  /** Remembered ClientTokens, keyed by token. */
  clientTokens: Record<string, SimClientToken>;
  /** CLB instances (the `2014-05-15` API). Default none. */
  loadBalancers: SimLoadBalancer[];
}

/** The region of the demo state. */
export const DEMO_REGION = "cn-hangzhou";
/** The demo instances' zone. */
export const DEMO_ZONE = "cn-hangzhou-h";
/** A second zone (only used with `AllowMigrateAcrossZone`). */
export const DEMO_ZONE_2 = "cn-hangzhou-i";
/** The image of every demo instance. */
export const DEMO_IMAGE = "aliyun_3_x64_20G_alibase_20240819.vhd";

function t(cpu: number, memGiB: number, family: string, ipv4: number, ipv6: number, extra: Partial<SimInstanceType> = {}): SimInstanceType {
  return { cpu, memoryMiB: memGiB * 1024, family, architecture: "x86_64", privateIpv4PerEni: ipv4, ipv6PerEni: ipv6, ...extra };
}

/** The instance types the demo account knows (specs follow the real families). */
export function demoInstanceTypes(): Record<string, SimInstanceType> {
  return {
    "ecs.g6.large": t(2, 8, "ecs.g6", 6, 6),
    "ecs.g6.xlarge": t(4, 16, "ecs.g6", 10, 10),
    "ecs.g6.2xlarge": t(8, 32, "ecs.g6", 10, 10),
    "ecs.g6.4xlarge": t(16, 64, "ecs.g6", 20, 20),
    "ecs.c6.large": t(2, 4, "ecs.c6", 6, 6),
    "ecs.c6.xlarge": t(4, 8, "ecs.c6", 10, 10),
    "ecs.c6.2xlarge": t(8, 16, "ecs.c6", 10, 10),
    "ecs.r6.large": t(2, 16, "ecs.r6", 6, 6),
    "ecs.r6.xlarge": t(4, 32, "ecs.r6", 10, 10),
    "ecs.i2.xlarge": t(4, 32, "ecs.i2", 10, 0, { localStorage: true }),
    "ecs.i2.2xlarge": t(8, 64, "ecs.i2", 10, 0, { localStorage: true }),
    "ecs.n1.small": t(1, 1, "ecs.n1", 2, 0, { offline: true }),
    "ecs.gn6i-c4g1.xlarge": t(4, 15, "ecs.gn6i", 10, 1, { gpuAmount: 1 }),
    "ecs.g6r.large": t(2, 8, "ecs.g6r", 6, 6, { architecture: "arm64" }),
    "ecs.t5-lc1m2.small": t(1, 2, "ecs.t5", 2, 0),
    "ecs.ebmg6.26xlarge": t(104, 384, "ecs.ebmg6", 30, 30, { authorized: false }),
    "ecs.c6.4xlarge": t(16, 32, "ecs.c6", 20, 20),
  };
}

function offer(instanceType: string, soldOut = false): SimZoneOffer {
  return soldOut
    ? { instanceType, status: "SoldOut", statusCategory: "WithoutStock" }
    : { instanceType, status: "Available", statusCategory: "WithStock" };
}

/** The demo zone catalogue: what `cn-hangzhou-h` and `cn-hangzhou-i` offer. */
export function demoZones(): SimZone[] {
  return [
    {
      zoneId: DEMO_ZONE,
      offers: [
        ...["ecs.g6.large", "ecs.g6.xlarge", "ecs.g6.2xlarge", "ecs.c6.large", "ecs.c6.xlarge", "ecs.c6.2xlarge",
          "ecs.r6.large", "ecs.r6.xlarge", "ecs.i2.xlarge", "ecs.i2.2xlarge", "ecs.gn6i-c4g1.xlarge", "ecs.g6r.large",
          "ecs.t5-lc1m2.small", "ecs.ebmg6.26xlarge", "ecs.n1.small"].map((x) => offer(x)),
        offer("ecs.g6.4xlarge", true),
      ],
    },
    {
      zoneId: DEMO_ZONE_2,
      offers: ["ecs.g6.large", "ecs.g6.xlarge", "ecs.g6.2xlarge", "ecs.g6.4xlarge", "ecs.c6.large", "ecs.c6.4xlarge"].map((x) => offer(x)),
    },
  ];
}

/** The demo images. */
export function demoImages(): Record<string, SimImage> {
  return {
    [DEMO_IMAGE]: {
      osName: "Alibaba Cloud Linux 3.2104 LTS 64 bit",
      osType: "linux",
      architecture: "x86_64",
      bits: 64,
      unsupportedInstanceTypes: ["ecs.gn6i-c4g1.xlarge"],
    },
    "centos_6_10_32_40G_alibase_20200319.vhd": {
      osName: "CentOS 6.10 32 bit",
      osType: "linux",
      architecture: "x86_64",
      bits: 32,
    },
    "m-market-delisted-0001": {
      osName: "Marketplace LAMP (delisted)",
      osType: "linux",
      architecture: "x86_64",
      bits: 64,
      marketplaceStatus: "Offline",
    },
  };
}

let ipSeq = 10;

/** A fresh instance record with demo defaults; `over` overrides any field. */
export function makeInstance(instanceId: string, over: Partial<SimInstance> = {}): SimInstance {
  const n = ipSeq++;
  const base: SimInstance = {
    instanceId,
    instanceName: instanceId.replace(/^i-/, ""),
    zoneId: DEMO_ZONE,
    imageId: DEMO_IMAGE,
    status: "Running",
    transition: null,
    instanceType: "ecs.g6.large",
    pendingInstanceType: null,
    applyingUntilMs: null,
    internetMaxBandwidthOut: 5,
    internetMaxBandwidthIn: 100,
    internetChargeType: "PayByTraffic",
    instanceChargeType: "PostPaid",
    stoppedMode: "Not-applicable",
    eip: null,
    dedicatedHost: null,
    operationLocks: [],
    disks: [{ diskId: `d-${instanceId.replace(/^i-/, "")}-sys`, category: "cloud_essd", type: "system", sizeGiB: 40, device: "/dev/xvda" }],
    privateIpAddress: `192.168.0.${n % 250}`,
    publicIpAddress: `47.96.1.${n % 250}`,
    privateIpv4Count: 1,
    ipv6Count: 0,
    temporaryBandwidth: null,
    lastSpecChangeAtMs: null,
    tags: [],
    creationTime: "2025-01-01T00:00Z",
    runningSinceMs: null,
  };
  const inst = { ...base, ...over };
  if (inst.status === "Stopped" && !over.stoppedMode) inst.stoppedMode = "KeepCharging";
  return inst;
}

/** The default account: everything in order. */
export function demoAccount(): SimAccount {
  return {
    accountId: "1234567890123456", arrears: false, lowBalance: false, securityRisk3DVerification: false, economicalMode: false, deniedActions: [],
  };
}

/** The documented demo world (see simulator/README.md). Fresh objects on every call. */
export function demoState(): SimState {
  ipSeq = 10;
  return {
    version: 1,
    regionId: DEMO_REGION,
    account: demoAccount(),
    instanceTypes: demoInstanceTypes(),
    zones: demoZones(),
    images: demoImages(),
    instances: [
      makeInstance("i-demo-web-01", { instanceType: "ecs.g6.large", internetMaxBandwidthOut: 5, internetMaxBandwidthIn: 100 }),
      makeInstance("i-demo-api-01", { instanceType: "ecs.c6.large", internetMaxBandwidthOut: 10, internetMaxBandwidthIn: 100 }),
      makeInstance("i-demo-worker-01", { instanceType: "ecs.g6.large", internetMaxBandwidthOut: 1, internetMaxBandwidthIn: 10 }),
      makeInstance("i-demo-worker-02", { instanceType: "ecs.g6.large", internetMaxBandwidthOut: 1, internetMaxBandwidthIn: 10 }),
      makeInstance("i-demo-batch-01", {
        instanceType: "ecs.g6.xlarge", status: "Stopped", internetMaxBandwidthOut: 0, internetMaxBandwidthIn: 10, publicIpAddress: null,
      }),
      makeInstance("i-demo-prepaid-01", { instanceChargeType: "PrePaid" }),
      makeInstance("i-demo-eip-01", {
        internetMaxBandwidthOut: 0, publicIpAddress: null,
        eip: { allocationId: "eip-demo-0001", ipAddress: "47.96.200.1", bandwidth: 5 },
      }),
      makeInstance("i-demo-localdisk-01", {
        instanceType: "ecs.i2.xlarge",
        disks: [
          { diskId: "d-demo-localdisk-01-sys", category: "cloud_essd", type: "system", sizeGiB: 40, device: "/dev/xvda" },
          { diskId: "d-demo-localdisk-01-local1", category: "local_ssd_pro", type: "data", sizeGiB: 894, device: "/dev/xvdb" },
        ],
      }),
      makeInstance("i-demo-ddh-01", { dedicatedHost: { dedicatedHostId: "dh-demo-0001", dedicatedHostName: "demo-ddh" } }),
      makeInstance("i-demo-locked-01", {
        operationLocks: [{ lockReason: "security", lockMsg: "The instance is locked for security reasons." }],
      }),
      ...DEMO_TIER.map((id, k) =>
        makeInstance(id, {
          instanceType: "ecs.g6.large", internetMaxBandwidthOut: 0, internetMaxBandwidthIn: 10, publicIpAddress: null,
          privateIpAddress: `192.168.10.${11 + k}`,
        })),
    ],
    clientTokens: {},
    loadBalancers: [
      {
        loadBalancerId: DEMO_TIER_LB, regionId: DEMO_REGION,
        listeners: [{ port: 80, protocol: "http", backendPort: 80, healthCheck: true }],
        backends: [...DEMO_TIER],
      },
    ],
  };
}

/** The demo web tier: ten pay-as-you-go instances, running, behind {@link DEMO_TIER_LB}. */
export const DEMO_TIER: readonly string[] = Array.from({ length: 10 }, (_, k) => `i-demo-tier-${String(k + 1).padStart(2, "0")}`);
/** The demo CLB in front of {@link DEMO_TIER}: listener 80/http, health check on. */
export const DEMO_TIER_LB = "lb-demo-tier";

/** Local (ephemeral) disk categories: instances with them cannot change type (`CategoryViolation`). */
export const LOCAL_DISK_CATEGORIES: readonly string[] = ["ephemeral", "ephemeral_ssd", "local_ssd_pro", "local_hdd_pro"];

/**
 * Checks the top-level shape of a state given by a user (PUT /_sim/state, --state FILE) and
 * fills defaults of optional parts. Returns an error message instead of throwing.
 */
export function normalizeState(input: unknown): { ok: true; state: SimState } | { ok: false; error: string } {
  if (!input || typeof input !== "object") return { ok: false, error: "state must be a JSON object" };
  const s = input as Partial<SimState>;
  if (s.version !== 1) return { ok: false, error: "state.version must be 1" };
  if (typeof s.regionId !== "string") return { ok: false, error: "state.regionId must be a string" };
  if (!Array.isArray(s.instances)) return { ok: false, error: "state.instances must be an array" };
  if (!Array.isArray(s.zones)) return { ok: false, error: "state.zones must be an array" };
  if (!s.instanceTypes || typeof s.instanceTypes !== "object") return { ok: false, error: "state.instanceTypes must be an object" };
  const seen = new Set<string>();
  const instances: SimInstance[] = [];
  for (const [i, raw] of s.instances.entries()) {
    if (!raw || typeof raw !== "object" || typeof (raw as SimInstance).instanceId !== "string") {
      return { ok: false, error: `state.instances[${i}].instanceId must be a string` };
    }
    const inst = raw as SimInstance;
    if (seen.has(inst.instanceId)) return { ok: false, error: `duplicate instanceId ${inst.instanceId}` };
    seen.add(inst.instanceId);
    // Partial instances get the defaults of makeInstance (handy for hand-written state files).
    const full = makeInstance(inst.instanceId, inst);
    if (!Array.isArray(full.tags) || !full.tags.every((t) => t && typeof t.key === "string" && typeof t.value === "string")) {
      return { ok: false, error: `state.instances[${i}].tags must be an array of { key, value } strings` };
    }
    instances.push(full);
  }
  const account = { ...demoAccount(), ...(s.account ?? {}) };
  if (!Array.isArray(account.deniedActions) || !account.deniedActions.every((a) => typeof a === "string")) {
    return { ok: false, error: "state.account.deniedActions must be an array of action names" };
  }
  const loadBalancers: SimLoadBalancer[] = [];
  for (const [i, raw] of (s.loadBalancers ?? []).entries()) {
    const problem = loadBalancerProblem(raw);
    if (problem) return { ok: false, error: `state.loadBalancers[${i}]: ${problem}` };
    loadBalancers.push(raw);
  }
  return {
    ok: true,
    state: {
      version: 1,
      regionId: s.regionId,
      account,
      instanceTypes: s.instanceTypes,
      zones: s.zones,
      images: s.images ?? demoImages(),
      instances,
      clientTokens: s.clientTokens ?? {},
      loadBalancers,
    },
  };
}

const PROTOCOLS: readonly string[] = ["http", "https", "tcp", "udp"];
const isPort = (v: unknown) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535;

/** Why a load balancer of a user's state is malformed, or undefined. */
function loadBalancerProblem(raw: unknown): string | undefined {
  if (!raw || typeof raw !== "object") return "must be an object {loadBalancerId, regionId, listeners, backends}";
  const lb = raw as Partial<SimLoadBalancer>;
  if (typeof lb.loadBalancerId !== "string" || lb.loadBalancerId === "") return "loadBalancerId must be a string such as lb-demo-tier";
  if (typeof lb.regionId !== "string") return "regionId must be a string";
  if (!Array.isArray(lb.backends) || !lb.backends.every((b) => typeof b === "string")) return "backends must be an array of instance IDs";
  if (!Array.isArray(lb.listeners)) return "listeners must be an array";
  for (const l of lb.listeners) {
    if (!l || typeof l !== "object" || !isPort(l.port) || !isPort(l.backendPort) || !PROTOCOLS.includes(l.protocol) || typeof l.healthCheck !== "boolean") {
      return "each listener must be {port: 1-65535, protocol: http|https|tcp|udp, backendPort: 1-65535, healthCheck: boolean}";
    }
  }
  return undefined;
}
