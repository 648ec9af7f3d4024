// PostgreSQL backend: keyv values through @keyv/postgres and a leases table updated with INSERT … ON CONFLICT … WHERE.
import KeyvPostgres from '@keyv/postgres';
import Keyv from 'keyv';
import { type Backend, type LockTable, keyvOptions } from './backend.js';

type Query = (sql: string, values?: unknown[]) => Promise<Record<string, unknown>[]>;

export async function openPostgresBackend(url: string): Promise<Backend> {
  const admin = new KeyvPostgres({ uri: url });
  const query = (admin as unknown as { query: Query }).query;
  await query(
    'CREATE TABLE IF NOT EXISTS entra_sync_leases (name TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at TIMESTAMPTZ)',
  );

  const locks: LockTable = {
    async tryAcquire(name, value, ttlMs, reentrant) {
      // The database clock decides expiry, so replicas with skewed clocks agree.
      const rows = await query(
        `INSERT INTO entra_sync_leases (name, value, expires_at)
         VALUES ($1, $2, CASE WHEN $3::bigint IS NULL THEN NULL ELSE now() + ($3::bigint * interval '1 millisecond') END)
         ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at
         WHERE (entra_sync_leases.expires_at IS NOT NULL AND entra_sync_leases.expires_at < now())
            OR ($4::boolean AND entra_sync_leases.value = EXCLUDED.value)
         RETURNING value`,
        [name, value, ttlMs === null ? null : Math.ceil(ttlMs), reentrant],
      );
      if (rows.length > 0) return { ok: true };
      const current = await query(
        `SELECT value, CASE WHEN expires_at IS NULL THEN NULL
           ELSE GREATEST(0, CEIL(EXTRACT(EPOCH FROM expires_at - now()) * 1000))::bigint END AS ttl_ms
         FROM entra_sync_leases WHERE name = $1`,
        [name],
      );
      if (current.length === 0) return locks.tryAcquire(name, value, ttlMs, reentrant);
      const ttl = current[0]!.ttl_ms;
      return { ok: false, current: String(current[0]!.value), ttlMs: ttl === null ? null : Number(ttl) };
    },
    async renew(name, value, ttlMs) {
      const rows = await query(
        `UPDATE entra_sync_leases SET expires_at = now() + ($3::bigint * interval '1 millisecond')
         WHERE name = $1 AND value = $2 AND (expires_at IS NULL OR expires_at >= now()) RETURNING name`,
        [name, value, Math.ceil(ttlMs)],
      );
      return rows.length > 0;
    },
    async release(name, value) {
      await query('DELETE FROM entra_sync_leases WHERE name = $1 AND value = $2', [name, value]);
    },
  };

  return {
    kind: 'postgres',
    locks,
    keyv<T>(namespace: string) {
      return new Keyv<T>({ store: new KeyvPostgres({ uri: url }), ...keyvOptions(namespace) });
    },
    async close() {
      // @keyv/postgres shares one pool per URI; ending it through any adapter ends it for all.
      await admin.disconnect();
    },
  };
}
