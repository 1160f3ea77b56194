/**
 * Shared helpers for tests that drive the ECS simulator through the real clients over loopback:
 * `@alicloud/pop-core` (signature V1) and `@alicloud/ecs20140526` (signature V3).
 */
import assert from "node:assert/strict";
import RPCClient from "@alicloud/pop-core";
import Ecs, * as $Ecs from "@alicloud/ecs20140526";
import OpenApi, { $OpenApiUtil, OpenApiUtil } from "@alicloud/openapi-core";
import * as $dara from "@darabonba/typescript";
import { demoState, startSimulator, type CallLogEntry, type RunningSimulator, type SimInstance, type SimState, type SimulatorOptions, type SimulatorTiming } from "../../simulator/index.js";

/** Compressed durations: the rules stay, the waiting goes. */
export const FAST_TIMING: SimulatorTiming = {
  cooldownSeconds: 1,
  stopSeconds: 0.15,
  startSeconds: 0.15,
  asyncApplySeconds: 0.3,
  tokenProcessingSeconds: 0,
  temporaryStartToleranceSeconds: 300,
  healthyAfterSeconds: 0.3,
};

export const API_VERSION = "2014-05-26";

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Starts a simulator with FAST_TIMING unless told otherwise. */
export function startFast(opts: SimulatorOptions = {}): Promise<RunningSimulator> {
  return startSimulator({ ...opts, timing: { ...FAST_TIMING, ...(opts.timing ?? {}) } });
}

/** The demo state after `edit`. */
export function stateWith(edit: (s: SimState) => void): SimState {
  const s = demoState();
  edit(s);
  return s;
}

/** The instance `id` of state `s` (throws when absent). */
export function inst(s: SimState, id: string) {
  const i = s.instances.find((x) => x.instanceId === id);
  if (!i) throw new Error(`no instance ${id}`);
  return i;
}

/** A pop-core RPC client (signature V1) for the simulator. */
export function popClient(sim: RunningSimulator, over: Partial<{ accessKeyId: string; accessKeySecret: string; securityToken: string }> = {}): RPCClient {
  return new RPCClient({
    endpoint: sim.url,
    apiVersion: API_VERSION,
    accessKeyId: over.accessKeyId ?? sim.accessKeyId,
    accessKeySecret: over.accessKeySecret ?? sim.accessKeySecret,
    securityToken: over.securityToken,
    opts: { timeout: 5000 },
  } as RPCClient.Config);
}

/** An `@alicloud/ecs20140526` client (signature V3 by default) for the simulator. */
export function ecsClient(sim: RunningSimulator, over: Partial<{ accessKeyId: string; accessKeySecret: string; securityToken: string }> = {}): Ecs {
  return new Ecs(
    new $OpenApiUtil.Config({
      endpoint: sim.endpointHost,
      protocol: "http",
      regionId: sim.regionId,
      accessKeyId: over.accessKeyId ?? sim.accessKeyId,
      accessKeySecret: over.accessKeySecret ?? sim.accessKeySecret,
      securityToken: over.securityToken,
      readTimeout: 5000,
    }),
  );
}

/** Runtime options for the ecs client that override signed headers (x-acs-date, nonce). */
export function runtimeWithHeaders(headers: Record<string, string>): $dara.RuntimeOptions {
  return new $dara.RuntimeOptions({ extendsParameters: new $dara.ExtendsParameters({ headers }) });
}

/** Calls any action through the ecs client's generic RPC path, exactly as its generated methods do. */
export async function ecsCall(client: OpenApi, action: string, query: Record<string, unknown>, runtime = new $dara.RuntimeOptions({})): Promise<{ statusCode: number; body: Record<string, unknown> }> {
  const params = new $OpenApiUtil.Params({
    action, version: API_VERSION, protocol: "HTTPS", pathname: "/", method: "POST", authType: "AK", style: "RPC", reqBodyType: "formData", bodyType: "json",
  });
  const req = new $OpenApiUtil.OpenApiRequest({ query: OpenApiUtil.query(query) });
  return (await client.callApi(params, req, runtime)) as { statusCode: number; body: Record<string, unknown> };
}

/** The CLB API version the simulator also serves (`DescribeHealthStatus`). */
export const SLB_API_VERSION = "2014-05-15";

/** A pop-core RPC client (signature V1) for the simulator's CLB actions. */
export function slbPopClient(sim: RunningSimulator): RPCClient {
  return new RPCClient({
    endpoint: sim.url,
    apiVersion: SLB_API_VERSION,
    accessKeyId: sim.accessKeyId,
    accessKeySecret: sim.accessKeySecret,
    opts: { timeout: 5000 },
  } as RPCClient.Config);
}

/** Calls a CLB action through `@alicloud/openapi-core` (signature V3), as the SLB SDK's generated methods do. */
export async function slbCall(sim: RunningSimulator, action: string, query: Record<string, unknown>): Promise<{ statusCode: number; body: Record<string, unknown> }> {
  const client = new OpenApi(
    new $OpenApiUtil.Config({
      endpoint: sim.endpointHost, protocol: "http", regionId: sim.regionId, accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret, readTimeout: 5000,
    }),
  );
  const params = new $OpenApiUtil.Params({
    action, version: SLB_API_VERSION, protocol: "HTTPS", pathname: "/", method: "POST", authType: "AK", style: "RPC", reqBodyType: "formData", bodyType: "json",
  });
  const req = new $OpenApiUtil.OpenApiRequest({ query: OpenApiUtil.query(query) });
  return (await client.callApi(params, req, new $dara.RuntimeOptions({}))) as { statusCode: number; body: Record<string, unknown> };
}

