/**
 * The two ways users change an ECS instance's type and bandwidth today, as baselines for the bench:
 * a naive script and the update of the Terraform `alicloud_instance` resource. Each talks to the
 * simulator the way its tool talks to ECS — its own loop of `@alicloud/pop-core` RPC calls, nothing
 * from the engine — so the bench measures their strategy, not ours.
 *
 * Time: every sleep and retry deadline of a tool is its real value times `scale` (the simulator's
 * cooldown over the cloud's 300 s), so it keeps its proportion to the cooldown. Status polling is the
 * exception: every strategy polls `DescribeInstances` at the same `pollSeconds` as the engine, so poll
 * lag is the same in every lane and the comparison is about order, waits and retries.
 */
import { randomBytes } from "node:crypto";
import RPCClient from "@alicloud/pop-core";

/** Where the simulator listens and the key pair it accepts. */
export interface SimEndpoint {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly regionId: string;
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
}

/** A temporary bandwidth upgrade window, as `ModifyInstanceSpec` takes it. */
export interface TemporaryWindow {
  /** `yyyy-MM-ddTHH:mm:ssZ` */
  readonly startTime: string;
  /** `yyyy-MM-ddTHH:mm:ssZ` */
  readonly endTime: string;
  /** Mbit/s */
  readonly internetMaxBandwidthOut: number;
}

/** What a baseline is asked to reach: the scenario's desired spec. Unset fields are left alone. */
export interface BaselineTarget {
  readonly instanceId: string;
  readonly instanceType?: string;
  readonly internetMaxBandwidthOut?: number;
  readonly internetMaxBandwidthIn?: number;
  readonly temporaryBandwidth?: TemporaryWindow;
}

/** Everything a baseline run gets. */
export interface BaselineContext {
  readonly sim: SimEndpoint;
  readonly target: BaselineTarget;
  /** Multiplier for the tool's own durations: simulator cooldown / 300 s. */
  readonly scale: number;
  /** Interval between status reads while waiting for Stopped/Running, s (the engine's). */
  readonly pollSeconds: number;
  /** Give up waiting for a status after this long, s. */
  readonly statusTimeoutSeconds: number;
  /**
   * The temporary window a previous run applied, when the tool keeps state (Terraform does; a
   * script does not). `DescribeInstances` cannot show a window that has not started yet.
   */
  readonly recordedTemporaryBandwidth?: TemporaryWindow;
}

/** How a baseline run ended, as the tool itself would report it (the bench checks the end state). */
export interface BaselineOutcome {
  /** The tool finished without an error. */
  readonly completed: boolean;
  /** When it did not: the error it stopped on, e.g. `ModifyInstanceSpec: InternalError (not retried)`. */
  readonly error?: string;
}

/** A baseline strategy. */
export interface Baseline {
  /** Short name used in the table and the timeline. */
  readonly name: "naive" | "terraform";
  /** It can change a subscription (PrePaid) instance (the naive script knows only ModifyInstanceSpec). */
  readonly subscription: boolean;
  /** One line saying what it does. */
  readonly summary: string;
  run(ctx: BaselineContext): Promise<BaselineOutcome>;
}

// ------------------------------------------------------------------------------------ the wire

