/**
 * The fault matrix: every call of a plan × every fault the simulator injects, for three plans (the
 * scenarios): a pay-as-you-go type + bandwidth + temporary-window change; a subscription upgrade of a
 * running instance with a bandwidth change (ModifyPrepayInstanceSpec with RebootWhenFinished, then
 * ModifyInstanceNetworkSpec); a subscription downgrade (its call checked while running, stop,
 * ModifyPrepayInstanceSpec, start). Each cell is one `apply` of the real engine, through the real
 * client (`@alicloud/pop-core`), against a fresh simulator with compressed time, with the fault
 * injected once on that step's call. A cell passes when the apply converges in one run, the instance
 * ends Running with the desired spec (and window), each item (and the stop and the start, where the
 * plan has them) was applied exactly once, no call was refused by a rule of the API, and, for a
 * subscription instance, exactly one order was created per item (never a second one after a lost
 * answer).
 *
 * Used by test/integration/reliability.matrix.test.ts (CI) and by `npm run reliability` (the table).
 */
import {
  apply,
  ApplyError,
  createEcsClient,
  parseDesiredSpec,
  plan,
  RETRY_POLICIES,
  type ApplyOptions,
  type ApplyResult,
  type DesiredSpec,
  type EcsApi,
  type PolicyName,
  type RetryPolicy,
  type TemporaryBandwidth,
} from "../provider/engine";
import { configureApiScheduling } from "../provider/scheduler";
import { snapshot } from "../test/helpers/snapshot";
import { startSimulator, type CallLogEntry, type FaultSpec, type RunningSimulator } from "../simulator/index";
import { startLateAnswerProxy, type LateAnswerProxy } from "./late-answer-proxy";

// ---------------------------------------------------------------------------------- the scenarios

export const INSTANCE_ID = "i-demo-web-01";
export const FROM = { instanceType: "ecs.g6.large", internetMaxBandwidthOut: 5 } as const;
export const TO = { instanceType: "ecs.g6.xlarge", internetMaxBandwidthOut: 20, temporaryOut: 50 } as const;
/** The subscription (PrePaid) instance of the subscription scenarios: Running, ecs.g6.large, out 5. */
export const PREPAID_ID = "i-demo-prepaid-01";

/**
 * Simulator time, compressed: the rules stay (cooldown and the subscription interval, stop before a
 * type change or a downgrade, an order that settles before its restart), the waiting goes.
 */
export const SIM_TIMING = {
  cooldownSeconds: 0.5,
  stopSeconds: 0.15,
  startSeconds: 0.15,
  asyncApplySeconds: 0.3,
  tokenProcessingSeconds: 0,
  prepayIntervalSeconds: 0.5,
  prepayApplySeconds: 0.3,
  networkApplySeconds: 0,
};

/** The client's timeout, ms: short, so that the two "late" columns stay fast. */
export const CLIENT_TIMEOUT_MS = 500;
/** "Answer late": the request is applied at once, its answer held back this long, past the client's timeout. */
export const ANSWER_LATE_MS = 2 * CLIENT_TIMEOUT_MS;
/**
 * "Request lands late": the simulator holds the request this long before it handles it, far past
 * the client's timeout, so it lands after the engine has retried it and finished the apply (about
 * 2 s after the first call at these timings).
 */
export const REQUEST_LATE_MS = 8 * CLIENT_TIMEOUT_MS;

const ENGINE_TIMING = {
  stopSeconds: SIM_TIMING.stopSeconds,
  startSeconds: SIM_TIMING.startSeconds,
  modifySeconds: 0.02,
  orderSeconds: SIM_TIMING.prepayApplySeconds,
  pollSeconds: 0.05,
  cooldownMarginSeconds: 0.05,
  verifySeconds: 5,
  settleSeconds: 10,
  progressSeconds: 1,
};

/** The engine's policies with their delays divided by 20 (as the cooldown is): the same retry counts. */
const FAST_POLICIES: Record<PolicyName, RetryPolicy> = Object.fromEntries(
  Object.entries(RETRY_POLICIES).map(([name, p]) => [name, { ...p, minDelayMs: Math.ceil(p.minDelayMs / 20), maxDelayMs: Math.ceil(p.maxDelayMs / 20) }]),
) as Record<PolicyName, RetryPolicy>;

/** A temporary window an hour from now, whole seconds. */
export function futureWindow(nowMs = Date.now()): TemporaryBandwidth {
  const start = Math.ceil(nowMs / 1000) * 1000 + 3600_000;
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
  return { startTime: iso(start), endTime: iso(start + 3600_000), internetMaxBandwidthOut: TO.temporaryOut };
}

/** The pay-as-you-go scenario's desired spec: ecs.g6.xlarge, out 20, the window. */
export function desiredSpec(window: TemporaryBandwidth): DesiredSpec {
  return parsed({
    instanceId: INSTANCE_ID,
    regionId: "cn-hangzhou",
    instanceType: TO.instanceType,
    internetMaxBandwidthOut: TO.internetMaxBandwidthOut,
    temporaryBandwidth: window,
    cooldownSeconds: SIM_TIMING.cooldownSeconds,
    timeoutSeconds: 30,
  });
}

