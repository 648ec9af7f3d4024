// Decides whether a plan may still be applied: the one pure freshness check every apply path calls (bot, CLI, hourly).
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import type { DomainSettings, EntraDomain, Plan, PlanWriteSettings } from './model.js';
import type { Refusal } from './service.js';

/** The settings that decide a domain's writes today: the stored settings, the domain, the organization's country. */
export function writeSettingsOf(
  settings: Pick<DomainSettings, 'protectedAccounts' | 'onDelete' | 'usageLocation'>,
  authenticationType: EntraDomain['authenticationType'],
  organizationCountry: string | null,
): PlanWriteSettings {
  return {
    protectedAccounts: [...settings.protectedAccounts],
    onDelete: settings.onDelete,
    usageLocation: settings.usageLocation ?? organizationCountry ?? null,
    authenticationType,
  };
}

/**
 * sha256 of the canonical JSON of the write settings. Protected accounts are compared as a set (case-insensitive,
 * trimmed, order and duplicates ignored), the way the diff reads them; the usage location upper-case.
 */
export function settingsFingerprint(s: PlanWriteSettings): string {
  const canonical = {
    version: 1,
    protectedAccounts: [...new Set(s.protectedAccounts.map((p) => p.trim().toLowerCase()))].sort(),
    onDelete: s.onDelete,
    usageLocation: s.usageLocation === null ? null : s.usageLocation.toUpperCase(),
    authenticationType: s.authenticationType,
  };
  return createHash('sha256').update(canonicalJson(canonical), 'utf8').digest('hex');
}

/** What apply knows today; the fingerprints of both sides only once it has re-read them. */
export interface CurrentState {
  readonly writeSettings: PlanWriteSettings;
  readonly sourceFingerprint?: string;
  readonly entraFingerprint?: string;
}

const describeSettingsChange = (was: PlanWriteSettings | undefined, now: PlanWriteSettings): string[] => {
  if (!was) return ['the plan was made by an older version'];
  const what: string[] = [];
  const norm = (l: readonly string[]) => [...new Set(l.map((p) => p.trim().toLowerCase()))].sort().join('\n');
  if (norm(was.protectedAccounts) !== norm(now.protectedAccounts)) what.push('protected accounts');
  if (was.onDelete !== now.onDelete) what.push(`on delete (${was.onDelete} → ${now.onDelete})`);
  if ((was.usageLocation ?? '').toUpperCase() !== (now.usageLocation ?? '').toUpperCase())
    what.push(`usage location (${was.usageLocation ?? 'none'} → ${now.usageLocation ?? 'none'})`);
  if (was.authenticationType !== now.authenticationType)
    what.push(`authentication type (${was.authenticationType} → ${now.authenticationType})`);
  return what;
};

/**
 * Null when the plan still describes what apply would do; otherwise a `stale-plan` refusal saying what changed.
 * Settings are checked first (nothing needs reading for that); the snapshot fingerprints when they are given.
 */
export function checkPlanFreshness(
  plan: Pick<Plan, 'createdAt' | 'sourceFingerprint' | 'entraFingerprint'> &
    Partial<Pick<Plan, 'writeSettings' | 'settingsFingerprint'>>,
  current: CurrentState,
): Refusal | null {
  const now = settingsFingerprint(current.writeSettings);
  if (plan.settingsFingerprint !== now || !plan.writeSettings) {
    const what = describeSettingsChange(plan.writeSettings, current.writeSettings);
    const detail = what.length > 0 ? ` (${what.join('; ')})` : '';
    return {
      refused: true,
      code: 'stale-plan',
      reason: `refused: the domain's settings changed since this dry run${detail} (${plan.createdAt}). Run preview again.`,
    };
  }
  const sourceChanged = current.sourceFingerprint !== undefined && current.sourceFingerprint !== plan.sourceFingerprint;
  const entraChanged = current.entraFingerprint !== undefined && current.entraFingerprint !== plan.entraFingerprint;
  if (!sourceChanged && !entraChanged) return null;
  const what = [sourceChanged ? 'Access Control' : null, entraChanged ? 'Entra ID' : null]
    .filter(Boolean)
    .join(' and ');
  return {
    refused: true,
    code: 'stale-plan',
    reason: `refused: ${what} changed since this dry run (${plan.createdAt}). Run preview again.`,
  };
}
