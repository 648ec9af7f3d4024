// Tests of plan → Graph write ops: bodies, stable op ids, delete modes, restore order and rename phases.
import { describe, expect, it } from 'vitest';
import type { SourceUser } from '../../src/sync/model.js';
import { buildPlan } from '../../src/sync/plan.js';
import { planToWriteOps, planToWritePhases } from '../../src/sync/write-ops.js';
import { DOMAIN, entraUser, MemoryEntra, settings, snapshot } from './fixtures.js';

const meta = { id: 'p', now: '2026-11-26T00:00:00.000Z' };
const pw = (id: string) => `secret-for-${id}`;
const src = (local: string, id: string, extra: Partial<SourceUser> = {}): SourceUser => ({
  userPrincipalName: `${local}@${DOMAIN}`,
  immutableId: id,
  displayName: local,
  ...extra,
});

describe('planToWriteOps', () => {
  it('creates with the required properties, the Immutable ID and the given password', () => {
    const plan = buildPlan(
      snapshot({ source: [src('a', 'IA', { givenName: '太郎', jobTitle: null })] }),
      settings(),
      meta,
    );
    expect(planToWriteOps(plan, 'Federated', pw)).toEqual([
      {
        opId: 'a:IA',
        kind: 'create',
        body: {
          accountEnabled: true,
          displayName: 'a',
          mailNickname: 'a',
          userPrincipalName: `a@${DOMAIN}`,
          onPremisesImmutableId: 'IA',
          passwordProfile: { forceChangePasswordNextSignIn: false, password: 'secret-for-IA' },
          givenName: '太郎',
        },
      },
    ]);
    const managed = planToWriteOps(plan, 'Managed', pw)[0];
    expect(managed?.kind === 'create' && managed.body.passwordProfile).toEqual({
      forceChangePasswordNextSignIn: true,
      password: 'secret-for-IA',
    });
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
    expect(planToWriteOps(buildPlan(snap, settings({ maxDeletionPercent: 100 }), meta), 'Managed', pw)).toEqual([
      { opId: 'u:e1', kind: 'update', userId: 'e1', body: { department: 'Sales' } },
      { opId: 'd:e2', kind: 'delete', userId: 'e2' },
    ]);
    const disable = planToWriteOps(buildPlan(snap, settings({ onDelete: 'disable' }), meta), 'Managed', pw);
    expect(disable.find((o) => o.opId === 'd:e2')).toEqual({
      opId: 'd:e2',
      kind: 'update',
      userId: 'e2',
      body: { accountEnabled: false },
    });
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
    const phases = planToWritePhases(plan, 'Managed', pw);
    expect(phases.map((p) => p.map((o) => o.opId))).toEqual([['r:d1'], ['u:d1']]);
    const update = phases[1]![0]!;
    expect(update.kind === 'update' && update.body.userPrincipalName).toBe(`r@${DOMAIN}`);
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
    const phases = planToWritePhases(plan, 'Managed', pw);
    expect(phases.map((p) => p.map((o) => o.opId))).toEqual([['u:e2'], ['u:e1'], ['a:NEW']]);
    const entra = new MemoryEntra(snap);
    entra.applyPhases(phases);
    expect([...entra.live.values()].map((u) => u.userPrincipalName).sort()).toEqual(
      [`a@${DOMAIN}`, `b@${DOMAIN}`, `c@${DOMAIN}`].sort(),
    );
  });
});
