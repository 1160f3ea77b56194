#!/usr/bin/env node
/**
 * `ecs-sim`: start the ECS API simulator from the command line. See simulator/README.md.
 */
import { ADMIN_TOKEN_ENV, isLoopbackHost } from "./admin.js";
import { startSimulator, DEMO_CREDENTIALS, type SimulatorOptions } from "./index.js";
import type { SimulatorTiming } from "./model.js";
import type { SimState } from "./state.js";

const HELP = `Usage: ecs-sim [options]

Starts a strict ECS API (2014-05-26) simulator, with CLB DescribeHealthStatus (2014-05-15) on the same port,
on loopback, and prints the URL and the key pair.

Options:
  --port N                     port to listen on (0 = any free port; default 0)
  --host HOST                  interface to listen on (default 127.0.0.1); not loopback: needs --allow-remote
  --allow-remote               mean it: other machines may reach the API and the admin API (plain HTTP)
  --allow-host NAME            a host name the admin API accepts besides localhost and IP addresses (repeatable)
  --admin-token TOKEN          the admin API's token (default: $ECS_SIM_ADMIN_TOKEN, else a new random one)
  --state FILE                 load state from FILE if it exists; write every change to it
  --empty                      start with no instances and no load balancers (catalogue and images stay)
  --cooldown SECONDS           per-instance cooldown after a ModifyInstanceSpec (default 300)
  --stop-seconds SECONDS       Running -> Stopping -> Stopped duration (default 5)
  --start-seconds SECONDS      Stopped -> Starting -> Running duration (default 5)
  --async-apply-seconds S      Async=true type change apply time (default 3)
  --token-seconds SECONDS      ClientToken "in flight" time after a success (default 0)
  --healthy-after-seconds S    time Running before the load balancer and /_health/ report an instance healthy (default 10)
  --availability-sample-ms MS  how often the availability sampler counts backends not serving (0 = off; default 100)
  --rate-limit N               calls per calendar minute per action before Throttling.User (0 = off; default 1000)
  --rate-limit-action A=N      the same for action A only (repeatable), e.g. DescribeInstances=300
  --access-key-id ID           accept this key instead of the demo key (with --access-key-secret)
  --access-key-secret SECRET
  --call-log-entries N         calls the log keeps at most (default 10000)
  --call-log-mb N              megabytes the log keeps at most (default 32)
  --quiet                      no per-call log lines
  -h, --help                   this help
`;

