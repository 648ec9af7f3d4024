// toEntraUser: a Graph user object from a page becomes an EntraUser (the row itself when well-formed, else a checked copy).
import { describe, expect, it } from 'vitest';
import { ENTRA_USER_SELECT, toEntraUser } from '../../src/entra/user-rows.js';

const raw = (extra: Record<string, unknown>) => ({
  id: 'u1',
  userPrincipalName: 'taro@contoso.co.jp',
  displayName: '山田 太郎',
  accountEnabled: true,
  onPremisesSyncEnabled: null,
  usageLocation: 'JP',
  ...extra,
});

describe('toEntraUser', () => {
  it("keeps the page's string proxy addresses as they are and drops anything else Graph would never send", () => {
    expect(
      toEntraUser(raw({ proxyAddresses: ['SMTP:taro@contoso.co.jp', 'smtp:t@contoso.co.jp'] })).proxyAddresses,
    ).toEqual(['SMTP:taro@contoso.co.jp', 'smtp:t@contoso.co.jp']);
    expect(toEntraUser(raw({ proxyAddresses: ['SMTP:a@contoso.co.jp', 7, null] })).proxyAddresses).toEqual([
      'SMTP:a@contoso.co.jp',
    ]);
  });

  it('gives a user without addresses an empty list that cannot be changed through it', () => {
    for (const proxyAddresses of [undefined, null, [], 'SMTP:x@contoso.co.jp']) {
      const list = toEntraUser(raw({ proxyAddresses })).proxyAddresses;
      expect(list).toEqual([]);
      expect(Object.isFrozen(list)).toBe(true);
    }
  });

  it('reads every selected field, with null for what is missing or of another type', () => {
    expect(toEntraUser(raw({ givenName: 5 }))).toEqual({
      id: 'u1',
      userPrincipalName: 'taro@contoso.co.jp',
      displayName: '山田 太郎',
      givenName: null,
      surname: null,
      mailNickname: null,
      onPremisesImmutableId: null,
      onPremisesSyncEnabled: null,
      userType: null,
      accountEnabled: true,
      mail: null,
      jobTitle: null,
      department: null,
      employeeId: null,
      mobilePhone: null,
      usageLocation: 'JP',
      proxyAddresses: [],
    });
  });

  /** A row as Graph sends it for the reader's `$select`: every selected property, null where the user has none. */
  const graphRow = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    ...Object.fromEntries(ENTRA_USER_SELECT.map((p) => [p, null])),
    id: 'u1',
    userPrincipalName: 'taro@contoso.co.jp',
    accountEnabled: true,
    proxyAddresses: ['SMTP:taro@contoso.co.jp'],
    ...extra,
  });

  it('hands a well-formed row over as it is, with the same fields a copy would have', () => {
    const row = graphRow({ displayName: '山田 太郎', onPremisesSyncEnabled: false, usageLocation: 'JP' });
    const expected = { ...row };
    const user = toEntraUser(row);
    expect(user).toBe(row);
    expect(user).toEqual(expected);
    const bare = graphRow({ proxyAddresses: [] });
    expect(toEntraUser(bare)).toBe(bare);
    expect(Object.isFrozen(toEntraUser(bare).proxyAddresses)).toBe(true);
  });

  it('copies a row with a property it did not select, one missing, or one of another type', () => {
    const cases: Record<string, unknown>[] = [
      graphRow({ '@odata.type': '#microsoft.graph.user' }),
      (({ mobilePhone: _, ...rest }) => rest)(graphRow()),
      graphRow({ givenName: 5 }),
      graphRow({ accountEnabled: 'true' }),
      graphRow({ id: 7 }),
      graphRow({ proxyAddresses: ['SMTP:a@contoso.co.jp', 7] }),
      graphRow({ proxyAddresses: null }),
    ];
    for (const row of cases) {
      const user = toEntraUser(row);
      expect(user).not.toBe(row);
      expect(Object.keys(user).sort()).toEqual([...ENTRA_USER_SELECT].sort());
    }
    expect(toEntraUser(cases[2]!).givenName).toBeNull();
    expect(toEntraUser(cases[3]!).accountEnabled).toBeNull();
    expect(toEntraUser(cases[4]!).id).toBe('7');
    expect(toEntraUser(cases[5]!).proxyAddresses).toEqual(['SMTP:a@contoso.co.jp']);
  });
});
