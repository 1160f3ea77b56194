/**
 * Kill points: `pulumi up` (the real CLI, with the provider it starts) of a type + bandwidth +
 * temporary-window change is SIGKILLed, CLI and provider together, right after one step of the plan
 * took effect; then `pulumi up` runs again and must converge: the instance Running with the desired
 * spec and window, each item applied once. On update (the stack already manages the instance) and on
 * create (the killed `up` was the stack's first).
 *
 * How a kill lands right after a call, before the provider's next one: the call's answer is lost
 * (the simulator applies it and closes the connection), so the provider, which learns nothing,
 * waits a backoff of a second or more before it re-reads; the kill comes within milliseconds of
 * the call, inside that backoff. "Before the window" is a kill in the cooldown the provider waits
 * before its last call, the instance Running again.
 *
 * Subscription kill points (`SUBSCRIPTION_KILL_POINTS`): the same, for a subscription upgrade of a
 * running instance with a bandwidth change (killed right after ModifyPrepayInstanceSpec was sent,
 * after it was answered while its order settles, during the ECS restart the order makes, after the
 * bandwidth order) and a downgrade (killed between the stop and the order, between the order and the
 * start). The next `up` must finish with exactly one order per item, the instance Running, the type
 * applied, and no call refused but the subscription interval the killed run started (`Throttling`).
 *
 * Used by test/e2e/reliability.kill.test.ts and `npm run reliability -- --kill`.
 */
import { PulumiProject, startInBackground, type CliResult } from "../test/harness/pulumi";
import { simEnv } from "../test/helpers/sim";
import { startSimulator, type CallLogEntry, type RunningSimulator } from "../simulator/index";
import { futureWindow, INSTANCE_ID, itemOf, ordersOf, PREPAID_ID, scenarioOf, tally, TO, type Item, type ScenarioId } from "./matrix";
import type { TemporaryBandwidth } from "../provider/engine";

/** Simulator time for the kill tests: short, but with room to land a kill between two calls. */
export const KILL_TIMING = { cooldownSeconds: 2, stopSeconds: 0.5, startSeconds: 0.5 };

export type Phase = "create" | "update";
export const PHASES: readonly Phase[] = ["update", "create"];

/** Where the kill lands. */
export interface KillPoint {
  readonly id: string;
  readonly label: string;
  /** The calls that took effect before the kill, in order. */
  readonly before: readonly Item[];
}

export const KILL_POINTS: readonly KillPoint[] = [
  { id: "afterBandwidth", label: "after the bandwidth change", before: ["bandwidth"] },
  { id: "afterStop", label: "after StopInstance", before: ["bandwidth", "stop"] },
  { id: "afterType", label: "after the type change", before: ["bandwidth", "stop", "type"] },
  { id: "afterStart", label: "after StartInstance", before: ["bandwidth", "stop", "type", "start"] },
  { id: "beforeTemporary", label: "before the window (in its cooldown)", before: ["bandwidth", "stop", "type", "start"] },
  { id: "afterTemporary", label: "after the window", before: ["bandwidth", "stop", "type", "start", "temporary"] },
];

/** What one kill point found. */
export interface KillResult {
  readonly phase: Phase;
  readonly point: string;
  /** The calls that took effect before the kill (to check the kill landed where it should). */
  readonly killedAfter: readonly Item[];
  /** Exit code of the `pulumi up` after the kill. */
  readonly upCode: number;
  /** Its output's last lines, when it failed. */
  readonly upTail?: string;
  /** Applied calls per item over both `up`s (a ClientToken replay is not an apply). */
  readonly applied: Readonly<Record<Item, number>>;
  /** Calls refused by a rule over both `up`s (information: the next `up` cannot know a cooldown the killed one started). */
  readonly refused: readonly string[];
  readonly end: { readonly status: string; readonly instanceType: string; readonly internetMaxBandwidthOut: number; readonly temporary: TemporaryBandwidth | null };
  readonly window: TemporaryBandwidth;
  /** Every way it missed the bar; empty when it converged. */
  readonly problems: readonly string[];
  /** The calls that change the instance over both runs, `Action(item) code [fault]`. */
  readonly changes: readonly string[];
  readonly ms: number;
}

