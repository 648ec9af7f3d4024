// Example-based tests of the diff: matching, adopt, restore, skip reasons, conflicts, rename chains, delete modes.
import { describe, expect, it } from 'vitest';
import { diff } from '../../src/sync/diff.js';
import type { Change, SourceUser } from '../../src/sync/model.js';
import { DOMAIN, entraUser, settings, snapshot } from './fixtures.js';

const src = (local: string, id: string, extra: Partial<SourceUser> = {}): SourceUser => ({
  userPrincipalName: `${local}@${DOMAIN}`,
  immutableId: id,
  displayName: local.toUpperCase(),
  ...extra,
});
const synced = (id: string, local: string, immutableId: string | null, extra = {}) =>
  entraUser({
    id,
    userPrincipalName: `${local}@${DOMAIN}`,
    onPremisesImmutableId: immutableId,
    displayName: local.toUpperCase(),
    mailNickname: local,
    ...extra,
  });
const byUpn = (changes: Change[], upn: string) => changes.filter((c) => c.upn.toLowerCase() === upn.toLowerCase());

describe('diff', () => {
  it('adds, updates attribute by attribute, deletes and leaves equal users alone', () => {
    const changes = diff(
      snapshot({
        source: [src('a', 'IA'), src('b', 'IB', { jobTitle: 'Lead' }), src('c', 'IC')],
        entra: [synced('1', 'b', 'IB', { jobTitle: 'Dev' }), synced('2', 'c', 'IC'), synced('3', 'old', 'IO')],
      }),
      settings(),
    );
    expect(changes.find((c) => c.upn === `a@${DOMAIN}`)).toMatchObject({ action: 'Add', restoreId: null });
    expect(changes.find((c) => c.upn === `b@${DOMAIN}`)).toEqual({
      action: 'Update',
      entraId: '1',
      upn: `b@${DOMAIN}`,
      immutableId: 'IB',
      adopt: false,
      changes: [{ attribute: 'jobTitle', before: 'Dev', after: 'Lead' }],
    });
    expect(changes.find((c) => c.upn === `c@${DOMAIN}`)?.action).toBe('NoChange');
    expect(changes.find((c) => c.upn === `old@${DOMAIN}`)).toMatchObject({
      action: 'Delete',
      entraId: '3',
      mode: 'delete',
    });
  });

  it('never compares or clears attributes the source leaves undefined; null clears', () => {
    const entra = [synced('1', 'b', 'IB', { jobTitle: 'Dev', department: 'Sales' })];
    const [kept] = diff(snapshot({ source: [src('b', 'IB')], entra }), settings());
    expect(kept?.action).toBe('NoChange');
    const [cleared] = diff(snapshot({ source: [src('b', 'IB', { department: null })], entra }), settings());
    expect(cleared).toMatchObject({
      action: 'Update',
      changes: [{ attribute: 'department', before: 'Sales', after: null }],
    });
  });

  it('adopts an Entra user matched by UPN (case-insensitive) that has no Immutable ID', () => {
    const [c] = diff(snapshot({ source: [src('taro', 'IT')], entra: [synced('9', 'TARO', null)] }), settings());
    expect(c).toMatchObject({ action: 'Update', entraId: '9', adopt: true });
    if (c?.action !== 'Update') throw new Error('expected an update');
    expect(c.changes).toContainEqual({ attribute: 'onPremisesImmutableId', before: null, after: 'IT' });
  });

  it('skips a UPN taken by an Entra user with a different Immutable ID, and does not delete that user', () => {
    const changes = diff(snapshot({ source: [src('a', 'NEW')], entra: [synced('1', 'a', 'OLD')] }), settings());
    expect(changes).toHaveLength(2);
    expect(changes.every((c) => c.action === 'Skip' && c.reason === 'conflict')).toBe(true);
  });

  it('skips protected (by UPN or id), AD-synced, guest and admin-role users with the reason', () => {
    const changes = diff(
      snapshot({
        source: [src('p', 'IP'), src('s', 'IS')],
        entra: [
          synced('1', 'p', 'IP', { jobTitle: 'x' }),
          synced('2', 's', 'IS', { onPremisesSyncEnabled: true }),
          synced('3', 'g', null, { userType: 'Guest' }),
          synced('4', 'adm', null),
          synced('5', 'keep', null),
        ],
        adminIds: new Set(['4']),
      }),
      settings({ protectedAccounts: [`P@${DOMAIN.toUpperCase()}`, '5'] }),
    );
    const reason = (upn: string) => {
      const c = byUpn(changes, `${upn}@${DOMAIN}`)[0];
      return c?.action === 'Skip' ? c.reason : c?.action;
    };
    expect(reason('p')).toBe('protected');
    expect(reason('s')).toBe('ad-synced');
    expect(reason('g')).toBe('guest');
    expect(reason('adm')).toBe('admin-role');
    expect(reason('keep')).toBe('protected');
  });

  it('skips duplicate source Immutable IDs and keeps the matching Entra user out of deletes', () => {
    const changes = diff(
      snapshot({ source: [src('a', 'X'), src('b', 'X')], entra: [synced('1', 'a', 'X')] }),
      settings(),
    );
    expect(changes.map((c) => c.action)).toEqual(['Skip', 'Skip', 'Skip']);
  });

  it('reports an invalid source user as Skip invalid with the field named, keeping its Entra match', () => {
    const changes = diff(
      snapshot({ source: [src('a', 'IA', { displayName: '' })], entra: [synced('1', 'a', 'IA')] }),
      settings(),
    );
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ action: 'Skip', reason: 'invalid', entraId: '1' });
    if (changes[0]?.action === 'Skip') expect(changes[0].note).toContain('displayName');
  });

  it('restores a soft-deleted user with the same Immutable ID instead of creating a new one', () => {
    const [c] = diff(
      snapshot({
        source: [src('a', 'IA')],
        deleted: [
          { id: 'old1', userPrincipalName: `a@${DOMAIN}`, onPremisesImmutableId: 'IA', deletedDateTime: '2026-01-01' },
          { id: 'old2', userPrincipalName: `a@${DOMAIN}`, onPremisesImmutableId: 'IA', deletedDateTime: '2026-02-01' },
        ],
      }),
      settings(),
    );
    expect(c).toMatchObject({ action: 'Add', restoreId: 'old2' });
  });

  it('with onDelete disable, an already disabled user is NoChange', () => {
    const changes = diff(
      snapshot({ entra: [synced('1', 'a', 'IA', { accountEnabled: false }), synced('2', 'b', 'IB')] }),
      settings({ onDelete: 'disable' }),
    );
    expect(changes.map((c) => c.action).sort()).toEqual(['Delete', 'NoChange']);
    expect(changes.find((c) => c.action === 'Delete')).toMatchObject({ mode: 'disable', entraId: '2' });
  });

  it('follows a chain of renames, and turns a cycle of renames into conflicts', () => {
    const chain = diff(
      snapshot({
        source: [src('b', 'IA'), src('c', 'IB')],
        entra: [synced('1', 'a', 'IA'), synced('2', 'b', 'IB')],
      }),
      settings(),
    );
    expect(chain.map((c) => c.action)).toEqual(['Update', 'Update']);
    const cycle = diff(
      snapshot({
        source: [src('b', 'IA'), src('a', 'IB')],
        entra: [synced('1', 'a', 'IA'), synced('2', 'b', 'IB')],
      }),
      settings(),
    );
    expect(cycle.map((c) => (c.action === 'Skip' ? c.reason : c.action))).toEqual(['conflict', 'conflict']);
  });

  it('is independent of input order', () => {
    const snap = snapshot({
      source: [src('a', 'IA'), src('b', 'IB', { jobTitle: 'x' }), src('c', 'IC')],
      entra: [synced('1', 'b', 'IB'), synced('2', 'z', null), synced('3', 'c', null)],
    });
    const sort = (cs: Change[]) => cs.map((c) => JSON.stringify(c)).sort();
    const reversed = { ...snap, source: [...snap.source].reverse(), entra: [...snap.entra].reverse() };
    expect(sort(diff(reversed, settings()))).toEqual(sort(diff(snap, settings())));
  });

  it('handles 100,000 users per side in linear time', () => {
    const source: SourceUser[] = [];
    const entra = [];
    for (let i = 0; i < 100_000; i++) {
      source.push(src(`u${i}`, `I${i}`));
      entra.push(synced(`e${i}`, `u${i}`, `I${i}`, { displayName: i % 3 === 0 ? 'old' : `U${i}` }));
    }
    const started = performance.now();
    const changes = diff(snapshot({ source, entra }), settings());
    const ms = performance.now() - started;
    expect(changes).toHaveLength(100_000);
    expect(ms).toBeLessThan(15_000);
  });
});
