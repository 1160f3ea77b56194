/**
 * The account's API rate limit as the ECS docs describe it: per action, per calendar minute, every
 * caller of the account counted; a call refused at minute T is served again from minute T+1.
 */

/** Calls of one action accepted in the current window, per action. */
export class RateWindows {
  private readonly windows = new Map<string, { window: number; count: number }>();

  /**
   * @param limitOf calls per window for an action (0 = no limit)
   * @param windowMs the window: a minute, or less in compressed time
   */
  constructor(
    private readonly limitOf: (action: string) => number,
    private readonly windowMs: number = 60_000,
  ) {}

  /** Counts a call of `action` at `nowMs`; false when the action's window is full (the call is refused, not counted). */
  take(action: string, nowMs: number): boolean {
    const limit = this.limitOf(action);
    if (limit <= 0) return true;
    const window = Math.floor(nowMs / this.windowMs);
    const w = this.windows.get(action);
    const count = w && w.window === window ? w.count : 0;
    if (count >= limit) return false;
    this.windows.set(action, { window, count: count + 1 });
    return true;
  }
}
