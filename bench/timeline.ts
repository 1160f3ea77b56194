/**
 * One SVG timeline per scenario: a lane per strategy showing the instance's status over time
 * (from the bench's status samples), the cooldown after each successful ModifyInstanceSpec, and
 * every API call as a tick (from the simulator's call log). Plain string building, no dependency.
 */

/** One status sample of the instance, as the bench's sampler takes them. */
export interface TimelineSample {
  /** Epoch ms. */
  readonly t: number;
  /** `Running`, `Stopping`, `Stopped`, `Starting`, … */
  readonly status: string;
}

/** One API call as the simulator logged it. */
export interface TimelineCall {
  /** Epoch ms. */
  readonly atMs: number;
  readonly action: string;
  /** 200 for a success. */
  readonly httpStatus: number;
  readonly code?: string;
  /** Set when an injected fault shaped the answer. */
  readonly fault?: string;
}

/** One strategy's run. */
export interface TimelineLane {
  /** e.g. `engine`, `naive`, `terraform` */
  readonly name: string;
  /** Short lines under the name, e.g. `wall 9.1 s · down 4.0 s`. */
  readonly summary: readonly string[];
  /** When the run started and ended, epoch ms; the lane's time 0 is `startMs`. */
  readonly startMs: number;
  readonly endMs: number;
  readonly samples: readonly TimelineSample[];
  readonly calls: readonly TimelineCall[];
  /** Shown in red at the end of the lane, e.g. `gave up on ModifyInstanceSpec: InternalError`. */
  readonly problem?: string;
  /** The run left the instance down: its last status is drawn faded up to the end of the axis. */
  readonly leftDown?: boolean;
}

/** A whole picture. */
export interface Timeline {
  readonly title: string;
  /** A second line, e.g. the simulator timing. */
  readonly subtitle?: string;
  /** Cooldown after each successful ModifyInstanceSpec, s. */
  readonly cooldownSeconds: number;
  readonly lanes: readonly TimelineLane[];
}

const STATUS_COLORS: Record<string, string> = {
  Running: "#59a14f",
  Stopping: "#f28e2b",
  Stopped: "#3b4c63",
  Starting: "#edc948",
};
const OTHER_STATUS_COLOR = "#bab0ac";
const COLOR = {
  change: "#222222",
  read: "#9a9a9a",
  refused: "#d62728",
  injected: "#b07aa1",
  cooldown: "#4e79a7",
  axis: "#555555",
  grid: "#e4e4e4",
  text: "#222222",
  muted: "#666666",
};
const CHANGE_ACTIONS = new Set(["ModifyInstanceSpec", "StopInstance", "StartInstance"]);

const LAYOUT = {
  width: 980,
  labelWidth: 190,
  right: 24,
  top: 54,
  laneHeight: 62,
  /** Within a lane: ticks above the status bar, cooldown band below it. */
  tickTop: 6,
  barTop: 24,
  barHeight: 18,
  bandTop: 45,
  bandHeight: 7,
  axisHeight: 34,
  legendHeight: 50,
};

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const num = (x: number) => (Math.round(x * 10) / 10).toString();

/** A step of 1, 2 or 5 × 10^k giving at most about 12 ticks over `span`. */
function tickStep(span: number): number {
  const raw = span / 12;
  const p = 10 ** Math.floor(Math.log10(raw > 0 ? raw : 1));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
}

/** Consecutive samples with one status, as [from, to) intervals in ms since the lane's start. */
function statusSegments(lane: TimelineLane): { from: number; to: number; status: string }[] {
  const out: { from: number; to: number; status: string }[] = [];
  const samples = lane.samples.filter((s) => s.t >= lane.startMs - 1);
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    const from = Math.max(0, s.t - lane.startMs);
    // The sampler's last sample is taken just after the run ends.
    const to = (i + 1 < samples.length ? samples[i + 1]!.t : Math.max(lane.endMs, s.t)) - lane.startMs;
    const last = out.at(-1);
    if (last && last.status === s.status) last.to = to;
    else out.push({ from, to, status: s.status });
  }
  return out.filter((s) => s.to > s.from);
}

