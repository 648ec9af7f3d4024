// Pure renderers: plans, runs, refusals and settings in, Adaptive Card JSON out (templates in cards/, values escaped).
import type { DomainSettings, Plan, RunRecord, Change } from '../sync/model.js';
import type { DomainView, ImportReport, MoveResult, PrecheckResult, Progress } from '../sync/service.js';
import { type AdaptiveCardJson, renderTemplate } from './card-template.js';
import { COMMAND_EXAMPLES } from './command-parser.js';
import { escapeCardText as esc, plainCardText } from './escape.js';

/** How many changes of each kind the dry-run card lists. */
export const FIRST_CHANGES_PER_KIND = 5;
export const MAX_FAILURES_SHOWN = 10;
export const MAX_IMPORT_ERRORS_SHOWN = 15;
export const MAX_PRECHECK_CHOICES = 50;

const numberFormat = new Intl.NumberFormat('en-US');
export const fmtInt = (n: number): string => numberFormat.format(n);

/** `2026-11-26 15:04 UTC` (cards are read by people in several time zones; UTC is stated). */
export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function fmtDuration(startIso: string, endIso: string | null): string {
  if (!endIso) return '—';
  const ms = new Date(endIso).getTime() - new Date(startIso).getTime();
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** The first 12 hex digits of a plan hash (any `sha256:` prefix dropped). */
export const shortHash = (hash: string | null | undefined): string =>
  (hash ?? '').replace(/^sha256:/, '').slice(0, 12) || '—';

export interface ExecuteAction {
  readonly title: string;
  readonly verb: string;
  readonly data: Record<string, unknown>;
}

export interface MessageCardInput {
  readonly title: string;
  readonly text?: string;
  readonly color?: 'Default' | 'Good' | 'Warning' | 'Attention' | 'Accent';
  readonly facts?: readonly { title: string; value: string }[];
  readonly lines?: readonly string[];
  readonly actions?: readonly ExecuteAction[];
}

/**
 * A general card. `title`, `text`, fact values and lines are treated as markdown written by the bot:
 * callers escape any directory value they put in them (escape.ts).
 */
export function renderMessageCard(input: MessageCardInput): AdaptiveCardJson {
  return renderTemplate('message', {
    title: input.title,
    text: input.text ?? '',
    color: input.color ?? 'Default',
    facts: (input.facts ?? []).map((f) => ({ title: f.title, value: f.value })),
    lines: [...(input.lines ?? [])],
    actions: (input.actions ?? []).map((a) => ({
      title: plainCardText(a.title, 40),
      verb: a.verb,
      data: { ...a.data, verb: a.verb },
    })),
  });
}

export function renderHelpCard(options: { notice?: string } = {}): AdaptiveCardJson {
  return renderTemplate('help', {
    title: 'Entra ID sync: commands',
    notice: options.notice ?? '',
    intro:
      'Type a command in this chat (in a channel, @mention the bot first). Commands are case-insensitive; ' +
      'dry runs change nothing until you press **Sync now**.',
    commands: COMMAND_EXAMPLES.map((c) => ({ usage: esc(c.usage, 200), example: esc(c.example, 200) })),
  });
}

export function renderRefusalCard(input: {
  title: string;
  reason: string;
  hint?: string;
  rerunDomain?: string | null;
}): AdaptiveCardJson {
  return renderTemplate('refusal', {
    title: plainCardText(input.title, 120),
    reason: esc(input.reason, 600),
    hint: input.hint ? esc(input.hint, 300) : '',
    rerunDomain: input.rerunDomain ?? '',
  });
}

export function renderConnectCard(input: {
  connected: boolean;
  reason?: string;
  consentUrl?: string | null;
}): AdaptiveCardJson {
  return renderTemplate('connect', {
    statusText: input.connected
      ? 'Connected: the bot can read and write users through Microsoft Graph.'
      : `Not connected: ${esc(input.reason ?? 'unknown reason', 400)}`,
    statusColor: input.connected ? 'Good' : 'Attention',
    consentUrl: input.connected ? '' : (input.consentUrl ?? ''),
    explain:
      'A Global Administrator grants the app its Graph permissions (User.ReadWrite.All, Domain.Read.All, ' +
      'RoleManagement.Read.Directory) once for the tenant. The bot posts "Connected" here when it is done.',
  });
}

const yesNo = (b: boolean) => (b ? 'on' : 'off');

export function renderDomainsCard(views: readonly DomainView[], options: { now: Date }): AdaptiveCardJson {
  return renderTemplate('domains', {
    domains: views.map((v) => {
      const s = v.settings;
      const paused =
        s?.pausedUntil && new Date(s.pausedUntil) > options.now ? ` (paused until ${fmtTime(s.pausedUntil)})` : '';
      return {
        name: esc(v.domain.id, 120),
        authentication: v.domain.authenticationType === 'Federated' ? 'federated' : 'managed',
        synced: s?.synced ? 'yes' : 'no',
        maxDeletions: s?.synced
          ? `${s.maxDeletionPercent}%${s.maxDeletionCount !== null ? ` (at most ${fmtInt(s.maxDeletionCount)})` : ''}`
          : '—',
        periodic: s?.synced ? `${yesNo(s.periodic)}${paused}` : '—',
        lastRun: v.lastRun ? `${v.lastRun.status}, ${fmtTime(v.lastRun.endedAt ?? v.lastRun.startedAt)}` : 'never',
      };
    }),
    hint: esc(
      'Set one up with: domain add <domain> max-deletions 10 · then: precheck <domain> · preview <domain>',
      300,
    ),
  });
}

export function renderPrecheckCard(result: PrecheckResult): AdaptiveCardJson {
  const candidates = result.candidates.slice(0, MAX_PRECHECK_CHOICES);
  const likely = result.candidates.filter((c) => c.likelyKind !== null).length;
  return renderTemplate('precheck', {
    domain: esc(result.domain, 120),
    domainId: result.domain,
    initialDomain: esc(result.initialDomain, 120),
    summary:
      result.candidates.length === 0
        ? 'Nothing to move: every Entra user in this domain has a match in Access Control, or is protected.'
        : `A first sync would delete ${fmtInt(result.candidates.length)} object(s) that are not in Access Control; ` +
          `${fmtInt(likely)} look like non-user objects (marked ⚑, preselected). Select the ones to keep and move their UPN.`,
    lines: [],
    choices: candidates.map((c) => ({
      title: plainCardText(
        `${c.likelyKind ? '⚑ ' : ''}${c.user.userPrincipalName} — ${c.user.displayName ?? ''} (${c.likelyKind ?? 'person?'}: ${c.why})`,
        160,
      ),
      value: c.user.id,
    })),
    preselected: candidates
      .filter((c) => c.likelyKind !== null)
      .map((c) => c.user.id)
      .join(','),
    more:
      result.candidates.length > candidates.length
        ? `${fmtInt(result.candidates.length - candidates.length)} more not shown; download the dry run CSV for the full list.`
        : '',
  });
}

function changeLine(c: Change): string {
  switch (c.action) {
    case 'Add':
      return `${esc(c.upn, 80)} — ${esc(c.attributes.displayName, 60)}${c.restoreId ? ' (restore)' : ''}`;
    case 'Update': {
      const attrs = c.changes
        .slice(0, 3)
        .map((a) => `${a.attribute}: ${esc(JSON.stringify(a.before), 40)} → ${esc(JSON.stringify(a.after), 40)}`)
        .join('; ');
      return `${esc(c.upn, 80)} — ${attrs}${c.changes.length > 3 ? `; +${c.changes.length - 3} more` : ''}`;
    }
    case 'Delete':
      return `${esc(c.upn, 80)}${c.displayName ? ` — ${esc(c.displayName, 60)}` : ''}${c.mode === 'disable' ? ' (disable)' : ''}`;
    case 'Skip':
      return `${esc(c.upn, 80)} — ${esc(c.note || c.reason, 80)}`;
    case 'NoChange':
      return esc(c.upn, 80);
  }
}

const SECTION_TITLES: Record<Exclude<Change['action'], 'NoChange'>, string> = {
  Add: 'Add',
  Update: 'Update',
  Delete: 'Delete',
  Skip: 'Skip',
};

export function renderDryRunCard(
  plan: Plan,
  options: { downloadUrl: string; requestedByName?: string | null },
): AdaptiveCardJson {
  const counts = plan.counts;
  const d = plan.deletion;
  const sections: { title: string; lines: string[] }[] = [];
  for (const action of ['Add', 'Update', 'Delete', 'Skip'] as const) {
    const total =
      action === 'Add'
        ? counts.add
        : action === 'Update'
          ? counts.update
          : action === 'Delete'
            ? counts.delete
            : counts.skip;
    if (total === 0) continue;
    const lines: string[] = [];
    for (const c of plan.changes) {
      if (c.action !== action) continue;
      lines.push(changeLine(c));
      if (lines.length >= FIRST_CHANGES_PER_KIND) break;
    }
    const more = total > lines.length ? ` (first ${lines.length} of ${fmtInt(total)})` : '';
    sections.push({ title: `${SECTION_TITLES[action]}${more}`, lines });
  }
  const limit = `${d.maxPercent}%${d.maxCount !== null ? ` or ${fmtInt(d.maxCount)} users` : ''}`;
  const guardWarning = !plan.guard.ok
    ? `A sync would be cancelled: ${esc(plan.guard.reason, 300)}`
    : d.wouldCancel
      ? 'A sync would be cancelled: the deletions reach the max allowed deletions.'
      : '';
  let nonUsers = 0;
  for (const c of plan.changes) if (c.action === 'Delete' && c.nonUserHint) nonUsers++;
  const nonUserWarning =
    nonUsers > 0
      ? `${fmtInt(nonUsers)} of the deletes look like rooms, shared mailboxes or service accounts, not people. Run precheck ${esc(plan.domain, 120)} to move them to the onmicrosoft.com domain before you sync.`
      : '';
  const warning = [guardWarning, nonUserWarning].filter(Boolean).join('\n\n');
  return renderTemplate('dry-run', {
    domain: esc(plan.domain, 120),
    subtitle: `Computed ${fmtTime(plan.createdAt)}${options.requestedByName ? ` for ${esc(options.requestedByName, 60)}` : ''} · nothing has been changed yet`,
    counts: {
      add: fmtInt(counts.add) + (counts.restore > 0 ? ` (${fmtInt(counts.restore)} restore)` : ''),
      update: fmtInt(counts.update),
      delete: fmtInt(counts.delete),
      skip: fmtInt(counts.skip),
      noChange: fmtInt(counts.noChange),
    },
    // Only what changes is charted: a donut that is mostly "No change" hides the adds, updates and deletes.
    donut: [
      { legend: 'Add', value: counts.add, color: 'good' },
      { legend: 'Update', value: counts.update, color: 'warning' },
      { legend: 'Delete', value: counts.delete, color: 'attention' },
    ].filter((slice) => slice.value > 0),
    unchangedText: `${fmtInt(counts.noChange)} user(s) with no change${counts.skip > 0 ? `, ${fmtInt(counts.skip)} skipped` : ''}`,
    deletionText: `Deletions: ${fmtInt(d.count)} of ${fmtInt(d.inScope)} users in scope (${d.percent}%) · max allowed ${limit}`,
    warning,
    sections,
    shortHash: shortHash(plan.hash),
    downloadUrl: options.downloadUrl,
    canApply: plan.guard.ok && !d.wouldCancel,
    planId: plan.id,
    planHash: plan.hash,
  });
}

const PHASES: Record<Progress['phase'], string> = {
  'reading-source': 'Reading Access Control',
  'reading-entra': 'Reading Entra ID',
  diffing: 'Comparing both sides',
  writing: 'Writing changes to Entra ID',
  done: 'Finishing',
};

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

/** "about 3 min", "about 40 s", "under 5 s". */
export function fmtTimeLeft(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 5) return 'under 5 s';
  if (s < 60) return `about ${Math.ceil(s / 5) * 5} s`;
  const m = Math.round(s / 60);
  return m < 60 ? `about ${m} min` : `about ${Math.floor(m / 60)} h ${m % 60} min`;
}

