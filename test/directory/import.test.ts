// Importing exports into the embedded directory: replace per domain, merge, all-or-nothing, partial, stable IDs.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedDirectory } from '../../src/directory/embedded-directory.js';
import { importDirectory } from '../../src/directory/import.js';
import { openStore, type Stores } from '../../src/store/index.js';
import type { SourceUser } from '../../src/sync/model.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '..', 'fixtures', 'directory', name));
const utf8 = (text: string) => new TextEncoder().encode(text);
const HEADER = 'Login ID,Given name,Family name,Display name,Microsoft Immutable ID,Username,Department\n';
const csv = (...rows: string[]) => utf8(HEADER + rows.map((r) => `${r}\n`).join(''));
const upns = (users: SourceUser[]) => users.map((u) => u.userPrincipalName).sort();

const dir = mkdtempSync(join(tmpdir(), 'directory-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('importDirectory', () => {
  let stores: Stores;
  let directory: EmbeddedDirectory;
  beforeEach(async () => {
    stores = await openStore('memory://');
    directory = new EmbeddedDirectory(stores.kv('directory'), { chunkSize: 2 });
  });
  afterEach(async () => {
    await stores.close();
  });

  it('replaces the users of each domain in the file and reports per-domain counts', async () => {
    const first = await importDirectory(directory, fixture('users-utf8.csv'));
    expect(first).toEqual({
      applied: true,
      domains: [
        { domain: 'contoso.co.jp', added: 3, updated: 0, removed: 0, unchanged: 0 },
        { domain: 'fabrikam.com', added: 1, updated: 0, removed: 0, unchanged: 0 },
      ],
      errors: [],
      totalRows: 4,
    });
    expect(await directory.domains()).toEqual(['contoso.co.jp', 'fabrikam.com']);
    expect(await directory.count('contoso.co.jp')).toBe(3);

    const second = await importDirectory(
      directory,
      csv(
        'hanako.yamada@contoso.co.jp,花子,山田,山田 花子,aGFuYWtvLXlhbWFkYQ==,hyamada,経理部',
        'jiro.sato@contoso.co.jp,次郎,佐藤,"佐藤 次郎, ""Jiro""",,,',
        'new.hire@contoso.co.jp,新,入社,入社 新,,nhire,開発部',
      ),
    );
    // jiro had department 総務部 and employee id E1003 before: this file drops both columns' values.
    expect(second.domains).toEqual([{ domain: 'contoso.co.jp', added: 1, updated: 2, removed: 1, unchanged: 0 }]);
    expect(upns(await directory.listUsers('contoso.co.jp'))).toEqual([
      'hanako.yamada@contoso.co.jp',
      'jiro.sato@contoso.co.jp',
      'new.hire@contoso.co.jp',
    ]);
    // A domain absent from the file is left alone.
    expect(upns(await directory.listUsers('fabrikam.com'))).toEqual(['anna.smith@fabrikam.com']);

    const again = await importDirectory(
      directory,
      csv(
        'hanako.yamada@contoso.co.jp,花子,山田,山田 花子,aGFuYWtvLXlhbWFkYQ==,hyamada,経理部',
        'jiro.sato@contoso.co.jp,次郎,佐藤,"佐藤 次郎, ""Jiro""",,,',
        'new.hire@contoso.co.jp,新,入社,入社 新,,nhire,開発部',
      ),
    );
    expect(again.domains).toEqual([{ domain: 'contoso.co.jp', added: 0, updated: 0, removed: 0, unchanged: 3 }]);
  });

  it('never changes an Immutable ID once stored, even when the UPN changes', async () => {
    await importDirectory(
      directory,
      csv(
        'a.tanaka@contoso.co.jp,愛,田中,田中 愛,ORIGINALID1,atanaka,営業部',
        'b.kimura@contoso.co.jp,文,木村,木村 文,,,営業部',
      ),
    );
    const before = await directory.listUsers('contoso.co.jp');
    const kimuraId = before.find((u) => u.userPrincipalName === 'b.kimura@contoso.co.jp')!.immutableId;
    // Tanaka married (new surname and UPN), the export no longer carries IDs; Kimura gained a username.
    const report = await importDirectory(
      directory,
      utf8(
        'Login ID,Given name,Family name,Display name,Username,Department\n' +
          'a.sato@contoso.co.jp,愛,佐藤,佐藤 愛,atanaka,営業部\n' +
          'b.kimura@contoso.co.jp,文,木村,木村 文,bkimura,営業部\n',
      ),
    );
    expect(report.applied).toBe(true);
    expect(report.domains).toEqual([{ domain: 'contoso.co.jp', added: 0, updated: 2, removed: 0, unchanged: 0 }]);
    const after = await directory.listUsers('contoso.co.jp');
    expect(after.find((u) => u.username === 'atanaka')).toMatchObject({
      userPrincipalName: 'a.sato@contoso.co.jp',
      immutableId: 'ORIGINALID1',
    });
    expect(after.find((u) => u.username === 'bkimura')!.immutableId).toBe(kimuraId);
  });

  it('changes nothing when any row is rejected, unless partial', async () => {
    await importDirectory(directory, csv('dup@contoso.co.jp,Old,Dup,Old Dup,,,', 'keep@contoso.co.jp,K,P,K P,,,'));
    const before = await directory.listUsers('contoso.co.jp');

    const rejected = await importDirectory(directory, fixture('users-bad.csv'));
    expect(rejected.applied).toBe(false);
    expect(rejected.domains).toEqual([]);
    expect(rejected.totalRows).toBe(11);
    expect(rejected.errors.map((e) => e.line)).toContain(3);
    expect(await directory.listUsers('contoso.co.jp')).toEqual(before);

    const partial = await importDirectory(directory, fixture('users-bad.csv'), { partial: true });
    expect(partial.applied).toBe(true);
    expect(partial.errors.length).toBe(rejected.errors.length);
    // ok.user added; dup's rows were rejected so the stored dup stays; keep is not in the file: removed.
    expect(partial.domains).toEqual([{ domain: 'contoso.co.jp', added: 1, updated: 0, removed: 1, unchanged: 1 }]);
    expect(upns(await directory.listUsers('contoso.co.jp'))).toEqual(['dup@contoso.co.jp', 'ok.user@contoso.co.jp']);
  });

  it('merge only adds and updates', async () => {
    await importDirectory(directory, fixture('users-utf8.csv'));
    const report = await importDirectory(
      directory,
      csv(
        'hanako.yamada@contoso.co.jp,花子,山田,山田 花子,aGFuYWtvLXlhbWFkYQ==,hyamada,経理部',
        'new.hire@contoso.co.jp,新,入社,入社 新,,nhire,開発部',
      ),
      { merge: true },
    );
    expect(report.domains).toEqual([{ domain: 'contoso.co.jp', added: 1, updated: 1, removed: 0, unchanged: 2 }]);
    expect(await directory.count('contoso.co.jp')).toBe(4);
  });

  it('rejects a file with no user rows', async () => {
    const report = await importDirectory(directory, utf8(HEADER));
    expect(report.applied).toBe(false);
    expect(report.errors[0]!.message).toMatch(/no user rows/);
  });
});