function parsed(input: Parameters<typeof parseDesiredSpec>[0]): DesiredSpec {
  const r = parseDesiredSpec(input);
  if (!r.ok) throw new Error(JSON.stringify(r.failures));
  return r.value;
}

/** What a call changes: one of the plan's items, or the stop or the start. */
export type Item = "bandwidth" | "type" | "temporary" | "stop" | "start";
export const ITEMS: readonly Item[] = ["bandwidth", "stop", "type", "start", "temporary"];

/** The plans the matrix runs. */
export type ScenarioId = "payg" | "prepaidUpgrade" | "prepaidDowngrade";

/** One plan of the matrix: an instance, where it starts and where it must end. */
export interface Scenario {
  readonly id: ScenarioId;
  /** The plan in a few words, for the table's heading. */
  readonly label: string;
  readonly instanceId: string;
  readonly subscription: boolean;
  readonly from: { readonly instanceType: string; readonly internetMaxBandwidthOut: number };
  readonly to: { readonly instanceType: string; readonly internetMaxBandwidthOut: number };
  /** The calls the plan makes, each to take effect exactly once; the other items, never. */
  readonly items: readonly Item[];
  /** Subscription: the items that each create exactly one order. */
  readonly orders: readonly ("type" | "bandwidth")[];
  /** The plan's first steps, as the planner must lay them out (asserted by the test). */
  readonly expectedKinds: readonly string[];
  /** The desired spec (the window is used by the pay-as-you-go scenario only). */
  desired(window: TemporaryBandwidth): DesiredSpec;
}

export const SCENARIOS: readonly Scenario[] = [
  {
    id: "payg",
    label: "pay-as-you-go: i-demo-web-01 (Running, ecs.g6.large, out 5) → ecs.g6.xlarge, out 20, a temporary window",
    instanceId: INSTANCE_ID,
    subscription: false,
    from: FROM,
    to: TO,
    items: ITEMS,
    orders: [],
    expectedKinds: ["modifyBandwidth", "waitCooldown", "stop", "modifyType", "start", "waitCooldown", "modifyTemporaryBandwidth"],
    desired: desiredSpec,
  },
  {
    id: "prepaidUpgrade",
    label: "subscription upgrade: i-demo-prepaid-01 (Running, ecs.g6.large, out 5) → ecs.g6.xlarge (one ECS restart), out 20, autoPay",
    instanceId: PREPAID_ID,
    subscription: true,
    from: { instanceType: "ecs.g6.large", internetMaxBandwidthOut: 5 },
    to: { instanceType: "ecs.g6.xlarge", internetMaxBandwidthOut: 20 },
    items: ["type", "bandwidth"],
    orders: ["type", "bandwidth"],
    expectedKinds: ["modifyPrepayType", "waitCooldown", "modifyNetworkSpec"],
    desired: () =>
      parsed({
        instanceId: PREPAID_ID,
        regionId: "cn-hangzhou",
        instanceType: "ecs.g6.xlarge",
        internetMaxBandwidthOut: 20,
        autoPay: true,
        cooldownSeconds: SIM_TIMING.cooldownSeconds,
        timeoutSeconds: 30,
      }),
  },
  {
    id: "prepaidDowngrade",
    label: "subscription downgrade: i-demo-prepaid-01 (Running, ecs.g6.large) → ecs.c6.large (a refund; stop, the order, start)",
    instanceId: PREPAID_ID,
    subscription: true,
    from: { instanceType: "ecs.g6.large", internetMaxBandwidthOut: 5 },
    to: { instanceType: "ecs.c6.large", internetMaxBandwidthOut: 5 },
    items: ["stop", "type", "start"],
    orders: ["type"],
    expectedKinds: ["stop", "modifyPrepayType", "start"],
    desired: () =>
      parsed({ instanceId: PREPAID_ID, regionId: "cn-hangzhou", instanceType: "ecs.c6.large", cooldownSeconds: SIM_TIMING.cooldownSeconds, timeoutSeconds: 30 }),
  },
];

export const scenarioOf = (id: ScenarioId): Scenario => SCENARIOS.find((s) => s.id === id)!;

// ------------------------------------------------------------------------------- rows and columns

/** The actions a row's call may be. */
export type MatrixAction = "ModifyInstanceSpec" | "ModifyPrepayInstanceSpec" | "ModifyInstanceNetworkSpec" | "StopInstance" | "StartInstance" | "DescribeInstances";

