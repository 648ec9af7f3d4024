// unseenWrites: which of a run's completed changes a (lagging) domain listing does not show yet.
import { describe, expect, it } from 'vitest';
import type { EntraUser, Plan, UserOutcome } from '../../src/sync/model.js';
import { buildPlan } from '../../src/sync/plan.js';
import { expectedWrites, listingCheck, unseenWrites } from '../../src/sync/visibility.js';
import { DOMAIN, entraUser, settings, snapshot } from './fixtures.js';

const upn = (local: string) => `${local}@${DOMAIN}`;
const staff = (id: string, local: string, jobTitle: string): EntraUser =>
  entraUser({
    id,
    userPrincipalName: upn(local),
    displayName: local,
    mailNickname: local,
    onPremisesImmutableId: `imm-${local}`,
    jobTitle,
  });

/** Source: a new hire (new), a promotion (kept), nobody for `leaver`. Entra: kept and leaver. */
function planWith(onDelete: 'delete' | 'disable'): Plan {
  return buildPlan(
    snapshot({
      source: [
        { userPrincipalName: upn('new'), immutableId: 'imm-new', displayName: 'new', jobTitle: 'Staff' },
        { userPrincipalName: upn('kept'), immutableId: 'imm-kept', displayName: 'kept', jobTitle: 'Lead' },
      ],
      entra: [staff('id-kept', 'kept', 'Staff'), staff('id-leaver', 'leaver', 'Staff')],
    }),
    settings({ onDelete, maxDeletionPercent: 100 }),
    { id: 'plan-1', now: '2026-11-29T00:00:00.000Z', createdBy: 'test' },
  );
}

const done = (plan: Plan): UserOutcome[] =>
  plan.changes.flatMap((c) =>
    c.action === 'Add' || c.action === 'Update' || c.action === 'Delete'
      ? [{ action: c.action, upn: c.upn, immutableId: c.immutableId, result: 'done' as const }]
      : [],
  );

describe('unseenWrites', () => {
  const plan = planWith('delete');
  const before = [staff('id-kept', 'kept', 'Staff'), staff('id-leaver', 'leaver', 'Staff')];
  const after = [staff('id-new', 'new', 'Staff'), staff('id-kept', 'kept', 'Lead')];

  it('names every completed change that a listing from before the writes does not show', () => {
    expect(plan.counts).toMatchObject({ add: 1, update: 1, delete: 1 });
    expect(unseenWrites(plan, done(plan), before)).toEqual([
      { action: 'Add', upn: upn('new'), why: 'not listed yet' },
      { action: 'Update', upn: upn('kept'), why: 'jobTitle still listed with its old value' },
      { action: 'Delete', upn: upn('leaver'), why: 'still listed' },
    ]);
  });

  it('is empty once the listing shows the writes', () => {
    expect(unseenWrites(plan, done(plan), after)).toEqual([]);
  });

  it('judges a user listed twice (a page read during writes) by its last listing, page by page', () => {
    const check = (pages: EntraUser[][]) => {
      const c = listingCheck(expectedWrites(plan, done(plan)));
      for (const page of pages) c.see(page);
      return c.unseen().map((u) => u.why);
    };
    const [oldKept, newKept] = [staff('id-kept', 'kept', 'Staff'), staff('id-kept', 'kept', 'Lead')];
    const added = staff('id-new', 'new', 'Staff');
    expect(check([[oldKept], [added, newKept]])).toEqual([]);
    expect(check([[added, newKept], [oldKept]])).toEqual(['jobTitle still listed with its old value']);
    // An updated user listed without the written property (not selected) is not waited for on it.
    const { jobTitle: _, ...unselected } = oldKept;
    expect(check([[added, unselected as EntraUser]])).toEqual([]);
  });

  it('does not wait for changes that failed or were not attempted', () => {
    const outcomes = done(plan).map((o) => ({ ...o, result: 'failed' as const }));
    expect(unseenWrites(plan, outcomes, before)).toEqual([]);
  });

  it('checks that an added user is listed under its own UPN', () => {
    const elsewhere = [...after.filter((u) => u.id !== 'id-new'), { ...after[0]!, userPrincipalName: upn('old') }];
    expect(unseenWrites(plan, done(plan), elsewhere)).toEqual([
      { action: 'Add', upn: upn('new'), why: `listed as ${upn('old')}` },
    ]);
  });

  it('with on-delete "disable", waits until the user is listed disabled (not gone)', () => {
    const disabling = planWith('disable');
    const enabled = [...after, staff('id-leaver', 'leaver', 'Staff')];
    expect(unseenWrites(disabling, done(disabling), enabled)).toEqual([
      { action: 'Delete', upn: upn('leaver'), why: 'still listed as enabled' },
    ]);
    const disabled = [...after, { ...staff('id-leaver', 'leaver', 'Staff'), accountEnabled: false }];
    expect(unseenWrites(disabling, done(disabling), disabled)).toEqual([]);
  });
});
