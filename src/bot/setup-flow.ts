// Card-first set-up of a domain: the "Set up sync" / "Settings" form, and Save with its checks and next steps.
import { isRefusal } from '../sync/service-interface.js';
import type { DomainSettingsPatch } from '../sync/service-interface.js';
import { isCountryCode } from '../sync/service/domains.js';
import type { AdaptiveCardJson } from './card-template.js';
import { settingsFacts } from './command-handlers.js';
import { escapeCardText as esc } from './escape.js';
import type { Lang } from './i18n.js';
import { refusalCard } from './refusal-cards.js';
import { commandAction, renderMessageCard, renderSetupCard, type SetupFormValues } from './render-cards.js';
import type { BotRuntime } from './runtime.js';

const MAX_PROTECTED = 500;
const UPN = /^[^\s@]{1,113}@[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/i;
const OBJECT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const text = (v: unknown, max: number): string => (typeof v === 'string' ? v.slice(0, max) : '');

/** What the form sent, as the form shows it again when Save refuses it. */
export function formValues(data: Record<string, unknown>): SetupFormValues {
  return {
    maxDeletionPercent: text(data.maxDeletionPercent, 20).trim(),
    onDelete: text(data.onDelete, 20).trim(),
    protectedAccounts: text(data.protectedAccounts, 20_000),
    usageLocation: text(data.usageLocation, 20).trim(),
  };
}

/**
 * Checks the form (pure): the settings patch, or a sentence naming the field that is wrong. Protected accounts
 * are UPNs or Entra object ids, one per line (commas and spaces separate too).
 */
export function parseSetupForm(
  lang: Lang,
  values: SetupFormValues,
): { patch: DomainSettingsPatch } | { error: string } {
  const raw = values.maxDeletionPercent.replace(/%$/, '');
  const pct = /^\d{1,3}(\.\d{1,2})?$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(pct > 0 && pct <= 100))
    return { error: lang.t('setup.errorMaxDeletions', { value: values.maxDeletionPercent }) };
  if (values.onDelete !== 'delete' && values.onDelete !== 'disable') return { error: lang.t('setup.errorOnDelete') };
  const accounts = values.protectedAccounts
    .split(/[\s,;]+/)
    .map((a) => a.trim())
    .filter(Boolean);
  if (accounts.length > MAX_PROTECTED) return { error: lang.t('setup.errorProtectedCount', { max: MAX_PROTECTED }) };
  const bad = accounts.find((a) => !UPN.test(a) && !OBJECT_ID.test(a));
  if (bad !== undefined) return { error: lang.t('setup.errorProtected', { value: bad.slice(0, 80) }) };
  // The same rule as the CLI's --usage-location: an assigned ISO 3166 alpha-2 code; empty means the organization's.
  const usage = values.usageLocation;
  if (usage !== '' && !isCountryCode(usage))
    return { error: lang.t('setup.errorUsageLocation', { value: usage.slice(0, 20) }) };
  return {
    patch: {
      maxDeletionPercent: pct,
      onDelete: values.onDelete,
      protectedAccounts: [...new Set(accounts.map((a) => a.toLowerCase()))],
      usageLocation: usage === '' ? null : usage.toUpperCase(),
    },
  };
}

/** The form for `domain`, filled with its saved settings (or the defaults of a domain not set up yet). */
export async function setupFormCard(rt: BotRuntime, lang: Lang, domain: string): Promise<AdaptiveCardJson> {
  const saved = await rt.service.getSettings(domain);
  const configured = saved?.synced === true;
  return renderSetupCard(lang, {
    domain,
    configured,
    values: {
      maxDeletionPercent: String(configured ? saved.maxDeletionPercent : 10),
      onDelete: configured ? saved.onDelete : 'delete',
      protectedAccounts: configured ? saved.protectedAccounts.join('\n') : '',
      usageLocation: configured ? (saved.usageLocation ?? '') : '',
    },
  });
}

/** Save: checks the form, sets the domain up (or changes it), and answers with the next steps as buttons. */
export async function saveSetup(
  rt: BotRuntime,
  lang: Lang,
  domain: string,
  data: Record<string, unknown>,
  by: string,
): Promise<AdaptiveCardJson> {
  const values = formValues(data);
  const saved = await rt.service.getSettings(domain);
  const configured = saved?.synced === true;
  const parsed = parseSetupForm(lang, values);
  if ('error' in parsed) return renderSetupCard(lang, { domain, configured, values, error: parsed.error });
  const r = configured
    ? await rt.service.setDomain(domain, parsed.patch, by)
    : await rt.service.addDomain(domain, parsed.patch, by);
  if (isRefusal(r)) {
    if (r.code === 'bad-input')
      return renderSetupCard(lang, { domain, configured, values, error: lang.core(r.message, r.reason) });
    return refusalCard(lang, r, null);
  }
  rt.logger.info({ domain, by, settings: parsed.patch }, configured ? 'domain settings saved' : 'domain set up');
  return renderMessageCard({
    title: lang.t(configured ? 'setup.savedSettings' : 'settings.setUp', { domain: esc(domain) }),
    color: 'Good',
    text: lang.t('setup.next'),
    facts: [
      ...settingsFacts(lang, r),
      {
        title: lang.t('setup.protectedLabel'),
        value: r.protectedAccounts.length > 0 ? lang.num(r.protectedAccounts.length) : lang.t('setup.none'),
      },
    ],
    actions: [
      commandAction(lang.t('buttons.precheck'), `precheck ${domain}`),
      commandAction(lang.t('buttons.startDryRun'), `preview ${domain}`),
    ],
  });
}
