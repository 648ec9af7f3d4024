// The fingerprints fed part by part (EntraFingerprintFeed, SourceFingerprintFeed) equal the ones over the listed users.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prng } from '../../src/emulator/faults.js';
import {
  EntraFingerprintFeed,
  entraFingerprint,
  SourceFingerprintFeed,
  sourceFingerprint,
} from '../../src/sync/fingerprint.js';
import { inScopeCount } from '../../src/sync/guard.js';
import type { DeletedEntraUser, EntraUser } from '../../src/sync/model.js';
import { DOMAIN, entraUser, entraUsersArb, graphDeletedUpn, sourceUserArb } from './fixtures.js';

/** Feeds `pages` in order and returns the feed's fingerprint and counts. */
function fed(pages: readonly (readonly EntraUser[])[], deleted: readonly DeletedEntraUser[], admins: Set<string>) {
  const feed = new EntraFingerprintFeed();
  for (const page of pages) feed.add(page);
  return { print: feed.finish(deleted, admins), count: feed.count, inScope: feed.inScopeCount };
}

/** What EntraReader.listUsers returns for the same pages: one user per id, the last page's version. */
function gathered(pages: readonly (readonly EntraUser[])[]): EntraUser[] {
  const byId = new Map<string, EntraUser>();
  for (const page of pages) for (const u of page) byId.set(u.id, u);
  return [...byId.values()];
}

/**
 * `n` users in pages of 999 (Graph's page size) in a seeded shuffled order, with guests, admins, several or no proxy
 * addresses, fields not read (undefined), and users that a later page lists again with changed fields (a listing
 * read during writes), plus soft-deleted users, one with a field the fingerprint keeps as an extra.
 */
function generated(n: number, seed: number) {
  const r = prng(seed);
  const users: EntraUser[] = [];
  const admins = new Set<string>();
  for (let i = 0; i < n; i++) {
    const id = `${String(i).padStart(8, '0')}-0000-4000-8000-${String(Math.floor(r() * 1e12)).padStart(12, '0')}`;
    const local = `user.${i}`;
    const read = r() < 0.9;
    users.push(
      entraUser({
        id,
        userPrincipalName: `${local}@${r() < 0.05 ? DOMAIN.toUpperCase() : DOMAIN}`,
        displayName: r() < 0.1 ? null : r() < 0.2 ? '山田 "太郎", \\n' : `User ${i}`,
        givenName: r() < 0.5 ? 'Taro' : null,
        surname: r() < 0.5 ? '山田' : null,
        mailNickname: local,
        onPremisesImmutableId: r() < 0.8 ? `aW1t${i}==` : null,
        onPremisesSyncEnabled: r() < 0.05 ? true : null,
        userType: r() < 0.1 ? (r() < 0.5 ? 'Guest' : 'guest') : r() < 0.05 ? null : 'Member',
        accountEnabled: r() < 0.1 ? false : r() < 0.05 ? null : true,
        mail: r() < 0.7 ? `${local}@${DOMAIN}` : null,
        jobTitle: r() < 0.3 ? 'Engineer' : null,
        department: r() < 0.3 ? '開発部' : null,
        employeeId: r() < 0.3 ? `E${i}` : null,
        mobilePhone: r() < 0.2 ? `+81 90 ${i}` : null,
        ...(read ? { usageLocation: r() < 0.8 ? 'JP' : null } : { usageLocation: undefined }),
        ...(read
          ? {
              proxyAddresses:
                r() < 0.3
                  ? []
                  : r() < 0.5
                    ? [`SMTP:${local}@${DOMAIN}`, `smtp:${local}@alt.example`]
                    : [`SMTP:${local}@${DOMAIN}`],
            }
          : { proxyAddresses: undefined }),
      }),
    );
    if (r() < 0.02) admins.add(id);
  }
  for (let i = users.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [users[i], users[j]] = [users[j]!, users[i]!];
  }
  const pages: EntraUser[][] = [];
  for (let i = 0; i < users.length; i += 999) pages.push(users.slice(i, i + 999));
  // A later page repeats some users of earlier pages, changed (renamed, turned guest or member): the last one counts.
  const again = users
    .slice(0, 40)
    .map((u, k) =>
      entraUser({ ...u, displayName: `${u.displayName ?? ''} (again)`, userType: k % 2 === 0 ? 'Guest' : 'Member' }),
    );
  pages.push(again);
  const deleted: DeletedEntraUser[] = [];
  for (let i = 0; i < n / 20; i++) {
    const id = `${String(i).padStart(8, '0')}-d31e-4ed0-9a00-000000000000`;
    deleted.push({
      id,
      userPrincipalName: graphDeletedUpn(id, `gone.${i}@${DOMAIN}`),
      onPremisesImmutableId: r() < 0.5 ? `Z29uZQ${i}==` : null,
      deletedDateTime: '2026-11-01T00:00:00Z',
      ...(i === 0 ? { extra: 'kept' } : {}),
    } as DeletedEntraUser);
  }
  return { pages, deleted, admins };
}

