// Builds the engine from config (store, Access Control directory, Entra connector, sync service); shared by the bot server and the CLI.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { Config } from './config.js';
import { demoDirectory } from './directory/demo-directory.js';
import { EmbeddedDirectory } from './directory/embedded-directory.js';
import { importDirectory } from './directory/import.js';
import { KeyvIdentityMemory } from './directory/identity-memory.js';
import { ScimDirectory } from './directory/scim-directory.js';
import { adminConsentUrl, missingPermissions, rolesOfToken } from './entra/admin-consent.js';
import { createEntraConnector, type EntraConnector } from './entra/index.js';
import type { Logger } from './logger.js';
import { openStore, type Stores } from './store/index.js';
import type { OpsObserver } from './sync/observer.js';
import type { SyncService } from './sync/service-interface.js';
import { createSyncService, type SyncServiceDeps } from './sync/service/index.js';

export interface Engine {
  readonly config: Config;
  readonly stores: Stores;
  readonly directory: EmbeddedDirectory;
  readonly entra: EntraConnector;
  /** The Entra settings in force (in the demo: the in-process emulator's). */
  readonly entraSettings: Config['entra'];
  /** The extra CA the Entra connection trusts (ENTRA_CA_FILE, or the demo emulator's self-signed one), if any. */
  readonly entraCaPem: string | null;
  readonly service: SyncService;
  /** The in-process emulator when running the demo (null against a real tenant). */
  readonly emulator: { graphBaseUrl: string; tenantId: string; close(): Promise<void> } | null;
  close(): Promise<void>;
}

export interface EngineOptions {
  /** Where the demo tenant's state is kept between runs (DEMO=true). */
  readonly demoStateFile?: string;
  /** Replication delay of the demo's emulator (default DEFAULT_REPLICATION_DELAY_MS, as Graph lags). */
  readonly demoReplicationDelayMs?: number;
  readonly leaseTtlMs?: number;
  /** Told of runs, dry runs, writes and throttling (the metrics registry listens here). */
  readonly observer?: OpsObserver;
  /** Aborted on SIGTERM/SIGINT: a run in progress stops after its in-flight writes and ends `interrupted`. */
  readonly shutdown?: AbortSignal;
  /**
   * Use this Entra connection instead of the config's, and start no demo emulator nor demo seeding: the sync worker
   * process is given the one the bot resolved (in the demo, the bot's emulator, reached over HTTPS).
   */
  readonly entra?: { readonly settings: Config['entra']; readonly caPem: string | null };
  /** The name this engine's leases are held under (default `host:pid`). */
  readonly holder?: string;
}

/** The ports of the sync service that an Entra connector and the stores fill, with the wall clock and random ids. */
export type ServicePorts = Pick<
  SyncServiceDeps,
  'reader' | 'writer' | 'settings' | 'plans' | 'runs' | 'journal' | 'leases' | 'now' | 'newId'
>;

/** Maps a connector and the stores onto the sync service's ports: the one place this mapping is written (tests use it too). */
export function servicePortsOf(entra: Pick<EntraConnector, 'reader' | 'writer'>, stores: Stores): ServicePorts {
  return {
    reader: entra.reader,
    writer: entra.writer,
    settings: stores.settings,
    plans: stores.plans,
    runs: stores.runs,
    journal: stores.journal,
    leases: stores.leases,
    now: () => new Date(),
    newId: () => randomUUID(),
  };
}

/** Derives the demo state file from the store URL so CLI and bot share one demo tenant. */
function demoStatePath(config: Config, override?: string): string {
  if (override) return resolve(override);
  const m = /^sqlite:\/\/(.+)$/.exec(config.storeUrl);
  const dir = m?.[1] ? dirname(resolve(m[1])) : resolve('.data');
  return resolve(dir, 'demo-tenant.json');
}

/**
 * The bot's view of the Graph connection: "connected" means a fresh token whose `roles` claim holds every required
 * permission; the admin consent link; where a confirmed grant is recorded.
 */
export function engineConnection(engine: Engine) {
  const settings = engine.entraSettings;
  const kv = engine.stores.kv<{ tenantId: string; at: string }>('connection');
  return {
    tenantId: settings.tenantId ?? null,
    async status(): Promise<{ connected: true } | { connected: false; reason: string; missing?: readonly string[] }> {
      // check() acquires a fresh token (msal's cache skipped, then refreshed): the roles are read from it.
      const check = await engine.entra.credential.check();
      if (!check.ok) return { connected: false, reason: check.message };
      const missing = missingPermissions(rolesOfToken(await engine.entra.credential.getToken()));
      if (missing.length === 0) return { connected: true };
      return { connected: false, reason: `admin consent is missing for ${missing.join(', ')}`, missing };
    },
    consentUrl: (state: string, redirectUri: string) =>
      adminConsentUrl({
        authorityHost: settings.authorityHost,
        tenantId: settings.tenantId ?? 'organizations',
        clientId: settings.clientId ?? '',
        redirectUri,
        state,
      }),
    /** The saved connection `connect` shows (tenant, app, endpoints); never a secret. */
    saved: {
      tenantId: settings.tenantId ?? null,
      clientId: settings.clientId ?? null,
      authorityHost: settings.authorityHost,
      graphBaseUrl: settings.graphBaseUrl,
    },
    async onConsentGranted(tenantId: string) {
      await kv.set('consent', { tenantId, at: new Date().toISOString() });
    },
  };
}

