// The Teams app package: manifest valid against the v1.19 schema (fixture), icons of the right size, a zip that unzips.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { Ajv } from 'ajv';
import formats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
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
const schema = JSON.parse(readFileSync(resolve('test/fixtures/teams-manifest-v1.19.schema.json'), 'utf8')) as object;
const env = {
  BOT_ID: '11111111-2222-3333-4444-555555555555',
  PUBLIC_BASE_URL: 'https://entra-sync.contoso.example',
};

function validator() {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const addFormats = ((formats as unknown as { default?: unknown }).default ?? formats) as (a: Ajv) => void;
  addFormats(ajv);
  return ajv.compile(schema);
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

  it('the rendered manifest validates against the schema; a broken one does not', () => {
    const validate = validator();
    const manifest = renderManifest(readFileSync(resolve(appPackageDir, 'manifest.json'), 'utf8'), manifestValues(env));
    expect(validate(manifest), JSON.stringify(validate.errors)).toBe(true);
    expect(manifest.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(manifest.validDomains).toEqual(['entra-sync.contoso.example']);
    const broken = structuredClone(manifest) as { bots: { scopes: string[] }[] };
    broken.bots[0]!.scopes = ['everywhere'];
    expect(validate(broken)).toBe(false);
    expect(validate({ ...manifest, id: 'not-a-guid' })).toBe(false);
  });

  it('builds a zip with manifest.json, color.png 192×192 and outline.png 32×32', () => {
    const { zip } = buildAppPackage({ appPackageDir, env });
    const files = unzip(zip);
    expect([...files.keys()].sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    expect(pngSize(files.get('color.png')!)).toEqual({ width: 192, height: 192 });
    expect(pngSize(files.get('outline.png')!)).toEqual({ width: 32, height: 32 });
    expect(validator()(JSON.parse(files.get('manifest.json')!.toString('utf8')))).toBe(true);
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

  it('npm run package reads env/.env.<name> and writes the zip', () => {
    const root = mkdtempSync(join(tmpdir(), 'app-root-'));
    execFileSync('mkdir', ['-p', join(root, 'env'), join(root, 'appPackage')]);
    for (const f of ['manifest.json', 'color.png', 'outline.png'])
      writeFileSync(join(root, 'appPackage', f), readFileSync(resolve(appPackageDir, f)));
    writeFileSync(
      join(root, 'env', '.env.dev'),
      `# dev\nBOT_ID=${env.BOT_ID}\nPUBLIC_BASE_URL="${env.PUBLIC_BASE_URL}"\n`,
    );
    expect(parseEnvFile(readFileSync(join(root, 'env', '.env.dev'), 'utf8')).PUBLIC_BASE_URL).toBe(env.PUBLIC_BASE_URL);
    expect(main(['--env', 'dev'], root)).toBe(0);
    const files = unzip(readFileSync(join(root, 'appPackage/build/appPackage.dev.zip')));
    expect(JSON.parse(files.get('manifest.json')!.toString('utf8')).bots[0].botId).toBe(env.BOT_ID);
    expect(main(['--env', 'missing'], root)).toBe(2);
  });
});
