// The two things every store backend provides: namespaced keyv instances and an atomic lock table.
import type Keyv from 'keyv';

/** Answer of LockTable.tryAcquire: taken, or the value that holds the name and its time to live (null: none). */
export type LockAnswer =
  | { readonly ok: true }
  | { readonly ok: false; readonly current: string; readonly ttlMs: number | null };

/**
 * Named cells set atomically across processes (sqlite file, Redis, PostgreSQL) or within one (memory).
 * A cell is free when absent or expired; `value` identifies the owner and is compared on renew and release.
 */
export interface LockTable {
  /** Takes the cell when free (or already ours with `reentrant`); ttlMs null = never expires. */
  tryAcquire(name: string, value: string, ttlMs: number | null, reentrant: boolean): Promise<LockAnswer>;
  /** Extends our cell; false when it is no longer ours. */
  renew(name: string, value: string, ttlMs: number): Promise<boolean>;
  /** Frees our cell; leaves someone else's alone. */
  release(name: string, value: string): Promise<void>;
}

export interface Backend {
  readonly kind: 'sqlite' | 'redis' | 'postgres' | 'memory';
  /** A keyv instance whose keys live under `namespace` (JSON values, errors thrown, not swallowed). */
  keyv<T>(namespace: string): Keyv<T>;
  readonly locks: LockTable;
  close(): Promise<void>;
}

/** Keyv options shared by every backend: plain JSON (fast for big values) and errors that surface. */
export function keyvOptions(namespace: string) {
  return {
    namespace,
    serialize: (data: unknown) => JSON.stringify(data),
    deserialize: (data: string) => JSON.parse(data),
    throwOnErrors: true,
  };
}