export async function createEngine(config: Config, logger: Logger, options: EngineOptions = {}): Promise<Engine> {
  let emulator: Engine['emulator'] = null;
  let entraSettings: Config['entra'] = config.entra;
  let caPem: string | undefined = config.entra.caFile ? readFileSync(config.entra.caFile, 'utf8') : undefined;

  if (options.entra) {
    entraSettings = options.entra.settings;
    caPem = options.entra.caPem ?? undefined;
  } else if (config.demo) {
    const { startEmulator, DEFAULT_REPLICATION_DELAY_MS } = await import('./emulator/index.js');
    const stateFile = demoStatePath(config, options.demoStateFile);
    mkdirSync(dirname(stateFile), { recursive: true });
    // The demo bot's consent callback (bot/consent.ts) is the own app's registered redirect URI.
    const running = await startEmulator({
      seed: 'demo',
      stateFile,
      replicationDelayMs: options.demoReplicationDelayMs ?? DEFAULT_REPLICATION_DELAY_MS,
      redirectUris: [`${config.publicBaseUrl}/api/consent/callback`],
    });
    emulator = running;
    caPem = running.caPem ?? undefined;
    entraSettings = {
      ...config.entra,
      tenantId: running.tenantId,
      clientId: running.clientId,
      clientSecret: running.clientSecret,
      authorityHost: running.authorityHost,
      graphBaseUrl: running.graphBaseUrl,
    };
    logger.info({ graphBaseUrl: running.graphBaseUrl, stateFile }, 'demo: local Entra ID emulator started');
  }

  const stores = await openStore(config.storeUrl, { logger });
  const directory = new EmbeddedDirectory(stores.kv('directory'));
  // The demo's seeding is done once, by the engine that started the emulator.
  const seedDemo = config.demo && !options.entra;
  if (seedDemo && (await directory.count('contoso.co.jp')) === 0) {
    const { demoPeople } = await import('./emulator/index.js');
    await directory.replaceDomain('contoso.co.jp', demoDirectory(demoPeople()));
    logger.info('demo: Access Control directory seeded for contoso.co.jp');
  }
  if (seedDemo && (await directory.count('fabrikam.jp')) === 0) {
    // The second domain, small and with few differences, so that setting it up and syncing it by buttons passes
    // its default max allowed deletions (one leaver of 18 is under 10%).
    const { demoSecondPeople } = await import('./emulator/index.js');
    await directory.replaceDomain(
      'fabrikam.jp',
      demoDirectory(demoSecondPeople(), { leavers: 1, renames: 2, moves: 1, newHires: 2 }),
    );
    logger.info('demo: Access Control directory seeded for fabrikam.jp');
  }
  const graphTimeoutMs = config.graphTimeoutSeconds * 1000;
  const entra = createEntraConnector({ ...entraSettings, ...(caPem ? { caPem } : {}) }, logger, {
    readTimeoutMs: graphTimeoutMs,
    writer: { requestTimeoutMs: graphTimeoutMs },
    ...(options.observer ? { observer: options.observer } : {}),
  });
  // The embedded directory (CSV imports) is the default source; a SCIM endpoint of Access Control replaces it.
  const source = config.accessControlScim
    ? new ScimDirectory({
        baseUrl: config.accessControlScim.url,
        token: config.accessControlScim.token,
        // Each SCIM user keeps the first Immutable ID it was given, whatever later changes its record.
        identities: new KeyvIdentityMemory(stores.kv('scim-identities')),
        timeoutMs: config.scimTimeoutSeconds * 1000,
      })
    : directory;
  const service = createSyncService({
    ...servicePortsOf(entra, stores),
    source,
    importer: (bytes, opts) => importDirectory(directory, bytes, opts),
    logger,
    holder: options.holder ?? `${hostname()}:${process.pid}`,
    leaseTtlMs: options.leaseTtlMs ?? config.syncLeaseTtlSeconds * 1000,
    ...(options.observer ? { observer: options.observer } : {}),
    ...(options.shutdown ? { shutdown: options.shutdown } : {}),
  });
  if (seedDemo && !(await stores.settings.get('contoso.co.jp'))) {
    // The demo starts with its synced domain configured, so `preview contoso.co.jp` works at once.
    await service.addDomain('contoso.co.jp', { maxDeletionPercent: 10 }, 'demo');
  }
  return {
    config,
    stores,
    directory,
    entra,
    entraSettings,
    entraCaPem: caPem ?? null,
    service,
    emulator,
    async close() {
      await entra.close();
      await stores.close();
      await emulator?.close();
    },
  };
}
