// Renders the sync-log card (latest runs + chart of the last 24) and the channel card posted after an hourly run.
import type { DomainSettings, RunRecord, RunStatus } from '../sync/model.js';
import type { AdaptiveCardJson } from './card-template.js';
import { renderTemplate } from './card-template.js';
import { escapeCardText, plainCardText } from './escape.js';

export type LinkFor = (kind: 'run', id: string) => string;

export interface LogsCardOptions {
  /** The domain the log is filtered on (shown in the title); all domains when absent. */
  readonly domain?: string;
  /** A signed download link of the run's per-user outcomes (CSV). */
  readonly linkFor: LinkFor;
  /** How long the CSV links work (shown on the card). */
  readonly linkNote?: string;
  readonly now: Date;
  /** Runs listed one by one (default 10); the chart always covers up to the last 24. */
  readonly listed?: number;
}

export interface RunNotificationOptions {
  readonly linkFor: LinkFor;
  /** How long the CSV link works (shown on the card). */
  readonly linkNote?: string;
  /** Failures listed on the card (default 10); the CSV has all of them. */
  readonly maxFailures?: number;
}

const CHART_RUNS = 24;

const STATUS: Record<RunStatus, { label: string; color: string }> = {
  running: { label: 'Running', color: 'Accent' },
  completed: { label: 'Completed', color: 'Good' },
  partial: { label: 'Partially completed', color: 'Warning' },
  cancelled: { label: 'Cancelled by the guard', color: 'Warning' },
  refused: { label: 'Refused (stale plan)', color: 'Attention' },
  failed: { label: 'Failed', color: 'Attention' },
  interrupted: { label: 'Interrupted (resumes at restart)', color: 'Warning' },
};

const TRIGGER: Record<RunRecord['trigger'], string> = {
  manual: 'Sync now (Teams)',
  hourly: 'Periodic sync',
  cli: 'Command line',
};

const number = (n: number) => n.toLocaleString('en-US');

/** "850 ms", "42 s", "3 min 05 s", "1 h 02 min"; a running run counts up to `now`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** "2026-01-05 10:20 UTC". */
export function formatTime(iso: string | null): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  return `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function durationOf(run: RunRecord, now: Date): string {
  const start = Date.parse(run.startedAt);
  if (run.endedAt) return formatDuration(Date.parse(run.endedAt) - start);
  return `${formatDuration(now.getTime() - start)} so far`;
}

function whoOf(run: RunRecord): string {
  const parts: string[] = [];
  if (run.trigger === 'hourly') parts.push('periodic sync (scheduler)');
  else {
    if (run.requestedBy) parts.push(`requested by ${escapeCardText(run.requestedBy, 80)}`);
    if (run.approvedBy)
      parts.push(
        `approved by ${escapeCardText(run.approvedBy, 80)}${run.approvedById ? ` (${escapeCardText(run.approvedById, 40)})` : ''}`,
      );
  }
  return parts.length > 0 ? parts.join(', ') : '—';
}

function countsOf(run: RunRecord): string {
  const c = run.counts;
  return `+${number(c.added)} added · ${number(c.updated)} updated · −${number(c.deleted)} deleted · ${number(c.failed)} failed`;
}

/** The `logs` card: the latest runs (status, trigger, who, counts, duration, CSV link) and a chart of the last 24. */
export function renderLogsCard(runs: readonly RunRecord[], options: LogsCardOptions): AdaptiveCardJson {
  const newestFirst = [...runs].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  const listed = newestFirst.slice(0, Math.max(1, options.listed ?? 10));
  const domainLabel = options.domain ? escapeCardText(options.domain, 100) : null;
  const chartRuns = newestFirst.slice(0, CHART_RUNS).reverse();
  const labels = uniqueLabels(chartRuns.map((r) => plainCardText(formatTime(r.startedAt).slice(5, 16), 20)));
  const series = (legend: string, color: string, pick: (r: RunRecord) => number) => ({
    legend,
    color,
    values: chartRuns.map((r, i) => ({ x: labels[i]!, y: pick(r) })),
  });
  const chart =
    chartRuns.length > 0
      ? [
          series('Added', 'good', (r) => r.counts.added),
          series('Updated', 'warning', (r) => r.counts.updated),
          series('Deleted', 'attention', (r) => r.counts.deleted),
        ]
      : [];
  return renderTemplate('logs', {
    linkNote: options.linkNote ?? '',
    title: domainLabel ? `Sync log: ${domainLabel}` : 'Sync log: all domains',
    subtitle: `Latest ${number(listed.length)} of ${number(runs.length)} run${runs.length === 1 ? '' : 's'} · as of ${formatTime(options.now.toISOString())}`,
    emptyText: domainLabel
      ? `No sync has run for ${domainLabel} yet.`
      : 'No sync has run yet. Runs appear here after Sync now or a periodic sync.',
    chart,
    chartTitle: `Adds, updates and deletes of the last ${number(chartRuns.length)} run${chartRuns.length === 1 ? '' : 's'}`,
    chartFallback: chartRuns
      .map((r, i) => `${labels[i]}: +${r.counts.added} ~${r.counts.updated} −${r.counts.deleted}`)
      .join(' · '),
    runs: listed.map((r) => {
      const status = STATUS[r.status] ?? { label: r.status, color: 'Default' };
      return {
        headline: `${status.label}${options.domain ? '' : ` · ${escapeCardText(r.domain, 100)}`}`,
        statusColor: status.color,
        started: formatTime(r.startedAt),
        trigger: TRIGGER[r.trigger] ?? r.trigger,
        who: whoOf(r),
        counts: countsOf(r),
        duration: durationOf(r, options.now),
        reason: r.reason ? escapeCardText(r.reason, 300) : '',
        csvUrl: options.linkFor('run', r.id),
      };
    }),
    more:
      runs.length > listed.length
        ? `${number(runs.length - listed.length)} older run(s) not listed; \`entra-sync logs\` prints them all.`
        : '',
  });
}

