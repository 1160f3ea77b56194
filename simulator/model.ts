/**
 * The ECS model: a state machine over `SimState` that enforces every precondition of the API.
 * No I/O here: each action takes the parsed parameters and `now`, and returns an answer as a
 * value (`Outcome`). Statuses advance lazily from wall-clock timestamps on every access.
 */
import { createHash, randomUUID } from "node:crypto";
import { E, type SimError } from "./errors.js";
import { LOCAL_DISK_CATEGORIES, type SimInstance, type SimState, type SimStatus } from "./state.js";

/** Durations of the simulated world, in seconds. Compress them in tests; the rules stay the same. */
export interface SimulatorTiming {
  /** Per-instance cooldown after each successful ModifyInstanceSpec (`Throttling`). Default 300. */
  cooldownSeconds: number;
  /** Running → Stopping → Stopped. Default 5. */
  stopSeconds: number;
  /** Stopped → Starting → Running. Default 5. */
  startSeconds: number;
  /** How long an `Async=true` type change keeps applying (StartInstance answers `InstanceNotReady`). Default 3. */
  asyncApplySeconds: number;
  /** How long a successful call's ClientToken stays "in flight" (`LastTokenProcessing`) after the answer. Default 0. */
  tokenProcessingSeconds: number;
  /** How far in the past `Temporary.StartTime` may be before `InvalidTemporary.StartTime`. Default 300. */
  temporaryStartToleranceSeconds: number;
  /**
   * How long an instance must have been Running before its load balancer's health check (and its
   * `/_health/` URL) reports it healthy. Default 10.
   */
  healthyAfterSeconds: number;
}

/** The defaults: 5-minute cooldown (as documented), a few seconds per transition. */
export const DEFAULT_TIMING: SimulatorTiming = {
  cooldownSeconds: 300,
  stopSeconds: 5,
  startSeconds: 5,
  asyncApplySeconds: 3,
  tokenProcessingSeconds: 0,
  temporaryStartToleranceSeconds: 300,
  healthyAfterSeconds: 10,
};

/** Request parameters after signature noise is removed, keyed by their wire names. */
export type Params = Record<string, string>;

/** What the model answers: a success body, or an error as a value. */
export type Outcome = { ok: true; body: Record<string, unknown> } | { ok: false; error: SimError };

/** What each action needs besides its parameters. */
export interface ModelContext {
  state: SimState;
  timing: SimulatorTiming;
  now: number;
}

const ok = (body: Record<string, unknown> = {}): Outcome => ({ ok: true, body: { RequestId: newRequestId(), ...body } });
const fail = (error: SimError): Outcome => ({ ok: false, error });

/** A request ID as ECS writes them: an upper-case UUID. */
export function newRequestId(): string {
  return randomUUID().toUpperCase();
}

/** Applies every transition whose time has come. Returns true when something changed. */
export function advance(inst: SimInstance, now: number): boolean {
  let changed = false;
  if (inst.transition && now >= inst.transition.atMs) {
    const atMs = inst.transition.atMs;
    inst.status = inst.transition.to;
    inst.transition = null;
    if (inst.status === "Running") {
      inst.runningSinceMs = atMs;
      inst.stoppedMode = "Not-applicable";
      if (inst.pendingInstanceType) {
        inst.instanceType = inst.pendingInstanceType;
        inst.pendingInstanceType = null;
      }
    }
    changed = true;
  }
  if (inst.applyingUntilMs !== null && now >= inst.applyingUntilMs) {
    inst.applyingUntilMs = null;
    changed = true;
  }
  if (inst.temporaryBandwidth && now >= Date.parse(inst.temporaryBandwidth.endTime)) {
    inst.temporaryBandwidth = null;
    changed = true;
  }
  return changed;
}

/** Advances every instance; returns true when anything changed. */
export function advanceAll(state: SimState, now: number): boolean {
  let changed = false;
  for (const inst of state.instances) changed = advance(inst, now) || changed;
  return changed;
}

/** The outbound bandwidth ECS reports: the temporary value inside an upgrade window. */
export function effectiveBandwidthOut(inst: SimInstance, now: number): number {
  const w = inst.temporaryBandwidth;
  if (w && now >= Date.parse(w.startTime) && now < Date.parse(w.endTime)) return w.internetMaxBandwidthOut;
  return inst.internetMaxBandwidthOut;
}

function hasLocalDisks(inst: SimInstance): boolean {
  return inst.disks.some((d) => LOCAL_DISK_CATEGORIES.includes(d.category));
}

function findInstance(ctx: ModelContext, id: string): SimInstance | undefined {
  const inst = ctx.state.instances.find((i) => i.instanceId === id);
  if (inst) advance(inst, ctx.now);
  return inst;
}

/** `true`/`false`, `undefined` when absent, `null` when present but not a boolean. */
function parseBool(v: string | undefined): boolean | undefined | null {
  if (v === undefined) return undefined;
  if (v === "true") return true;
  if (v === "false") return false;
  return null;
}

function parseIntParam(v: string): number | null {
  return /^-?\d+$/.test(v) ? Number(v) : null;
}

const ISO_SECONDS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

/** Parses `yyyy-MM-ddTHH:mm:ssZ` strictly (no ms, no offsets, a real calendar date). */
export function parseIsoSeconds(v: string): number | null {
  const m = ISO_SECONDS.exec(v);
  if (!m) return null;
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) return null;
  const back = new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
  return back === v ? ms : null;
}

