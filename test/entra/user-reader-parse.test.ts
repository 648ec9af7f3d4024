// toEntraUser: a Graph user object from a page becomes an EntraUser (proxy addresses without copies, non-strings dropped).
import { describe, expect, it } from 'vitest';
import { toEntraUser } from '../../src/entra/user-reader.js';

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
});
