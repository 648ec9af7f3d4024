// Turns a use case's refusal (a value, with a machine code) into the card a person sees, with the right next step.
import type { Refusal } from '../sync/service.js';
import type { AdaptiveCardJson } from './card-template.js';
import type { Lang } from './i18n.js';
import { renderRefusalCard } from './render-cards.js';

/** Refusal codes with a next-step hint in the string tables (`refusal.hint.<code>`). */
const HINTED: ReadonlySet<Refusal['code']> = new Set([
  'stale-plan',
  'plan-not-found',
  'guard',
  'lease-held',
  'not-connected',
  'not-configured',
]);

/** Which refusals offer **Run dry run again** (when the domain is known). */
const RERUN: ReadonlySet<Refusal['code']> = new Set(['stale-plan', 'plan-not-found', 'guard', 'plan-used']);

export function refusalCard(lang: Lang, refusal: Refusal, domain: string | null): AdaptiveCardJson {
  const detail =
    refusal.code === 'lease-held' && refusal.detail ? lang.t('refusal.heldBy', { holder: refusal.detail }) : '';
  return renderRefusalCard(lang, {
    title: lang.t(`refusal.title.${refusal.code}`),
    reason: `${refusal.reason}${detail}`,
    hint: HINTED.has(refusal.code) ? lang.t(`refusal.hint.${refusal.code}`) : '',
    rerunDomain: domain && RERUN.has(refusal.code) ? domain : null,
  });
}

/** `what` is the failed step in the reader's language (e.g. lang.t('what.dryRun')). */
export function errorCard(lang: Lang, what: string, err: unknown): AdaptiveCardJson {
  const message = err instanceof Error ? err.message : String(err);
  return renderRefusalCard(lang, {
    title: lang.t('error.title', { what }),
    reason: message,
    hint: lang.t('error.hint'),
  });
}
