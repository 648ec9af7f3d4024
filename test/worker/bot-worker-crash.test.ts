// The bot server as deployed (startApp, sync worker process, emulator over HTTPS): an admin clicks Sync now, the worker is killed mid-apply, and the admin's card still ends with the run's result.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { type RunningApp, startApp } from '../../src/index.js';
import { createLogger } from '../../src/logger.js';
import { isRefusal } from '../../src/sync/service-interface.js';
import { cardOf, cardText, type FakeConnector, startFakeConnector } from '../bot/fake-connector.js';
import { type CliTenant, startChurnTenant } from '../helpers/cli.js';
import { until } from '../helpers/until.js';

const DOMAIN = 'botthread.jp';
const EXISTING = 300;
const LEAVERS = 30;
const UPDATED = 100;
const HIRES = 400;
const ADMIN = '00000000-0000-4000-8000-00000000a001';

describe('bot with its sync worker process', () => {
  let tenant: CliTenant;
  let connector: FakeConnector;
  let app: RunningApp;

  beforeAll(async () => {
    tenant = await startChurnTenant({
      domain: DOMAIN,
      letter: 'B',
      counts: { existing: EXISTING, leavers: LEAVERS, updated: UPDATED, hires: HIRES },
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

  afterAll(async () => {
    await app?.close();
    await connector?.close();
    await tenant?.stop();
  });

  it('Sync now survives its worker being killed: the card ends with the completed run', async () => {
    expect(app.syncWorker).not.toBeNull();
    const tenantId = tenant.emulator.info.tenantId;
    const plan = await app.service.preview(DOMAIN, { requestedBy: 'test' });
    if (isRefusal(plan)) throw new Error(plan.reason);
    const writesBefore = await tenant.writes();
    const res = await fetch(`${app.bot.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'invoke',
        name: 'adaptiveCard/action',
        id: 'invoke-1',
        timestamp: new Date().toISOString(),
        serviceUrl: connector.url,
        channelId: 'msteams',
        from: { id: `29:${ADMIN}`, aadObjectId: ADMIN, name: 'Thread Admin' },
        conversation: { id: 'a:thread-admin', conversationType: 'personal', tenantId },
        recipient: { id: '28:bot', name: 'Entra Sync' },
        channelData: { tenant: { id: tenantId } },
        replyToId: 'card-1',
        locale: 'en-US',
        value: {
          action: { type: 'Action.Execute', verb: 'apply', data: { planId: plan.id, planHash: plan.hash } },
          trigger: 'manual',
        },
      }),
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
});
