// Property-based tests of the sync core over generated snapshots (fast-check prints the seed of any failure).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diff } from '../../src/sync/diff.js';
import { buildPlan, countChanges, sortChanges } from '../../src/sync/plan.js';
import type { DomainSettings, DomainSnapshot, Plan } from '../../src/sync/model.js';
import { planToWritePhases } from '../../src/sync/write-ops.js';
import { caseArb, MemoryEntra } from './fixtures.js';

const RUNS = 10_000;
const meta = { id: 'p', now: '2026-11-26T00:00:00.000Z', createdBy: null };
/** The plan's changes and counts without hashing (the hash is tested in plan.test.ts; this keeps 10k runs fast). */
const quickPlan = (snapshot: DomainSnapshot, settings: DomainSettings): Pick<Plan, 'changes' | 'counts'> => {
  const changes = sortChanges(diff(snapshot, settings));
  return { changes, counts: countChanges(changes) };
};

describe('sync core properties', () => {
  it('every in-scope user appears exactly once in the plan', () => {
    fc.assert(
      fc.property(caseArb, ({ snapshot: raw, settings }) => {
        // Tag each source user's display name so that its row can be recognised (Entra names never contain '#').
        const snapshot = {
          ...raw,
          source: raw.source.map((s, i) => (s.displayName ? { ...s, displayName: `${s.displayName} #${i}` } : s)),
        };
        const plan = quickPlan(snapshot, settings);
        const entraSeen = new Map<string, number>();
        const sourceSeen = new Map<string, number>();
        const see = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
        for (const c of plan.changes) {
          if (c.action !== 'Add' && c.entraId) see(entraSeen, c.entraId);
          const name = c.action === 'Add' ? c.attributes.displayName : c.action === 'Update' ? null : c.displayName;
          if (typeof name === 'string' && name.includes(' #')) see(sourceSeen, name.slice(name.lastIndexOf(' #')));
          else if (name === '') see(sourceSeen, 'blank');
          else if (c.action === 'Update') {
            const i = snapshot.source.findIndex(
              (s) => s.userPrincipalName === c.upn && s.immutableId === c.immutableId,
            );
            expect(i, `update ${c.upn}`).toBeGreaterThanOrEqual(0);
            see(sourceSeen, ` #${i}`);
          } else
            expect(c.action === 'Add' ? 'Add' : c.entraId, 'a row with neither source nor Entra user').not.toBe(null);
        }
        for (const e of snapshot.entra) expect(entraSeen.get(e.id), `Entra user ${e.id}`).toBe(1);
        expect(entraSeen.size).toBe(snapshot.entra.length);
        snapshot.source.forEach((s, i) => {
          if (s.displayName) expect(sourceSeen.get(` #${i}`), `source user ${i}`).toBe(1);
        });
        expect(sourceSeen.get('blank') ?? 0).toBe(snapshot.source.filter((s) => !s.displayName).length);
        const counts = plan.counts;
        expect(counts.add + counts.update + counts.delete + counts.skip + counts.noChange).toBe(plan.changes.length);
      }),
      { numRuns: RUNS },
    );
  });

  it('the guard never lets a run through at or above its limit', () => {
    fc.assert(
      fc.property(caseArb, ({ snapshot, settings }) => {
        const plan = buildPlan(snapshot, settings, meta);
        const { count, inScope } = plan.deletion;
        const reached = count > 0 && (inScope === 0 || (count / inScope) * 100 >= settings.maxDeletionPercent - 1e-9);
        const overCap = settings.maxDeletionCount !== null && count > settings.maxDeletionCount;
        if (reached || overCap) {
          expect(plan.guard.ok).toBe(false);
          expect(plan.deletion.wouldCancel).toBe(true);
        }
        if (plan.guard.ok) expect(plan.deletion.percent).toBeLessThan(settings.maxDeletionPercent);
      }),
      { numRuns: RUNS },
    );
  });

  it('no skipped (or unchanged) user ever becomes a write op', () => {
    fc.assert(
      fc.property(caseArb, ({ snapshot, settings }) => {
        const plan = quickPlan(snapshot, settings);
        const untouched = new Set<string>();
        for (const c of plan.changes)
          if ((c.action === 'Skip' || c.action === 'NoChange') && c.entraId) untouched.add(c.entraId);
        const ops = planToWritePhases(plan, 'Managed').flat();
        for (const op of ops) {
          if (op.kind === 'update' || op.kind === 'disable' || op.kind === 'delete')
            expect(untouched.has(op.userId), op.opId).toBe(false);
          if (op.kind === 'create') {
            const skipped = plan.changes.some((c) => c.action === 'Skip' && c.immutableId === op.immutableId);
            expect(skipped, op.opId).toBe(false);
          }
        }
        const writes = plan.counts.add + plan.counts.update + plan.counts.delete;
        expect(new Set(ops.map((o) => o.opId)).size).toBe(ops.length);
        expect(ops.length).toBeGreaterThanOrEqual(writes);
      }),
      { numRuns: RUNS },
    );
  });

  it('applying the write ops and diffing again leaves only NoChange and Skip', () => {
    fc.assert(
      fc.property(caseArb, ({ snapshot, settings }) => {
        const plan = quickPlan(snapshot, settings);
        const entra = new MemoryEntra(snapshot);
        entra.applyPhases(planToWritePhases(plan, snapshot.authenticationType));
        const again = diff(entra.snapshotAfter(snapshot), settings);
        const pending = again.filter((c) => c.action !== 'NoChange' && c.action !== 'Skip');
        expect(pending).toEqual([]);
        // Skips are stable: the same users are skipped for the same reasons.
        const skips = (cs: readonly (typeof again)[number][]) =>
          cs
            .filter((c) => c.action === 'Skip')
            .map((c) => `${c.upn}|${c.action === 'Skip' ? c.reason : ''}`)
            .sort();
        expect(skips(again)).toEqual(skips(plan.changes));
      }),
      { numRuns: RUNS },
    );
  });

  it('the phases the diff gives are the ones derived for a plan stored before changes carried them', () => {
    let chained = 0;
    fc.assert(
      fc.property(caseArb, ({ snapshot, settings }) => {
        const plan = quickPlan(snapshot, settings);
        const stored = plan.changes.map((c) => {
          if (c.action !== 'Add' && c.action !== 'Update') return c;
          const { phase: _p, ...rest } = c as typeof c & { updatePhase?: number };
          const { updatePhase: _u, ...bare } = rest as typeof rest & { updatePhase?: number };
          return bare as typeof c;
        });
        const phases = planToWritePhases(plan, snapshot.authenticationType);
        if (plan.changes.some((c) => c.action === 'Update' && (c.phase ?? 0) > 0)) chained++;
        expect(planToWritePhases({ changes: stored, formatVersion: 2 }, snapshot.authenticationType)).toEqual(phases);
      }),
      // A fixed seed: rename chains are rare among random cases, and the count below must not depend on luck.
      { numRuns: RUNS, seed: 20261130 },
    );
    // With this seed the generator makes chains of renames, so the comparison covers renames that wait for others.
    expect(chained).toBeGreaterThan(0);
  });
});
