/**
 * Benchmark: the real engine (`apply`) against the simulator over loopback, through the real
 * client (`@alicloud/pop-core`), with compressed simulator time. For each fixed scenario it measures
 * wall time, downtime, API calls and refused calls, and compares wall time and downtime with the
 * physical minimum the API rules allow (see bench/README.md for the formulas and the method).
 * Each scenario is also run, on a fresh simulator each, by the two strategies users have today
 * (bench/baselines.ts), measured the same way; the results sit side by side in a second table and in
 * an SVG timeline per scenario (bench/timeline.ts) written next to the results.
 *
 * `npm run bench -- --rollout` runs the rolling-resize scenarios of InstanceSpecFleet instead
 * (bench/rollout.ts).
 *
 *   npx tsc -p tsconfig.json && npm run bench -- [--cooldown 6] [--stop 2] [--start 2] [--poll S]
 *       [--margin S] [--estimates sim|default] [--only 1,4,7] [--out FILE] [--no-baselines] [--verbose]
 *
 * Exit status: 1 when a scenario fails outright for the engine (apply threw, wrong end state, or a
 * re-run changed something), 2 on bad flags; never because of speed, never because of a baseline.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import {
  apply,
  createEcsClient,
  DEFAULT_TIMING,
  describePlan,
  parseDesiredSpec,
  type ApplyOptions,
  type ApplyResult,
  type ApplyTiming,
  type DesiredSpec,
  type DesiredSpecInput,
  type EcsApi,
} from "../provider/engine";
import { startSimulator, type CallLogEntry, type FaultSpec, type RunningSimulator, type SimInstance } from "../simulator/index";
import { BASELINES, type Baseline, type BaselineTarget } from "./baselines";
import { timelineSvg, type TimelineLane } from "./timeline";
import { main as rolloutMain } from "./rollout";

// ------------------------------------------------------------------------------------------ flags

interface Flags {
  /** Simulator cooldown after each successful ModifyInstanceSpec, s. */
  cooldown: number;
  /** Simulator Running → Stopped duration, s. */
  stop: number;
  /** Simulator Stopped → Running duration, s. */
  start: number;
  /** Simulator: how long a subscription type order takes to settle (`prepayApplySeconds`), s. */
  order: number;
  /** Engine's longest poll interval (`timing.pollSeconds`); undefined = the engine's default. */
  poll?: number;
  /** Engine cooldown margin (`timing.cooldownMarginSeconds`); undefined = the engine's default. */
  margin?: number;
  /** `sim`: tell the planner the simulator's stop/start durations; `default`: the engine's 45 s/45 s/5 s. */
  estimates: "sim" | "default";
  /** Scenario numbers to run; undefined = all. */
  only?: number[];
  /** Where results.json goes; the timelines go next to it. */
  out: string;
  /** Also run the baselines (naive, terraform). */
  baselines: boolean;
  /** Print the engine's progress events. */
  verbose: boolean;
}

const USAGE = `usage: npm run bench -- [flags]
  --cooldown S        simulator cooldown after each spec change, seconds (default 6)
  --stop S            simulator stop duration, seconds (default 2)
  --start S           simulator start duration, seconds (default 2)
  --order S           simulator: a subscription type order until it settles, seconds (default 1)
  --poll S            engine's longest poll interval (timing.pollSeconds; default: the engine's, 5)
  --margin S          engine cooldown margin (timing.cooldownMarginSeconds; default: the engine's, 0.05)
  --estimates MODE    sim (default): the planner's stop/start estimates = the simulator's durations;
                      default: the engine's built-in estimates (45 s stop, 45 s start, 5 s modify)
  --only 1,4,7        run only these scenarios
  --out FILE          results JSON (default dist/bench/results.json); timeline-N.svg go next to it
  --no-baselines      run only the engine (no naive / terraform runs; the timelines get one lane)
  --verbose           print the engine's progress events
  -h, --help          this text`;