export function renderProgressCard(input: {
  title: string;
  progress: Progress | null;
  approvedBy?: string | null;
  approvedAt?: string | null;
  planHash?: string | null;
  waitingText?: string;
  /** Estimated time left of the writing phase (estimateMsLeft), shown beside the counter. */
  msLeft?: number | null;
}): AdaptiveCardJson {
  const p = input.progress;
  const counter =
    p === null
      ? '…'
      : p.phase === 'writing' || p.phase === 'done'
        ? `${fmtInt(p.done)} of ${fmtInt(p.total)}`
        : p.total > 0
          ? `${fmtInt(p.done)} of ${fmtInt(p.total)}`
          : `${fmtInt(p.done)} read`;
  return renderTemplate('progress', {
    title: input.title,
    phase: p ? `${PHASES[p.phase]}…` : (input.waitingText ?? 'Starting…'),
    progress: counter,
    approvedLine: input.approvedBy
      ? `Approved by ${esc(input.approvedBy, 80)} at ${fmtTime(input.approvedAt ?? null)}`
      : '',
    shortHash: input.planHash ? shortHash(input.planHash) : '',
    timeLeft: input.msLeft !== null && input.msLeft !== undefined ? `${fmtTimeLeft(input.msLeft)} left` : '',
  });
}