/** An error answer (or transport failure) of one call. */
class CallError extends Error {
  constructor(
    readonly action: string,
    readonly code: string,
    readonly httpStatus: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** A baseline stopped waiting or retrying. */
class GaveUp extends Error {}

type Params = Record<string, string>;
type Body = Record<string, unknown>;

interface InstanceView {
  readonly status: string;
  /** `PostPaid` or `PrePaid`. */
  readonly chargeType: string;
  readonly instanceType: string;
  readonly out: number;
  readonly in: number;
}

/**
 * A thin pop-core client. `serverErrorRetries` resends a call at once when the answer is HTTP 5xx,
 * as the Go SDK under the Terraform provider does (`AutoRetry`, `MaxRetryTime` 5); pop-core itself
 * never retries.
 */
class EcsRpc {
  private readonly rpc: { request(action: string, params: Params, options: object): Promise<Body> };

  constructor(
    private readonly sim: SimEndpoint,
    private readonly serverErrorRetries = 0,
  ) {
    const Ctor = RPCClient as unknown as new (config: object) => EcsRpc["rpc"];
    this.rpc = new Ctor({ endpoint: sim.url, apiVersion: "2014-05-26", accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret });
  }

  async call(action: string, params: Params): Promise<Body> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.rpc.request(action, params, { method: "POST", formatParams: false, timeout: 10_000 });
      } catch (e) {
        const err = toCallError(action, e);
        if (err.httpStatus !== undefined && err.httpStatus >= 500 && attempt < this.serverErrorRetries) continue;
        throw err;
      }
    }
  }

  async describe(instanceId: string): Promise<InstanceView> {
    const b = await this.call("DescribeInstances", { RegionId: this.sim.regionId, InstanceIds: JSON.stringify([instanceId]) });
    const list = (b.Instances as { Instance?: Body[] } | undefined)?.Instance ?? [];
    const i = list.find((x) => x.InstanceId === instanceId);
    if (!i) throw new CallError("DescribeInstances", "InstanceNotFound", 200, `${instanceId} is not listed`);
    return { status: String(i.Status), chargeType: String(i.InstanceChargeType), instanceType: String(i.InstanceType), out: Number(i.InternetMaxBandwidthOut), in: Number(i.InternetMaxBandwidthIn) };
  }

  modify(instanceId: string, item: Params, clientToken?: string): Promise<Body> {
    return this.call("ModifyInstanceSpec", { InstanceId: instanceId, ...item, ...(clientToken ? { ClientToken: clientToken } : {}) });
  }
}

function toCallError(action: string, e: unknown): CallError {
  const err = e as { data?: { Code?: unknown; Message?: unknown }; entry?: { response?: { statusCode?: number } }; name?: string; message?: string };
  if (err?.data && typeof err.data.Code === "string") {
    return new CallError(action, err.data.Code, err.entry?.response?.statusCode, typeof err.data.Message === "string" ? err.data.Message : "");
  }
  return new CallError(action, err?.name ?? "Error", undefined, String(err?.message ?? e));
}

const sleep = (seconds: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, seconds * 1000)));

function describeFailure(e: unknown): string {
  if (e instanceof CallError) return `${e.action}: ${e.code}${e.httpStatus ? ` (HTTP ${e.httpStatus})` : ""}`;
  return e instanceof Error ? e.message : String(e);
}

/** Polls until the instance shows `status`, reading every `pollSeconds` from the call that started the transition. */
async function waitForStatus(ecs: EcsRpc, ctx: BaselineContext, status: "Stopped" | "Running"): Promise<void> {
  const deadline = Date.now() + ctx.statusTimeoutSeconds * 1000;
  for (;;) {
    await sleep(ctx.pollSeconds);
    if ((await ecs.describe(ctx.target.instanceId)).status === status) return;
    if (Date.now() > deadline) throw new GaveUp(`the instance did not become ${status} within ${ctx.statusTimeoutSeconds} s`);
  }
}

// ----------------------------------------------------------------------------------- the items

interface Item {
  readonly kind: "type" | "bandwidth" | "temporary";
  /** The `ModifyInstanceSpec` parameters of this one item. */
  readonly params: Params;
}

const sameWindow = (a: TemporaryWindow | undefined, b: TemporaryWindow) =>
  a !== undefined && a.startTime === b.startTime && a.endTime === b.endTime && a.internetMaxBandwidthOut === b.internetMaxBandwidthOut;

/**
 * The single-item changes from `current` to `target`, type first. A window is sent unless it is the
 * recorded one: no read shows a window before it starts.
 */
