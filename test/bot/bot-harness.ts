// Test helper: the real engine (in-process emulator, memory store) + the bot server + a recording Bot Connector.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BotServer, type BotServerOptions, startBotServer } from '../../src/bot/index.js';
import { createEngine, type Engine, engineConnection } from '../../src/compose.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import type { OpsObserver } from '../../src/sync/observer.js';
import type { SyncService } from '../../src/sync/service-interface.js';
import { type FakeConnector, startFakeConnector } from './fake-connector.js';

export const TENANT = 'tenant-a';
export const ADMIN = { id: 'user-admin', aadObjectId: 'aad-admin-1', name: 'Ada Admin' };
export const NON_ADMIN = { id: 'user-other', aadObjectId: 'aad-other-2', name: 'Olli Other' };

export interface Harness {
  readonly engine: Engine;
  readonly bot: BotServer;
  readonly connector: FakeConnector;
  /** Service method names called by the bot, in order. */
  readonly serviceCalls: string[];
  /** Tenants passed to connection.onConsentGranted. */
  readonly consentGrants: string[];
  /** What connection.status() answers (connected by default). */
  setConnected(connected: boolean): void;
  post(activity: Record<string, unknown>): Promise<{ status: number; body: unknown }>;
  message(text: string, from?: typeof ADMIN, extra?: Record<string, unknown>): Record<string, unknown>;
  invoke(verb: string, data: Record<string, unknown>, replyToId: string, from?: typeof ADMIN): Record<string, unknown>;
  close(): Promise<void>;
}

export async function startHarness(
  options: {
    env?: Record<string, string>;
    /** Use the product's real connection (fresh token, roles claim, in-process emulator) instead of the stub. */
    realConnection?: boolean;
    /** The live Global Administrator check (default: nobody is one). */
    isGlobalAdmin?: (aadObjectId: string) => Promise<boolean>;
    observer?: OpsObserver;
    bot?: BotServerOptions;
  } = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'bot-harness-'));
  const config = loadConfig({
    DEMO: 'true',
    BOT_LOCAL_MODE: 'true',
    HOST: '127.0.0.1',
    PORT: '0',
    STORE_URL: 'memory://',
    ALLOWED_TENANT_IDS: TENANT,
    ADMIN_AAD_OBJECT_IDS: ADMIN.aadObjectId,
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const logger = createLogger('silent');
  const engine = await createEngine(config, logger, { demoStateFile: join(dir, 'demo-tenant.json') });
  const connector = await startFakeConnector();
  const serviceCalls: string[] = [];
  const consentGrants: string[] = [];
  let connected = true;
  const service = new Proxy(engine.service, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        serviceCalls.push(String(prop));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as SyncService;
  const bot = await startBotServer(
    {
      config,
      logger,
      service,
      stores: engine.stores,
      connection: options.realConnection
        ? {
            ...engineConnection(engine),
            onConsentGranted: async (tenant: string) => {
              consentGrants.push(tenant);
            },
          }
        : {
            status: async () =>
              connected ? { connected: true } : { connected: false, reason: 'admin consent missing' },
            consentUrl: (state, redirect) =>
              `https://login.example/adminconsent?state=${encodeURIComponent(state)}&redirect_uri=${encodeURIComponent(redirect)}`,
            onConsentGranted: async (tenant) => {
              consentGrants.push(tenant);
              connected = true;
            },
          },
      isGlobalAdmin: options.isGlobalAdmin ?? (async () => false),
      ...(options.observer ? { observer: options.observer } : {}),
    },
    { updateIntervalMs: 50, consentConfirm: { attempts: 3, intervalMs: 200 }, ...options.bot },
  );
  const conversation = { id: `conv-${randomUUID()}`, conversationType: 'personal', tenantId: TENANT };
  const base = (from: typeof ADMIN) => ({
    id: randomUUID(),
    timestamp: new Date().toISOString(),
    serviceUrl: connector.url,
    channelId: 'msteams',
    from,
    recipient: { id: 'bot-id', name: 'Entra Sync' },
    conversation,
    channelData: { tenant: { id: TENANT } },
  });
  return {
    engine,
    bot,
    connector,
    serviceCalls,
    consentGrants,
    setConnected: (c) => {
      connected = c;
    },
    async post(activity) {
      const res = await fetch(`${bot.url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(activity),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        // plain text body
      }
      return { status: res.status, body };
    },
    message: (text, from = ADMIN, extra = {}) => ({ ...base(from), type: 'message', text, ...extra }),
    invoke: (verb, data, replyToId, from = ADMIN) => ({
      ...base(from),
      type: 'invoke',
      name: 'adaptiveCard/action',
      replyToId,
      value: { action: { type: 'Action.Execute', verb, data } },
    }),
    async close() {
      await bot.close();
      await connector.close();
      await engine.close();
    },
  };
}