function parseFlags(argv: readonly string[]): Flags {
  const f: Flags = { cooldown: 6, stop: 2, start: 2, order: 1, estimates: "sim", out: join(__dirname, "results.json"), baselines: true, verbose: false };
  const num = (name: string, v: string | undefined, min = 0): number => {
    const n = Number(v);
    if (v === undefined || v === "" || !Number.isFinite(n) || n < min) throw new Error(`${name} needs a number >= ${min}, got ${v ?? "nothing"}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i]!;
    let value: string | undefined;
    const eq = arg.indexOf("=");
    if (arg.startsWith("--") && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const next = () => value ?? argv[++i];
    switch (arg) {
      case "--cooldown":
        f.cooldown = num(arg, next());
        break;
      case "--stop":
        f.stop = num(arg, next());
        break;
      case "--order":
        f.order = num(arg, next());
        break;
      case "--start":
        f.start = num(arg, next());
        break;
      case "--poll":
        f.poll = num(arg, next(), 0.01);
        break;
      case "--margin":
        f.margin = num(arg, next());
        break;
      case "--estimates": {
        const v = next();
        if (v !== "sim" && v !== "default") throw new Error(`--estimates is sim or default, got ${v ?? "nothing"}`);
        f.estimates = v;
        break;
      }
      case "--only": {
        const v = next() ?? "";
        const ids = v.split(",").map((x) => Number(x.trim()));
        if (ids.length === 0 || ids.some((x) => !Number.isInteger(x) || x < 1 || x > SCENARIOS.length)) {
          throw new Error(`--only takes scenario numbers 1-${SCENARIOS.length}, comma-separated, got ${v}`);
        }
        f.only = ids;
        break;
      }
      case "--out":
        f.out = resolve(next() ?? "");
        break;
      case "--no-baselines":
        f.baselines = false;
        break;
      case "--verbose":
        f.verbose = true;
        break;
      case "-h":
      case "--help":
        console.log(USAGE);
        process.exit(0);
      default:
        throw new Error(`unknown flag ${arg}`);
    }
  }
  return f;
}

// -------------------------------------------------------------------------------- the minimum

interface SimTiming {
  /** Cooldown C, s. */
  readonly C: number;
  /** Stop S, s. */
  readonly S: number;
  /** Start T, s. */
  readonly T: number;
  /** A subscription type order until it settles O, s (the change is applied then). */
  readonly O: number;
}

interface Minimum {
  readonly wall: number;
  readonly downtime: number;
  /** The formula, for the table's footnote and results.json. */
  readonly wallFormula: string;
  readonly downtimeFormula: string;
}

/**
 * The least wall time and downtime the API rules allow for `n` single-item changes, `typeOnRunning`
 * when one of them is a type change on a Running instance (it must be Stopped for it and Running
 * again at the end). ModifyInstanceSpec itself is instantaneous in the simulator; network time is 0.
 *
 * - Every change after the first waits for the previous one's cooldown: (n−1)·C.
 * - The type change needs a stop before and a start after. Stop/start are not blocked by the
 *   cooldown, so a stop that follows another change can run inside that change's cooldown (only
 *   max(0, S−C) of it is exposed), and a start that is followed by another change runs inside the
 *   type change's cooldown (only max(0, T−C) exposed). The type goes at the position p that
 *   exposes the least; p = 0 exposes all of S, p = n−1 all of T.
 * - Downtime: stop + start (S + T); nothing can overlap it, since the type change needs Stopped.
 */
function minimum(n: number, typeOnRunning: boolean, t: SimTiming): Minimum {
  const { C, S, T } = t;
  if (n === 0) return { wall: 0, downtime: 0, wallFormula: "0 (nothing to change)", downtimeFormula: "0" };
  if (!typeOnRunning) {
    return {
      wall: (n - 1) * C,
      downtime: 0,
      wallFormula: n === 1 ? "0 (one instantaneous call)" : `(n−1)·C = ${n - 1}·${C}`,
      downtimeFormula: "0 (no stop needed)",
    };
  }
  let best = Infinity;
  for (let p = 0; p < n; p++) {
    const stopExposed = p > 0 ? Math.max(0, S - C) : S;
    const startExposed = p < n - 1 ? Math.max(0, T - C) : T;
    best = Math.min(best, (n - 1) * C + stopExposed + startExposed);
  }
  const wallFormula =
    n === 1
      ? `S+T = ${S}+${T}`
      : n === 2
        ? `C + min(S+max(0,T−C), T+max(0,S−C)) = ${C}+${best - C}`
        : `(n−1)·C + max(0,S−C) + max(0,T−C) = ${n - 1}·${C}+${best - (n - 1) * C}`;
  return { wall: best, downtime: S + T, wallFormula, downtimeFormula: `S+T = ${S}+${T}` };
}

/**
 * The least wall time and downtime for a subscription (PrePaid) change, by kind. Orders are
 * asynchronous: a type order settles O after the call, and nothing else can be ordered until then
 * (`LastOrderProcessing`); the interval C (the simulator's `prepayIntervalSeconds`) separates two
 * orders; a bandwidth order applies at once.
 * - `upgrade`: the call while Running, the order settles (O), then the one restart the upgrade
 *   needs (S + T, the ECS reboot). Wall O+S+T; downtime S+T: no order of steps avoids the restart.
 * - `downgrade`: needs Stopped: stop (S), the call, the order (O: a start before it settles is
 *   refused), start (T). Wall and downtime S+O+T.
 * - `bandwidth`: one order, applied at once: 0 and 0.
 * - `upgrade+bandwidth`: the bandwidth order waits for the interval and for the upgrade's order and
 *   restart (the instance must be Running or Stopped): wall max(C, O+S+T) with the upgrade first
 *   (bandwidth first would be C+O+S+T); downtime S+T.
 */
function subscriptionMinimum(kind: "upgrade" | "downgrade" | "bandwidth" | "upgrade+bandwidth", t: SimTiming): Minimum {
  const { C, S, T, O } = t;
  switch (kind) {
    case "upgrade":
      return { wall: O + S + T, downtime: S + T, wallFormula: `O+S+T = ${O}+${S}+${T}`, downtimeFormula: `S+T = ${S}+${T} (the ECS restart)` };
    case "downgrade":
      return { wall: S + O + T, downtime: S + O + T, wallFormula: `S+O+T = ${S}+${O}+${T}`, downtimeFormula: `S+O+T = ${S}+${O}+${T}` };
    case "bandwidth":
      return { wall: 0, downtime: 0, wallFormula: "0 (one order, applied at once)", downtimeFormula: "0 (no restart)" };
    case "upgrade+bandwidth":
      return {
        wall: Math.max(C, O + S + T),
        downtime: S + T,
        wallFormula: `max(C, O+S+T) = max(${C}, ${O + S + T})`,
        downtimeFormula: `S+T = ${S}+${T} (the ECS restart)`,
      };
  }
}

/** A scenario's minimum: its own (subscription scenarios), else the ModifyInstanceSpec one. */
function minimumOf(sc: Scenario, t: SimTiming): Minimum {
  return sc.subscription ? subscriptionMinimum(sc.subscription, t) : minimum(sc.items, sc.typeOnRunning, t);
}

// ------------------------------------------------------------------------------------ scenarios

/** Temporary window starting in an hour, whole seconds (it never becomes active during the run). */
function futureWindow(out: number) {
  const start = Math.ceil(Date.now() / 1000) * 1000 + 3600_000;
  const s = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
  return { startTime: s(start), endTime: s(start + 3600_000), internetMaxBandwidthOut: out };
}

interface Expected {
  readonly status: "Running" | "Stopped";
  /** The type DescribeInstances shows at the end. */
  readonly instanceType: string;
  /** A type accepted while Stopped, shown after the next start. */
  readonly pendingInstanceType?: string;
  readonly out: number;
  readonly in: number;
  /** The temporary window the instance must carry at the end. */
  readonly temporaryOut?: number;
}

interface Prepared {
  /** The desired spec input (regionId, cooldownSeconds and timeoutSeconds are added). */
  readonly desired: Partial<DesiredSpecInput> & { instanceId: string };
  /** Extra apply options (recorded state of an earlier run). */
  readonly options?: Partial<ApplyOptions>;
}

interface Scenario {
  readonly id: number;
  readonly name: string;
  readonly instanceId: string;
  /** Single-item changes the scenario needs (type, bandwidth, temporary window). */
  readonly items: number;
  /** One of the items is a type change on a Running instance. */
  readonly typeOnRunning: boolean;
  readonly faults?: readonly FaultSpec[];
  /** The scenario this one adds something to (its extra cost is reported). */
  readonly baseline?: number;
  /** A re-run: no ModifyInstanceSpec/StopInstance/StartInstance may be sent. */
  readonly readsOnly?: boolean;
  /**
   * A subscription (PrePaid) scenario, by the kind of its physical minimum ({@link subscriptionMinimum}).
   * Only the baselines that can change a subscription instance run it (terraform; the naive script knows only ModifyInstanceSpec).
   */
  readonly subscription?: "upgrade" | "downgrade" | "bandwidth" | "upgrade+bandwidth";
  /** Runs before the measured apply (not measured); returns the desired spec and options. */
  readonly prepare: (ctx: { sim: RunningSimulator; api: EcsApi; run: Runner }) => Promise<Prepared>;
  readonly expected: Expected;
}

type Runner = (desired: Prepared["desired"], options?: Partial<ApplyOptions>) => Promise<ApplyResult>;

const WEB = "i-demo-web-01";
const PREPAID = "i-demo-prepaid-01";
const BATCH = "i-demo-batch-01";
const WEB_BEFORE = { instanceType: "ecs.g6.large", out: 5, in: 100 };
const FULL = (w: ReturnType<typeof futureWindow>) => ({
  instanceId: WEB,
  instanceType: "ecs.g6.xlarge",
  internetMaxBandwidthOut: 20,
  temporaryBandwidth: w,
});

const SCENARIOS: readonly Scenario[] = [
  {
    id: 1,
    name: "bandwidth out (running)",
    instanceId: WEB,
    items: 1,
    typeOnRunning: false,
    prepare: async () => ({ desired: { instanceId: WEB, internetMaxBandwidthOut: 20 } }),
    expected: { status: "Running", instanceType: WEB_BEFORE.instanceType, out: 20, in: WEB_BEFORE.in },
  },
  {
    id: 2,
    name: "bandwidth out+in (running)",
    instanceId: WEB,
    items: 1,
    typeOnRunning: false,
    prepare: async () => ({ desired: { instanceId: WEB, internetMaxBandwidthOut: 20, internetMaxBandwidthIn: 150 } }),
    expected: { status: "Running", instanceType: WEB_BEFORE.instanceType, out: 20, in: 150 },
  },
  {
    id: 3,
    name: "type (running)",
    instanceId: WEB,
    items: 1,
    typeOnRunning: true,
    prepare: async () => ({ desired: { instanceId: WEB, instanceType: "ecs.g6.xlarge" } }),
    expected: { status: "Running", instanceType: "ecs.g6.xlarge", out: WEB_BEFORE.out, in: WEB_BEFORE.in },
  },
  {
    id: 4,
    name: "type + bandwidth (running)",
    instanceId: WEB,
    items: 2,
    typeOnRunning: true,
    prepare: async () => ({ desired: { instanceId: WEB, instanceType: "ecs.g6.xlarge", internetMaxBandwidthOut: 20 } }),
    expected: { status: "Running", instanceType: "ecs.g6.xlarge", out: 20, in: WEB_BEFORE.in },
  },
  {
    id: 5,
    name: "type + bw + temp window (running)",
    instanceId: WEB,
    items: 3,
    typeOnRunning: true,
    prepare: async () => ({ desired: FULL(futureWindow(50)) }),
    expected: { status: "Running", instanceType: "ecs.g6.xlarge", out: 20, in: WEB_BEFORE.in, temporaryOut: 50 },
  },
  {
    id: 6,
    name: "type (stopped, stays stopped)",
    instanceId: BATCH,
    items: 1,
    typeOnRunning: false,
    prepare: async () => ({ desired: { instanceId: BATCH, instanceType: "ecs.g6.2xlarge" } }),
    expected: { status: "Stopped", instanceType: "ecs.g6.xlarge", pendingInstanceType: "ecs.g6.2xlarge", out: 0, in: 10 },
  },
  {
    id: 7,
    name: "as 4 + InternalError + Throttling.User",
    instanceId: WEB,
    baseline: 4,
    items: 2,
    typeOnRunning: true,
    faults: [
      { action: "ModifyInstanceSpec", kind: "error", code: "InternalError" },
      { action: "ModifyInstanceSpec", kind: "error", code: "Throttling.User" },
    ],
    prepare: async () => ({ desired: { instanceId: WEB, instanceType: "ecs.g6.xlarge", internetMaxBandwidthOut: 20 } }),
    expected: { status: "Running", instanceType: "ecs.g6.xlarge", out: 20, in: WEB_BEFORE.in },
  },
  {
    id: 8,
    name: "re-run of 5 after completion (no-op)",
    instanceId: WEB,
    items: 0,
    typeOnRunning: false,
    readsOnly: true,
    // Scenario 5 runs first (not measured); the re-run gets what the provider records in its state.
    prepare: async ({ run }) => {
      const desired = FULL(futureWindow(50));
      const r = await run(desired);
      return {
        desired,
        options: {
          ...(r.lastChangeAt ? { lastChangeAt: r.lastChangeAt } : {}),
          ...(r.appliedTemporaryBandwidth ? { appliedTemporaryBandwidth: r.appliedTemporaryBandwidth } : {}),
          ...(r.pendingInstanceType ? { pendingInstanceType: r.pendingInstanceType } : {}),
        },
      };
    },
    expected: { status: "Running", instanceType: "ecs.g6.xlarge", out: 20, in: WEB_BEFORE.in, temporaryOut: 50 },
  },
  {
    id: 9,
    name: "subscription: type upgrade (running)",
    instanceId: PREPAID,
    items: 1,
    typeOnRunning: true,
    subscription: "upgrade",
    prepare: async () => ({ desired: { instanceId: PREPAID, instanceType: "ecs.g6.xlarge", autoPay: true } }),
    expected: { status: "Running", instanceType: "ecs.g6.xlarge", out: 5, in: 100 },
  },
  {
    id: 10,
    name: "subscription: type downgrade (running)",
    instanceId: PREPAID,
    items: 1,
    typeOnRunning: true,
    subscription: "downgrade",
    prepare: async () => ({ desired: { instanceId: PREPAID, instanceType: "ecs.c6.large" } }),
    expected: { status: "Running", instanceType: "ecs.c6.large", out: 5, in: 100 },
  },
  {
    id: 11,
    name: "subscription: bandwidth out (running)",
    instanceId: PREPAID,
    items: 1,
    typeOnRunning: false,
    subscription: "bandwidth",
    prepare: async () => ({ desired: { instanceId: PREPAID, internetMaxBandwidthOut: 20, autoPay: true } }),
    expected: { status: "Running", instanceType: "ecs.g6.large", out: 20, in: 100 },
  },
  {
    id: 12,
    name: "subscription: type upgrade + bandwidth (running)",
    instanceId: PREPAID,
    items: 2,
    typeOnRunning: true,
    subscription: "upgrade+bandwidth",
    prepare: async () => ({ desired: { instanceId: PREPAID, instanceType: "ecs.g6.xlarge", internetMaxBandwidthOut: 20, autoPay: true } }),
    expected: { status: "Running", instanceType: "ecs.g6.xlarge", out: 20, in: 100 },
  },
];

// -------------------------------------------------------------------------------- measurement

/** The baselines' status poll: a fixed grid, as the tools users have today poll. */
const BASELINE_POLL_SECONDS = 2;

const CHANGE_ACTIONS = new Set(["ModifyInstanceSpec", "ModifyPrepayInstanceSpec", "ModifyInstanceNetworkSpec", "StopInstance", "StartInstance", "RebootInstance"]);
/** The calls that make one change (one item) each. */
const MODIFY_ACTIONS = new Set(["ModifyInstanceSpec", "ModifyPrepayInstanceSpec", "ModifyInstanceNetworkSpec"]);
/**
 * The check of a subscription downgrade before its stop: the step's own call while the instance
 * runs, refused for the status alone (provider/executor/preflight.ts). Like a DryRun it changes
 * nothing: it counts with the reads, and is no refusal.
 */
const isDowngradeCheck = (c: CallLogEntry) => c.action === "ModifyPrepayInstanceSpec" && c.code === "InvalidStatus.NotStopped";
/** A call that changes the instance. A DryRun changes nothing: it counts with the reads. */
const isChange = (c: CallLogEntry) => CHANGE_ACTIONS.has(c.action) && c.params.DryRun !== "true" && !isDowngradeCheck(c);
/** An error answer that was not injected; a DryRun that passed answers `DryRunOperation`, which is no refusal. */
const isRefused = (c: CallLogEntry) => c.httpStatus !== 200 && !c.fault && c.code !== "DryRunOperation" && !isDowngradeCheck(c);
const SAMPLE_MS = 20;

interface Sample {
  readonly t: number;
  readonly status: string;
  readonly transitionAtMs?: number;
}

/**
 * Samples the instance's status from the simulator's state (in process, no API call, so the call
 * log stays the engine's alone) every SAMPLE_MS.
 */
function startSampler(sim: RunningSimulator, id: string): { stop: () => Sample[] } {
  const samples: Sample[] = [];
  const take = () => {
    const inst = sim.getState().instances.find((i) => i.instanceId === id);
    if (!inst) return;
    samples.push({ t: Date.now(), status: inst.status, ...(inst.transition ? { transitionAtMs: inst.transition.atMs } : {}) });
  };
  take();
  const timer = setInterval(take, SAMPLE_MS);
  return {
    stop: () => {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

interface DowntimeMeasure {
  /** Σ of intervals with a non-Running status; edges exact (see README). Seconds. */
  readonly seconds: number;
  /** Σ of sample intervals with a non-Running status (±SAMPLE_MS per edge). Seconds. */
  readonly sampledSeconds: number;
  /** Σ of (StartInstance call + T) − StopInstance call, from the call log alone. Seconds. */
  readonly logSeconds: number;
  /** StopInstance call until the engine's first DescribeInstances answer that showed Running. Seconds. */
  readonly engineObservedSeconds: number;
  /** Time in status Stopped (the part the engine can shorten: poll lag, waits, retries). Seconds. */
  readonly stoppedIdleSeconds: number;
}

function measureDowntime(samples: readonly Sample[], calls: readonly CallLogEntry[], t: SimTiming, wasRunning: boolean): DowntimeMeasure {
  const zero = { seconds: 0, sampledSeconds: 0, logSeconds: 0, engineObservedSeconds: 0, stoppedIdleSeconds: 0 };
  if (!wasRunning) return zero;
  const ok = calls.filter((c) => c.httpStatus === 200);
  const stops = ok.filter((c) => c.action === "StopInstance");
  const starts = ok.filter((c) => c.action === "StartInstance");

  // Sampled: every sample interval that starts in a non-Running status counts.
  let sampled = 0;
  let stoppedIdle = 0;
  for (let i = 0; i + 1 < samples.length; i++) {
    const dt = samples[i + 1]!.t - samples[i]!.t;
    if (samples[i]!.status !== "Running") sampled += dt;
    if (samples[i]!.status === "Stopped") stoppedIdle += dt;
  }

  // Exact edges: each down interval starts at the StopInstance call that caused it (the simulator
  // turns the instance Stopping at that instant) and ends at the Starting → Running transition time
  // the simulator itself scheduled (read from a sample taken while Starting).
  let exact = 0;
  let downSince: number | undefined;
  let runningAt: number | undefined;
  for (const s of samples) {
    if (s.status !== "Running" && downSince === undefined) {
      // Stopping → Stopped is scheduled at (the instant of the stop) + S: that instant exactly.
      const stop = [...stops].reverse().find((c) => c.atMs <= s.t);
      downSince =
        s.status === "Stopping" && s.transitionAtMs !== undefined ? s.transitionAtMs - t.S * 1000 : stop ? stop.atMs : s.t;
    }
    if (s.status === "Starting" && s.transitionAtMs !== undefined) runningAt = s.transitionAtMs;
    if (s.status === "Running" && downSince !== undefined) {
      exact += (runningAt ?? s.t) - downSince;
      downSince = undefined;
      runningAt = undefined;
    }
  }
  if (downSince !== undefined) exact += samples.at(-1)!.t - downSince; // still down at the end (a failure)

  // From the call log alone: pair each stop with the next start.
  let log = 0;
  for (const stop of stops) {
    const start = starts.find((c) => c.atMs >= stop.atMs);
    log += start ? start.atMs + t.T * 1000 - stop.atMs : 0;
  }

  // What the engine saw: StopInstance until the first DescribeInstances answer showing Running.
  let observed = 0;
  for (const stop of stops) {
    const seen = ok.find((c) => c.action === "DescribeInstances" && c.atMs > stop.atMs && statusIn(c) === "Running");
    if (seen) observed += seen.atMs - stop.atMs;
  }
  return { seconds: exact / 1000, sampledSeconds: sampled / 1000, logSeconds: log / 1000, engineObservedSeconds: observed / 1000, stoppedIdleSeconds: stoppedIdle / 1000 };
}

function statusIn(c: CallLogEntry): string | undefined {
  const r = c.response as { Instances?: { Instance?: { Status?: string }[] } } | null;
  return r?.Instances?.Instance?.[0]?.Status;
}

/** A one-word label for a change call, e.g. `type ecs.g6.xlarge`, `bw 20/-`, `temp 50`. */
function label(c: CallLogEntry): string {
  if (c.action === "ModifyPrepayInstanceSpec") return `prepay ${c.params.InstanceType}`;
  if (c.action === "ModifyInstanceNetworkSpec") {
    return c.params.StartTime ? `net temp ${c.params.InternetMaxBandwidthOut}` : `net ${c.params.InternetMaxBandwidthOut ?? "-"}/${c.params.InternetMaxBandwidthIn ?? "-"}`;
  }
  if (c.action !== "ModifyInstanceSpec") return c.action.replace("Instance", "");
  if (c.params.InstanceType) return `type ${c.params.InstanceType}`;
  if (c.params["Temporary.StartTime"]) return `temp ${c.params["Temporary.InternetMaxBandwidthOut"]}`;
  return `bw ${c.params.InternetMaxBandwidthOut ?? "-"}/${c.params.InternetMaxBandwidthIn ?? "-"}`;
}

interface ScenarioResult {
  readonly id: number;
  readonly name: string;
  readonly instanceId: string;
  readonly ok: boolean;
  readonly failures: string[];
  readonly warnings: string[];
  readonly items: number;
  readonly wallSeconds: number;
  readonly minimum: Minimum;
  readonly wallRatio: number | null;
  readonly wallExcessSeconds: number;
  readonly downtime: DowntimeMeasure;
  readonly downtimeRatio: number | null;
  readonly downtimeExcessSeconds: number;
  readonly calls: {
    readonly total: number;
    readonly change: number;
    readonly read: number;
    readonly byAction: Record<string, number>;
    readonly perItem: { total: number; change: number; read: number } | null;
    /** Refused by the API, not injected: must be 0. */
    readonly refused: number;
    /** Answered by an injected fault. */
    readonly injected: number;
    readonly refusedCodes: string[];
    readonly injectedCodes: string[];
  };
  /** The change calls in order, with their time from the start of apply. */
  readonly timeline: { atSeconds: number; call: string; code?: string }[];
  /** Gaps between consecutive successful ModifyInstanceSpec calls, s (≥ C by the rules). */
  readonly modifyGapsSeconds: number[];
  /** The engine's first plan and its own estimates. */
  readonly plan: { lines: string[]; expectedDurationSeconds?: number; expectedDowntimeSeconds?: number };
  readonly retries: number;
  readonly error?: string;
  /** The engine and the baselines on this scenario, engine first. */
  readonly strategies?: StrategyResult[];
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

const simTiming = (flags: Flags): SimTiming => ({ C: flags.cooldown, S: flags.stop, T: flags.start, O: flags.order });

/** A fresh simulator (demo state) with the bench's compressed timing. */
function startBenchSimulator(t: SimTiming): Promise<RunningSimulator> {
  return startSimulator({
    port: 0,
    quiet: true,
    timing: { cooldownSeconds: t.C, stopSeconds: t.S, startSeconds: t.T, tokenProcessingSeconds: 0, prepayIntervalSeconds: t.C, prepayApplySeconds: t.O },
  });
}

/**
 * The engine's client and runner against `sim`, with the bench's timing flags: what the measured
 * engine run uses, and what every strategy's preparation uses (so all start from the same state).
 */
function engineSession(sim: RunningSimulator, sc: Scenario, flags: Flags, t: SimTiming, onRetry: () => void): { api: EcsApi; run: Runner } {
  const api = createEcsClient({
    regionId: sim.regionId,
    endpoint: sim.url,
    credentials: { accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret },
  });
  const timing: Partial<ApplyTiming> = {
    ...(flags.estimates === "sim" ? { stopSeconds: t.S, startSeconds: t.T, modifySeconds: 0, orderSeconds: t.O } : {}),
    ...(flags.poll !== undefined ? { pollSeconds: flags.poll } : {}),
    ...(flags.margin !== undefined ? { cooldownMarginSeconds: flags.margin } : {}),
  };
  const toDesired = (d: Prepared["desired"]): DesiredSpec => {
    const r = parseDesiredSpec({ regionId: sim.regionId, cooldownSeconds: t.C, timeoutSeconds: 900, ...d });
    if (!r.ok) throw new Error(`bad desired spec: ${JSON.stringify(r.failures)}`);
    return r.value;
  };
  const run: Runner = (d, o = {}) =>
    apply({
      api,
      desired: toDesired(d),
      timing,
      onProgress: (e) => {
        if (e.type === "retrying") onRetry();
        if (flags.verbose) process.stderr.write(`    [${sc.id}] ${e.message.split("\n").join("\n    ")}\n`);
      },
      ...o,
    });
  return { api, run };
}

/** What one measured run leaves for the timeline. */
interface Trace {
  readonly startMs: number;
  readonly endMs: number;
  readonly samples: readonly Sample[];
  readonly calls: readonly CallLogEntry[];
}

async function runScenario(sc: Scenario, flags: Flags): Promise<{ result: ScenarioResult; trace: Trace }> {
  const t = simTiming(flags);
  const sim = await startBenchSimulator(t);
  const failures: string[] = [];
  const warnings: string[] = [];
  let retries = 0;
  try {
    const { api, run } = engineSession(sim, sc, flags, t, () => retries++);

    const prepared = await sc.prepare({ sim, api, run });
    retries = 0;
    const before = sim.getState().instances.find((i) => i.instanceId === sc.instanceId)!;
    const wasRunning = before.status === "Running";
    sim.clearCalls();
    for (const f of sc.faults ?? []) sim.addFault(f);

    const sampler = startSampler(sim, sc.instanceId);
    const t0 = Date.now();
    let result: ApplyResult | undefined;
    let error: string | undefined;
    try {
      result = await run(prepared.desired, prepared.options);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
      failures.push(`apply failed: ${error.split("\n")[0]}`);
    }
    const t1 = Date.now();
    const samples = sampler.stop();
    const calls = sim.calls().filter((c) => c.atMs >= t0 - 1);

    // End state, from the simulator's own state (not from what the engine believes).
    const after = sim.getState().instances.find((i) => i.instanceId === sc.instanceId)!;
    checkEndState(sc.expected, after, failures);
    if (!wasRunning && samples.some((s) => s.status !== before.status)) {
      failures.push(`the instance was ${before.status} and did not stay so (saw ${[...new Set(samples.map((s) => s.status))].join(", ")})`);
    }
    const changeCalls = calls.filter(isChange);
    if (sc.readsOnly && changeCalls.length > 0) {
      failures.push(`a re-run must only read, but sent ${changeCalls.map(label).join(", ")}`);
    }
    const okModifies = calls.filter((c) => MODIFY_ACTIONS.has(c.action) && c.httpStatus === 200);
    if (!sc.readsOnly && okModifies.length !== sc.items) {
      warnings.push(`${okModifies.length} successful change calls (Modify*) for ${sc.items} item(s)`);
    }

    const refused = calls.filter(isRefused);
    const injected = calls.filter((c) => c.fault !== undefined);
    if (refused.length > 0) warnings.push(`refused calls: ${refused.map((c) => `${c.action} ${c.code ?? c.httpStatus}`).join(", ")}`);
    if (sc.faults && injected.length !== sc.faults.length) {
      warnings.push(`${injected.length} injected faults hit, ${sc.faults.length} expected`);
    }

    const byAction: Record<string, number> = {};
    for (const c of calls) byAction[c.action] = (byAction[c.action] ?? 0) + 1;
    const change = changeCalls.length;
    const read = calls.length - change;
    const min = minimumOf(sc, t);
    const wall = (t1 - t0) / 1000;
    const down = measureDowntime(samples, calls, t, wasRunning);
    const modTimes = okModifies.map((c) => c.atMs);
    const trace: Trace = { startMs: t0, endMs: t1, samples, calls };
    const scenarioResult: ScenarioResult = {
      id: sc.id,
      name: sc.name,
      instanceId: sc.instanceId,
      ok: failures.length === 0,
      failures,
      warnings,
      items: sc.items,
      wallSeconds: round(wall, 3),
      minimum: min,
      wallRatio: min.wall > 0 ? round(wall / min.wall, 3) : null,
      wallExcessSeconds: round(wall - min.wall, 3),
      downtime: {
        seconds: round(down.seconds, 3),
        sampledSeconds: round(down.sampledSeconds, 3),
        logSeconds: round(down.logSeconds, 3),
        engineObservedSeconds: round(down.engineObservedSeconds, 3),
        stoppedIdleSeconds: round(down.stoppedIdleSeconds, 3),
      },
      downtimeRatio: min.downtime > 0 ? round(down.seconds / min.downtime, 3) : null,
      downtimeExcessSeconds: round(down.seconds - min.downtime, 3),
      calls: {
        total: calls.length,
        change,
        read,
        byAction,
        perItem: sc.items > 0 ? { total: round(calls.length / sc.items), change: round(change / sc.items), read: round(read / sc.items) } : null,
        refused: refused.length,
        injected: injected.length,
        refusedCodes: refused.map((c) => `${c.action} ${c.code ?? c.httpStatus}`),
        injectedCodes: injected.map((c) => `${c.action} ${c.code ?? c.fault}`),
      },
      timeline: calls
        .filter(isChange)
        .map((c) => ({ atSeconds: round((c.atMs - t0) / 1000, 3), call: label(c), ...(c.code ? { code: c.code } : {}) })),
      modifyGapsSeconds: modTimes.slice(1).map((m, i) => round((m - modTimes[i]!) / 1000, 3)),
      plan: result
        ? {
            lines: describePlan(result.plan),
            ...(result.plan.kind === "ok"
              ? { expectedDurationSeconds: result.plan.expectedDurationSeconds, expectedDowntimeSeconds: result.plan.expectedDowntimeSeconds }
              : {}),
          }
        : { lines: [] },
      retries,
      ...(error ? { error } : {}),
    };
    return { result: scenarioResult, trace };
  } finally {
    await sim.close();
  }
}

function checkEndState(x: Expected, inst: SimInstance, failures: string[]): void {
  const want = (what: string, got: unknown, exp: unknown) => {
    if (got !== exp) failures.push(`end state: ${what} is ${String(got)}, expected ${String(exp)}`);
  };
  want("status", inst.status, x.status);
  want("instanceType", inst.instanceType, x.instanceType);
  want("pendingInstanceType", inst.pendingInstanceType ?? undefined, x.pendingInstanceType);
  want("internetMaxBandwidthOut", inst.internetMaxBandwidthOut, x.out);
  want("internetMaxBandwidthIn", inst.internetMaxBandwidthIn, x.in);
  want("temporary window out", inst.temporaryBandwidth?.internetMaxBandwidthOut, x.temporaryOut);
}

// ---------------------------------------------------------------------- the strategies side by side

/** One strategy's run of a scenario, for the side-by-side table, the timeline and results.json. */
interface StrategyResult {
  /** `engine`, or a baseline's name. */
  readonly strategy: string;
  /** engine: `OK`, `OK*` or `FAIL` as in the first table; a baseline: `OK`, `gave up` or `wrong state`. */
  readonly result: string;
  readonly wallSeconds: number;
  readonly wallRatio: number | null;
  readonly downtimeSeconds: number;
  readonly downtimeRatio: number | null;
  /** The instance was Running at the start and is not at the end: the downtime is a lower bound. */
  readonly leftDown: boolean;
  readonly calls: {
    readonly total: number;
    readonly change: number;
    readonly read: number;
    /** Error answers that were not injected faults (`Throttling`, `IncorrectInstanceStatus`, …). */
    readonly refused: number;
    readonly injected: number;
    /** `action code` → how many. */
    readonly refusedCodes: Record<string, number>;
  };
  /** The change calls, seconds from the start of the run, with the error code of those refused. */
  readonly changeCalls: { atSeconds: number; call: string; code?: string }[];
  /** Why it gave up, what is wrong at the end, anything else worth a line. */
  readonly notes: string[];
}

function callCounts(calls: readonly CallLogEntry[]): StrategyResult["calls"] {
  const change = calls.filter(isChange).length;
  const refused = calls.filter(isRefused);
  const refusedCodes: Record<string, number> = {};
  for (const c of refused) {
    const key = `${c.action} ${c.code ?? c.httpStatus}`;
    refusedCodes[key] = (refusedCodes[key] ?? 0) + 1;
  }
  const injected = calls.filter((c) => c.fault !== undefined).length;
  return { total: calls.length, change, read: calls.length - change, refused: refused.length, injected, refusedCodes };
}

const changeCallsOf = (calls: readonly CallLogEntry[], t0: number): StrategyResult["changeCalls"] =>
  calls
    .filter(isChange)
    .map((c) => ({ atSeconds: round((c.atMs - t0) / 1000, 3), call: label(c), ...(c.code ? { code: c.code } : {}) }));

/** The instance was Running before the run (the sampler's first sample) and is not at its end. */
const leftDown = (trace: Trace) => trace.samples[0]?.status === "Running" && trace.samples.at(-1)?.status !== "Running";

const EMPTY_TRACE: Trace = { startMs: 0, endMs: 0, samples: [], calls: [] };

/** The engine's row, from its scenario result. */
function engineRow(r: ScenarioResult, trace: Trace): StrategyResult {
  return {
    strategy: "engine",
    result: r.ok ? (r.warnings.length ? "OK*" : "OK") : "FAIL",
    wallSeconds: r.wallSeconds,
    wallRatio: r.wallRatio,
    downtimeSeconds: r.downtime.seconds,
    downtimeRatio: r.downtimeRatio,
    leftDown: leftDown(trace),
    calls: callCounts(trace.calls),
    changeCalls: r.timeline,
    notes: [...r.failures, ...r.warnings],
  };
}

const targetOf = (d: Prepared["desired"]): BaselineTarget => ({
  instanceId: d.instanceId,
  ...(d.instanceType !== undefined ? { instanceType: d.instanceType } : {}),
  ...(d.internetMaxBandwidthOut !== undefined ? { internetMaxBandwidthOut: d.internetMaxBandwidthOut } : {}),
  ...(d.internetMaxBandwidthIn !== undefined ? { internetMaxBandwidthIn: d.internetMaxBandwidthIn } : {}),
  ...(d.temporaryBandwidth !== undefined ? { temporaryBandwidth: d.temporaryBandwidth } : {}),
});

/**
 * One baseline on one scenario: a fresh simulator, the scenario's preparation (by the engine, not
 * measured, so every strategy starts from the same state), the same faults, sampler and measures.
 */
async function runBaseline(sc: Scenario, flags: Flags, baseline: Baseline): Promise<{ row: StrategyResult; trace: Trace }> {
  const t = simTiming(flags);
  const sim = await startBenchSimulator(t);
  try {
    const { api, run } = engineSession(sim, sc, flags, t, () => {});
    const prepared = await sc.prepare({ sim, api, run });
    const instance = () => sim.getState().instances.find((i) => i.instanceId === sc.instanceId)!;
    const before = instance();
    const wasRunning = before.status === "Running";
    sim.clearCalls();
    for (const f of sc.faults ?? []) sim.addFault(f);

    const sampler = startSampler(sim, sc.instanceId);
    const t0 = Date.now();
    const outcome = await baseline.run({
      sim: { url: sim.url, regionId: sim.regionId, accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret },
      target: targetOf(prepared.desired),
      scale: t.C / 300,
      pollSeconds: BASELINE_POLL_SECONDS,
      statusTimeoutSeconds: 900,
      ...(prepared.options?.appliedTemporaryBandwidth ? { recordedTemporaryBandwidth: prepared.options.appliedTemporaryBandwidth } : {}),
    });
    const t1 = Date.now();
    const samples = sampler.stop();
    const calls = sim.calls().filter((c) => c.atMs >= t0 - 1);
    const trace: Trace = { startMs: t0, endMs: t1, samples, calls };

    const endFailures: string[] = [];
    checkEndState(sc.expected, instance(), endFailures);
    if (!wasRunning && samples.some((x) => x.status !== before.status)) {
      endFailures.push(`the instance was ${before.status} and did not stay so`);
    }
    const counts = callCounts(calls);
    const notes = [...(outcome.error ? [`gave up on ${outcome.error}`] : []), ...endFailures];
    if (sc.readsOnly && counts.change > 0) notes.push(`a re-run of a finished change, yet it sent ${counts.change} change call(s)`);
    const min = minimumOf(sc, t);
    const wall = (t1 - t0) / 1000;
    const down = measureDowntime(samples, calls, t, wasRunning).seconds;
    const row: StrategyResult = {
      strategy: baseline.name,
      result: !outcome.completed ? "gave up" : endFailures.length > 0 ? "wrong state" : "OK",
      wallSeconds: round(wall, 3),
      wallRatio: min.wall > 0 ? round(wall / min.wall, 3) : null,
      downtimeSeconds: round(down, 3),
      downtimeRatio: min.downtime > 0 ? round(down / min.downtime, 3) : null,
      leftDown: leftDown(trace),
      calls: counts,
      changeCalls: changeCallsOf(calls, t0),
      notes,
    };
    return { row, trace };
  } finally {
    await sim.close();
  }
}

/** A row for a strategy whose harness failed before measuring anything. */
function harnessFailureRow(strategy: string, e: unknown): StrategyResult {
  const msg = e instanceof Error ? e.message : String(e);
  return {
    strategy, result: "FAIL", wallSeconds: 0, wallRatio: null, downtimeSeconds: 0, downtimeRatio: null, leftDown: false,
    calls: callCounts([]), changeCalls: [], notes: [`harness: ${msg.split("\n")[0]}`],
  };
}

const finished = (row: StrategyResult) => row.result === "OK" || row.result === "OK*";

function timelineLane(row: StrategyResult, trace: Trace): TimelineLane {
  const f = (x: number) => x.toFixed(2);
  const left = row.leftDown ? `; left ${trace.samples.at(-1)?.status ?? "down"}` : "";
  const problem = finished(row) ? undefined : `${row.result === "gave up" ? "" : row.result + ": "}${row.notes[0] ?? ""}${left}`;
  return {
    name: row.strategy,
    summary: [
      `wall ${f(row.wallSeconds)} s · down ${row.leftDown ? "≥ " : ""}${f(row.downtimeSeconds)} s`,
      `${row.calls.total} calls · ${row.calls.refused} refused`,
    ],
    startMs: trace.startMs,
    endMs: trace.endMs,
    samples: trace.samples,
    calls: trace.calls,
    ...(problem ? { problem: problem.length > 90 ? problem.slice(0, 89) + "…" : problem } : {}),
    ...(row.leftDown ? { leftDown: true } : {}),
  };
}

// -------------------------------------------------------------------------------------- output

function table(results: readonly ScenarioResult[]): string {
  const f = (x: number, d = 2) => x.toFixed(d);
  const ratio = (r: number | null) => (r === null ? "—" : `${r.toFixed(2)}x`);
  const header = ["#", "scenario", "result", "wall s", "min s", "wall/min", "+s", "down s", "min s", "down/min", "+s", "calls chg+rd", "per item chg+rd", "refused", "injected"];
  const rows = results.map((r) => [
    String(r.id),
    r.name,
    r.ok ? (r.warnings.length ? "OK*" : "OK") : "FAIL",
    f(r.wallSeconds),
    f(r.minimum.wall),
    ratio(r.wallRatio),
    f(r.wallExcessSeconds),
    f(r.downtime.seconds),
    f(r.minimum.downtime),
    ratio(r.downtimeRatio),
    f(r.downtimeExcessSeconds),
    `${r.calls.total} = ${r.calls.change}+${r.calls.read}`,
    r.calls.perItem ? `${f(r.calls.perItem.total, 1)} = ${f(r.calls.perItem.change, 1)}+${f(r.calls.perItem.read, 1)}` : "— (0 items)",
    String(r.calls.refused),
    String(r.calls.injected),
  ]);
  return markdownTable(header, rows, new Set([1]));
}

/** A Markdown table padded for the terminal; columns in `leftAligned` are left-aligned, the rest right-aligned. */
function markdownTable(header: readonly string[], rows: readonly string[][], leftAligned: ReadonlySet<number>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const left = (i: number) => leftAligned.has(i);
  const line = (cells: readonly string[]) => "| " + cells.map((c, i) => (left(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ") + " |";
  const rule = "|" + widths.map((w, i) => (left(i) ? ":" : "-") + "-".repeat(w) + (left(i) ? "-" : ":")).join("|") + "|";
  return [line(header), rule, ...rows.map(line)].join("\n");
}

/**
 * Every strategy on every scenario, side by side: wall time and downtime, each as a ratio to the
 * physical minimum and to the engine, calls and refused calls.
 */
function strategyTable(results: readonly ScenarioResult[]): string {
  const f = (x: number) => x.toFixed(2);
  const ratio = (r: number | null) => (r === null ? "—" : `${r.toFixed(2)}x`);
  // Ratios to sub-second engine figures would only measure noise; so would ratios to a failed engine run.
  const vsEngine = (x: number, engine: StrategyResult | undefined, pick: (r: StrategyResult) => number) =>
    engine && finished(engine) && pick(engine) >= 0.5 ? `${(x / pick(engine)).toFixed(2)}x` : "—";
  const header = ["#", "scenario", "strategy", "result", "wall s", "wall/min", "wall/eng", "down s", "down/min", "down/eng", "calls chg+rd", "refused"];
  const rows: string[][] = [];
  for (const r of results) {
    const engine = r.strategies?.find((x) => x.strategy === "engine");
    (r.strategies ?? []).forEach((x, i) => {
      // The ratios of a run that did not finish would compare an unfinished job with a finished one.
      const ok = finished(x);
      rows.push([
        i === 0 ? String(r.id) : "",
        i === 0 ? r.name : "",
        x.strategy,
        x.result,
        f(x.wallSeconds),
        ok ? ratio(x.wallRatio) : "—",
        ok ? vsEngine(x.wallSeconds, engine, (e) => e.wallSeconds) : "—",
        `${x.leftDown ? "≥ " : ""}${f(x.downtimeSeconds)}`,
        ok ? ratio(x.downtimeRatio) : "—",
        ok ? vsEngine(x.downtimeSeconds, engine, (e) => e.downtimeSeconds) : "—",
        `${x.calls.total} = ${x.calls.change}+${x.calls.read}`,
        String(x.calls.refused),
      ]);
    });
  }
  return markdownTable(header, rows, new Set([1, 2, 3]));
}

/** Consecutive identical change calls folded, e.g. `4.01–7.95s bw 20/- (Throttling) ×17`. */
function foldedCalls(calls: StrategyResult["changeCalls"]): string {
  const out: string[] = [];
  for (let i = 0; i < calls.length; ) {
    let j = i;
    while (j + 1 < calls.length && calls[j + 1]!.call === calls[i]!.call && calls[j + 1]!.code === calls[i]!.code) j++;
    const c = calls[i]!;
    const what = `${c.call}${c.code ? ` (${c.code})` : ""}`;
    out.push(j > i ? `${c.atSeconds.toFixed(2)}–${calls[j]!.atSeconds.toFixed(2)}s ${what} ×${j - i + 1}` : `${c.atSeconds.toFixed(2)}s ${what}`);
    i = j + 1;
  }
  return out.join(", ") || "none";
}

function strategyDetails(results: readonly ScenarioResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    const baselines = (r.strategies ?? []).filter((x) => x.strategy !== "engine");
    if (baselines.length === 0) continue;
    out.push(`${r.id}. ${r.name}`);
    for (const x of baselines) {
      out.push(`   ${x.strategy}: ${foldedCalls(x.changeCalls)}`);
      const refused = Object.entries(x.calls.refusedCodes).map(([k, n]) => `${k} ×${n}`);
      if (refused.length) out.push(`      refused: ${refused.join(", ")}`);
      for (const n of x.notes) out.push(`      ${n}`);
    }
  }
  return out.join("\n");
}

function details(results: readonly ScenarioResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    out.push(
      `${r.id}. ${r.name}: min wall ${r.minimum.wallFormula}; min downtime ${r.minimum.downtimeFormula}`,
      `   change calls: ${r.timeline.map((c) => `${c.atSeconds.toFixed(2)}s ${c.call}${c.code ? ` (${c.code})` : ""}`).join(", ") || "none"}`,
    );
    if (r.modifyGapsSeconds.length) out.push(`   gaps between spec changes: ${r.modifyGapsSeconds.map((g) => g.toFixed(2)).join(", ")} s`);
    if (r.downtime.seconds > 0) {
      out.push(
        `   downtime ${r.downtime.seconds.toFixed(2)} s (sampled ${r.downtime.sampledSeconds.toFixed(2)}, from log ${r.downtime.logSeconds.toFixed(2)}, ` +
          `engine saw Running after ${r.downtime.engineObservedSeconds.toFixed(2)}); of it Stopped ${r.downtime.stoppedIdleSeconds.toFixed(2)} s`,
      );
    }
    if (r.retries) out.push(`   retries: ${r.retries}`);
    const base = SCENARIOS.find((s) => s.id === r.id)?.baseline;
    const b = results.find((x) => x.id === base);
    if (b) {
      out.push(
        `   cost over scenario ${b.id}: wall +${(r.wallSeconds - b.wallSeconds).toFixed(2)} s, downtime +${(r.downtime.seconds - b.downtime.seconds).toFixed(2)} s, ` +
          `calls +${r.calls.total - b.calls.total}`,
      );
    }
    for (const w of r.warnings) out.push(`   warning: ${w}`);
    for (const e of r.failures) out.push(`   FAILURE: ${e}`);
  }
  return out.join("\n");
}

// ---------------------------------------------------------------------------------------- main

async function main(): Promise<number> {
  let flags: Flags;
  try {
    flags = parseFlags(process.argv.slice(2));
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const chosen = SCENARIOS.filter((s) => !flags.only || flags.only.includes(s.id));
  const engineTiming = {
    pollSeconds: flags.poll ?? `engine default (${DEFAULT_TIMING.pollSeconds})`,
    cooldownMarginSeconds: flags.margin ?? `engine default (${DEFAULT_TIMING.cooldownMarginSeconds})`,
    estimates:
      flags.estimates === "sim"
        ? `stop ${flags.stop} s, start ${flags.start} s, modify 0 s, order ${flags.order} s (= simulator)`
        : "engine default (45 s, 45 s, 5 s, order 10 s)",
  };
  console.log(
    `pulumi-ecs-spec bench: simulator cooldown ${flags.cooldown} s, stop ${flags.stop} s, start ${flags.start} s, subscription order ${flags.order} s; ` +
      `engine poll ${engineTiming.pollSeconds}, cooldown margin ${engineTiming.cooldownMarginSeconds}, estimates ${engineTiming.estimates}`,
  );
  const startedAt = new Date();
  const results: ScenarioResult[] = [];
  const outDir = dirname(flags.out);
  mkdirSync(outDir, { recursive: true });
  const timelines: string[] = [];
  for (const sc of chosen) {
    process.stderr.write(`  running ${sc.id}/${SCENARIOS.length}: ${sc.name} … `);
    const t0 = Date.now();
    let r: ScenarioResult;
    let trace = EMPTY_TRACE;
    try {
      ({ result: r, trace } = await runScenario(sc, flags));
    } catch (e) {
      // The harness itself failed (e.g. the preparation run): report the scenario as failed.
      const msg = e instanceof Error ? e.message : String(e);
      const min = minimumOf(sc, simTiming(flags));
      r = {
        id: sc.id, name: sc.name, instanceId: sc.instanceId, ok: false, failures: [`harness: ${msg.split("\n")[0]}`], warnings: [],
        items: sc.items, wallSeconds: 0, minimum: min, wallRatio: null, wallExcessSeconds: 0,
        downtime: { seconds: 0, sampledSeconds: 0, logSeconds: 0, engineObservedSeconds: 0, stoppedIdleSeconds: 0 },
        downtimeRatio: null, downtimeExcessSeconds: 0,
        calls: { total: 0, change: 0, read: 0, byAction: {}, perItem: null, refused: 0, injected: 0, refusedCodes: [], injectedCodes: [] },
        timeline: [], modifyGapsSeconds: [], plan: { lines: [] }, retries: 0, error: msg,
      };
    }
    process.stderr.write(`engine ${r.ok ? "ok" : "FAILED"} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    const rows = [engineRow(r, trace)];
    const lanes = [timelineLane(rows[0]!, trace)];
    for (const baseline of flags.baselines ? BASELINES.filter((b) => !sc.subscription || b.subscription) : []) {
      const tb = Date.now();
      try {
        const run = await runBaseline(sc, flags, baseline);
        rows.push(run.row);
        lanes.push(timelineLane(run.row, run.trace));
      } catch (e) {
        rows.push(harnessFailureRow(baseline.name, e));
      }
      process.stderr.write(`, ${baseline.name} ${rows.at(-1)!.result} (${((Date.now() - tb) / 1000).toFixed(1)} s)`);
    }
    process.stderr.write("\n");
    results.push({ ...r, strategies: rows });
    const file = join(outDir, `timeline-${sc.id}.svg`);
    writeFileSync(
      file,
      timelineSvg({
        title: `Scenario ${sc.id}: ${sc.name}`,
        subtitle:
          `simulator: cooldown ${flags.cooldown} s, stop ${flags.stop} s, start ${flags.start} s · minimum: wall ${r.minimum.wall} s, ` +
          `downtime ${r.minimum.downtime} s · baselines' sleeps × ${round(flags.cooldown / 300, 4)} (cooldown / 300 s)`,
        cooldownSeconds: flags.cooldown,
        lanes,
      }),
    );
    timelines.push(file);
  }
  console.log("");
  console.log(table(results));
  console.log("");
  console.log(details(results));
  console.log(
    "\nwall/min, down/min: ratio to the physical minimum (— when the minimum is 0; then +s is the whole cost). " +
      "chg = ModifyInstanceSpec/ModifyPrepayInstanceSpec/ModifyInstanceNetworkSpec/StopInstance/StartInstance/RebootInstance, rd = Describe*. OK* = passed with a warning. Subscription scenarios (9–12) have their own minimum (bench/README.md); only the terraform baseline runs them.",
  );
  if (flags.baselines) {
    console.log("\nThe strategies side by side (each run on its own fresh simulator):\n");
    console.log(strategyTable(results));
    console.log("");
    console.log(strategyDetails(results));
    console.log(
      "\n" + BASELINES.map((b) => `${b.name}: ${b.summary}.`).join("\n") +
        `\nTheir sleeps and retry deadlines are scaled by cooldown/300 s = ${round(flags.cooldown / 300, 4)}; the baselines poll the status ` +
        `every ${BASELINE_POLL_SECONDS} s (a fixed grid, as those tools do); the engine aims its polls at each transition's expected end. wall/eng, down/eng: ratio to the engine (— under 0.5 s). ` +
        "refused: error answers that were not injected. ≥: the instance was left down, downtime counted to the end of the run.",
    );
  }

  const doc = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { node: process.version, platform: `${process.platform}-${process.arch}`, cpus: (await import("node:os")).cpus().length },
    simulatorTiming: { cooldownSeconds: flags.cooldown, stopSeconds: flags.stop, startSeconds: flags.start, prepayApplySeconds: flags.order, prepayIntervalSeconds: flags.cooldown },
    engineTiming,
    results,
  };
  writeFileSync(flags.out, JSON.stringify(doc, null, 2) + "\n");
  console.log(`results: ${flags.out}`);
  console.log(`timelines: ${timelines.join(", ")}`);
  const failed = results.filter((r) => !r.ok);
  if (failed.length > 0) {
    console.log(`FAILED: ${failed.map((r) => `${r.id} (${r.failures.join("; ")})`).join(", ")}`);
    return 1;
  }
  return 0;
}

// `--rollout`: the rolling-resize scenarios of InstanceSpecFleet (bench/rollout.ts) instead.
(process.argv.includes("--rollout") ? rolloutMain(process.argv.slice(2)) : main()).then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
