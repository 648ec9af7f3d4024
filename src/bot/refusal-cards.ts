// Turns a use case's refusal (a value, with a machine code) into the card a person sees, with the right next step.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import { scrubSecrets } from '../logger.js';
import type { Refusal } from '../sync/service-interface.js';
import type { AdaptiveCardJson } from './card-template.js';
import { ENGLISH, type Lang } from './i18n.js';
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
  // The core's sentence names the holder itself; a refusal without one (older, or made by the bot) gets it added.
  const detail =
    refusal.code === 'lease-held' && refusal.detail && !refusal.message
      ? lang.t('refusal.heldBy', { holder: refusal.detail })
      : '';
  return renderRefusalCard(lang, {
    title: lang.t(`refusal.title.${refusal.code}`),
    reason: `${lang.core(refusal.message, refusal.reason)}${detail}`,
    hint: HINTED.has(refusal.code) ? lang.t(`refusal.hint.${refusal.code}`) : '',
    rerunDomain: domain && RERUN.has(refusal.code) ? domain : null,
  });
}

/** The kinds of failure a person is told about (`error.kind.<kind>.reason|hint`): never the raw message. */
const FAILURE_KINDS: ReadonlySet<string> = new Set([
  'transient',
  'throttled',
  'forbidden',
  'credential',
  'directory',
  'internal',
]);

/** The failure's kind, from the error's own classification (Graph kinds, credential, directory) or `internal`. */
export function failureKind(err: unknown): string {
  const e = err as { kind?: unknown; name?: unknown } | null;
  if (e && typeof e.kind === 'string' && FAILURE_KINDS.has(e.kind)) return e.kind;
  if (e && e.name === 'CredentialError') return 'credential';
  if (e && typeof e.name === 'string' && /Scim|Directory/.test(e.name)) return 'directory';
  return 'internal';
}

/**
 * The card for a failure, in the reader's language: what failed (`what`, already in that language), its kind, what
 * to do, and a reference (correlation id) that finds the detail in the bot log; the error message goes to the log only.
 */
export function errorCard(lang: Lang, what: string, err: unknown, correlationId: string): AdaptiveCardJson {
  const kind = failureKind(err);
  return renderRefusalCard(lang, {
    title: lang.t('error.title', { what }),
    reason: lang.t(`error.kind.${kind}.reason`),
    hint: lang.t('error.hintWithReference', { hint: lang.t(`error.kind.${kind}.hint`), reference: correlationId }),
  });
}

/** What failed, as a string-table key (`what.*`) and its values: the log says it in English, the card in the reader's. */
export interface FailedStep {
  readonly key: string;
  readonly values?: Record<string, string>;
}

/** Logs the failure in English under a new correlation id (with its kind and the scrubbed error) and returns that id. */
function logFailure(logger: Logger, what: FailedStep, err: unknown, fields: Record<string, unknown>) {
  const correlationId = randomUUID();
  const kind = failureKind(err);
  logger.error(
    { ...fields, correlationId, kind, err: scrubSecrets(String(err)) },
    `${ENGLISH.t(what.key, what.values)} failed`,
  );
  return { correlationId, kind };
}

/** Logs the failure with a new correlation id and returns the card that shows that id. */
export function failureCard(
  logger: Logger,
  lang: Lang,
  what: FailedStep,
  err: unknown,
  fields: Record<string, unknown> = {},
): AdaptiveCardJson {
  const { correlationId } = logFailure(logger, what, err, fields);
  return errorCard(lang, lang.t(what.key, what.values), err, correlationId);
}

/**
 * Logs the failure with a new correlation id and returns one sentence for a summary line (the `preview all` card):
 * the kind of failure, what to do and the reference; never the error's own message.
 */
export function failureSentence(
  logger: Logger,
  lang: Lang,
  what: FailedStep,
  err: unknown,
  fields: Record<string, unknown> = {},
): string {
  const { correlationId, kind } = logFailure(logger, what, err, fields);
  return lang.t('error.sentence', {
    reason: lang.t(`error.kind.${kind}.reason`),
    hint: lang.t(`error.kind.${kind}.hint`),
    reference: correlationId,
  });
}