/** A row: the call of one step of the plan. */
export interface MatrixStep {
  /**
   * `bandwidth`, `stop`, `type`, `start`, `temporary`: the call of that item; `read`: the poll while
   * the instance stops; `check`: a downgrade's call sent once while the instance runs (before the
   * stop); `readRestart`: the poll while a subscription upgrade's order settles and ECS restarts.
   */
  readonly id: "bandwidth" | "stop" | "type" | "start" | "temporary" | "read" | "check" | "readRestart";
  readonly label: string;
  readonly action: MatrixAction;
}

const STEP_OF_KIND: Record<string, MatrixStep> = {
  modifyBandwidth: { id: "bandwidth", label: "ModifyInstanceSpec (bandwidth)", action: "ModifyInstanceSpec" },
  stop: { id: "stop", label: "StopInstance", action: "StopInstance" },
  modifyType: { id: "type", label: "ModifyInstanceSpec (type)", action: "ModifyInstanceSpec" },
  start: { id: "start", label: "StartInstance", action: "StartInstance" },
  modifyTemporaryBandwidth: { id: "temporary", label: "ModifyInstanceSpec (temporary)", action: "ModifyInstanceSpec" },
  modifyNetworkSpec: { id: "bandwidth", label: "ModifyInstanceNetworkSpec (bandwidth)", action: "ModifyInstanceNetworkSpec" },
};
/** The status poll while the instance stops: a read made during the downtime. */
export const READ_STEP: MatrixStep = { id: "read", label: "DescribeInstances (poll while stopping)", action: "DescribeInstances" };
/** The poll while a subscription upgrade's order settles and ECS restarts the instance. */
export const READ_RESTART_STEP: MatrixStep = { id: "readRestart", label: "DescribeInstances (poll while the order settles and ECS restarts)", action: "DescribeInstances" };
/** A downgrade's own call, sent once while the instance runs (answered InvalidStatus.NotStopped: nothing ordered). */
export const CHECK_STEP: MatrixStep = { id: "check", label: "ModifyPrepayInstanceSpec (downgrade checked while running)", action: "ModifyPrepayInstanceSpec" };

/** A column: one fault, injected by the simulator (`spec`) or, for a late answer, by a proxy in front of it. */
export interface MatrixFault {
  readonly id: string;
  readonly label: string;
  readonly spec?: DistributiveOmit<FaultSpec, "action" | "instanceId" | "count">;
  /** Apply the request at once, hold its answer back this long (ms). */
  readonly answerLateMs?: number;
  /** Only for these actions (a code only they answer); default: every row. */
  readonly only?: readonly MatrixAction[];
}
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const ORDER_ACTIONS: readonly MatrixAction[] = ["ModifyPrepayInstanceSpec", "ModifyInstanceNetworkSpec"];

export const FAULTS: readonly MatrixFault[] = [
  { id: "5xx", label: "5xx", spec: { kind: "error", code: "InternalError" } },
  { id: "throttlingUser", label: "Throttling.User", spec: { kind: "error", code: "Throttling.User" } },
  // The code and status the cooldown rule answers, as if a change had just been made elsewhere.
  { id: "cooldown", label: "cooldown Throttling", spec: { kind: "error", code: "Throttling" } },
  { id: "lastToken", label: "LastTokenProcessing", spec: { kind: "error", code: "LastTokenProcessing" } },
  { id: "conflict", label: "OperationConflict", spec: { kind: "error", code: "OperationConflict", httpStatus: 409 } },
  { id: "drop", label: "dropped connection", spec: { kind: "drop" } },
  { id: "html", label: "HTML 502", spec: { kind: "badGateway" } },
  { id: "lost", label: "lost answer", spec: { kind: "lostResponse" } },
  { id: "answerLate", label: "answer late", answerLateMs: ANSWER_LATE_MS },
  { id: "requestLate", label: "request lands late", spec: { kind: "latency", ms: REQUEST_LATE_MS } },
  // The order calls' own codes: an earlier order still settling, and an order that could not be created.
  { id: "lastOrder", label: "LastOrderProcessing", spec: { kind: "error", code: "LastOrderProcessing" }, only: ORDER_ACTIONS },
  { id: "orderFailed", label: "OrderCreationFailed", spec: { kind: "error", code: "OrderCreationFailed" }, only: ORDER_ACTIONS },
];

/** The faults that apply to a row. */
export function faultsFor(step: MatrixStep): MatrixFault[] {
  return FAULTS.filter((f) => !f.only || f.only.includes(step.action));
}