function paging(p: Params): { pageNumber: number; pageSize: number } | SimError {
  const pageNumber = p.PageNumber === undefined ? 1 : parseIntParam(p.PageNumber);
  if (pageNumber === null || pageNumber < 1) return E.invalidParameter("PageNumber");
  const pageSize = p.PageSize === undefined ? 10 : parseIntParam(p.PageSize);
  if (pageSize === null || pageSize < 1 || pageSize > 100) return E.invalidParameter("PageSize");
  return { pageNumber, pageSize };
}

/** Parses a JSON-array-of-strings parameter (`InstanceIds`, `DiskIds`). */
function jsonIdList(v: string | undefined, name: string): string[] | undefined | SimError {
  if (v === undefined) return undefined;
  try {
    const list: unknown = JSON.parse(v);
    if (!Array.isArray(list) || list.length > 100 || !list.every((x) => typeof x === "string")) return E.invalidParameter(name);
    return list as string[];
  } catch {
    return E.invalidParameter(name);
  }
}

const isError = (x: unknown): x is SimError => !!x && typeof x === "object" && "httpStatus" in x && "code" in x;

function checkRegion(ctx: ModelContext, p: Params): SimError | undefined {
  if (p.RegionId === undefined) return E.missingParameter("RegionId");
  if (p.RegionId !== ctx.state.regionId) return E.regionNotFound();
  return undefined;
}

/** One instance as `DescribeInstances` / `DescribeInstanceAttribute` show it. */
export function instanceView(ctx: ModelContext, inst: SimInstance): Record<string, unknown> {
  const spec = ctx.state.instanceTypes[inst.instanceType];
  const image = ctx.state.images[inst.imageId];
  return {
    InstanceId: inst.instanceId,
    InstanceName: inst.instanceName,
    HostName: inst.instanceName,
    Description: "",
    RegionId: ctx.state.regionId,
    ZoneId: inst.zoneId,
    Status: inst.status,
    InstanceType: inst.instanceType,
    InstanceTypeFamily: spec?.family ?? inst.instanceType.split(".").slice(0, 2).join("."),
    Cpu: spec?.cpu ?? 0,
    Memory: spec?.memoryMiB ?? 0,
    GPUAmount: spec?.gpuAmount ?? 0,
    GPUSpec: "",
    ImageId: inst.imageId,
    OSName: image?.osName ?? "",
    OSNameEn: image?.osName ?? "",
    OSType: image?.osType ?? "linux",
    InternetMaxBandwidthOut: effectiveBandwidthOut(inst, ctx.now),
    InternetMaxBandwidthIn: inst.internetMaxBandwidthIn,
    InternetChargeType: inst.internetChargeType,
    InstanceChargeType: inst.instanceChargeType,
    StoppedMode: inst.stoppedMode,
    IoOptimized: true,
    InstanceNetworkType: "vpc",
    CreationTime: inst.creationTime,
    StartTime: inst.creationTime,
    ExpiredTime: inst.instanceChargeType === "PrePaid" ? "2026-12-31T16:00Z" : "2099-12-31T15:59Z",
    SerialNumber: createHash("md5").update(inst.instanceId).digest("hex").replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5"),
    EipAddress: inst.eip
      ? { AllocationId: inst.eip.allocationId, IpAddress: inst.eip.ipAddress, Bandwidth: inst.eip.bandwidth, InternetChargeType: "PayByTraffic" }
      : { AllocationId: "", IpAddress: "", Bandwidth: 0, InternetChargeType: "" },
    PublicIpAddress: { IpAddress: inst.publicIpAddress ? [inst.publicIpAddress] : [] },
    InnerIpAddress: { IpAddress: [] },
    VpcAttributes: {
      VpcId: "vpc-ecssim0001",
      VSwitchId: `vsw-ecssim-${inst.zoneId}`,
      NatIpAddress: "",
      PrivateIpAddress: { IpAddress: [inst.privateIpAddress] },
    },
    OperationLocks: { LockReason: inst.operationLocks.map((l) => ({ LockReason: l.lockReason, LockMsg: l.lockMsg ?? "" })) },
    DedicatedHostAttribute: {
      DedicatedHostId: inst.dedicatedHost?.dedicatedHostId ?? "",
      DedicatedHostName: inst.dedicatedHost?.dedicatedHostName ?? "",
      DedicatedHostClusterId: "",
    },
    SecurityGroupIds: { SecurityGroupId: ["sg-ecssim0001"] },
    Tags: { Tag: inst.tags.map((t) => ({ TagKey: t.key, TagValue: t.value })) },
    SpotStrategy: "NoSpot",
    DeletionProtection: false,
    DeviceAvailable: true,
    Recyclable: false,
    VlanId: "",
    CreditSpecification: "",
  };
}

// ---------------------------------------------------------------- read actions

function describeInstances(ctx: ModelContext, p: Params): Outcome {
  const regionError = checkRegion(ctx, p);
  if (regionError) return fail(regionError);
  const ids = jsonIdList(p.InstanceIds, "InstanceIds");
  if (isError(ids)) return fail(ids);
  const page = paging(p);
  if (isError(page)) return fail(page);
  const tagFilter = describeTagFilter(p);
  if (isError(tagFilter)) return fail(tagFilter);
  advanceAll(ctx.state, ctx.now);
  const matches = ctx.state.instances.filter(
    (i) =>
      (!ids || ids.includes(i.instanceId)) &&
      tagFilter.every((f) => i.tags.some((t) => t.key === f.key && (f.value === undefined || t.value === f.value))) &&
      (p.ZoneId === undefined || i.zoneId === p.ZoneId) &&
      (p.Status === undefined || i.status === p.Status) &&
      (p.InstanceType === undefined || i.instanceType === p.InstanceType) &&
      (p.InstanceName === undefined || i.instanceName === p.InstanceName) &&
      (p.InstanceChargeType === undefined || i.instanceChargeType === p.InstanceChargeType),
  );
  // With tag filters ECS returns at most 1,000 matching instances (ListTagResources lists more).
  if (tagFilter.length > 0) matches.splice(MAX_TAG_FILTER_MATCHES);
  const start = (page.pageNumber - 1) * page.pageSize;
  return ok({
    Instances: { Instance: matches.slice(start, start + page.pageSize).map((i) => instanceView(ctx, i)) },
    TotalCount: matches.length,
    PageNumber: page.pageNumber,
    PageSize: page.pageSize,
    NextToken: "",
  });
}

