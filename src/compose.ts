// Builds the engine from config (store, Access Control directory, Entra connector, sync service); shared by the bot server and the CLI.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { Config } from './config.js';
import { demoDirectory } from './directory/demo-directory.js';
import { EmbeddedDirectory } from './directory/embedded-directory.js';
import { importDirectory } from './directory/import.js';
import { ScimDirectory } from './directory/scim-directory.js';
import { createEntraConnector, type EntraConnector } from './entra/index.js';
import type { Logger } from './logger.js';
import { openStore, type Stores } from './store/index.js';
import type { SyncService } from './sync/service.js';
import { createSyncService } from './sync/sync-service.js';

export interface Engine {
  readonly config: Config;
  readonly stores: Stores;
  readonly directory: EmbeddedDirectory;
  readonly entra: EntraConnector;
  /** The Entra settings in force (in the demo: the in-process emulator's). */
  readonly entraSettings: Config['entra'];
  readonly service: SyncService;
  /** The in-process emulator when running the demo (null against a real tenant). */
  readonly emulator: { graphBaseUrl: string; tenantId: string; close(): Promise<void> } | null;
  close(): Promise<void>;
}

export interface EngineOptions {
  /** Where the demo tenant's state is kept between runs (DEMO=true). */
  readonly demoStateFile?: string;
  readonly leaseTtlMs?: number;
}

/** A strong initial password for a created user: never logged, never shown; federated users never use it. */
export function randomPassword(): string {
  const body = randomBytes(24).toString('base64url');
  return `Aa1!${body}`;
}

/** Derives the demo state file from the store URL so CLI and bot share one demo tenant. */
function demoStatePath(config: Config, override?: string): string {
  if (override) return resolve(override);
  const m = /^sqlite:\/\/(.+)$/.exec(config.storeUrl);
  const dir = m?.[1] ? dirname(resolve(m[1])) : resolve('.data');
  return resolve(dir, 'demo-tenant.json');
}

export async function createEngine(config: Config, logger: Logger, options: EngineOptions = {}): Promise<Engine> {
  let emulator: Engine['emulator'] = null;
  let entraSettings: Config['entra'] = config.entra;
  let caPem: string | undefined = config.entra.caFile ? readFileSync(config.entra.caFile, 'utf8') : undefined;

  if (config.demo) {
    const { startEmulator } = await import('./emulator/index.js');
    const stateFile = demoStatePath(config, options.demoStateFile);
    mkdirSync(dirname(stateFile), { recursive: true });
    const running = await startEmulator({ seed: 'demo', stateFile });
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
  if (config.demo && (await directory.count('contoso.co.jp')) === 0) {
    const { demoPeople } = await import('./emulator/index.js');
    await directory.replaceDomain('contoso.co.jp', demoDirectory(demoPeople()));
    logger.info('demo: Access Control directory seeded for contoso.co.jp');
  }
  if (config.demo && (await directory.count('fabrikam.jp')) === 0) {
    // The second domain, small and with few differences, so that setting it up and syncing it by buttons passes
    // its default max allowed deletions (one leaver of 18 is under 10%).
    const { demoSecondPeople } = await import('./emulator/index.js');
    await directory.replaceDomain(
      'fabrikam.jp',
      demoDirectory(demoSecondPeople(), { leavers: 1, renames: 2, moves: 1, newHires: 2 }),
    );
    logger.info('demo: Access Control directory seeded for fabrikam.jp');
  }
  const entra = createEntraConnector({ ...entraSettings, ...(caPem ? { caPem } : {}) }, logger);
  // The embedded directory (CSV imports) is the default source; a SCIM endpoint of Access Control replaces it.
  const source = config.accessControlScim
    ? new ScimDirectory({ baseUrl: config.accessControlScim.url, token: config.accessControlScim.token })
    : directory;
  const service = createSyncService({
    source,
    reader: entra.reader,
    writer: entra.writer,
    settings: stores.settings,
    plans: stores.plans,
    runs: stores.runs,
    journal: stores.journal,
    leases: stores.leases,
    importer: (bytes, opts) => importDirectory(directory, bytes, opts),
    logger,
    now: () => new Date(),
    newId: () => randomUUID(),
    passwordFor: () => randomPassword(),
    holder: `${hostname()}:${process.pid}`,
    leaseTtlMs: options.leaseTtlMs ?? config.syncLeaseTtlSeconds * 1000,
  });
  if (config.demo && !(await stores.settings.get('contoso.co.jp'))) {
    // The demo starts with its synced domain configured, so `preview contoso.co.jp` works at once.
    await service.addDomain('contoso.co.jp', { maxDeletionPercent: 10 }, 'demo');
  }
  return {
    config,
    stores,
    directory,
    entra,
    entraSettings,
    service,
    emulator,
    async close() {
      await entra.close();
      await stores.close();
      await emulator?.close();
    },
  };
}
