// Conversation addresses: what `notify here` stores now, and the botbuilder references earlier versions stored, read alike.
import { TurnContext } from 'botbuilder';
import Keyv from 'keyv';
import { describe, expect, it } from 'vitest';
import { KeyvConversationRepository, toConversationAddress } from '../../src/store/conversation-repository.js';

/** The reference the previous version stored for `notify here` (botbuilder's, without the message id). */
function legacyReference(conversation: Record<string, unknown>, locale?: string) {
  const { activityId: _reply, ...ref } = TurnContext.getConversationReference({
    id: 'm-1',
    channelId: 'msteams',
    serviceUrl: 'https://smba.trafficmanager.net/jp/',
    ...(locale ? { locale } : {}),
    from: { id: '29:user', name: 'Ada Admin' },
    recipient: { id: '28:bot', name: 'Entra Sync' },
    conversation: { isGroup: true, name: '', ...conversation } as never,
  });
  return ref;
}

describe('conversation addresses', () => {
  it('stores an address and reads it back', async () => {
    const repo = new KeyvConversationRepository(new Keyv());
    await repo.put('19:abc@thread.tacv2', {
      conversationId: '19:abc@thread.tacv2',
      serviceUrl: 'https://smba.example/',
      tenantId: 't-1',
      locale: 'ja-JP',
    });
    expect(await repo.get('19:abc@thread.tacv2')).toEqual({
      conversationId: '19:abc@thread.tacv2',
      serviceUrl: 'https://smba.example/',
      tenantId: 't-1',
      locale: 'ja-JP',
    });
  });

  it('converts a botbuilder reference stored by the previous version when it is read', async () => {
    const kv = new Keyv();
    await kv.set(
      'ref:team',
      legacyReference({ id: '19:general@thread.tacv2', conversationType: 'channel', tenantId: 'tenant-1' }, 'ja-JP'),
    );
    const repo = new KeyvConversationRepository(kv);
    expect(await repo.get('team')).toEqual({
      conversationId: '19:general@thread.tacv2',
      serviceUrl: 'https://smba.trafficmanager.net/jp/',
      tenantId: 'tenant-1',
      locale: 'ja-JP',
    });
  });

  it('reads a reference without tenant or locale, and refuses values that name no conversation', () => {
    expect(toConversationAddress(legacyReference({ id: 'a:1', conversationType: 'personal' }))).toEqual({
      conversationId: 'a:1',
      serviceUrl: 'https://smba.trafficmanager.net/jp/',
      tenantId: null,
    });
    expect(toConversationAddress({ serviceUrl: 'https://smba.example/' })).toBeNull();
    expect(toConversationAddress({ conversation: { id: 'a:1' } })).toBeNull();
    expect(toConversationAddress('19:abc')).toBeNull();
    expect(toConversationAddress(null)).toBeNull();
  });
});
