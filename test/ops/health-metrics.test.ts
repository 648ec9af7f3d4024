// The running app's operations surface: /healthz, /readyz naming each failing part, and /metrics scraped during an apply.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { type RunningApp, startApp } from '../../src/index.js';
import { createLogger } from '../../src/logger.js';
import { isRefusal } from '../../src/sync/service-interface.js';
import { sample } from '../helpers/prometheus.js';
import { redisServerAvailable, startRedisServer } from '../store/redis-server.js';

const DOMAIN = 'ops.example.jp';
const HIRES = 400;
const TOKEN = 'metrics-token-0123456789abcdef';
const LIMITED = { clientId: '0c5d1f2e-3a4b-4c6d-8e9f-0a1b2c3d4e5f', clientSecret: 'limited-app-secret-value' };

const seed = {
  domains: [
    { id: 'opsjp.onmicrosoft.com', authenticationType: 'Managed', isVerified: true, isInitial: true },
    { id: DOMAIN, authenticationType: 'Managed', isVerified: true, isDefault: true },
  ],
  users: [],
  // An app consented only to read users: it can get a token, but not the roles the sync needs.
  apps: [{ ...LIMITED, permissions: ['User.Read.All'] }],
};

const csv = () =>
  [
    'userPrincipalName,givenName,surname,displayName,immutableId',
    ...Array.from({ length: HIRES }, (_, i) => {
      const n = String(i).padStart(4, '0');
      return `u${n}@${DOMAIN},U,${n},U ${n},${Buffer.from(`ops-${n}`).toString('base64')}`;
    }),
  ].join('\r\n');