/** The plan's steps for a scenario, from the planner itself: the rows in the order the engine runs them. */
export function plannedSteps(scenario: Scenario = SCENARIOS[0]!): { kinds: string[]; rows: MatrixStep[] } {
  const desired = scenario.desired(futureWindow());
  const live = snapshot({
    instanceId: scenario.instanceId,
    instanceType: scenario.from.instanceType,
    internetMaxBandwidthOut: scenario.from.internetMaxBandwidthOut,
    ...(scenario.subscription ? { instanceChargeType: "PrePaid" as const } : {}),
  });
  // The type catalogue as the simulator answers it (a subscription instance: upgrades and downgrades apart).
  const down = scenario.id === "prepaidDowngrade" ? [scenario.to.instanceType] : [];
  const ctx = { now: new Date(), availableTypes: [scenario.to.instanceType], ...(scenario.subscription ? { downgradeTypes: down } : {}), estimates: ENGINE_TIMING };
  const p = plan(live, desired, ctx);
  if (p.kind !== "ok") throw new Error(`the scenario's plan was refused: ${JSON.stringify(p.refusals)}`);
  const kinds = p.steps.map((s) => s.kind);
  const rows: MatrixStep[] = [];
  for (const s of p.steps) {
    if (s.kind === "modifyPrepayType") {
      rows.push({
        id: "type",
        label: s.direction === "upgrade" ? "ModifyPrepayInstanceSpec (upgrade, running, RebootWhenFinished)" : "ModifyPrepayInstanceSpec (downgrade, stopped)",
        action: "ModifyPrepayInstanceSpec",
      });
      if (s.restarts) rows.push(READ_RESTART_STEP);
      continue;
    }
    const row = STEP_OF_KIND[s.kind];
    if (!row) continue;
    // A downgrade's call is checked while running, before the stop (executor/preflight.ts).
    if (row.id === "stop" && p.steps.some((x) => x.kind === "modifyPrepayType" && x.direction === "downgrade")) rows.push(CHECK_STEP);
    rows.push(row);
    if (row.id === "stop") rows.push(READ_STEP);
  }
  return { kinds, rows };
}

// ----------------------------------------------------------------------------------------- a cell

/** What one cell found. */
export interface CellResult {
  readonly scenario: ScenarioId;
  readonly step: MatrixStep["id"];
  readonly fault: string;
  /** The temporary window the cell asked for (the pay-as-you-go scenario's). */
  readonly window: TemporaryBandwidth;
  /** Applies it took: 1, 2, or 0 when even a second one failed. */
  readonly runs: 0 | 1 | 2;
  /** The first apply's failure, when it failed (`ApplyError` code and message). */
  readonly firstError?: string;
  /** Whether the injected fault hit a call (a cell whose fault hit nothing tested nothing). */
  readonly faultHit: boolean;
  /** Successful calls per item: distinct answers, so an idempotent replay of a ClientToken is not counted. */
  readonly applied: Readonly<Record<Item, number>>;
  /** Replays: answers to a ClientToken that had already been applied (or, for an order still settling, `LastOrderProcessing` to that token). */
  readonly replays: number;
  /** A downgrade's own call answered `InvalidStatus.NotStopped` before the stop: the planned check, not a refusal. */
  readonly checks: number;
  /** Calls refused by a rule (not by the injected fault), as `Action Code`. */
  readonly refused: readonly string[];
  /** Orders on the instance at the end, per item (subscription), with their statuses. */
  readonly orders: Readonly<Record<"type" | "bandwidth" | "temporary", number>>;
  readonly orderStatuses: readonly string[];
  /** The instance at the end, as the simulator holds it. */
  readonly end: {
    readonly status: string;
    readonly instanceType: string;
    readonly pendingInstanceType: string | null;
    readonly internetMaxBandwidthOut: number;
    readonly temporary: TemporaryBandwidth | null;
  };
  /** Whether the instance ended Running with the desired type, bandwidth and window. */
  readonly endRight: boolean;
  /** Every way the cell missed the bar; empty when it passed. */
  readonly problems: readonly string[];
  /** For a failing cell, its calls: ms since the first, action, item, answer, injected fault. */
  readonly trace?: readonly string[];
  readonly ms: number;
}

/** What a call changes (for a spec change: which item), or undefined for a read. */
export function itemOf(c: CallLogEntry): Item | undefined {
  if (c.action === "StopInstance") return "stop";
  if (c.action === "StartInstance") return "start";
  if (c.action === "ModifyPrepayInstanceSpec") return "type";
  if (c.action === "ModifyInstanceNetworkSpec") return c.params.StartTime !== undefined ? "temporary" : "bandwidth";
  if (c.action !== "ModifyInstanceSpec") return undefined;
  if (c.params.InstanceType !== undefined) return "type";
  if (c.params["Temporary.StartTime"] !== undefined) return "temporary";
  return "bandwidth";
}

/**
 * Applied calls per item, replays, planned checks, and calls refused by a rule. A spec change
 * answered 200 with a RequestId already seen is the API's replay of a ClientToken: nothing was
 * applied again; so is `LastOrderProcessing` to a ClientToken whose order exists (the order behind
 * it still settling). A lost answer still carries the verdict of the call, and a delayed call is
 * judged when it lands, so both count as the API's own answer; only the injected error, drop and
 * HTML answers are the fault's. A downgrade's `ModifyPrepayInstanceSpec` answered
 * `InvalidStatus.NotStopped` before any stop is the check the plan makes while the instance runs.
 */