/** Wire parameters of ModifyInstanceSpec → the ecs client's typed request. */
export function modifyRequest(p: Record<string, string | number | boolean>): $Ecs.ModifyInstanceSpecRequest {
  const temporary =
    p["Temporary.StartTime"] !== undefined || p["Temporary.EndTime"] !== undefined || p["Temporary.InternetMaxBandwidthOut"] !== undefined
      ? new $Ecs.ModifyInstanceSpecRequestTemporary({
          startTime: p["Temporary.StartTime"] as string,
          endTime: p["Temporary.EndTime"] as string,
          internetMaxBandwidthOut: p["Temporary.InternetMaxBandwidthOut"] as number,
        })
      : undefined;
  return new $Ecs.ModifyInstanceSpecRequest({
    instanceId: p.InstanceId as string,
    instanceType: p.InstanceType as string,
    internetMaxBandwidthOut: p.InternetMaxBandwidthOut as number,
    internetMaxBandwidthIn: p.InternetMaxBandwidthIn as number,
    clientToken: p.ClientToken as string,
    async: p.Async as boolean,
    dryRun: p.DryRun as boolean,
    allowMigrateAcrossZone: p.AllowMigrateAcrossZone as boolean,
    systemDisk: p["SystemDisk.Category"] !== undefined ? new $Ecs.ModifyInstanceSpecRequestSystemDisk({ category: p["SystemDisk.Category"] as string }) : undefined,
    temporary,
  });
}

/** Error facts from either client: code, and HTTP status when the client exposes it. */
interface ClientFailure {
  code?: string;
  statusCode?: number;
  name?: string;
  data?: Record<string, unknown>;
  message?: string;
}

/** Awaits a rejection and returns it (fails the test if the promise resolves). */
export async function rejection(p: Promise<unknown>): Promise<ClientFailure> {
  try {
    const v = await p;
    assert.fail(`expected an error, got ${JSON.stringify(v)}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    return e as ClientFailure;
  }
}

/**
 * THEN helper for pop-core: it ignores the HTTP status, so the status is read from the simulator's
 * call log (the last call).
 */
export async function expectPopError(sim: RunningSimulator, p: Promise<unknown>, code: string, httpStatus: number): Promise<ClientFailure> {
  const e = await rejection(p);
  assert.equal(e.code, code, `code (message: ${e.message})`);
  const last = sim.calls().at(-1);
  assert.equal(last?.httpStatus, httpStatus, "HTTP status in the call log");
  assert.equal(last?.code, code);
  return e;
}

/** THEN helper for the ecs client, which raises by HTTP status and exposes it. */
export async function expectEcsError(p: Promise<unknown>, code: string, httpStatus: number): Promise<ClientFailure> {
  const e = await rejection(p);
  assert.equal(e.code, code, `code (message: ${e.message})`);
  assert.equal(e.statusCode, httpStatus, "HTTP status");
  return e;
}

/** Polls `probe` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(probe: () => Promise<T> | T, timeoutMs = 5000, everyMs = 25): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v as NonNullable<T>;
    if (Date.now() > until) throw new Error("waitFor: timed out");
    await sleep(everyMs);
  }
}

/** One instance as DescribeInstances (pop-core) shows it. */
export async function describeOne(client: RPCClient, regionId: string, id: string): Promise<Record<string, unknown>> {
  const r = (await client.request("DescribeInstances", { RegionId: regionId, InstanceIds: JSON.stringify([id]) })) as {
    Instances: { Instance: Record<string, unknown>[] };
  };
  assert.equal(r.Instances.Instance.length, 1, `instance ${id} listed`);
  return r.Instances.Instance[0];
}

/** ISO `yyyy-MM-ddTHH:mm:ssZ` of `ms`. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The simulator's record of one instance, as it is now (fails the test when it does not exist). */
export function simInstance(sim: RunningSimulator, instanceId: string): SimInstance {
  const instance = sim.getState().instances.find((i) => i.instanceId === instanceId);
  if (!instance) throw new Error(`the simulator has no instance ${instanceId}`);
  return instance;
}

/**
 * The calls that change `instanceId` (ModifyInstanceSpec, StopInstance, StartInstance), in order, as
 * `Action(items)`: the parameter names that carry the change (sorted), `StoppedMode=…` for a stop,
 * and the error code of a refused call. A DryRun changes nothing and is left out.
 */
export function changeCalls(calls: readonly CallLogEntry[], instanceId: string): string[] {
  return calls
    .filter((c) => ["ModifyInstanceSpec", "StopInstance", "StartInstance"].includes(c.action) && c.params.InstanceId === instanceId && c.params.DryRun !== "true")
    .map((c) => {
      const items = Object.keys(c.params)
        .filter((k) => !["InstanceId", "ClientToken", "RegionId", "ForceStop", "Async"].includes(k))
        .sort()
        .map((k) => (k === "StoppedMode" ? `${k}=${c.params[k]}` : k));
      return `${c.action}(${items.join(",")})${c.code ? " " + c.code : ""}`;
    });
}

/** The calls refused by the API; a DryRun that passed answers `DryRunOperation`, which is no refusal. */
export function refusedCalls(calls: readonly CallLogEntry[]): CallLogEntry[] {
  return calls.filter((c) => c.code !== undefined && c.code !== "DryRunOperation");
}

/** The environment that points a Pulumi program's InstanceSpec resources at `sim`, with its keys. */
export function simEnv(sim: RunningSimulator): Record<string, string> {
  return {
    PULUMI_ECS_SPEC_ENDPOINT: sim.url,
    ALIBABA_CLOUD_ACCESS_KEY_ID: sim.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: sim.accessKeySecret,
  };
}
