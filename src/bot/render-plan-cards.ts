// View models of the plan cards: pre-check (and its move result), dry run, and the `preview all` summary.
import type { Change, Plan } from '../sync/model.js';
import { newUsersWithoutCredentials } from '../sync/plan.js';
import type { MoveResult, PrecheckResult } from '../sync/service-interface.js';
import { fmtTime, shortHash } from './card-format.js';
import { type AdaptiveCardJson, renderTemplate } from './card-template.js';
import { escapeCardText as esc, plainCardText } from './escape.js';
import type { Lang } from './i18n.js';
import { renderMessageCard } from './render-cards.js';

/** How many changes of each kind the dry-run card lists. */
export const FIRST_CHANGES_PER_KIND = 5;
export const MAX_PRECHECK_CHOICES = 50;

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
