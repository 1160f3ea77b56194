/**
 * Fleet benchmark: N InstanceSpec resources through the real `pulumi` CLI against one simulator
 * whose account allows a number of calls per minute per action, with compressed stop/start/cooldown.
 * Measures, per run: success, per-instance downtime against the single-instance minimum (S + T),
 * reads per instance, `Throttling.User` answers and calls in all; and preview reads per resource.
 * The fleet sits behind one load balancer (`lb-fleet`) in the simulator state: each `up` also
 * reports, from the simulator's availability sampler, the most instances not serving at once and
 * how long fewer than half of them served.
 * Every configuration runs twice: with the provider's API scheduler (what users get) and with it
 * off (`PULUMI_ECS_SPEC_API_SCHEDULER=off`: every resource reading and polling on its own, as before).
 *
 *   npx tsc -p tsconfig.json && npm run bench:fleet -- [--sizes 10,50] [--preview-sizes 1,10,50,100] [--limit 300]
 *     [--modes before,after] [--parallel default,50] [--change type+bandwidth|type]
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { startSimulator, type CallLogEntry, type RunningSimulator, type SimInstance } from "../simulator/index.js";
import { demoState } from "../simulator/state.js";
import { PulumiProject } from "../test/harness/pulumi.js";

// healthyAfterSeconds: twice the start, the proportions of the simulator's defaults (start 5 s, healthy 10 s after).
const TIMING = { cooldownSeconds: 6, stopSeconds: 2, startSeconds: 2, healthyAfterSeconds: 4 };
const LB = "lb-fleet";
/** What each `up` changes on every instance (from ecs.g6.large, out 5). */
const CHANGES = {
  "type+bandwidth": { instanceType: "ecs.g6.xlarge", internetMaxBandwidthOut: 20 },
  type: { instanceType: "ecs.g6.xlarge" },
} as const;
type Change = keyof typeof CHANGES;
const READS = new Set(["DescribeInstances", "DescribeDisks", "DescribeResourcesModification"]);
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

interface Flags {
  sizes: number[];
  previewSizes: number[];
  limit: number;
  modes: ("after" | "before")[];
  parallel: ("default" | "50")[];
  change: Change;
}

function parseFlags(argv: readonly string[]): Flags {
  const f: Flags = { sizes: [10, 50], previewSizes: [1, 10, 50, 100], limit: 300, modes: ["before", "after"], parallel: ["default", "50"], change: "type+bandwidth" };
  const list = (v: string | undefined) => (v ?? "").split(",").filter((x) => x !== "");
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--sizes") f.sizes = list(argv[++i]).map(Number);
    else if (a === "--preview-sizes") f.previewSizes = list(argv[++i]).map(Number);
    else if (a === "--limit") f.limit = Number(argv[++i]);
    else if (a === "--modes") f.modes = list(argv[++i]) as Flags["modes"];
    else if (a === "--parallel") f.parallel = list(argv[++i]) as Flags["parallel"];
    else if (a === "--change") {
      const v = argv[++i] ?? "";
      if (!(v in CHANGES)) throw new Error(`--change must be one of ${Object.keys(CHANGES).join(", ")}`);
      f.change = v as Change;
    }
    else throw new Error(`unknown flag ${a}`);
  }
  return f;
}

const idOf = (k: number) => `i-fleet-${String(k).padStart(3, "0")}`;

function fleetState(n: number) {
  const s = demoState();
  const web = s.instances.find((i) => i.instanceId === "i-demo-web-01")!;
  for (let k = 0; k < n; k++) {
    const copy: SimInstance = JSON.parse(JSON.stringify(web));
    copy.instanceId = idOf(k);
    copy.disks = copy.disks.map((d, j) => ({ ...d, diskId: `d-fleet-${k}-${j}` }));
    copy.privateIpAddress = `10.1.${Math.floor(k / 200)}.${10 + (k % 200)}`;
    s.instances.push(copy);
  }
  s.loadBalancers.push({
    loadBalancerId: LB, regionId: s.regionId,
    listeners: [{ port: 80, protocol: "http", backendPort: 80, healthCheck: true }],
    backends: Array.from({ length: n }, (_, k) => idOf(k)),
  });
  return s;
}

function program(n: number, spec: Record<string, unknown>): string {
  const ids = Array.from({ length: n }, (_, k) => idOf(k));
  return (
    `const { InstanceSpec } = require("pulumi-ecs-spec");\n` +
    `for (const id of ${JSON.stringify(ids)}) new InstanceSpec(id, { instanceId: id, cooldownSeconds: ${TIMING.cooldownSeconds}, ...${JSON.stringify(spec)} });\n`
  );
}