function programOf(args: Record<string, unknown>): string {
  return `const { InstanceSpec } = require("pulumi-ecs-spec");\nconst web = new InstanceSpec("web", ${JSON.stringify(args)});\nexports.actual = web.actual;\n`;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls the simulator's call log until `found` holds (a minute at most). */
async function until(sim: RunningSimulator, what: string, found: (calls: CallLogEntry[]) => boolean, everyMs = 5): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!found(sim.calls())) {
    if (Date.now() > deadline) throw new Error(`waited a minute for ${what}`);
    await sleep(everyMs);
  }
}

const ofItem = (item: Item, instanceId = INSTANCE_ID) => (c: CallLogEntry) => c.params.InstanceId === instanceId && itemOf(c) === item;
const answered = (c: CallLogEntry) => c.httpStatus === 200 && c.code === undefined;

/** The calls that took effect, in order: answered 200 (lost answers included), replays left out. */
function effective(calls: readonly CallLogEntry[], instanceId = INSTANCE_ID): Item[] {
  const seen = new Set<string>();
  const out: Item[] = [];
  for (const c of calls) {
    const item = itemOf(c);
    if (!item || c.params.InstanceId !== instanceId || !answered(c)) continue;
    if (c.fault !== undefined && c.fault !== "lostResponse") continue;
    const id = (c.response as { RequestId?: string } | null)?.RequestId ?? "";
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(item);
  }
  return out;
}

/** What the killed `up` and the `up` after it leave to check. */
interface Rerun {
  /** The calls that took effect before the kill. */
  readonly killedAfter: Item[];
  /** The `up` after the kill. */
  readonly up: CliResult;
}

/**
 * A fresh stack on `sim` (on update, first `up` with `initial`), `up` to `target` SIGKILLed (CLI
 * and provider) once `reach` resolves, then `up` again.
 */
async function killAndRerun(
  sim: RunningSimulator,
  o: {
    readonly name: string;
    readonly phase: Phase;
    readonly instanceId: string;
    readonly initial: Record<string, unknown>;
    readonly target: Record<string, unknown>;
    readonly cooldownSeconds: number;
    readonly estimates: Record<string, number>;
    readonly reach: () => Promise<void>;
  },
): Promise<Rerun> {
  let project: PulumiProject | undefined;
  try {
    project = await PulumiProject.create(o.name, {
      program: programOf(o.phase === "update" ? o.initial : o.target),
      // The simulator's durations, once for the stack (README, "Stack-wide defaults").
      config: {
        "alicloud:region": sim.regionId,
        "pulumi-ecs-spec:cooldownSeconds": String(o.cooldownSeconds),
        "pulumi-ecs-spec:estimates": JSON.stringify(o.estimates),
      },
      env: simEnv(sim),
    });
    if (o.phase === "update") {
      await project.up();
      project.writeProgram(programOf(o.target));
    }
    const run = startInBackground(project, ["up", "--yes", "--skip-preview"]);
    try {
      await o.reach();
    } finally {
      run.kill();
    }
    await run.exited;
    sim.clearFaults();
    // Longer than the backoff the provider was in: had it survived, its next call would show.
    await sleep(2500);
    const killedAfter = effective(sim.calls(), o.instanceId);
    project.removeStaleLocks();
    const up = await project.up([], { allowFailure: true });
    return { killedAfter, up };
  } finally {
    project?.remove();
  }
}

/** The misses both kinds of kill point check: where the kill landed, the next `up`, the end state. */
function commonProblems(
  point: KillPoint,
  { killedAfter, up }: Rerun,
  end: { readonly status: string; readonly instanceType: string; readonly internetMaxBandwidthOut: number; readonly pendingInstanceType: string | null },
  want: { readonly instanceType: string; readonly internetMaxBandwidthOut: number },
): string[] {
  const problems: string[] = [];
  if (killedAfter.join(",") !== point.before.join(",")) problems.push(`the kill landed after [${killedAfter.join(", ")}], not after [${point.before.join(", ")}]`);
  if (up.code !== 0) problems.push(`the next up failed (exit ${up.code})`);
  if (end.status !== "Running") problems.push(`ended ${end.status}`);
  if (end.instanceType !== want.instanceType) problems.push(`type ${end.instanceType}${end.pendingInstanceType ? ` (pending ${end.pendingInstanceType})` : ""}`);
  if (end.internetMaxBandwidthOut !== want.internetMaxBandwidthOut) problems.push(`out ${end.internetMaxBandwidthOut}`);
  return problems;
}