/** The SVG document for `t`. */
export function timelineSvg(t: Timeline): string {
  const L = LAYOUT;
  const spanMs = Math.max(1000, ...t.lanes.map((l) => l.endMs - l.startMs));
  const step = tickStep(spanMs / 1000);
  const axisEnd = Math.ceil(spanMs / 1000 / step) * step;
  const plotWidth = L.width - L.labelWidth - L.right;
  const x = (ms: number) => L.labelWidth + (ms / 1000 / axisEnd) * plotWidth;
  const lanesBottom = L.top + t.lanes.length * L.laneHeight;
  const height = lanesBottom + L.axisHeight + L.legendHeight;
  const out: string[] = [];

  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${L.width}" height="${height}" viewBox="0 0 ${L.width} ${height}" ` +
      `font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<defs><pattern id="cooldown" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
      `<rect width="6" height="6" fill="${COLOR.cooldown}" fill-opacity="0.18"/>` +
      `<line x1="0" y1="0" x2="0" y2="6" stroke="${COLOR.cooldown}" stroke-width="2"/></pattern></defs>`,
    `<rect width="${L.width}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="bold" fill="${COLOR.text}">${esc(t.title)}</text>`,
  );
  if (t.subtitle) out.push(`<text x="12" y="40" fill="${COLOR.muted}">${esc(t.subtitle)}</text>`);

  // Vertical grid lines at the axis ticks, behind the lanes.
  for (let s = 0; s <= axisEnd + 1e-9; s += step) {
    out.push(`<line x1="${num(x(s * 1000))}" y1="${L.top}" x2="${num(x(s * 1000))}" y2="${lanesBottom}" stroke="${COLOR.grid}"/>`);
  }

  t.lanes.forEach((lane, i) => {
    const y0 = L.top + i * L.laneHeight;
    const endMs = lane.endMs - lane.startMs;
    out.push(`<text x="12" y="${y0 + L.barTop + 4}" font-size="13" font-weight="bold" fill="${COLOR.text}">${esc(lane.name)}</text>`);
    lane.summary.forEach((line, k) => {
      out.push(`<text x="12" y="${y0 + L.barTop + 18 + k * 13}" font-size="10.5" fill="${COLOR.muted}">${esc(line)}</text>`);
    });
    const finalStatus = lane.samples.at(-1)?.status;
    if (lane.leftDown && finalStatus && endMs < axisEnd * 1000) {
      const color = STATUS_COLORS[finalStatus] ?? OTHER_STATUS_COLOR;
      out.push(
        `<rect x="${num(x(endMs))}" y="${y0 + L.barTop}" width="${num(x(axisEnd * 1000) - x(endMs))}" height="${L.barHeight}" fill="${color}" fill-opacity="0.3">` +
          `<title>${esc(`still ${finalStatus} after the run`)}</title></rect>`,
      );
    }
    for (const seg of statusSegments(lane)) {
      const color = STATUS_COLORS[seg.status] ?? OTHER_STATUS_COLOR;
      out.push(
        `<rect x="${num(x(seg.from))}" y="${y0 + L.barTop}" width="${num(Math.max(0.5, x(seg.to) - x(seg.from)))}" height="${L.barHeight}" fill="${color}">` +
          `<title>${esc(`${seg.status} ${(seg.from / 1000).toFixed(2)}–${(seg.to / 1000).toFixed(2)} s`)}</title></rect>`,
      );
    }
    for (const c of lane.calls) {
      if (c.action !== "ModifyInstanceSpec" || c.httpStatus !== 200) continue;
      const from = c.atMs - lane.startMs;
      const to = Math.min(endMs, from + t.cooldownSeconds * 1000);
      if (to <= from) continue;
      out.push(
        `<rect x="${num(x(from))}" y="${y0 + L.bandTop}" width="${num(x(to) - x(from))}" height="${L.bandHeight}" fill="url(#cooldown)" stroke="${COLOR.cooldown}" stroke-width="0.6">` +
          `<title>${esc(`cooldown from ${(from / 1000).toFixed(2)} s`)}</title></rect>`,
      );
    }
    for (const c of lane.calls) {
      const at = c.atMs - lane.startMs;
      // A DryRun that passed (DryRunOperation) neither failed nor changed anything: drawn as a read.
      const dryRun = c.code === "DryRunOperation";
      const failed = c.httpStatus !== 200 && !dryRun;
      const change = CHANGE_ACTIONS.has(c.action) && !dryRun;
      const color = c.fault ? COLOR.injected : failed ? COLOR.refused : change ? COLOR.change : COLOR.read;
      const top = y0 + L.tickTop + (change || failed ? 0 : 8);
      const width = failed || change ? 1.6 : 1;
      out.push(
        `<line x1="${num(x(at))}" y1="${top}" x2="${num(x(at))}" y2="${y0 + L.barTop - 2}" stroke="${color}" stroke-width="${width}">` +
          `<title>${esc(`${(at / 1000).toFixed(2)} s ${c.action}${c.code ? ` ${c.code}` : ""}${c.fault ? " (injected)" : ""}`)}</title></line>`,
      );
    }
    // End of the run.
    out.push(`<line x1="${num(x(endMs))}" y1="${y0 + L.tickTop}" x2="${num(x(endMs))}" y2="${y0 + L.bandTop + L.bandHeight}" stroke="${COLOR.text}" stroke-width="1.5" stroke-dasharray="3,2"/>`);
    if (lane.problem) {
      const px = x(endMs) + 6;
      const anchor = px > L.width - 260 ? "end" : "start";
      const tx = anchor === "end" ? x(endMs) - 6 : px;
      out.push(`<text x="${num(tx)}" y="${y0 + L.barTop + 13}" text-anchor="${anchor}" font-size="11" font-weight="bold" fill="${COLOR.refused}">${esc(lane.problem)}</text>`);
    }
  });

  // Time axis.
  out.push(`<line x1="${L.labelWidth}" y1="${lanesBottom + 4}" x2="${L.labelWidth + plotWidth}" y2="${lanesBottom + 4}" stroke="${COLOR.axis}"/>`);
  for (let s = 0; s <= axisEnd + 1e-9; s += step) {
    const px = num(x(s * 1000));
    out.push(
      `<line x1="${px}" y1="${lanesBottom + 4}" x2="${px}" y2="${lanesBottom + 9}" stroke="${COLOR.axis}"/>`,
      `<text x="${px}" y="${lanesBottom + 22}" text-anchor="middle" fill="${COLOR.axis}">${num(s)}</text>`,
    );
  }
  out.push(`<text x="${L.labelWidth - 8}" y="${lanesBottom + 22}" text-anchor="end" fill="${COLOR.axis}">time, s</text>`);

  // Legend: two rows.
  const ly = lanesBottom + L.axisHeight + 10;
  let lx = 12;
  const swatch = (fill: string, label: string) => {
    out.push(`<rect x="${lx}" y="${ly}" width="14" height="11" fill="${fill}"/>`, `<text x="${lx + 19}" y="${ly + 10}" fill="${COLOR.text}">${esc(label)}</text>`);
    lx += 28 + label.length * 6.4;
  };
  const tick = (color: string, label: string, y: number) => {
    out.push(`<line x1="${lx + 7}" y1="${y}" x2="${lx + 7}" y2="${y + 12}" stroke="${color}" stroke-width="1.8"/>`, `<text x="${lx + 19}" y="${y + 10}" fill="${COLOR.text}">${esc(label)}</text>`);
    lx += 28 + label.length * 6.4;
  };
  for (const s of ["Running", "Stopping", "Stopped", "Starting"]) swatch(STATUS_COLORS[s]!, s.toLowerCase());
  out.push(`<rect x="${lx}" y="${ly + 2}" width="26" height="8" fill="url(#cooldown)" stroke="${COLOR.cooldown}" stroke-width="0.6"/>`);
  out.push(`<text x="${lx + 31}" y="${ly + 10}" fill="${COLOR.text}">cooldown after a successful ModifyInstanceSpec</text>`);
  lx = 12;
  const ly2 = ly + 20;
  tick(COLOR.change, "change call (Modify/Stop/Start)", ly2);
  tick(COLOR.read, "read (Describe*)", ly2);
  tick(COLOR.refused, "refused call", ly2);
  tick(COLOR.injected, "injected fault", ly2);
  out.push(
    `<line x1="${lx + 7}" y1="${ly2}" x2="${lx + 7}" y2="${ly2 + 12}" stroke="${COLOR.text}" stroke-width="1.5" stroke-dasharray="3,2"/>`,
    `<text x="${lx + 19}" y="${ly2 + 10}" fill="${COLOR.text}">end of the run</text>`,
  );
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}
