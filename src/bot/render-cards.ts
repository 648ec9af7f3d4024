// Pure renderers: plans, runs, refusals and settings in, Adaptive Card JSON out (templates in cards/, words in the string tables).
import { REQUIRED_PERMISSIONS } from '../entra/admin-consent.js';
import type { Change, DomainSettings, Plan, RunRecord } from '../sync/model.js';
import { newUsersWithoutCredentials } from '../sync/plan.js';
import type { DomainView, ImportReport, MoveResult, PrecheckResult, Progress } from '../sync/service-interface.js';
import { type AdaptiveCardJson, renderTemplate } from './card-template.js';
import { COMMAND_EXAMPLES } from './command-parser.js';
import { escapeCardText as esc, plainCardText } from './escape.js';
import type { Lang } from './i18n.js';

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

export function fmtDuration(lang: Lang, startIso: string, endIso: string | null): string {
  if (!endIso) return '—';
  const ms = new Date(endIso).getTime() - new Date(startIso).getTime();
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return lang.t('time.seconds', { s });
  const m = Math.floor(s / 60);
  return m < 60
    ? lang.t('time.minSec', { m, s: s % 60 })
    : lang.t('time.hourMin', { h: Math.floor(m / 60), m: m % 60 });
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
 * A general card. `title`, `text`, fact values and lines are treated as markdown written by the bot (sentences
 * from the string tables): callers escape any directory value they put in them (escape.ts).
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

export function renderHelpCard(lang: Lang, options: { notice?: string } = {}): AdaptiveCardJson {
  const steps = [
    commandAction(lang.t('buttons.connect'), 'connect'),
    commandAction(lang.t('buttons.domains'), 'domains'),
    commandAction(lang.t('buttons.previewAll'), 'preview all'),
    commandAction(lang.t('buttons.status'), 'status'),
    commandAction(lang.t('buttons.syncLog'), 'logs'),
  ];
  return renderTemplate('help', {
    s: lang.s,
    notice: options.notice ?? '',
    actions: steps.map((a) => ({ title: plainCardText(a.title, 40), verb: a.verb, data: { ...a.data, verb: a.verb } })),
    commands: COMMAND_EXAMPLES.map((c) => ({ usage: esc(c.usage, 200), example: esc(c.example, 200) })),
  });
}

export function renderRefusalCard(
  lang: Lang,
  input: {
    title: string;
    reason: string;
    hint?: string;
    rerunDomain?: string | null;
  },
): AdaptiveCardJson {
  return renderTemplate('refusal', {
    s: lang.s,
    title: plainCardText(input.title, 120),
    reason: esc(input.reason, 600),
    hint: input.hint ? esc(input.hint, 300) : '',
    rerunDomain: input.rerunDomain ?? '',
  });
}

/** The saved connection (the console's "Use saved data"): which tenant and app the bot signs in as. */
export interface SavedConnection {
  readonly tenantId: string | null;
  readonly clientId: string | null;
  readonly authorityHost: string;
  readonly graphBaseUrl: string;
}

/**
 * The `connect` card: status, the saved connection, and each required Graph permission with whether a fresh token
 * carries it (`missing` names those it lacks; without it, all are granted or none). `notePersonal` replaces the
 * consent button where the link must not be posted (a channel or group chat).
 */
export function renderConnectCard(
  lang: Lang,
  input: {
    connected: boolean;
    reason?: string;
    consentUrl?: string | null;
    saved?: SavedConnection | null;
    /** The permissions a fresh token lacks, by name (from its `roles` claim). */
    missing?: readonly string[];
    notePersonal?: boolean;
  },
): AdaptiveCardJson {
  const saved = input.saved;
  const missing = new Set(input.missing ?? (input.connected ? [] : REQUIRED_PERMISSIONS.map((p) => p.name)));
  return renderTemplate('connect', {
    s: lang.s,
    note: !input.connected && input.notePersonal ? lang.t('connect.personalOnly') : '',
    saved: saved
      ? [
          { title: lang.t('connect.tenant'), value: esc(saved.tenantId ?? '—', 80) },
          { title: lang.t('connect.app'), value: esc(saved.clientId ?? '—', 80) },
          { title: lang.t('connect.signIn'), value: esc(saved.authorityHost, 120) },
          { title: lang.t('connect.graph'), value: esc(saved.graphBaseUrl, 120) },
        ]
      : [],
    permissions: REQUIRED_PERMISSIONS.map((p) => ({
      name: p.name,
      state: lang.t(missing.has(p.name) ? 'connect.missing' : 'connect.granted'),
    })),
    missingText:
      !input.connected && missing.size > 0
        ? lang.t('connect.missingList', { permissions: [...missing].map((m) => esc(m, 80)).join(', ') })
        : '',
    statusText: input.connected
      ? lang.t('connect.connected')
      : lang.t('connect.notConnected', {
          // A token without some permissions is said in the reader's words; other reasons come from the sign-in.
          reason:
            input.missing && input.missing.length > 0
              ? lang.t('connect.consentMissing')
              : esc(input.reason ?? lang.t('connect.unknownReason'), 400),
        }),
    statusColor: input.connected ? 'Good' : 'Attention',
    consentUrl: input.connected ? '' : (input.consentUrl ?? ''),
  });
}

const onOff = (lang: Lang, b: boolean) => lang.t(b ? 'common.on' : 'common.off');

/** A button that runs a typed command (the `command` card verb): every step can be done by buttons alone. */
export const commandAction = (title: string, command: string): ExecuteAction => ({
  title,
  verb: 'command',
  data: { command },
});

export function renderDomainsCard(lang: Lang, views: readonly DomainView[], options: { now: Date }): AdaptiveCardJson {
  return renderTemplate('domains', {
    s: lang.s,
    domains: views.map((v) => {
      const s = v.settings;
      const id = v.domain.id;
      const paused = Boolean(s?.pausedUntil && new Date(s.pausedUntil) > options.now);
      const synced = s?.synced === true;
      // The tenant's *.onmicrosoft.com domain is never synced (the service refuses it): it is where pre-check moves
      // rooms and service accounts, so the card offers no set-up for it.
      const initial = v.domain.isInitial && !synced;
      const actions: ExecuteAction[] = initial
        ? []
        : synced
        ? [
            commandAction(lang.t('buttons.dryRun'), `preview ${id}`),
            { title: lang.t('buttons.settings'), verb: 'setup-form', data: { domain: id } },
            commandAction(lang.t('buttons.syncLog'), `logs ${id}`),
            ...(s?.periodic
              ? [
                  paused
                    ? commandAction(lang.t('buttons.resume'), `resume ${id}`)
                    : commandAction(lang.t('buttons.pause'), `pause ${id}`),
                ]
              : []),
          ]
          : [{ title: lang.t('buttons.setUp'), verb: 'setup-form', data: { domain: id } }];
      return {
        name: esc(id, 120),
        synced,
        initial,
        state: synced
          ? lang.t(paused ? 'domains.statePaused' : s?.periodic ? 'domains.stateHourly' : 'domains.stateSynced')
          : lang.t(initial ? 'domains.stateInitial' : 'domains.stateNotSynced'),
        stateColor: synced ? (paused ? 'Warning' : 'Good') : 'Default',
        maxDeletions: s?.synced
          ? s.maxDeletionCount !== null
            ? lang.t('domains.maxDeletionsWithCount', {
                pct: s.maxDeletionPercent,
                count: lang.num(s.maxDeletionCount),
              })
            : lang.t('domains.maxDeletions', { pct: s.maxDeletionPercent })
          : '—',
        usageLocation: s?.synced
          ? s.usageLocation
            ? esc(s.usageLocation, 8)
            : lang.t('settings.usageLocationDefault')
          : '—',
        periodic: s?.synced
          ? `${onOff(lang, s.periodic)}${paused ? lang.t('domains.pausedUntil', { time: fmtTime(s.pausedUntil) }) : ''}`
          : '—',
        lastRun: v.lastRun
          ? lang.t('domains.lastRun', {
              status: lang.t(`runStatus.${v.lastRun.status}`),
              time: fmtTime(v.lastRun.endedAt ?? v.lastRun.startedAt),
            })
          : lang.t('common.never'),
        actions: actions.map((a) => ({
          title: plainCardText(a.title, 40),
          verb: a.verb,
          data: { ...a.data, verb: a.verb },
        })),
      };
    }),
  });
}

/** What the set-up form shows: the saved values, or what the person typed when Save refused them. */
export interface SetupFormValues {
  readonly maxDeletionPercent: string;
  readonly onDelete: string;
  readonly protectedAccounts: string;
  /** ISO 3166 alpha-2 code of new users' usage location; empty: the organization's default. */
  readonly usageLocation: string;
}

/** The "Set up sync" / "Settings" form of one domain, with an error naming the field when Save refused. */
export function renderSetupCard(
  lang: Lang,
  input: { domain: string; configured: boolean; values: SetupFormValues; error?: string },
): AdaptiveCardJson {
  return renderTemplate('domain-setup', {
    s: lang.s,
    title: lang.t(input.configured ? 'setup.titleSettings' : 'setup.title', { domain: esc(input.domain, 120) }),
    error: input.error ? esc(input.error, 400) : '',
    domainId: input.domain,
    maxDeletionPercent: plainCardText(input.values.maxDeletionPercent, 10),
    onDelete: input.values.onDelete === 'disable' ? 'disable' : 'delete',
    usageLocation: plainCardText(input.values.usageLocation, 10),
    // Multi-line input: one account per line, each capped; control characters other than newlines dropped.
    protectedAccounts: input.values.protectedAccounts
      .split(/\r?\n/)
      .map((line) => plainCardText(line, 256))
      .filter(Boolean)
      .slice(0, 500)
      .join('\n'),
  });
}

export function renderPrecheckCard(lang: Lang, result: PrecheckResult): AdaptiveCardJson {
  const candidates = result.candidates.slice(0, MAX_PRECHECK_CHOICES);
  const likely = result.candidates.filter((c) => c.likelyKind !== null).length;
  return renderTemplate('precheck', {
    s: lang.s,
    domain: esc(result.domain, 120),
    domainId: result.domain,
    moveLabel: lang.t('precheck.moveLabel', { domain: esc(result.initialDomain, 120) }),
    summary:
      result.candidates.length === 0
        ? lang.t('precheck.nothing')
        : lang.t('precheck.summary', { count: lang.num(result.candidates.length), likely: lang.num(likely) }),
    lines: [],
    choices: candidates.map((c) => ({
      title: plainCardText(
        `${c.likelyKind ? '⚑ ' : ''}${c.user.userPrincipalName} — ${c.user.displayName ?? ''} (${lang.t(`precheck.kind.${c.likelyKind ?? 'person'}`)}: ${lang.core(c.whyMessage, c.why)})`,
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
        ? lang.t('precheck.more', { count: lang.num(result.candidates.length - candidates.length) })
        : '',
  });
}

/** Skip reasons whose note is always the same sentence, so the string tables say it (`skip.<reason>`). */
const TRANSLATED_SKIPS: ReadonlySet<string> = new Set(['protected', 'ad-synced', 'guest', 'admin-role']);

function changeLine(lang: Lang, c: Change): string {
  switch (c.action) {
    case 'Add':
      return `${esc(c.upn, 80)} — ${esc(c.attributes.displayName, 60)}${c.restoreId ? lang.t('dryRun.restoreMark') : ''}`;
    case 'Update': {
      const attrs = c.changes
        .slice(0, 3)
        .map((a) => `${a.attribute}: ${esc(JSON.stringify(a.before), 40)} → ${esc(JSON.stringify(a.after), 40)}`)
        .join('; ');
      const via = c.via ? lang.t('dryRun.federatedAdopt', { via: esc(c.via, 120), upn: esc(c.upn, 120) }) : '';
      return `${esc(c.upn, 80)} — ${attrs}${c.changes.length > 3 ? lang.t('dryRun.moreAttributes', { count: c.changes.length - 3 }) : ''}${via}`;
    }
    case 'Delete':
      return `${esc(c.upn, 80)}${c.displayName ? ` — ${esc(c.displayName, 60)}` : ''}${c.mode === 'disable' ? lang.t('dryRun.disableMark') : ''}`;
    case 'Skip':
      // Fixed reasons from the tables; a conflict or an invalid value is the core's note, in the reader's language.
      return `${esc(c.upn, 80)} — ${TRANSLATED_SKIPS.has(c.reason) ? lang.t(`skip.${c.reason}`) : esc(lang.core(c.noteMessage, c.note || c.reason), 200)}`;
    case 'NoChange':
      return esc(c.upn, 80);
  }
}

/** The max allowed deletions in words: "50%" or "50% or 20 users". */
export function limitText(lang: Lang, d: { maxPercent: number; maxCount: number | null }): string {
  return d.maxCount !== null
    ? lang.t('guard.limitWithCount', { pct: d.maxPercent, count: lang.num(d.maxCount) })
    : lang.t('guard.limit', { pct: d.maxPercent });
}

/** A plan's guard verdict in words, or '' when a sync of it would go ahead. */
export function guardVerdict(lang: Lang, plan: Plan): string {
  if (!plan.guard.ok)
    return lang.t('dryRun.wouldCancel', { reason: esc(lang.core(plan.guard.message, plan.guard.reason), 300) });
  if (plan.deletion.wouldCancel) return lang.t('dryRun.wouldCancelDeletions');
  return '';
}

export function renderDryRunCard(
  lang: Lang,
  plan: Plan,
  options: { downloadUrl: string; requestedByName?: string | null; linkNote?: string },
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
      lines.push(changeLine(lang, c));
      if (lines.length >= FIRST_CHANGES_PER_KIND) break;
    }
    const label = lang.t(`action.${action}`);
    sections.push({
      title:
        total > lines.length
          ? lang.t('dryRun.sectionFirst', { action: label, shown: lines.length, total: lang.num(total) })
          : label,
      lines,
    });
  }
  let nonUsers = 0;
  for (const c of plan.changes) if (c.action === 'Delete' && c.nonUserHint) nonUsers++;
  const nonUserWarning =
    nonUsers > 0 ? lang.t('dryRun.nonUsers', { count: lang.num(nonUsers), domain: esc(plan.domain, 120) }) : '';
  const noCredentials = newUsersWithoutCredentials(plan);
  const signInWarning =
    noCredentials > 0
      ? lang.t('dryRun.noSignIn', { count: lang.num(noCredentials), domain: esc(plan.domain, 120) })
      : '';
  const warning = [guardVerdict(lang, plan), nonUserWarning, signInWarning].filter(Boolean).join('\n\n');
  return renderTemplate('dry-run', {
    s: lang.s,
    linkNote: options.linkNote ?? '',
    domain: esc(plan.domain, 120),
    subtitle: options.requestedByName
      ? lang.t('dryRun.subtitleFor', { time: fmtTime(plan.createdAt), name: esc(options.requestedByName, 60) })
      : lang.t('dryRun.subtitle', { time: fmtTime(plan.createdAt) }),
    counts: {
      add:
        lang.num(counts.add) +
        (counts.restore > 0 ? lang.t('dryRun.restoreCount', { count: lang.num(counts.restore) }) : ''),
      update: lang.num(counts.update),
      delete: lang.num(counts.delete),
      skip: lang.num(counts.skip),
      noChange: lang.num(counts.noChange),
    },
    // Only what changes is charted: a donut that is mostly "No change" hides the adds, updates and deletes.
    donut: [
      { legend: lang.t('action.Add'), value: counts.add, color: 'good' },
      { legend: lang.t('action.Update'), value: counts.update, color: 'warning' },
      { legend: lang.t('action.Delete'), value: counts.delete, color: 'attention' },
    ].filter((slice) => slice.value > 0),
    unchangedText:
      counts.skip > 0
        ? lang.t('dryRun.unchangedAndSkipped', { count: lang.num(counts.noChange), skipped: lang.num(counts.skip) })
        : lang.t('dryRun.unchanged', { count: lang.num(counts.noChange) }),
    deletionText: lang.t('dryRun.deletions', {
      count: lang.num(d.count),
      inScope: lang.num(d.inScope),
      percent: d.percent,
      limit: limitText(lang, d),
    }),
    warning,
    sections,
    shortHash: shortHash(plan.hash),
    downloadUrl: options.downloadUrl,
    canApply: plan.guard.ok && !d.wouldCancel,
    planId: plan.id,
    planHash: plan.hash,
    domainId: plan.domain,
  });
}

/** One domain's outcome in `preview all`: its plan, or why there is none. */
export type PreviewAllEntry =
  | { readonly domain: string; readonly plan: Plan; readonly downloadUrl: string }
  | { readonly domain: string; readonly refusal: string };

/** The `preview all` summary: one row per domain with its counts, guard verdict, and its card and CSV. */
export function renderPreviewAllCard(
  lang: Lang,
  entries: readonly PreviewAllEntry[],
  options: { now: Date; linkNote?: string },
): AdaptiveCardJson {
  return renderTemplate('preview-all', {
    s: lang.s,
    linkNote: entries.some((e) => 'plan' in e) ? (options.linkNote ?? '') : '',
    subtitle: lang.t('previewAll.subtitle', {
      count: entries.length,
      domains: lang.num(entries.length),
      time: fmtTime(options.now.toISOString()),
    }),
    rows: entries.map((e) => {
      if ('refusal' in e)
        return {
          domain: esc(e.domain, 120),
          verdict: lang.t('previewAll.failed'),
          verdictColor: 'Attention',
          counts: '',
          detail: esc(e.refusal, 300),
          planId: '',
          downloadUrl: '',
        };
      const c = e.plan.counts;
      const d = e.plan.deletion;
      const verdict = guardVerdict(lang, e.plan);
      return {
        domain: esc(e.domain, 120),
        verdict: lang.t(verdict ? 'previewAll.wouldCancel' : 'previewAll.ok'),
        verdictColor: verdict ? 'Attention' : 'Good',
        counts: lang.t('previewAll.counts', {
          add: lang.num(c.add),
          update: lang.num(c.update),
          delete: lang.num(c.delete),
          skip: lang.num(c.skip),
          noChange: lang.num(c.noChange),
        }),
        detail: verdict ? verdict : lang.t('previewAll.deletions', { percent: d.percent, limit: limitText(lang, d) }),
        planId: e.plan.id,
        downloadUrl: e.downloadUrl,
      };
    }),
  });
}

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

export function renderMoveResultCard(
  lang: Lang,
  domain: string,
  result: MoveResult,
  by: string | null,
): AdaptiveCardJson {
  return renderMessageCard({
    title: lang.t('move.title', { count: lang.num(result.moved.length), domain: esc(domain, 120) }),
    color: result.failed.length ? 'Warning' : 'Good',
    text: by ? lang.t('move.by', { name: esc(by, 80) }) : '',
    lines: [
      ...result.moved.slice(0, 20).map((m) => `${esc(m.from, 80)} → ${esc(m.to, 80)}`),
      ...result.failed
        .slice(0, 20)
        .map((f) =>
          lang.t('move.failed', { upn: esc(f.upn, 80), reason: esc(lang.core(f.reasonMessage, f.reason), 120) }),
        ),
    ],
    actions: [{ title: lang.t('buttons.startDryRun'), verb: 'preview', data: { domain } }],
  });
}

export function renderStatusCard(
  lang: Lang,
  input: {
    connection: { connected: true } | { connected: false; reason: string; missing?: readonly string[] };
    settings: readonly DomainSettings[];
    lastRuns: ReadonlyMap<string, RunRecord | null>;
    destinations: ReadonlyMap<string, boolean>;
    now: Date;
  },
): AdaptiveCardJson {
  return renderTemplate('status', {
    s: lang.s,
    connection: input.connection.connected
      ? lang.t('status.connected')
      : lang.t('status.notConnected', {
          // Missing permissions are named (a fresh token's roles); any other reason comes from the sign-in.
          reason:
            input.connection.missing && input.connection.missing.length > 0
              ? lang.t('status.consentMissing', {
                  permissions: input.connection.missing.map((m) => esc(m, 80)).join(', '),
                })
              : esc(input.connection.reason, 300),
        }),
    connectionColor: input.connection.connected ? 'Good' : 'Attention',
    domains: input.settings
      .filter((s) => s.synced)
      .map((s) => {
        const run = input.lastRuns.get(s.domain) ?? null;
        const paused =
          s.pausedUntil && new Date(s.pausedUntil) > input.now
            ? lang.t('status.pausedUntil', { time: fmtTime(s.pausedUntil) })
            : null;
        return {
          name: esc(s.domain, 120),
          periodic: paused ?? onOff(lang, s.periodic),
          notify: input.destinations.get(s.domain)
            ? lang.t(`notifyMode.${s.notify}`)
            : lang.t('status.noDestination', { mode: lang.t(`notifyMode.${s.notify}`) }),
          lastRun: run
            ? lang.t('status.lastRun', {
                status: lang.t(`runStatus.${run.status}`),
                time: fmtTime(run.endedAt ?? run.startedAt),
                added: lang.num(run.counts.added),
                updated: lang.num(run.counts.updated),
                deleted: lang.num(run.counts.deleted),
              })
            : lang.t('common.never'),
        };
      }),
  });
}
