// Renders the sync-log card (latest runs + chart of the last 24) and the channel card posted after an hourly run.
import type { DomainSettings, RunRecord, RunStatus } from '../sync/model.js';
import { planShortHash } from '../sync/plan.js';
import { fmtTime, formatDuration } from './card-format.js';
import { type AdaptiveCardJson, renderTemplate } from './card-template.js';
import { escapeCardText, plainCardText } from './escape.js';
import type { Lang } from './i18n.js';

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

const STATUS_COLOR: Record<RunStatus, string> = {
  running: 'Accent',
  completed: 'Good',
  partial: 'Warning',
  cancelled: 'Warning',
  refused: 'Attention',
  failed: 'Attention',
  interrupted: 'Warning',
};

const statusOf = (lang: Lang, status: RunStatus) => ({
  label: lang.t(`logs.status.${status}`),
  color: STATUS_COLOR[status] ?? 'Default',
});

/** A run's duration in the log style (`3 min 05 s`); a running run counts up to `now`. */
function durationOf(lang: Lang, run: RunRecord, now: Date): string {
  const start = Date.parse(run.startedAt);
  if (run.endedAt) return formatDuration(lang, Date.parse(run.endedAt) - start);
  return lang.t('logs.soFar', { duration: formatDuration(lang, now.getTime() - start) });
}

function whoOf(lang: Lang, run: RunRecord): string {
  const parts: string[] = [];
  if (run.trigger === 'hourly') parts.push(lang.t('logs.byScheduler'));
  else {
    if (run.requestedBy) parts.push(lang.t('logs.requestedBy', { name: escapeCardText(run.requestedBy, 80) }));
    if (run.approvedBy)
      parts.push(
        run.approvedById
          ? lang.t('logs.approvedByWithId', {
              name: escapeCardText(run.approvedBy, 80),
              id: escapeCardText(run.approvedById, 40),
            })
          : lang.t('logs.approvedBy', { name: escapeCardText(run.approvedBy, 80) }),
      );
  }
  return parts.length > 0 ? parts.join(lang.t('logs.whoSeparator')) : '—';
}

function countsOf(lang: Lang, run: RunRecord): string {
  const c = run.counts;
  return lang.t('logs.countsLine', {
    added: lang.num(c.added),
    updated: lang.num(c.updated),
    deleted: lang.num(c.deleted),
    failed: lang.num(c.failed),
  });
}

