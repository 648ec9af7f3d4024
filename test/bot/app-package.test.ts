// The Teams app package: manifest valid by Microsoft's validator for its manifestVersion, icons of the right size, a zip that unzips.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { AppManifestUtils } from '@microsoft/app-manifest';
import { describe, expect, it, vi } from 'vitest';
import { loadTeamsSchema, validateTeamsManifest } from '../../src/bot/manifest-validation.js';
import {
  buildAppPackage,
  main,
  manifestValues,
  PackageError,
  parseEnvFile,
  renderManifest,
} from '../../src/bot/package-app.js';
import { pngSize } from '../../src/bot/png-writer.js';

const appPackageDir = resolve('appPackage');
const env = {
  BOT_ID: '11111111-2222-3333-4444-555555555555',
  PUBLIC_BASE_URL: 'https://entra-sync.contoso.example',
};

/** Microsoft's validator straight on the published schema of the manifest's version (no wrapper of ours). */
async function microsoftErrors(manifest: Record<string, unknown>): Promise<string[]> {
  const schema = loadTeamsSchema(String(manifest.manifestVersion));
  expect(schema, 'the installed @microsoft/app-manifest ships this version').not.toBeNull();
  return AppManifestUtils.validateAgainstSchema(manifest as never, schema as never);
}

/** A throw-away project root with appPackage/ copied and env/.env.<name> written. */
function projectRoot(name: string, envText: string): string {
  const root = mkdtempSync(join(tmpdir(), 'app-root-'));
  execFileSync('mkdir', ['-p', join(root, 'env'), join(root, 'appPackage')]);
  for (const f of ['manifest.json', 'color.png', 'outline.png'])
    writeFileSync(join(root, 'appPackage', f), readFileSync(resolve(appPackageDir, f)));
  writeFileSync(join(root, 'env', `.env.${name}`), envText);
  return root;
}

/** Reads a zip's entries with only node:zlib (central directory → local headers → inflate). */
function unzip(buf: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const end = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = buf.readUInt16LE(end + 10);
  let p = buf.readUInt32LE(end + 16);
  for (let i = 0; i < count; i++) {
    const nameLen = buf.readUInt16LE(p + 28);
    const extra = buf.readUInt16LE(p + 30);
    const comment = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const size = buf.readUInt32LE(p + 20);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    out.set(name, inflateRawSync(buf.subarray(start, start + size)));
    p += 46 + nameLen + extra + comment;
  }
  return out;
}

