// `entra-sync directory import` end to end in a child process: exit codes, human and JSON reports, nothing changed on bad input.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedDirectory } from '../../src/directory/embedded-directory.js';
import { openStore } from '../../src/store/index.js';

const root = join(import.meta.dirname, '..', '..');
const fixtures = join(root, 'test', 'fixtures', 'directory');
const dir = mkdtempSync(join(tmpdir(), 'directory-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const storeUrl = `sqlite://${join(dir, 'state.sqlite')}`;

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'main.ts'), ...args], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: dir, STORE_URL: storeUrl, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function storedUpns(domain: string): Promise<string[]> {
  const stores = await openStore(storeUrl);
  try {
    return (await new EmbeddedDirectory(stores.kv('directory')).listUsers(domain))
      .map((u) => u.userPrincipalName)
      .sort();
  } finally {
    await stores.close();
  }
}

describe('entra-sync directory import', () => {
  it('imports a file, prints per-domain counts, then the same as JSON', async () => {
    const human = await cli(['directory', 'import', join(fixtures, 'users-utf8.csv')]);
    expect(human.stderr).toBe('');
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('contoso.co.jp: 3 added, 0 updated, 0 removed, 0 unchanged');
    expect(human.stdout).toContain('fabrikam.com: 1 added');

    const json = await cli(['directory', 'import', join(fixtures, 'users-utf8.csv'), '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      applied: true,
      domains: [
        { domain: 'contoso.co.jp', added: 0, updated: 0, removed: 0, unchanged: 3 },
        { domain: 'fabrikam.com', added: 0, updated: 0, removed: 0, unchanged: 1 },
      ],
      errors: [],
      totalRows: 4,
    });
  }, 60_000);

  it('rejects a file with bad rows (exit 2), lists each line, and changes nothing', async () => {
    const before = await storedUpns('contoso.co.jp');
    const bad = await cli(['directory', 'import', join(fixtures, 'users-bad.csv')]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toContain('Nothing was imported');
    expect(bad.stdout).toContain('line 3 (userPrincipalName): "not-an-address" must be name@domain');
    expect(bad.stdout).toContain('line 5 (accountEnabled)');
    expect(bad.stdout).toContain('--partial');
    expect(await storedUpns('contoso.co.jp')).toEqual(before);

    const partial = await cli([
      'directory',
      'import',
      join(fixtures, 'users-bad.csv'),
      '--partial',
      '--merge',
      '--json',
    ]);
    expect(partial.code).toBe(2);
    const report = JSON.parse(partial.stdout);
    expect(report.applied).toBe(true);
    expect(report.domains[0]).toMatchObject({ domain: 'contoso.co.jp', added: 1, removed: 0 });
    expect(await storedUpns('contoso.co.jp')).toEqual([...before, 'ok.user@contoso.co.jp'].sort());
  }, 60_000);

  it('imports a Shift_JIS export', async () => {
    const file = join(dir, 'sjis.csv');
    writeFileSync(
      file,
      iconv.encode('UPN,Given name,Family name,Display name\r\nsjis.user@sjis.example,髙,﨑山,﨑山 髙\r\n', 'cp932'),
    );
    const out = await cli(['directory', 'import', file, '--json']);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout).domains).toEqual([
      { domain: 'sjis.example', added: 1, updated: 0, removed: 0, unchanged: 0 },
    ]);
    const stores = await openStore(storeUrl);
    const [user] = await new EmbeddedDirectory(stores.kv('directory')).listUsers('sjis.example');
    await stores.close();
    expect(user?.displayName).toBe('﨑山 髙');
  }, 60_000);

  it('answers bad usage and a missing file with exit 2', async () => {
    const usage = await cli(['directory', 'import', 'x.csv', '--bogus']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--bogus/);
    const missing = await cli(['directory', 'import', join(dir, 'nope.csv')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read/);
  }, 60_000);
});
