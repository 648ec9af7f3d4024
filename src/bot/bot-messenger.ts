// Adapter: the Messenger port over botbuilder (continueConversationAsync), with the one retry loop for Bot Connector calls.
import { type Activity, CardFactory, type ConversationReference, MessageFactory, type TurnContext } from 'botbuilder';
import { parseRetryAfter } from '../entra/errors.js';
import { type Logger, scrubSecrets } from '../logger.js';
import type { AdaptiveCardJson } from './card-template.js';
import { type ConversationAddress, DeliveryError, type Messenger, type OutgoingMessage } from './messenger.js';

export const FILE_CONSENT_CONTENT_TYPE = 'application/vnd.microsoft.teams.card.file.consent';
export const FILE_INFO_CONTENT_TYPE = 'application/vnd.microsoft.teams.card.file.info';

/** The part of botbuilder's CloudAdapter the messenger uses. */
export interface ProactiveAdapter {
  continueConversationAsync(
    botAppId: string,
    reference: Partial<ConversationReference>,
    logic: (context: TurnContext) => Promise<void>,
  ): Promise<void>;
}

export interface RetryOptions {
  /** Deliveries tried for throttling (429), server errors (5xx) and lost connections before giving up (default 5). */
  readonly attempts?: number;
  /** First backoff delay; doubles each attempt, with jitter, capped at maxDelayMs (defaults 1 s and 30 s). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The activity botbuilder sends for a message. */
export function toActivity(message: OutgoingMessage): Partial<Activity> {
  if ('card' in message) {
    const activity = MessageFactory.attachment(CardFactory.adaptiveCard(message.card));
    if (message.summary) activity.summary = message.summary;
    return activity;
  }
  if ('text' in message) return MessageFactory.text(message.text);
  if ('fileOffer' in message) {
    const { name, description, sizeInBytes, context } = message.fileOffer;
    return {
      type: 'message',
      attachments: [
        {
          contentType: FILE_CONSENT_CONTENT_TYPE,
          name,
          content: { description, sizeInBytes, acceptContext: context, declineContext: context },
        },
      ],
    };
  }
  const { name, contentUrl, uniqueId, fileType } = message.fileInfo;
  return {
    type: 'message',
    attachments: [{ contentType: FILE_INFO_CONTENT_TYPE, contentUrl, name, content: { uniqueId, fileType } }],
  };
}

/** The botbuilder reference of an address: the conversation id and the Bot Connector endpoint are what it needs. */
function referenceOf(address: ConversationAddress, botAppId: string): Partial<ConversationReference> {
  return {
    channelId: 'msteams',
    serviceUrl: address.serviceUrl,
    conversation: {
      id: address.conversationId,
      ...(address.tenantId ? { tenantId: address.tenantId } : {}),
    } as ConversationReference['conversation'],
    ...(address.locale ? { locale: address.locale } : {}),
    ...(botAppId ? { bot: { id: `28:${botAppId}`, name: '' } } : {}),
  };
}

/** The HTTP status of a Bot Connector failure (botframework-connector's RestError and similar), when there is one. */
function statusOf(err: unknown): number | null {
  if (!err || typeof err !== 'object') return null;
  const e = err as { statusCode?: unknown; status?: unknown; response?: { status?: unknown } };
  for (const v of [e.statusCode, e.status, e.response?.status]) if (typeof v === 'number' && v > 0) return v;
  return null;
}

/** The Retry-After header of a throttled answer, when the error carries the response's headers. */
function retryAfterHeader(err: unknown): string | null {
  const headers = (err as { response?: { headers?: unknown } } | null)?.response?.headers as
    | { get?: (name: string) => string | undefined | null }
    | Record<string, string>
    | undefined;
  if (!headers) return null;
  if (typeof headers.get === 'function') return headers.get('retry-after') ?? null;
  return (headers as Record<string, string>)['retry-after'] ?? null;
}

const describe = (err: unknown) => scrubSecrets(err instanceof Error ? err.message : String(err));

export function createBotMessenger(options: {
  adapter: ProactiveAdapter;
  botAppId: string;
  logger: Logger;
  retry?: RetryOptions;
}): Messenger {
  const { adapter, botAppId, logger } = options;
  const attempts = Math.max(1, options.retry?.attempts ?? 5);
  const baseDelayMs = options.retry?.baseDelayMs ?? 1000;
  const maxDelayMs = options.retry?.maxDelayMs ?? 30_000;
  const sleep = options.retry?.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  /** Runs one Bot Connector call; throttling, 5xx and lost connections are retried, a refusal is not. */
  async function withRetry<T>(address: ConversationAddress, call: (ctx: TurnContext) => Promise<T>) {
    const reference = referenceOf(address, botAppId);
    for (let attempt = 1; ; attempt++) {
      try {
        let result: T | undefined;
        await adapter.continueConversationAsync(botAppId, reference, async (ctx) => {
          result = await call(ctx);
        });
        return { result: result as T, attempt };
      } catch (err) {
        const status = statusOf(err);
        // 401/403/404: the bot was removed from the team or chat, or may no longer post there.
        if (status === 401 || status === 403 || status === 404)
          throw new DeliveryError(status, true, attempt, `the conversation refused the message (HTTP ${status})`);
        const retryable = status === null || status === 408 || status === 429 || status >= 500;
        if (!retryable || attempt >= attempts)
          throw new DeliveryError(status, false, attempt, status === null ? describe(err) : `HTTP ${status}`);
        const backoff = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
        const asked = parseRetryAfter(retryAfterHeader(err), Date.now());
        const wait = Math.min(maxDelayMs, asked ?? backoff * (0.75 + Math.random() * 0.5));
        logger.info({ httpStatus: status, attempt, waitMs: Math.round(wait) }, 'message delivery retried');
        await sleep(wait);
      }
    }
  }

  return {
    async send(address, message) {
      const { result, attempt } = await withRetry(address, async (ctx) => ctx.sendActivity(toActivity(message)));
      return { id: result?.id ?? null, attempts: attempt };
    },
    async update(address, activityId, card: AdaptiveCardJson) {
      await withRetry(address, async (ctx) => {
        await ctx.updateActivity({ ...toActivity({ card }), id: activityId, type: 'message' });
      });
    },
  };
}
