// The run guard: max allowed deletions (share and absolute cap) and the empty-source check, as readable verdicts.
import { type CoreMessageCode, type CoreMessageValue, say } from './core-messages.js';
import type { Change, DeletionShare, DomainSettings, DomainSnapshot, GuardVerdict, PlanCounts } from './model.js';

/*
 * In scope (the denominator) = every Entra user of the domain snapshot (UPN in @domain) except guests.
 * Skipped users (protected, AD-synced, admin-role, conflicts) still count: they are the domain's users.
 * The same number is shown on the card, written to the CSV summary and used by the guard.
 */
export function inScopeCount(snapshot: Pick<DomainSnapshot, 'entra'>): number {
  let n = 0;
  for (const e of snapshot.entra) if (e.userType === null || e.userType.toLowerCase() !== 'guest') n++;
  return n;
}

export type GuardSettings = Pick<DomainSettings, 'maxDeletionPercent' | 'maxDeletionCount'>;

const countDeletes = (changes: readonly Change[]): number => {
  let n = 0;
  for (const c of changes) if (c.action === 'Delete') n++;
  return n;
};

/** `count / inScope × 100` rounded DOWN to one decimal, so the shown share never contradicts the verdict. */
export function sharePercent(count: number, inScope: number): number {
  if (inScope <= 0) return 0;
  return Math.floor((count * 1000) / inScope) / 10;
}

/** Whether `count` deletes out of `inScope` reach `maxPercent` (exact arithmetic, no rounding). */
export function reachesPercent(count: number, inScope: number, maxPercent: number): boolean {
  if (count <= 0) return false;
  if (inScope <= 0) return true;
  return count * 100 >= maxPercent * inScope;
}

/** The deletion share of a plan (changes or counts) against the settings. */
export function deletionShare(
  changesOrCounts: readonly Change[] | Pick<PlanCounts, 'delete'>,
  inScope: number,
  settings: GuardSettings,
): DeletionShare {
  const count = Array.isArray(changesOrCounts)
    ? countDeletes(changesOrCounts as readonly Change[])
    : (changesOrCounts as Pick<PlanCounts, 'delete'>).delete;
  const maxCount = settings.maxDeletionCount ?? null;
  const wouldCancel =
    reachesPercent(count, inScope, settings.maxDeletionPercent) || (maxCount !== null && count > maxCount);
  return {
    count,
    inScope,
    percent: sharePercent(count, inScope),
    maxPercent: settings.maxDeletionPercent,
    maxCount,
    wouldCancel,
  };
}

const fmt = (n: number): string => String(Number(n.toFixed(1)));

/** A cancelling verdict: the English reason and the same as a code with values. */
function cancel(
  code: Extract<GuardVerdict, { ok: false }>['code'],
  messageCode: CoreMessageCode,
  params: Record<string, CoreMessageValue>,
): GuardVerdict {
  const { text, message } = say(messageCode, params);
  return { ok: false, code, reason: text, message };
}

export interface GuardInput {
  readonly deletion: DeletionShare;
  /** Number of source users read for this run. */
  readonly sourceCount: number;
  readonly previousSourceCount: number | null;
}

export type GuardCheckSettings = GuardSettings & Pick<DomainSettings, 'allowSourceShrink'>;

/**
 * The verdict: empty-source first, then the share (`percent ≥ max` cancels), then the absolute cap (more than
 * `maxDeletionCount` deletes cancels). Reasons read like "cancelled: deletions 70% reached the 65% limit".
 */
export function checkGuard(input: GuardInput, settings: GuardCheckSettings): GuardVerdict {
  const { deletion, sourceCount, previousSourceCount } = input;
  if (!settings.allowSourceShrink) {
    if (sourceCount === 0 && deletion.inScope > 0)
      return cancel('empty-source', 'guard.emptySource', { inScope: deletion.inScope });
    if (previousSourceCount !== null && previousSourceCount > 0 && sourceCount * 2 < previousSourceCount)
      return cancel('empty-source', 'guard.sourceShrank', { count: sourceCount, previous: previousSourceCount });
  }
  if (reachesPercent(deletion.count, deletion.inScope, settings.maxDeletionPercent))
    return cancel('max-deletions', 'guard.maxDeletions', {
      percent: fmt(deletion.percent),
      max: fmt(settings.maxDeletionPercent),
    });
  const cap = settings.maxDeletionCount ?? null;
  if (cap !== null && deletion.count > cap)
    return cancel('max-count', 'guard.maxCount', { count: deletion.count, cap });
  return { ok: true };
}
