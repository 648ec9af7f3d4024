// Bot commands and card actions are counted by outcome in the Prometheus registry (through the observer port).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import { ADMIN, type Harness, NON_ADMIN, startHarness } from '../bot/bot-harness.js';
import { sample } from '../helpers/prometheus.js';

describe('bot metrics', { timeout: 60_000 }, () => {
  let h: Harness;
  let metrics: Metrics;

  beforeAll(async () => {
    metrics = createMetrics({ processMetrics: false });
    h = await startHarness({ observer: metrics.observe });
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Waits until the scraped text satisfies `ok` (the bot answers after its HTTP reply in some flows). */
  async function scrapeUntil(ok: (text: string) => boolean): Promise<string> {
    let text = '';
    for (let i = 0; i < 100; i++) {
      text = (await metrics.render()).body;
      if (ok(text)) return text;
      await new Promise((r) => setTimeout(r, 50));
    }
    return text;
  }

  it('counts commands by command and outcome, and card actions by action and outcome', async () => {
    const command = (text: string, name: string, outcome: string) =>
      sample(text, 'entra_sync_bot_commands_total', { command: name, outcome });
    expect((await h.post(h.message('domains', ADMIN))).status).toBe(200);
    expect((await h.post(h.message('domains', NON_ADMIN))).status).toBe(200);
    expect((await h.post(h.message('frobnicate the users', ADMIN))).status).toBe(200);
    expect((await h.post(h.message('help', ADMIN))).status).toBe(200);
    expect((await h.post(h.invoke('cancel', { planId: 'p-1' }, 'reply-1', NON_ADMIN))).status).toBe(200);
    const text = await scrapeUntil(
      (t) => command(t, 'domains', 'ok') === 1 && sample(t, 'entra_sync_card_actions_total') > 0,
    );
    expect(command(text, 'domains', 'ok')).toBe(1);
    expect(command(text, 'domains', 'unauthorized')).toBe(1);
    expect(command(text, 'unknown', 'unknown')).toBe(1);
    expect(command(text, 'help', 'ok')).toBe(1);
    expect(sample(text, 'entra_sync_card_actions_total', { action: 'cancel', outcome: 'unauthorized' })).toBe(1);
    expect(sample(text, 'entra_sync_card_actions_total', { action: 'cancel', outcome: 'ok' })).toBe(0);
  });
});
