// End to end on one machine: the scheduler runs the real sync engine (demo emulator) and the channel gets the card.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotifier } from '../../src/bot/notifier.js';
import { createBotMessenger } from '../../src/bot/bot-messenger.js';
import { renderLogsCard } from '../../src/bot/render-logs.js';
import { createEngine, type Engine } from '../../src/compose.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createScheduler, type Scheduler, slotAt, slotTime } from '../../src/schedule/index.js';
import { ENGLISH } from '../../src/bot/i18n.js';

const logger = createLogger('silent');
const linkFor = (kind: 'run', id: string) => `http://127.0.0.1:3978/downloads/${kind}/${id}?sig=t`;

describe('an hourly run on the real engine, posted to the "notify here" channel', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hourly-run-'));
  const posts: { path: string; activity: Record<string, unknown> }[] = [];
  let server: Server;
  let engine: Engine;
  let scheduler: Scheduler;
  let now = Date.now();

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        posts.push({ path: req.url ?? '', activity: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `a${posts.length}` }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const config = loadConfig({ DEMO: 'true', STORE_URL: 'memory://', LOG_LEVEL: 'silent' });
    engine = await createEngine(config, logger, { demoStateFile: join(dir, 'demo-tenant.json') });
    const serviceUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await engine.stores.conversations.put('team:general', {
      conversationId: '19:general@thread.tacv2',
      serviceUrl,
      tenantId: null,
    });
    await engine.stores.conversations.setDestination('contoso.co.jp', 'team:general');
    const notifier = createNotifier({
      messenger: createBotMessenger({
        adapter: new CloudAdapter(new ConfigurationBotFrameworkAuthentication({})),
        botAppId: '',
        logger,
      }),
      stores: engine.stores,
      logger,
      linkFor,
    });
    scheduler = createScheduler({
      config,
      service: engine.service,
      stores: engine.stores,
      notifier,
      logger,
      clock: () => now,
      mode: 'local',
    });
  });

  afterAll(async () => {
    await scheduler?.stop();
    await engine?.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('enabling runs nothing; at the domain’s time the sync runs once, is logged and posted', async () => {
    const enabled = await engine.service.setDomain(
      'contoso.co.jp',
      { periodic: true, maxDeletionPercent: 50 },
      'admin',
    );
    expect(enabled).toMatchObject({ periodic: true });
    await scheduler.tick(now);
    await scheduler.idle();
    expect(await engine.stores.runs.list({ domain: 'contoso.co.jp' })).toHaveLength(0);

    const offset = scheduler.offsetFor('contoso.co.jp');
    now = slotTime(slotAt(now, scheduler.intervalMs, offset) + 1, scheduler.intervalMs, offset) + 1000;
    await scheduler.tick(now);
    await scheduler.idle();
    now += 60_000;
    await scheduler.tick(now);
    await scheduler.idle();

    const runs = await engine.stores.runs.list({ domain: 'contoso.co.jp' });
    expect(runs).toHaveLength(1);
    const [run] = runs;
    expect(run).toMatchObject({ trigger: 'hourly', status: 'completed' });
    expect(run!.counts.added + run!.counts.updated + run!.counts.deleted).toBeGreaterThan(0);

    expect(posts).toHaveLength(1);
    expect(posts[0]!.path).toMatch(/^\/v3\/conversations\/19%3Ageneral%40thread\.tacv2\/activities/);
    const card = JSON.stringify(posts[0]!.activity);
    expect(card).toContain('Periodic sync of contoso.co.jp: completed');
    expect(card).toContain(`"value":"${run!.counts.added}"`);
    expect(card).toContain(linkFor('run', run!.id));

    const logs = JSON.stringify(renderLogsCard(ENGLISH, runs, { domain: 'contoso.co.jp', linkFor, now: new Date() }));
    expect(logs).toContain('Periodic sync');
    expect(logs).toContain(linkFor('run', run!.id));
  });
});