const STATUS_TITLES: Record<RunRecord['status'], { title: string; color: string }> = {
  running: { title: 'Sync running', color: 'Accent' },
  completed: { title: 'Sync completed', color: 'Good' },
  partial: { title: 'Sync completed with failures', color: 'Warning' },
  cancelled: { title: 'Sync cancelled', color: 'Attention' },
  refused: { title: 'Sync refused', color: 'Attention' },
  failed: { title: 'Sync failed', color: 'Attention' },
};

export function renderResultCard(
  run: RunRecord,
  options: { csvUrl: string; approvedByName?: string | null },
): AdaptiveCardJson {
  const failed = run.outcomes.filter((o) => o.result === 'failed');
  const st = STATUS_TITLES[run.status];
  const who = options.approvedByName ?? run.approvedBy;
  return renderTemplate('result', {
    title: `${st.title}: ${esc(run.domain, 120)}`,
    color: st.color,
    approvedLine: who
      ? `Approved by ${esc(who, 80)} at ${fmtTime(run.startedAt)}`
      : `${run.trigger === 'hourly' ? 'Hourly sync' : 'Started'} at ${fmtTime(run.startedAt)}`,
    counts: {
      added: fmtInt(run.counts.added),
      updated: fmtInt(run.counts.updated),
      deleted: fmtInt(run.counts.deleted),
      failed: fmtInt(run.counts.failed),
    },
    duration: fmtDuration(run.startedAt, run.endedAt),
    reason: run.reason ? esc(run.reason, 400) : '',
    failures: failed
      .slice(0, MAX_FAILURES_SHOWN)
      .map(
        (o) =>
          `${o.action} ${esc(o.upn, 80)}: ${esc(o.errorCode ?? o.errorKind ?? 'error', 40)} — ${esc(o.errorMessage ?? '', 120)}`,
      ),
    moreFailures:
      failed.length > MAX_FAILURES_SHOWN ? `${fmtInt(failed.length - MAX_FAILURES_SHOWN)} more in the CSV.` : '',
    csvUrl: options.csvUrl,
    runId: esc(run.id, 60),
    shortHash: shortHash(run.planHash),
  });
}

