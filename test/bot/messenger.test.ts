// The Messenger over botbuilder against a recording Bot Connector (node:http): addresses, updates, the one retry loop.
import { CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBotMessenger } from '../../src/bot/bot-messenger.js';
import type { AdaptiveCardJson } from '../../src/bot/card-template.js';
import { DeliveryError, type Messenger } from '../../src/bot/messenger.js';
import { createLogger } from '../../src/logger.js';
import { startScriptedConnector } from './scripted-connector.js';

const card = { type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlock', text: 'hi' }] } as AdaptiveCardJson;

describe('Messenger over botbuilder (recording Bot Connector over HTTP)', () => {
  let connector: Awaited<ReturnType<typeof startScriptedConnector>>;
  let messenger: Messenger;
  let waits: number[];

  beforeEach(async () => {
    connector = await startScriptedConnector();
    waits = [];
    messenger = createBotMessenger({
      adapter: new CloudAdapter(new ConfigurationBotFrameworkAuthentication({})),
      botAppId: '',
      logger: createLogger('silent'),
      retry: { attempts: 3, baseDelayMs: 5, sleep: async (ms) => void waits.push(ms) },
    });
  });
  afterEach(async () => {
    await connector.close();
  });

  it('sends to the conversation of an address (a channel thread is part of its id) and returns the new id', async () => {
    const sent = await messenger.send(
      {
        conversationId: '19:general@thread.tacv2;messageid=1700',
        serviceUrl: connector.url,
        tenantId: 't-1',
      },
      { card, summary: 'a summary' },
    );
    expect(sent).toEqual({ id: 'activity-1', attempts: 1 });
    expect(connector.calls).toHaveLength(1);
    expect(connector.calls[0]!.method).toBe('POST');
    // botbuilder posts a proactive message as a reply to its own continuation id; the thread is in the conversation id.
    expect(connector.calls[0]!.path).toMatch(
      /^\/v3\/conversations\/19:general@thread\.tacv2;messageid=1700\/activities(\/|$)/,
    );
    const activity = connector.calls[0]!.activity;
    expect(activity.summary).toBe('a summary');
    expect((activity.conversation as { tenantId?: string }).tenantId).toBe('t-1');
    expect((activity.attachments as { content: unknown }[])[0]!.content).toEqual(card);
  });

  it('an update that keeps being throttled waits the Retry-After it was given, then replaces the card', async () => {
    // The Bot Connector client retries a 429 by itself (3 times); when it gives up, the messenger's loop waits once.
    for (let i = 0; i < 4; i++) connector.script.push({ status: 429, headers: { 'retry-after': '0.05' } });
    await messenger.update({ conversationId: 'a:1', serviceUrl: connector.url, tenantId: null }, 'msg-7', card);
    expect(waits).toEqual([50]);
    expect(connector.calls.map((c) => c.method)).toEqual(['PUT', 'PUT', 'PUT', 'PUT', 'PUT']);
    expect(connector.calls.at(-1)!.path).toBe('/v3/conversations/a:1/activities/msg-7');
  });

  it('a conversation the bot was removed from is not retried: DeliveryError, gone', async () => {
    connector.script.push({ status: 403 });
    const error = await messenger
      .send({ conversationId: 'a:1', serviceUrl: connector.url, tenantId: null }, { text: 'hello' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({ status: 403, gone: true, attempts: 1 });
    expect(connector.calls).toHaveLength(1);
    expect(waits).toEqual([]);
  });
});