function itemsToChange(target: BaselineTarget, current: InstanceView, recordedWindow: TemporaryWindow | undefined): Item[] {
  const items: Item[] = [];
  if (target.instanceType !== undefined && target.instanceType !== current.instanceType) {
    items.push({ kind: "type", params: { InstanceType: target.instanceType } });
  }
  const bandwidth: Params = {};
  if (target.internetMaxBandwidthOut !== undefined && target.internetMaxBandwidthOut !== current.out) {
    bandwidth.InternetMaxBandwidthOut = String(target.internetMaxBandwidthOut);
  }
  if (target.internetMaxBandwidthIn !== undefined && target.internetMaxBandwidthIn !== current.in) {
    bandwidth.InternetMaxBandwidthIn = String(target.internetMaxBandwidthIn);
  }
  if (Object.keys(bandwidth).length > 0) items.push({ kind: "bandwidth", params: bandwidth });
  const w = target.temporaryBandwidth;
  if (w && !sameWindow(recordedWindow, w)) {
    items.push({
      kind: "temporary",
      params: { "Temporary.StartTime": w.startTime, "Temporary.EndTime": w.endTime, "Temporary.InternetMaxBandwidthOut": String(w.internetMaxBandwidthOut) },
    });
  }
  return items;
}

// ---------------------------------------------------------------------------------------- naive

/** p-retry's defaults: 10 retries, first wait 1 s, factor 2, no cap, no jitter. */
const NAIVE_BACKOFF = { retries: 10, firstSeconds: 1, factor: 2 } as const;

/**
 * The script people write first: read the instance; if anything differs, stop it (whatever the
 * change), wait for Stopped, send each changed item back to back, start it again if it was Running,
 * wait for Running. Any `Throttling*` answer is retried with exponential backoff; any other error
 * ends the script where it is (no clean-up: a failure leaves the instance Stopped).
 */
async function runNaive(ctx: BaselineContext): Promise<BaselineOutcome> {
  const ecs = new EcsRpc(ctx.sim);
  const id = ctx.target.instanceId;
  try {
    const before = await ecs.describe(id);
    const items = itemsToChange(ctx.target, before, undefined);
    if (items.length === 0) return { completed: true };
    const wasRunning = before.status === "Running";
    if (wasRunning) {
      await ecs.call("StopInstance", { InstanceId: id });
      await waitForStatus(ecs, ctx, "Stopped");
    }
    for (const item of items) {
      for (let retry = 0; ; retry++) {
        try {
          await ecs.modify(id, item.params);
          break;
        } catch (e) {
          if (!(e instanceof CallError) || !e.code.startsWith("Throttling")) throw e;
          if (retry >= NAIVE_BACKOFF.retries) throw new GaveUp(`ModifyInstanceSpec (${item.kind}): still ${e.code} after ${retry} retries`);
          await sleep(NAIVE_BACKOFF.firstSeconds * NAIVE_BACKOFF.factor ** retry * ctx.scale);
        }
      }
    }
    if (wasRunning) {
      await ecs.call("StartInstance", { InstanceId: id });
      await waitForStatus(ecs, ctx, "Running");
    }
    return { completed: true };
  } catch (e) {
    return { completed: false, error: describeFailure(e) };
  }
}

// ------------------------------------------------------------------------------------ terraform

/**
 * terraform-plugin-sdk v1 `resource.Retry(timeout, f)`: call `attempt` until it succeeds or fails
 * for good; between attempts its StateChangeConf waits 0.5 s, 1 s, 2 s, 4 s, 8 s, then 10 s each
 * time (on top of any sleep inside the attempt); `timeout` after the start it returns the last error.
 * `attempt` returns nothing on success, returns the error to retry it, or throws to stop.
 */
async function terraformRetry(timeoutSeconds: number, scale: number, attempt: () => Promise<CallError | void>): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * scale * 1000;
  let waitSeconds = 0.1;
  for (;;) {
    const retryable = await attempt();
    if (!retryable) return;
    waitSeconds = Math.min(Math.max(waitSeconds * 2, 0.5), 10);
    const left = (deadline - Date.now()) / 1000;
    if (left <= waitSeconds * scale) {
      await sleep(left);
      throw new GaveUp(`${describeFailure(retryable)}, still after ${timeoutSeconds / 60} min (scaled: ${round(timeoutSeconds * scale)} s)`);
    }
    await sleep(waitSeconds * scale);
  }
}

