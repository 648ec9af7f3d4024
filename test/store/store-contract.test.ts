// The same behaviour checks against every backend we can run here: memory, sqlite (temp file) and a real Redis.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { redisForSuite, redisServerAvailable } from './redis-server.js';
import { storeContract } from './contract.js';
import { settings } from './samples.js';

const dir = mkdtempSync(join(tmpdir(), 'store-contract-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

storeContract('memory', () => 'memory://');
storeContract('sqlite', () => `sqlite://${join(dir, 'nested', 'state.sqlite')}`);

describe('sqlite persistence', () => {
  it('creates the folder and keeps values across a reopen', async () => {
    const url = `sqlite://${join(dir, 'again', 'deep', 'state.sqlite')}`;
    const a = await openStore(url);
    await a.settings.put(settings('persist.example'));
    await a.kv('directory').set('x', [1, 2, 3]);
    await a.close();
    const b = await openStore(url);
    expect((await b.settings.get('persist.example'))?.domain).toBe('persist.example');
    expect(await b.kv('directory').get('x')).toEqual([1, 2, 3]);
    await b.close();
  });

  it('rejects an unknown URL scheme with a clear message', async () => {
    await expect(openStore('mysql://x')).rejects.toThrow(/STORE_URL must start with/);
  });
});

const hasRedis = redisServerAvailable();
if (!hasRedis) {
  describe('store contract: redis', () => {
    it.skip('redis-server is not installed: the Redis backend was not tested', () => {});
  });
} else {
  storeContract('redis', redisForSuite());
}
