// Turns a use case's refusal (a value, with a machine code) into the card a person sees, with the right next step.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import { scrubSecrets } from '../logger.js';
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

/** What a person is told for each kind of failure: never the raw message (internal URLs, Graph text). */
const FAILURES: Record<string, { readonly reason: string; readonly hint: string }> = {
  transient: {
    reason: 'Microsoft Graph or the network did not answer in time.',
    hint: 'Try again in a few minutes.',
  },
  throttled: {
    reason: 'Microsoft Graph is throttling the requests of this app.',
    hint: 'Try again in a few minutes; an hourly run retries by itself.',
  },
  forbidden: {
    reason: 'Microsoft Graph refused the request: the app lacks a permission or the target is protected.',
    hint: 'Type connect to check the permissions granted to the app.',
  },
  credential: {
    reason: 'The bot could not sign in to Microsoft Entra ID.',
    hint: 'Type connect to see what is wrong with the connection.',
  },
  directory: {
    reason: 'Access Control (the source directory) could not be read.',
    hint: 'Check that Access Control is reachable, then try again.',
  },
  internal: {
    reason: 'Something unexpected went wrong in the bot.',
    hint: 'Try again; if it happens again, give the bot operator the reference below.',
  },
};

/** The failure's kind, from the error's own classification (Graph kinds, credential, directory) or `internal`. */
export function failureKind(err: unknown): string {
  const e = err as { kind?: unknown; name?: unknown } | null;
  if (e && typeof e.kind === 'string' && e.kind in FAILURES) return e.kind;
  if (e && e.name === 'CredentialError') return 'credential';
  if (e && typeof e.name === 'string' && /Scim|Directory/.test(e.name)) return 'directory';
  return 'internal';
}

/**
 * The card for a failure: its kind, what to do, and a reference (correlation id) that finds the detail in the bot
 * log; the detail itself (the error message) goes to the log only.
 */
export function errorCard(what: string, err: unknown, correlationId: string): AdaptiveCardJson {
  const f = FAILURES[failureKind(err)] ?? FAILURES.internal!;
  return renderRefusalCard({
    title: `${what} failed`,
    reason: f.reason,
    hint: `${f.hint} Nothing more will happen for this request. Reference: ${correlationId}`,
  });
}

/** Logs the failure with a new correlation id and returns the card that shows that id. */
export function failureCard(
  logger: Logger,
  what: string,
  err: unknown,
  fields: Record<string, unknown> = {},
): AdaptiveCardJson {
  const correlationId = randomUUID();
  logger.error({ ...fields, correlationId, kind: failureKind(err), err: scrubSecrets(String(err)) }, `${what} failed`);
  return errorCard(what, err, correlationId);
}
