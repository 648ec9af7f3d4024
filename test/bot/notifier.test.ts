// The run notifier over the real Bot Framework protocol: a CloudAdapter posting to a recording Bot Connector (node:http).
import { CloudAdapter, ConfigurationBotFrameworkAuthentication, TurnContext } from 'botbuilder';
import Keyv from 'keyv';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBotMessenger, type RetryOptions } from '../../src/bot/bot-messenger.js';
import { createNotifier, type Notifier } from '../../src/bot/notifier.js';
import { createLogger } from '../../src/logger.js';
import { KeyvConversationRepository } from '../../src/store/conversation-repository.js';
import { openStore, type Stores } from '../../src/store/index.js';
import type { DomainSettings, RunRecord } from '../../src/sync/model.js';
import { settingsFor as sharedSettingsFor } from '../schedule/fixtures.js';
import { type ConnectorCall, startScriptedConnector } from './scripted-connector.js';

/** A CloudAdapter without credentials (the bot's local mode): proactive posts go to serviceUrl unauthenticated. */
const localAdapter = () => new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
/** The bot's Messenger over that adapter (its retry loop is the one the notifier relies on). */
const localMessenger = (retry?: RetryOptions) =>
  createBotMessenger({
    adapter: localAdapter(),
    botAppId: '',
    logger: createLogger('silent'),
    ...(retry ? { retry } : {}),
  });

const T0 = Date.parse('2026-01-05T10:20:00.000Z');
const linkFor = (kind: 'run', id: string) => `http://127.0.0.1:3978/downloads/${kind}/${id}?sig=s1`;

const settingsFor = (domain: string, notify: DomainSettings['notify'] = 'changes-only'): DomainSettings =>
  sharedSettingsFor(domain, { notify, updatedAt: new Date(T0).toISOString() });

function runFor(domain: string, patch: Partial<RunRecord> = {}): RunRecord {
  return {
    id: `run-${domain}-1`,
    domain,
    trigger: 'hourly',
    requestedBy: 'scheduler',
    approvedBy: 'periodic sync',
    planId: 'plan-1',
    planHash: 'c'.repeat(64),
    startedAt: new Date(T0).toISOString(),
    endedAt: new Date(T0 + 42_000).toISOString(),
    status: 'completed',
    reason: null,
    planCounts: null,
    counts: { added: 2, updated: 1, deleted: 0, failed: 0 },
    deletion: null,
    total: 3,
    outcomes: [],
    ...patch,
  };
}

const card = (p: ConnectorCall) =>
  (p.activity.attachments as { contentType: string; content: Record<string, unknown> }[])[0]!.content;
const textOf = (value: unknown): string => JSON.stringify(value);

