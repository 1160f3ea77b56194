/**
 * The provider process's lifecycle: what happens on the engine's interrupt, and when the CLI that
 * started this process is gone. Nothing here knows about ECS; the runtime wraps every apply in
 * {@link trackApply} and passes {@link shutdownSignal} to it.
 */
import * as net from "node:net";

/**
 * The CLI runs this process in a process group of its own, so a terminal's Ctrl-C does not reach
 * it; the CLI itself sends SIGINT when it shuts its plugins down (after a second Ctrl-C, say), and
 * SIGKILL 5 s later if it is still there to. Dying on that SIGINT could leave an instance stopped in
 * the middle of a type change; instead every apply in flight is aborted, which makes the engine
 * send `StartInstance` for an instance it stopped (within milliseconds) and report a partial
 * failure, and the process exits once they have settled. With nothing in flight, or at a second
 * signal, it exits at once.
 */
const shutdown = new AbortController();

/** Aborted on the engine's interrupt: every apply in flight listens to it. */
export const shutdownSignal: AbortSignal = shutdown.signal;
let appliesInFlight = 0;
let processGuarded = false;

/** How often the guard looks for settled applies and a gone engine. */
const GUARD_TICK_MS = 1000;

/**
 * The engine's address, which the CLI passes to the provider process as its argument
 * (`…/dynamic-provider/index.js 127.0.0.1:PORT`); undefined when not run as a plugin.
 */
function engineAddress(): { host: string; port: number } | undefined {
  for (const arg of process.argv.slice(2)) {
    const m = /^\[?([\w.:-]+?)\]?:(\d+)$/.exec(arg);
    if (m) return { host: m[1]!, port: Number(m[2]) };
  }
  return undefined;
}

/** Resolves false when nothing listens at `address` any more (the CLI is gone). */
function engineAnswers(address: { host: string; port: number }): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(address.port, address.host);
    socket.setTimeout(5000);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", (e: NodeJS.ErrnoException) => resolve(e.code !== "ECONNREFUSED"));
  });
}

/**
 * Once per provider process: the signal handling above, and two guards for a CLI that died
 * without a word (killed alone), which leaves this process orphaned with its output pipes closed.
 * Writing a progress line then fails with EPIPE; the dynamic-provider host logs uncaught errors to
 * the same closed pipe, which fails again, forever, at full CPU and growing memory. So write errors
 * on stdout/stderr are dropped, the orphaned apply runs to its end, and the process exits as soon
 * as nothing is in flight and the engine no longer answers at its address.
 */
export function guardTheProcess(): void {
  if (processGuarded) return;
  processGuarded = true;
  process.stdout.on("error", () => undefined);
  process.stderr.on("error", () => undefined);
  const engine = engineAddress();
  let orphaned = false;
  let probing = false;
  setInterval(() => {
    if ((orphaned || shutdown.signal.aborted) && appliesInFlight === 0) process.exit(orphaned ? 0 : 130);
    if (engine && !orphaned && !probing) {
      probing = true;
      void engineAnswers(engine).then((answers) => {
        orphaned = !answers;
        probing = false;
      });
    }
  }, GUARD_TICK_MS).unref();
  const onSignal = (signal: NodeJS.Signals) => {
    if (appliesInFlight === 0 || shutdown.signal.aborted) process.exit(130);
    console.log(`pulumi-ecs-spec: ${signal}: interrupting ${appliesInFlight} apply(s); an instance they stopped is started again first`);
    shutdown.abort(new Error(`interrupted by ${signal}`));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

/** Runs one apply, counted as in flight (the process does not exit under it). */
export async function trackApply<T>(applyFn: () => Promise<T>): Promise<T> {
  guardTheProcess();
  appliesInFlight++;
  try {
    return await applyFn();
  } finally {
    appliesInFlight--;
  }
}
