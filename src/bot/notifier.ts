// Posts a finished run's card to the conversation chosen with `notify here`; retries throttling, never throws.
import { CardFactory, MessageFactory, type TurnContext } from 'botbuilder';
import type { Logger } from '../logger.js';
import { scrubSecrets } from '../logger.js';
import type { RunRecord } from '../sync/model.js';
import type { DomainSettingsRepository, RunNotifier } from '../sync/ports.js';
import { type Lang, langFor, localeOf } from './i18n.js';
import { type LinkFor, renderRunNotification, shouldNotify } from './render-logs.js';

/** The part of botbuilder's CloudAdapter the notifier uses. */
export interface ProactiveAdapter {
  continueConversationAsync(
    botAppId: string,
    reference: Record<string, unknown>,
    logic: (context: TurnContext) => Promise<void>,
  ): Promise<void>;
}

export interface NotifierStores {
  readonly settings: Pick<DomainSettingsRepository, 'get'>;
  readonly conversations: {
    get(key: string): Promise<unknown | null>;
    destinationFor(domain: string): Promise<string | null>;
  };
}

export interface NotifierOptions {
  readonly adapter: ProactiveAdapter;
  readonly botAppId: string;
  readonly stores: NotifierStores;
  readonly logger: Logger;
  /** Signed download link of a run's per-user outcomes (CSV). */
  readonly linkFor: LinkFor;
  /** How long the CSV link works, in the card's language. */
  readonly linkNote?: (lang: Lang) => string;
  /** Delivery attempts for throttling (429) and server errors (5xx) before giving up (default 5). */
  readonly attempts?: number;
  /** First backoff delay; doubles each attempt, with jitter, capped at maxDelayMs (defaults 1 s and 30 s). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Failures listed on the card (default 10). */
  readonly maxFailures?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export type DeliveryResult =
  | { readonly delivered: true; readonly attempts: number }
  | {
      readonly delivered: false;
      readonly reason: 'not-wanted' | 'no-destination' | 'gone' | 'gave-up' | 'error';
      readonly detail?: string;
    };

/** The HTTP status of a Bot Connector failure (botframework-connector's RestError and similar), when there is one. */
export function statusOf(err: unknown): number | null {
  if (!err || typeof err !== 'object') return null;
  const e = err as { statusCode?: unknown; status?: unknown; response?: { status?: unknown } };
  for (const v of [e.statusCode, e.status, e.response?.status]) if (typeof v === 'number' && v > 0) return v;
  return null;
}

/** Retry-After (seconds or HTTP date) of a throttled response, in ms, when the error carries its headers. */
function retryAfterMs(err: unknown, now: number): number | null {
  const headers = (err as { response?: { headers?: unknown } } | null)?.response?.headers as
    | { get?: (name: string) => string | undefined | null }
    | Record<string, string>
    | undefined;
  if (!headers) return null;
  const raw =
    typeof (headers as { get?: unknown }).get === 'function'
      ? (headers as { get: (n: string) => string | undefined | null }).get('retry-after')
      : ((headers as Record<string, string>)['retry-after'] ?? null);
  if (!raw) return null;
  const secs = Number(raw);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

const describe = (err: unknown) => scrubSecrets(err instanceof Error ? err.message : String(err));

export interface Notifier extends RunNotifier {
  /** Same as runFinished, with the outcome (for tests and the status command). */
  deliver(run: RunRecord): Promise<DeliveryResult>;
}

export function createNotifier(options: NotifierOptions): Notifier {
  const { adapter, botAppId, stores, logger, linkFor } = options;
  const attempts = Math.max(1, options.attempts ?? 5);
  const baseDelayMs = options.baseDelayMs ?? 1000;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  async function deliver(run: RunRecord): Promise<DeliveryResult> {
    const log = { domain: run.domain, runId: run.id, status: run.status };
    try {
      const settings = await stores.settings.get(run.domain);
      if (!shouldNotify(run, settings?.notify)) return { delivered: false, reason: 'not-wanted' };
      const key = await stores.conversations.destinationFor(run.domain);
      const ref = key ? await stores.conversations.get(key) : null;
      if (!key || !ref || typeof ref !== 'object') {
        logger.info(log, 'run not posted: no conversation chosen with "notify here" for this domain');
        return { delivered: false, reason: 'no-destination' };
      }
      // The conversation's language: the locale of the message that chose it ("notify here"), kept in its reference.
      const lang = langFor(localeOf((ref as { locale?: string }).locale));
      const card = renderRunNotification(lang, run, settings, {
        linkFor,
        ...(options.linkNote ? { linkNote: options.linkNote(lang) } : {}),
        ...(options.maxFailures !== undefined ? { maxFailures: options.maxFailures } : {}),
      });
      const activity = MessageFactory.attachment(CardFactory.adaptiveCard(card));
      activity.summary = lang.t('notification.summary', {
        domain: run.domain,
        status: lang.t(`runStatus.${run.status}`),
      });
      for (let attempt = 1; ; attempt++) {
        try {
          await adapter.continueConversationAsync(botAppId, ref as Record<string, unknown>, async (context) => {
            await context.sendActivity(activity);
          });
          logger.info({ ...log, attempt }, 'run notification posted');
          return { delivered: true, attempts: attempt };
        } catch (err) {
          const status = statusOf(err);
          if (status === 401 || status === 403 || status === 404) {
            // The bot was removed from the team or chat (or may no longer post there): retrying cannot help.
            logger.warn(
              { ...log, httpStatus: status, err: describe(err) },
              'run notification dropped: conversation gone or bot removed',
            );
            return { delivered: false, reason: 'gone', detail: String(status) };
          }
          const retryable = status === null || status === 408 || status === 429 || status >= 500;
          if (!retryable || attempt >= attempts) {
            logger.warn({ ...log, httpStatus: status, attempt, err: describe(err) }, 'run notification given up');
            return { delivered: false, reason: 'gave-up', detail: status === null ? describe(err) : String(status) };
          }
          const backoff = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
          const wait = Math.min(maxDelayMs, retryAfterMs(err, Date.now()) ?? backoff * (0.75 + Math.random() * 0.5));
          logger.info({ ...log, httpStatus: status, attempt, waitMs: Math.round(wait) }, 'run notification retried');
          await sleep(wait);
        }
      }
    } catch (err) {
      logger.error({ ...log, err: describe(err) }, 'run notification failed');
      return { delivered: false, reason: 'error', detail: describe(err) };
    }
  }

  return {
    deliver,
    async runFinished(run) {
      await deliver(run);
    },
  };
}
