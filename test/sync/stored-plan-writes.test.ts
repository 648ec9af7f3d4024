// A stored plan read chunk by chunk gives the same writes, in the same phases, as the whole plan; its hash checks out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Stores } from '../../src/store/index.js';
import type { Change, Plan, SourceUser } from '../../src/sync/model.js';
import { buildPlan, verifyStoredPlanHash } from '../../src/sync/plan.js';
import { countingWrites, storedPlanWrites } from '../../src/sync/stored-plan-writes.js';
import { planToWritePhases } from '../../src/sync/write-ops.js';
import { DOMAIN, entraUser, settings, snapshot } from './fixtures.js';

const src = (local: string, id: string): SourceUser => ({
  userPrincipalName: `${local}@${DOMAIN}`,
  immutableId: id,
  displayName: local,
});

/** A rename chain (c ← b ← a, a taken by a new user), a restore, creates, updates and deletes. */
function mixedPlan(): Plan {
  const source: SourceUser[] = [src('c', 'IB'), src('b', 'IA'), src('a', 'NEW'), src('back', 'IR')];
  const entra = [
    entraUser({ id: 'e1', userPrincipalName: `a@${DOMAIN}`, onPremisesImmutableId: 'IA' }),
    entraUser({ id: 'e2', userPrincipalName: `b@${DOMAIN}`, onPremisesImmutableId: 'IB' }),
  ];
  for (let i = 0; i < 9; i++) source.push(src(`n${i}`, `N${i}`));
  for (let i = 0; i < 4; i++) entra.push(entraUser({ id: `gone${i}`, userPrincipalName: `gone${i}@${DOMAIN}` }));
  return buildPlan(
    snapshot({
      source,
      entra,
      deleted: [{ id: 'd1', userPrincipalName: `old@${DOMAIN}`, onPremisesImmutableId: 'IR', deletedDateTime: null }],
    }),
    settings({ maxDeletionPercent: 100 }),
    { id: 'stored-mixed', now: '2026-11-30T00:00:00.000Z' },
  );
}