/** Chart x labels must be distinct, or a grouped chart merges two runs into one bar group. */
function uniqueLabels(labels: string[]): string[] {
  const seen = new Map<string, number>();
  return labels.map((l) => {
    const n = (seen.get(l) ?? 0) + 1;
    seen.set(l, n);
    return n === 1 ? l : `${l} (${n})`;
  });
}

/** True when the run went wrong in a way an admin must hear about whatever the notify setting says. */
export function isFailureRun(run: RunRecord): boolean {
  return (
    run.status === 'failed' ||
    run.status === 'partial' ||
    run.status === 'cancelled' ||
    run.status === 'refused' ||
    run.counts.failed > 0
  );
}

/** Whether a finished run is posted under the domain's notify setting (changes-only by default; failures always). */
export function shouldNotify(run: RunRecord, mode: DomainSettings['notify'] | null | undefined): boolean {
  // A running or interrupted run has not ended: its resumption is what gets posted.
  if (run.status === 'running' || run.status === 'interrupted') return false;
  if (isFailureRun(run)) return true;
  switch (mode ?? 'changes-only') {
    case 'always':
      return true;
    case 'failures-only':
      return false;
    default:
      return run.counts.added + run.counts.updated + run.counts.deleted > 0;
  }
}

/** The card posted to the domain's channel after a run: counts, duration, first failures, CSV link, guard details. */
export function renderRunNotification(
  run: RunRecord,
  settings: DomainSettings | null,
  options: RunNotificationOptions,
): AdaptiveCardJson {
  const status = STATUS[run.status] ?? { label: run.status, color: 'Default' };
  const maxFailures = Math.max(0, options.maxFailures ?? 10);
  const failed = run.outcomes.filter((o) => o.result === 'failed');
  const failures = failed.slice(0, maxFailures).map((o) => {
    const code = o.errorCode ? `${escapeCardText(o.errorCode, 60)}: ` : '';
    return `${o.action} ${escapeCardText(o.upn, 100)}: ${code}${escapeCardText(o.errorMessage ?? 'failed', 160)}`;
  });
  const cancelled = run.status === 'cancelled';
  const d = run.deletion;
  const limit = d ? `${d.maxPercent}%${d.maxCount !== null ? ` or ${number(d.maxCount)} users` : ''}` : null;
  const deletion =
    cancelled && d
      ? `The plan would delete ${number(d.count)} of ${number(d.inScope)} users (${d.percent}%); the limit is ${limit}. Nothing was changed.`
      : '';
  const kind = run.trigger === 'hourly' ? 'Periodic sync' : run.trigger === 'manual' ? 'Sync' : 'Command-line sync';
  const domain = escapeCardText(run.domain, 100);
  return renderTemplate('run-notification', {
    linkNote: options.linkNote ?? '',
    title: `${kind} of ${domain}: ${status.label.toLowerCase()}`,
    color: status.color,
    subtitle: `Started ${formatTime(run.startedAt)}${run.endedAt ? ` · ended ${formatTime(run.endedAt)}` : ''}${
      settings ? ` · notifications: ${settings.notify}` : ''
    }`,
    added: number(run.counts.added),
    updated: number(run.counts.updated),
    deleted: number(run.counts.deleted),
    failed: number(run.counts.failed),
    duration: run.endedAt ? formatDuration(Date.parse(run.endedAt) - Date.parse(run.startedAt)) : '—',
    reason: run.reason ? escapeCardText(run.reason, 300) : '',
    deletion,
    failuresTitle: `Failures (${number(failed.length)})`,
    failures,
    moreFailures:
      failed.length > failures.length
        ? `…and ${number(failed.length - failures.length)} more: the CSV lists every user's outcome.`
        : '',
    csvUrl: options.linkFor('run', run.id),
    footer: `Run ${plainCardText(run.id, 64)}${run.planHash ? ` · plan ${run.planHash.slice(0, 12)}` : ''}`,
    cancelled,
    domain: plainCardText(run.domain, 253),
  });
}
