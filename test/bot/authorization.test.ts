// Authorization: listed admins, live Global Administrators (cached briefly), everyone else refused with who can act.
import { describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../src/bot/authorization.js';
import { checkTenant } from '../../src/bot/tenant-filter.js';

describe('createAuthorizer', () => {
  const setup = (admins: Set<string>, listed: string[] = []) => {
    let t = 0;
    const calls: string[] = [];
    const auth = createAuthorizer({
      adminIds: listed,
      isGlobalAdmin: async (id) => {
        calls.push(id);
        return admins.has(id);
      },
      ttlMs: 1000,
      now: () => t,
    });
    return { auth, calls, advance: (ms: number) => (t += ms) };
  };

  it('allows listed ids without asking Graph, case-insensitively', async () => {
    const { auth, calls } = setup(new Set(), ['AAAA-1']);
    expect(await auth.check('aaaa-1')).toEqual({ allowed: true, via: 'admin-list' });
    expect(calls).toEqual([]);
  });

  it('allows Global Administrators and caches the answer for the TTL only', async () => {
    const admins = new Set(['ga']);
    const { auth, calls, advance } = setup(admins);
    expect(await auth.check('ga')).toEqual({ allowed: true, via: 'global-admin' });
    expect(await auth.check('ga')).toMatchObject({ allowed: true });
    expect(calls).toEqual(['ga']);
    admins.delete('ga');
    advance(1001);
    const after = await auth.check('ga');
    expect(after.allowed).toBe(false);
    expect(calls).toEqual(['ga', 'ga']);
  });

  it('refuses everyone else, saying who can act', async () => {
    const { auth } = setup(new Set());
    const r = await auth.check('someone');
    expect(r.allowed).toBe(false);
    if (!r.allowed) {
      expect(r.reason).toContain('Global Administrator');
      expect(r.reason).toContain('ADMIN_AAD_OBJECT_IDS');
    }
    expect((await auth.check(null)).allowed).toBe(false);
    expect((await auth.check('')).allowed).toBe(false);
  });

  it('refuses (and does not cache) when Graph cannot answer', async () => {
    let fail = true;
    const auth = createAuthorizer({
      adminIds: [],
      isGlobalAdmin: async () => {
        if (fail) throw new Error('graph down');
        return true;
      },
    });
    const r = await auth.check('ga');
    expect(r.allowed).toBe(false);
    if (!r.allowed) expect(r.reason).toContain('could not check');
    fail = false;
    expect((await auth.check('ga')).allowed).toBe(true);
  });
});

describe('checkTenant', () => {
  const act = (channelTenant?: string, convTenant?: string) => ({
    channelData: channelTenant ? { tenant: { id: channelTenant } } : {},
    conversation: convTenant ? { tenantId: convTenant } : {},
  });
  it('allows listed tenants from channelData or conversation, case-insensitively', () => {
    expect(checkTenant(act('T1'), ['t1']).allowed).toBe(true);
    expect(checkTenant(act(undefined, 't1'), ['T1']).allowed).toBe(true);
  });
  it('rejects other tenants, missing tenants and conflicting ids', () => {
    expect(checkTenant(act('t2'), ['t1']).allowed).toBe(false);
    expect(checkTenant(act(), ['t1']).allowed).toBe(false);
    expect(checkTenant(act('t1', 't2'), ['t1']).allowed).toBe(false);
  });
  it('an empty list (local mode only) serves any tenant', () => {
    expect(checkTenant(act('anything'), []).allowed).toBe(true);
  });
});

describe('live re-check before writes', () => {
  it('a demoted administrator is refused a write at once, although the cached answer would still allow reads', async () => {
    const admins = new Set(['ga']);
    const calls: string[] = [];
    const auth = createAuthorizer({
      adminIds: [],
      isGlobalAdmin: async (id) => {
        calls.push(id);
        return admins.has(id);
      },
      ttlMs: 5 * 60_000,
    });
    expect((await auth.check('ga')).allowed).toBe(true);
    admins.delete('ga');
    expect((await auth.check('ga')).allowed).toBe(true);
    expect(calls).toEqual(['ga']);
    expect((await auth.check('ga', { live: true })).allowed).toBe(false);
    expect(calls).toEqual(['ga', 'ga']);
    // The live answer also refreshes the cache used for reads.
    expect((await auth.check('ga')).allowed).toBe(false);
  });
});
