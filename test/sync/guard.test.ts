// Tests of the run guard: share of deletions, absolute cap, empty-source check and the wording of reasons.
import { describe, expect, it } from 'vitest';
import { checkGuard, deletionShare, inScopeCount } from '../../src/sync/guard.js';
import { DOMAIN, entraUser } from './fixtures.js';

const share = (count: number, inScope: number, maxPercent: number, maxCount: number | null = null) =>
  deletionShare({ delete: count }, inScope, { maxDeletionPercent: maxPercent, maxDeletionCount: maxCount });
const guard = (
  count: number,
  inScope: number,
  maxPercent: number,
  extra: Partial<Parameters<typeof checkGuard>[1]> = {},
  source = 100,
  previous: number | null = null,
) =>
  checkGuard(
    {
      deletion: share(count, inScope, maxPercent, extra.maxDeletionCount ?? null),
      sourceCount: source,
      previousSourceCount: previous,
    },
    { maxDeletionPercent: maxPercent, maxDeletionCount: null, allowSourceShrink: false, ...extra },
  );

describe('guard', () => {
  it('cancels at exactly the limit with the documented sentence', () => {
    expect(guard(70, 100, 65)).toEqual({
      ok: false,
      code: 'max-deletions',
      reason: 'cancelled: deletions 70% reached the 65% limit',
      message: { code: 'guard.maxDeletions', params: { percent: '70', max: '65' } },
    });
    expect(guard(65, 100, 65).ok).toBe(false);
    expect(guard(64, 100, 65).ok).toBe(true);
  });

  it('never shows a share that contradicts the verdict (rounded down)', () => {
    const s = share(6499, 10000, 65);
    expect(s.percent).toBe(64.9);
    expect(s.wouldCancel).toBe(false);
    expect(share(2, 3, 66.6).wouldCancel).toBe(true);
    expect(share(0, 0, 10)).toMatchObject({ percent: 0, wouldCancel: false });
  });

  it('applies the absolute cap', () => {
    expect(guard(3, 1000, 10, { maxDeletionCount: 2 })).toMatchObject({ ok: false, code: 'max-count' });
    expect(guard(2, 1000, 10, { maxDeletionCount: 2 }).ok).toBe(true);
  });

  it('refuses an empty or sharply shrunk source unless allowed', () => {
    expect(guard(0, 10, 100, {}, 0)).toMatchObject({ ok: false, code: 'empty-source' });
    expect(guard(0, 10, 100, {}, 40, 100)).toMatchObject({ ok: false, code: 'empty-source' });
    expect(guard(0, 10, 100, {}, 50, 100).ok).toBe(true);
    expect(guard(0, 10, 100, { allowSourceShrink: true }, 0).ok).toBe(true);
    expect(guard(0, 0, 10, {}, 0).ok).toBe(true);
  });

  it('counts every Entra user of the domain except guests as in scope', () => {
    const users = [
      entraUser({ id: '1', userPrincipalName: `a@${DOMAIN}` }),
      entraUser({ id: '2', userPrincipalName: `b@${DOMAIN}`, onPremisesSyncEnabled: true }),
      entraUser({ id: '3', userPrincipalName: `c@${DOMAIN}`, userType: 'Guest' }),
    ];
    expect(inScopeCount({ entra: users })).toBe(2);
  });
});