export function tally(calls: readonly CallLogEntry[], instanceId: string): Pick<CellResult, "applied" | "replays" | "refused" | "checks"> {
  const applied: Record<Item, number> = { bandwidth: 0, type: 0, temporary: 0, stop: 0, start: 0 };
  const seen = new Set<string>();
  let replays = 0;
  let checks = 0;
  let stopped = false;
  const refused: string[] = [];
  const own = (c: CallLogEntry) => c.fault === undefined || c.fault === "lostResponse";
  const names = (c: CallLogEntry) => c.params.InstanceId === instanceId || c.params.InstanceIds?.includes(instanceId) || c.params.ResourceId === instanceId;
  // Tokens that created an order (answered 200 by the API itself, at any time in the log).
  const ordered = new Set(calls.filter((c) => own(c) && names(c) && c.httpStatus === 200 && c.code === undefined && c.params.ClientToken).map((c) => c.params.ClientToken!));
  for (const c of calls) {
    if (!own(c) || !names(c)) continue;
    // A DryRun that passes is answered with the error code DryRunOperation: a check, not a refusal.
    if (c.code === "DryRunOperation" && c.params.DryRun === "true") continue;
    if (c.action === "ModifyPrepayInstanceSpec" && c.code === "InvalidStatus.NotStopped" && !stopped) {
      checks++;
      continue;
    }
    if (c.code === "LastOrderProcessing" && c.params.ClientToken !== undefined && ordered.has(c.params.ClientToken)) {
      replays++;
      continue;
    }
    if (c.httpStatus !== 200 || c.code !== undefined) {
      refused.push(`${c.action} ${c.code ?? `HTTP ${c.httpStatus}`}`);
      continue;
    }
    const item = itemOf(c);
    if (!item) continue;
    const requestId = (c.response as { RequestId?: string } | null)?.RequestId ?? "";
    if (item !== "stop" && item !== "start" && seen.has(requestId)) {
      replays++;
      continue;
    }
    seen.add(requestId);
    applied[item]++;
    if (item === "stop") stopped = true;
  }
  return { applied, replays, refused, checks };
}

/** The orders on an instance at the end, per item, and their statuses. */
export function ordersOf(instance: { orders?: readonly { change: { item: string }; status: string }[] | null }): Pick<CellResult, "orders" | "orderStatuses"> {
  const orders = { type: 0, bandwidth: 0, temporary: 0 };
  const list = instance.orders ?? [];
  for (const o of list) {
    const item = o.change.item === "instanceType" ? "type" : o.change.item === "bandwidth" ? "bandwidth" : "temporary";
    orders[item]++;
  }
  return { orders, orderStatuses: list.map((o) => o.status) };
}

/** How the instance at the end differs from the scenario's promise (Running, the new spec, the window). */
function endProblems(scenario: Scenario, end: CellResult["end"], window: TemporaryBandwidth): string[] {
  const p: string[] = [];
  if (end.status !== "Running") p.push(`ended ${end.status}`);
  if (end.instanceType !== scenario.to.instanceType) p.push(`type ${end.instanceType}${end.pendingInstanceType ? ` (pending ${end.pendingInstanceType})` : ""}`);
  if (end.internetMaxBandwidthOut !== scenario.to.internetMaxBandwidthOut) p.push(`out ${end.internetMaxBandwidthOut}`);
  const t = end.temporary;
  if (scenario.items.includes("temporary")) {
    if (!t || Date.parse(t.startTime) !== Date.parse(window.startTime) || Date.parse(t.endTime) !== Date.parse(window.endTime) || t.internetMaxBandwidthOut !== window.internetMaxBandwidthOut) {
      p.push(t ? `window ${JSON.stringify(t)}` : "no window");
    }
  } else if (t) p.push(`window ${JSON.stringify(t)}`);
  return p;
}

/** The problems of a cell's orders: exactly one per item that orders, each settled (paid or refunded); none otherwise. */
function orderProblems(scenario: Scenario, o: Pick<CellResult, "orders" | "orderStatuses">): string[] {
  const p: string[] = [];
  for (const item of ["type", "bandwidth", "temporary"] as const) {
    const want = scenario.orders.includes(item as "type" | "bandwidth") ? 1 : 0;
    if (o.orders[item] !== want) p.push(`${o.orders[item]} ${item} orders`);
  }
  const unsettled = o.orderStatuses.filter((s) => s !== "Paid" && s !== "Refunded");
  if (unsettled.length > 0) p.push(`orders not settled: ${unsettled.join(", ")}`);
  return p;
}

/**
 * The client the engine gets: the real one, which arms the cell's fault in the simulator right
 * before the step's first call (once), so the fault hits that call and not an earlier one of the
 * same action (three steps are ModifyInstanceSpec; a downgrade sends ModifyPrepayInstanceSpec
 * before and after the stop).
 */