describe('appPackage', () => {
  it('manifest.json is a v1.19+ manifest with a $schema URL, bot scopes, commandLists and supportsFiles', () => {
    const raw = JSON.parse(readFileSync(resolve(appPackageDir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    expect(raw.$schema).toMatch(/^https:\/\/developer\.microsoft\.com\/en-us\/json-schemas\/teams\/v1\.(19|2\d)\//);
    const bot = (raw.bots as Record<string, unknown>[])[0]!;
    expect(bot.scopes).toEqual(['personal', 'team', 'groupChat']);
    expect(bot.supportsFiles).toBe(true);
    expect((bot.commandLists as unknown[]).length).toBeGreaterThan(0);
  });

  it("the rendered manifest passes Microsoft's validator; a broken one fails it, each field named", async () => {
    const manifest = renderManifest(readFileSync(resolve(appPackageDir, 'manifest.json'), 'utf8'), manifestValues(env));
    expect(await microsoftErrors(manifest)).toEqual([]);
    expect(await validateTeamsManifest(manifest)).toEqual([]);
    expect(manifest.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(manifest.validDomains).toEqual(['entra-sync.contoso.example']);
    const broken = structuredClone(manifest) as Record<string, unknown> & { bots: { scopes: string[] }[] };
    broken.bots[0]!.scopes = ['everywhere'];
    broken.id = 'not-a-guid';
    expect((await microsoftErrors(broken)).length).toBeGreaterThan(0);
    const problems = await validateTeamsManifest(broken);
    expect(problems.some((p) => p.startsWith('/bots/0/scopes/0:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('/id:'))).toBe(true);
  });

  it('an unknown manifestVersion or a $schema of another version is refused', async () => {
    const manifest = renderManifest(readFileSync(resolve(appPackageDir, 'manifest.json'), 'utf8'), manifestValues(env));
    expect(await validateTeamsManifest({ ...manifest, manifestVersion: '9.99' })).toEqual([
      expect.stringMatching(/^\/manifestVersion: "9\.99" has no schema/),
    ]);
    const other = await validateTeamsManifest({ ...manifest, manifestVersion: '1.17' });
    expect(other[0]).toMatch(
      /^\/\$schema: must be https:\/\/developer\.microsoft\.com\/en-us\/json-schemas\/teams\/v1\.17\//,
    );
  });

  it('a developer name of 41 characters is refused with the field named, and no zip is written', async () => {
    const name = 'Contoso Information Systems Department 01';
    expect(name).toHaveLength(41);
    const root = projectRoot(
      'long',
      `BOT_ID=${env.BOT_ID}\nPUBLIC_BASE_URL=${env.PUBLIC_BASE_URL}\nAPP_DEVELOPER_NAME=${name}\n`,
    );
    await expect(buildAppPackage({ appPackageDir, env: { ...env, APP_DEVELOPER_NAME: name } })).rejects.toThrow(
      PackageError,
    );
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['--env', 'long'], root)).toBe(2);
      const text = stderr.mock.calls.map((c) => String(c[0])).join('');
      expect(text).toContain('/developer/name: must NOT have more than 32 characters (got 41 characters');
      expect(text).toMatch(/Department 01"\) — set by APP_DEVELOPER_NAME/);
    } finally {
      stderr.mockRestore();
    }
    expect(existsSync(join(root, 'appPackage/build/appPackage.long.zip'))).toBe(false);
  });

  it('builds a zip with manifest.json, color.png 192×192 and outline.png 32×32', async () => {
    const { zip } = await buildAppPackage({ appPackageDir, env });
    const files = unzip(zip);
    expect([...files.keys()].sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    expect(pngSize(files.get('color.png')!)).toEqual({ width: 192, height: 192 });
    expect(pngSize(files.get('outline.png')!)).toEqual({ width: 32, height: 32 });
    expect(await microsoftErrors(JSON.parse(files.get('manifest.json')!.toString('utf8')))).toEqual([]);
    // Info-ZIP's unzip (an independent reader) tests every entry's CRC, when it is installed.
    const dir = mkdtempSync(join(tmpdir(), 'app-pkg-'));
    writeFileSync(join(dir, 'app.zip'), zip);
    try {
      expect(execFileSync('unzip', ['-t', join(dir, 'app.zip')]).toString()).toContain('No errors detected');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  });

  it('names every missing or bad value', () => {
    expect(() => manifestValues({})).toThrow(PackageError);
    try {
      manifestValues({ BOT_ID: 'nope', PUBLIC_BASE_URL: '' });
    } catch (err) {
      expect((err as PackageError).problems.join('\n')).toMatch(
        /BOT_ID: must be a GUID[\s\S]*PUBLIC_BASE_URL: required/,
      );
    }
  });

  it('npm run package reads env/.env.<name> and writes the zip', async () => {
    const root = projectRoot('dev', `# dev\nBOT_ID=${env.BOT_ID}\nPUBLIC_BASE_URL="${env.PUBLIC_BASE_URL}"\n`);
    expect(parseEnvFile(readFileSync(join(root, 'env', '.env.dev'), 'utf8')).PUBLIC_BASE_URL).toBe(env.PUBLIC_BASE_URL);
    expect(await main(['--env', 'dev'], root)).toBe(0);
    const files = unzip(readFileSync(join(root, 'appPackage/build/appPackage.dev.zip')));
    expect(JSON.parse(files.get('manifest.json')!.toString('utf8')).bots[0].botId).toBe(env.BOT_ID);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['--env', 'missing'], root)).toBe(2);
    } finally {
      stderr.mockRestore();
    }
  });
});
