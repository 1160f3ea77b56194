/**
 * The fault matrix: every call of a type + bandwidth + temporary-window plan × every fault the
 * simulator injects. Each cell is one `apply` of the real engine, through the real client
 * (`@alicloud/pop-core`), against a fresh simulator with compressed time, with the fault injected
 * once on that step's call. A cell passes when the apply converges in one run, the instance ends
 * Running with the desired spec and window, each item (and the stop and the start) was applied
 * exactly once, and no call was refused by a rule of the API.
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

// ---------------------------------------------------------------------------------- the scenario

export const INSTANCE_ID = "i-demo-web-01";
export const FROM = { instanceType: "ecs.g6.large", internetMaxBandwidthOut: 5 } as const;
export const TO = { instanceType: "ecs.g6.xlarge", internetMaxBandwidthOut: 20, temporaryOut: 50 } as const;

/** Simulator time, compressed: the rules stay (cooldown, stop before a type change), the waiting goes. */
export const SIM_TIMING = { cooldownSeconds: 0.5, stopSeconds: 0.15, startSeconds: 0.15, asyncApplySeconds: 0.3, tokenProcessingSeconds: 0 };

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

export function desiredSpec(window: TemporaryBandwidth): DesiredSpec {
  const r = parseDesiredSpec({
    instanceId: INSTANCE_ID,
    regionId: "cn-hangzhou",
    instanceType: TO.instanceType,
    internetMaxBandwidthOut: TO.internetMaxBandwidthOut,
    temporaryBandwidth: window,
    cooldownSeconds: SIM_TIMING.cooldownSeconds,
    timeoutSeconds: 30,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.failures));
  return r.value;
}

// ------------------------------------------------------------------------------- rows and columns

/** What a call changes: one of the plan's items, or the stop or the start. */
export type Item = "bandwidth" | "type" | "temporary" | "stop" | "start";
export const ITEMS: readonly Item[] = ["bandwidth", "stop", "type", "start", "temporary"];

/** A row: the call of one step of the plan. */
export interface MatrixStep {
  readonly id: "bandwidth" | "stop" | "type" | "start" | "temporary" | "read";
  readonly label: string;
  readonly action: "ModifyInstanceSpec" | "StopInstance" | "StartInstance" | "DescribeInstances";
}

const STEP_OF_KIND: Record<string, MatrixStep> = {
  modifyBandwidth: { id: "bandwidth", label: "ModifyInstanceSpec (bandwidth)", action: "ModifyInstanceSpec" },
  stop: { id: "stop", label: "StopInstance", action: "StopInstance" },
  modifyType: { id: "type", label: "ModifyInstanceSpec (type)", action: "ModifyInstanceSpec" },
  start: { id: "start", label: "StartInstance", action: "StartInstance" },
  modifyTemporaryBandwidth: { id: "temporary", label: "ModifyInstanceSpec (temporary)", action: "ModifyInstanceSpec" },
};
/** The status poll while the instance stops: a read made during the downtime. */
export const READ_STEP: MatrixStep = { id: "read", label: "DescribeInstances (poll while stopping)", action: "DescribeInstances" };

/** A column: one fault, injected by the simulator (`spec`) or, for a late answer, by a proxy in front of it. */
export interface MatrixFault {
  readonly id: string;
  readonly label: string;
  readonly spec?: DistributiveOmit<FaultSpec, "action" | "instanceId" | "count">;
  /** Apply the request at once, hold its answer back this long (ms). */
  readonly answerLateMs?: number;
}
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

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
];

