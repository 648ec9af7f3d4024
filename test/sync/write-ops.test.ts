// Tests of plan → meaning-level write ops: attributes, stable op ids, delete modes, restore order and rename phases.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { changeOfOps, groupByChange } from '../../src/sync/apply-outcomes.js';
import type { AttributeChange, Change, SourceUser } from '../../src/sync/model.js';
import { buildPlan } from '../../src/sync/plan.js';
import {
  changeOpIds,
  planToWriteOps,
  planToWritePhases,
  writeCounts,
  writePhasesOf,
} from '../../src/sync/write-ops.js';
import { caseArb, DOMAIN, entraUser, MemoryEntra, settings, snapshot } from './fixtures.js';

const meta = { id: 'p', now: '2026-11-26T00:00:00.000Z' };
const src = (local: string, id: string, extra: Partial<SourceUser> = {}): SourceUser => ({
  userPrincipalName: `${local}@${DOMAIN}`,
  immutableId: id,
  displayName: local,
  ...extra,
});

describe('planToWriteOps', () => {
  it('creates with the UPN, the Immutable ID, the mapped attributes and the sign-in of the domain', () => {
    const plan = buildPlan(
      snapshot({ source: [src('a', 'IA', { givenName: '太郎', jobTitle: null })] }),
      settings(),
      meta,
    );
    const add = plan.changes.find((c) => c.action === 'Add')!;
    expect(planToWriteOps(plan, 'Federated')).toEqual([
      {
        opId: 'a:IA',
        phase: 0,
        kind: 'create',
        userPrincipalName: `a@${DOMAIN}`,
        immutableId: 'IA',
        attributes: add.action === 'Add' ? add.attributes : null,
        usageLocation: null,
        authenticationType: 'Federated',
      },
    ]);
    expect(planToWriteOps(plan, 'Managed')[0]).toMatchObject({ kind: 'create', authenticationType: 'Managed' });
  });

  it('updates only the changed attributes; deletes or disables by mode', () => {
    const snap = snapshot({
      source: [src('b', 'IB', { department: 'Sales' })],
      entra: [
        entraUser({
          id: 'e1',
          userPrincipalName: `b@${DOMAIN}`,
          onPremisesImmutableId: 'IB',
          displayName: 'b',
          mailNickname: 'b',
        }),
        entraUser({ id: 'e2', userPrincipalName: `x@${DOMAIN}` }),
      ],
    });
    expect(planToWriteOps(buildPlan(snap, settings({ maxDeletionPercent: 100 }), meta), 'Managed')).toEqual([
      { opId: 'u:e1', phase: 0, kind: 'update', userId: 'e1', attributes: { department: 'Sales' } },
      { opId: 'd:e2', phase: 0, kind: 'delete', userId: 'e2' },
    ]);
    const disable = planToWriteOps(buildPlan(snap, settings({ onDelete: 'disable' }), meta), 'Managed');
    expect(disable.find((o) => o.opId === 'd:e2')).toEqual({ opId: 'd:e2', phase: 0, kind: 'disable', userId: 'e2' });
  });

  it('restores first, then updates the restored user', () => {
    const plan = buildPlan(
      snapshot({
        source: [src('r', 'IR')],
        deleted: [{ id: 'd1', userPrincipalName: `old@${DOMAIN}`, onPremisesImmutableId: 'IR', deletedDateTime: null }],
      }),
      settings(),
      meta,
    );
    const phases = planToWritePhases(plan, 'Managed');
    expect(phases.map((p) => p.map((o) => o.opId))).toEqual([['r:d1'], ['u:d1']]);
    const update = phases[1]![0]!;
    expect(update.kind === 'update' && update.attributes.userPrincipalName).toBe(`r@${DOMAIN}`);
    expect(phases.map((p) => p.map((o) => o.phase))).toEqual([[0], [1]]);
  });

  it('puts a write that needs a freed UPN after the rename that frees it', () => {
    const snap = snapshot({
      source: [src('c', 'IB'), src('b', 'IA'), src('a', 'NEW')],
      entra: [
        entraUser({ id: 'e1', userPrincipalName: `a@${DOMAIN}`, onPremisesImmutableId: 'IA' }),
        entraUser({ id: 'e2', userPrincipalName: `b@${DOMAIN}`, onPremisesImmutableId: 'IB' }),
      ],
    });
    const plan = buildPlan(snap, settings(), meta);
    // The diff gives each change its phase while it follows the chain: c frees nothing, b waits for c, a for b.
    const phaseOf = Object.fromEntries(
      plan.changes.map((c) => [c.upn, c.action === 'Add' || c.action === 'Update' ? (c.phase ?? 0) : null]),
    );
    expect(phaseOf).toEqual({ [`c@${DOMAIN}`]: 0, [`b@${DOMAIN}`]: 1, [`a@${DOMAIN}`]: 2 });
    const phases = planToWritePhases(plan, 'Managed');
    expect(phases.map((p) => p.map((o) => o.opId))).toEqual([['u:e2'], ['u:e1'], ['a:NEW']]);
    // A plan stored by format 2 carries no phases: they are derived from its renames, with the same result.
    const bare = plan.changes.map((c) => {
      const { phase: _p, ...rest } = c as typeof c & { phase?: number };
      return rest as typeof c;
    });
    expect(planToWritePhases({ changes: bare, formatVersion: 2 }, 'Managed')).toEqual(phases);
    expect(planToWritePhases({ changes: bare, formatVersion: 3 }, 'Managed').map((p) => p.length)).toEqual([3]);
    const entra = new MemoryEntra(snap);
    entra.applyPhases(phases);
    expect([...entra.live.values()].map((u) => u.userPrincipalName).sort()).toEqual(
      [`a@${DOMAIN}`, `b@${DOMAIN}`, `c@${DOMAIN}`].sort(),
    );
  });
});

