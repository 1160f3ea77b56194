/**
 * One API budget per account and region for the whole provider process. ECS throttles every action
 * per account, per region, per minute, and every resource of a stack runs in one provider process,
 * so the calls of all of them go through one {@link ApiScheduler}: a per-action budget, priorities,
 * an adaptive pause of the whole action when the API still answers `Throttling.User` /
 * `Throttling.Api`, coalesced `DescribeInstances` reads, and run-long caches of reads whose answer
 * does not change. It sits below the `EcsApi` interface (see `client.ts`): the engine does not know it.
 */
import { realClock, type Clock } from "./clock";
import { isEcsApiError } from "./errors";

/**
 * How urgent a call is, when the budget makes calls wait: `downtime` (the instance is stopped, or
 * rebooting, for a change; every second waited is downtime) before `normal` (an apply's other calls) before
 * `preview` (check, diff, refresh).
 */
export type ApiPriority = "downtime" | "normal" | "preview";

const RANK: Readonly<Record<ApiPriority, number>> = { downtime: 0, normal: 1, preview: 2 };

/**
 * Calls per minute this process allows itself, per action (`default` for actions not named).
 * ECS publishes no numbers (they are per account in Quota Center, and the console and other tools
 * share them), so the default is a conservative share: 200 a minute leaves room for other callers
 * under quotas of a few hundred, and is far more than a fleet needs once reads are batched.
 */
export const DEFAULT_API_RATE_LIMITS: Readonly<Record<string, number>> = Object.freeze({ default: 200 });

/** The actions whose budget can be set in stack config (`pulumi-ecs-spec:apiRateLimits`). */
export const RATE_LIMITED_ACTIONS = [
  "DescribeInstances",
  "DescribeDisks",
  "DescribeResourcesModification",
  "StopInstance",
  "StartInstance",
  "ModifyInstanceSpec",
  "TagResources",
  "UntagResources",
  // CLB (health checks): its calls go through a scheduler of their own (CLB has its own limits).
  "DescribeHealthStatus",
] as const;

/** Ids per `DescribeInstances` call: the API's maximum for `InstanceIds` and `PageSize`. */
export const MAX_IDS_PER_DESCRIBE = 100;

/** Options of an {@link ApiScheduler}. */
export interface SchedulerOptions {
  /** Calls per minute per action; `default` for the others. Default {@link DEFAULT_API_RATE_LIMITS}. */
  readonly limits?: Readonly<Record<string, number>>;
  readonly clock?: Clock;
  /** How long a read waits for others to join its `DescribeInstances`, ms. Default 30. */
  readonly coalesceMs?: number;
  /**
   * How old an answer of a batched read may be and still serve a later `normal` read of the
   * same id, ms (never one sent before the process's last change of the instance). Default 300.
   */
  readonly freshMs?: number;
  /**
   * How long after its last non-preview read an id counts as being watched (polled), ms: watched
   * ids ride along in every batch, so their next poll is served from that answer. Default 15 s.
   */
  readonly watchMs?: number;
  /**
   * How long one call may be held back by the budget (throttled answers included) before the
   * last `Throttling.User` is passed to the caller, ms. Default 15 minutes.
   */
  readonly maxWaitMs?: number;
}

/** Called once per call that the budget holds back for a second or more. */
export type BudgetWaitListener = (action: string, waitMs: number) => void;

const MINUTE_MS = 60_000;
// A throttled answer pauses the action: 0.25 s, doubling with each throttled answer in a row, never
// past the next minute of the API's count ("throttled at minute T, callable again from minute
// T+1") plus a margin for clocks that disagree. A lone refusal (a burst of someone else's) costs a
// quarter second; a budget spent for the minute costs the rest of the minute and a few calls.
const FIRST_PAUSE_MS = 250;
const MINUTE_MARGIN_MS = 500;
const NOTICE_MS = 1_000;

/** True for the answers of the account's or the API's rate limit (not `Throttling`, the cooldown). */
export function isRateLimitError(e: unknown): boolean {
  return isEcsApiError(e) && (e.code === "Throttling.User" || e.code === "Throttling.Api");
}

interface Waiter {
  readonly rank: number;
  readonly seq: number;
  readonly grant: () => void;
}

/**
 * The budget of one action: at most `limit` calls in any 60 s (each call's slot comes back a
 * minute after it was taken, so no calendar minute of the API can see more), lowered when the API
 * throttles anyway (someone else spends the same budget) and raised back a quarter of its limit per minute without one.
 */
