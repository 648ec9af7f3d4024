// Validates a Teams app manifest with Microsoft's own validator against the schema published for its manifestVersion.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { AppManifestUtils } from '@microsoft/app-manifest';

const require = createRequire(import.meta.url);

/** Where `@microsoft/app-manifest` keeps the Teams schemas it ships (one folder per manifest version). */
function schemaRoot(): string {
  return join(dirname(require.resolve('@microsoft/app-manifest/package.json')), 'build', 'json-schemas', 'teams');
}

/** The URL Microsoft publishes the schema of a manifest version at (what `$schema` must name). */
export function schemaUrl(manifestVersion: string): string {
  return `https://developer.microsoft.com/en-us/json-schemas/teams/v${manifestVersion}/MicrosoftTeams.schema.json`;
}

/**
 * Microsoft's published schema for `manifestVersion`, from the copy `@microsoft/app-manifest` ships (never fetched
 * over the network: a package build works offline); null when that version is unknown to the installed package.
 */
export function loadTeamsSchema(manifestVersion: string): Record<string, unknown> | null {
  if (!/^\d+\.\d+$/.test(manifestVersion)) return null;
  const file = join(schemaRoot(), `v${manifestVersion}`, 'MicrosoftTeams.schema.json');
  if (!existsSync(file)) return null;
  // The published files hold `\a` and `\v` escapes that JSON does not allow; the package's own loader rewrites them.
  const text = readFileSync(file, 'utf8').replace(/\\a/g, '\\u0007').replace(/\\v/g, '\\u000b');
  return JSON.parse(text) as Record<string, unknown>;
}

/** The value at a JSON pointer (`/developer/name`), or undefined. */
export function valueAt(doc: unknown, pointer: string): unknown {
  let cur: unknown = doc;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/**
 * Turns one line of the validator's answer (`/developer/name must NOT have more than 32 characters. Details: {…}`)
 * into a problem a person can act on: the field, what is wrong, and what it holds now.
 */
function describe(manifest: unknown, line: string): string {
  const m = /^(\S*) (.*?)\. Details: (.*)$/s.exec(line);
  if (!m) return line;
  const path = m[1] || '(manifest)';
  const message = m[2]!;
  let params: Record<string, unknown> = {};
  try {
    params = JSON.parse(m[3]!) as Record<string, unknown>;
  } catch {
    // the validator's details are JSON; keep the message without them when they are not
  }
  const value = valueAt(manifest, m[1]!);
  const parts = [`${path}: ${message}`];
  if (typeof params.additionalProperty === 'string') parts.push(`("${params.additionalProperty}")`);
  if (Array.isArray(params.allowedValues)) parts.push(`(allowed: ${params.allowedValues.join(', ')})`);
  if (typeof value === 'string' && (typeof params.limit === 'number' || typeof params.pattern === 'string')) {
    parts.push(`(got ${value.length} characters: "${value.length > 60 ? `${value.slice(0, 60)}…` : value}")`);
  }
  return parts.join(' ');
}

/**
 * Every problem Microsoft's validator finds in `manifest`, one line per field (empty when valid). An unknown
 * `manifestVersion`, or a `$schema` that names another version, is a problem too.
 */
export async function validateTeamsManifest(manifest: Record<string, unknown>): Promise<string[]> {
  const version = manifest.manifestVersion;
  if (typeof version !== 'string') return ['/manifestVersion: required (e.g. "1.19")'];
  const schema = loadTeamsSchema(version);
  if (!schema) {
    return [
      `/manifestVersion: "${version}" has no schema in the installed @microsoft/app-manifest (update it, or use 1.19)`,
    ];
  }
  const problems: string[] = [];
  if (manifest.$schema !== undefined && manifest.$schema !== schemaUrl(version)) {
    problems.push(
      `/$schema: must be ${schemaUrl(version)} for manifestVersion ${version} (got "${String(manifest.$schema)}")`,
    );
  }
  // Microsoft's validator (ajv with the draft the schema declares, formats uri/email/regex) on this schema.
  const lines = await AppManifestUtils.validateAgainstSchema(manifest as never, schema as never);
  for (const line of lines) problems.push(describe(manifest, line));
  return problems;
}