describe('changeOpIds and writeCounts', () => {
  /** What the outcome walk grouped before: the flattened ops of the changes, grouped by the change each serves. */
  const grouped = (changes: readonly Change[]) => {
    const ops = writePhasesOf(changes, 'Managed').flat();
    return groupByChange(ops, changeOfOps({ id: 'p', changes }, ops));
  };

  it('give the same changes, op ids and order, and the same counts, as the built ops, for any plan', () => {
    fc.assert(
      fc.property(caseArb, ({ snapshot: snap, settings: s }) => {
        const plan = buildPlan(snap, s, meta);
        expect(changeOpIds(plan.changes)).toEqual(grouped(plan.changes));
        const phases = writePhasesOf(plan.changes, 'Managed');
        expect(writeCounts(plan.changes)).toEqual({ ops: phases.flat().length, phases: phases.length });
      }),
    );
  });

  it('orders federated adoptions, restores and renames by their first op, each change by its ops', () => {
    const set: AttributeChange[] = [{ attribute: 'jobTitle', before: null, after: 'Engineer' }];
    const immutable: AttributeChange[] = [{ attribute: 'onPremisesImmutableId', before: null, after: 'IV' }];
    const attributes = {} as Extract<Change, { action: 'Add' }>['attributes'];
    const changes: Change[] = [
      { action: 'Update', entraId: 'e1', upn: `a@${DOMAIN}`, immutableId: 'IA', changes: set, adopt: false, phase: 2 },
      {
        action: 'Add',
        upn: `r@${DOMAIN}`,
        immutableId: 'IR',
        attributes,
        restoreId: 'd1',
        changes: set,
        phase: 3,
        updatePhase: 1,
      },
      { action: 'Delete', entraId: 'e9', upn: `z@${DOMAIN}`, immutableId: null, displayName: null, mode: 'disable' },
      {
        action: 'Update',
        entraId: 'e2',
        upn: `v@${DOMAIN}`,
        immutableId: 'IV',
        changes: [...immutable, ...set],
        adopt: true,
        via: 'v@tenant.onmicrosoft.com',
        phase: 1,
      },
      { action: 'Add', upn: `n@${DOMAIN}`, immutableId: 'IN', attributes, restoreId: null, changes: [], phase: 1 },
      { action: 'Update', entraId: 'e3', upn: `b@${DOMAIN}`, immutableId: 'IB', changes: set, adopt: false },
    ];
    const ids = changeOpIds(changes);
    expect(ids).toEqual(grouped(changes));
    expect(writeCounts(changes)).toEqual({ ops: 10, phases: 5 });
    expect(ids.map((c) => c.opIds)).toEqual([
      ['d:e9'],
      ['u:e3'],
      ['u:d1', 'r:d1'],
      ['f1:e2', 'f2:e2', 'u:e2', 'f3:e2'],
      ['a:IN'],
      ['u:e1'],
    ]);
  });
});
