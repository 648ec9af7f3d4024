// In-place card updates are throttled (latest card wins within an interval) and always end with the final card.
import { describe, expect, it } from 'vitest';
import type { AdaptiveCardJson } from '../../src/bot/card-template.js';
import { createCardUpdater } from '../../src/bot/card-updater.js';
import { createLogger } from '../../src/logger.js';

const card = (n: number) => ({ type: 'AdaptiveCard', n }) as unknown as AdaptiveCardJson;

describe('createCardUpdater', () => {
  it('coalesces a burst of pushes and sends the final card last', async () => {
    const sent: { n: number; at: number }[] = [];
    const start = Date.now();
    const updater = createCardUpdater({
      messenger: {
        send: async () => ({ id: null, attempts: 1 }),
        update: async (_ref, id, c) => {
          expect(id).toBe('msg-1');
          sent.push({ n: (c as unknown as { n: number }).n, at: Date.now() - start });
        },
      },
      address: { conversationId: 'c-1', serviceUrl: 'http://127.0.0.1:1', tenantId: null },
      activityId: 'msg-1',
      logger: createLogger('silent'),
      intervalMs: 200,
    });
    for (let i = 1; i <= 50; i++) {
      updater.push(card(i));
      await new Promise((r) => setTimeout(r, 10));
    }
    await updater.final(card(999));
    updater.push(card(1000));
    await new Promise((r) => setTimeout(r, 300));
    expect(sent.at(-1)!.n).toBe(999);
    expect(sent.length).toBeLessThanOrEqual(6);
    expect(sent.length).toBeGreaterThanOrEqual(2);
    for (let i = 2; i < sent.length - 1; i++) expect(sent[i]!.at - sent[i - 1]!.at).toBeGreaterThanOrEqual(150);
    expect(sent.map((s) => s.n)).not.toContain(1000);
  });

  it('a failed update is logged, not thrown, and the final card is still sent', async () => {
    const sent: number[] = [];
    let first = true;
    const updater = createCardUpdater({
      messenger: {
        send: async () => ({ id: null, attempts: 1 }),
        update: async (_r, _i, c) => {
          if (first) {
            first = false;
            throw new Error('429');
          }
          sent.push((c as unknown as { n: number }).n);
        },
      },
      address: { conversationId: 'c-1', serviceUrl: 'http://127.0.0.1:1', tenantId: null },
      activityId: 'm',
      logger: createLogger('silent'),
      intervalMs: 10,
    });
    updater.push(card(1));
    await new Promise((r) => setTimeout(r, 30));
    await updater.final(card(2));
    expect(sent).toEqual([2]);
  });
});
