// Posts a finished run's card to the conversation chosen with `notify here` through the Messenger; never throws.
import type { Logger } from '../logger.js';
import { scrubSecrets } from '../logger.js';
import type { ConversationAddress } from '../store/conversation-repository.js';
import type { RunRecord } from '../sync/model.js';
import type { DomainSettingsRepository, RunNotifier } from '../sync/ports.js';
import { type Lang, langFor, localeOf } from './i18n.js';
import { DeliveryError, type Messenger } from './messenger.js';
import { type LinkFor, renderRunNotification, shouldNotify } from './render-logs.js';

export interface NotifierStores {
  readonly settings: Pick<DomainSettingsRepository, 'get'>;
  readonly conversations: {
    get(key: string): Promise<ConversationAddress | null>;
    destinationFor(domain: string): Promise<string | null>;
  };
}

export interface NotifierOptions {
  /** Delivers the card (and retries throttling and server errors). */
  readonly messenger: Messenger;
  readonly stores: NotifierStores;
  readonly logger: Logger;
  /** Signed download link of a run's per-user outcomes (CSV). */
  readonly linkFor: LinkFor;
  /** How long the CSV link works, in the card's language. */
  readonly linkNote?: (lang: Lang) => string;
  /** Failures listed on the card (default 10). */
  readonly maxFailures?: number;
}
export type DeliveryResult =
  | { readonly delivered: true; readonly attempts: number }
  | {
      readonly delivered: false;
      readonly reason: 'not-wanted' | 'no-destination' | 'gone' | 'gave-up' | 'error';
      readonly detail?: string;
    };

const describe = (err: unknown) => scrubSecrets(err instanceof Error ? err.message : String(err));

export interface Notifier extends RunNotifier {
  /** Same as runFinished, with the outcome (for tests and the status command). */
  deliver(run: RunRecord): Promise<DeliveryResult>;
}

export function createNotifier(options: NotifierOptions): Notifier {
  const { messenger, stores, logger, linkFor } = options;

  async function deliver(run: RunRecord): Promise<DeliveryResult> {
    const log = { domain: run.domain, runId: run.id, status: run.status };
    try {
      const settings = await stores.settings.get(run.domain);
      if (!shouldNotify(run, settings?.notify)) return { delivered: false, reason: 'not-wanted' };
      const key = await stores.conversations.destinationFor(run.domain);
      const address = key ? await stores.conversations.get(key) : null;
      if (!key || !address) {
        logger.info(log, 'run not posted: no conversation chosen with "notify here" for this domain');
        return { delivered: false, reason: 'no-destination' };
      }
      // The conversation's language: the locale of the message that chose it ("notify here"), kept in its address.
      const lang = langFor(localeOf(address.locale));
      const card = renderRunNotification(lang, run, settings, {
        linkFor,
        ...(options.linkNote ? { linkNote: options.linkNote(lang) } : {}),
        ...(options.maxFailures !== undefined ? { maxFailures: options.maxFailures } : {}),
      });
      const summary = lang.t('notification.summary', {
        domain: run.domain,
        status: lang.t(`runStatus.${run.status}`),
      });
      try {
        const sent = await messenger.send(address, { card, summary });
        logger.info({ ...log, attempt: sent.attempts }, 'run notification posted');
        return { delivered: true, attempts: sent.attempts };
      } catch (err) {
        if (!(err instanceof DeliveryError)) throw err;
        const detail = err.status === null ? err.message : String(err.status);
        if (err.gone) {
          logger.warn({ ...log, httpStatus: err.status }, 'run notification dropped: conversation gone or bot removed');
          return { delivered: false, reason: 'gone', detail };
        }
        logger.warn(
          { ...log, httpStatus: err.status, attempt: err.attempts, err: err.message },
          'run notification given up',
        );
        return { delivered: false, reason: 'gave-up', detail };
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