describe('run notifier (recording Bot Connector over HTTP)', () => {
  let connector: Awaited<ReturnType<typeof startScriptedConnector>>;
  let stores: Stores;
  let notifier: Notifier;
  let waits: number[];

  beforeEach(async () => {
    connector = await startScriptedConnector();
    stores = await openStore('memory://');
    waits = [];
    // `notify here` in a channel: the conversation's address (serviceUrl = the connector) and the destination.
    const channel = { conversationId: '19:general@thread.tacv2', serviceUrl: connector.url, tenantId: 'tenant-1' };
    await stores.conversations.put('team-general', channel);
    await stores.conversations.setDestination('contoso.co.jp', 'team-general');
    await stores.conversations.put('ops-chat', { ...channel, conversationId: '19:ops@thread.v2' });
    await stores.conversations.setDestination('*', 'ops-chat');
    notifier = createNotifier({
      messenger: localMessenger({
        attempts: 4,
        baseDelayMs: 5,
        sleep: async (ms) => {
          waits.push(ms);
        },
      }),
      stores,
      logger: createLogger('silent'),
      linkFor,
    });
  });

  afterEach(async () => {
    await connector.close();
    await stores.close();
  });

  it('posts an hourly run to the conversation chosen with "notify here"', async () => {
    await stores.settings.put(settingsFor('contoso.co.jp'));
    const run = runFor('contoso.co.jp');
    await notifier.runFinished(run);
    expect(connector.calls).toHaveLength(1);
    const [post] = connector.calls;
    expect(post!.conversationId).toBe('19:general@thread.tacv2');
    expect(post!.activity.type).toBe('message');
    const c = card(post!);
    expect(c.type).toBe('AdaptiveCard');
    const text = textOf(c);
    expect(text).toContain('Periodic sync of contoso.co.jp: completed');
    expect(text).toContain('42 s');
    expect(text).toContain(`(${linkFor('run', run.id)})`);
  });

  it('speaks the language of the conversation: the locale kept with its reference ("notify here" in Japanese)', async () => {
    const address = (await stores.conversations.get('team-general'))!;
    await stores.conversations.put('team-general', { ...address, locale: 'ja-JP' });
    await stores.settings.put(settingsFor('contoso.co.jp'));
    await notifier.runFinished(runFor('contoso.co.jp'));
    const text = textOf(card(connector.calls[0]!));
    expect(text).toContain('contoso.co.jp の定期同期: 完了');
    expect(text).toContain('42 秒');
    expect(connector.calls[0]!.activity.summary).toBe('contoso.co.jp の同期: 完了');
  });

  it('posts to a conversation chosen with "notify here" by the previous version (a stored botbuilder reference)', async () => {
    // What that version stored: botbuilder's reference of the "notify here" message, without its activity id.
    const { activityId: _reply, ...legacy } = TurnContext.getConversationReference({
      id: 'm-1',
      channelId: 'msteams',
      serviceUrl: connector.url,
      locale: 'ja-JP',
      from: { id: 'u-1', name: 'Ada' },
      recipient: { id: '28:bot', name: 'Entra Sync' },
      conversation: {
        id: '19:old@thread.tacv2',
        conversationType: 'channel',
        tenantId: 'tenant-1',
        isGroup: true,
        name: '',
      },
    });
    const kv = new Keyv();
    await kv.set('ref:team-old', legacy);
    await kv.set('dest:contoso.co.jp', 'team-old');
    await stores.settings.put(settingsFor('contoso.co.jp'));
    const old = createNotifier({
      messenger: localMessenger(),
      stores: { settings: stores.settings, conversations: new KeyvConversationRepository(kv) },
      logger: createLogger('silent'),
      linkFor,
    });
    expect(await old.deliver(runFor('contoso.co.jp'))).toEqual({ delivered: true, attempts: 1 });
    expect(connector.calls.map((p) => p.conversationId)).toEqual(['19:old@thread.tacv2']);
    expect(textOf(card(connector.calls[0]!))).toContain('contoso.co.jp の定期同期: 完了');
  });

  it('uses the "all" destination for a domain without its own', async () => {
    await stores.settings.put(settingsFor('fabrikam.jp'));
    const result = await notifier.deliver(runFor('fabrikam.jp'));
    expect(result).toEqual({ delivered: true, attempts: 1 });
    expect(connector.calls.map((p) => p.conversationId)).toEqual(['19:ops@thread.v2']);
  });

  it('respects the notify setting: no post for a run without changes, always for failures', async () => {
    await stores.settings.put(settingsFor('contoso.co.jp'));
    const quiet = runFor('contoso.co.jp', { counts: { added: 0, updated: 0, deleted: 0, failed: 0 } });
    expect(await notifier.deliver(quiet)).toEqual({ delivered: false, reason: 'not-wanted' });
    await stores.settings.put(settingsFor('contoso.co.jp', 'failures-only'));
    expect(await notifier.deliver(runFor('contoso.co.jp'))).toEqual({ delivered: false, reason: 'not-wanted' });
    expect(connector.calls).toHaveLength(0);
    const failed = runFor('contoso.co.jp', {
      status: 'partial',
      counts: { added: 1, updated: 0, deleted: 0, failed: 1 },
      outcomes: [
        {
          action: 'Add',
          upn: 'hanako@contoso.co.jp',
          immutableId: 'i-1',
          result: 'failed',
          errorKind: 'conflict',
          errorCode: 'Request_MultipleObjectsWithSameKeyValue',
          errorMessage: 'Another object with the same value for property userPrincipalName already exists.',
        },
      ],
    });
    await notifier.runFinished(failed);
    expect(connector.calls).toHaveLength(1);
    expect(textOf(card(connector.calls[0]!))).toContain(
      'hanako@contoso.co.jp: Request\\\\_MultipleObjectsWithSameKeyValue',
    );
    await stores.settings.put(settingsFor('contoso.co.jp', 'always'));
    await notifier.runFinished(quiet);
    expect(connector.calls).toHaveLength(2);
  });

  it('a cancelled run carries the deletion share and the Run dry run / Sync log buttons', async () => {
    await stores.settings.put(settingsFor('contoso.co.jp', 'failures-only'));
    await notifier.runFinished(
      runFor('contoso.co.jp', {
        status: 'cancelled',
        reason: 'max allowed deletions reached: 70% ≥ 65%',
        counts: { added: 0, updated: 0, deleted: 0, failed: 0 },
        deletion: { count: 70, inScope: 100, percent: 70, maxPercent: 65, maxCount: null, wouldCancel: true },
      }),
    );
    const c = card(connector.calls[0]!);
    expect(textOf(c)).toContain('would delete 70 of 100 users (70%); the limit is 65%');
    const actions = c.actions as { verb: string; title: string; data: Record<string, unknown> }[];
    expect(actions.map((a) => [a.title, a.verb, a.data.domain])).toEqual([
      ['Run dry run', 'preview', 'contoso.co.jp'],
      ['Sync log', 'logs', 'contoso.co.jp'],
    ]);
  });

  it('retries a throttled (429) or failing (5xx) delivery with backoff, then posts', async () => {
    await stores.settings.put(settingsFor('contoso.co.jp'));
    // The Bot Connector client retries by itself (Retry-After, then 3 exponential retries); when it gives up, the
    // notifier waits and tries again.
    connector.script.push(
      { status: 429, headers: { 'retry-after': '1' } },
      { status: 503 },
      { status: 503 },
      { status: 503 },
    );
    const result = await notifier.deliver(runFor('contoso.co.jp'));
    expect(result).toEqual({ delivered: true, attempts: 2 });
    expect(connector.calls).toHaveLength(5);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(0);
    expect(card(connector.calls[4]!).type).toBe('AdaptiveCard');
  });

  it('gives up without throwing when the bot was removed (403) or the connector keeps failing', async () => {
    await stores.settings.put(settingsFor('contoso.co.jp'));
    connector.script.push({ status: 403 });
    const gone = await notifier.deliver(runFor('contoso.co.jp'));
    expect(gone).toEqual({ delivered: false, reason: 'gone', detail: '403' });
    expect(connector.calls).toHaveLength(1);
    expect(waits).toEqual([]);

    const once = createNotifier({
      messenger: localMessenger({ attempts: 1 }),
      stores,
      logger: createLogger('silent'),
      linkFor,
    });
    for (let i = 0; i < 4; i++) connector.script.push({ status: 500 });
    await expect(once.runFinished(runFor('contoso.co.jp'))).resolves.toBeUndefined();
    expect(connector.calls).toHaveLength(5);
    connector.script.push({ status: 400 });
    expect(await once.deliver(runFor('contoso.co.jp'))).toEqual({ delivered: false, reason: 'gave-up', detail: '400' });
  });

  it('never throws when the store fails', async () => {
    const broken = createNotifier({
      messenger: localMessenger(),
      stores: {
        settings: {
          async get() {
            throw new Error('store down');
          },
        },
        conversations: stores.conversations,
      },
      logger: createLogger('silent'),
      linkFor,
    });
    await expect(broken.runFinished(runFor('contoso.co.jp'))).resolves.toBeUndefined();
    expect(await broken.deliver(runFor('contoso.co.jp'))).toMatchObject({ delivered: false, reason: 'error' });
  });
});
