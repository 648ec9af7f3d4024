// The one freshness check every apply path calls: a plan is stale when a setting that decides its writes changed.
import { describe, expect, it } from 'vitest';
import { originalUpnOfDeleted } from '../../src/sync/diff-values.js';
import type { PlanWriteSettings } from '../../src/sync/model.js';
import { buildPlan, newUsersWithoutCredentials } from '../../src/sync/plan.js';
import { checkPlanFreshness, settingsFingerprint, writeSettingsOf } from '../../src/sync/plan-freshness.js';
import { DOMAIN, entraUser, settings, snapshot } from './fixtures.js';

const base: PlanWriteSettings = {
  protectedAccounts: [`a@${DOMAIN}`, 'E1'],
  onDelete: 'delete',
  usageLocation: 'JP',
  authenticationType: 'Managed',
};
const meta = { id: 'p', now: '2026-11-29T00:00:00.000Z', createdBy: null };

describe('plan freshness', () => {
  const plan = buildPlan(
    snapshot({ source: [{ userPrincipalName: `new@${DOMAIN}`, immutableId: 'TkVX', displayName: 'New' }] }),
    settings({ protectedAccounts: base.protectedAccounts, usageLocation: 'JP' }),
    meta,
  );

  it('binds the plan to the settings that decide its writes, covered by the hash', () => {
    expect(plan.writeSettings).toEqual(base);
    expect(plan.settingsFingerprint).toBe(settingsFingerprint(base));
    expect(checkPlanFreshness(plan, { writeSettings: base })).toBeNull();
  });

  it.each([
    ['protected accounts', { protectedAccounts: [`a@${DOMAIN}`, 'E1', `b@${DOMAIN}`] }],
    ['on delete (delete → disable)', { onDelete: 'disable' as const }],
    ['usage location (JP → US)', { usageLocation: 'US' }],
    ['usage location (JP → none)', { usageLocation: null }],
    ['authentication type (Managed → Federated)', { authenticationType: 'Federated' as const }],
  ])('refuses as stale when %s changed, naming it', (what, patch) => {
    const refusal = checkPlanFreshness(plan, { writeSettings: { ...base, ...patch } });
    expect(refusal?.code).toBe('stale-plan');
    expect(refusal?.reason).toContain("the domain's settings changed since this dry run");
    expect(refusal?.reason).toContain(what);
    expect(refusal?.reason).toContain('Run preview again');
  });

  it('reads protected accounts as the diff does: order, case, spaces and duplicates do not matter', () => {
    const same = { ...base, protectedAccounts: ['e1', ` A@${DOMAIN.toUpperCase()} `, 'E1'] };
    expect(settingsFingerprint(same)).toBe(settingsFingerprint(base));
    expect(checkPlanFreshness(plan, { writeSettings: same })).toBeNull();
  });

  it('refuses when either side changed, once the fingerprints are given', () => {
    const now = { writeSettings: base, sourceFingerprint: plan.sourceFingerprint, entraFingerprint: 'other' };
    expect(checkPlanFreshness(plan, now)?.reason).toMatch(/^refused: Entra ID changed since this dry run/);
    expect(checkPlanFreshness(plan, { ...now, sourceFingerprint: 'x' })?.reason).toMatch(/Access Control and Entra ID/);
  });

  it('refuses a plan made before plans carried their settings', () => {
    const { writeSettings: _w, settingsFingerprint: _f, ...old } = plan;
    expect(checkPlanFreshness(old, { writeSettings: base })?.reason).toContain('older version');
  });

  it("falls back to the organization's country when the domain has no usage location", () => {
    expect(writeSettingsOf(settings(), 'Federated', 'JP').usageLocation).toBe('JP');
    expect(writeSettingsOf(settings({ usageLocation: 'US' }), 'Federated', 'JP').usageLocation).toBe('US');
    expect(writeSettingsOf(settings(), 'Federated', null).usageLocation).toBeNull();
  });

  it('counts the new users of a managed domain who cannot sign in yet (not restores, not federated)', () => {
    expect(newUsersWithoutCredentials(plan)).toBe(1);
    const federated = buildPlan(
      snapshot({
        authenticationType: 'Federated',
        source: [{ userPrincipalName: `new@${DOMAIN}`, immutableId: 'TkVX', displayName: 'New' }],
      }),
      settings(),
      meta,
    );
    expect(newUsersWithoutCredentials(federated)).toBe(0);
  });
});

describe('soft-deleted users as Graph lists them', () => {
  it('derives the original UPN from <object id without dashes><original UPN>', () => {
    const id = '4f2d1c3b-aa10-4bcd-9e8f-0123456789ab';
    expect(originalUpnOfDeleted({ id, userPrincipalName: `4f2d1c3baa104bcd9e8f0123456789abtaro@${DOMAIN}` })).toBe(
      `taro@${DOMAIN}`,
    );
    expect(originalUpnOfDeleted({ id, userPrincipalName: `4F2D1C3BAA104BCD9E8F0123456789ABtaro@${DOMAIN}` })).toBe(
      `taro@${DOMAIN}`,
    );
    // Already the original form, or a local part that merely starts like the id: left as it is.
    expect(originalUpnOfDeleted({ id, userPrincipalName: `taro@${DOMAIN}` })).toBe(`taro@${DOMAIN}`);
    expect(originalUpnOfDeleted({ id, userPrincipalName: `4f2d1c3baa104bcd9e8f0123456789ab@${DOMAIN}` })).toBe(
      `4f2d1c3baa104bcd9e8f0123456789ab@${DOMAIN}`,
    );
  });

  it('sets a usage location only where there is none, and never when it was not read', () => {
    const p = buildPlan(
      snapshot({
        source: ['a', 'b', 'c'].map((l) => ({
          userPrincipalName: `${l}@${DOMAIN}`,
          immutableId: l.toUpperCase(),
          displayName: l,
        })),
        entra: [
          entraUser({
            id: 'a',
            userPrincipalName: `a@${DOMAIN}`,
            displayName: 'a',
            mailNickname: 'a',
            onPremisesImmutableId: 'A',
            usageLocation: null,
          }),
          entraUser({
            id: 'b',
            userPrincipalName: `b@${DOMAIN}`,
            displayName: 'b',
            mailNickname: 'b',
            onPremisesImmutableId: 'B',
            usageLocation: 'US',
          }),
          entraUser({
            id: 'c',
            userPrincipalName: `c@${DOMAIN}`,
            displayName: 'c',
            mailNickname: 'c',
            onPremisesImmutableId: 'C',
          }),
        ],
      }),
      settings({ usageLocation: 'jp' }),
      meta,
    );
    expect(p.changes.map((c) => `${c.action}:${c.upn.split('@')[0]}`)).toEqual([
      'Update:a',
      'NoChange:b',
      'NoChange:c',
    ]);
    const a = p.changes[0];
    expect(a?.action === 'Update' && a.changes).toEqual([{ attribute: 'usageLocation', before: null, after: 'JP' }]);
  });
});
