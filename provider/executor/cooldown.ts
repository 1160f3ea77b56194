/**
 * Waiting for a moment on the run's clock — the end of a cooldown — with progress, bounded by the
 * apply's deadline and its abort signal. Below the retry wrapper, which waits out cooldowns too.
 */
import { formatDuration } from "../describe";
import { checkDeadline, signalOf, type CallOptions, type Run } from "./run";

/** Sleep until `untilMs`, reporting the remaining cooldown at least every `progressSeconds`. */
export async function waitUntil(run: Run, untilMs: number, opts: CallOptions = {}): Promise<void> {
  const signal = signalOf(run, opts);
  checkDeadline(run, untilMs, "waiting for the cooldown", opts.limitMs);
  for (let now = run.clock.now(); now < untilMs; now = run.clock.now()) {
    const remaining = untilMs - now;
    run.emit({
      type: "waitingForCooldown",
      remainingSeconds: remaining / 1000,
      message: `waiting for cooldown ${formatDuration(remaining / 1000)}`,
    });
    await run.clock.sleep(Math.min(remaining, run.timing.progressSeconds * 1000), signal);
  }
}