function describeInstanceAttribute(ctx: ModelContext, p: Params): Outcome {
  if (p.InstanceId === undefined) return fail(E.missingParameter("InstanceId"));
  const inst = findInstance(ctx, p.InstanceId);
  if (!inst) return fail(E.instanceNotFound());
  // DescribeInstanceAttribute has no Tags field: a client must read tags from DescribeInstances or ListTagResources.
  const { Tags: _tags, ...view } = instanceView(ctx, inst);
  return ok(view);
}

function describeDisks(ctx: ModelContext, p: Params): Outcome {
  const regionError = checkRegion(ctx, p);
  if (regionError) return fail(regionError);
  const ids = jsonIdList(p.DiskIds, "DiskIds");
  if (isError(ids)) return fail(ids);
  const page = paging(p);
  if (isError(page)) return fail(page);
  const diskType = p.DiskType ?? "all";
  if (!["all", "system", "data"].includes(diskType)) return fail(E.invalidParameter("DiskType"));
  const disks = ctx.state.instances
    .filter((i) => p.InstanceId === undefined || i.instanceId === p.InstanceId)
    .flatMap((inst) =>
      inst.disks.map((d) => ({
        DiskId: d.diskId,
        DiskName: d.diskId,
        Description: "",
        Category: d.category,
        Type: d.type,
        Size: d.sizeGiB,
        Device: d.device,
        InstanceId: inst.instanceId,
        Status: "In_use",
        ZoneId: inst.zoneId,
        RegionId: ctx.state.regionId,
        ImageId: d.type === "system" ? inst.imageId : "",
        Portable: d.type === "data" && !LOCAL_DISK_CATEGORIES.includes(d.category),
        DeleteWithInstance: true,
        Encrypted: false,
        PerformanceLevel: d.category === "cloud_essd" ? "PL0" : "",
        DiskChargeType: inst.instanceChargeType === "PrePaid" ? "PrePaid" : "PostPaid",
        CreationTime: inst.creationTime,
      })),
    )
    .filter(
      (d) =>
        (!ids || ids.includes(d.DiskId)) &&
        (diskType === "all" || d.Type === diskType) &&
        (p.Category === undefined || p.Category === "all" || d.Category === p.Category),
    );
  const start = (page.pageNumber - 1) * page.pageSize;
  return ok({
    Disks: { Disk: disks.slice(start, start + page.pageSize) },
    TotalCount: disks.length,
    PageNumber: page.pageNumber,
    PageSize: page.pageSize,
    NextToken: "",
  });
}

function describeResourcesModification(ctx: ModelContext, p: Params): Outcome {
  const regionError = checkRegion(ctx, p);
  if (regionError) return fail(regionError);
  if (p.ResourceId === undefined) return fail(E.missingParameter("ResourceId"));
  if (p.DestinationResource === undefined) return fail(E.missingParameter("DestinationResource"));
  if (!["InstanceType", "SystemDisk"].includes(p.DestinationResource)) return fail(E.invalidParameter("DestinationResource"));
  if (p.OperationType !== undefined && !["Upgrade", "Downgrade", "RenewDowngrade", "RenewModify"].includes(p.OperationType)) {
    return fail(E.invalidParameter("OperationType"));
  }
  const migrate = parseBool(p.MigrateAcrossZone);
  if (migrate === null) return fail(E.invalidParameter("MigrateAcrossZone"));
  const inst = findInstance(ctx, p.ResourceId);
  if (!inst) return fail(E.resourceNotFound());
  const zones = ctx.state.zones.filter(
    (z) => (migrate === true || z.zoneId === inst.zoneId) && (p.ZoneId === undefined || z.zoneId === p.ZoneId),
  );
  const availableZones = zones.map((z) => {
    let supported: { Value: string; Status: string; StatusCategory: string; Min: null; Max: null; Unit: null }[];
    if (p.DestinationResource === "SystemDisk") {
      supported = ["cloud_efficiency", "cloud_ssd", "cloud_essd"].map((v) => ({
        Value: v, Status: "Available", StatusCategory: "WithStock", Min: null, Max: null, Unit: null,
      }));
    } else {
      supported = z.offers
        .filter((o) => {
          const spec = ctx.state.instanceTypes[o.instanceType];
          return spec && !spec.offline && spec.authorized !== false && o.instanceType !== inst.instanceType &&
            (p.InstanceType === undefined || p.InstanceType === o.instanceType);
        })
        .map((o) => ({ Value: o.instanceType, Status: o.status, StatusCategory: o.statusCategory, Min: null, Max: null, Unit: null }));
    }
    const anyAvailable = supported.some((s) => s.Status === "Available");
    return {
      RegionId: ctx.state.regionId,
      ZoneId: z.zoneId,
      Status: anyAvailable ? "Available" : "SoldOut",
      StatusCategory: anyAvailable ? "WithStock" : "WithoutStock",
      AvailableResources: {
        AvailableResource: [{ Type: p.DestinationResource, SupportedResources: { SupportedResource: supported } }],
      },
    };
  });
  return ok({ AvailableZones: { AvailableZone: availableZones } });
}

