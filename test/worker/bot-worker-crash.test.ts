// The bot server as deployed (startApp, sync worker process, emulator over HTTPS): an admin clicks Sync now, the worker is killed mid-apply, and the admin's card still ends with the run's result; a preview all whose worker is killed still lists every domain.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { type RunningApp, startApp } from '../../src/index.js';
import { createLogger } from '../../src/logger.js';
import { isRefusal } from '../../src/sync/service-interface.js';
import type { FromWorker } from '../../src/worker/protocol.js';
import { cardOf, cardText, type FakeConnector, startFakeConnector } from '../bot/fake-connector.js';
import { type CliTenant, startChurnTenant } from '../helpers/cli.js';
import { until } from '../helpers/until.js';

const DOMAIN = 'botthread.jp';
const EXISTING = 300;
const LEAVERS = 30;
const UPDATED = 100;
const HIRES = 400;
const ADMIN = '00000000-0000-4000-8000-00000000a001';

/** Two small domains around the large one: in `preview all` order, alpha.jp, botthread.jp, zulu.jp. */
const SMALL = ['alpha.jp', 'zulu.jp'];
const smallRows = (domain: string) => [
  'userPrincipalName,givenName,surname,displayName,immutableId,jobTitle',
  ...[1, 2, 3].map((i) => `s${i}@${domain},S,${i},S ${i},${Buffer.from(`${domain}-${i}`).toString('base64url')},Staff`),
];

describe('bot with its sync worker process', () => {
  let tenant: CliTenant;
  let connector: FakeConnector;
  let app: RunningApp;

  beforeAll(async () => {
    tenant = await startChurnTenant({
      domain: DOMAIN,
      letter: 'B',
      counts: { existing: EXISTING, leavers: LEAVERS, updated: UPDATED, hires: HIRES },
      more: SMALL.map((domain) => ({ domain, rows: smallRows(domain) })),
    });
    connector = await startFakeConnector();
    const tenantId = tenant.emulator.info.tenantId;
    const config = loadConfig({
      ...tenant.env,
      HOST: '127.0.0.1',
      PORT: '0',
      BOT_LOCAL_MODE: 'true',
      ALLOWED_TENANT_IDS: tenantId,
      ADMIN_AAD_OBJECT_IDS: ADMIN,
      SYNC_LEASE_TTL_SECONDS: '3',
    });
    expect(config.syncWorker).toBe('process');
    app = await startApp(config, { scheduler: false, playgroundPort: null, logger: createLogger('silent') });
  }, 120_000);

  /** Posts an activity from the admin in their personal chat with the bot, as Teams does. */
  function postActivity(activity: Record<string, unknown>) {
    const tenantId = tenant.emulator.info.tenantId;
    return fetch(`${app.bot.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        timestamp: new Date().toISOString(),
        serviceUrl: connector.url,
        channelId: 'msteams',
        from: { id: `29:${ADMIN}`, aadObjectId: ADMIN, name: 'Thread Admin' },
        conversation: { id: 'a:thread-admin', conversationType: 'personal', tenantId },
        recipient: { id: '28:bot', name: 'Entra Sync' },
        channelData: { tenant: { id: tenantId } },
        locale: 'en-US',
        ...activity,
      }),
    });
  }

  afterAll(async () => {
    await app?.close();
    await connector?.close();
    await tenant?.stop();
  });

  it('Sync now survives its worker being killed: the card ends with the completed run', async () => {
    expect(app.syncWorker).not.toBeNull();
    const plan = await app.service.preview(DOMAIN, { requestedBy: 'test' });
    if (isRefusal(plan)) throw new Error(plan.reason);
    const writesBefore = await tenant.writes();
    const res = await postActivity({
      type: 'invoke',
      name: 'adaptiveCard/action',
      id: 'invoke-1',
      replyToId: 'card-1',
      value: {
        action: { type: 'Action.Execute', verb: 'apply', data: { planId: plan.id, planHash: plan.hash } },
        trigger: 'manual',
      },
    });
    expect(res.status).toBe(200);
    expect(JSON.stringify(await res.json())).toContain(`Sync running: ${DOMAIN}`);
    await until('100 writes', async () => (await tenant.writes()) >= writesBefore + 100);
    app.syncWorker?.child()?.kill('SIGKILL');
    await until('the worker to be seen dead', () => app.syncWorker?.restarts() === 1, 10_000);

    // The admin's card is updated in place to the result of the resumed run (not left on "Syncing…").
    const final = await connector.waitFor(
      (calls) =>
        calls.find(
          (c) =>
            c.kind === 'update' &&
            c.activityId === 'card-1' &&
            cardText(cardOf(c.activity)).includes(`Sync completed: ${DOMAIN}`),
        ),
      90_000,
    );
    const text = cardText(cardOf(final.activity));
    expect(text).toContain(String(HIRES));
    const [run] = await app.service.listRuns({ domain: DOMAIN, limit: 1 });
    expect(run?.status).toBe('completed');
    expect(run?.counts).toEqual({ added: HIRES, updated: UPDATED, deleted: LEAVERS, failed: 0 });
    // One run: the resumed one, not a second.
    expect(await app.service.listRuns({ domain: DOMAIN })).toHaveLength(1);
  }, 150_000);

  it('preview all whose worker is killed: the finished domain keeps its result, the one in progress says the engine stopped, the rest are done', async () => {
    const restartsBefore = app.syncWorker?.restarts() ?? 0;
    // The worker is killed as it starts the second domain (the large one), after the first one's entry reached the bot.
    const child = app.syncWorker?.child();
    if (!child) throw new Error('no worker process');
    child.on('message', (m: FromWorker) => {
      if (m.kind === 'domain' && m.index === 1) child.kill('SIGKILL');
    });
    const before = connector.calls.length;
    const res = await postActivity({ type: 'message', id: 'msg-preview-all', text: 'preview all' });
    expect(res.status).toBe(200);
    const reply = await connector.waitFor((calls) => calls.slice(before).find((c) => c.kind === 'reply'));
    const final = await connector.waitFor(
      (calls) =>
        calls.find(
          (c) =>
            c.kind === 'update' &&
            c.activityId === reply.resultId &&
            cardText(cardOf(c.activity)).includes('Dry run of every domain'),
        ),
      90_000,
    );
    expect(app.syncWorker?.restarts()).toBe(restartsBefore + 1);
    const text = cardText(cardOf(final.activity));
    expect(text).toContain('3 domains');
    // alpha.jp (finished before the kill) and zulu.jp (done by the new worker) have their plans; botthread.jp says
    // the engine stopped and to run it again.
    expect(text.match(/Add 3 · Update 0 · Delete 0/g)).toHaveLength(2);
    expect(text.match(/The sync engine stopped unexpectedly during this step/g)).toHaveLength(1);
    expect(text).toContain('Run the step again.');
    for (const domain of ['alpha.jp', DOMAIN, 'zulu.jp']) expect(text).toContain(domain);
    const order = ['alpha.jp', DOMAIN, 'zulu.jp'].map((d) => text.indexOf(d));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(text.indexOf('The sync engine stopped')).toBeGreaterThan(text.indexOf(DOMAIN));
    expect(text.indexOf('The sync engine stopped')).toBeLessThan(text.indexOf('zulu.jp'));
  }, 150_000);
});
