// Server start-up rules and the HTTP surface that needs no engine: auth refusal, health, bad requests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BotServer, startBotServer } from '../../src/bot/index.js';
import { type Config, loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { openStore, type Stores } from '../../src/store/index.js';
import type { SyncService } from '../../src/sync/service.js';

const logger = createLogger('silent');
/** No call may reach the service in these tests: every method throws. */
const service = new Proxy({} as SyncService, {
  get: (_t, prop) => () => {
    throw new Error(`service.${String(prop)} must not be called`);
  },
});
const deps = (config: Config, stores: Stores) => ({
  config,
  logger,
  service,
  stores,
  connection: {
    status: async () => ({ connected: true as const }),
    consentUrl: () => 'https://login.example/consent',
    onConsentGranted: async () => undefined,
  },
  isGlobalAdmin: async () => false,
});

describe('startBotServer', () => {
  let stores: Stores;
  let bot: BotServer;
  beforeAll(async () => {
    stores = await openStore('memory://');
    const config = loadConfig({
      DEMO: 'true',
      BOT_LOCAL_MODE: 'true',
      PORT: '0',
      STORE_URL: 'memory://',
      LOG_LEVEL: 'silent',
    });
    bot = await startBotServer(deps(config, stores));
  });
  afterAll(async () => {
    await bot?.close();
    await stores?.close();
  });

  it('refuses to start without BOT_ID outside local mode', async () => {
    const config = loadConfig({
      DEMO: 'false',
      ENTRA_TENANT_ID: '6d1f3c2a-8b4e-4f7a-9c21-3e5d7a9b0c11',
      ENTRA_CLIENT_ID: 'client',
      ENTRA_CLIENT_SECRET: 'secret',
      PORT: '0',
      STORE_URL: 'memory://',
    });
    expect(config.bot.localMode).toBe(false);
    await expect(startBotServer(deps(config, stores))).rejects.toThrow(/BOT_ID: required unless BOT_LOCAL_MODE=true/);
    expect(() => loadConfig({ BOT_LOCAL_MODE: 'true', HOST: '0.0.0.0', STORE_URL: 'memory://' })).toThrow(/loopback/);
  });

  it('serves /healthz and answers bad requests clearly without reaching a handler', async () => {
    const health = await fetch(`${bot.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect((await fetch(`${bot.url}/api/messages`)).status).toBe(405);
    const post = (body: string) =>
      fetch(`${bot.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect((await post('{not json')).status).toBe(400);
    expect((await post('[1,2]')).status).toBe(400);
    expect((await post(JSON.stringify({ type: 'message', text: 'x'.repeat(1_100_000) }))).status).toBe(413);
    expect((await fetch(`${bot.url}/downloads/not-a-token`)).status).toBe(403);
    expect((await fetch(`${bot.url}/downloads/%00`)).status).toBe(403);
    expect((await fetch(`${bot.url}/nothing-here`)).status).toBe(404);
    const consent = await fetch(`${bot.url}/api/consent/callback?state=forged&admin_consent=True&tenant=x`);
    expect(consent.status).toBe(403);
    expect(consent.headers.get('content-type')).toMatch(/text\/html/);
  });
});
