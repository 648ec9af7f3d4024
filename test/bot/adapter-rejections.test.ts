// With BOT_ID set, botbuilder's rejections reach the log as one pino line and the caller gets a plain status only.
import { Writable } from 'node:stream';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type BotServer, startBotServer } from '../../src/bot/index.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { openStore, type Stores } from '../../src/store/index.js';
import type { SyncService } from '../../src/sync/service-interface.js';

const lines: Record<string, unknown>[] = [];
const logger = createLogger(
  'info',
  new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  }),
);
const service = new Proxy({} as SyncService, {
  get: (_t, prop) => () => {
    throw new Error(`service.${String(prop)} must not be called`);
  },
});

let stores: Stores;
let bot: BotServer;
beforeAll(async () => {
  stores = await openStore('memory://');
  const config = loadConfig({
    DEMO: 'true',
    BOT_ID: '00000000-0000-0000-0000-00000000b07d',
    BOT_PASSWORD: 'not-used-by-this-test',
    ALLOWED_TENANT_IDS: 'tenant-a',
    PORT: '0',
    STORE_URL: 'memory://',
  });
  bot = await startBotServer({
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
});
afterAll(async () => {
  await bot?.close();
  await stores?.close();
});

const activity = {
  type: 'message',
  text: 'status',
  serviceUrl: 'https://smba.trafficmanager.net/amer/',
  channelId: 'msteams',
  from: { id: 'u', aadObjectId: 'a' },
  conversation: { id: 'c', tenantId: 'tenant-a' },
  recipient: { id: 'b' },
  channelData: { tenant: { id: 'tenant-a' } },
};

async function post(authorization: string | null) {
  return fetch(`${bot.url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify(activity),
  });
}

describe('botbuilder rejections', () => {
  it('a missing or garbage token: 401 with a plain body, one warn line without a stack, nothing on the console', async () => {
    const consoleError = vi.spyOn(console, 'error');
    const consoleWarn = vi.spyOn(console, 'warn');
    for (const auth of [null, 'Bearer not-a-token']) {
      const before = lines.length;
      const res = await post(auth);
      expect(res.status).toBe(401);
      expect(await res.text()).toBe('Unauthorized\n');
      const logged = lines.slice(before).filter((l) => l.msg === 'activity refused: not authenticated');
      expect(logged).toHaveLength(1);
      expect(JSON.stringify(logged[0])).not.toMatch(/\n\s+at /);
    }
    expect(consoleError).not.toHaveBeenCalled();
    expect(consoleWarn).not.toHaveBeenCalled();
    consoleError.mockRestore();
    consoleWarn.mockRestore();
  });

  it('a token whose keys cannot be fetched: a plain status, never the internal error text', async () => {
    const key = new TextEncoder().encode('x'.repeat(32));
    const token = await new SignJWT({ serviceurl: activity.serviceUrl })
      .setProtectedHeader({ alg: 'HS256', kid: 'k' })
      .setIssuer('https://api.botframework.com')
      .setAudience('00000000-0000-0000-0000-00000000b07d')
      .setExpirationTime('5m')
      .sign(key);
    const consoleError = vi.spyOn(console, 'error');
    const res = await post(`Bearer ${token}`);
    expect([401, 500]).toContain(res.status);
    const text = await res.text();
    expect(text).toMatch(/^(Unauthorized|Internal Server Error)\n$/);
    expect(consoleError).not.toHaveBeenCalled();
    consoleError.mockRestore();
  }, 60_000);
});
