// Shows the write-rate controller at work during one measured apply: a small table for the log and an SVG plot.
import type { RateHistoryRow } from '../../src/entra/rate-controller.js';
import type { RateSample } from './write-rate.js';

/** One time step of the plot and table: seconds since the apply started. */
export interface RatePoint {
  readonly t: number;
  /** The controller's pace at the end of the step (writes/s), null when it answered nothing in that step. */
  readonly pace: number | null;
  /** Writes Graph (the emulator) applied in the step, per second. */
  readonly applied: number;
  /** Write requests Graph refused with 429 in the step. */
  readonly throttled: number;
}

/**
 * Merges the controller's per-second history (clock time from `controllerStart`) with the emulator's write counter
 * samples (ms since `samplesStart`) into steps of `stepS` seconds from the apply's start (`applyStart`, clock ms).
 */
export function ratePoints(
  history: readonly RateHistoryRow[],
  controllerStart: number,
  samples: readonly RateSample[],
  samplesStart: number,
  applyStart: number,
  applyEnd: number,
  stepS: number,
): RatePoint[] {
  const steps = Math.max(1, Math.ceil((applyEnd - applyStart) / 1000 / stepS));
  const writesAt = (clockMs: number): number => {
    // Writes counted by the last sample taken at or before clockMs.
    let w = 0;
    for (const s of samples) {
      if (samplesStart + s.t <= clockMs) w = s.writes;
      else break;
    }
    return w;
  };
  const throttledAt = (clockMs: number): number => {
    let w = 0;
    for (const s of samples) {
      if (samplesStart + s.t <= clockMs) w = s.throttled;
      else break;
    }
    return w;
  };
  const points: RatePoint[] = [];
  for (let i = 0; i < steps; i++) {
    const from = applyStart + i * stepS * 1000;
    const to = Math.min(applyEnd, from + stepS * 1000);
    const rows = history.filter((r) => {
      const at = controllerStart + r.second * 1000;
      return at >= from - 999 && at < to;
    });
    const last = rows.at(-1);
    const seconds = Math.max(0.001, (to - from) / 1000);
    points.push({
      t: (from - applyStart) / 1000,
      pace: last ? last.paceWritesPerSecond : null,
      applied: (writesAt(to) - writesAt(from)) / seconds,
      throttled: throttledAt(to) - throttledAt(from),
    });
  }
  return points;
}

/** The points as a fixed-width table (one line each), budget share of the applied rate included. */
export function rateTable(points: readonly RatePoint[], budgetPerSecond: number): string[] {
  const head = ['t (s)', 'pace (writes/s)', 'applied (writes/s)', 'of budget', '429s'];
  const rows = points.map((p) => [
    p.t.toFixed(0),
    p.pace === null ? '–' : p.pace.toFixed(1),
    p.applied.toFixed(1),
    `${((p.applied / budgetPerSecond) * 100).toFixed(0)} %`,
    String(p.throttled),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [line(head), ...rows.map(line)];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A self-contained SVG: the controller's pace and the applied rate over time, the budget's refill rate dashed,
 * 429s as red ticks on the time axis.
 */
export function rateSvg(points: readonly RatePoint[], budgetPerSecond: number, title: string): string {
  const W = 720;
  const H = 320;
  const m = { left: 56, right: 16, top: 36, bottom: 40 };
  const tMax = Math.max(1, ...points.map((p) => p.t + 1));
  const yMax =
    Math.max(budgetPerSecond * 1.25, ...points.map((p) => Math.max(p.applied, p.pace ?? 0)).filter(Number.isFinite)) *
    1.05;
  const x = (t: number) => m.left + (t / tMax) * (W - m.left - m.right);
  const y = (v: number) => H - m.bottom - (Math.min(v, yMax) / yMax) * (H - m.top - m.bottom);
  const poly = (vals: [number, number][]) => vals.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  // Each step's value is drawn at the middle of its step.
  const half = points.length > 1 ? (points[1]!.t - points[0]!.t) / 2 : 0.5;
  const applied = poly(points.map((p) => [p.t + half, p.applied]));
  const pace = poly(points.filter((p) => p.pace !== null).map((p) => [p.t + half, p.pace as number]));
  const yTicks = Array.from({ length: 5 }, (_, i) => (yMax / 5) * (i + 1));
  const xStep = tMax > 60 ? 10 : tMax > 20 ? 5 : 1;
  const xTicks = Array.from({ length: Math.floor(tMax / xStep) + 1 }, (_, i) => i * xStep);
  const ticks429 = points
    .filter((p) => p.throttled > 0)
    .map(
      (p) =>
        `<line x1="${x(p.t + half).toFixed(1)}" y1="${H - m.bottom}" x2="${x(p.t + half).toFixed(1)}" y2="${H - m.bottom - 8}" stroke="#c62828" stroke-width="2"><title>${p.throttled} × 429</title></line>`,
    );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${m.left}" y="18" font-size="13" font-weight="bold">${esc(title)}</text>`,
    ...yTicks.map(
      (v) =>
        `<line x1="${m.left}" x2="${W - m.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#eee"/><text x="${m.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v.toFixed(0)}</text>`,
    ),
    ...xTicks.map((t) => `<text x="${x(t).toFixed(1)}" y="${H - m.bottom + 16}" text-anchor="middle">${t}</text>`),
    `<text x="${(W + m.left) / 2}" y="${H - 6}" text-anchor="middle">seconds since the apply started</text>`,
    `<text x="14" y="${(H / 2).toFixed(0)}" transform="rotate(-90 14 ${(H / 2).toFixed(0)})" text-anchor="middle">writes per second</text>`,
    `<line x1="${m.left}" y1="${H - m.bottom}" x2="${W - m.right}" y2="${H - m.bottom}" stroke="#333"/>`,
    `<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${H - m.bottom}" stroke="#333"/>`,
    `<line x1="${m.left}" x2="${W - m.right}" y1="${y(budgetPerSecond).toFixed(1)}" y2="${y(budgetPerSecond).toFixed(1)}" stroke="#555" stroke-dasharray="6 4"/>`,
    `<polyline fill="none" stroke="#1565c0" stroke-width="2" points="${applied}"/>`,
    `<polyline fill="none" stroke="#ef6c00" stroke-width="2" points="${pace}"/>`,
    ...ticks429,
    `<g transform="translate(${W - m.right - 250},${m.top - 4})">`,
    '<line x1="0" x2="18" y1="0" y2="0" stroke="#1565c0" stroke-width="2"/><text x="22" y="4">applied (Graph)</text>',
    '<line x1="110" x2="128" y1="0" y2="0" stroke="#ef6c00" stroke-width="2"/><text x="132" y="4">pace (controller)</text>',
    `<line x1="0" x2="18" y1="14" y2="14" stroke="#555" stroke-dasharray="6 4"/><text x="22" y="18">refill rate (budget ${budgetPerSecond}/s)</text>`,
    '</g>',
    '</svg>',
    '',
  ].join('\n');
}
