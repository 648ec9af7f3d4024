// SQLite backend: keyv values through @keyv/sqlite and a `leases` table updated atomically through sqlite3 directly.
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import KeyvSqlite from '@keyv/sqlite';
import Keyv from 'keyv';
import sqlite3 from 'sqlite3';
import { type Backend, type LockAnswer, type LockTable, keyvOptions } from './backend.js';

export interface SqliteBackendOptions {
  /** How long a statement waits for another process's write lock. */
  readonly busyTimeoutMs?: number;
}

interface Db {
  run(sql: string, params: unknown[]): Promise<number>;
  get<T>(sql: string, params: unknown[]): Promise<T | undefined>;
  close(): Promise<void>;
}

function openDb(path: string, busyTimeoutMs: number): Promise<Db> {
  return new Promise((resolveDb, reject) => {
    const db = new sqlite3.Database(path, (err) => {
      if (err) return reject(err);
      db.configure('busyTimeout', busyTimeoutMs);
      resolveDb({
        run: (sql, params) =>
          new Promise((ok, fail) => {
            db.run(sql, params, function (this: sqlite3.RunResult, e: Error | null) {
              if (e) fail(e);
              else ok(this.changes);
            });
          }),
        get: <T>(sql: string, params: unknown[]) =>
          new Promise<T | undefined>((ok, fail) => {
            db.get<T>(sql, params, (e, row) => (e ? fail(e) : ok(row)));
          }),
        close: () => new Promise<void>((ok, fail) => db.close((e) => (e ? fail(e) : ok()))),
      });
    });
  });
}

/** Path of a `sqlite://PATH` URL (`sqlite:///abs/path` or `sqlite://relative/path`). */
export function sqlitePath(url: string): string {
  const path = url.replace(/^sqlite:\/\//, '');
  if (!path) throw new Error('STORE_URL sqlite:// needs a file path, e.g. sqlite://.data/state.sqlite');
  return path === ':memory:' ? path : resolve(path);
}

export async function openSqliteBackend(url: string, options: SqliteBackendOptions = {}): Promise<Backend> {
  const busyTimeoutMs = options.busyTimeoutMs ?? 15_000;
  const path = sqlitePath(url);
  if (path !== ':memory:') await mkdir(dirname(path), { recursive: true });
  const db = await openDb(path, busyTimeoutMs);
  // WAL lets readers run beside the writer; the setting is stored in the file.
  await db.get('PRAGMA journal_mode=WAL', []);
  await db.run('PRAGMA synchronous=NORMAL', []);
  await db.run(
    'CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER)',
    [],
  );

  const locks: LockTable = {
    async tryAcquire(name, value, ttlMs, reentrant): Promise<LockAnswer> {
      const now = Date.now();
      const expires = ttlMs === null ? null : now + ttlMs;
      const changes = await db.run(
        `INSERT INTO leases (name, value, expires_at) VALUES (?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
         WHERE (leases.expires_at IS NOT NULL AND leases.expires_at < ?) OR (? = 1 AND leases.value = excluded.value)`,
        [name, value, expires, now, reentrant ? 1 : 0],
      );
      if (changes > 0) return { ok: true };
      const row = await db.get<{ value: string; expires_at: number | null }>(
        'SELECT value, expires_at FROM leases WHERE name = ?',
        [name],
      );
      // The holder may have released between the two statements: try once more.
      if (!row) return locks.tryAcquire(name, value, ttlMs, reentrant);
      const left = row.expires_at === null ? null : Math.max(0, Number(row.expires_at) - Date.now());
      return { ok: false, current: row.value, ttlMs: left };
    },
    async renew(name, value, ttlMs) {
      const now = Date.now();
      const changes = await db.run(
        'UPDATE leases SET expires_at = ? WHERE name = ? AND value = ? AND (expires_at IS NULL OR expires_at >= ?)',
        [now + ttlMs, name, value, now],
      );
      return changes > 0;
    },
    async release(name, value) {
      await db.run('DELETE FROM leases WHERE name = ? AND value = ?', [name, value]);
    },
  };

  const stores: KeyvSqlite[] = [];
  return {
    kind: 'sqlite',
    locks,
    keyv<T>(namespace: string) {
      const store = new KeyvSqlite({ uri: `sqlite://${path}`, busyTimeout: busyTimeoutMs });
      // In WAL mode, NORMAL syncs at checkpoints only: safe against a killed process (what the journal is for),
      // and journal appends no longer wait for an fsync each.
      store.query('PRAGMA synchronous=NORMAL').catch(() => undefined);
      stores.push(store);
      return new Keyv<T>({ store, ...keyvOptions(namespace) });
    },
    async close() {
      await Promise.allSettled(stores.map((s) => s.disconnect()));
      await db.close();
    },
  };
}
