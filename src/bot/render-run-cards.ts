// View models of the outcome cards: a sync run's progress and result, and a directory import's report.
import type { RunRecord } from '../sync/model.js';
import type { ImportReport, Progress } from '../sync/service-interface.js';
import { fmtDuration, fmtTime, shortHash } from './card-format.js';
import { type AdaptiveCardJson, renderTemplate } from './card-template.js';
import { escapeCardText as esc } from './escape.js';
import type { Lang } from './i18n.js';

export const MAX_FAILURES_SHOWN = 10;
export const MAX_IMPORT_ERRORS_SHOWN = 15;

/** Where the writing phase started: the estimate is the rate since then, so reading time does not skew it. */
export interface RateOrigin {
  readonly atMs: number;
  readonly done: number;
}

/**
 * Milliseconds left at the rate observed since `origin`, or null when there is no rate yet (nothing done since,
 * or less than a second observed).
 */
export function estimateMsLeft(origin: RateOrigin | null, nowMs: number, p: Progress | null): number | null {
  if (!origin || !p || p.phase !== 'writing' || p.total <= 0) return null;
  const elapsed = nowMs - origin.atMs;
  const progressed = p.done - origin.done;
  if (elapsed < 1000 || progressed <= 0) return null;
  return Math.max(0, Math.round(((p.total - p.done) * elapsed) / progressed));
}

/** "about 3 min", "about 40 s", "under 5 s" (in the reader's language). */
export function fmtTimeLeft(lang: Lang, ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 5) return lang.t('time.leftUnder5s');
  if (s < 60) return lang.t('time.leftSeconds', { s: Math.ceil(s / 5) * 5 });
  const m = Math.round(s / 60);
  return m < 60 ? lang.t('time.leftMinutes', { m }) : lang.t('time.leftHours', { h: Math.floor(m / 60), m: m % 60 });
}

export function renderProgressCard(
  lang: Lang,
  input: {
    title: string;
    progress: Progress | null;
    approvedBy?: string | null;
    approvedAt?: string | null;
    planHash?: string | null;
    waitingText?: string;
    /** Estimated time left of the writing phase (estimateMsLeft), shown beside the counter. */
    msLeft?: number | null;
  },
): AdaptiveCardJson {
  const p = input.progress;
  const counter =
    p === null
      ? '…'
      : p.total > 0 || p.phase === 'writing' || p.phase === 'done'
        ? lang.t('progress.of', { done: lang.num(p.done), total: lang.num(p.total) })
        : lang.t('progress.read', { done: lang.num(p.done) });
  return renderTemplate('progress', {
    s: lang.s,
    title: input.title,
    phase: p ? lang.t(`progress.phase.${p.phase}`) : (input.waitingText ?? lang.t('progress.starting')),
    progress: counter,
    approvedLine: input.approvedBy
      ? lang.t('common.approvedBy', { name: esc(input.approvedBy, 80), time: fmtTime(input.approvedAt ?? null) })
      : '',
    shortHash: input.planHash ? shortHash(input.planHash) : '',
    timeLeft: input.msLeft !== null && input.msLeft !== undefined ? fmtTimeLeft(lang, input.msLeft) : '',
  });
}

const STATUS_COLORS: Record<RunRecord['status'], string> = {
  running: 'Accent',
  completed: 'Good',
  partial: 'Warning',
  cancelled: 'Attention',
  refused: 'Attention',
  failed: 'Attention',
  interrupted: 'Warning',
};

export function renderResultCard(
  lang: Lang,
  run: RunRecord,
  options: { csvUrl: string; approvedByName?: string | null; linkNote?: string },
): AdaptiveCardJson {
  const failed = run.outcomes.filter((o) => o.result === 'failed');
  const who = options.approvedByName ?? run.approvedBy;
  return renderTemplate('result', {
    s: lang.s,
    linkNote: options.linkNote ?? '',
    title: lang.t(`result.title.${run.status}`, { domain: esc(run.domain, 120) }),
    color: STATUS_COLORS[run.status],
    approvedLine: who
      ? lang.t('common.approvedBy', { name: esc(who, 80), time: fmtTime(run.startedAt) })
      : lang.t(run.trigger === 'hourly' ? 'result.hourlyAt' : 'result.startedAt', { time: fmtTime(run.startedAt) }),
    counts: {
      added: lang.num(run.counts.added),
      updated: lang.num(run.counts.updated),
      deleted: lang.num(run.counts.deleted),
      failed: lang.num(run.counts.failed),
    },
    duration: fmtDuration(lang, run.startedAt, run.endedAt),
    reason: run.reason ? esc(lang.core(run.reasonMessage, run.reason), 400) : '',
    failures: failed
      .slice(0, MAX_FAILURES_SHOWN)
      .map(
        (o) =>
          `${lang.t(`action.${o.action}`)} ${esc(o.upn, 80)}: ${esc(o.errorCode ?? o.errorKind ?? 'error', 40)} — ${esc(o.errorMessage ?? '', 120)}`,
      ),
    moreFailures:
      failed.length > MAX_FAILURES_SHOWN
        ? lang.t('result.moreFailures', { count: lang.num(failed.length - MAX_FAILURES_SHOWN) })
        : '',
    csvUrl: options.csvUrl,
    runId: esc(run.id, 60),
    shortHash: shortHash(run.planHash),
    domainId: run.domain,
    // After a Sync now, the console's next step: periodic sync (an hourly run's card has no need of it).
    showHourly: run.trigger === 'manual' && run.status !== 'running',
  });
}

export function renderImportReportCard(lang: Lang, report: ImportReport): AdaptiveCardJson {
  const errors = report.errors.slice(0, MAX_IMPORT_ERRORS_SHOWN);
  return renderTemplate('import-report', {
    s: lang.s,
    title: lang.t(report.applied ? 'import.applied' : 'import.rejected'),
    color: report.applied ? 'Good' : 'Attention',
    summary: report.applied
      ? report.errors.length
        ? lang.t('import.summaryPartial', {
            rows: lang.num(report.totalRows),
            rejected: lang.num(report.errors.length),
          })
        : lang.t('import.summary', { rows: lang.num(report.totalRows) })
      : lang.t('import.summaryRejected', {
          problems: lang.num(report.errors.length),
          rows: lang.num(report.totalRows),
        }),
    domains: report.applied
      ? report.domains.map((d) => ({
          domain: esc(d.domain, 120),
          line: lang.t('import.domainLine', {
            added: lang.num(d.added),
            updated: lang.num(d.updated),
            removed: lang.num(d.removed),
            unchanged: lang.num(d.unchanged),
          }),
        }))
      : [],
    errors: errors.map((e) =>
      e.field
        ? lang.t('import.errorField', { line: e.line, field: esc(e.field, 40), message: esc(e.message, 160) })
        : lang.t('import.error', { line: e.line, message: esc(e.message, 160) }),
    ),
    moreErrors:
      report.errors.length > errors.length
        ? lang.t('import.moreErrors', { count: lang.num(report.errors.length - errors.length) })
        : '',
  });
}