function armingClient(api: EcsApi, sim: RunningSimulator, proxy: LateAnswerProxy | undefined, instanceId: string, step: MatrixStep, fault: MatrixFault): EcsApi {
  let armed = false;
  let stopAnswered = false;
  let orderAnswered = false;
  const arm = (when: boolean) => {
    if (armed || !when) return;
    armed = true;
    if (fault.spec) sim.addFault({ ...fault.spec, action: step.action, instanceId, count: 1 } as FaultSpec);
    // The engine makes one call at a time: the proxy's next request is this one.
    else proxy!.delayNextAnswer(fault.answerLateMs!);
  };
  return {
    ...api,
    describeInstance: (id, o) => {
      arm((step.id === "read" && stopAnswered) || (step.id === "readRestart" && orderAnswered));
      return api.describeInstance(id, o);
    },
    stopInstance: async (id, mode) => {
      arm(step.id === "stop");
      const r = await api.stopInstance(id, mode);
      stopAnswered = true;
      return r;
    },
    startInstance: (id) => {
      arm(step.id === "start");
      return api.startInstance(id);
    },
    modifyInstanceSpec: (request, token) => {
      const id = request.item === "instanceType" ? "type" : request.item === "bandwidth" ? "bandwidth" : "temporary";
      arm(step.id === id);
      return api.modifyInstanceSpec(request, token);
    },
    modifyPrepayInstanceSpec: async (request, token) => {
      // Before the stop of a downgrade: its check while running; otherwise the order itself.
      const isCheck = request.operatorType === "downgrade" && !stopAnswered;
      arm(isCheck ? step.id === "check" : step.id === "type");
      const r = await api.modifyPrepayInstanceSpec(request, token);
      orderAnswered = true;
      return r;
    },
    modifyInstanceNetworkSpec: (request, token) => {
      arm(step.id === (request.item === "bandwidth" ? "bandwidth" : "temporary"));
      return api.modifyInstanceNetworkSpec(request, token);
    },
  };
}

/** One line per call: when it arrived (ms after the first), what it was, how it was answered. */
export function traceOf(calls: readonly CallLogEntry[]): string[] {
  const t0 = calls[0]?.atMs ?? 0;
  let latest = t0;
  return calls.map((c) => {
    // The log is in the order the simulator handled the calls; a delayed call arrived earlier.
    const late = c.atMs < latest ? " (handled late, after the calls above)" : "";
    latest = Math.max(latest, c.atMs);
    const item = itemOf(c);
    const status = c.action === "DescribeInstances" ? ` ${(c.response as { Instances?: { Instance?: { Status?: string }[] } } | null)?.Instances?.Instance?.[0]?.Status ?? ""}` : "";
    const which = item && c.action !== "StopInstance" && c.action !== "StartInstance" ? `(${item})` : "";
    return `+${c.atMs - t0}ms ${c.action}${which} -> ${c.httpStatus}${c.code ? ` ${c.code}` : ""}${status}${c.fault ? ` [${c.fault}]` : ""}${late}`;
  });
}

const errorText = (e: unknown) => (e instanceof ApplyError ? `${e.code}: ${e.message.split("\n")[0]}` : e instanceof Error ? e.message : String(e));

