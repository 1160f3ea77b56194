/** A fake clock for unit tests: `sleep` returns at once and moves time on by what was asked. */
import type { Clock } from "../../provider/clock";

/** Where a {@link FakeClock} starts: 2030-01-01T00:00:00Z. */
export const T0 = Date.UTC(2030, 0, 1);

/** Time that moves only by sleeps, each one recorded; `onSleep` sees each after time moved. */
export class FakeClock implements Clock {
  t = T0;
  sleeps: number[] = [];
  onSleep?: (ms: number) => void;
  now() {
    return this.t;
  }
  async sleep(ms: number, signal?: AbortSignal) {
    signal?.throwIfAborted();
    this.sleeps.push(ms);
    this.t += ms;
    this.onSleep?.(ms);
    signal?.throwIfAborted();
  }
}