// ---------------------------------------------------------------- Stop / Start

function stopInstance(ctx: ModelContext, p: Params): Outcome {
  if (p.InstanceId === undefined) return fail(E.missingParameter("InstanceId"));
  const force = parseBool(p.ForceStop);
  if (force === null) return fail(E.invalidParameter("ForceStop"));
  if (p.StoppedMode !== undefined && !["KeepCharging", "StopCharging"].includes(p.StoppedMode)) {
    return fail(E.invalidParameter("StoppedMode"));
  }
  const dryRun = parseBool(p.DryRun);
  if (dryRun === null) return fail(E.invalidParameter("DryRun"));
  const inst = findInstance(ctx, p.InstanceId);
  if (!inst) return fail(E.instanceNotFound());
  if (inst.operationLocks.some((l) => l.lockReason === "security")) return fail(E.lockedForSecurity());
  if (inst.status !== "Running") return fail(E.incorrectInstanceStatus());
  if (dryRun) return fail(E.dryRunOperation());
  let mode = p.StoppedMode ?? (ctx.state.account.economicalMode ? "StopCharging" : "KeepCharging");
  // StopCharging needs a pay-as-you-go instance without local disks; ECS falls back to KeepCharging.
  if (mode === "StopCharging" && (inst.instanceChargeType !== "PostPaid" || hasLocalDisks(inst))) mode = "KeepCharging";
  transition(inst, "Stopping", "Stopped", ctx.now + ctx.timing.stopSeconds * 1000);
  inst.stoppedMode = mode;
  return ok();
}

function startInstance(ctx: ModelContext, p: Params): Outcome {
  if (p.InstanceId === undefined) return fail(E.missingParameter("InstanceId"));
  const dryRun = parseBool(p.DryRun);
  if (dryRun === null) return fail(E.invalidParameter("DryRun"));
  const inst = findInstance(ctx, p.InstanceId);
  if (!inst) return fail(E.instanceNotFound());
  if (inst.operationLocks.some((l) => l.lockReason === "security")) return fail(E.lockedForSecurity());
  if (inst.status !== "Stopped") return fail(E.incorrectInstanceStatus());
  if (inst.applyingUntilMs !== null) return fail(E.instanceNotReady());
  if (inst.pendingInstanceType) {
    // The new type is allocated at start: it must still be in stock in the zone.
    const offer = ctx.state.zones.find((z) => z.zoneId === inst.zoneId)?.offers.find((o) => o.instanceType === inst.pendingInstanceType);
    if (!offer || offer.status !== "Available") return fail(E.noStock());
  }
  if (dryRun) return fail(E.dryRunOperation());
  transition(inst, "Starting", "Running", ctx.now + ctx.timing.startSeconds * 1000);
  advance(inst, ctx.now);
  return ok();
}

function transition(inst: SimInstance, via: SimStatus, to: SimStatus, atMs: number): void {
  inst.status = via;
  inst.transition = { to, atMs };
}

// ---------------------------------------------------------------- ModifyInstanceSpec

/** Parameters that are never part of the idempotency signature. */
const NOT_SIGNED_FOR_IDEMPOTENCE = new Set(["ClientToken", "RegionId"]);

/** Canonical hash of a call's parameters for ClientToken idempotency. */
export function paramsHash(action: string, p: Params): string {
  const canon = Object.keys(p)
    .filter((k) => !NOT_SIGNED_FOR_IDEMPOTENCE.has(k))
    .sort()
    .map((k) => `${k}=${p[k]}`)
    .join("&");
  return createHash("sha256").update(`${action}?${canon}`).digest("hex");
}

interface TypeChangePlan {
  zoneId: string;
}

function checkTypeChange(ctx: ModelContext, inst: SimInstance, target: string, allowMigrate: boolean): TypeChangePlan | SimError {
  const { state } = ctx;
  if (inst.dedicatedHost) return E.dedicatedHostNotSupport();
  if (hasLocalDisks(inst)) return E.categoryViolation();
  if (inst.status !== "Stopped") return E.notStopped();
  const spec = state.instanceTypes[target];
  if (!spec) return E.instanceTypeUnknown();
  if (spec.authorized === false) return E.instanceTypeUnauthorized();
  if (spec.offline) return E.typeOffline();
  if (target === (inst.pendingInstanceType ?? inst.instanceType)) {
    return E.operationDenied("The instance already has the specified InstanceType.");
  }
  const current = state.instanceTypes[inst.instanceType];
  if (current && current.architecture !== spec.architecture) return E.dependencyViolationType();
  if (current && inst.downgradeNotSupported && (spec.cpu < current.cpu || spec.memoryMiB < current.memoryMiB)) {
    return E.downgradeNotSupported();
  }
  const image = state.images[inst.imageId];
  if (image) {
    if (image.marketplaceStatus !== undefined && image.marketplaceStatus !== "Available") return E.marketImageNotSupported();
    if (image.unsupportedInstanceTypes?.includes(target)) return E.imageNotSupportType();
    if (image.bits === 32 && spec.memoryMiB > 4096) return E.imageConflict();
  }
  if (inst.privateIpv4Count > spec.privateIpv4PerEni) {
    return E.ipv4CountExceeded(
      `The instance has ${inst.privateIpv4Count} private IPv4 addresses; ${target} allows ${spec.privateIpv4PerEni} per ENI.`);
  }
  if (inst.ipv6Count > 0 && spec.ipv6PerEni === 0) return E.ipv6NotSupport(`The instance type ${target} does not support IPv6.`);
  if (inst.ipv6Count > spec.ipv6PerEni) {
    return E.ipv6CountExceeded(`The instance has ${inst.ipv6Count} IPv6 addresses; ${target} allows ${spec.ipv6PerEni} per ENI.`);
  }
  const here = state.zones.find((z) => z.zoneId === inst.zoneId)?.offers.find((o) => o.instanceType === target);
  if (here?.status === "Available") return { zoneId: inst.zoneId };
  if (allowMigrate) {
    const elsewhere = state.zones.find(
      (z) => z.zoneId !== inst.zoneId && z.offers.some((o) => o.instanceType === target && o.status === "Available"),
    );
    if (elsewhere) {
      if (inst.eip) return E.instanceWithEipNotSupport();
      return { zoneId: elsewhere.zoneId };
    }
  }
  return here ? E.noStock() : E.instanceTypeNotInZone();
}