/** Runs one cell on a fresh simulator. */
export async function runCell(scenario: Scenario, step: MatrixStep, fault: MatrixFault): Promise<CellResult> {
  // Time is compressed 20-fold here, but the provider's API budget counts calls per real minute:
  // polls 50 ms apart would spend a real account's budget. The budget is not what this matrix tests.
  configureApiScheduling({ limits: { default: 100_000 } });
  const began = Date.now();
  const sim = await startSimulator({ port: 0, timing: SIM_TIMING, quiet: true });
  const proxy = fault.answerLateMs !== undefined ? await startLateAnswerProxy(sim.url) : undefined;
  const instanceId = scenario.instanceId;
  try {
    const window = futureWindow();
    const desired = scenario.desired(window);
    const real = createEcsClient({
      regionId: sim.regionId,
      endpoint: proxy?.url ?? sim.url,
      credentials: { accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret },
      timeoutMs: CLIENT_TIMEOUT_MS,
    });
    const api = armingClient(real, sim, proxy, instanceId, step, fault);
    const base: ApplyOptions = { api, desired, timing: ENGINE_TIMING, policies: FAST_POLICIES };
    let runs: CellResult["runs"] = 1;
    let firstError: string | undefined;
    let result: ApplyResult | undefined;
    const problems: string[] = [];
    try {
      result = await apply(base);
    } catch (e) {
      firstError = errorText(e);
      if (!(e instanceof ApplyError)) throw e;
      const partial = e.partial;
      try {
        runs = 2;
        result = await apply({
          ...base,
          ...(partial.lastChangeAt ? { lastChangeAt: partial.lastChangeAt } : {}),
          ...(partial.appliedTemporaryBandwidth ? { appliedTemporaryBandwidth: partial.appliedTemporaryBandwidth } : {}),
          ...(partial.pendingInstanceType !== undefined ? { pendingInstanceType: partial.pendingInstanceType } : {}),
          startWhenDone: partial.stoppedByEngine,
        });
      } catch (e2) {
        runs = 0;
        problems.push(`failed twice: ${errorText(e2)}`);
      }
    }
    if (runs === 2) problems.push(`needed a 2nd run (1st: ${firstError})`);
    if (runs === 0) problems.unshift(`1st run: ${firstError}`);
    // A call that landed late may still be on its way: let it land before counting.
    const held = fault.spec;
    if (held?.kind === "latency") await new Promise((r) => setTimeout(r, held.ms));
    const faultHit = proxy ? proxy.delayed() === 1 : sim.faults().length === 0;
    if (!faultHit) problems.push("the fault hit no call");
    const calls = sim.calls();
    const t = tally(calls, instanceId);
    for (const item of ITEMS) {
      const want = scenario.items.includes(item) ? 1 : 0;
      if (t.applied[item] !== want) problems.push(`${item} applied ${t.applied[item]}×`);
    }
    if (t.refused.length > 0) problems.push(`refused: ${t.refused.join(", ")}`);
    const i = sim.getState().instances.find((x) => x.instanceId === instanceId)!;
    const o = ordersOf(i);
    problems.push(...orderProblems(scenario, o));
    const end = {
      status: i.status,
      instanceType: i.instanceType,
      pendingInstanceType: i.pendingInstanceType,
      internetMaxBandwidthOut: i.internetMaxBandwidthOut,
      temporary: i.temporaryBandwidth
        ? { startTime: i.temporaryBandwidth.startTime, endTime: i.temporaryBandwidth.endTime, internetMaxBandwidthOut: i.temporaryBandwidth.internetMaxBandwidthOut }
        : null,
    };
    const wrongEnd = endProblems(scenario, end, window);
    problems.push(...wrongEnd);
    if (scenario.items.includes("temporary") && result && (!result.appliedTemporaryBandwidth || Date.parse(result.appliedTemporaryBandwidth.startTime) !== Date.parse(window.startTime))) {
      problems.push("the apply did not report the window applied");
    }
    return {
      scenario: scenario.id,
      step: step.id,
      fault: fault.id,
      window,
      runs,
      ...(firstError ? { firstError } : {}),
      faultHit,
      ...t,
      ...o,
      end,
      endRight: wrongEnd.length === 0,
      problems,
      ...(problems.length > 0 ? { trace: traceOf(calls) } : {}),
      ms: Date.now() - began,
    };
  } finally {
    await proxy?.close();
    await sim.close();
  }
}

// -------------------------------------------------------------------------------------- the matrix

/** One scenario's rows. */
export interface ScenarioRows {
  readonly scenario: Scenario;
  readonly rows: readonly MatrixStep[];
}

export interface MatrixResult {
  readonly scenarios: readonly ScenarioRows[];
  readonly faults: readonly MatrixFault[];
  readonly cells: readonly CellResult[];
  readonly ms: number;
}

/** Every cell of the scenarios, optionally filtered. */
export function matrixJobs(
  only?: (scenario: Scenario, step: MatrixStep, fault: MatrixFault) => boolean,
  scenarios: readonly Scenario[] = SCENARIOS,
): { scenarios: ScenarioRows[]; jobs: { scenario: Scenario; step: MatrixStep; fault: MatrixFault }[] } {
  const rows = scenarios.map((scenario) => ({ scenario, rows: plannedSteps(scenario).rows }));
  const jobs = rows.flatMap(({ scenario, rows: steps }) =>
    steps.flatMap((step) => faultsFor(step).filter((fault) => (only ? only(scenario, step, fault) : true)).map((fault) => ({ scenario, step, fault }))),
  );
  return { scenarios: rows, jobs };
}

/** Runs every cell, `concurrency` at a time (each has its own simulator). */
export async function runMatrix(
  o: {
    concurrency?: number;
    onCell?: (c: CellResult) => void;
    only?: (scenario: Scenario, step: MatrixStep, fault: MatrixFault) => boolean;
    scenarios?: readonly Scenario[];
  } = {},
): Promise<MatrixResult> {
  const began = Date.now();
  const { scenarios, jobs } = matrixJobs(o.only, o.scenarios);
  const cells: CellResult[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    for (let j = next++; j < jobs.length; j = next++) {
      cells[j] = await runCell(jobs[j]!.scenario, jobs[j]!.step, jobs[j]!.fault);
      o.onCell?.(cells[j]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency ?? 4) }, worker));
  return { scenarios, faults: FAULTS, cells, ms: Date.now() - began };
}

// ---------------------------------------------------------------------------------------- report