/** The `logs` card: the latest runs (status, trigger, who, counts, duration, CSV link) and a chart of the last 24. */
export function renderLogsCard(lang: Lang, runs: readonly RunRecord[], options: LogsCardOptions): AdaptiveCardJson {
  const newestFirst = [...runs].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  const listed = newestFirst.slice(0, Math.max(1, options.listed ?? 10));
  const domainLabel = options.domain ? escapeCardText(options.domain, 100) : null;
  const chartRuns = newestFirst.slice(0, CHART_RUNS).reverse();
  const labels = uniqueLabels(chartRuns.map((r) => plainCardText(fmtTime(r.startedAt).slice(5, 16), 20)));
  const series = (legend: string, color: string, pick: (r: RunRecord) => number) => ({
    legend,
    color,
    values: chartRuns.map((r, i) => ({ x: labels[i]!, y: pick(r) })),
  });
  const chart =
    chartRuns.length > 0
      ? [
          series(lang.t('counts.added'), 'good', (r) => r.counts.added),
          series(lang.t('counts.updated'), 'warning', (r) => r.counts.updated),
          series(lang.t('counts.deleted'), 'attention', (r) => r.counts.deleted),
        ]
      : [];
  return renderTemplate('logs', {
    s: lang.s,
    linkNote: options.linkNote ?? '',
    title: domainLabel ? lang.t('logs.title', { domain: domainLabel }) : lang.t('logs.titleAll'),
    subtitle: lang.t('logs.subtitle', {
      count: runs.length,
      listed: lang.num(listed.length),
      total: lang.num(runs.length),
      time: fmtTime(options.now.toISOString()),
    }),
    emptyText: domainLabel ? lang.t('logs.emptyDomain', { domain: domainLabel }) : lang.t('logs.empty'),
    chart,
    chartTitle: lang.t('logs.chartTitle', { count: chartRuns.length, runs: lang.num(chartRuns.length) }),
    chartFallback: chartRuns
      .map((r, i) => `${labels[i]}: +${r.counts.added} ~${r.counts.updated} −${r.counts.deleted}`)
      .join(' · '),
    runs: listed.map((r) => {
      const status = statusOf(lang, r.status);
      return {
        headline: `${status.label}${options.domain ? '' : ` · ${escapeCardText(r.domain, 100)}`}`,
        statusColor: status.color,
        started: fmtTime(r.startedAt),
        trigger: lang.t(`logs.triggerName.${r.trigger}`),
        who: whoOf(lang, r),
        counts: countsOf(lang, r),
        duration: durationOf(lang, r, options.now),
        reason: r.reason ? escapeCardText(lang.core(r.reasonMessage, r.reason), 300) : '',
        csvUrl: options.linkFor('run', r.id),
      };
    }),
    more: runs.length > listed.length ? lang.t('logs.more', { count: lang.num(runs.length - listed.length) }) : '',
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
  lang: Lang,
  run: RunRecord,
  settings: DomainSettings | null,
  options: RunNotificationOptions,
): AdaptiveCardJson {
  const status = statusOf(lang, run.status);
  const maxFailures = Math.max(0, options.maxFailures ?? 10);
  const failed = run.outcomes.filter((o) => o.result === 'failed');
  const failures = failed.slice(0, maxFailures).map((o) => {
    const code = o.errorCode ? `${escapeCardText(o.errorCode, 60)}: ` : '';
    return `${lang.t(`action.${o.action}`)} ${escapeCardText(o.upn, 100)}: ${code}${escapeCardText(o.errorMessage ?? lang.t('runStatus.failed'), 160)}`;
  });
  const cancelled = run.status === 'cancelled';
  const d = run.deletion;
  const limit = d
    ? d.maxCount !== null
      ? lang.t('guard.limitWithCount', { pct: d.maxPercent, count: lang.num(d.maxCount) })
      : lang.t('guard.limit', { pct: d.maxPercent })
    : null;
  const deletion =
    cancelled && d
      ? lang.t('notification.deletion', {
          count: lang.num(d.count),
          inScope: lang.num(d.inScope),
          percent: d.percent,
          limit: limit ?? '',
        })
      : '';
  const domain = escapeCardText(run.domain, 100);
  const started = lang.t('notification.started', { time: fmtTime(run.startedAt) });
  const ended = run.endedAt ? lang.t('notification.ended', { time: fmtTime(run.endedAt) }) : '';
  const mode = settings ? lang.t('notification.mode', { mode: lang.t(`notifyMode.${settings.notify}`) }) : '';
  return renderTemplate('run-notification', {
    s: lang.s,
    linkNote: options.linkNote ?? '',
    title: lang.t(`notification.title.${run.trigger}`, { domain, status: lang.t(`notification.status.${run.status}`) }),
    color: status.color,
    subtitle: [started, ended, mode].filter(Boolean).join(' · '),
    added: lang.num(run.counts.added),
    updated: lang.num(run.counts.updated),
    deleted: lang.num(run.counts.deleted),
    failed: lang.num(run.counts.failed),
    duration: run.endedAt ? formatDuration(lang, Date.parse(run.endedAt) - Date.parse(run.startedAt)) : '—',
    reason: run.reason ? escapeCardText(lang.core(run.reasonMessage, run.reason), 300) : '',
    deletion,
    failuresTitle: lang.t('notification.failures', { count: lang.num(failed.length) }),
    failures,
    moreFailures:
      failed.length > failures.length
        ? lang.t('notification.moreFailures', { count: lang.num(failed.length - failures.length) })
        : '',
    csvUrl: options.linkFor('run', run.id),
    footer: `${lang.t('common.run')} ${plainCardText(run.id, 64)}${run.planHash ? ` · ${lang.t('common.plan')} ${planShortHash(run.planHash)}` : ''}`,
    cancelled,
    domain: plainCardText(run.domain, 253),
  });
}
