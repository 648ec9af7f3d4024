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
});