/** The fields of a result about the next `up`: its exit code and, when it failed, its last lines. */
function upOutcome(up: CliResult): { upCode: number; upTail?: string } {
  const tail = (up.stdout + up.stderr).trim().split("\n").slice(-15).join("\n");
  return { upCode: up.code, ...(up.code !== 0 ? { upTail: tail } : {}) };
}

/**
 * Arms the kill point and resolves when the kill should land: the step's call took effect and its
 * answer was lost (or, before the window, the provider has seen the instance Running again).
 */
async function reach(sim: RunningSimulator, point: KillPoint): Promise<void> {
  const lose = (action: string) => sim.addFault({ action, instanceId: INSTANCE_ID, kind: "lostResponse", count: 1 });
  const lost = (item: Item) => (calls: CallLogEntry[]) => calls.some((c) => ofItem(item)(c) && c.fault === "lostResponse");
  switch (point.id) {
    case "afterBandwidth":
      lose("ModifyInstanceSpec");
      return until(sim, "the bandwidth change", lost("bandwidth"));
    case "afterStop":
      lose("StopInstance");
      return until(sim, "StopInstance", lost("stop"));
    case "afterType":
      // The bandwidth change is also a ModifyInstanceSpec: arm once it is done (a cooldown before the type).
      await until(sim, "the bandwidth change", (calls) => calls.some(ofItem("bandwidth")));
      lose("ModifyInstanceSpec");
      return until(sim, "the type change", lost("type"));
    case "afterStart":
      lose("StartInstance");
      return until(sim, "StartInstance", lost("start"));
    case "beforeTemporary":
      return until(sim, "a read showing the instance Running after its start", (calls) => {
        const start = calls.findIndex(ofItem("start"));
        return start >= 0 && calls.slice(start + 1).some((c) => c.action === "DescribeInstances" && JSON.stringify(c.response).includes('"Status":"Running"'));
      });
    case "afterTemporary":
      await until(sim, "the type change", (calls) => calls.some(ofItem("type")));
      lose("ModifyInstanceSpec");
      return until(sim, "the window", lost("temporary"));
    default:
      throw new Error(`unknown kill point ${point.id}`);
  }
}

/** One kill point: a fresh simulator and stack, the killed `up`, then `up` again. */
export async function runKillPoint(phase: Phase, point: KillPoint): Promise<KillResult> {
  const began = Date.now();
  const sim = await startSimulator({ port: 0, timing: KILL_TIMING, quiet: true });
  try {
    const window = futureWindow();
    const target = { instanceId: INSTANCE_ID, instanceType: TO.instanceType, internetMaxBandwidthOut: TO.internetMaxBandwidthOut, temporaryBandwidth: window };
    const rerun = await killAndRerun(sim, {
      name: "kill",
      phase,
      instanceId: INSTANCE_ID,
      initial: { instanceId: INSTANCE_ID, internetMaxBandwidthOut: 5 },
      target,
      cooldownSeconds: KILL_TIMING.cooldownSeconds,
      estimates: { stopSeconds: KILL_TIMING.stopSeconds, startSeconds: KILL_TIMING.startSeconds },
      reach: () => reach(sim, point),
    });
    const calls = sim.calls();
    const t = tally(calls, INSTANCE_ID);
    const i = sim.getState().instances.find((x) => x.instanceId === INSTANCE_ID)!;
    const end = {
      status: i.status,
      instanceType: i.instanceType,
      internetMaxBandwidthOut: i.internetMaxBandwidthOut,
      temporary: i.temporaryBandwidth
        ? { startTime: i.temporaryBandwidth.startTime, endTime: i.temporaryBandwidth.endTime, internetMaxBandwidthOut: i.temporaryBandwidth.internetMaxBandwidthOut }
        : null,
    };
    const problems = commonProblems(point, rerun, { ...end, pendingInstanceType: i.pendingInstanceType }, TO);
    if (!end.temporary || Date.parse(end.temporary.startTime) !== Date.parse(window.startTime) || end.temporary.internetMaxBandwidthOut !== window.internetMaxBandwidthOut) {
      problems.push(end.temporary ? `window ${JSON.stringify(end.temporary)}` : "no window");
    }
    for (const item of ["bandwidth", "type", "temporary"] as const) if (t.applied[item] !== 1) problems.push(`${item} applied ${t.applied[item]}×`);
    return {
      phase,
      point: point.id,
      killedAfter: rerun.killedAfter,
      ...upOutcome(rerun.up),
      applied: t.applied,
      refused: t.refused,
      end,
      window,
      problems,
      changes: calls
        .filter((c) => itemOf(c) !== undefined)
        .map((c) => `${c.action}${c.action === "ModifyInstanceSpec" ? `(${itemOf(c)})` : ""}${c.code ? ` ${c.code}` : ""}${c.fault ? ` [${c.fault}]` : ""}`),
      ms: Date.now() - began,
    };
  } finally {
    await sim.close();
  }
}

