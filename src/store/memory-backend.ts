// In-process backend (`memory://`): keyv over Maps and a lock table in a Map; nothing survives the process.
import Keyv from 'keyv';
import { type Backend, type LockTable, keyvOptions } from './backend.js';

export function openMemoryBackend(): Backend {
  const cells = new Map<string, { value: string; expiresAt: number | null }>();
  const live = (name: string) => {
    const cell = cells.get(name);
    if (cell && cell.expiresAt !== null && cell.expiresAt < Date.now()) {
      cells.delete(name);
      return undefined;
    }
    return cell;
  };
  const locks: LockTable = {
    async tryAcquire(name, value, ttlMs, reentrant) {
      const cell = live(name);
      if (cell && !(reentrant && cell.value === value))
        return {
          ok: false,
          current: cell.value,
          ttlMs: cell.expiresAt === null ? null : Math.max(0, cell.expiresAt - Date.now()),
        };
      cells.set(name, { value, expiresAt: ttlMs === null ? null : Date.now() + ttlMs });
      return { ok: true };
    },
    async renew(name, value, ttlMs) {
      const cell = live(name);
      if (!cell || cell.value !== value) return false;
      cell.expiresAt = Date.now() + ttlMs;
      return true;
    },
    async release(name, value) {
      if (live(name)?.value === value) cells.delete(name);
    },
  };
  return {
    kind: 'memory',
    locks,
    keyv<T>(namespace: string) {
      return new Keyv<T>({ store: new Map(), ...keyvOptions(namespace) });
    },
    async close() {
      cells.clear();
    },
  };
}
