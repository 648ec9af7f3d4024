// Turns a use case's refusal (a value, with a machine code) into the card a person sees, with the right next step.
import type { Refusal } from '../sync/service.js';
import type { AdaptiveCardJson } from './card-template.js';
import { renderRefusalCard } from './render-cards.js';

const TITLES: Record<Refusal['code'], string> = {
  'unknown-domain': 'Unknown domain',
  'unverified-domain': 'Domain not verified',
  'not-configured': 'Domain not set up for sync',
  guard: 'Sync refused: max allowed deletions',
  'stale-plan': 'This dry run is out of date',
  'plan-not-found': 'This dry run no longer exists',
  'plan-used': 'This dry run was already applied',
  'lease-held': 'Another sync of this domain is running',
  'not-connected': 'Not connected to Microsoft Entra ID',
  'bad-input': 'Not accepted',
};

const HINTS: Partial<Record<Refusal['code'], string>> = {
  'stale-plan':
    'Access Control or Entra ID changed after the dry run. Nothing was changed. Run the dry run again and review it.',
  'plan-not-found': 'Nothing was changed. Run the dry run again.',
  guard:
    'Nothing was changed. Review the deletions; raise the limit with "domain set <domain> max-deletions <pct>" only if they are expected.',
  'lease-held': 'Nothing was changed by this request. Try again when the running sync has finished.',
  'not-connected': 'Type connect to see the connection and grant admin consent.',
  'not-configured': 'Set it up with: domain add <domain> max-deletions 10',
};

/** Which refusals offer **Run dry run again** (when the domain is known). */
const RERUN: ReadonlySet<Refusal['code']> = new Set(['stale-plan', 'plan-not-found', 'guard', 'plan-used']);

export function refusalCard(refusal: Refusal, domain: string | null): AdaptiveCardJson {
  const detail = refusal.code === 'lease-held' && refusal.detail ? ` (held by ${refusal.detail})` : '';
  return renderRefusalCard({
    title: TITLES[refusal.code] ?? 'Not accepted',
    reason: `${refusal.reason}${detail}`,
    hint: HINTS[refusal.code] ?? '',
    rerunDomain: domain && RERUN.has(refusal.code) ? domain : null,
  });
}

export function errorCard(what: string, err: unknown): AdaptiveCardJson {
  const message = err instanceof Error ? err.message : String(err);
  return renderRefusalCard({
    title: `${what} failed`,
    reason: message,
    hint: 'Nothing more will happen for this request. The bot log has the details.',
  });
}