async function project(sim: RunningSimulator, n: number, spec: Record<string, unknown>, mode: "before" | "after"): Promise<PulumiProject> {
  return PulumiProject.create(`fleet-${n}`, {
    program: program(n, spec),
    config: {
      "alicloud:region": sim.regionId,
      "pulumi-ecs-spec:estimates": JSON.stringify({ stopSeconds: TIMING.stopSeconds, startSeconds: TIMING.startSeconds }),
    },
    env: {
      PULUMI_ECS_SPEC_ENDPOINT: sim.url,
      ALIBABA_CLOUD_ACCESS_KEY_ID: sim.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: sim.accessKeySecret,
      ...(mode === "before" ? { PULUMI_ECS_SPEC_API_SCHEDULER: "off" } : {}),
    },
  });
}

function counts(calls: readonly CallLogEntry[]) {
  const byAction: Record<string, number> = {};
  for (const c of calls) byAction[c.action] = (byAction[c.action] ?? 0) + 1;
  return {
    total: calls.length,
    reads: calls.filter((c) => READS.has(c.action)).length,
    throttled: calls.filter((c) => c.code === "Throttling.User").length,
    byAction,
  };
}

interface UpRow {
  n: number;
  parallel: string;
  mode: string;
  succeeded: number;
  complete: number;
  maxDowntime: number;
  medianDowntime: number;
  readsPerInstance: number;
  throttled: number;
  total: number;
  byAction: Record<string, number>;
  wallSeconds: number;
  /** The most fleet instances not serving at once (availability sampler). */
  maxNotServing: number;
  /** Seconds during which fewer than half of the fleet served. */
  underHalfSeconds: number;
}

/**
 * Waits until the whole fleet serves again (the last instances started are still warming up
 * when `up` returns), then reads the sampler: the most not serving at once and the time during
 * which more than half did not serve, summed between the timeline's change points.
 */