class ActionBudget {
  private readonly sent: number[] = [];
  private readonly queue: Waiter[] = [];
  private seq = 0;
  private pausedUntil = 0;
  private lastThrottledAt = -Infinity;
  private lastRaisedAt = -Infinity;
  private throttledInARow = 0;
  private wakeAt = Infinity;
  effective: number;

  constructor(
    private limit: number,
    private readonly clock: Clock,
  ) {
    this.effective = limit;
  }

  setLimit(limit: number): void {
    this.limit = limit;
    this.effective = Math.min(this.effective, limit);
    if (this.lastThrottledAt === -Infinity) this.effective = limit;
    this.pump();
  }

  /** Resolves when a slot is granted; `onWait` gets the expected wait when it is a second or more. */
  acquire(priority: ApiPriority, onWait?: (ms: number) => void): Promise<void> {
    return new Promise<void>((resolve) => {
      this.queue.push({ rank: RANK[priority], seq: this.seq++, grant: resolve });
      this.queue.sort((a, b) => a.rank - b.rank || a.seq - b.seq);
      this.pump();
      if (onWait && this.queue.some((w) => w.grant === resolve)) {
        const wait = this.nextSlotAt() - this.clock.now();
        if (wait >= NOTICE_MS) onWait(wait);
      }
    });
  }

  /** The API throttled this action: pause it (see FIRST_PAUSE_MS) and halve its budget, once per run of refusals. */
  throttled(): void {
    const now = this.clock.now();
    this.lastThrottledAt = now;
    if (this.throttledInARow === 0) this.effective = Math.max(1, Math.floor(this.effective / 2));
    const nextMinute = (Math.floor(now / MINUTE_MS) + 1) * MINUTE_MS + MINUTE_MARGIN_MS;
    const pause = Math.min(nextMinute - now, FIRST_PAUSE_MS * 2 ** this.throttledInARow++);
    this.pausedUntil = Math.max(this.pausedUntil, now + pause);
    this.pump();
  }

  /** An answer that was not a rate limit. */
  answered(): void {
    this.throttledInARow = 0;
  }

  private prune(now: number): void {
    while (this.sent.length > 0 && this.sent[0]! <= now - MINUTE_MS) this.sent.shift();
  }

  private nextSlotAt(): number {
    const now = this.clock.now();
    const freeAt = this.sent.length < this.effective ? now : this.sent[this.sent.length - this.effective]! + MINUTE_MS;
    return Math.max(now, this.pausedUntil, freeAt);
  }

  private pump(): void {
    const now = this.clock.now();
    this.prune(now);
    if (this.effective < this.limit && now - this.lastThrottledAt >= MINUTE_MS && now - this.lastRaisedAt >= MINUTE_MS) {
      this.effective = Math.min(this.limit, this.effective + Math.ceil(this.limit / 4));
      this.lastRaisedAt = now;
    }
    while (this.queue.length > 0 && now >= this.pausedUntil && this.sent.length < this.effective) {
      this.sent.push(now);
      this.queue.shift()!.grant();
    }
    if (this.queue.length === 0) return;
    const at = this.nextSlotAt();
    if (at >= this.wakeAt) return;
    this.wakeAt = at;
    void this.clock.sleep(at - now).then(() => {
      if (this.wakeAt === at) this.wakeAt = Infinity;
      this.pump();
    });
  }
}

interface PendingRead<T> {
  readonly id: string;
  readonly rank: number;
  readonly since: number;
  readonly resolve: (v: T | undefined) => void;
  readonly reject: (e: unknown) => void;
  readonly onWait?: BudgetWaitListener;
}

/** Sends one batched read: the entries found, by id. */
export type BatchSender<T> = (ids: readonly string[]) => Promise<ReadonlyMap<string, T>>;

/**
 * The budget, the coalescer and the caches of one account and region. Get the process's one with
 * {@link schedulerFor}; tests make their own.
 */