describe('EmbeddedDirectory', () => {
  it('keeps a large domain in chunks on sqlite and swaps it whole', async () => {
    const stores = await openStore(`sqlite://${join(dir, 'big.sqlite')}`);
    const directory = new EmbeddedDirectory(stores.kv('directory'), { chunkSize: 5_000 });
    const users: SourceUser[] = Array.from({ length: 40_000 }, (_, i) => ({
      userPrincipalName: `user${i}@big.example`,
      immutableId: `id${i}`,
      displayName: `利用者 ${i}`,
      department: `部署 ${i % 50}`,
    }));
    await directory.replaceDomain('big.example', users);
    expect(await directory.count('BIG.example')).toBe(40_000);
    expect(await directory.listUsers('big.example')).toEqual(users);
    await directory.replaceDomain('big.example', users.slice(0, 7));
    expect(await directory.listUsers('big.example')).toEqual(users.slice(0, 7));
    await expect(
      directory.replaceDomain('big.example', [
        { userPrincipalName: 'x@other.example', immutableId: 'x', displayName: 'x' },
      ]),
    ).rejects.toThrow(/not in big.example/);
    await directory.replaceDomain('big.example', []);
    expect(await directory.domains()).toEqual([]);
    expect(await directory.listUsers('big.example')).toEqual([]);
    await stores.close();
  });
});