describe('storedPlanWrites', () => {
  let stores: Stores;
  beforeAll(async () => {
    // Two changes per chunk: the rename chain spans chunks.
    stores = await openStore('memory://', { chunkSize: 2 });
  });
  afterAll(async () => {
    await stores?.close();
  });

  it('serves each phase batch by batch, in the whole plan order of phases, with each op linked to its change', async () => {
    const plan = mixedPlan();
    await stores.plans.put(plan);
    const whole = planToWritePhases(plan, 'Managed');
    expect(whole.length).toBeGreaterThan(2);
    const source = await storedPlanWrites(stores.plans, plan, 'Managed');
    expect(source.total).toBe(whole.flat().length);

    const served: string[][] = [];
    let lastPhase = -1;
    for await (const batch of source.batches(3)) {
      expect(batch.ops.length).toBeLessThanOrEqual(3);
      const phase = whole.findIndex((p) => p.some((op) => op.opId === batch.ops[0]!.opId));
      // Phases never go back: a batch belongs to the phase being written or a later one.
      expect(phase).toBeGreaterThanOrEqual(lastPhase);
      if (phase > lastPhase) served.push([]);
      lastPhase = phase;
      for (const op of batch.ops) {
        served[served.length - 1]!.push(op.opId);
        const change = batch.targets.get(op.opId);
        expect(change, op.opId).toBeDefined();
        if (op.kind === 'create') expect(change?.action === 'Add' && change.immutableId).toBe(op.immutableId);
      }
    }
    // The same ops in the same phases (in a phase, the stored order of the changes).
    expect(served.map((p) => [...p].sort())).toEqual(whole.map((p) => p.map((op) => op.opId).sort()));
    // The chain across chunks: b → c first, then a → b, then the new a.
    expect(served.findIndex((p) => p.includes('u:e2'))).toBe(0);
    expect(served.findIndex((p) => p.includes('u:e1'))).toBe(1);
    expect(served.findIndex((p) => p.includes('a:NEW'))).toBe(2);
    expect(whole.flat().map((op) => op.opId)).toEqual(expect.arrayContaining(['r:d1', 'u:d1']));

    const written: string[] = [];
    for await (const batch of source.written()) for (const w of batch.written) written.push(...w.opIds);
    expect(written.sort()).toEqual(
      whole
        .flat()
        .map((op) => op.opId)
        .sort(),
    );
  });

  it('gives a plan stored before format 3 (no phases in its changes) the same phases', async () => {
    const plan = mixedPlan();
    const bare = plan.changes.map((c) => {
      const { phase: _p, updatePhase: _u, ...rest } = c as Change & { phase?: number; updatePhase?: number };
      return rest as Change;
    });
    expect(bare).not.toEqual(plan.changes);
    const legacy: Plan = { ...plan, id: 'stored-legacy', formatVersion: 2, changes: bare };
    await stores.plans.put(legacy);
    const source = await storedPlanWrites(stores.plans, legacy, 'Managed');
    const served: string[][] = [];
    for await (const batch of source.batches(500)) served.push(batch.ops.map((op) => op.opId));
    expect(served).toEqual(planToWritePhases(plan, 'Managed').map((p) => p.map((op) => op.opId)));
  });

  it('checks the hash of a stored plan over its chunks, and finds a changed chunk', async () => {
    const plan = mixedPlan();
    await stores.plans.put(plan);
    const summary = (await stores.plans.summary(plan.id))!;
    expect(await verifyStoredPlanHash(summary, stores.plans.changes(plan.id))).toBe(true);
    expect(await verifyStoredPlanHash({ ...summary, hash: 'f'.repeat(64) }, stores.plans.changes(plan.id))).toBe(false);
    // The same plan stored with one change altered: the hash no longer matches.
    const altered = plan.changes.map((c): Change => (c.upn === `n3@${DOMAIN}` ? { ...c, upn: `x@${DOMAIN}` } : c));
    await stores.plans.put({ ...plan, id: 'stored-altered', changes: altered });
    const alteredSummary = (await stores.plans.summary('stored-altered'))!;
    expect(await verifyStoredPlanHash({ ...alteredSummary, id: plan.id }, stores.plans.changes('stored-altered'))).toBe(
      false,
    );
    expect(await verifyStoredPlanHash({ ...alteredSummary, id: plan.id }, stores.plans.changes(plan.id))).toBe(true);
  });

  it('takes its totals from the hash check walk that counted them, without reading the plan to count', async () => {
    const plan = mixedPlan();
    await stores.plans.put(plan);
    const summary = (await stores.plans.summary(plan.id))!;
    const walk = countingWrites(stores.plans.changes(plan.id));
    expect(walk.totals()).toBeNull();
    expect(await verifyStoredPlanHash(summary, walk.chunks)).toBe(true);
    const whole = planToWritePhases(plan, 'Managed');
    expect(walk.totals()).toEqual({ ops: whole.flat().length, phases: whole.length });

    let reads = 0;
    const counting = {
      changes: (id: string) => {
        reads++;
        return stores.plans.changes(id);
      },
    };
    const source = await storedPlanWrites(counting, plan, 'Managed', walk.totals());
    expect(reads).toBe(0);
    expect(source.total).toBe(whole.flat().length);
    // Uncounted, the same source reads the plan once more to count it; both serve the same batches.
    reads = 0;
    const uncounted = await storedPlanWrites(counting, plan, 'Managed');
    expect(reads).toBe(1);
    expect(uncounted.total).toBe(source.total);
    const served = async (s: typeof source) => {
      const out: string[][] = [];
      for await (const batch of s.batches(3)) out.push(batch.ops.map((op) => op.opId));
      return out;
    };
    const counted = await served(source);
    expect(counted.flat().sort()).toEqual(
      whole
        .flat()
        .map((op) => op.opId)
        .sort(),
    );
    expect(counted).toEqual(await served(uncounted));
  });
});