/** The counts under the tables. */
export interface MatrixCounts {
  readonly cells: number;
  /** Cells that met the whole bar. */
  readonly passed: number;
  /** Cells whose first apply converged. */
  readonly convergedInOneRun: number;
  /** Cells that converged only with a second apply. */
  readonly extraRuns: number;
  /** Cells that did not converge even then. */
  readonly notConverged: number;
  /** Cells where every item of the plan (and the stop and the start) was applied exactly once, and nothing else. */
  readonly appliedOnce: number;
  /** Cells that ended Running with the desired spec (and window). */
  readonly endStateRight: number;
  /** Calls refused by a rule, over all cells, and the cells they were in. */
  readonly refusedCalls: number;
  readonly cellsWithRefusals: number;
  /** Idempotent replays the API answered (a ClientToken sent again: harmless, counted for the record). */
  readonly replays: number;
  /** Subscription cells, and those with exactly one settled order per item. */
  readonly orderCells: number;
  readonly oneOrderPerItem: number;
}

export function countsOf(cells: readonly CellResult[]): MatrixCounts {
  const once = (c: CellResult) => ITEMS.every((i) => c.applied[i] === (scenarioOf(c.scenario).items.includes(i) ? 1 : 0));
  const orderCells = cells.filter((c) => scenarioOf(c.scenario).subscription);
  return {
    cells: cells.length,
    passed: cells.filter((c) => c.problems.length === 0).length,
    convergedInOneRun: cells.filter((c) => c.runs === 1).length,
    extraRuns: cells.filter((c) => c.runs === 2).length,
    notConverged: cells.filter((c) => c.runs === 0).length,
    appliedOnce: cells.filter(once).length,
    endStateRight: cells.filter((c) => c.endRight).length,
    refusedCalls: cells.reduce((n, c) => n + c.refused.length, 0),
    cellsWithRefusals: cells.filter((c) => c.refused.length > 0).length,
    replays: cells.reduce((n, c) => n + c.replays, 0),
    orderCells: orderCells.length,
    oneOrderPerItem: orderCells.filter((c) => orderProblems(scenarioOf(c.scenario), c).length === 0).length,
  };
}

/** A cell's verdict in a few words: `OK`, or its first problem, shortened. */
export function verdict(c: CellResult): string {
  if (c.problems.length === 0) return "OK";
  if (c.runs === 0) return "FAILED";
  if (c.runs === 2) return "2 runs";
  const p = c.problems[0]!;
  const refused = /^refused: (\w+) ([\w.]+)/.exec(p);
  if (refused) return `refused ${refused[2]}`;
  return p.replace(/ \(.*$/, "");
}

/** The matrix as Markdown tables (one per scenario: rows = steps, columns = faults), the counts, and each failing cell. */
export function formatMatrix(m: MatrixResult): string {
  const byCell = new Map(m.cells.map((c) => [`${c.scenario}|${c.step}|${c.fault}`, c]));
  const lines: string[] = [];
  for (const { scenario, rows } of m.scenarios) {
    if (!m.cells.some((c) => c.scenario === scenario.id)) continue;
    // Columns that apply to at least one row of the scenario.
    const faults = m.faults.filter((f) => rows.some((r) => faultsFor(r).includes(f)));
    if (lines.length > 0) lines.push("");
    lines.push(`${scenario.label}:`, "", `| step \\ fault | ${faults.map((f) => f.label).join(" | ")} |`, `|---|${faults.map(() => "---").join("|")}|`);
    for (const r of rows) {
      lines.push(`| ${r.label} | ${faults.map((f) => { const c = byCell.get(`${scenario.id}|${r.id}|${f.id}`); return c ? verdict(c) : "–"; }).join(" | ")} |`);
    }
  }
  const n = countsOf(m.cells);
  lines.push(
    "",
    `cells ${n.cells}: passed ${n.passed}, failed ${n.cells - n.passed}`,
    `converged in one apply: ${n.convergedInOneRun}; needed a second apply: ${n.extraRuns}; did not converge: ${n.notConverged}`,
    `every item applied exactly once: ${n.appliedOnce}/${n.cells} cells (idempotent replays answered by the API: ${n.replays})`,
    `subscription cells with exactly one settled order per item: ${n.oneOrderPerItem}/${n.orderCells}`,
    `ended Running with the desired spec: ${n.endStateRight}/${n.cells} cells`,
    `calls refused by a rule: ${n.refusedCalls} (in ${n.cellsWithRefusals} cells)`,
    `time: ${(m.ms / 1000).toFixed(1)} s`,
  );
  const failing = m.cells.filter((c) => c.problems.length > 0);
  if (failing.length > 0) {
    lines.push("", "failing cells:");
    const label = (c: CellResult) => m.scenarios.find((s) => s.scenario.id === c.scenario)?.rows.find((r) => r.id === c.step)?.label ?? c.step;
    const fault = (id: string) => m.faults.find((f) => f.id === id)?.label ?? id;
    for (const c of failing) lines.push(`- ${c.scenario}: ${label(c)} × ${fault(c.fault)}: ${c.problems.join("; ")}`);
  }
  return lines.join("\n");
}
