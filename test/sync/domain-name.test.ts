import { describe, expect, it } from 'vitest';
import { isDomainName, normaliseDomain, parseDomainName, requireDomainName } from '../../src/sync/domain-name.js';

describe('normaliseDomain (lookup form, not validated)', () => {
  it('trims, drops one leading @ and one trailing dot, lower-cases', () => {
    expect(normaliseDomain('  @Contoso.CO.JP.  ')).toBe('contoso.co.jp');
    expect(normaliseDomain('contoso.co.jp..')).toBe('contoso.co.jp.');
    expect(normaliseDomain('@@contoso.co.jp')).toBe('@contoso.co.jp');
  });
  it('leaves a name that is not a domain as a key that matches no configured domain', () => {
    expect(normaliseDomain('Not A Domain')).toBe('not a domain');
    expect(normaliseDomain('')).toBe('');
  });
});

describe('parseDomainName (the one rule set)', () => {
  it('accepts the forms every former normaliser accepted, with the same result', () => {
    expect(parseDomainName('contoso.co.jp')).toBe('contoso.co.jp');
    expect(parseDomainName('PREVIEW.Contoso.CO.JP')).toBe('preview.contoso.co.jp');
    expect(parseDomainName(' @fabrikam.com ')).toBe('fabrikam.com');
    expect(parseDomainName('a-b.c1.example')).toBe('a-b.c1.example');
  });

  it('removes a trailing dot (the user reader used to refuse it, the logs command too)', () => {
    expect(parseDomainName('contoso.co.jp.')).toBe('contoso.co.jp');
    expect(requireDomainName('Contoso.co.jp.')).toBe('contoso.co.jp');
  });

  it('limits a label to 63 characters and the name to 253 (the user reader used to accept any length)', () => {
    const label63 = 'a'.repeat(63);
    expect(parseDomainName(`${label63}.jp`)).toBe(`${label63}.jp`);
    expect(parseDomainName(`${label63}a.jp`)).toBeNull();
    const name253 = [label63, label63, label63, 'a'.repeat(61)].join('.');
    expect(name253).toHaveLength(253);
    expect(parseDomainName(name253)).toBe(name253);
    expect(parseDomainName(`${name253}.`)).toBe(name253);
    expect(parseDomainName(`a${name253}`)).toBeNull();
  });

  it('refuses what is not a DNS name of at least two labels', () => {
    for (const bad of [
      undefined,
      '',
      ' ',
      '@',
      'localhost',
      'contoso.co.jp..',
      '.contoso.co.jp',
      'contoso..co.jp',
      '-contoso.co.jp',
      'contoso-.co.jp',
      'con_toso.co.jp',
      'contoso.co.jp/path',
      'user@contoso.co.jp',
      'not a domain',
    ]) {
      expect(parseDomainName(bad), String(bad)).toBeNull();
    }
  });

  it('takes internationalised names only in their ASCII (A-label) form', () => {
    expect(parseDomainName('XN--R8JZ45G.jp')).toBe('xn--r8jz45g.jp');
    expect(parseDomainName('例え.jp')).toBeNull();
    expect(parseDomainName('ｃｏｎｔｏｓｏ.co.jp')).toBeNull();
  });

  it('isDomainName checks an already normalised name and does not normalise it', () => {
    expect(isDomainName('contoso.co.jp')).toBe(true);
    expect(isDomainName('Contoso.co.jp')).toBe(false);
    expect(isDomainName('contoso.co.jp.')).toBe(false);
    expect(isDomainName('@contoso.co.jp')).toBe(false);
  });

  it('requireDomainName names the field and the value it refuses', () => {
    expect(() => requireDomainName('not a domain')).toThrow('domain: "not a domain" is not a domain name');
    expect(() => requireDomainName('x', '--domain')).toThrow('--domain: "x" is not a domain name');
  });
});
