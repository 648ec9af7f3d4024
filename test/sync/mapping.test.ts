// Tests of the source → Entra mapping and of Graph's rules for user properties.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attributeChanges } from '../../src/sync/diff-values.js';
import { deriveImmutableId } from '../../src/sync/immutable-id.js';
import {
  isManaged,
  isValidUpnSyntax,
  mailNicknameFor,
  managedAttributes,
  toDesired,
  validateSourceUser,
} from '../../src/sync/mapping.js';
import { type AttributeValue, type EntraUser, SYNCED_ATTRIBUTES, type SourceUser } from '../../src/sync/model.js';
import { DOMAIN } from './fixtures.js';

const user = (extra: Partial<SourceUser> = {}): SourceUser => ({
  userPrincipalName: `taro.yamada@${DOMAIN}`,
  immutableId: 'abc123==',
  displayName: '山田 太郎',
  ...extra,
});

describe('mapping', () => {
  it('maps required attributes, derives mailNickname, defaults accountEnabled to true', () => {
    const d = toDesired(user({ givenName: '太郎', mail: '' }), DOMAIN);
    expect(d).toMatchObject({
      userPrincipalName: `taro.yamada@${DOMAIN}`,
      displayName: '山田 太郎',
      mailNickname: 'taro.yamada',
      onPremisesImmutableId: 'abc123==',
      givenName: '太郎',
      mail: null,
      accountEnabled: true,
    });
    expect(managedAttributes(user({ jobTitle: null }))).toContain('jobTitle');
    expect(managedAttributes(user())).not.toContain('jobTitle');
    expect(mailNicknameFor('a b(c)@x.example')).toBe('a_b_c_');
  });

  it('accepts a good user and names each broken rule', () => {
    expect(validateSourceUser(user(), DOMAIN)).toEqual([]);
    const errors = (u: Partial<SourceUser>) => validateSourceUser(user(u), DOMAIN).join(' | ');
    expect(errors({ displayName: '' })).toContain('displayName is required');
    expect(errors({ displayName: 'x'.repeat(257) })).toContain('displayName is longer than 256');
    expect(errors({ givenName: 'x'.repeat(65) })).toContain('givenName is longer than 64');
    expect(errors({ surname: 'x'.repeat(65) })).toContain('surname is longer than 64');
    expect(errors({ jobTitle: 'x'.repeat(129) })).toContain('jobTitle is longer than 128');
    expect(errors({ jobTitle: 'x'.repeat(128) })).toBe('');
    expect(errors({ department: 'x'.repeat(65) })).toContain('department is longer than 64');
    expect(errors({ employeeId: 'x'.repeat(17) })).toContain('employeeId is longer than 16');
    expect(errors({ userPrincipalName: 'taro@other.example' })).toContain('not in the domain');
    expect(errors({ userPrincipalName: 'tarō@contoso.co.jp' })).toContain('not a valid UPN');
    expect(errors({ userPrincipalName: `${'a'.repeat(65)}@${DOMAIN}` })).toContain('not a valid UPN');
    expect(errors({ userPrincipalName: `.a@${DOMAIN}` })).toContain('not a valid UPN');
    expect(errors({ immutableId: 'a_b' })).toContain('must not contain $, _');
    expect(errors({ immutableId: 'a$b' })).toContain('must not contain $, _');
    expect(errors({ mail: 'not-an-address' })).toContain('mail');
    expect(errors({ userPrincipalName: `Taro@${DOMAIN.toUpperCase()}` })).toBe('');
  });

  it('judges the alias of a UPN up to its @ only, and its domain case-insensitively', () => {
    const valid = (upn: string, known?: string) => isValidUpnSyntax(upn, known);
    expect(valid(`${'a'.repeat(64)}@${DOMAIN}`)).toBe(true);
    expect(valid(`${'a'.repeat(65)}@${DOMAIN}`)).toBe(false);
    expect(valid(`a.b@${DOMAIN}`)).toBe(true);
    expect(valid(`a..b@${DOMAIN}`)).toBe(false);
    expect(valid(`ab.@${DOMAIN}`)).toBe(false);
    expect(valid(`.ab@${DOMAIN}`)).toBe(false);
    expect(valid(`a'b-c_d!e#f^g~h@${DOMAIN}`)).toBe(true);
    expect(valid(`a b@${DOMAIN}`)).toBe(false);
    expect(valid(`a@b@${DOMAIN}`)).toBe(false);
    expect(valid(`@${DOMAIN}`)).toBe(false);
    // Two dots after the @ are the domain's business (not a domain name), not the alias's.
    expect(valid('ab@x..example', 'x..example')).toBe(true);
    expect(valid('ab@x..example')).toBe(false);
    expect(valid(`ab@${DOMAIN.toUpperCase()}`, DOMAIN)).toBe(true);
    expect(valid('ab@EXAMPLE.ORG', 'example.org')).toBe(true);
    // The mail nickname is a valid alias as it is (at most 64 characters), else repaired.
    expect(mailNicknameFor(`a.b@${DOMAIN}`)).toBe('a.b');
    expect(mailNicknameFor(`${'x'.repeat(70)}@${DOMAIN}`)).toBe('x'.repeat(64));
    expect(mailNicknameFor('.a..b.@x.example')).toBe('a.b');
    expect(mailNicknameFor('a@b@x.example')).toBe('a_b');
    expect(mailNicknameFor('tarō@x.example')).toBe('tar_');
    expect(mailNicknameFor('abc')).toBe('abc');
    expect(validateSourceUser(user({ userPrincipalName: `a@sub.${DOMAIN}` }), DOMAIN).join()).toContain(
      'not in the domain',
    );
  });

  it('lists exactly the managed attributes that differ, in SYNCED_ATTRIBUTES order', () => {
    const text = fc.constantFrom<string | null | undefined>(undefined, null, '', ' ', 'a', 'b');
    const entraText = fc.constantFrom<string | null>(null, '', 'a', 'b', ' ');
    const optional = { givenName: text, surname: text, mail: text, jobTitle: text, department: text };
    fc.assert(
      fc.property(
        fc.record({
          ...optional,
          employeeId: text,
          mobilePhone: text,
          accountEnabled: fc.constantFrom(undefined, true, false),
        }),
        fc.record({
          givenName: entraText,
          surname: entraText,
          mail: entraText,
          jobTitle: entraText,
          department: entraText,
          employeeId: entraText,
          mobilePhone: entraText,
          displayName: entraText,
          mailNickname: fc.constantFrom(null, 'taro.yamada', 'taro'),
          onPremisesImmutableId: fc.constantFrom(null, 'abc123==', 'other'),
          userPrincipalName: fc.constantFrom(`taro.yamada@${DOMAIN}`, `TARO.yamada@${DOMAIN}`),
          accountEnabled: fc.constantFrom(null, true, false),
        }),
        (sourceExtra, entraValues) => {
          const source = Object.fromEntries(
            Object.entries({ ...user(), ...sourceExtra }).filter(([, v]) => v !== undefined),
          ) as unknown as SourceUser;
          const entra = { id: 'e1', onPremisesSyncEnabled: false, userType: 'Member', ...entraValues } as EntraUser;
          const desired = toDesired(source, DOMAIN);
          const blank = (v: AttributeValue | undefined) => (v === undefined || v === '' ? null : v);
          const expected = SYNCED_ATTRIBUTES.filter((a) => isManaged(source, a))
            .map((attribute) => ({ attribute, before: blank(entra[attribute]), after: desired[attribute] }))
            .filter((c) => c.before !== c.after);
          expect(attributeChanges(entra, source, desired)).toEqual(expected);
        },
      ),
      { seed: 12, numRuns: 2000 },
    );
  });
});

describe('deriveImmutableId', () => {
  it('is deterministic, salted, Graph-valid and short', () => {
    const a = deriveImmutableId('ac-user-000123');
    expect(deriveImmutableId(' ac-user-000123 ')).toBe(a);
    expect(deriveImmutableId('ac-user-000124')).not.toBe(a);
    expect(deriveImmutableId('ac-user-000123', 'tenant-b')).not.toBe(a);
    for (let i = 0; i < 2000; i++) {
      const id = deriveImmutableId(`key-${i}`);
      expect(id).toMatch(/^[A-Za-z0-9+/]{24}$/);
    }
    expect(validateSourceUser(user({ immutableId: a }), DOMAIN)).toEqual([]);
    expect(() => deriveImmutableId('  ')).toThrow(/empty/);
  });
});