const round = (x: number) => Math.round(x * 100) / 100;

/** terraform-provider-alicloud `IsExpectedErrors` for an SDK ServerError: the code equals, or the message contains, one of `codes`. */
const isExpected = (e: unknown, codes: readonly string[]): e is CallError =>
  e instanceof CallError && codes.some((c) => e.code === c || e.message.includes(c));

/** terraform-provider-alicloud `NeedRetry`, the part that applies here: throttling codes and ServiceUnavailable. */
const needRetry = (e: unknown): e is CallError => e instanceof CallError && (/Throttling/.test(e.code) || e.code === "ServiceUnavailable");

/** `buildClientToken(action)`: one token per request object, reused across its retries. */
const clientToken = (action: string) => `TF-${action}-${Math.floor(Date.now() / 1000)}-${randomBytes(4).toString("hex")}`.slice(0, 64);

/**
 * The update of terraform-provider-alicloud's `alicloud_instance` (resourceAliCloudInstanceUpdate),
 * for the instance type, the bandwidth and — as an extension, the resource has no such argument —
 * the temporary window:
 *
 * 1. refresh (plan): `DescribeInstances` + `DescribeDisks`;
 * 2. type changed: read again; if Running, `StopInstance` (retry `IncorrectInstanceStatus` after
 *    1 s, 5 min), wait for Stopped; `ModifyInstanceSpec` type with a ClientToken, retrying
 *    `Throttling` after a 10 s sleep for up to 6 min; if the instance is to run, `StartInstance`
 *    (retry `IncorrectInstanceStatus`/`InvalidOperation.Conflict`/throttling after 1 s, 5 min),
 *    wait for Running;
 * 3. bandwidth changed (`modifyInstanceNetworkSpec`; sent here as `ModifyInstanceSpec` with the
 *    bandwidth, the only bandwidth call the simulator has): retry `Throttling`/`Last*Processing`/
 *    `InternalError`/`UnknownError` after `incrementalWait(2 s, 2 s)` — which waits 2 s every time —
 *    until the 10 min update timeout; then read every 1 s until the bandwidth shows (120 s);
 * 4. window changed against the state: as 3, without the read-back.
 *
 * A subscription (PrePaid) instance, as the resource does it: the type through
 * `ModifyPrepayInstanceSpec` with only `InstanceId` and `InstanceType` (no ClientToken, no AutoPay:
 * the API's default pays), between the same stop and start, `Throttling` retried after 5 s sleeps for
 * up to 6 min and nothing else; the bandwidth through `ModifyInstanceNetworkSpec` with a ClientToken
 * and the retries of 3. The resource then polls every 5 s until `DescribeInstances` shows the new
 * type; against the simulator (which shows it only after the start) that poll is replaced by
 * retrying `StartInstance` every `pollSeconds` while the order settles (`InstanceNotReady`).
 *
 * Every `resource.Retry` adds its own backoff between attempts (see terraformRetry). Left out: after
 * the type change the resource reads every 5 s (for up to 500 s) until `DescribeInstances` shows the
 * new type, before the restart; the simulator (like the API docs) shows a type change made while
 * Stopped only after the next start, so that loop would never end against it.
 */