// ------------------------------------------------------------------------ subscription kill points

/** Simulator time for the subscription kill points: the interval as the cooldown, an order settling in 1.5 s. */
export const SUBSCRIPTION_KILL_TIMING = { ...KILL_TIMING, prepayIntervalSeconds: KILL_TIMING.cooldownSeconds, prepayApplySeconds: 1.5, networkApplySeconds: 0 };

/** Where a kill of a subscription change lands. */
export interface SubscriptionKillPoint extends KillPoint {
  readonly scenario: Extract<ScenarioId, "prepaidUpgrade" | "prepaidDowngrade">;
}

export const SUBSCRIPTION_KILL_POINTS: readonly SubscriptionKillPoint[] = [
  { id: "upgradeOrderSent", scenario: "prepaidUpgrade", label: "upgrade: right after ModifyPrepayInstanceSpec was sent (its answer lost)", before: ["type"] },
  { id: "upgradeOrderSettling", scenario: "prepaidUpgrade", label: "upgrade: after ModifyPrepayInstanceSpec was answered, while its order settles", before: ["type"] },
  { id: "upgradeRestart", scenario: "prepaidUpgrade", label: "upgrade: during the ECS restart the order makes", before: ["type"] },
  { id: "upgradeAfterBandwidth", scenario: "prepaidUpgrade", label: "upgrade: after the bandwidth order (ModifyInstanceNetworkSpec)", before: ["type", "bandwidth"] },
  { id: "downgradeAfterStop", scenario: "prepaidDowngrade", label: "downgrade: after StopInstance, before the order", before: ["stop"] },
  { id: "downgradeAfterOrder", scenario: "prepaidDowngrade", label: "downgrade: after the order (ModifyPrepayInstanceSpec), before the start", before: ["stop", "type"] },
];

/** Polls `found` on the simulator's state (a minute at most). */
async function untilState(sim: RunningSimulator, what: string, found: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!found()) {
    if (Date.now() > deadline) throw new Error(`waited a minute for ${what}`);
    await sleep(5);
  }
}

/** Arms a subscription kill point and resolves when the kill should land. */
async function reachSubscription(sim: RunningSimulator, point: SubscriptionKillPoint): Promise<void> {
  const id = PREPAID_ID;
  const lose = (action: string) => sim.addFault({ action, instanceId: id, kind: "lostResponse", count: 1 });
  const lost = (item: Item) => (calls: CallLogEntry[]) => calls.some((c) => ofItem(item, id)(c) && c.fault === "lostResponse");
  const instance = () => sim.getState().instances.find((x) => x.instanceId === id)!;
  const typeOrder = () => (instance().orders ?? []).find((o) => o.change.item === "instanceType");
  switch (point.id) {
    case "upgradeOrderSent":
      lose("ModifyPrepayInstanceSpec");
      return until(sim, "ModifyPrepayInstanceSpec", lost("type"));
    case "upgradeOrderSettling":
      await until(sim, "ModifyPrepayInstanceSpec answered", (calls) => calls.some((c) => ofItem("type", id)(c) && answered(c) && c.fault === undefined));
      // Half the order's time: the provider is waiting for it, the order is still processing.
      await sleep((SUBSCRIPTION_KILL_TIMING.prepayApplySeconds * 1000) / 2);
      if (typeOrder()?.status !== "Processing") throw new Error(`the order is ${typeOrder()?.status}, not Processing, at the kill`);
      return;
    case "upgradeRestart":
      return untilState(sim, "the ECS restart after the order", () => typeOrder()?.status === "Paid" && (instance().status === "Stopping" || instance().status === "Starting"));
    case "upgradeAfterBandwidth":
      lose("ModifyInstanceNetworkSpec");
      return until(sim, "ModifyInstanceNetworkSpec", lost("bandwidth"));
    case "downgradeAfterStop":
      lose("StopInstance");
      return until(sim, "StopInstance", lost("stop"));
    case "downgradeAfterOrder":
      // The downgrade's call is also sent once before the stop (its check while running): arm after the stop.
      await until(sim, "StopInstance", (calls) => calls.some(ofItem("stop", id)));
      lose("ModifyPrepayInstanceSpec");
      return until(sim, "the downgrade's order", lost("type"));
    default:
      throw new Error(`unknown kill point ${point.id}`);
  }
}

