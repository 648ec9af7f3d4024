// Teams conversation references (for proactive messages) and the notification destination of each domain.
import type Keyv from 'keyv';
import { keyPart } from './keys.js';
import { normaliseDomain } from '../sync/domain-name.js';

export interface ConversationRepository {
  put(key: string, ref: unknown): Promise<void>;
  get(key: string): Promise<unknown | null>;
  /** Notification destination: a domain or '*' (all domains) → conversation key. */
  setDestination(domainOrAll: string, conversationKey: string): Promise<void>;
  /** The domain's own destination first, then the '*' one, else null. */
  destinationFor(domain: string): Promise<string | null>;
}

const norm = (domain: string) => (domain === '*' ? '*' : normaliseDomain(domain));

export class KeyvConversationRepository implements ConversationRepository {
  constructor(private readonly kv: Keyv<unknown>) {}

  async put(key: string, ref: unknown): Promise<void> {
    await this.kv.set(`ref:${keyPart(key)}`, ref);
  }

  async get(key: string): Promise<unknown | null> {
    return (await this.kv.get(`ref:${keyPart(key)}`)) ?? null;
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