describe('operations endpoints', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ops-'));
  let emulator: RunningEmulator;
  let app: RunningApp;
  const env = (extra: Record<string, string> = {}) => ({
    DEMO: 'false',
    ENTRA_TENANT_ID: emulator.tenantId,
    ENTRA_CLIENT_ID: emulator.clientId,
    ENTRA_CLIENT_SECRET: emulator.clientSecret,
    ENTRA_AUTHORITY_HOST: emulator.authorityHost,
    GRAPH_BASE_URL: emulator.graphBaseUrl,
    ENTRA_CA_FILE: emulator.caFile ?? '',
    BOT_LOCAL_MODE: 'true',
    PORT: '0',
    STORE_URL: `sqlite://${join(dir, 'state.sqlite')}`,
    LOG_LEVEL: 'silent',
    ...extra,
  });

  beforeAll(async () => {
    emulator = await startEmulator({ seed: seed as never, latency: { read: 2, write: 100 }, throttling: false });
    app = await startApp(loadConfig(env({ METRICS_TOKEN: TOKEN })), { logger: createLogger('silent') });
    const added = await app.engine.service.addDomain(DOMAIN, { maxDeletionPercent: 50 }, 'test');
    expect(isRefusal(added)).toBe(false);
    const imported = await app.engine.service.importDirectory(new TextEncoder().encode(csv()), {});
    expect(imported.applied).toBe(true);
  });

  afterAll(async () => {
    await app?.close();
    await emulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('/healthz answers while the process lives; /readyz is 200 with every part checked', async () => {
    const health = await fetch(`${app.bot.url}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${app.bot.url}/readyz`);
    const body = (await ready.json()) as { status: string; checks: Record<string, { ok: boolean }>; failing: string[] };
    expect(ready.status, JSON.stringify(body)).toBe(200);
    expect(body.status).toBe('ready');
    expect(Object.keys(body.checks).sort()).toEqual(['graph', 'process', 'scheduler', 'store']);
    expect(body.failing).toEqual([]);
  });

  it('/readyz is 503 and names the Graph permission that a token lacks', async () => {
    const limited = await startApp(
      loadConfig(
        env({
          ENTRA_CLIENT_ID: LIMITED.clientId,
          ENTRA_CLIENT_SECRET: LIMITED.clientSecret,
          STORE_URL: `sqlite://${join(dir, 'limited.sqlite')}`,
        }),
      ),
      { logger: createLogger('silent'), scheduler: false },
    );
    try {
      const res = await fetch(`${limited.bot.url}/readyz`);
      const body = (await res.json()) as {
        checks: Record<string, { ok: boolean; reason?: string }>;
        failing: string[];
      };
      expect(res.status).toBe(503);
      expect(body.failing).toEqual(['graph']);
      expect(body.checks.graph?.reason).toMatch(
        /lacks the application permissions User\.ReadWrite\.All, Domain\.Read\.All, Organization\.Read\.All, RoleManagement\.Read\.Directory, GroupMember\.Read\.All:/,
      );
      expect(body.checks.store?.ok).toBe(true);
      // A store that no longer answers is named too.
      await limited.engine.stores.close();
      const after = (await (await fetch(`${limited.bot.url}/readyz`)).json()) as { failing: string[] };
      expect(after.failing).toEqual(['store', 'graph']);
    } finally {
      await limited.close();
    }
  });

  it.skipIf(!redisServerAvailable())('/readyz names the BullMQ connection when Redis goes away', async () => {
    const redis = await startRedisServer();
    let replica: RunningApp | null = null;
    try {
      replica = await startApp(
        loadConfig(
          env({ SCHEDULER: 'bullmq', REDIS_URL: redis.url, STORE_URL: `sqlite://${join(dir, 'replica.sqlite')}` }),
        ),
        { logger: createLogger('silent') },
      );
      const ok = await fetch(`${replica.bot.url}/readyz`);
      const okBody = (await ok.json()) as { checks: Record<string, { ok: boolean }> };
      expect(ok.status, JSON.stringify(okBody)).toBe(200);
      expect(okBody.checks.redis?.ok).toBe(true);
      await redis.stop();
      let body: { failing: string[]; checks: Record<string, { reason?: string }> } = { failing: [], checks: {} };
      for (let i = 0; i < 50 && !body.failing.includes('redis'); i++) {
        await new Promise((r) => setTimeout(r, 100));
        const res = await fetch(`${replica.bot.url}/readyz`);
        body = (await res.json()) as typeof body;
        if (body.failing.length > 0) expect(res.status).toBe(503);
      }
      expect(body.failing).toContain('redis');
      expect(body.checks.redis?.reason).toMatch(/Redis connection is (reconnecting|connecting|close|end)|timed out/);
      expect(body.failing).not.toContain('store');
    } finally {
      await redis.stop();
      await replica?.close();
    }
  });

  it('METRICS_PORT serves /metrics on its own listener only; metrics are off when neither setting is given', async () => {
    const separate = await startApp(
      loadConfig(env({ METRICS_PORT: '0', STORE_URL: `sqlite://${join(dir, 'port.sqlite')}` })),
      { logger: createLogger('silent'), scheduler: false },
    );
    try {
      expect(separate.metrics?.url).not.toBe(separate.bot.url);
      expect((await fetch(`${separate.bot.url}/metrics`)).status).toBe(404);
      const res = await fetch(`${separate.metrics?.url}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('# TYPE entra_sync_runs_total counter');
      expect((await fetch(`${separate.metrics?.url}/readyz`)).status).toBe(404);
    } finally {
      await separate.close();
    }
    expect(loadConfig(env()).metrics).toBeNull();
    expect(() => loadConfig(env({ METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' }))).toThrow(
      /METRICS_TOKEN: required when METRICS_HOST is not a loopback address/,
    );
    expect(() => loadConfig(env({ METRICS_TOKEN: 'short' }))).toThrow(/METRICS_TOKEN: must be at least 16/);
    expect(() => loadConfig(env({ METRICS_TOKEN: TOKEN, METRICS_HOST: '10.0.0.5' }))).toThrow(
      /METRICS_HOST: only used with METRICS_PORT/,
    );
    const defaults = loadConfig(env());
    expect([defaults.graphTimeoutSeconds, defaults.scimTimeoutSeconds, defaults.shutdownGraceSeconds]).toEqual([
      60, 30, 30,
    ]);
    expect(() => loadConfig(env({ GRAPH_TIMEOUT_SECONDS: '0', SCIM_TIMEOUT_SECONDS: 'soon' }))).toThrow(
      /GRAPH_TIMEOUT_SECONDS: must be at least 1[\s\S]*SCIM_TIMEOUT_SECONDS: must be a whole number/,
    );
  });

  it('/metrics needs the bearer token and its counters move as an apply runs', async () => {
    const url = `${app.bot.url}/metrics`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong-token-0123456789abc' } })).status).toBe(401);
    const scrape = async () => {
      const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      return res.text();
    };
    const created = (t: string) => sample(t, 'entra_sync_graph_writes_total', { kind: 'create', outcome: 'done' });
    const completed = (t: string) =>
      sample(t, 'entra_sync_runs_total', { domain: DOMAIN, trigger: 'cli', status: 'completed' });

    const plan = await app.engine.service.preview(DOMAIN, { requestedBy: 'test' });
    if (isRefusal(plan)) throw new Error(plan.reason);
    expect(plan.counts.add).toBe(HIRES);
    const before = await scrape();
    expect(sample(before, 'entra_sync_dry_run_duration_seconds_count', { outcome: 'planned' })).toBe(1);
    expect(created(before)).toBe(0);
    expect(completed(before)).toBe(0);

    let started = false;
    const applying = app.engine.service.apply(plan.id, plan.hash, {
      trigger: 'cli',
      approvedBy: 'test',
      onStarted: () => {
        started = true;
      },
    });
    // Scrape while the writes go on: the run has started, some users are written, none of it is finished.
    const during: string[] = [];
    for (let i = 0; i < 400 && during.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 20));
      if (!started) continue;
      const text = await scrape();
      const n = created(text);
      if (n > 0 && n < HIRES && (during.length === 0 || n > created(during[0]!))) during.push(text);
    }
    expect(during.length, 'two scrapes while users were being written').toBe(2);
    for (const text of during) {
      expect(sample(text, 'entra_sync_runs_started_total', { domain: DOMAIN, trigger: 'cli' })).toBe(1);
      expect(completed(text)).toBe(0);
    }
    expect(created(during[1]!)).toBeGreaterThan(created(during[0]!));

    const run = await applying;
    if (isRefusal(run)) throw new Error(run.reason);
    expect(run.status).toBe('completed');
    const after = await scrape();
    expect(created(after)).toBe(HIRES);
    expect(completed(after)).toBe(1);
    expect(sample(after, 'entra_sync_run_duration_seconds_count', { trigger: 'cli' })).toBe(1);
    expect(sample(after, 'entra_sync_run_duration_seconds_sum', { trigger: 'cli' })).toBeGreaterThan(0);
    expect(after).toContain('# TYPE entra_sync_graph_throttled_total counter');
    expect(after).toContain('# TYPE entra_sync_graph_budget_used_ratio gauge');
    expect(after).toContain('# TYPE entra_sync_bot_commands_total counter');
    expect(after).toContain('# TYPE entra_sync_card_actions_total counter');
  });

  it('429s from Graph are counted with their Retry-After seconds', async () => {
    const dispatcher = new Agent({ connect: { ca: emulator.caPem ?? undefined } });
    const faults = (body: unknown) =>
      undiciFetch(`${emulator.graphBaseUrl}/_emulator/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        dispatcher,
      });
    const renamed = csv().replace(/,U (\d{4}),/g, ',User $1,');
    expect((await app.engine.service.importDirectory(new TextEncoder().encode(renamed), {})).applied).toBe(true);
    const plan = await app.engine.service.preview(DOMAIN, { requestedBy: 'test' });
    if (isRefusal(plan)) throw new Error(plan.reason);
    expect(plan.counts.update).toBe(HIRES);
    expect((await faults({ seed: 7, rates: { throttle: 0.2 } })).status).toBe(200);
    try {
      const run = await app.engine.service.apply(plan.id, plan.hash, { trigger: 'cli', approvedBy: 'test' });
      if (isRefusal(run)) throw new Error(run.reason);
      expect(run.status).toBe('completed');
    } finally {
      await faults({ seed: 7, rates: {} });
      await dispatcher.close();
    }
    const text = await (
      await fetch(`${app.bot.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).text();
    const throttled =
      sample(text, 'entra_sync_graph_throttled_total', { scope: 'request' }) +
      sample(text, 'entra_sync_graph_throttled_total', { scope: 'item' });
    expect(throttled).toBeGreaterThan(0);
    expect(sample(text, 'entra_sync_graph_retry_after_seconds_count')).toBe(throttled);
    expect(sample(text, 'entra_sync_graph_retry_after_seconds_sum')).toBeGreaterThanOrEqual(throttled);
    expect(sample(text, 'entra_sync_graph_writes_total', { kind: 'update', outcome: 'done' })).toBe(HIRES);
  });

  it('the scheduler next run of a domain with hourly sync is exported as a timestamp', async () => {
    await app.engine.service.setDomain(DOMAIN, { periodic: true }, 'test');
    // The scheduler re-reads settings every 5 s.
    let next = 0;
    for (let i = 0; i < 80 && next === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const text = await (
        await fetch(`${app.bot.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
      ).text();
      next = sample(text, 'entra_sync_scheduler_next_run_timestamp_seconds', { domain: DOMAIN });
    }
    const now = Date.now() / 1000;
    expect(next).toBeGreaterThan(now - 2);
    expect(next).toBeLessThanOrEqual(now + 3600);
  });
});
