// `npm run package`: fills appPackage/manifest.json with values from env/.env.<name>, zips it with the icons.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { validateTeamsManifest, valueAt } from './manifest-validation.js';
import { colorIcon, outlineIcon } from './png-writer.js';
import { createZip } from './zip-writer.js';

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export class PackageError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Cannot build the Teams app package:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'PackageError';
  }
}

/** Parses a dotenv file: KEY=value lines, # comments, optional single/double quotes. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || line.trimStart().startsWith('#')) continue;
    let v = m[2] ?? '';
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    else v = v.replace(/\s+#.*$/, '');
    out[m[1]!] = v;
  }
  return out;
}

/** A stable GUID derived from a name (for the Teams app id when TEAMS_APP_ID is not set). */
export function derivedGuid(name: string): string {
  const h = createHash('sha256').update(`entra-sync-bot:teams-app:${name}`).digest('hex');
  const variant = ((Number.parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The manifest placeholders' values from the env file, with defaults; every problem is reported at once. */
export function manifestValues(env: Record<string, string | undefined>): Record<string, string> {
  const problems: string[] = [];
  const botId = env.BOT_ID?.trim() ?? '';
  if (!botId) problems.push("BOT_ID: required (the bot registration's Microsoft Entra app id)");
  else if (!GUID.test(botId)) problems.push(`BOT_ID: must be a GUID (got "${botId.slice(0, 40)}")`);
  const appId = env.TEAMS_APP_ID?.trim() || (botId ? derivedGuid(botId) : '');
  if (env.TEAMS_APP_ID && !GUID.test(env.TEAMS_APP_ID.trim())) problems.push('TEAMS_APP_ID: must be a GUID');
  let domain = '';
  const base = env.PUBLIC_BASE_URL?.trim();
  if (!base) problems.push('PUBLIC_BASE_URL: required (the https address Teams reaches the bot at)');
  else {
    try {
      domain = new URL(base).host;
    } catch {
      problems.push(`PUBLIC_BASE_URL: not a URL ("${base.slice(0, 60)}")`);
    }
  }
  const version = env.APP_VERSION?.trim() || '1.0.0';
  if (!/^\d+\.\d+\.\d+$/.test(version)) problems.push('APP_VERSION: must look like 1.0.0');
  if (problems.length > 0) throw new PackageError(problems);
  const site = env.APP_WEBSITE_URL?.trim() || `https://${domain}`;
  return {
    BOT_ID: botId,
    TEAMS_APP_ID: appId,
    BOT_DOMAIN: domain,
    APP_VERSION: version,
    APP_DEVELOPER_NAME: env.APP_DEVELOPER_NAME?.trim() || 'Entra Sync Bot',
    APP_WEBSITE_URL: site,
    APP_PRIVACY_URL: env.APP_PRIVACY_URL?.trim() || `${site.replace(/\/+$/, '')}/privacy`,
    APP_TERMS_URL: env.APP_TERMS_URL?.trim() || `${site.replace(/\/+$/, '')}/terms`,
  };
}

/** Replaces every `${{NAME}}` in the template; an unknown placeholder is an error. */
export function renderManifest(template: string, values: Record<string, string>): Record<string, unknown> {
  const missing = new Set<string>();
  const text = template.replace(/\$\{\{\s*([A-Z0-9_]+)\s*\}\}/g, (_m, name: string) => {
    const v = values[name];
    if (v === undefined) {
      missing.add(name);
      return '';
    }
    return JSON.stringify(v).slice(1, -1);
  });
  if (missing.size > 0) throw new PackageError([...missing].map((m) => `${m}: no value for this manifest placeholder`));
  return JSON.parse(text) as Record<string, unknown>;
}

export interface BuiltPackage {
  readonly zip: Buffer;
  readonly manifest: Record<string, unknown>;
}

/**
 * Builds the zip: manifest.json (rendered), color.png, outline.png (from appPackage/, generated when absent).
 * The rendered manifest must pass Microsoft's validator for its manifestVersion; otherwise a PackageError names
 * every field and nothing is built.
 */
export async function buildAppPackage(options: {
  appPackageDir: string;
  env: Record<string, string | undefined>;
}): Promise<BuiltPackage> {
  const template = readFileSync(resolve(options.appPackageDir, 'manifest.json'), 'utf8');
  const manifest = renderManifest(template, manifestValues(options.env));
  const problems = await validateTeamsManifest(manifest);
  if (problems.length > 0) {
    // Name the env variable behind a field when the template fills it from one (`"name": "${{APP_DEVELOPER_NAME}}"`).
    const raw = JSON.parse(template) as unknown;
    const named = problems.map((p) => {
      const field = valueAt(raw, p.slice(0, p.indexOf(':')));
      const m = typeof field === 'string' ? /^\$\{\{\s*([A-Z0-9_]+)\s*\}\}$/.exec(field) : null;
      return m ? `${p} — set by ${m[1]}` : p;
    });
    throw new PackageError([
      ...named,
      "the manifest does not pass Microsoft's schema: fix the values in env/.env.<name> (or appPackage/manifest.json)",
    ]);
  }
  const icons = manifest.icons as { color: string; outline: string };
  const icon = (file: string, make: () => Buffer) => {
    const path = resolve(options.appPackageDir, file);
    return existsSync(path) ? readFileSync(path) : make();
  };
  const zip = createZip([
    { name: 'manifest.json', data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8') },
    { name: icons.color, data: icon(icons.color, colorIcon) },
    { name: icons.outline, data: icon(icons.outline, outlineIcon) },
  ]);
  return { zip, manifest };
}

function readEnv(root: string, name: string): Record<string, string> {
  const files = [`env/.env.${name}`, `env/.env.${name}.user`].map((f) => resolve(root, f));
  if (!existsSync(files[0]!)) throw new PackageError([`env/.env.${name}: file not found (use --env <name>)`]);
  const env: Record<string, string> = {};
  for (const f of files) if (existsSync(f)) Object.assign(env, parseEnvFile(readFileSync(f, 'utf8')));
  return env;
}

/** CLI: `tsx src/bot/package-app.ts [--env local] [--out FILE] [--icons]` (--icons rewrites the PNGs in appPackage/). */
export async function main(argv: string[], root: string = process.cwd()): Promise<number> {
  let envName = 'local';
  let out: string | null = null;
  let writeIcons = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--env' && argv[i + 1]) envName = argv[++i]!;
    else if (a === '--out' && argv[i + 1]) out = argv[++i]!;
    else if (a === '--icons') writeIcons = true;
    else {
      process.stderr.write(`unknown argument: ${a}\nusage: npm run package -- [--env local] [--out FILE] [--icons]\n`);
      return 2;
    }
  }
  const appPackageDir = resolve(root, 'appPackage');
  if (writeIcons) {
    writeFileSync(resolve(appPackageDir, 'color.png'), colorIcon());
    writeFileSync(resolve(appPackageDir, 'outline.png'), outlineIcon());
  }
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(envName)) throw new PackageError([`--env: not a valid name (${envName})`]);
    const built = await buildAppPackage({ appPackageDir, env: readEnv(root, envName) });
    const file = resolve(root, out ?? `appPackage/build/appPackage.${envName}.zip`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, built.zip);
    process.stdout.write(`${file}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return err instanceof PackageError ? 2 : 3;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
