// Public API of the local Entra ID emulator: start one in-process, reset it, close it; the demo tenant seed.
import type { AddressInfo } from 'node:net';
import { EmulatorCore } from './emulator-core.js';
import type { LatencySetting } from './latency.js';
import { demoTenantSeed } from './seed-demo.js';
import type { EmulatorSeed, TenantSize } from './seed.js';
import { createEmulatorServer } from './server.js';
import { readState, writeState } from './state-file.js';
import type { ThrottleLimits } from './throttle.js';
import { createTlsMaterial } from './tls.js';

export type {
  EmulatorSeed,
  SeedApp,
  SeedAppCertificate,
  SeedDirectoryRole,
  SeedDomain,
  SeedUser,
  TenantSize,
} from './seed.js';
export { parseSeed, SeedError } from './seed.js';
export { demoPeople, type DemoPerson, demoSecondPeople, demoTenantSeed } from './seed-demo.js';
export type { ThrottleLimits } from './throttle.js';
export { certificateThumbprintSha256 } from './tokens.js';

/**
 * The replication delay `entra-sync emulator` and the demo start with: Graph's listings and advanced queries are
 * eventually consistent (https://learn.microsoft.com/en-us/graph/aad-advanced-queries), typically by about a second.
 */
export const DEFAULT_REPLICATION_DELAY_MS = 1000;

export interface EmulatorOptions {
  /** 0 = a free port (default 0). */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Plain HTTP instead of HTTPS (default false). */
  http?: boolean;
  /** Default 'demo'. */
  seed?: 'demo' | 'empty' | EmulatorSeed;
  /** Persist state as JSON (loaded at start when the file exists). */
  stateFile?: string;
  /** 1 = real time; 10 = budgets refill 10x faster. */
  timeScale?: number;
  latency?: LatencySetting;
  /** How long listings and advanced queries lag behind writes (default 0 here; the CLI and the demo use 1 s). */
  replicationDelayMs?: number;
  /** RU budget 3,500 / 5,000 / 8,000 per 10 s (when the seed does not say). */
  tenantSize?: TenantSize;
  /** Default true. */
  throttling?: boolean;
  /** Overrides of the documented budgets (default: by tenantSize; 3,000 writes/150 s; 18,000 writes/300 s). */
  throttleLimits?: ThrottleLimits;
  /** Own app pre-consented (default true). */
  consent?: boolean;
  /** Redirect URIs registered on the own app (admin consent redirects only to one of them, exactly). */
  redirectUris?: string[];
  /** Receives operational messages (never secrets); default: silent. */
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface RunningEmulator {
  graphBaseUrl: string;
  authorityHost: string;
  caFile: string | null;
  caPem: string | null;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** Same as graphBaseUrl. */
  url: string;
  /** Same as POST /_emulator/reset. */
  reset(seed: EmulatorSeed): Promise<void>;
  close(): Promise<void>;
}

/** A tenant with only its initial domain and no users. */
export function emptyTenantSeed(): EmulatorSeed {
  return {
    displayName: 'Empty tenant',
    domains: [
      {
        id: 'emulator.onmicrosoft.com',
        authenticationType: 'Managed',
        isVerified: true,
        isDefault: true,
        isInitial: true,
      },
    ],
    users: [],
  };
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const log = options.log ?? (() => {});
  const persisted = options.stateFile ? await readState(options.stateFile) : null;
  let saveTimer: NodeJS.Timeout | null = null;
  let saving: Promise<void> = Promise.resolve();
  const save = () => {
    if (!options.stateFile) return Promise.resolve();
    const own = core.apps.own();
    saving = saving.then(() =>
      writeState(options.stateFile!, {
        version: 1,
        seed: { ...core.tenant.toSeed(), apps: core.apps.seedApps() },
        ownApp: {
          clientId: own.clientId,
          clientSecret: own.clientSecret ?? '',
          consented: core.apps.isConsented(own.clientId),
          redirectUris: own.redirectUris,
        },
      }).catch((err: unknown) => log('could not write the state file', { err: String(err) })),
    );
    return saving;
  };
  const scheduleSave = () => {
    if (!options.stateFile || saveTimer) return;
    saveTimer = setTimeout(() => {
      saveTimer = null;
      void save();
    }, 200);
  };
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0)) throw new Error(`timeScale must be > 0 (got ${timeScale})`);
  const core = await EmulatorCore.create({
    timeScale,
    latency: options.latency ?? 'none',
    replicationDelayMs: options.replicationDelayMs ?? 0,
    tenantSize: options.tenantSize ?? 'small',
    throttling: options.throttling ?? true,
    ...(options.throttleLimits ? { throttleLimits: options.throttleLimits } : {}),
    consent: persisted ? persisted.ownApp.consented : (options.consent ?? true),
    ...(persisted
      ? { ownApp: { ...persisted.ownApp, redirectUris: options.redirectUris ?? persisted.ownApp.redirectUris ?? [] } }
      : { ownApp: { redirectUris: options.redirectUris ?? [] } }),
    onWrite: scheduleSave,
  });
  const seedOption = options.seed ?? 'demo';
  core.reset(
    persisted
      ? persisted.seed
      : seedOption === 'demo'
        ? demoTenantSeed()
        : seedOption === 'empty'
          ? emptyTenantSeed()
          : seedOption,
  );
  const tls = options.http ? null : await createTlsMaterial();
  const srv = createEmulatorServer(core, { tls, onChange: scheduleSave, log });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    srv.server.once('error', reject);
    srv.server.listen(options.port ?? 0, host, () => {
      srv.server.off('error', reject);
      resolve();
    });
  });
  const port = (srv.server.address() as AddressInfo).port;
  const hostInUrl = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  const base = `${tls ? 'https' : 'http'}://${hostInUrl}:${port}`;
  core.baseUrl = base;
  if (options.stateFile && !persisted) await save();
  const own = core.apps.own();
  log('emulator listening', { url: base, tenantId: core.tenant.tenantId, users: core.tenant.users.size });
  return {
    graphBaseUrl: base,
    authorityHost: base,
    caFile: tls?.caFile ?? null,
    caPem: tls?.caPem ?? null,
    get tenantId() {
      return core.tenant.tenantId;
    },
    clientId: own.clientId,
    clientSecret: own.clientSecret ?? '',
    url: base,
    async reset(seed: EmulatorSeed) {
      core.reset(seed);
      scheduleSave();
    },
    async close() {
      if (saveTimer) {
        clearTimeout(saveTimer);
        saveTimer = null;
      }
      await save();
      await srv.close();
    },
  };
}