describe('EntraFingerprintFeed', () => {
  it('equals entraFingerprint and the guard in-scope count over the same listing, on 5,000 generated users', () => {
    for (const seed of [1, 7, 2026]) {
      const { pages, deleted, admins } = generated(5000, seed);
      const users = gathered(pages);
      const got = fed(pages, deleted, admins);
      expect(got.print).toBe(entraFingerprint(users, deleted, admins));
      expect(got.count).toBe(users.length);
      expect(got.inScope).toBe(inScopeCount({ entra: users }));
      // The repeated users were changed: fingerprinting their first versions instead would differ.
      expect(got.print).not.toBe(entraFingerprint(pages.slice(0, -1).flat(), deleted, admins));
    }
  });

  it('equals entraFingerprint for any users split into any pages', () => {
    fc.assert(
      fc.property(entraUsersArb, fc.array(fc.nat(6), { maxLength: 3 }), fc.boolean(), (users, cuts, admin) => {
        const at = [0, ...[...cuts].sort((a, b) => a - b).map((c) => Math.min(c, users.length)), users.length];
        const pages = at.slice(1).map((end, i) => users.slice(at[i], end));
        const admins = new Set(admin && users[0] ? [users[0].id] : []);
        const got = fed(pages, [], admins);
        expect(got.print).toBe(entraFingerprint(users, [], admins));
        expect(got.inScope).toBe(inScopeCount({ entra: users }));
      }),
    );
  });

  it('changes when a user becomes an admin, as entraFingerprint does', () => {
    const { pages, deleted } = generated(300, 3);
    const first = pages[0]![0]!;
    expect(fed(pages, deleted, new Set([first.id])).print).not.toBe(fed(pages, deleted, new Set()).print);
  });
});

describe('SourceFingerprintFeed', () => {
  it('equals sourceFingerprint for any users split into any parts, and forgets what came before a restart', () => {
    fc.assert(
      fc.property(
        fc.array(sourceUserArb, { maxLength: 30 }),
        fc.array(fc.nat(30), { maxLength: 3 }),
        fc.array(sourceUserArb, { minLength: 1, maxLength: 5 }),
        (users, cuts, before) => {
          const at = [0, ...[...cuts].sort((a, b) => a - b).map((c) => Math.min(c, users.length)), users.length];
          const feed = new SourceFingerprintFeed();
          // A listing that started again (the domain was replaced while it was read): the first parts are dropped.
          feed.add(before);
          feed.reset();
          for (let i = 1; i < at.length; i++) feed.add(users.slice(at[i - 1], at[i]));
          expect(feed.count).toBe(users.length);
          expect(feed.finish()).toBe(sourceFingerprint(users));
        },
      ),
    );
  });

  it('changes when one field of one user changes, as sourceFingerprint does', () => {
    fc.assert(
      fc.property(fc.array(sourceUserArb, { minLength: 1, maxLength: 20 }), (users) => {
        const changed = [{ ...users[0]!, jobTitle: `${users[0]!.jobTitle ?? ''}x` }, ...users.slice(1)];
        const feed = new SourceFingerprintFeed();
        feed.add(changed);
        expect(feed.finish()).toBe(sourceFingerprint(changed));
        expect(feed.finish()).not.toBe(sourceFingerprint(users));
      }),
    );
  });
});
