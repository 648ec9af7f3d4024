// RunLogRepository.lastRuns on each backend we can run here: the newest run of every domain asked for, in one call,
// the same record as list({ domain, limit: 1 }), outcomes left out, pruned runs gone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Stores } from '../../src/store/index.js';
import { redisForSuite, redisServerAvailable } from './redis-server.js';
import { run } from './samples.js';

const dir = mkdtempSync(join(tmpdir(), 'last-runs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function lastRunsContract(name: string, makeUrl: () => string) {
  describe(`lastRuns: ${name}`, () => {
    let stores: Stores;
    beforeAll(async () => {
      stores = await openStore(makeUrl());
    });
    afterAll(async () => {
      await stores?.close();
    });

    it('gives each domain its newest run, skips domains without runs, and forgets pruned ones', async () => {
      expect(await stores.runs.lastRuns([])).toEqual(new Map());
      // Put out of order, over several days, a later put of the same run changing its status.
      await stores.runs.put(run('c-2', 'contoso.co.jp', '2026-03-02T05:00:00.000Z'));
      await stores.runs.put(run('c-3', 'contoso.co.jp', '2026-03-03T01:00:00.000Z'));
      await stores.runs.put(run('c-4', 'contoso.co.jp', '2026-03-03T07:00:00.000Z'));
      await stores.runs.put(run('c-1', 'contoso.co.jp', '2026-03-01T09:00:00.000Z'));
      await stores.runs.put(run('f-1', 'fabrikam.com', '2026-02-27T23:00:00.000Z'));
      await stores.runs.put({ ...run('c-4', 'contoso.co.jp', '2026-03-03T07:00:00.000Z'), status: 'partial' });

      const last = await stores.runs.lastRuns(['Contoso.co.jp', 'fabrikam.com', 'nothing.example', 'contoso.co.jp']);
      expect([...last.keys()].sort()).toEqual(['contoso.co.jp', 'fabrikam.com']);
      expect(last.get('contoso.co.jp')).toMatchObject({ id: 'c-4', status: 'partial', outcomes: [] });
      expect(last.get('fabrikam.com')).toMatchObject({ id: 'f-1', outcomes: [] });
      for (const domain of ['contoso.co.jp', 'fabrikam.com']) {
        const [viaList] = await stores.runs.list({ domain, limit: 1, outcomes: false });
        expect(last.get(domain)).toEqual(viaList);
      }

      expect(await stores.runs.prune(new Date('2026-03-01T00:00:00.000Z'))).toBe(1);
      expect([...(await stores.runs.lastRuns(['fabrikam.com', 'contoso.co.jp'])).keys()]).toEqual(['contoso.co.jp']);
    });
  });
}

lastRunsContract('memory', () => 'memory://');
lastRunsContract('sqlite', () => `sqlite://${join(dir, 'state.sqlite')}`);

if (redisServerAvailable()) {
  lastRunsContract('redis', redisForSuite());
} else {
  describe('lastRuns: redis', () => {
    it.skip('redis-server is not installed: the Redis backend was not tested', () => {});
  });
}
