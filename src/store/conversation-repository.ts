// Where the bot may post later: each conversation's address (kept by `notify here`) and each domain's destination.
import type Keyv from 'keyv';
import { keyPart } from './keys.js';
import { normaliseDomain } from '../sync/domain-name.js';

/**
 * What a message sent outside a turn needs, in the project's words rather than a bot SDK's: the conversation id
 * (a proactive send needs only that, plus the Bot Connector endpoint of the tenant's region), and the tenant.
 * `locale` is the language the conversation was spoken in when it was chosen, for the cards posted there.
 */
export interface ConversationAddress {
  readonly conversationId: string;
  readonly serviceUrl: string;
  readonly tenantId: string | null;
  readonly locale?: string;
}

export interface ConversationRepository {
  put(key: string, address: ConversationAddress): Promise<void>;
  /** The stored address; a reference stored by an earlier version (a botbuilder ConversationReference) is converted. */
  get(key: string): Promise<ConversationAddress | null>;
  /** Notification destination: a domain or '*' (all domains) → conversation key. */
  setDestination(domainOrAll: string, conversationKey: string): Promise<void>;
  /** The domain's own destination first, then the '*' one, else null. */
  destinationFor(domain: string): Promise<string | null>;
}

const text = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

/**
 * Reads a stored value as an address: the current shape, or the botbuilder `ConversationReference` earlier
 * versions stored (`conversation.id`, `serviceUrl`, `conversation.tenantId`, `locale`). Anything else is null.
 */
export function toConversationAddress(stored: unknown): ConversationAddress | null {
  if (!stored || typeof stored !== 'object') return null;
  const v = stored as Record<string, unknown>;
  const conversation = (v.conversation ?? {}) as Record<string, unknown>;
  const conversationId = text(v.conversationId) ?? text(conversation.id);
  const serviceUrl = text(v.serviceUrl);
  if (!conversationId || !serviceUrl) return null;
  const tenantId = text(v.tenantId) ?? text(conversation.tenantId);
  const locale = text(v.locale);
  return { conversationId, serviceUrl, tenantId, ...(locale ? { locale } : {}) };
}

const norm = (domain: string) => (domain === '*' ? '*' : normaliseDomain(domain));

export class KeyvConversationRepository implements ConversationRepository {
  constructor(private readonly kv: Keyv<unknown>) {}

  async put(key: string, address: ConversationAddress): Promise<void> {
    await this.kv.set(`ref:${keyPart(key)}`, { ...address });
  }

  async get(key: string): Promise<ConversationAddress | null> {
    return toConversationAddress(await this.kv.get(`ref:${keyPart(key)}`));
  }

  async setDestination(domainOrAll: string, conversationKey: string): Promise<void> {
    await this.kv.set(`dest:${keyPart(norm(domainOrAll))}`, conversationKey);
  }

  async destinationFor(domain: string): Promise<string | null> {
    const own = (await this.kv.get(`dest:${keyPart(norm(domain))}`)) as string | undefined;
    if (own) return own;
    return ((await this.kv.get('dest:*')) as string | undefined) ?? null;
  }
}