export class ApiScheduler {
  private readonly budgets = new Map<string, ActionBudget>();
  private limits: Readonly<Record<string, number>>;
  private readonly clock: Clock;
  private readonly coalesceMs: number;
  private readonly maxWaitMs: number;
  private readonly memo = new Map<string, { value: Promise<unknown>; until: number }>();
  private pending: PendingRead<unknown>[] = [];
  private sender: BatchSender<unknown> | undefined;
  private flushScheduled = false;
  private readonly fresh = new Map<string, { value: unknown; sentAt: number }>();
  private readonly watched = new Map<string, number>();
  private readonly changedAt = new Map<string, number>();
  private readonly freshMs: number;
  private readonly watchMs: number;
  /** What the type catalogue of each instance read in this process is keyed by (set by the client). */
  readonly catalogueKeys = new Map<string, string>();
  /**
   * Instances this process took down and has not seen Running since: their calls are downtime.
   * Those it stopped, and those rebooting for a subscription upgrade it ordered (see `rebooting`).
   */
  readonly down = new Set<string>();
  /**
   * Subscription instances rebooting for an upgrade this process ordered while they ran
   * (RebootWhenFinished), by the type they reboot into: still Running on the old type until the
   * order settles, they leave `down` only once seen Running with the new one.
   */
  readonly rebooting = new Map<string, string>();

  constructor(opts: SchedulerOptions = {}) {
    this.limits = { ...DEFAULT_API_RATE_LIMITS, ...(opts.limits ?? {}) };
    this.clock = opts.clock ?? realClock;
    this.coalesceMs = opts.coalesceMs ?? 30;
    this.freshMs = opts.freshMs ?? 300;
    this.watchMs = opts.watchMs ?? 15_000;
    this.maxWaitMs = opts.maxWaitMs ?? 15 * MINUTE_MS;
  }

  /** Changes the per-action limits (those not named keep the default). */
  setLimits(limits: Readonly<Record<string, number>>): void {
    this.limits = { ...DEFAULT_API_RATE_LIMITS, ...limits };
    for (const [action, b] of this.budgets) b.setLimit(this.limitOf(action));
  }

  /** The calls per minute `action` may make now (lower than its limit after a throttled answer). */
  effectiveLimit(action: string): number {
    return this.budget(action).effective;
  }

  private limitOf(action: string): number {
    return this.limits[action] ?? this.limits.default ?? DEFAULT_API_RATE_LIMITS.default!;
  }

  private budget(action: string): ActionBudget {
    let b = this.budgets.get(action);
    if (!b) {
      b = new ActionBudget(this.limitOf(action), this.clock);
      this.budgets.set(action, b);
    }
    return b;
  }

  /**
   * Runs `send` within `action`'s budget. A rate-limit answer pauses the whole action and the call
   * is sent again when the budget allows: the caller sees it only after `maxWaitMs`.
   */
  async call<T>(action: string, priority: ApiPriority, send: () => Promise<T>, onWait?: BudgetWaitListener): Promise<T> {
    const since = this.clock.now();
    const budget = this.budget(action);
    let noticed = false;
    const notice = (ms: number) => {
      if (!noticed) onWait?.(action, ms);
      noticed = true;
    };
    for (;;) {
      await budget.acquire(priority, notice);
      try {
        const value = await send();
        budget.answered();
        return value;
      } catch (e) {
        if (!isRateLimitError(e)) {
          budget.answered();
          throw e;
        }
        if (this.clock.now() - since >= this.maxWaitMs) throw e;
        budget.throttled();
      }
    }
  }

  /**
   * One entry of a batched read (`DescribeInstances` by id): reads asked for within `coalesceMs`
   * of each other, or while the budget holds them, go out as one call of up to
   * {@link MAX_IDS_PER_DESCRIBE} ids. Ids read (not for a preview) within `watchMs` fill the rest
   * of every call, and a `normal` read is answered from an entry sent at most `freshMs` ago and
   * after the last {@link ApiScheduler.changed} of its id, without a call: instances polled at
   * different moments share calls. Resolves with the entry for `id`, or `undefined`.
   */
  readBatched<T>(action: string, id: string, priority: ApiPriority, send: BatchSender<T>, onWait?: BudgetWaitListener): Promise<T | undefined> {
    if (priority !== "preview") {
      const now = this.clock.now();
      this.watched.set(id, now);
      // A downtime read is never answered from an earlier batch: a status a few hundred ms old makes
      // its poll miss the transition and wait a whole poll interval more, with the instance down.
      const hit = priority === "downtime" ? undefined : this.fresh.get(id);
      if (hit && now - hit.sentAt <= this.freshMs && hit.sentAt > (this.changedAt.get(id) ?? -Infinity)) return Promise.resolve(hit.value as T);
    }
    return new Promise<T | undefined>((resolve, reject) => {
      this.pending.push({ id, rank: RANK[priority], since: this.clock.now(), resolve: resolve as (v: unknown) => void, reject, ...(onWait ? { onWait } : {}) });
      this.sender ??= send as BatchSender<unknown>;
      if (this.flushScheduled) return;
      this.flushScheduled = true;
      void this.clock.sleep(this.coalesceMs).then(() => this.flush(action));
    });
  }

