// Decides whether a plan may still be applied: the one pure freshness check every apply path calls (bot, CLI, hourly).
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import { type CoreMessage, list, message, say } from './core-messages.js';
import type { DomainSettings, EntraDomain, Plan, PlanWriteSettings } from './model.js';
import type { Refusal } from './service-interface.js';

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

const describeSettingsChange = (was: PlanWriteSettings | undefined, now: PlanWriteSettings): CoreMessage[] => {
  if (!was) return [message('freshness.olderVersion')];
  const what: CoreMessage[] = [];
  const norm = (l: readonly string[]) => [...new Set(l.map((p) => p.trim().toLowerCase()))].sort().join('\n');
  const orNone = (v: string | null) => v ?? message('none');
  if (norm(was.protectedAccounts) !== norm(now.protectedAccounts)) what.push(message('freshness.protectedAccounts'));
  if (was.onDelete !== now.onDelete) what.push(message('freshness.onDelete', { was: was.onDelete, now: now.onDelete }));
  if ((was.usageLocation ?? '').toUpperCase() !== (now.usageLocation ?? '').toUpperCase())
    what.push(message('freshness.usageLocation', { was: orNone(was.usageLocation), now: orNone(now.usageLocation) }));
  if (was.authenticationType !== now.authenticationType)
    what.push(message('freshness.authenticationType', { was: was.authenticationType, now: now.authenticationType }));
  return what;
};

const stale = (said: { text: string; message: CoreMessage }): Refusal => ({
  refused: true,
  code: 'stale-plan',
  reason: said.text,
  message: said.message,
});

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
    return stale(
      what.length > 0
        ? say('freshness.settings', { what: list(what, 'semicolon'), createdAt: plan.createdAt })
        : say('freshness.settingsUnnamed', { createdAt: plan.createdAt }),
    );
  }
  const sourceChanged = current.sourceFingerprint !== undefined && current.sourceFingerprint !== plan.sourceFingerprint;
  const entraChanged = current.entraFingerprint !== undefined && current.entraFingerprint !== plan.entraFingerprint;
  if (!sourceChanged && !entraChanged) return null;
  const code =
    sourceChanged && entraChanged ? 'freshness.both' : sourceChanged ? 'freshness.source' : 'freshness.entra';
  return stale(say(code, { createdAt: plan.createdAt }));
}