/** The plan's steps for the scenario, from the planner itself: the rows in the order the engine runs them. */
export function plannedSteps(): { kinds: string[]; rows: MatrixStep[] } {
  const desired = desiredSpec(futureWindow());
  const live = snapshot({
    instanceId: INSTANCE_ID,
    instanceType: FROM.instanceType,
    internetMaxBandwidthOut: FROM.internetMaxBandwidthOut,
  });
  const p = plan(live, desired, { now: new Date(), availableTypes: [TO.instanceType], estimates: ENGINE_TIMING });
  if (p.kind !== "ok") throw new Error(`the scenario's plan was refused: ${JSON.stringify(p.refusals)}`);
  const kinds = p.steps.map((s) => s.kind);
  const rows: MatrixStep[] = [];
  for (const k of kinds) {
    const row = STEP_OF_KIND[k];
    if (!row) continue;
    rows.push(row);
    if (row.id === "stop") rows.push(READ_STEP);
  }
  return { kinds, rows };
}

// ----------------------------------------------------------------------------------------- a cell

/** What one cell found. */
export interface CellResult {
  readonly step: MatrixStep["id"];
  readonly fault: string;
  /** The temporary window the cell asked for. */
  readonly window: TemporaryBandwidth;
  /** Applies it took: 1, 2, or 0 when even a second one failed. */
  readonly runs: 0 | 1 | 2;
  /** The first apply's failure, when it failed (`ApplyError` code and message). */
  readonly firstError?: string;
  /** Whether the injected fault hit a call (a cell whose fault hit nothing tested nothing). */
  readonly faultHit: boolean;
  /** Successful calls per item: distinct answers, so an idempotent replay of a ClientToken is not counted. */
  readonly applied: Readonly<Record<Item, number>>;
  /** Replays: answers to a ClientToken that had already been applied. */
  readonly replays: number;
  /** Calls refused by a rule (not by the injected fault), as `Action Code`. */
  readonly refused: readonly string[];
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

/** What a call changes (for ModifyInstanceSpec: which item), or undefined for a read. */
export function itemOf(c: CallLogEntry): Item | undefined {
  if (c.action === "StopInstance") return "stop";
  if (c.action === "StartInstance") return "start";
  if (c.action !== "ModifyInstanceSpec") return undefined;
  if (c.params.InstanceType !== undefined) return "type";
  if (c.params["Temporary.StartTime"] !== undefined) return "temporary";
  return "bandwidth";
}

/**
 * Applied calls per item, replays, and calls refused by a rule. A ModifyInstanceSpec answered 200
 * with a RequestId already seen is the API's replay of a ClientToken: nothing was applied again.
 * A lost answer still carries the verdict of the call, and a delayed call is judged when it lands,
 * so both count as the API's own answer; only the injected error, drop and HTML answers are the fault's.
 */
export function tally(calls: readonly CallLogEntry[], instanceId: string): Pick<CellResult, "applied" | "replays" | "refused"> {
  const applied: Record<Item, number> = { bandwidth: 0, type: 0, temporary: 0, stop: 0, start: 0 };
  const seen = new Set<string>();
  let replays = 0;
  const refused: string[] = [];
  for (const c of calls) {
    const own = c.fault === undefined || c.fault === "lostResponse";
    const names = c.params.InstanceId === instanceId || c.params.InstanceIds?.includes(instanceId) || c.params.ResourceId === instanceId;
    if (!own || !names) continue;
    // A DryRun that passes is answered with the error code DryRunOperation: a check, not a refusal.
    if (c.code === "DryRunOperation" && c.params.DryRun === "true") continue;
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
  }
  return { applied, replays, refused };
}

/** How the instance at the end differs from the scenario's promise (Running, the new spec, the window). */
function endProblems(end: CellResult["end"], window: TemporaryBandwidth): string[] {
  const p: string[] = [];
  if (end.status !== "Running") p.push(`ended ${end.status}`);
  if (end.instanceType !== TO.instanceType) p.push(`type ${end.instanceType}${end.pendingInstanceType ? ` (pending ${end.pendingInstanceType})` : ""}`);
  if (end.internetMaxBandwidthOut !== TO.internetMaxBandwidthOut) p.push(`out ${end.internetMaxBandwidthOut}`);
  const t = end.temporary;
  if (!t || Date.parse(t.startTime) !== Date.parse(window.startTime) || Date.parse(t.endTime) !== Date.parse(window.endTime) || t.internetMaxBandwidthOut !== window.internetMaxBandwidthOut) {
    p.push(t ? `window ${JSON.stringify(t)}` : "no window");
  }
  return p;
}

/**
 * The client the engine gets: the real one, which arms the cell's fault in the simulator right
 * before the step's first call (once), so the fault hits that call and not an earlier one of the
 * same action (three steps are ModifyInstanceSpec).
 */
function armingClient(api: EcsApi, sim: RunningSimulator, proxy: LateAnswerProxy | undefined, step: MatrixStep, fault: MatrixFault): EcsApi {
  let armed = false;
  let stopAnswered = false;
  const arm = (when: boolean) => {
    if (armed || !when) return;
    armed = true;
    if (fault.spec) sim.addFault({ ...fault.spec, action: step.action, instanceId: INSTANCE_ID, count: 1 } as FaultSpec);
    // The engine makes one call at a time: the proxy's next request is this one.
    else proxy!.delayNextAnswer(fault.answerLateMs!);
  };
  return {
    ...api,
    describeInstance: (id, o) => {
      arm(step.id === "read" && stopAnswered);
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
    return `+${c.atMs - t0}ms ${c.action}${item && c.action === "ModifyInstanceSpec" ? `(${item})` : ""} -> ${c.httpStatus}${c.code ? ` ${c.code}` : ""}${status}${c.fault ? ` [${c.fault}]` : ""}${late}`;
  });
}

const errorText = (e: unknown) => (e instanceof ApplyError ? `${e.code}: ${e.message.split("\n")[0]}` : e instanceof Error ? e.message : String(e));

/** Runs one cell on a fresh simulator. */
export async function runCell(step: MatrixStep, fault: MatrixFault): Promise<CellResult> {
  // Time is compressed 20-fold here, but the provider's API budget counts calls per real minute:
  // polls 50 ms apart would spend a real account's budget. The budget is not what this matrix tests.
  configureApiScheduling({ limits: { default: 100_000 } });
  const began = Date.now();
  const sim = await startSimulator({ port: 0, timing: SIM_TIMING, quiet: true });
  const proxy = fault.answerLateMs !== undefined ? await startLateAnswerProxy(sim.url) : undefined;
  try {
    const window = futureWindow();
    const desired = desiredSpec(window);
    const real = createEcsClient({
      regionId: sim.regionId,
      endpoint: proxy?.url ?? sim.url,
      credentials: { accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret },
      timeoutMs: CLIENT_TIMEOUT_MS,
    });
    const api = armingClient(real, sim, proxy, step, fault);
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
    const t = tally(calls, INSTANCE_ID);
    for (const item of ITEMS) if (t.applied[item] !== 1) problems.push(`${item} applied ${t.applied[item]}×`);
    if (t.refused.length > 0) problems.push(`refused: ${t.refused.join(", ")}`);
    const i = sim.getState().instances.find((x) => x.instanceId === INSTANCE_ID)!;
    const end = {
      status: i.status,
      instanceType: i.instanceType,
      pendingInstanceType: i.pendingInstanceType,
      internetMaxBandwidthOut: i.internetMaxBandwidthOut,
      temporary: i.temporaryBandwidth
        ? { startTime: i.temporaryBandwidth.startTime, endTime: i.temporaryBandwidth.endTime, internetMaxBandwidthOut: i.temporaryBandwidth.internetMaxBandwidthOut }
        : null,
    };
    const wrongEnd = endProblems(end, window);
    problems.push(...wrongEnd);
    if (result && (!result.appliedTemporaryBandwidth || Date.parse(result.appliedTemporaryBandwidth.startTime) !== Date.parse(window.startTime))) {
      problems.push("the apply did not report the window applied");
    }
    return {
      step: step.id,
      fault: fault.id,
      window,
      runs,
      ...(firstError ? { firstError } : {}),
      faultHit,
      ...t,
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

export interface MatrixResult {
  readonly rows: readonly MatrixStep[];
  readonly faults: readonly MatrixFault[];
  readonly cells: readonly CellResult[];
  readonly ms: number;
}

/** Runs every cell, `concurrency` at a time (each has its own simulator). */
export async function runMatrix(
  o: { concurrency?: number; onCell?: (c: CellResult) => void; only?: (step: MatrixStep, fault: MatrixFault) => boolean } = {},
): Promise<MatrixResult> {
  const began = Date.now();
  const { rows } = plannedSteps();
  const jobs = rows.flatMap((step) => FAULTS.filter((fault) => (o.only ? o.only(step, fault) : true)).map((fault) => ({ step, fault })));
  const cells: CellResult[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    for (let j = next++; j < jobs.length; j = next++) {
      cells[j] = await runCell(jobs[j]!.step, jobs[j]!.fault);
      o.onCell?.(cells[j]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency ?? 4) }, worker));
  return { rows, faults: FAULTS, cells, ms: Date.now() - began };
}

// ---------------------------------------------------------------------------------------- report

/** The counts under the table. */
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
  /** Cells where every item (and the stop and the start) was applied exactly once. */
  readonly appliedOnce: number;
  /** Cells that ended Running with the desired spec and window. */
  readonly endStateRight: number;
  /** Calls refused by a rule, over all cells, and the cells they were in. */
  readonly refusedCalls: number;
  readonly cellsWithRefusals: number;
  /** Idempotent replays the API answered (a ClientToken sent again: harmless, counted for the record). */
  readonly replays: number;
}

export function countsOf(cells: readonly CellResult[]): MatrixCounts {
  const once = (c: CellResult) => ITEMS.every((i) => c.applied[i] === 1);
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

/** The matrix as a Markdown table (rows = steps, columns = faults), the counts, and each failing cell. */
export function formatMatrix(m: MatrixResult): string {
  const byCell = new Map(m.cells.map((c) => [`${c.step}|${c.fault}`, c]));
  const header = `| step \\ fault | ${m.faults.map((f) => f.label).join(" | ")} |`;
  const rule = `|---|${m.faults.map(() => "---").join("|")}|`;
  const lines = [header, rule];
  for (const r of m.rows) {
    lines.push(`| ${r.label} | ${m.faults.map((f) => { const c = byCell.get(`${r.id}|${f.id}`); return c ? verdict(c) : "–"; }).join(" | ")} |`);
  }
  const n = countsOf(m.cells);
  lines.push(
    "",
    `cells ${n.cells}: passed ${n.passed}, failed ${n.cells - n.passed}`,
    `converged in one apply: ${n.convergedInOneRun}; needed a second apply: ${n.extraRuns}; did not converge: ${n.notConverged}`,
    `every item applied exactly once: ${n.appliedOnce}/${n.cells} cells (idempotent replays answered by the API: ${n.replays})`,
    `ended Running with the desired type, bandwidth and window: ${n.endStateRight}/${n.cells} cells`,
    `calls refused by a rule: ${n.refusedCalls} (in ${n.cellsWithRefusals} cells)`,
    `time: ${(m.ms / 1000).toFixed(1)} s`,
  );
  const failing = m.cells.filter((c) => c.problems.length > 0);
  if (failing.length > 0) {
    lines.push("", "failing cells:");
    const label = (id: string) => m.rows.find((r) => r.id === id)?.label ?? id;
    const fault = (id: string) => m.faults.find((f) => f.id === id)?.label ?? id;
    for (const c of failing) lines.push(`- ${label(c.step)} × ${fault(c.fault)}: ${c.problems.join("; ")}`);
  }
  return lines.join("\n");
}
