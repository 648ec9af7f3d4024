// Server start-up rules and the HTTP surface that needs no engine: auth refusal, health, bad requests, local mode.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BotServer, startBotServer } from '../../src/bot/index.js';
import { type Config, loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { openStore, type Stores } from '../../src/store/index.js';
import type { SyncService } from '../../src/sync/service-interface.js';

const logger = createLogger('silent');

/** A raw HTTP request (fetch would not let a test set Host): status only. */
function raw(base: string, path: string, method: string, headers: Record<string, string>, body?: string) {
  const url = new URL(path, base);
  return new Promise<number>((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
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

  it('in local mode refuses what a web page could send: other content types, an Origin, a foreign Host or serviceUrl', async () => {
    const host = new URL(bot.url).host;
    const activity = (serviceUrl: string) =>
      JSON.stringify({
        type: 'message',
        text: 'status',
        serviceUrl,
        channelId: 'msteams',
        from: { id: 'u', aadObjectId: 'a' },
        conversation: { id: 'c' },
        recipient: { id: 'b' },
      });
    const json = { 'content-type': 'application/json' };
    const good = activity('http://127.0.0.1:9/');
    expect(await raw(bot.url, '/api/messages', 'POST', { ...json, 'content-type': 'text/plain' }, good)).toBe(415);
    expect(
      await raw(bot.url, '/api/messages', 'POST', { 'content-type': 'application/x-www-form-urlencoded' }, good),
    ).toBe(415);
    expect(await raw(bot.url, '/api/messages', 'POST', { ...json, origin: 'https://evil.example' }, good)).toBe(403);
    expect(await raw(bot.url, '/api/messages', 'POST', { ...json, host: 'evil.example:3978' }, good)).toBe(403);
    expect(await raw(bot.url, '/api/messages', 'POST', { ...json, host: '127.0.0.1.evil.example' }, good)).toBe(403);
    expect(await raw(bot.url, '/api/messages', 'POST', { ...json, host }, activity('https://evil.example/'))).toBe(403);
    expect(await raw(bot.url, '/api/messages', 'POST', { ...json, host }, activity('http://127.0.0.1.nip.io/'))).toBe(
      403,
    );
    // The same Host and Origin rules guard the download and consent routes.
    expect(await raw(bot.url, '/downloads/abc', 'GET', { host: 'evil.example' })).toBe(403);
    expect(await raw(bot.url, '/api/consent/callback?state=x', 'GET', { host: 'evil.example' })).toBe(403);
    expect(await raw(bot.url, '/downloads/abc', 'GET', { host, origin: 'https://evil.example' })).toBe(403);
    // Nothing above reached a handler (the service throws on any call); loopback Host + serviceUrl is let through.
    expect(
      await raw(bot.url, '/api/consent/callback?state=x', 'GET', { host: `localhost:${new URL(bot.url).port}` }),
    ).toBe(403);
  });
});