/** `v` as one bash word: bare when it is plainly safe, else single-quoted. */
function shellWord(v: string): string {
  return /^[A-Za-z0-9_.\/:@%+=,-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}

/**
 * The lines to paste into bash: what the provider reads (endpoint, `ALICLOUD_*` keys), what the
 * `@alicloud/credentials` default chain reads (`ALIBABA_CLOUD_*`), and the admin token. A security
 * token left in the shell would be sent along and refused, so both names are unset.
 */
function exportLines(url: string, accessKeyId: string, accessKeySecret: string, adminToken: string): string[] {
  const lines = [
    `# paste into bash: the provider and the Alibaba Cloud clients read these`,
    `export PULUMI_ECS_SPEC_ENDPOINT=${shellWord(url)}`,
    `export ALICLOUD_ACCESS_KEY=${shellWord(accessKeyId)}`,
    `export ALICLOUD_SECRET_KEY=${shellWord(accessKeySecret)}`,
    `unset ALICLOUD_SECURITY_TOKEN ALIBABA_CLOUD_SECURITY_TOKEN`,
    `export ALIBABA_CLOUD_ACCESS_KEY_ID=${shellWord(accessKeyId)}`,
    `export ALIBABA_CLOUD_ACCESS_KEY_SECRET=${shellWord(accessKeySecret)}`,
    `export ${ADMIN_TOKEN_ENV}=${shellWord(adminToken)}`,
  ];
  if (!isLoopbackHost(new URL(url).hostname)) {
    lines.push(`# the provider accepts http:// only on loopback: from another machine, put an https proxy in front`);
  }
  return lines;
}

function fail(message: string): never {
  process.stderr.write(`ecs-sim: ${message}\n\n${HELP}`);
  process.exit(2);
}

function parseArgs(argv: string[]): SimulatorOptions & { empty: boolean } {
  const opts: SimulatorOptions & { empty: boolean } = { empty: false, quiet: false, allowedHostNames: [] };
  const envToken = process.env[ADMIN_TOKEN_ENV];
  if (envToken !== undefined && envToken !== "") opts.adminToken = envToken;
  const timing: Partial<SimulatorTiming> = {};
  let keyId: string | undefined;
  let keySecret: string | undefined;
  const num = (flag: string, v: string | undefined): number => {
    if (v === undefined || v.trim() === "" || !Number.isFinite(Number(v)) || Number(v) < 0) fail(`${flag} needs a non-negative number`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case "-h":
      case "--help":
        process.stdout.write(HELP);
        process.exit(0);
      case "--port": opts.port = num(flag, value()); break;
      case "--host": opts.host = value() ?? fail("--host needs a value"); break;
      case "--allow-remote": opts.allowRemote = true; break;
      case "--allow-host": opts.allowedHostNames!.push(value() ?? fail("--allow-host needs a name")); break;
      case "--admin-token": opts.adminToken = value() ?? fail("--admin-token needs a value"); break;
      case "--call-log-entries": opts.callLog = { ...opts.callLog, maxEntries: Math.floor(num(flag, value())) }; break;
      case "--call-log-mb": opts.callLog = { ...opts.callLog, maxBytes: Math.floor(num(flag, value()) * 1024 * 1024) }; break;
      case "--state": opts.stateFile = value() ?? fail("--state needs a file"); break;
      case "--empty": opts.empty = true; break;
      case "--cooldown": timing.cooldownSeconds = num(flag, value()); break;
      case "--stop-seconds": timing.stopSeconds = num(flag, value()); break;
      case "--start-seconds": timing.startSeconds = num(flag, value()); break;
      case "--async-apply-seconds": timing.asyncApplySeconds = num(flag, value()); break;
      case "--token-seconds": timing.tokenProcessingSeconds = num(flag, value()); break;
      case "--healthy-after-seconds": timing.healthyAfterSeconds = num(flag, value()); break;
      case "--availability-sample-ms": opts.availabilitySampleMs = num(flag, value()); break;
      case "--rate-limit": opts.rateLimitPerMinute = num(flag, value()); break;
      case "--rate-limit-action": {
        const m = /^([A-Za-z]+)=(\d+)$/.exec(value() ?? "");
        if (!m) fail("--rate-limit-action takes ACTION=N, e.g. DescribeInstances=300");
        opts.rateLimits = { ...(opts.rateLimits ?? {}), [m[1]!]: Number(m[2]) };
        break;
      }
      case "--access-key-id": keyId = value(); break;
      case "--access-key-secret": keySecret = value(); break;
      case "--quiet": opts.quiet = true; break;
      default: fail(`unknown option ${a}`);
    }
  }
  if ((keyId === undefined) !== (keySecret === undefined)) fail("--access-key-id and --access-key-secret go together");
  if (opts.host !== undefined && !isLoopbackHost(opts.host) && !opts.allowRemote) {
    fail(`--host ${opts.host} is not loopback: other machines could reach the simulator; add --allow-remote to mean it`);
  }
  if (keyId && keySecret) opts.credentials = [{ accessKeyId: keyId, accessKeySecret: keySecret }];
  opts.timing = timing;
  return opts;
}

async function main(): Promise<void> {
  const { empty, ...opts } = parseArgs(process.argv.slice(2));
  if (empty) {
    const { demoState } = await import("./state.js");
    const s: SimState = demoState();
    s.instances = [];
    s.loadBalancers = [];
    opts.state = s;
  }
  const sim = await startSimulator(opts);
  if (opts.allowRemote && opts.host !== undefined && !isLoopbackHost(opts.host)) {
    process.stderr.write(
      `ecs-sim: WARNING: listening on ${opts.host}, reachable from other machines over plain HTTP. Anyone who can reach it and ` +
        `knows the key pair${sim.accessKeyId === DEMO_CREDENTIALS.accessKeyId ? " (the public demo pair!)" : ""} can call the API; ` +
        `the admin API needs the admin token, which travels in clear.\n`,
    );
  }
  const t = sim.timing();
  process.stdout.write(
    [
      `ecs-sim listening on ${sim.url}`,
      `  endpoint host:     ${sim.endpointHost}   (openapi-core Config: endpoint + protocol "http")`,
      `  region:            ${sim.regionId}`,
      `  access key id:     ${sim.accessKeyId}`,
      `  access key secret: ${sim.accessKeySecret}`,
      `  timing:            cooldown ${t.cooldownSeconds}s, stop ${t.stopSeconds}s, start ${t.startSeconds}s, healthy after ${t.healthyAfterSeconds}s`,
      `  state file:        ${opts.stateFile ?? "(none, in memory)"}`,
      `  admin API:         ${sim.url}/_sim/state, /_sim/faults, /_sim/health-faults, /_sim/calls, /_sim/availability   (header authorization: Bearer $${ADMIN_TOKEN_ENV})`,
      `  health URLs:       ${sim.url}/_health/instance/{instanceId}, /_health/ip/{privateIp}   (no signature)`,
      ``,
      ...exportLines(sim.url, sim.accessKeyId, sim.accessKeySecret, sim.adminToken),
      ``,
    ].join("\n"),
  );
  if (sim.accessKeyId !== DEMO_CREDENTIALS.accessKeyId) process.stdout.write("(custom key pair)\n");
  const stop = () => {
    sim.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((e: Error) => {
  process.stderr.write(`ecs-sim: ${e.message}\n`);
  process.exit(1);
});
