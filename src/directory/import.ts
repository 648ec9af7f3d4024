// Imports an Access Control CSV export into the embedded directory: all-or-nothing unless partial, replace or merge.
import type { SourceUser } from '../sync/model.js';
import type { ImportReport } from '../sync/service-interface.js';
import { type CsvError, type CsvImportOptions, type CsvImportResult, type CsvRow, stableKeyOf } from './csv-import.js';
import { parseDirectoryCsvInWorker } from './csv-parse-thread.js';
import { type EmbeddedDirectory, mergeUsers } from './embedded-directory.js';

export interface ImportOptions {
  /** Import the good rows even when some are rejected. */
  readonly partial?: boolean;
  /** Only add and update; never remove users missing from the file. */
  readonly merge?: boolean;
  readonly tenantSalt?: string;
  /** The CSV parser (default: parseDirectoryCsv in a worker thread, off the event loop). */
  readonly parse?: (bytes: Uint8Array, options: CsvImportOptions) => Promise<CsvImportResult>;
}

type DomainCounts = ImportReport['domains'][number];

const SYNCED_KEYS = [
  'userPrincipalName',
  'immutableId',
  'displayName',
  'givenName',
  'surname',
  'username',
  'mail',
  'jobTitle',
  'department',
  'employeeId',
  'mobilePhone',
  'accountEnabled',
] as const satisfies readonly (keyof SourceUser)[];

const sameValues = (a: SourceUser, b: SourceUser) => SYNCED_KEYS.every((k) => (a[k] ?? null) === (b[k] ?? null));

/**
 * Keeps Immutable IDs stable: a row without one in the file gets the ID already stored for the same stable key
 * (username, else employee id), or for the same UPN when the stored user had no better key.
 */
function keepStoredIds(rows: readonly CsvRow[], stored: readonly SourceUser[]): Map<CsvRow, string> {
  const byKey = new Map<string, string>();
  const byUpnOnly = new Map<string, string>();
  for (const u of stored) {
    const key = stableKeyOf(u);
    byKey.set(key, u.immutableId);
    if (key.startsWith('upn:')) byUpnOnly.set(u.userPrincipalName.toLowerCase(), u.immutableId);
  }
  const kept = new Map<CsvRow, string>();
  for (const row of rows) {
    if (!row.idDerived) continue;
    const id = byKey.get(row.stableKey) ?? byUpnOnly.get(row.user.userPrincipalName.toLowerCase());
    if (id && id !== row.user.immutableId) kept.set(row, id);
  }
  return kept;
}

function countChanges(domain: string, before: readonly SourceUser[], after: readonly SourceUser[]): DomainCounts {
  const byId = new Map(before.map((u) => [u.immutableId, u]));
  const byUpn = new Map(before.map((u) => [u.userPrincipalName.toLowerCase(), u]));
  const matched = new Set<SourceUser>();
  let added = 0;
  let updated = 0;
  let unchanged = 0;
  for (const u of after) {
    const old = byId.get(u.immutableId) ?? byUpn.get(u.userPrincipalName.toLowerCase());
    if (!old || matched.has(old)) {
      added++;
      continue;
    }
    matched.add(old);
    if (sameValues(old, u)) unchanged++;
    else updated++;
  }
  return { domain, added, updated, removed: before.length - matched.size, unchanged };
}

export async function importDirectory(
  directory: EmbeddedDirectory,
  bytes: Uint8Array,
  options: ImportOptions = {},
): Promise<ImportReport> {
  const parse = options.parse ?? parseDirectoryCsvInWorker;
  const parsed = await parse(bytes, options.tenantSalt !== undefined ? { tenantSalt: options.tenantSalt } : {});
  const errors: CsvError[] = [...parsed.errors];
  const rowsByDomain = new Map<string, CsvRow[]>();
  for (const row of parsed.rows) {
    const domain = row.user.userPrincipalName.slice(row.user.userPrincipalName.lastIndexOf('@') + 1).toLowerCase();
    const list = rowsByDomain.get(domain);
    if (list) list.push(row);
    else rowsByDomain.set(domain, [row]);
  }

  // Work out every domain's new user list before writing anything.
  const planned: { domain: string; before: SourceUser[]; after: SourceUser[] }[] = [];
  const allIds = new Map<string, number>();
  for (const [domain, rows] of rowsByDomain) {
    const before = await directory.listUsers(domain);
    const kept = keepStoredIds(rows, before);
    let incoming = rows.map((r) => (kept.has(r) ? { ...r.user, immutableId: kept.get(r)! } : r.user));
    // A kept ID may now collide with another row's ID from the file: reject both rows.
    const lineOf = new Map(incoming.map((u, i) => [u, rows[i]!.line]));
    for (const u of incoming) {
      const other = allIds.get(u.immutableId);
      if (other !== undefined && other !== lineOf.get(u))
        errors.push({
          line: lineOf.get(u)!,
          field: 'immutableId',
          message: `Immutable ID "${u.immutableId}" (kept from the directory) is also used on line ${other}`,
        });
      else allIds.set(u.immutableId, lineOf.get(u)!);
    }
    const collided = new Set(errors.filter((e) => e.field === 'immutableId').map((e) => e.line));
    if (collided.size > 0) incoming = incoming.filter((u) => !collided.has(lineOf.get(u)!));

    let after: SourceUser[];
    if (options.merge) after = mergeUsers(before, incoming);
    else {
      // A full export replaces the domain; a rejected row (partial import) keeps what is stored for that user.
      const keepRejected = before.filter((u) => parsed.rejectedUpns.has(u.userPrincipalName.toLowerCase()));
      after = keepRejected.length > 0 ? mergeUsers(keepRejected, incoming) : incoming;
    }
    planned.push({ domain, before, after });
  }
  errors.sort((a, b) => a.line - b.line);

  if (parsed.fatal || (errors.length > 0 && !options.partial) || planned.length === 0) {
    // Nothing changes: report why.
    if (errors.length === 0) errors.push({ line: 1, field: null, message: 'the file has no user rows' });
    return { applied: false, domains: [], errors, totalRows: parsed.totalRows };
  }
  const domains: DomainCounts[] = [];
  for (const { domain, before, after } of planned.sort((a, b) => a.domain.localeCompare(b.domain))) {
    const counts = countChanges(domain, before, after);
    if (counts.added + counts.updated + counts.removed > 0) await directory.replaceDomain(domain, after);
    domains.push(counts);
  }
  return { applied: true, domains, errors, totalRows: parsed.totalRows };
}