/** What one subscription kill point found. */
export interface SubscriptionKillResult extends Omit<KillResult, "end" | "window"> {
  readonly scenario: SubscriptionKillPoint["scenario"];
  readonly end: { readonly status: string; readonly instanceType: string; readonly internetMaxBandwidthOut: number };
  /** Orders on the instance at the end, per item, and their statuses. */
  readonly orders: Readonly<Record<"type" | "bandwidth" | "temporary", number>>;
  readonly orderStatuses: readonly string[];
}

/** One subscription kill point: a fresh simulator and stack, the killed `up`, then `up` again. */
export async function runSubscriptionKillPoint(phase: Phase, point: SubscriptionKillPoint): Promise<SubscriptionKillResult> {
  const began = Date.now();
  const scenario = scenarioOf(point.scenario);
  const sim = await startSimulator({ port: 0, timing: SUBSCRIPTION_KILL_TIMING, quiet: true });
  try {
    const target =
      point.scenario === "prepaidUpgrade"
        ? { instanceId: PREPAID_ID, instanceType: scenario.to.instanceType, internetMaxBandwidthOut: scenario.to.internetMaxBandwidthOut, autoPay: true }
        : { instanceId: PREPAID_ID, instanceType: scenario.to.instanceType };
    const T = SUBSCRIPTION_KILL_TIMING;
    const rerun = await killAndRerun(sim, {
      name: "killsub",
      phase,
      instanceId: PREPAID_ID,
      initial: { instanceId: PREPAID_ID, internetMaxBandwidthOut: scenario.from.internetMaxBandwidthOut },
      target,
      cooldownSeconds: T.cooldownSeconds,
      estimates: { stopSeconds: T.stopSeconds, startSeconds: T.startSeconds, orderSeconds: T.prepayApplySeconds },
      reach: () => reachSubscription(sim, point),
    });
    const calls = sim.calls();
    const t = tally(calls, PREPAID_ID);
    const i = sim.getState().instances.find((x) => x.instanceId === PREPAID_ID)!;
    const o = ordersOf(i);
    const end = { status: i.status, instanceType: i.instanceType, internetMaxBandwidthOut: i.internetMaxBandwidthOut };
    const problems = commonProblems(point, rerun, { ...end, pendingInstanceType: i.pendingInstanceType }, scenario.to);
    for (const item of ["type", "bandwidth"] as const) {
      const want = scenario.orders.includes(item) ? 1 : 0;
      if (o.orders[item] !== want) problems.push(`${o.orders[item]} ${item} orders`);
      if (t.applied[item] !== want) problems.push(`${item} applied ${t.applied[item]}×`);
    }
    const unsettled = o.orderStatuses.filter((s) => s !== "Paid" && s !== "Refunded");
    if (unsettled.length > 0) problems.push(`orders not settled: ${unsettled.join(", ")}`);
    // The interval the killed run started is unknown to the next one (nothing recorded): its Throttling is expected.
    const refusedOther = t.refused.filter((r) => !/ Throttling$/.test(r));
    if (refusedOther.length > 0) problems.push(`refused: ${refusedOther.join(", ")}`);
    return {
      phase,
      point: point.id,
      scenario: point.scenario,
      killedAfter: rerun.killedAfter,
      ...upOutcome(rerun.up),
      applied: t.applied,
      refused: t.refused,
      end,
      ...o,
      problems,
      changes: calls
        .filter((c) => itemOf(c) !== undefined && c.params.InstanceId === PREPAID_ID)
        .map((c) => `${c.action}${c.code ? ` ${c.code}` : ""}${c.fault ? ` [${c.fault}]` : ""}`),
      ms: Date.now() - began,
    };
  } finally {
    await sim.close();
  }
}

