/**
 * Rolling-resize benchmark: an `InstanceSpecFleet` rollout (the real rollout executor and the real
 * client, in process) of a fleet of 50 against the simulator over loopback, compressed time, each
 * instance changing type and bandwidth, with `maxUnavailable` 5 and then 10. It measures the wall
 * time against the lower bound the rules allow, each instance's downtime against the
 * single-instance minimum, and the most instances not serving at once (sampled), against the bound.
 *
 *   npx tsc -p tsconfig.json && npm run bench -- --rollout [--size 50] [--max 5,10] [--cooldown 6]
 *       [--stop 2] [--start 2] [--warmup 1] [--out FILE]
 *
 * The bound (bench/README.md, "Rolling resize"): waves × (S + T + H + W) plus the last cooldown C,
 * waves = ⌈size / maxUnavailable⌉, H the time from Running to serving, W the warmup. The tight
 * bound is also shown: (waves − 1)·(S+T+H+W) + S + max(C, T+H+W) (the last wave's bandwidth change
 * comes a cooldown after its type change). Exit status 1 when a rollout fails or ends wrong.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createEcsClient } from "../provider/client";
import { healthFor } from "../provider/fleet/health";
import { parseHealthCheck } from "../provider/health";
import { rollout } from "../provider/fleet/rollout";
import { configureApiScheduling, DEFAULT_API_RATE_LIMITS } from "../provider/scheduler";
import { parseDesiredSpec } from "../provider/schema";
import { demoState, makeInstance, startSimulator, type RunningSimulator } from "../simulator/index";

interface Flags {
  size: number;
  max: number[];
  cooldown: number;
  stop: number;
  start: number;
  warmup: number;
  healthy: number;
  out: string;
}

const USAGE = `usage: npm run bench -- --rollout [flags]
  --size N        instances in the fleet (default 50)
  --max 5,10      maxUnavailable values, one rollout each (default 5,10)
  --cooldown S    simulator cooldown after each spec change, seconds (default 6)
  --stop S        simulator stop duration, seconds (default 2)
  --start S       simulator start duration, seconds (default 2)
  --healthy S     simulator: a backend turns healthy S seconds after Running (default 1)
  --warmup S      healthCheck.warmupSeconds (default 1)
  --out FILE      results JSON (default dist/bench/rollout-results.json)`;

function parseFlags(argv: readonly string[]): Flags {
  const f: Flags = { size: 50, max: [5, 10], cooldown: 6, stop: 2, start: 2, warmup: 1, healthy: 1, out: join(__dirname, "rollout-results.json") };
  const num = (name: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || v === "" || !Number.isFinite(n) || n < 0) throw new Error(`${name} needs a number >= 0, got ${v ?? "nothing"}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = argv[i + 1];
    if (a === "--rollout") continue;
    else if (a === "--size") (f.size = num(a, v)), i++;
    else if (a === "--max") (f.max = (v ?? "").split(",").map((x) => num(a, x))), i++;
    else if (a === "--cooldown") (f.cooldown = num(a, v)), i++;
    else if (a === "--stop") (f.stop = num(a, v)), i++;
    else if (a === "--start") (f.start = num(a, v)), i++;
    else if (a === "--warmup") (f.warmup = num(a, v)), i++;
    else if (a === "--healthy") (f.healthy = num(a, v)), i++;
    else if (a === "--out") (f.out = v ?? f.out), i++;
    else throw new Error(`unknown flag ${a}`);
  }
  return f;
}

interface Result {
  readonly maxUnavailable: number;
  readonly waves: number;
  readonly wallSeconds: number;
  readonly boundSeconds: number;
  readonly boundFormula: string;
  readonly wallRatio: number;
  readonly tightBoundSeconds: number;
  readonly tightWallRatio: number;
  readonly downtime: { readonly minimumSeconds: number; readonly meanSeconds: number; readonly maxSeconds: number; readonly maxRatio: number; readonly meanRatio: number };
  readonly mostDownSampled: number;
  readonly mostDownCounted: number;
  readonly boundKept: boolean;
  readonly calls: Readonly<Record<string, number>>;
  /** Calls the API budget held back a second or more. */
  readonly budgetWaits: number;
  readonly ok: boolean;
  readonly problems: readonly string[];
}

