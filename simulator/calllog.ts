/**
 * The call log: every API call as the simulator saw and answered it, bounded in entries and bytes
 * so that a simulator left running keeps a steady memory, and read in pages.
 * Entries are kept as JSON text: that is what is served, and it is several times smaller than the
 * objects it comes from.
 */
import type { FaultSpec } from "./faults.js";

/** One API call as the simulator saw and answered it. */
export interface CallLogEntry {
  /** Position in the log: 1 for the first call since start, +1 per call (never reused, not even after a clear). */
  seq: number;
  /** When the call arrived, ISO. */
  at: string;
  /** The same, epoch ms. */
  atMs: number;
  /** The action (`Action` parameter or `x-acs-action` header), `""` if none. */
  action: string;
  /** Request parameters without signature/auth noise (and without `Action`). */
  params: Record<string, string>;
  /** HTTP status answered; 0 when the connection was dropped before any answer. */
  httpStatus: number;
  /** The error code, if the answer was an error. */
  code?: string;
  /** The body answered (or, for `lostResponse`, the body that was lost). */
  response: unknown;
  /** The injected fault that shaped this call, if any. */
  fault?: FaultSpec["kind"];
  /** The signature version of the request, when it authenticated. */
  signatureVersion?: "V1" | "V3";
}

/** How much of the log is kept; the oldest entries go first. The newest entry is always kept. */
export interface CallLogLimits {
  /** Entries kept at most. Default 10,000. */
  maxEntries: number;
  /** Bytes kept at most, counting each entry as its JSON text in UTF-8. Default 32 MiB. */
  maxBytes: number;
}

/** The default bounds of the call log. */
export const DEFAULT_CALL_LOG_LIMITS: Readonly<CallLogLimits> = Object.freeze({ maxEntries: 10_000, maxBytes: 32 * 1024 * 1024 });

/** What the log holds now, and what it has let go. */
export interface CallLogStats extends CallLogLimits {
  /** Entries kept. */
  entries: number;
  /** Bytes kept. */
  bytes: number;
  /** Entries let go to stay within the bounds since the start (a clear does not count). */
  dropped: number;
  /** `seq` of the newest call, 0 before the first. */
  lastSeq: number;
}

/** Which entries a page holds. */
export interface CallLogQuery {
  /** Only entries with a greater `seq` (the `next` of the previous page). */
  after?: number;
  /** Only entries that arrived at or after this epoch ms. */
  since?: number;
  /** Only this action. */
  action?: string;
  /** At most this many entries. */
  limit: number;
}

interface Stored {
  seq: number;
  action: string;
  atMs: number;
  json: string;
  bytes: number;
}

/** Checks limits given by a user; returns an error message or undefined. */
export function callLogLimitsProblem(l: Partial<CallLogLimits>): string | undefined {
  for (const key of ["maxEntries", "maxBytes"] as const) {
    const v = l[key];
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 1)) return `callLog.${key} must be an integer >= 1`;
  }
  return undefined;
}

/** The bounded call log. */
export class CallLog {
  private items: Stored[] = [];
  /** Index of the oldest kept entry in `items` (evicting from the front without shifting each time). */
  private head = 0;
  private bytes = 0;
  private nextSeq = 1;
  private dropped = 0;
  private readonly limits: CallLogLimits;

  constructor(limits: Partial<CallLogLimits> = {}) {
    const problem = callLogLimitsProblem(limits);
    if (problem) throw new Error(problem);
    this.limits = { ...DEFAULT_CALL_LOG_LIMITS, ...limits };
  }

  private get size(): number {
    return this.items.length - this.head;
  }

  /** Appends an entry (its `seq` is assigned here) and lets the oldest go past the bounds. */
  add(entry: Omit<CallLogEntry, "seq">): void {
    const seq = this.nextSeq++;
    const json = JSON.stringify({ seq, ...entry });
    const bytes = Buffer.byteLength(json);
    this.items.push({ seq, action: entry.action, atMs: entry.atMs, json, bytes });
    this.bytes += bytes;
    while (this.size > 1 && (this.size > this.limits.maxEntries || this.bytes > this.limits.maxBytes)) {
      this.bytes -= this.items[this.head].bytes;
      this.head++;
      this.dropped++;
    }
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /** Every kept entry, oldest first. */
  all(): CallLogEntry[] {
    return this.items.slice(this.head).map((s) => JSON.parse(s.json) as CallLogEntry);
  }

  /**
   * One page of kept entries, oldest first, as JSON texts. `next` is the `after` of the following
   * page, or null when this page reaches the newest entry.
   */
  page(q: CallLogQuery): { json: string[]; next: number | null } {
    let lo = this.head;
    let hi = this.items.length;
    const after = q.after ?? 0;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.items[mid].seq <= after) lo = mid + 1;
      else hi = mid;
    }
    const json: string[] = [];
    let i = lo;
    for (; i < this.items.length && json.length < q.limit; i++) {
      const s = this.items[i];
      if ((q.action === undefined || s.action === q.action) && (q.since === undefined || s.atMs >= q.since)) json.push(s.json);
    }
    return { json, next: i < this.items.length ? this.items[i - 1].seq : null };
  }

  clear(): void {
    this.items = [];
    this.head = 0;
    this.bytes = 0;
  }

  stats(): CallLogStats {
    return { ...this.limits, entries: this.size, bytes: this.bytes, dropped: this.dropped, lastSeq: this.nextSeq - 1 };
  }
}
