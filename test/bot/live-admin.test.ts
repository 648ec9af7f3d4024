// A demoted Global Administrator keeps cached read access for a while, but every write asks Graph again first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, type Harness, startHarness } from './bot-harness.js';
import { cardOf, cardText } from './fake-connector.js';

const DOMAIN = 'contoso.co.jp';
let h: Harness;
const globalAdmins = new Set([ADMIN.aadObjectId]);
const asked: string[] = [];

beforeAll(async () => {
  h = await startHarness({
    env: { ADMIN_AAD_OBJECT_IDS: 'someone-else' },
    isGlobalAdmin: async (id) => {
      asked.push(id);
      return globalAdmins.has(id);
    },
  });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

async function ask(text: string): Promise<string> {
  const before = h.connector.calls.length;
  expect((await h.post(h.message(text))).status).toBe(200);
  const reply = await h.connector.waitFor((calls) => calls.slice(before).find((c) => c.kind === 'reply'));
  return cardText(cardOf(reply.activity));
}

describe('Global Administrator re-checked before writes', () => {
  it('refuses a settings change as soon as the role is gone, without changing anything', async () => {
    expect(await ask('domains')).toContain(DOMAIN);
    expect(asked.length).toBe(1);
    globalAdmins.delete(ADMIN.aadObjectId);
    // A read within the cache lifetime is still served from the cached answer.
    expect(await ask('domains')).toContain(DOMAIN);
    expect(asked.length).toBe(1);
    const before = await h.engine.stores.settings.get(DOMAIN);
    expect(await ask(`schedule ${DOMAIN} on`)).toContain('You are not a Global Administrator');
    expect(asked.length).toBe(2);
    expect(await h.engine.stores.settings.get(DOMAIN)).toEqual(before);
  });

  it('a button standing for a typed command is checked as that command: reads cached, writes live', async () => {
    const click = async (command: string) => {
      const res = await h.post(h.invoke('command', { command }, 'msg-card'));
      expect(res.status).toBe(200);
      return JSON.stringify(res.body);
    };
    globalAdmins.add(ADMIN.aadObjectId);
    // A write asks Graph now (and refreshes the cached answer).
    let n = asked.length;
    expect(await click(`schedule ${DOMAIN} off`)).not.toContain('Not done');
    expect(asked.length).toBe(n + 1);
    globalAdmins.delete(ADMIN.aadObjectId);
    // A read button within the cache lifetime is served from the cached answer, as the typed command is.
    n = asked.length;
    expect(await click('domains')).not.toContain('Not done');
    expect(asked.length).toBe(n);
    // A write button asks again and is refused; nothing changes.
    const before = await h.engine.stores.settings.get(DOMAIN);
    expect(await click(`domain set ${DOMAIN} max-deletions 50`)).toContain('You are not a Global Administrator');
    expect(asked.length).toBe(n + 1);
    expect(await h.engine.stores.settings.get(DOMAIN)).toEqual(before);
  });
});
