// Tests of the source → Entra mapping and of Graph's rules for user properties.
import { describe, expect, it } from 'vitest';
import { deriveImmutableId } from '../../src/sync/immutable-id.js';
import { mailNicknameFor, managedAttributes, toDesired, validateSourceUser } from '../../src/sync/mapping.js';
import type { SourceUser } from '../../src/sync/model.js';
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
