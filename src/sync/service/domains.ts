// Domain settings use cases: the tenant's domains with their settings and last run, adding, changing, removing one.
import countries from 'i18n-iso-countries';
import { say } from '../core-messages.js';
import { DEFAULT_MAX_DELETION_PERCENT, type DomainSettings } from '../model.js';
import {
  type DomainSettingsPatch,
  type DomainView,
  isRefusal,
  type Refusal,
  type SyncService,
} from '../service-interface.js';
import type { ServiceContext } from './context.js';
import { normaliseDomain, refuse } from './deps.js';

/** An assigned ISO 3166-1 alpha-2 code (what Graph's `usageLocation` takes), in either case. */
export const isCountryCode = (code: string): boolean =>
  /^[A-Za-z]{2}$/.test(code) && Object.hasOwn(countries.getAlpha2Codes(), code.toUpperCase());

/** The patch with its usage location upper-cased (how it is stored and compared). */
const normalisePatch = (patch: DomainSettingsPatch): DomainSettingsPatch =>
  typeof patch.usageLocation === 'string' ? { ...patch, usageLocation: patch.usageLocation.toUpperCase() } : patch;

function validatePatch(patch: DomainSettingsPatch): Refusal | null {
  const p = patch.maxDeletionPercent;
  if (p !== undefined && !(Number.isFinite(p) && p > 0 && p <= 100))
    return refuse('bad-input', say('refusal.badMaxDeletions', { value: String(p) }));
  const c = patch.maxDeletionCount;
  if (c !== undefined && c !== null && !(Number.isInteger(c) && c >= 0))
    return refuse('bad-input', say('refusal.badDeletionCap', { value: String(c) }));
  const u = patch.usageLocation;
  if (u !== undefined && u !== null && !isCountryCode(u))
    return refuse('bad-input', say('refusal.badUsageLocation', { value: u }));
  return null;
}

export function domainUseCases({
  deps,
  iso,
  tenantDomain,
}: ServiceContext): Pick<SyncService, 'listDomains' | 'addDomain' | 'setDomain' | 'removeDomain' | 'getSettings'> {
  return {
    async listDomains() {
      const [domains, settings] = await Promise.all([deps.reader.listDomains(), deps.settings.list()]);
      const byName = new Map(settings.map((s) => [s.domain, s]));
      const shown = domains.flatMap((d) => byName.get(d.id.toLowerCase()) ?? []);
      // One read of the sync log for every domain with settings, not one per domain.
      const lastRuns = await deps.runs.lastRuns(shown.map((s) => s.domain));
      return domains.map((domain): DomainView => {
        const s = byName.get(domain.id.toLowerCase()) ?? null;
        return { domain, settings: s, lastRun: (s && lastRuns.get(s.domain)) ?? null };
      });
    },

    async addDomain(rawDomain, patch, by) {
      const name = normaliseDomain(rawDomain);
      const bad = validatePatch(patch);
      if (bad) return bad;
      const found = await tenantDomain(name);
      if (isRefusal(found)) return found;
      if (found.domain.isInitial) return refuse('bad-input', say('refusal.initialDomain', { domain: name }));
      const existing = await deps.settings.get(name);
      if (existing?.synced) return refuse('bad-input', say('refusal.alreadySynced', { domain: name }));
      const settings: DomainSettings = {
        domain: name,
        synced: true,
        maxDeletionPercent: patch.maxDeletionPercent ?? DEFAULT_MAX_DELETION_PERCENT,
        maxDeletionCount: patch.maxDeletionCount ?? null,
        protectedAccounts: patch.protectedAccounts ?? [],
        periodic: false,
        onDelete: patch.onDelete ?? 'delete',
        pausedUntil: null,
        allowSourceShrink: patch.allowSourceShrink ?? false,
        notify: patch.notify ?? 'changes-only',
        usageLocation: normalisePatch(patch).usageLocation ?? null,
        updatedAt: iso(),
        updatedBy: by,
      };
      await deps.settings.put(settings);
      return settings;
    },

    async setDomain(rawDomain, patch, by) {
      const name = normaliseDomain(rawDomain);
      const bad = validatePatch(patch);
      if (bad) return bad;
      const existing = await deps.settings.get(name);
      if (!existing?.synced) return refuse('not-configured', say('refusal.notConfigured', { domain: name }));
      const next: DomainSettings = {
        ...existing,
        ...Object.fromEntries(Object.entries(normalisePatch(patch)).filter(([, v]) => v !== undefined)),
        updatedAt: iso(),
        updatedBy: by,
      };
      await deps.settings.put(next);
      return next;
    },

    async removeDomain(rawDomain, by) {
      const name = normaliseDomain(rawDomain);
      const existing = await deps.settings.get(name);
      if (!existing?.synced) return refuse('not-configured', say('refusal.notConfiguredRemove', { domain: name }));
      const next: DomainSettings = { ...existing, synced: false, periodic: false, updatedAt: iso(), updatedBy: by };
      await deps.settings.put(next);
      return next;
    },

    getSettings: (domain) => deps.settings.get(normaliseDomain(domain)),
  };
}
