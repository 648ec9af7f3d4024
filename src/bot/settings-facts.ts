// The fact lines several answers share: a domain's settings, and when its next hourly run is and where it is told.
import { domainOffsetMs, slotAt, slotTime } from '../schedule/index.js';
import type { DomainSettings } from '../sync/model.js';
import { escapeCardText as esc } from './escape.js';
import type { Lang } from './i18n.js';
import { fmtTime } from './card-format.js';
import type { BotRuntime } from './runtime.js';

/** When the next periodic run of the domain will start, and where its notification goes. */
export async function scheduleFacts(
  rt: BotRuntime,
  lang: Lang,
  domain: string,
  conversationKey: string | null,
): Promise<{ title: string; value: string }[]> {
  const intervalMs = rt.config.syncIntervalSeconds * 1000;
  const offset = domainOffsetMs(domain, intervalMs);
  const next = slotTime(slotAt(rt.now().getTime(), intervalMs, offset) + 1, intervalMs, offset);
  const dest = await rt.stores.conversations.destinationFor(domain);
  const where = lang.t(
    dest === null ? 'schedule.whereNowhere' : dest === conversationKey ? 'schedule.whereHere' : 'schedule.whereChosen',
  );
  return [
    { title: lang.t('schedule.firstRun'), value: fmtTime(new Date(next).toISOString()) },
    { title: lang.t('settings.notifications'), value: where },
  ];
}

/** A domain's usage location for new users: its country code, or the organization's default. */
export function usageLocationText(lang: Lang, s: Pick<DomainSettings, 'usageLocation'>): string {
  return s.usageLocation ? esc(s.usageLocation, 8) : lang.t('settings.usageLocationDefault');
}

export function settingsFacts(lang: Lang, s: DomainSettings): { title: string; value: string }[] {
  return [
    { title: lang.t('settings.maxDeletions'), value: `${s.maxDeletionPercent}%` },
    { title: lang.t('settings.onDelete'), value: lang.t(`settings.onDeleteValue.${s.onDelete}`) },
    { title: lang.t('settings.hourly'), value: lang.t(s.periodic ? 'common.on' : 'common.off') },
    { title: lang.t('settings.notifications'), value: lang.t(`notifyMode.${s.notify}`) },
    { title: lang.t('settings.usageLocation'), value: usageLocationText(lang, s) },
  ];
}
