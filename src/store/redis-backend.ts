// Redis backend: keyv values through @keyv/redis on one shared client, locks as keys set by Lua scripts.
import KeyvRedis, { createClient } from '@keyv/redis';
import Keyv from 'keyv';
import { type Backend, type LockTable, keyvOptions } from './backend.js';

const LOCK_PREFIX = 'entra-sync:lock:';

// KEYS[1] cell; ARGV[1] value; ARGV[2] ttl ms ('' = none); ARGV[3] '1' = reentrant. Returns {1} or {0, current}.
const ACQUIRE = `
local cur = redis.call('GET', KEYS[1])
if cur == false or (ARGV[3] == '1' and cur == ARGV[1]) then
  if ARGV[2] == '' then redis.call('SET', KEYS[1], ARGV[1]) else redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
  return {1}
end
return {0, cur, redis.call('PTTL', KEYS[1])}`;
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export async function openRedisBackend(url: string): Promise<Backend> {
  const client = createClient({ url });
  client.on('error', () => {
    // Connection errors surface on the commands that fail; the client reconnects by itself.
  });
  await client.connect();

  const locks: LockTable = {
    async tryAcquire(name, value, ttlMs, reentrant) {
      const reply = (await client.eval(ACQUIRE, {
        keys: [LOCK_PREFIX + name],
        arguments: [value, ttlMs === null ? '' : String(Math.max(1, Math.ceil(ttlMs))), reentrant ? '1' : '0'],
      })) as [number, string?, number?];
      if (reply[0] === 1) return { ok: true };
      // PTTL answers -1 for a cell without expiry (the script read it, so it exists).
      const ttl = Number(reply[2]);
      return { ok: false, current: String(reply[1]), ttlMs: ttl < 0 ? null : ttl };
    },
    async renew(name, value, ttlMs) {
      const reply = await client.eval(RENEW, {
        keys: [LOCK_PREFIX + name],
        arguments: [value, String(Math.max(1, Math.ceil(ttlMs)))],
      });
      return Number(reply) === 1;
    },
    async release(name, value) {
      await client.eval(RELEASE, { keys: [LOCK_PREFIX + name], arguments: [value] });
    },
  };

  return {
    kind: 'redis',
    locks,
    keyv<T>(namespace: string) {
      // Keys look like `entra-sync:NAMESPACE::KEY`; the adapter adds the prefix, so keyv must not.
      const prefixed = `entra-sync:${namespace}`;
      const store = new KeyvRedis<T>(client, { namespace: prefixed, throwOnErrors: true });
      return new Keyv<T>({ store, ...keyvOptions(prefixed), useKeyPrefix: false });
    },
    async close() {
      if (client.isOpen) await client.close();
    },
  };
}