/** Options of a run of kill points: a callback per result, and which (phase, point) to run. */
export interface RunOptions<P extends KillPoint, R> {
  readonly onResult?: (r: R) => void;
  readonly only?: (phase: Phase, point: P) => boolean;
}

/** Every point of `points` on update and on create, one after the other (each drives the CLI). */
async function runEach<P extends KillPoint, R>(points: readonly P[], runOne: (phase: Phase, point: P) => Promise<R>, o: RunOptions<P, R>): Promise<R[]> {
  const out: R[] = [];
  for (const phase of PHASES) {
    for (const point of points) {
      if (o.only && !o.only(phase, point)) continue;
      const r = await runOne(phase, point);
      out.push(r);
      o.onResult?.(r);
    }
  }
  return out;
}

/** What the tables read of a result. */
type Reported = Pick<KillResult, "phase" | "point" | "problems" | "refused" | "changes">;

/** Results as a Markdown table (rows = points, columns = update, create), a summary and each failure. */
function formatTable<R extends Reported>(
  results: readonly R[],
  points: readonly KillPoint[],
  o: { readonly header: string; readonly noun: string; readonly refusals: (results: readonly R[]) => string },
): string {
  const cell = (phase: Phase, point: KillPoint) => {
    const r = results.find((x) => x.phase === phase && x.point === point.id);
    if (!r) return "–";
    return r.problems.length === 0 ? "OK" : r.problems[0]!;
  };
  const lines = [`| ${o.header} | on update | on create |`, "|---|---|---|"];
  for (const p of points) lines.push(`| ${p.label} | ${cell("update", p)} | ${cell("create", p)} |`);
  const ok = results.filter((r) => r.problems.length === 0).length;
  lines.push("", `${o.noun} ${results.length}: converged ${ok}, failed ${results.length - ok}`);
  lines.push(o.refusals(results));
  const failing = results.filter((r) => r.problems.length > 0);
  if (failing.length > 0) {
    lines.push("", `failing ${o.noun}:`);
    for (const r of failing) {
      const label = points.find((p) => p.id === r.point)?.label ?? r.point;
      lines.push(`- on ${r.phase}, ${label}: ${r.problems.join("; ")}`, `  calls: ${r.changes.join(" → ")}`);
    }
  }
  return lines.join("\n");
}

/** Every subscription kill point on update and on create, one after the other. */
export function runSubscriptionKillPoints(o: RunOptions<SubscriptionKillPoint, SubscriptionKillResult> = {}): Promise<SubscriptionKillResult[]> {
  return runEach(SUBSCRIPTION_KILL_POINTS, runSubscriptionKillPoint, o);
}

/** The subscription kill points as a Markdown table and each failure. */
export function formatSubscriptionKillPoints(results: readonly SubscriptionKillResult[]): string {
  return formatTable(results, SUBSCRIPTION_KILL_POINTS, {
    header: "SIGKILL of `pulumi up` of a subscription change … then `up` again",
    noun: "subscription kill points",
    refusals: (rs) => {
      const throttled = rs.reduce((n, r) => n + r.refused.filter((x) => / Throttling$/.test(x)).length, 0);
      const other = rs.reduce((n, r) => n + r.refused.filter((x) => !/ Throttling$/.test(x)).length, 0);
      return `calls refused over both ups: ${throttled} Throttling (the interval the killed run started, which the next cannot know), ${other} other`;
    },
  });
}

/** Every kill point on update and on create, one after the other (each drives the CLI). */
export function runKillPoints(o: RunOptions<KillPoint, KillResult> = {}): Promise<KillResult[]> {
  return runEach(KILL_POINTS, runKillPoint, o);
}

/** The kill points as a Markdown table (rows = kill points, columns = update, create) and each failure. */
export function formatKillPoints(results: readonly KillResult[]): string {
  return formatTable(results, KILL_POINTS, {
    header: "SIGKILL of `pulumi up` … then `up` again",
    noun: "kill points",
    refusals: (rs) => `calls refused by a rule over both ups: ${rs.reduce((n, r) => n + r.refused.length, 0)}`,
  });
}