/** The load balancer in front of the bench fleet. */
const LB = "lb-bench-rollout";

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

async function runOne(flags: Flags, K: number): Promise<Result> {
  const ids = Array.from({ length: flags.size }, (_, i) => `i-roll-${String(i + 1).padStart(3, "0")}`);
  const state = demoState();
  state.instances.push(...ids.map((id) => makeInstance(id, { instanceType: "ecs.g6.large", internetMaxBandwidthOut: 5 })));
  state.loadBalancers.push({ loadBalancerId: LB, regionId: state.regionId, listeners: [{ port: 80, protocol: "http", backendPort: 80, healthCheck: true }], backends: ids });
  const S = flags.stop;
  const T = flags.start;
  const C = flags.cooldown;
  const H = flags.healthy;
  const W = flags.warmup;
  const sim: RunningSimulator = await startSimulator({
    port: 0,
    quiet: true,
    state,
    timing: { cooldownSeconds: C, stopSeconds: S, startSeconds: T, tokenProcessingSeconds: 0, healthyAfterSeconds: H },
    availabilitySampleMs: 10,
    rateLimitPerMinute: 0,
    callLog: { maxEntries: 200_000, maxBytes: 512 * 1024 * 1024 },
  });
  try {
    // The provider's API budget counts real minutes; the simulator runs time compressed by
    // 300 s / C (the documented cooldown over the simulated one): the budget is scaled alike.
    const scale = 300 / C;
    configureApiScheduling({ limits: { default: Math.round((DEFAULT_API_RATE_LIMITS.default ?? 200) * scale) } });
    let budgetWaits = 0;
    const api = createEcsClient({
      regionId: sim.regionId,
      endpoint: sim.url,
      credentials: { accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret },
      onBudgetWait: () => budgetWaits++,
    });
    const members = ids.map((instanceId) => {
      const r = parseDesiredSpec({ instanceId, regionId: sim.regionId, instanceType: "ecs.g6.xlarge", internetMaxBandwidthOut: 20, cooldownSeconds: C, timeoutSeconds: 3600 });
      if (!r.ok) throw new Error(JSON.stringify(r.failures));
      return r.value;
    });
    const check = parseHealthCheck({ clb: { loadBalancerId: LB }, intervalSeconds: 0.1, healthyThreshold: 1, warmupSeconds: W, timeoutSeconds: 120 }, "healthCheck");
    if (!check.ok) throw new Error(JSON.stringify(check.problems));
    sim.resetAvailability();
    const t0 = Date.now();
    const r = await rollout({
      api,
      members,
      rules: { maxUnavailable: K, canary: { size: 0, bakeSeconds: 0 }, maxFailures: 0, rollbackOnFailure: false, warmupSeconds: W, healthTimeoutSeconds: 120 },
      health: healthFor(check.value, api).health,
      estimates: { stopSeconds: S, startSeconds: T, modifySeconds: 0, healthSeconds: H },
      timing: { stopSeconds: S, startSeconds: T, modifySeconds: 0 },
      healthPollMs: 100,
    });
    const wall = (Date.now() - t0) / 1000;
    const mostDown = sim.availability().loadBalancers[LB]!.maxNotServing;
    const calls = sim.calls();
    const problems: string[] = [];
    const downtimes = ids.map((id) => {
      const stop = calls.find((c) => c.action === "StopInstance" && c.params.InstanceId === id && c.httpStatus === 200);
      const start = calls.find((c) => c.action === "StartInstance" && c.params.InstanceId === id && c.httpStatus === 200);
      if (!stop || !start) {
        problems.push(`${id}: no stop/start pair`);
        return 0;
      }
      return (start.atMs + T * 1000 - stop.atMs) / 1000;
    });
    for (const id of ids) {
      const i = sim.getState().instances.find((x) => x.instanceId === id)!;
      if (i.status !== "Running" || i.instanceType !== "ecs.g6.xlarge" || i.internetMaxBandwidthOut !== 20) problems.push(`${id}: ${i.status} ${i.instanceType} out ${i.internetMaxBandwidthOut}`);
    }
    const waves = Math.ceil(flags.size / K);
    const per = S + T + H + W;
    const bound = waves * per + C;
    const tight = (waves - 1) * per + S + Math.max(C, T + H + W);
    const min = S + T;
    const count: Record<string, number> = {};
    for (const c of calls) count[c.action] = (count[c.action] ?? 0) + 1;
    const mean = downtimes.reduce((a, b) => a + b, 0) / downtimes.length;
    const max = Math.max(...downtimes);
    return {
      maxUnavailable: K,
      waves,
      wallSeconds: round(wall),
      boundSeconds: bound,
      boundFormula: `⌈${flags.size}/${K}⌉·(S+T+H+W) + C = ${waves}·(${S}+${T}+${H}+${W}) + ${C}`,
      wallRatio: round(wall / bound, 3),
      tightBoundSeconds: tight,
      tightWallRatio: round(wall / tight, 3),
      downtime: { minimumSeconds: min, meanSeconds: round(mean, 3), maxSeconds: round(max, 3), meanRatio: round(mean / min, 3), maxRatio: round(max / min, 3) },
      mostDownSampled: mostDown,
      mostDownCounted: r.mostDownCounted,
      boundKept: mostDown <= K,
      calls: count,
      budgetWaits,
      ok: problems.length === 0,
      problems,
    };
  } finally {
    await sim.close();
  }
}