function checkChargeable(inst: SimInstance): SimError | undefined {
  if (!["PayByTraffic", "PayByBandwidth"].includes(inst.internetChargeType)) return E.internetChargeTypeNotSupported();
  return undefined;
}

function modifyInstanceSpec(ctx: ModelContext, p: Params): Outcome {
  const { state, timing, now } = ctx;
  // 1. Parameter syntax.
  if (p.InstanceId === undefined) return fail(E.missingParameter("InstanceId"));
  const token = p.ClientToken;
  if (token !== undefined && !/^[\x21-\x7e]{1,64}$/.test(token)) return fail(E.clientTokenInvalid());
  const allowMigrate = parseBool(p.AllowMigrateAcrossZone);
  if (allowMigrate === null) return fail(E.allowMigrateInvalid());
  const isAsync = parseBool(p.Async);
  if (isAsync === null) return fail(E.invalidParameter("Async"));
  const dryRun = parseBool(p.DryRun);
  if (dryRun === null) return fail(E.invalidParameter("DryRun"));

  // 2. One item per call: the type, the bandwidth (Out and/or In), or the temporary window.
  const hasType = p.InstanceType !== undefined;
  const hasBandwidth = p.InternetMaxBandwidthOut !== undefined || p.InternetMaxBandwidthIn !== undefined;
  const hasTemporary = Object.keys(p).some((k) => k.startsWith("Temporary."));
  const items = Number(hasType) + Number(hasBandwidth) + Number(hasTemporary);
  if (items === 0) return fail(E.missingParameter("InstanceType"));
  if (items > 1) return fail(E.mismatch());
  const sysDisk = p["SystemDisk.Category"];
  if (!hasType && allowMigrate) return fail(E.parameterNotMatch("AllowMigrateAcrossZone can only be used with InstanceType."));
  if (!hasType && sysDisk !== undefined) return fail(E.parameterNotMatch("SystemDisk.Category can only be used with InstanceType."));
  if (sysDisk !== undefined && !["cloud_efficiency", "cloud_ssd"].includes(sysDisk)) return fail(E.systemDiskCategoryInvalid());

  // 3. Values of the item.
  let out: number | undefined;
  let inb: number | undefined;
  let window: { start: string; end: string; bandwidth: number } | undefined;
  if (hasType && !/^ecs\.[a-z0-9-]+\.[a-z0-9-]+$/.test(p.InstanceType!)) return fail(E.instanceTypeMalformed());
  if (hasBandwidth) {
    if (p.InternetMaxBandwidthOut !== undefined) {
      const v = parseIntParam(p.InternetMaxBandwidthOut);
      if (v === null || v < 0 || v > 100) return fail(E.bandwidthOutInvalid());
      out = v;
    }
    if (p.InternetMaxBandwidthIn !== undefined) {
      const v = parseIntParam(p.InternetMaxBandwidthIn);
      if (v === null || v < 1 || v > 200) return fail(E.bandwidthInvalid());
      inb = v;
    }
  }
  if (hasTemporary) {
    const start = p["Temporary.StartTime"];
    const end = p["Temporary.EndTime"];
    const bw = p["Temporary.InternetMaxBandwidthOut"];
    if (start === undefined) return fail(E.missingTemporaryStart());
    if (end === undefined) return fail(E.missingTemporaryEnd());
    const startMs = parseIsoSeconds(start);
    if (startMs === null || startMs < now - timing.temporaryStartToleranceSeconds * 1000) return fail(E.invalidTemporaryStart());
    const endMs = parseIsoSeconds(end);
    if (endMs === null || endMs <= startMs) return fail(E.invalidTemporaryEnd());
    if (bw === undefined) return fail(E.missingParameter("Temporary.InternetMaxBandwidthOut"));
    const v = parseIntParam(bw);
    if (v === null || v < 1 || v > 100) return fail(E.bandwidthInvalid());
    window = { start, end, bandwidth: v };
  }

  // 4. The instance, then the ClientToken (a repeat is answered before any state check).
  const inst = findInstance(ctx, p.InstanceId);
  if (!inst) return fail(E.instanceNotFound());
  const hash = paramsHash("ModifyInstanceSpec", p);
  if (token !== undefined) {
    const rec = Object.hasOwn(state.clientTokens, token) ? state.clientTokens[token] : undefined;
    if (rec) {
      if (rec.paramsHash !== hash) return fail(E.idempotenceMismatch());
      if (now < rec.processingUntilMs) return fail(E.lastTokenProcessing());
      return { ok: true, body: rec.response as Record<string, unknown> };
    }
  }

  // 5. Account, then instance-wide refusals, then the cooldown.
  const account = state.account;
  if (account.securityRisk3DVerification) return fail(E.securityRisk3D());
  if (account.arrears) return fail(E.arrearage());
  if (account.lowBalance) return fail(E.notEnoughBalance());
  if (inst.operationLocks.some((l) => l.lockReason === "security")) return fail(E.lockedForSecurity());
  if (inst.operationLocks.some((l) => l.lockReason === "financial")) return fail(E.arrearage());
  if (!["PostPaid", "PrePaid"].includes(inst.instanceChargeType)) return fail(E.chargeTypeNotFound());
  if (inst.instanceChargeType === "PrePaid") return fail(E.chargeTypeViolation());
  if (inst.outOfUsage) return fail(E.instanceOutOfUsage());
  if (inst.specModificationReserved) return fail(E.specNotEffective());
  if (inst.lastSpecChangeAtMs !== null && now - inst.lastSpecChangeAtMs < timing.cooldownSeconds * 1000) return fail(E.cooldown());

  // 6. The item's own rules.
  let plan: TypeChangePlan | undefined;
  if (hasType) {
    const r = checkTypeChange(ctx, inst, p.InstanceType!, allowMigrate === true);
    if (isError(r)) return fail(r);
    plan = r;
  } else {
    if (inst.status !== "Running" && inst.status !== "Stopped") return fail(E.statusValueNotSupported());
    if (hasBandwidth) {
      if (inst.eip) return fail(E.eipNotSupport());
      const chargeError = checkChargeable(inst);
      if (chargeError) return fail(chargeError);
      if (inst.internetChargeType === "PayByBandwidth" && out === 0) return fail(E.pricePlanNotFound());
      if ((out ?? inst.internetMaxBandwidthOut) === inst.internetMaxBandwidthOut && (inb ?? inst.internetMaxBandwidthIn) === inst.internetMaxBandwidthIn) {
        return fail(E.operationDenied("The specified bandwidth is the same as the current bandwidth."));
      }
    } else {
      if (inst.eip) return fail(E.eipTemporaryDenied());
      const chargeError = checkChargeable(inst);
      if (chargeError) return fail(chargeError);
      if (window!.bandwidth <= inst.internetMaxBandwidthOut) return fail(E.bandwidthInvalid());
    }
  }
  if (dryRun) return fail(E.dryRunOperation());

  // 7. Apply.
  if (plan) {
    const target = p.InstanceType!;
    inst.pendingInstanceType = target === inst.instanceType ? null : target;
    if (plan.zoneId !== inst.zoneId) {
      inst.zoneId = plan.zoneId;
      inst.privateIpAddress = `192.168.1.${Math.floor(Math.random() * 250) + 1}`;
    }
    if (sysDisk !== undefined) {
      for (const d of inst.disks) if (d.type === "system") d.category = sysDisk;
    }
    if (isAsync) inst.applyingUntilMs = now + timing.asyncApplySeconds * 1000;
  } else if (window) {
    inst.temporaryBandwidth = { startTime: window.start, endTime: window.end, internetMaxBandwidthOut: window.bandwidth };
  } else {
    if (out !== undefined) inst.internetMaxBandwidthOut = out;
    if (inb !== undefined) inst.internetMaxBandwidthIn = inb;
    if (out !== undefined && out > 0 && !inst.publicIpAddress && !inst.eip) inst.publicIpAddress = `47.96.2.${Math.floor(Math.random() * 250) + 1}`;
  }
  inst.lastSpecChangeAtMs = now;
  const answer = ok();
  if (token !== undefined) {
    // defineProperty: a token named `__proto__` must become a key, not replace the prototype.
    Object.defineProperty(state.clientTokens, token, {
      value: {
        paramsHash: hash,
        processingUntilMs: Math.max(now + timing.tokenProcessingSeconds * 1000, inst.applyingUntilMs ?? 0),
        httpStatus: 200,
        response: (answer as { body: unknown }).body,
        createdAtMs: now,
      },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return answer;
}

// ---------------------------------------------------------------- tags

/** Resource types the tag APIs know (lowercase, as documented). Only instances exist in the simulator. */
export const TAG_RESOURCE_TYPES: readonly string[] = [
  "instance", "disk", "snapshot", "image", "securitygroup", "volume", "eni", "ddh", "ddhcluster", "keypair",
  "launchtemplate", "reservedinstance", "snapshotpolicy", "elasticityassurance", "capacityreservation",
];
/** `ResourceId.N` per call. */
export const MAX_TAG_RESOURCE_IDS = 50;
/** `Tag.N` / `TagKey.N` per call, and tags per resource (keys starting with `aliyun`/`acs:` not counted). */
export const MAX_TAGS = 20;
/** Rows per ListTagResources page (not documented by the API; the simulator's choice). */
export const TAG_PAGE_SIZE = 50;
/** Instances DescribeInstances returns at most when it filters by tag. */
const MAX_TAG_FILTER_MATCHES = 1000;
const MAX_TAG_FILTERS = 5;

const isReservedTagKey = (k: string) => k.startsWith("aliyun") || k.startsWith("acs:");
const hasUrl = (v: string) => v.includes("http://") || v.includes("https://");

/** `name.N` (N = 1, 2, …) → value, by N. Undefined when an N is not a positive integer without leading zeros. */
function repeated(p: Params, name: string): Map<number, string> | undefined {
  const out = new Map<number, string>();
  const re = new RegExp(`^${name.replace(/\./g, "\\.")}\\.(\\d+)$`);
  for (const [k, v] of Object.entries(p)) {
    const m = re.exec(k);
    if (!m) continue;
    if (!/^[1-9]\d*$/.test(m[1])) return undefined;
    out.set(Number(m[1]), v);
  }
  return out;
}

/** `Tag.N.Key` / `Tag.N.Value` pairs by N (also the deprecated lower-case `Tag.N.key` / `Tag.N.value` when `lowerToo`). */
function tagPairs(p: Params, lowerToo = false): Map<number, { key?: string; value?: string }> | SimError {
  const out = new Map<number, { key?: string; value?: string }>();
  for (const [k, v] of Object.entries(p)) {
    const m = (lowerToo ? /^Tag\.(\d+)\.(Key|Value|key|value)$/ : /^Tag\.(\d+)\.(Key|Value)$/).exec(k);
    if (!m) continue;
    if (!/^[1-9]\d*$/.test(m[1])) return E.invalidParameter(k);
    const pair = out.get(Number(m[1])) ?? {};
    if (m[2].toLowerCase() === "key") pair.key = v;
    else pair.value = v;
    out.set(Number(m[1]), pair);
  }
  return out;
}

/** The tag filters of DescribeInstances (`Tag.N.Key` / `Tag.N.Value`, N = 1–20). */
function describeTagFilter(p: Params): { key: string; value?: string }[] | SimError {
  const pairs = tagPairs(p, true);
  if (isError(pairs)) return pairs;
  if (pairs.size > MAX_TAGS || [...pairs.keys()].some((n) => n > MAX_TAGS)) return E.tagCount();
  const out: { key: string; value?: string }[] = [];
  for (const n of [...pairs.keys()].sort((a, b) => a - b)) {
    const { key, value } = pairs.get(n)!;
    if (key === undefined || key === "") return E.tagMismatch();
    out.push({ key, value });
  }
  return out;
}

/** The checks all three tag APIs start with: region, resource type, resource IDs. */
function tagTarget(ctx: ModelContext, p: Params, idsRequired: boolean): { resourceType: string; ids: string[] } | SimError {
  if (p.RegionId === undefined || p.RegionId === "") return E.tagMissingRegionId();
  if (p.RegionId !== ctx.state.regionId) return E.regionNotFound();
  if (p.ResourceType === undefined || p.ResourceType === "") return E.tagMissingResourceType();
  if (!TAG_RESOURCE_TYPES.includes(p.ResourceType)) return E.tagResourceTypeNotFound();
  const byN = repeated(p, "ResourceId");
  if (!byN) return E.invalidParameter("ResourceId.N");
  if (byN.size > MAX_TAG_RESOURCE_IDS || [...byN.keys()].some((n) => n > MAX_TAG_RESOURCE_IDS)) return E.tagResourceIdsExceeded();
  if (idsRequired && byN.size === 0) return E.missingParameter("ResourceId.N");
  const ids = [...new Set([...byN.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v))];
  return { resourceType: p.ResourceType, ids };
}

/** The tagged resources of a type the simulator has: instances only (other types have none). */
function taggable(ctx: ModelContext, resourceType: string): SimInstance[] {
  return resourceType === "instance" ? ctx.state.instances : [];
}

/** The resources named by `ids`, or InvalidResourceId.NotFound when any is unknown. */
function resourcesNamed(ctx: ModelContext, resourceType: string, ids: string[]): SimInstance[] | SimError {
  const all = taggable(ctx, resourceType);
  const found = ids.map((id) => all.find((i) => i.instanceId === id));
  return found.every((i) => i !== undefined) ? (found as SimInstance[]) : E.tagResourceNotFound();
}

function tagResources(ctx: ModelContext, p: Params): Outcome {
  const target = tagTarget(ctx, p, true);
  if (isError(target)) return fail(target);
  const pairs = tagPairs(p);
  if (isError(pairs)) return fail(pairs);
  if (pairs.size === 0) return fail(E.tagMissingTags());
  if (pairs.size > MAX_TAGS || [...pairs.keys()].some((n) => n > MAX_TAGS)) return fail(E.tagTagsExceeded());
  const tags: { key: string; value: string }[] = [];
  for (const n of [...pairs.keys()].sort((a, b) => a - b)) {
    const { key, value = "" } = pairs.get(n)!;
    if (key === undefined || key === "" || key.length > 128 || isReservedTagKey(key) || hasUrl(key)) return fail(E.tagKeyMalformed());
    // The older reference also forbids values starting with `acs:`; the simulator keeps the stricter rule.
    if (value.length > 128 || hasUrl(value) || value.startsWith("acs:")) return fail(E.tagValueMalformed());
    tags.push({ key, value });
  }
  if (new Set(tags.map((t) => t.key)).size !== tags.length) return fail(E.tagDuplicateKey());
  const resources = resourcesNamed(ctx, target.resourceType, target.ids);
  if (isError(resources)) return fail(resources);
  // All or nothing: every resource must stay within the quota before any is changed.
  for (const r of resources) {
    const keys = new Set(r.tags.filter((t) => !isReservedTagKey(t.key)).map((t) => t.key));
    for (const t of tags) keys.add(t.key);
    if (keys.size > MAX_TAGS) return fail(E.tagQuotaExceeded());
  }
  for (const r of resources) {
    for (const t of tags) {
      const existing = r.tags.find((x) => x.key === t.key);
      if (existing) existing.value = t.value;
      else r.tags.push({ ...t });
    }
  }
  return ok();
}

function untagResources(ctx: ModelContext, p: Params): Outcome {
  const target = tagTarget(ctx, p, true);
  if (isError(target)) return fail(target);
  const byN = repeated(p, "TagKey");
  if (!byN) return fail(E.invalidParameter("TagKey.N"));
  if (byN.size > MAX_TAGS || [...byN.keys()].some((n) => n > MAX_TAGS)) return fail(E.tagTagsExceeded());
  const all = parseBool(p.All);
  if (all === null) return fail(E.invalidParameter("All"));
  // `All` is valid only without TagKey.N; the simulator refuses the mix rather than guess which wins.
  if (all === true && byN.size > 0) return fail(E.invalidParameter("All"));
  if (all !== true && byN.size === 0) return fail(E.tagMissingTags());
  const keys = [...byN.values()];
  if (keys.some((k) => k === "" || k.length > 128 || isReservedTagKey(k) || hasUrl(k))) return fail(E.tagKeyMalformed());
  const resources = resourcesNamed(ctx, target.resourceType, target.ids);
  if (isError(resources)) return fail(resources);
  for (const r of resources) {
    // System tags (aliyun*/acs:*) are not the user's to remove, not even with All.
    r.tags = all === true ? r.tags.filter((t) => isReservedTagKey(t.key)) : r.tags.filter((t) => !keys.includes(t.key));
  }
  return ok();
}

/** `env*` (prefix), `*env*` (infix), `env` (exact) — the TagFilter patterns. */
function fuzzyMatch(pattern: string, v: string): boolean {
  if (pattern.length > 1 && pattern.startsWith("*") && pattern.endsWith("*")) return v.includes(pattern.slice(1, -1));
  if (pattern.endsWith("*")) return v.startsWith(pattern.slice(0, -1));
  return v === pattern;
}

function listTagResources(ctx: ModelContext, p: Params): Outcome {
  const target = tagTarget(ctx, p, false);
  if (isError(target)) return fail(target);
  const pairs = tagPairs(p);
  if (isError(pairs)) return fail(pairs);
  if (pairs.size > MAX_TAGS || [...pairs.keys()].some((n) => n > MAX_TAGS)) return fail(E.tagTagsExceeded());
  const exact: { key: string; value?: string }[] = [];
  for (const n of [...pairs.keys()].sort((a, b) => a - b)) {
    const { key, value } = pairs.get(n)!;
    if (key === undefined) return fail(E.tagValueWithoutKey());
    if (key === "" || key.length > 128) return fail(E.tagKeyMalformed());
    if (value !== undefined && (value === "" || value.length > 128)) return fail(E.tagValueMalformed());
    exact.push({ key, value });
  }
  const filters = new Map<number, { key?: string; values: string[] }>();
  for (const [k, v] of Object.entries(p)) {
    const m = /^TagFilter\.([1-9]\d*)\.(TagKey|TagValues\.[1-9]\d*)$/.exec(k);
    if (!m) {
      if (k.startsWith("TagFilter.")) return fail(E.invalidParameter(k));
      continue;
    }
    const f = filters.get(Number(m[1])) ?? { values: [] };
    if (m[2] === "TagKey") f.key = v;
    else f.values.push(v);
    filters.set(Number(m[1]), f);
  }
  if (filters.size > 0 && exact.length > 0) return fail(E.invalidParameter("TagFilter"));
  if (filters.size > MAX_TAG_FILTERS || [...filters.keys()].some((n) => n > MAX_TAG_FILTERS)) return fail(E.invalidParameter("TagFilter"));
  if ([...filters.values()].some((f) => f.key === undefined || f.key === "")) return fail(E.missingParameter("TagFilter.N.TagKey"));
  if (target.ids.length === 0 && exact.length === 0 && filters.size === 0) return fail(E.missingParameter("ResourceId.N"));
  let offset = 0;
  if (p.NextToken !== undefined && p.NextToken !== "") {
    if (!/^[0-9a-f]{32}$/.test(p.NextToken)) return fail(E.invalidParameter("NextToken"));
    offset = parseInt(p.NextToken, 16);
  }
  const resources = taggable(ctx, target.resourceType).filter(
    (r) =>
      (target.ids.length === 0 || target.ids.includes(r.instanceId)) &&
      exact.every((f) => r.tags.some((t) => t.key === f.key && (f.value === undefined || t.value === f.value))) &&
      [...filters.values()].every((f) =>
        r.tags.some((t) => fuzzyMatch(f.key!, t.key) && (f.values.length === 0 || f.values.some((v) => fuzzyMatch(v, t.value))))),
  );
  const rows = resources.flatMap((r) =>
    r.tags.map((t) => ({ ResourceId: r.instanceId, ResourceType: target.resourceType, TagKey: t.key, TagValue: t.value })));
  if (offset > rows.length) return fail(E.invalidParameter("NextToken"));
  const next = offset + TAG_PAGE_SIZE < rows.length ? (offset + TAG_PAGE_SIZE).toString(16).padStart(32, "0") : "";
  return ok({ NextToken: next, TagResources: { TagResource: rows.slice(offset, offset + TAG_PAGE_SIZE) } });
}

/** The actions the simulator serves, by name. */
export const ACTIONS: Record<string, (ctx: ModelContext, p: Params) => Outcome> = {
  DescribeInstances: describeInstances,
  DescribeInstanceAttribute: describeInstanceAttribute,
  DescribeDisks: describeDisks,
  DescribeResourcesModification: describeResourcesModification,
  StopInstance: stopInstance,
  StartInstance: startInstance,
  ModifyInstanceSpec: modifyInstanceSpec,
  TagResources: tagResources,
  UntagResources: untagResources,
  ListTagResources: listTagResources,
};

/** Drops ClientTokens older than a day (ECS keeps them for a limited time). */
export function pruneTokens(state: SimState, now: number): void {
  for (const [k, rec] of Object.entries(state.clientTokens)) {
    if (now - rec.createdAtMs > 24 * 3600 * 1000) delete state.clientTokens[k];
  }
}
