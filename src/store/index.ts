// The state store: openStore(url) picks a backend (sqlite, memory, redis, postgres) and builds the repositories on it.
import type Keyv from 'keyv';
import type { Logger } from '../logger.js';
import type {
  DomainSettingsRepository,
  JournalRepository,
  LeaseManager,
  PlanRepository,
  RunLogRepository,
} from '../sync/ports.js';
import type { Backend } from './backend.js';
import { type ConversationRepository, KeyvConversationRepository } from './conversation-repository.js';
import { KeyvJournalRepository } from './journal-repository.js';
import { StoreLeaseManager } from './lease-manager.js';
import { openMemoryBackend } from './memory-backend.js';
import { KeyvPlanRepository } from './plan-repository.js';
import { KeyvRunLogRepository } from './run-log-repository.js';
import { KeyvDomainSettingsRepository } from './settings-repository.js';

export type { ConversationRepository } from './conversation-repository.js';

export interface Stores {
  readonly kind: Backend['kind'];
  readonly settings: DomainSettingsRepository;
  readonly plans: PlanRepository;
  readonly runs: RunLogRepository;
  readonly journal: JournalRepository;
  readonly leases: LeaseManager;
  readonly conversations: ConversationRepository;
  /** A keyv instance for another part's own state (bot state, directory users, signed-link nonces…). Same instance per namespace. */
  kv<T = unknown>(namespace: string): Keyv<T>;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  readonly logger?: Logger;
  /** Changes per stored plan chunk / outcomes per run-log page. */
  readonly chunkSize?: number;
}

/** Namespaces the store keeps for itself. */
const RESERVED = /^sys-/;
const NAMESPACE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Opens `sqlite://PATH` (folder created), `memory://`, `redis://…`/`rediss://…` or `postgres://…`/`postgresql://…`. */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Stores> {
  const scheme = url.split(':')[0]?.toLowerCase();
  let backend: Backend;
  // Backends load on demand: a sqlite user never loads the Redis or PostgreSQL clients.
  switch (scheme) {
    case 'sqlite':
      backend = await (await import('./sqlite-backend.js')).openSqliteBackend(url);
      break;
    case 'memory':
      backend = openMemoryBackend();
      break;
    case 'redis':
    case 'rediss':
      backend = await (await import('./redis-backend.js')).openRedisBackend(url);
      break;
    case 'postgres':
    case 'postgresql':
      backend = await (await import('./postgres-backend.js')).openPostgresBackend(url);
      break;
    default:
      throw new Error(`STORE_URL must start with sqlite://, memory://, redis:// or postgres:// (got ${scheme}:…)`);
  }
  options.logger?.debug({ backend: backend.kind }, 'store opened');

  const instances = new Map<string, Keyv<unknown>>();
  const namespaced = (namespace: string): Keyv<unknown> => {
    let kv = instances.get(namespace);
    if (!kv) {
      kv = backend.keyv<unknown>(namespace);
      kv.on('error', (err: unknown) =>
        options.logger?.warn({ namespace, err: err instanceof Error ? err.message : String(err) }, 'store error'),
      );
      instances.set(namespace, kv);
    }
    return kv;
  };
  const chunkSize = options.chunkSize;
  let closed = false;

  return {
    kind: backend.kind,
    settings: new KeyvDomainSettingsRepository(namespaced('sys-settings'), backend.locks),
    plans: new KeyvPlanRepository(namespaced('sys-plans'), backend.locks, { chunkSize }),
    runs: new KeyvRunLogRepository(namespaced('sys-runs'), backend.locks, { chunkSize }),
    journal: new KeyvJournalRepository(namespaced('sys-journal'), backend.locks),
    leases: new StoreLeaseManager(backend.locks),
    conversations: new KeyvConversationRepository(namespaced('sys-conversations')),
    kv<T = unknown>(namespace: string): Keyv<T> {
      if (!NAMESPACE.test(namespace) || RESERVED.test(namespace))
        throw new Error(`store: bad namespace "${namespace}" (letters, digits, . _ -; "sys-" is reserved)`);
      return namespaced(namespace) as Keyv<T>;
    },
    async close() {
      if (closed) return;
      closed = true;
      await backend.close();
    },
  };
}