/** `npm run bench -- --rollout`: the rolling-resize scenarios. Resolves the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  let flags: Flags;
  try {
    flags = parseFlags(argv);
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  console.log(
    `pulumi-ecs-spec rolling-resize bench: ${flags.size} instances, type + bandwidth each; simulator cooldown ${flags.cooldown} s, stop ${flags.stop} s, start ${flags.start} s; ` +
      `health: CLB backend health, healthy ${flags.healthy} s after Running (H), warmup ${flags.warmup} s (W)`,
  );
  const results: Result[] = [];
  for (const K of flags.max) {
    process.stderr.write(`  maxUnavailable ${K} … `);
    const r = await runOne(flags, K);
    process.stderr.write(`${r.wallSeconds} s\n`);
    results.push(r);
  }
  const rows = results.map((r) => [
    String(r.maxUnavailable),
    String(r.waves),
    r.wallSeconds.toFixed(2),
    r.boundSeconds.toFixed(2),
    `${r.wallRatio.toFixed(3)}x`,
    `${r.tightWallRatio.toFixed(3)}x`,
    `${r.downtime.meanSeconds.toFixed(2)} / ${r.downtime.maxSeconds.toFixed(2)}`,
    `${r.downtime.meanRatio.toFixed(3)}x / ${r.downtime.maxRatio.toFixed(3)}x`,
    `${r.mostDownSampled} (${r.boundKept ? "kept" : "EXCEEDED"})`,
    r.ok ? "ok" : "FAIL",
  ]);
  const header = ["maxUnavail.", "waves", "wall s", "bound s", "wall/bound", "wall/tight", "down mean/max s", "down/min mean/max", "most down", "result"];
  console.log(`\n| ${header.join(" | ")} |\n|${header.map(() => "---").join("|")}|\n${rows.map((r) => `| ${r.join(" | ")} |`).join("\n")}`);
  console.log(
    `\nbound: waves·(S+T+H+W) + C; tight: (waves−1)·(S+T+H+W) + S + max(C, T+H+W); downtime minimum per instance: S+T = ${flags.stop + flags.start} s (StopInstance call → Running); most down: the simulator's sampler (every 10 ms) of backends not serving; API budget: the provider's default × ${300 / flags.cooldown} (300 s / C, the time compression).`,
  );
  for (const r of results) if (!r.ok) console.log(`maxUnavailable ${r.maxUnavailable}: ${r.problems.join("; ")}`);
  mkdirSync(dirname(flags.out), { recursive: true });
  writeFileSync(flags.out, JSON.stringify({ flags, results }, null, 2));
  console.log(`results: ${flags.out}`);
  return results.every((r) => r.ok && r.boundKept) ? 0 : 1;
}