  private async flush(action: string): Promise<void> {
    const budget = this.budget(action);
    const best = (): ApiPriority => (["downtime", "normal", "preview"] as const)[Math.min(...this.pending.map((p) => p.rank))]!;
    await budget.acquire(best(), (ms) => {
      for (const p of this.pending) p.onWait?.(action, ms);
    });
    // Reads that arrived while the budget held this one join it.
    this.pending.sort((a, b) => a.rank - b.rank || a.since - b.since);
    const ids: string[] = [];
    const taken: PendingRead<unknown>[] = [];
    const rest: PendingRead<unknown>[] = [];
    for (const p of this.pending) {
      if (ids.includes(p.id) || ids.length < MAX_IDS_PER_DESCRIBE) {
        if (!ids.includes(p.id)) ids.push(p.id);
        taken.push(p);
      } else rest.push(p);
    }
    this.pending = rest;
    const now = this.clock.now();
    if (rest.length === 0 && taken.some((p) => p.rank !== RANK.preview)) {
      for (const [id, at] of this.watched) {
        if (now - at > this.watchMs) this.watched.delete(id);
        else if (ids.length < MAX_IDS_PER_DESCRIBE && !ids.includes(id)) ids.push(id);
      }
    }
    const send = this.sender!;
    if (rest.length === 0) this.sender = undefined;
    this.flushScheduled = rest.length > 0;
    if (rest.length > 0) void this.flush(action);
    try {
      const found = await send(ids);
      budget.answered();
      for (const [id, value] of found) {
        if (now > (this.changedAt.get(id) ?? -Infinity)) this.fresh.set(id, { value, sentAt: now });
      }
      for (const p of taken) p.resolve(found.get(p.id));
    } catch (e) {
      if (isRateLimitError(e)) {
        budget.throttled();
        const at = this.clock.now();
        const again = taken.filter((p) => at - p.since < this.maxWaitMs);
        for (const p of taken) if (!again.includes(p)) p.reject(e);
        if (again.length > 0) {
          this.pending.push(...again);
          this.sender ??= send;
          if (!this.flushScheduled) {
            this.flushScheduled = true;
            void this.flush(action);
          }
        }
        return;
      }
      budget.answered();
      for (const p of taken) p.reject(e);
    }
  }

  /**
   * A call that changes instance `id` was answered: no batched answer sent before now serves a
   * later read of it (a poll after a stop must not see the status from before the stop).
   */
  changed(id: string): void {
    this.changedAt.set(id, this.clock.now());
    this.fresh.delete(id);
  }

  /**
   * `read()` once per `key` for `ttlMs` (Infinity: for the process): callers within that time share
   * the answer. A failed read is forgotten at once.
   */
  cached<T>(key: string, ttlMs: number, read: () => Promise<T>): Promise<T> {
    const now = this.clock.now();
    const hit = this.memo.get(key);
    if (hit && hit.until > now) return hit.value as Promise<T>;
    const value = read();
    this.memo.set(key, { value, until: now + ttlMs });
    value.catch(() => {
      if (this.memo.get(key)?.value === value) this.memo.delete(key);
    });
    return value;
  }
}

let processLimits: Readonly<Record<string, number>> = DEFAULT_API_RATE_LIMITS;
let enabled = true;
const schedulers = new Map<string, ApiScheduler>();

/**
 * Sets the per-action limits of every scheduler of the process (from stack config), and whether
 * calls go through a shared scheduler at all (`enabled: false` gives every client its own
 * unlimited path, as before schedulers existed: for comparisons only).
 */
export function configureApiScheduling(opts: { limits?: Readonly<Record<string, number>>; enabled?: boolean }): void {
  if (opts.limits) {
    processLimits = { ...DEFAULT_API_RATE_LIMITS, ...opts.limits };
    for (const s of schedulers.values()) s.setLimits(processLimits);
  }
  if (opts.enabled !== undefined) enabled = opts.enabled;
}

/**
 * The process's scheduler for `key` (an opaque identity of endpoint, region and credentials; the
 * caller hashes it so no credential is ever a readable key), or `undefined` when scheduling is off.
 */
export function schedulerFor(key: string): ApiScheduler | undefined {
  if (!enabled) return undefined;
  let s = schedulers.get(key);
  if (!s) {
    s = new ApiScheduler({ limits: processLimits });
    schedulers.set(key, s);
  }
  return s;
}
