// Download links are bearer links: in a channel they expire after 15 minutes and the card says so; a personal
// chat gets DOWNLOAD_LINK_TTL_SECONDS. Either way the link opens only for the tenant it was signed for.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRecordFor } from '../schedule/fixtures.js';
import { type Harness, startHarness, TENANT } from './bot-harness.js';
import { cardOf, cardText } from './fake-connector.js';

const DOMAIN = 'contoso.co.jp';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ env: { DOWNLOAD_LINK_TTL_SECONDS: '7200' } });
  await h.engine.stores.runs.put(
    runRecordFor(DOMAIN, Date.now() - 60_000, { id: 'run-ttl-1', endedAt: new Date().toISOString() }),
  );
}, 60_000);
afterAll(async () => {
  await h?.close();
});

async function logsCard(extra: Record<string, unknown>) {
  const before = h.connector.calls.length;
  expect((await h.post(h.message(`logs ${DOMAIN}`, undefined, extra))).status).toBe(200);
  const reply = await h.connector.waitFor((calls) => calls.slice(before).find((c) => c.kind === 'reply'));
  return cardOf(reply.activity)!;
}

/** Seconds until the signed link's expiry (the token's payload is `kind:id:expiry`). */
function secondsLeft(card: Record<string, unknown>): number {
  const token = /\/downloads\/([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]+/.exec(JSON.stringify(card))![1]!;
  const expiry = Number(Buffer.from(token, 'base64url').toString('utf8').split(':')[2]);
  return expiry - Date.now() / 1000;
}

describe('download link lifetime', () => {
  it('a channel gets a 15-minute link and the card says so', async () => {
    const card = await logsCard({
      conversation: { id: 'channel-ttl', conversationType: 'channel', isGroup: true, tenantId: TENANT },
    });
    const left = secondsLeft(card);
    expect(left).toBeGreaterThan(800);
    expect(left).toBeLessThanOrEqual(900);
    expect(cardText(card)).toContain(
      'The CSV link works for 15 minutes (it is visible to everyone in this conversation)',
    );
  });

  it('a personal chat gets the configured lifetime', async () => {
    const card = await logsCard({});
    const left = secondsLeft(card);
    expect(left).toBeGreaterThan(7100);
    expect(left).toBeLessThanOrEqual(7200);
    expect(cardText(card)).toContain('The CSV link works for 2 hours');
  });

  it('the link downloads the run CSV', async () => {
    const card = await logsCard({});
    const url = /\((http:\/\/[^)]+\/downloads\/[^)]+)\)/.exec(cardText(card))![1]!;
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^\uFEFF?Action,UserPrincipalName/);
  });
});
