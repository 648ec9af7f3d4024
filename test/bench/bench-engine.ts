// The product's engine (createEngine from src/compose.ts) pointed at a bench emulator, with its source directory filled.
import { createEngine, type Engine } from '../../src/compose.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import type { SourceUser } from '../../src/sync/model.js';
import { isRefusal } from '../../src/sync/service-interface.js';
import type { EmulatorInfo } from './emulator-process.js';

export interface BenchEngineOptions {
  /** Defaults to an in-memory store (nothing written to disk). */
  readonly storeUrl?: string;
  readonly logLevel?: 'error' | 'warn' | 'info' | 'debug';
  /** Extra environment for the product's config (e.g. bot settings). */
  readonly env?: Record<string, string>;
}

/** The environment a real deployment would set to point the product at this tenant (env/.env.example). */
export function productEnv(info: EmulatorInfo, options: BenchEngineOptions = {}): Record<string, string> {
  return {
    DEMO: 'false',
    ENTRA_TENANT_ID: info.tenantId,
    ENTRA_CLIENT_ID: info.clientId,
    ENTRA_CLIENT_SECRET: info.clientSecret,
    ENTRA_AUTHORITY_HOST: info.authorityHost,
    GRAPH_BASE_URL: info.graphBaseUrl,
    ...(info.caFile ? { ENTRA_CA_FILE: info.caFile } : {}),
    STORE_URL: options.storeUrl ?? 'memory://',
    BOT_LOCAL_MODE: 'true',
    LOG_LEVEL: options.logLevel ?? 'warn',
    ...(options.env ?? {}),
  };
}

export async function createBenchEngine(info: EmulatorInfo, options: BenchEngineOptions = {}): Promise<Engine> {
  const config = loadConfig(productEnv(info, options));
  const logger = createLogger(config.logLevel);
  return createEngine(config, logger);
}

/** Fills the domain's Access Control users and sets the domain up for sync (max deletions as given). */
export async function prepareDomain(
  engine: Engine,
  domain: string,
  users: readonly SourceUser[],
  maxDeletionPercent = 10,
): Promise<void> {
  await engine.directory.replaceDomain(domain, [...users]);
  const existing = await engine.service.getSettings(domain);
  const answer = existing?.synced
    ? await engine.service.setDomain(domain, { maxDeletionPercent }, 'bench')
    : await engine.service.addDomain(domain, { maxDeletionPercent }, 'bench');
  if (isRefusal(answer)) throw new Error(`could not set up ${domain}: ${answer.reason}`);
}
