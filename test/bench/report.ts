// Bench figures: one `bench <scenario> <metric>=<value> target=<target> ok|short` line each, and all of them as JSON.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** How a figure is judged against its target. `info` figures are printed with target=- and never short. */
export type Comparison = 'max' | 'min' | 'info';

export interface Figure {
  readonly scenario: string;
  readonly metric: string;
  readonly value: number;
  readonly unit?: string;
  /** The target value (null for information-only figures). */
  readonly target: number | null;
  /** `max`: value ≤ target is ok; `min`: value ≥ target is ok. */
  readonly comparison: Comparison;
  /** A short remark (e.g. what was compressed in time). */
  readonly note?: string;
}

export interface ScenarioResult {
  readonly scenario: string;
  /** Settings the scenario ran with (sizes, timeScale, latency …), kept with the figures. */
  readonly settings: Record<string, unknown>;
  readonly figures: Figure[];
  readonly wallMs: number;
  /** Set when the scenario could not run to its end. */
  readonly error?: string;
}

export interface BenchReport {
  readonly startedAt: string;
  readonly endedAt: string;
  readonly command: string;
  readonly mode: 'quick' | 'full' | 'large';
  readonly machine: {
    cpus: number;
    cpuModel: string;
    totalMemMb: number;
    node: string;
    platform: string;
    /** 1-minute load average at start and end: other work on the machine skews the timings. */
    loadAverage: { start: number; end: number };
  };
  readonly scenarios: ScenarioResult[];
}

export const figure = (
  scenario: string,
  metric: string,
  value: number,
  target: number | null,
  comparison: Comparison,
  extra: { unit?: string; note?: string } = {},
): Figure => ({ scenario, metric, value, target, comparison, ...extra });

/** Nearest-rank percentile of `values` (NaN when empty). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** True when the figure meets its target (information-only figures always do). */
export function meets(f: Figure): boolean {
  if (f.comparison === 'info' || f.target === null) return true;
  if (!Number.isFinite(f.value)) return false;
  return f.comparison === 'max' ? f.value <= f.target : f.value >= f.target;
}

/** Numbers with a sensible number of digits: integers as they are, others to 3 significant decimals. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return String(n);
  const abs = Math.abs(n);
  const digits = abs >= 100 ? 1 : abs >= 1 ? 2 : 3;
  return n.toFixed(digits);
}

/** `bench <scenario> <metric>=<value> target=<op><target> ok|short` (unit appended to the metric's value). */
export function formatLine(f: Figure): string {
  const unit = f.unit ?? '';
  const value = `${formatNumber(f.value)}${unit}`;
  const target =
    f.comparison === 'info' || f.target === null
      ? '-'
      : `${f.comparison === 'max' ? '<=' : '>='}${formatNumber(f.target)}${unit}`;
  const verdict = f.comparison === 'info' ? 'info' : meets(f) ? 'ok' : 'short';
  return `bench ${f.scenario} ${f.metric}=${value} target=${target} ${verdict}`;
}

/** A scenario that failed to run yields one short line naming the error, so nothing is silently missing. */
export function errorLine(r: ScenarioResult): string {
  return `bench ${r.scenario} error=${JSON.stringify(r.error ?? 'unknown')} target=- short`;
}

export function reportLines(results: readonly ScenarioResult[]): string[] {
  const lines: string[] = [];
  for (const r of results) {
    for (const f of r.figures) lines.push(formatLine(f));
    if (r.error) lines.push(errorLine(r));
  }
  return lines;
}

/** Writes the whole report as JSON (creating the folder). Returns the absolute path. */
export function writeReport(report: BenchReport, path: string): string {
  const abs = resolve(path);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, `${JSON.stringify(report, null, 2)}\n`);
  return abs;
}