export function renderImportReportCard(report: ImportReport): AdaptiveCardJson {
  const errors = report.errors.slice(0, MAX_IMPORT_ERRORS_SHOWN);
  return renderTemplate('import-report', {
    title: report.applied ? 'Access Control import applied' : 'Import rejected: nothing was changed',
    color: report.applied ? 'Good' : 'Attention',
    summary: report.applied
      ? `${fmtInt(report.totalRows)} row(s) read${report.errors.length ? `, ${fmtInt(report.errors.length)} rejected (partial import)` : ''}.`
      : `${fmtInt(report.errors.length)} problem(s) in ${fmtInt(report.totalRows)} row(s). Fix the file and attach it again.`,
    domains: report.applied
      ? report.domains.map((d) => ({
          domain: esc(d.domain, 120),
          line: `added ${fmtInt(d.added)} · updated ${fmtInt(d.updated)} · removed ${fmtInt(d.removed)} · unchanged ${fmtInt(d.unchanged)}`,
        }))
      : [],
    errors: errors.map((e) => `Line ${e.line}${e.field ? ` (${esc(e.field, 40)})` : ''}: ${esc(e.message, 160)}`),
    moreErrors:
      report.errors.length > errors.length
        ? `${fmtInt(report.errors.length - errors.length)} more problem(s) not shown.`
        : '',
  });
}

export function renderMoveResultCard(domain: string, result: MoveResult, by: string | null): AdaptiveCardJson {
  return renderMessageCard({
    title: `Moved ${fmtInt(result.moved.length)} object(s) out of ${esc(domain, 120)}`,
    color: result.failed.length ? 'Warning' : 'Good',
    text: by ? `Approved by ${esc(by, 80)}` : '',
    lines: [
      ...result.moved.slice(0, 20).map((m) => `${esc(m.from, 80)} → ${esc(m.to, 80)}`),
      ...result.failed.slice(0, 20).map((f) => `Failed: ${esc(f.upn, 80)} — ${esc(f.reason, 120)}`),
    ],
  });
}

export function renderStatusCard(input: {
  connection: { connected: true } | { connected: false; reason: string };
  settings: readonly DomainSettings[];
  lastRuns: ReadonlyMap<string, RunRecord | null>;
  destinations: ReadonlyMap<string, boolean>;
  now: Date;
}): AdaptiveCardJson {
  return renderTemplate('status', {
    connection: input.connection.connected
      ? 'Entra ID: connected'
      : `Entra ID: not connected — ${esc(input.connection.reason, 300)} (type connect)`,
    connectionColor: input.connection.connected ? 'Good' : 'Attention',
    domains: input.settings
      .filter((s) => s.synced)
      .map((s) => {
        const run = input.lastRuns.get(s.domain) ?? null;
        const paused =
          s.pausedUntil && new Date(s.pausedUntil) > input.now ? `paused until ${fmtTime(s.pausedUntil)}` : null;
        return {
          name: esc(s.domain, 120),
          periodic: paused ?? yesNo(s.periodic),
          notify: `${s.notify}${input.destinations.get(s.domain) ? '' : ' (no channel chosen: notify here)'}`,
          lastRun: run
            ? `${run.status} ${fmtTime(run.endedAt ?? run.startedAt)} (+${fmtInt(run.counts.added)} ~${fmtInt(run.counts.updated)} −${fmtInt(run.counts.deleted)})`
            : 'never',
        };
      }),
  });
}
