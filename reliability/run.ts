/**
 * `npm run reliability`: runs the fault matrix (reliability/matrix.ts) and prints it as tables, one
 * per scenario (pay-as-you-go; subscription upgrade; subscription downgrade), rows = the plan's
 * steps, columns = the faults, each cell `OK` or how it failed, then the counts and every failing
 * cell with its calls. With `--kill`, also the kill points (reliability/kill.ts)
 * through the real `pulumi` CLI, which take a few minutes.
 *
 *   npm run build && npm run reliability -- [--kill] [--concurrency 4] [--only REGEX] [--json FILE] [--trace]
 *
 * Exit status: 0 when every cell (and kill point) passed, 1 when one failed, 2 on bad flags.
 */
import { writeFileSync } from "node:fs";
import { formatKillPoints, formatSubscriptionKillPoints, runKillPoints, runSubscriptionKillPoints, type KillResult, type SubscriptionKillResult } from "./kill";
import { ANSWER_LATE_MS, CLIENT_TIMEOUT_MS, formatMatrix, REQUEST_LATE_MS, runMatrix, SCENARIOS, SIM_TIMING, verdict } from "./matrix";

const USAGE = `usage: npm run reliability -- [flags]
  --kill             also run the kill points through the real pulumi CLI (a few minutes;
                     needs the CLI: bash scripts/setup.sh, or PULUMI_ECS_SPEC_PULUMI_BIN)
  --concurrency N    matrix cells run at once, each on its own simulator (default 4)
  --only REGEX       only the cells (scenario|step|fault ids, e.g. 'payg\\|stop\\|' or 'prepaid.*\\|lost$')
                     and kill points (phase|point) it matches
  --json FILE        also write every result as JSON
  --trace            print the calls of every failing matrix cell
  -h, --help         this text`;

interface Flags {
  kill: boolean;
  concurrency: number;
  only?: RegExp;
  json?: string;
  trace: boolean;
}

function parseFlags(argv: readonly string[]): Flags {
  const f: Flags = { kill: false, concurrency: 4, trace: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--kill") f.kill = true;
    else if (a === "--trace") f.trace = true;
    else if (a === "--concurrency") {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1) throw new Error("--concurrency needs a whole number >= 1");
      f.concurrency = n;
    } else if (a === "--only") f.only = new RegExp(value());
    else if (a === "--json") f.json = value();
    else if (a === "-h" || a === "--help") {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown flag ${a}`);
  }
  return f;
}

async function main(): Promise<number> {
  let flags: Flags;
  try {
    flags = parseFlags(process.argv.slice(2));
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  console.log(
    `fault matrix: ${SCENARIOS.map((s) => s.label).join("; ")}.\n` +
      `simulator cooldown ${SIM_TIMING.cooldownSeconds} s, stop/start ${SIM_TIMING.stopSeconds} s, an order settling in ${SIM_TIMING.prepayApplySeconds} s; client timeout ${CLIENT_TIMEOUT_MS} ms; ` +
      `"answer late": applied at once, answered after ${ANSWER_LATE_MS} ms; "request lands late": handled after ${REQUEST_LATE_MS} ms\n`,
  );
  const only = flags.only;
  const matrix = await runMatrix({
    concurrency: flags.concurrency,
    ...(only ? { only: (sc, s, f) => only.test(`${sc.id}|${s.id}|${f.id}`) } : {}),
    onCell: (c) => process.stderr.write(`  ${c.scenario} ${c.step} × ${c.fault}: ${verdict(c)} (${(c.ms / 1000).toFixed(1)} s)\n`),
  });
  console.log(formatMatrix(matrix));
  if (flags.trace) {
    for (const c of matrix.cells.filter((x) => x.trace)) console.log(`\n${c.scenario} ${c.step} × ${c.fault}:\n  ${c.trace!.join("\n  ")}`);
  }
  let kills: KillResult[] = [];
  let subKills: SubscriptionKillResult[] = [];
  if (flags.kill) {
    console.log("\nkill points: SIGKILL of `pulumi up` (CLI and provider) right after a step took effect, then `pulumi up` again\n");
    kills = await runKillPoints({
      ...(only ? { only: (phase, point) => only.test(`${phase}|${point.id}`) } : {}),
      onResult: (r) => process.stderr.write(`  ${r.phase} ${r.point}: ${r.problems.length === 0 ? "OK" : r.problems.join("; ")} (${(r.ms / 1000).toFixed(1)} s)\n`),
    });
    console.log(formatKillPoints(kills));
    console.log("\nsubscription kill points: the same, for a subscription upgrade + bandwidth and a downgrade of i-demo-prepaid-01\n");
    subKills = await runSubscriptionKillPoints({
      ...(only ? { only: (phase, point) => only.test(`${phase}|${point.id}`) } : {}),
      onResult: (r) => process.stderr.write(`  ${r.phase} ${r.point}: ${r.problems.length === 0 ? "OK" : r.problems.join("; ")} (${(r.ms / 1000).toFixed(1)} s)\n`),
    });
    console.log(formatSubscriptionKillPoints(subKills));
  }
  if (flags.json) writeFileSync(flags.json, JSON.stringify({ matrix, kills, subscriptionKills: subKills }, null, 2) + "\n");
  const failed = matrix.cells.some((c) => c.problems.length > 0) || kills.some((r) => r.problems.length > 0) || subKills.some((r) => r.problems.length > 0);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
