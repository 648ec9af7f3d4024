// Admin consent end to end against the emulator: roles decide "connected", the link is personal and single use,
// the callback is accepted for the configured tenant only, and a grant counts only once a fresh token shows it.
import { TurnContext } from 'botbuilder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { rawFetch } from '../emulator/helpers.js';
import { ADMIN, type Harness, startHarness } from './bot-harness.js';
import { cardOf, cardText } from './fake-connector.js';

let h: Harness;
let emu: RunningEmulator;
let f: ReturnType<typeof rawFetch>;

beforeAll(async () => {
  h = await startHarness({ realConnection: true });
  emu = h.engine.emulator as unknown as RunningEmulator;
  f = rawFetch(emu);
  // The app registration's redirect URI is the bot's callback (the port is known only now).
  await f('/_emulator/consent', {
    method: 'POST',
    body: { clientId: emu.clientId, granted: false, redirectUris: [`${h.bot.url}/api/consent/callback`] },
  });
  await f('/_emulator/consent', { method: 'POST', body: { clientId: emu.clientId, granted: false } });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

async function replyTo(text: string, extra: Record<string, unknown> = {}) {
  const before = h.connector.calls.length;
  expect((await h.post(h.message(text, ADMIN, extra))).status).toBe(200);
  const reply = await h.connector.waitFor((calls) => calls.slice(before).find((c) => c.kind === 'reply'));
  return cardOf(reply.activity)!;
}

const buttonUrl = (card: Record<string, unknown>) =>
  ((card.actions ?? []) as { title: string; url: string }[]).find((a) => a.title === 'Grant admin consent')?.url ??
  null;

const callback = (query: Record<string, string>) =>
  fetch(`${h.bot.url}/api/consent/callback?${new URLSearchParams(query)}`);

describe('admin consent through the bot', () => {
  it('before consent: not connected, each missing permission named; status says the same', async () => {
    const card = await replyTo('connect');
    const text = cardText(card);
    expect(text).toContain('Not connected');
    for (const p of ['User.ReadWrite.All', 'Domain.Read.All', 'RoleManagement.Read.Directory'])
      expect(text).toContain(p);
    const state = new URL(buttonUrl(card)!).searchParams.get('state')!;
    // The state is a signed consent token that expires within 10 minutes.
    const [kind, , expiry] = Buffer.from(state.split('.')[0]!, 'base64url').toString('utf8').split(':');
    expect(kind).toBe('consent');
    expect(Number(expiry) - Date.now() / 1000).toBeLessThanOrEqual(600);
    expect(cardText(await replyTo('status'))).toContain('admin consent is missing for User.ReadWrite.All');
    // The same in Japanese for a ja-JP message: the permissions by name, the sentences translated.
    const ja = cardText(await replyTo('connect', { locale: 'ja-JP' }));
    expect(ja).toContain('未接続: 下記のアクセス許可の一部に管理者の同意がありません。');
    expect(ja).toContain('User.ReadWrite.All\n✗ 未付与');
    expect(cardText(await replyTo('status', { locale: 'ja-JP' }))).toContain(
      '次のアクセス許可に管理者の同意がありません: User.ReadWrite.All',
    );
  });

  it("the callback's pages speak the browser's language until the chat's is known", async () => {
    const bad = await fetch(`${h.bot.url}/api/consent/callback?state=forged`, {
      headers: { 'accept-language': 'ja-JP,ja;q=0.9,en;q=0.8' },
    });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    const body = await bad.text();
    expect(body).toContain('<html lang="ja">');
    expect(body).toContain('同意のリンクが無効です');
    const en = await (await callback({ state: 'forged' })).text();
    expect(en).toContain('This consent link is not valid or has expired.');
  });

  it('in a channel the consent link is never posted', async () => {
    const card = await replyTo('connect', {
      conversation: { id: 'channel-1', conversationType: 'channel', isGroup: true, tenantId: 'tenant-a' },
    });
    expect(buttonUrl(card)).toBeNull();
    expect(JSON.stringify(card)).not.toContain('adminconsent');
    expect(cardText(card)).toContain('personal chat');
  });

  it('a forged "granted" answer is not believed: other tenant refused, same tenant checked with a fresh token', async () => {
    const state = new URL(buttonUrl(await replyTo('connect'))!).searchParams.get('state')!;
    const other = await callback({ admin_consent: 'True', tenant: '11111111-2222-3333-4444-555555555555', state });
    expect(other.status).toBe(403);
    const before = h.connector.calls.length;
    const forged = await callback({ admin_consent: 'True', tenant: emu.tenantId, state });
    expect(forged.status).toBe(200);
    const told = await h.connector.waitFor((calls) =>
      calls.slice(before).find((c) => /Not connected yet/.test(cardText(cardOf(c.activity)))),
    );
    expect(cardText(cardOf(told.activity))).toContain('User.ReadWrite.All');
    expect(h.consentGrants).toEqual([]);
    // Single use.
    expect((await callback({ admin_consent: 'True', tenant: emu.tenantId, state })).status).toBe(410);
  });

  it('a consent link asked for before an upgrade (its chat saved as a botbuilder reference) still tells the chat', async () => {
    const state = new URL(buttonUrl(await replyTo('connect'))!).searchParams.get('state')!;
    const nonce = Buffer.from(state.split('.')[0]!, 'base64url').toString('utf8').split(':')[1]!;
    const kv = h.engine.stores.kv<Record<string, unknown>>('bot-consent');
    const saved = (await kv.get(nonce)) as { address: { conversationId: string; serviceUrl: string } };
    // What the previous version saved: botbuilder's reference of the chat instead of an address.
    const { activityId: _reply, ...ref } = TurnContext.getConversationReference({
      id: 'm-1',
      channelId: 'msteams',
      serviceUrl: saved.address.serviceUrl,
      from: { id: ADMIN.id, name: ADMIN.name },
      recipient: { id: 'bot-id', name: 'Entra Sync' },
      conversation: { id: saved.address.conversationId, conversationType: 'personal', isGroup: false, name: '' },
    });
    await kv.set(nonce, { ref, requestedBy: ADMIN.aadObjectId, requestedByName: ADMIN.name });
    const before = h.connector.calls.length;
    expect((await callback({ admin_consent: 'True', tenant: emu.tenantId, state })).status).toBe(200);
    const told = await h.connector.waitFor((calls) =>
      calls.slice(before).find((c) => /Not connected yet/.test(cardText(cardOf(c.activity)))),
    );
    expect(told.conversationId).toBe(saved.address.conversationId);
  });

  it('the real grant: Entra redirects to the registered callback; a fresh token carries the roles; Connected', async () => {
    const url = new URL(buttonUrl(await replyTo('connect'))!);
    expect(url.searchParams.get('redirect_uri')).toBe(`${h.bot.url}/api/consent/callback`);
    const page = await f(`${url.pathname}${url.search}`);
    expect(page.status).toBe(200);
    const accept = await f(url.pathname, {
      method: 'POST',
      form: {
        client_id: url.searchParams.get('client_id')!,
        redirect_uri: url.searchParams.get('redirect_uri')!,
        state: url.searchParams.get('state')!,
        decision: 'accept',
      },
    });
    expect(accept.status).toBe(302);
    const before = h.connector.calls.length;
    const back = await fetch(accept.headers.get('location')!);
    expect(back.status).toBe(200);
    await h.connector.waitFor((calls) =>
      calls.slice(before).find((c) => cardText(cardOf(c.activity)).startsWith('Connected')),
    );
    expect(h.consentGrants).toEqual([emu.tenantId]);
    expect(cardText(await replyTo('connect'))).toContain('Connected: the bot can read and write users');
  });
});
