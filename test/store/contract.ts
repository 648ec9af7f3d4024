// The store's behaviour contract, run against each backend by the store test files.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Stores } from '../../src/store/index.js';
import { plan, run, settings } from './samples.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function storeContract(name: string, makeUrl: () => string) {
  describe(`store contract: ${name}`, () => {
    let stores: Stores;
    beforeAll(async () => {
      stores = await openStore(makeUrl(), { chunkSize: 1000 });
    });
    afterAll(async () => {
      await stores?.close();
    });

    it('keeps domain settings, lists them sorted, removes them', async () => {
      await stores.settings.put(settings('Fabrikam.com', 20));
      await stores.settings.put(settings('contoso.co.jp'));
      await stores.settings.put(settings('contoso.co.jp', 30));
      expect((await stores.settings.get('FABRIKAM.COM'))?.maxDeletionPercent).toBe(20);
      expect((await stores.settings.list()).map((s) => [s.domain, s.maxDeletionPercent])).toEqual([
        ['contoso.co.jp', 30],
        ['fabrikam.com', 20],
      ]);
      await stores.settings.remove('fabrikam.com');
      expect(await stores.settings.get('fabrikam.com')).toBeNull();
      expect((await stores.settings.list()).map((s) => s.domain)).toEqual(['contoso.co.jp']);
    });

    it('stores a plan in chunks and gives back exactly what was put', async () => {
      const big = plan('plan-big', 2_500);
      await stores.plans.put(big);
      expect(await stores.plans.get('plan-big')).toEqual(big);
      const smaller = plan('plan-big', 700);
      await stores.plans.put(smaller);
      expect(await stores.plans.get('plan-big')).toEqual(smaller);
      const empty = plan('plan-empty', 0);
      await stores.plans.put(empty);
      expect(await stores.plans.get('plan-empty')).toEqual(empty);
      await stores.plans.discard('plan-big');
      expect(await stores.plans.get('plan-big')).toBeNull();
      expect(await stores.plans.summary('plan-big')).toBeNull();
      expect(await stores.plans.get('no-such-plan')).toBeNull();
    });

    it('reads a plan summary without its changes, and the changes chunk by chunk', async () => {
      const big = plan('plan-walk', 2_500);
      await stores.plans.put(big);
      const { changes, ...summary } = big;
      expect(await stores.plans.summary('plan-walk')).toEqual({ ...summary, changeCount: 2_500 });
      const sizes: number[] = [];
      const walked = [];
      for await (const part of stores.plans.changes('plan-walk')) {
        sizes.push(part.length);
        walked.push(...part);
      }
      expect(sizes).toEqual([1000, 1000, 500]);
      expect(walked).toEqual(changes);
      // A second walk reads the store again and gives the same.
      let again = 0;
      for await (const part of stores.plans.changes('plan-walk')) again += part.length;
      expect(again).toBe(2_500);
      const walkMissing = async () => {
        for await (const _ of stores.plans.changes('no-such-plan')) {
          /* nothing */
        }
      };
      await expect(walkMissing()).rejects.toThrow(/plan no-such-plan does not exist.*dry run again/);
    });

    it("keeps the CSV size its dry run counted in the plan's summary, never in the plan", async () => {
      const big = plan('plan-sized', 1_200);
      await stores.plans.put(big, { csvBytes: 123_456 });
      const { changes: _c, ...summary } = big;
      expect(await stores.plans.summary('plan-sized')).toEqual({ ...summary, changeCount: 1_200, csvBytes: 123_456 });
      expect(await stores.plans.get('plan-sized')).toEqual(big);
      // Stored again without it (an hourly run's plan under the same id): the summary no longer claims a size.
      await stores.plans.put(big);
      expect((await stores.plans.summary('plan-sized'))?.csvBytes).toBeUndefined();
    });

    it('claims a plan for exactly one run, even when twenty runs race', async () => {
      expect(await stores.plans.claim('p1', 'run-a')).toEqual({ claimed: true });
      expect(await stores.plans.claim('p1', 'run-b')).toEqual({ claimed: false, runId: 'run-a' });
      expect(await stores.plans.claim('p1', 'run-a')).toEqual({ claimed: true });
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => stores.plans.claim('p2', `run-${i}`)));
      const winners = answers.filter((a) => a.claimed);
      expect(winners).toHaveLength(1);
      const winner = `run-${answers.findIndex((a) => a.claimed)}`;
      for (const a of answers) if (!a.claimed) expect(a.runId).toBe(winner);
    });

    it('lists runs newest first, per domain and overall, and prunes old ones', async () => {
      const days = ['2026-03-01', '2026-03-02', '2026-03-03'];
      const all = [];
      for (const [d, day] of days.entries()) {
        for (let h = 0; h < 4; h++) {
          const domain = h % 2 === 0 ? 'contoso.co.jp' : 'fabrikam.com';
          all.push(run(`r-${d}-${h}`, domain, `${day}T0${h}:00:00.000Z`));
        }
      }
      for (const r of [...all].reverse()) await stores.runs.put(r);
      // A second put of the same run (status change) neither duplicates nor loses it.
      await stores.runs.put({ ...all[11]!, status: 'partial' });
      const newest = await stores.runs.list({ limit: 5, outcomes: true });
      expect(newest.map((r) => r.id)).toEqual(['r-2-3', 'r-2-2', 'r-2-1', 'r-2-0', 'r-1-3']);
      expect(newest[0]!.status).toBe('partial');
      expect(newest[0]!.outcomes).toHaveLength(2);
      // A listing leaves the per-user outcomes out unless asked.
      const light = await stores.runs.list({ limit: 2 });
      expect(light.map((r) => [r.id, r.outcomes.length, r.counts.updated])).toEqual([
        ['r-2-3', 0, 2],
        ['r-2-2', 0, 2],
      ]);
      const contoso = await stores.runs.list({ domain: 'Contoso.co.jp' });
      expect(contoso.map((r) => r.id)).toEqual(['r-2-2', 'r-2-0', 'r-1-2', 'r-1-0', 'r-0-2', 'r-0-0']);
      expect(await stores.runs.list({})).toHaveLength(12);

      const pruned = await stores.runs.prune(new Date('2026-03-02T02:00:00.000Z'));
      expect(pruned).toBe(6);
      expect(await stores.runs.get('r-1-1')).toBeNull();
      expect(await stores.runs.get('r-1-2')).not.toBeNull();
      expect((await stores.runs.list({})).map((r) => r.id)).toEqual([
        'r-2-3',
        'r-2-2',
        'r-2-1',
        'r-2-0',
        'r-1-3',
        'r-1-2',
      ]);
      expect((await stores.runs.list({ domain: 'fabrikam.com' })).map((r) => r.id)).toEqual([
        'r-2-3',
        'r-2-1',
        'r-1-3',
      ]);
      expect(await stores.runs.prune(new Date('2026-03-02T02:00:00.000Z'))).toBe(0);
    });

    it('keeps every outcome of a big run', async () => {
      const big = run('r-big', 'big.example', '2026-04-01T00:00:00.000Z', 2_345);
      await stores.runs.put(big);
      expect(await stores.runs.get('r-big')).toEqual(big);
      const fewer = { ...big, outcomes: big.outcomes.slice(0, 10) };
      await stores.runs.put(fewer);
      expect(await stores.runs.get('r-big')).toEqual(fewer);
      expect(await stores.runs.get('r-big', { outcomes: false })).toEqual({ ...big, outcomes: [] });
    });

    it("appends a run's outcomes in batches, reads them page by page, and keeps them when the record is put again", async () => {
      const whole = run('r-stream', 'stream.example', '2026-04-02T00:00:00.000Z', 2_345);
      const started = { ...whole, status: 'running' as const, endedAt: null, outcomes: [] };
      await stores.runs.put(started);
      for (let i = 0; i < whole.outcomes.length; i += 1_200) {
        await stores.runs.appendOutcomes('r-stream', whole.outcomes.slice(i, i + 1_200));
      }
      await stores.runs.appendOutcomes('r-stream', []);
      const pages: number[] = [];
      const read = [];
      for await (const page of stores.runs.outcomes('r-stream')) {
        pages.push(page.length);
        read.push(...page);
      }
      // Batches over the page size are split: no stored page is ever bigger than one chunk.
      expect(pages).toEqual([1000, 200, 1000, 145]);
      expect(read).toEqual(whole.outcomes);
      // The run ends: the record is put again, keeping what was appended.
      await stores.runs.put({ ...whole, outcomes: [] }, { keepOutcomes: true });
      expect(await stores.runs.get('r-stream')).toEqual(whole);
      expect((await stores.runs.list({ domain: 'stream.example', outcomes: true }))[0]).toEqual(whole);
      // A plain put replaces them (a resumed run starts its outcomes again).
      await stores.runs.put(started);
      const left = [];
      for await (const page of stores.runs.outcomes('r-stream')) left.push(...page);
      expect(left).toEqual([]);
      for await (const _ of stores.runs.outcomes('no-such-run')) throw new Error('an unknown run has no outcomes');
      await expect(stores.runs.appendOutcomes('no-such-run', whole.outcomes.slice(0, 1))).rejects.toThrow(
        /run no-such-run is not in the log/,
      );
    });

    it('journals writes in segments: the last entry per op wins, unfinished runs oldest first', async () => {
      const writes = [];
      for (let s = 0; s < 50; s++) {
        const entries = Array.from({ length: 40 }, (_, i) => ({
          opId: `op-${(s * 40 + i) % 1000}`,
          state: s < 25 ? ('intent' as const) : ('done' as const),
          userId: s < 25 ? null : `user-${s}`,
        }));
        writes.push(stores.journal.write('run-j1', entries)); // not awaited one by one: order must still hold
      }
      await Promise.all(writes);
      await sleep(5);
      await stores.journal.write('run-j2', [{ opId: 'x', state: 'failed', errorKind: 'forbidden' }]);
      const folded = await stores.journal.read('run-j1');
      expect(folded.size).toBe(1000);
      // Read back batch by batch, in the order written.
      const batches = [];
      for await (const seg of stores.journal.segments('run-j1')) batches.push(seg);
      expect(batches).toHaveLength(50);
      expect(batches[0]![0]).toEqual({ opId: 'op-0', state: 'intent', userId: null });
      expect(batches[49]![39]).toEqual({ opId: 'op-999', state: 'done', userId: 'user-49' });
      expect(folded.get('op-0')).toEqual({ opId: 'op-0', state: 'done', userId: 'user-25' });
      expect(folded.get('op-999')).toEqual({ opId: 'op-999', state: 'done', userId: 'user-49' });
      expect(await stores.journal.unfinished()).toEqual(['run-j1', 'run-j2']);
      await stores.journal.markFinished('run-j1');
      expect(await stores.journal.unfinished()).toEqual(['run-j2']);
      expect((await stores.journal.read('run-j1')).size).toBe(0);
      expect((await stores.journal.read('run-j2')).get('x')?.errorKind).toBe('forbidden');
    });

    it('grants a lease to one holder, says who holds it, and frees it on release or expiry', async () => {
      const first = await stores.leases.acquire('contoso.co.jp', 'replica-1', 5_000);
      expect(first.acquired).toBe(true);
      // The refusal says who holds it and how long its lease has left (a dead holder's runs out by then).
      const refused = await stores.leases.acquire('contoso.co.jp', 'replica-2', 5_000);
      expect(refused).toEqual({ acquired: false, heldBy: 'replica-1', expiresInMs: expect.any(Number) });
      if (refused.acquired) throw new Error('unreachable');
      expect(refused.expiresInMs).toBeGreaterThan(3_000);
      expect(refused.expiresInMs).toBeLessThanOrEqual(5_000);
      // Same holder name, second acquisition: still refused (no accidental re-entry).
      expect((await stores.leases.acquire('contoso.co.jp', 'replica-1', 5_000)).acquired).toBe(false);
      expect((await stores.leases.acquire('fabrikam.com', 'replica-2', 5_000)).acquired).toBe(true);
      if (!first.acquired) throw new Error('unreachable');
      expect(await first.lease.renew()).toBe(true);
      await first.lease.release();
      // Timings leave 600 ms of slack either way (the test machine may be busy).
      const second = await stores.leases.acquire('contoso.co.jp', 'replica-2', 1_500);
      expect(second.acquired).toBe(true);
      if (!second.acquired) throw new Error('unreachable');
      await sleep(900);
      expect(await second.lease.renew()).toBe(true); // renew pushes the expiry out again
      await sleep(900);
      expect((await stores.leases.acquire('contoso.co.jp', 'replica-3', 200)).acquired).toBe(false);
      await sleep(900);
      const third = await stores.leases.acquire('contoso.co.jp', 'replica-3', 5_000);
      expect(third.acquired).toBe(true);
      // The expired holder can neither renew nor release the new holder's lease.
      expect(await second.lease.renew()).toBe(false);
      await second.lease.release();
      expect(await stores.leases.acquire('contoso.co.jp', 'replica-4', 5_000)).toEqual({
        acquired: false,
        heldBy: 'replica-3',
        expiresInMs: expect.any(Number),
      });
    });

    it('keeps conversation references and picks the domain destination before the catch-all', async () => {
      const ref = { conversationId: '19:abc@thread.tacv2', serviceUrl: 'https://smba.example/', tenantId: 't-1' };
      const longKey = `19:${'x'.repeat(400)}@thread.tacv2`;
      await stores.conversations.put(longKey, ref);
      expect(await stores.conversations.get(longKey)).toEqual(ref);
      expect(await stores.conversations.get('nope')).toBeNull();
      expect(await stores.conversations.destinationFor('contoso.co.jp')).toBeNull();
      await stores.conversations.setDestination('*', 'all-channel');
      await stores.conversations.setDestination('Contoso.co.jp', 'contoso-channel');
      expect(await stores.conversations.destinationFor('contoso.co.jp')).toBe('contoso-channel');
      expect(await stores.conversations.destinationFor('fabrikam.com')).toBe('all-channel');
    });

    it('hands out one keyv per namespace and refuses the reserved ones', async () => {
      const kv = stores.kv<{ n: number }>('bot-state');
      expect(stores.kv('bot-state')).toBe(kv);
      await kv.set('k', { n: 1 });
      expect(await stores.kv<{ n: number }>('bot-state').get('k')).toEqual({ n: 1 });
      expect(await stores.kv('other').get('k')).toBeUndefined();
      expect(() => stores.kv('sys-plans')).toThrow(/reserved/);
      expect(() => stores.kv('a:b')).toThrow(/bad namespace/);
    });
  });
}