async function tierAvailability(sim: RunningSimulator, n: number): Promise<{ maxNotServing: number; underHalfSeconds: number }> {
  const deadline = Date.now() + (TIMING.healthyAfterSeconds + 10) * 1000;
  const lb = () => sim.availability().loadBalancers[LB];
  while (lb()?.lastSample?.notServing !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const a = lb();
  if (!a || a.lastSample === null) throw new Error(`no availability samples for ${LB}`);
  if (a.timelineDropped > 0) throw new Error(`${LB}: ${a.timelineDropped} timeline points dropped; the time under half would be wrong`);
  let underHalfMs = 0;
  a.timeline.forEach((p, j) => {
    if (p.notServing > n / 2) underHalfMs += (a.timeline[j + 1]?.atMs ?? a.lastSample!.atMs) - p.atMs;
  });
  return { maxNotServing: a.maxNotServing, underHalfSeconds: round(underHalfMs / 1000, 1) };
}

async function upRun(n: number, parallel: "default" | "50", mode: "before" | "after", change: Change, limit: number): Promise<UpRow> {
  const sim = await startSimulator({ port: 0, timing: TIMING, quiet: true, state: fleetState(n), rateLimitPerMinute: limit, callLog: { maxEntries: 100_000 } });
  const spec: Record<string, unknown> = CHANGES[change];
  const p = await project(sim, n, spec, mode);
  try {
    sim.resetAvailability();
    const t0 = Date.now();
    const r = await p.cli(["up", "--yes", ...(parallel === "50" ? ["--parallel", "50"] : [])], { allowFailure: true });
    const wall = (Date.now() - t0) / 1000;
    const tier = await tierAvailability(sim, n);
    const calls = sim.calls();
    const state = sim.getState();
    const downs: number[] = [];
    let complete = 0;
    for (let k = 0; k < n; k++) {
      const id = idOf(k);
      const ok = (a: string) => calls.filter((c) => c.action === a && c.httpStatus === 200 && c.params.InstanceId === id);
      const stop = ok("StopInstance")[0];
      const start = ok("StartInstance").at(-1);
      if (stop && start) downs.push(start.atMs + TIMING.startSeconds * 1000 - stop.atMs);
      const i = state.instances.find((x) => x.instanceId === id)!;
      if (Object.entries(spec).every(([key, v]) => i[key as keyof SimInstance] === v) && i.status === "Running") complete++;
    }
    downs.sort((a, b) => a - b);
    const succeeded = n - (r.stdout.match(/\*\*failed\*\*/g)?.length ?? 0);
    const c = counts(calls);
    if (r.code !== 0) fs.writeFileSync(path.join("dist", "bench", `fleet-${n}-${parallel}-${mode}-${change}.log`), r.stdout + r.stderr);
    return {
      n,
      parallel,
      mode,
      succeeded: r.code === 0 ? n : Math.min(succeeded, complete),
      complete,
      maxDowntime: round((downs.at(-1) ?? 0) / 1000),
      medianDowntime: round((downs[Math.floor(downs.length / 2)] ?? 0) / 1000),
      readsPerInstance: round(c.reads / n),
      throttled: c.throttled,
      total: c.total,
      byAction: c.byAction,
      wallSeconds: round(wall, 1),
      ...tier,
    };
  } finally {
    p.remove();
    await sim.close();
  }
}

async function previewRun(n: number, mode: "before" | "after", typeChange: boolean, limit: number) {
  const sim = await startSimulator({ port: 0, timing: TIMING, quiet: true, state: fleetState(n), rateLimitPerMinute: limit, callLog: { maxEntries: 100_000 } });
  const p = await project(sim, n, typeChange ? { instanceType: "ecs.g6.xlarge", internetMaxBandwidthOut: 20 } : { internetMaxBandwidthOut: 20 }, mode);
  try {
    const r = await p.cli(["preview"], { allowFailure: true });
    const c = counts(sim.calls());
    return { n, mode, typeChange, ok: r.code === 0, readsPerResource: round(c.reads / n, 3), throttled: c.throttled, byAction: c.byAction };
  } finally {
    p.remove();
    await sim.close();
  }
}

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2));
  fs.mkdirSync(path.join("dist", "bench"), { recursive: true });
  const previews: Awaited<ReturnType<typeof previewRun>>[] = [];
  for (const n of f.previewSizes) {
    for (const mode of f.modes) {
      for (const typeChange of [false, true]) {
        const row = await previewRun(n, mode, typeChange, f.limit);
        console.log(JSON.stringify(row));
        previews.push(row);
      }
    }
  }
  const ups: UpRow[] = [];
  for (const n of f.sizes) {
    for (const parallel of f.parallel) {
      for (const mode of f.modes) {
        const row = await upRun(n, parallel, mode, f.change, f.limit);
        console.log(JSON.stringify(row));
        ups.push(row);
      }
    }
  }
  const minDown = TIMING.stopSeconds + TIMING.startSeconds;
  console.log(`\nup: ${f.change === "type" ? "type" : "type + bandwidth"} on every instance, simulator limit ${f.limit} calls/min/action, stop ${TIMING.stopSeconds} s, start ${TIMING.startSeconds} s, cooldown ${TIMING.cooldownSeconds} s (single-instance minimum downtime ${minDown} s), healthy ${TIMING.healthyAfterSeconds} s after Running, all N behind ${LB}\n`);
  console.log("| N | parallel | scheduler | succeeded | max downtime s (x min) | median s | reads/instance | Throttling.User | calls | wall s | most not serving at once | s with < half serving |");
  console.log("|--:|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
  for (const r of ups) {
    console.log(
      `| ${r.n} | ${r.parallel} | ${r.mode === "after" ? "on" : "off (before)"} | ${r.complete}/${r.n} | ${r.maxDowntime} (${round(r.maxDowntime / minDown)}x) | ${r.medianDowntime} | ${r.readsPerInstance} | ${r.throttled} | ${r.total} | ${r.wallSeconds} | ${r.maxNotServing}/${r.n} | ${r.underHalfSeconds} |`,
    );
  }
  if (previews.length > 0) console.log("\npreview: reads per resource\n\n| N | scheduler | bandwidth only | type + bandwidth |\n|--:|---|--:|--:|");
  for (const n of f.previewSizes) {
    for (const mode of f.modes) {
      const of = (t: boolean) => previews.find((p) => p.n === n && p.mode === mode && p.typeChange === t);
      console.log(`| ${n} | ${mode === "after" ? "on" : "off (before)"} | ${of(false)?.readsPerResource} | ${of(true)?.readsPerResource} |`);
    }
  }
  fs.writeFileSync(path.join("dist", "bench", "fleet.json"), JSON.stringify({ timing: TIMING, limit: f.limit, change: f.change, previews, ups }, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
