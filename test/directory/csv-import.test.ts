// CSV import parsing and validation: encodings, Access Control headers, RFC 4180, line numbers, derived IDs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { normaliseHeader, parseDirectoryCsv, stableKeyOf } from '../../src/directory/csv-import.js';
import { deriveImmutableId } from '../../src/sync/immutable-id.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '..', 'fixtures', 'directory', name));
const utf8 = (text: string) => new TextEncoder().encode(text);

describe('parseDirectoryCsv', () => {
  it("reads Access Control's own export headers, quoted fields across lines, and groups users by domain", () => {
    const result = parseDirectoryCsv(fixture('users-utf8.csv'));
    expect(result.errors).toEqual([]);
    expect(result.encoding).toBe('utf-8');
    expect(result.totalRows).toBe(4);
    expect([...result.users.keys()].sort()).toEqual(['contoso.co.jp', 'fabrikam.com']);
    const contoso = result.users.get('contoso.co.jp')!;
    expect(contoso.map((u) => u.userPrincipalName)).toEqual([
      'hanako.yamada@contoso.co.jp',
      'taro.suzuki@contoso.co.jp',
      'jiro.sato@contoso.co.jp',
    ]);
    expect(contoso[0]).toEqual({
      userPrincipalName: 'hanako.yamada@contoso.co.jp',
      immutableId: 'aGFuYWtvLXlhbWFkYQ==',
      displayName: '山田 花子',
      givenName: '花子',
      surname: '山田',
      username: 'hyamada',
      department: '営業部',
      jobTitle: 'マネージャー',
      employeeId: 'E1001',
      accountEnabled: true,
    });
    expect(contoso[1]!.department).toBe('開発部\r\n第二課');
    expect(contoso[1]!.accountEnabled).toBe(true);
    expect(contoso[2]!.displayName).toBe('佐藤 次郎, "Jiro"');
    expect(contoso[2]!.accountEnabled).toBe(false);
    // Line numbers are physical lines: the quoted field of line 3 spans into line 4.
    expect(result.rows.map((r) => r.line)).toEqual([2, 3, 5, 6]);
  });

  it('derives a missing Immutable ID from the best stable key: username, then employee id, then UPN', () => {
    const result = parseDirectoryCsv(fixture('users-utf8.csv'));
    const [hanako, taro, jiro] = result.users.get('contoso.co.jp')!;
    expect(result.rows[0]!.idDerived).toBe(false);
    expect(taro!.immutableId).toBe(deriveImmutableId('username:tsuzuki'));
    expect(jiro!.immutableId).toBe(deriveImmutableId('employeeId:E1003'));
    expect(hanako!.immutableId).toBe('aGFuYWtvLXlhbWFkYQ==');
    expect(stableKeyOf({ userPrincipalName: 'A@B.C', username: null, employeeId: null })).toBe('upn:a@b.c');
    const salted = parseDirectoryCsv(fixture('users-utf8.csv'), { tenantSalt: 'tenant-1' });
    expect(salted.users.get('contoso.co.jp')![1]!.immutableId).toBe(deriveImmutableId('username:tsuzuki', 'tenant-1'));
    expect(salted.users.get('contoso.co.jp')![1]!.immutableId).not.toBe(taro!.immutableId);
  });

  it('reads UTF-8 with a BOM, and "Email" means mail when a UPN column exists', () => {
    const result = parseDirectoryCsv(fixture('users-bom.csv'));
    expect(result.errors).toEqual([]);
    const users = result.users.get('contoso.co.jp')!;
    expect(users[0]!.userPrincipalName).toBe('hanako.yamada@contoso.co.jp'); // no BOM glued to the header
    expect(users[0]!.mail).toBe('hanako@contoso.co.jp');
    expect(users[1]!.mail).toBeNull();
    const emailAsUpn = parseDirectoryCsv(utf8('Email,Given name,Family name,Display name\nx@contoso.co.jp,X,Y,X Y\n'));
    expect(emailAsUpn.users.get('contoso.co.jp')![0]!.userPrincipalName).toBe('x@contoso.co.jp');
  });

  it('reads Shift_JIS (CP932) exports with Japanese names intact', () => {
    const text =
      'ログインID,Given name,Family name,Display name,UPN,部署\r\n' +
      'x,髙橋,﨑山,﨑山 髙橋 ①,takahashi@contoso.co.jp,経理部\r\n';
    // Header aliases include English only; this file also has unknown Japanese columns, which are ignored.
    const bytes = iconv.encode(text, 'cp932');
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toThrow();
    const result = parseDirectoryCsv(bytes);
    expect(result.encoding).toBe('cp932');
    expect(result.errors).toEqual([]);
    expect(result.users.get('contoso.co.jp')![0]).toMatchObject({
      userPrincipalName: 'takahashi@contoso.co.jp',
      givenName: '髙橋',
      surname: '﨑山',
      displayName: '﨑山 髙橋 ①',
    });
  });

  it('reports every bad row with its physical line and field, and accepts only the good ones', () => {
    const result = parseDirectoryCsv(fixture('users-bad.csv'));
    expect(result.totalRows).toBe(11);
    expect(result.rows.map((r) => r.user.userPrincipalName)).toEqual(['ok.user@contoso.co.jp']);
    const summary = result.errors.map((e) => `${e.line} ${e.field}`);
    expect(summary).toEqual([
      '3 userPrincipalName',
      '4 userPrincipalName',
      '5 accountEnabled',
      '7 userPrincipalName',
      '8 userPrincipalName',
      '9 displayName',
      '10 displayName',
      '11 immutableId',
      '12 immutableId',
      '13 immutableId',
    ]);
    const byLine = new Map(result.errors.map((e) => [e.line, e.message]));
    expect(byLine.get(3)).toMatch(/not-an-address.*name@domain/);
    expect(byLine.get(4)).toMatch(/duplicate userPrincipalName.*also on line 7/);
    expect(byLine.get(7)).toMatch(/duplicate userPrincipalName.*also on line 4/);
    expect(byLine.get(5)).toMatch(/"maybe" must be true\/false/);
    expect(byLine.get(8)).toMatch(/userPrincipalName is required/);
    expect(byLine.get(9)).toMatch(/257 characters; at most 256/);
    expect(byLine.get(10)).toMatch(/displayName is required/);
    expect(byLine.get(11)).toMatch(/"\$" or "_"/);
    expect(byLine.get(12)).toMatch(/duplicate Immutable ID "SAMEID==" \(also on line 13\)/);
    expect(result.rejectedUpns.has('dup@contoso.co.jp')).toBe(true);
  });

  it('names a missing required column and rejects the whole file', () => {
    const result = parseDirectoryCsv(utf8('UPN,Given name,Display name\nx@contoso.co.jp,X,X Y\n'));
    expect(result.fatal).toBe(true);
    expect(result.errors).toEqual([
      { line: 1, field: 'surname', message: expect.stringMatching(/missing column surname/) },
    ]);
    expect(result.users.size).toBe(0);
  });

  it('refuses a header with two columns for one field, an empty file and broken quoting', () => {
    expect(parseDirectoryCsv(utf8('UPN,Login ID,Given name,Family name,Display name\n')).errors[0]!.message).toMatch(
      /two columns mean userPrincipalName/,
    );
    expect(parseDirectoryCsv(utf8('\n\n')).errors[0]!.message).toMatch(/empty/);
    const broken = parseDirectoryCsv(utf8('UPN,Given name,Family name,Display name\na@b.cd,"x,y,z\n'));
    expect(broken.fatal).toBe(true);
    expect(broken.errors[0]!.message).toMatch(/not a valid CSV/);
  });

  it('matches header names case-insensitively with spaces, underscores and hyphens', () => {
    expect(normaliseHeader('User_Principal Name')).toBe('userprincipalname');
    expect(normaliseHeader('MICROSOFT-IMMUTABLE-ID')).toBe('microsoftimmutableid');
    const result = parseDirectoryCsv(
      utf8('user_principal_name,GIVEN-NAME,family name,Display_Name,job title\nA.B@Contoso.co.jp,A,B,A B,Boss\n'),
    );
    expect(result.errors).toEqual([]);
    expect(result.users.get('contoso.co.jp')![0]!.jobTitle).toBe('Boss');
  });
});