async function runTerraform(ctx: BaselineContext): Promise<BaselineOutcome> {
  const ecs = new EcsRpc(ctx.sim, 5);
  const id = ctx.target.instanceId;
  const s = ctx.scale;
  try {
    const refreshed = await ecs.describe(id);
    await ecs.call("DescribeDisks", { RegionId: ctx.sim.regionId, InstanceId: id, DiskType: "system" });
    // The configuration keeps the instance's status (`status` = what it is now).
    const targetStatus = refreshed.status === "Stopped" ? "Stopped" : "Running";
    const items = itemsToChange(ctx.target, refreshed, ctx.recordedTemporaryBandwidth);
    const typeItem = items.find((i) => i.kind === "type");
    const prepaid = refreshed.chargeType === "PrePaid";

    if (typeItem) {
      const now = await ecs.describe(id);
      if (now.status === "Running") {
        await terraformRetry(5 * 60, s, async () => {
          try {
            await ecs.call("StopInstance", { InstanceId: id, ForceStop: "false" });
          } catch (e) {
            if (!isExpected(e, ["IncorrectInstanceStatus"])) throw e;
            await sleep(1 * s);
            return e;
          }
        });
        await waitForStatus(ecs, ctx, "Stopped");
      }
      const token = clientToken("ModifyInstanceSpec");
      await terraformRetry(6 * 60, s, async () => {
        try {
          if (prepaid) await ecs.call("ModifyPrepayInstanceSpec", { RegionId: ctx.sim.regionId, InstanceId: id, ...typeItem.params });
          else await ecs.modify(id, typeItem.params, token);
        } catch (e) {
          if (!isExpected(e, ["Throttling"])) throw e;
          await sleep((prepaid ? 5 : 10) * s);
          return e;
        }
      });
      if (targetStatus === "Running") {
        await terraformRetry(5 * 60, s, async () => {
          try {
            await ecs.call("StartInstance", { InstanceId: id });
          } catch (e) {
            if (prepaid && isExpected(e, ["InstanceNotReady"])) {
              await sleep(ctx.pollSeconds);
              return e;
            }
            if (!isExpected(e, ["IncorrectInstanceStatus", "InvalidOperation.Conflict"]) && !needRetry(e)) throw e;
            await sleep(1 * s);
            return e as CallError;
          }
        });
        await waitForStatus(ecs, ctx, "Running");
      }
    }

    for (const item of items.filter((i) => i.kind !== "type")) {
      const token = clientToken(item.kind === "bandwidth" ? "ModifyInstanceNetworkSpec" : "ModifyInstanceSpec");
      await terraformRetry(10 * 60, s, async () => {
        try {
          if (prepaid) await ecs.call("ModifyInstanceNetworkSpec", { InstanceId: id, ...networkParams(item), ClientToken: token });
          else await ecs.modify(id, item.params, token);
        } catch (e) {
          if (!isExpected(e, ["Throttling", "LastOrderProcessing", "LastRequestProcessing", "LastTokenProcessing", "InternalError", "UnknownError"])) throw e;
          await sleep(2 * s);
          return e;
        }
      });
      if (item.kind === "bandwidth" && ctx.target.internetMaxBandwidthOut !== undefined) {
        const deadline = Date.now() + 120 * s * 1000;
        while ((await ecs.describe(id)).out !== ctx.target.internetMaxBandwidthOut) {
          if (Date.now() > deadline) throw new GaveUp("the new bandwidth did not show within 120 s (scaled)");
          await sleep(1 * s);
        }
      }
    }
    return { completed: true };
  } catch (e) {
    return { completed: false, error: describeFailure(e) };
  }
}

/** An item's `ModifyInstanceNetworkSpec` parameters (the window's times cut to the minute and the hour). */
function networkParams(item: Item): Params {
  if (item.kind !== "temporary") return item.params;
  return {
    InternetMaxBandwidthOut: item.params["Temporary.InternetMaxBandwidthOut"]!,
    StartTime: item.params["Temporary.StartTime"]!.slice(0, 16) + "Z",
    EndTime: item.params["Temporary.EndTime"]!.slice(0, 13) + "Z",
  };
}

/** The baselines, in the order the table shows them (after the engine). */
export const BASELINES: readonly Baseline[] = [
  {
    name: "naive",
    subscription: false,
    summary: "stop, every changed item back to back (Throttling: backoff 1 s doubling, 10 retries), start",
    run: runNaive,
  },
  {
    name: "terraform",
    subscription: true,
    summary:
      "alicloud_instance update: stop, type (Throttling: 10 s sleeps, 6 min; a subscription instance: ModifyPrepayInstanceSpec without ClientToken, 5 s sleeps), " +
      "start, then bandwidth (2 s sleeps, 10 min; a subscription instance: ModifyInstanceNetworkSpec)",
    run: runTerraform,
  },
];
