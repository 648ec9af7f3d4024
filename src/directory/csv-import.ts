// Parses and validates an Access Control CSV export (the README's Access Control CSV format) into source users per domain: pure, no I/O.
// Just over 300 lines, kept whole: the header mapping, the per-row rules and the per-domain grouping are one pass.
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import type { SourceUser } from '../sync/model.js';
import { deriveImmutableId } from '../sync/immutable-id.js';
import { domainOf, immutableIdProblem, LIMITS, mailProblem, parseFlag, upnProblem } from './source-user-rules.js';

export type CsvField =
  | 'userPrincipalName'
  | 'givenName'
  | 'surname'
  | 'displayName'
  | 'immutableId'
  | 'username'
  | 'mail'
  | 'jobTitle'
  | 'department'
  | 'employeeId'
  | 'mobilePhone'
  | 'accountEnabled';

export interface CsvError {
  readonly line: number;
  readonly field: string | null;
  readonly message: string;
}

/** One accepted row. */
export interface CsvRow {
  readonly line: number;
  readonly user: SourceUser;
  /** True when the file had no Immutable ID for the row and it was derived from `stableKey`. */
  readonly idDerived: boolean;
  readonly stableKey: string;
}

export interface CsvImportResult {
  /** Accepted users by lower-case domain, in file order. */
  readonly users: Map<string, SourceUser[]>;
  readonly rows: readonly CsvRow[];
  readonly errors: readonly CsvError[];
  /** Data rows in the file (blank lines not counted). */
  readonly totalRows: number;
  /** Lower-case UPNs of rejected rows (a partial import keeps what is stored for them). */
  readonly rejectedUpns: ReadonlySet<string>;
  /** 'utf-8' or 'cp932'. */
  readonly encoding: string;
  /** True when the header itself is unusable: nothing may be imported, not even with partial. */
  readonly fatal: boolean;
}

export interface CsvImportOptions {
  /** Mixed into derived Immutable IDs (see deriveImmutableId). */
  readonly tenantSalt?: string;
}

const REQUIRED: readonly CsvField[] = ['userPrincipalName', 'givenName', 'surname', 'displayName'];

/** Header aliases after normalisation (lower case, without spaces, underscores, hyphens and dots). */
const ALIASES: Record<string, CsvField> = {
  userprincipalname: 'userPrincipalName',
  upn: 'userPrincipalName',
  loginid: 'userPrincipalName',
  givenname: 'givenName',
  firstname: 'givenName',
  surname: 'surname',
  familyname: 'surname',
  lastname: 'surname',
  displayname: 'displayName',
  immutableid: 'immutableId',
  microsoftimmutableid: 'immutableId',
  onpremisesimmutableid: 'immutableId',
  username: 'username',
  mail: 'mail',
  jobtitle: 'jobTitle',
  title: 'jobTitle',
  department: 'department',
  employeeid: 'employeeId',
  employeenumber: 'employeeId',
  mobilephone: 'mobilePhone',
  mobile: 'mobilePhone',
  accountenabled: 'accountEnabled',
  enabled: 'accountEnabled',
};

export const normaliseHeader = (name: string): string =>
  name
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s_.-]+/g, '');

/** The stable key an Immutable ID is derived from: Access Control's username, else the employee id, else the UPN. */
export function stableKeyOf(user: Pick<SourceUser, 'username' | 'employeeId' | 'userPrincipalName'>): string {
  if (user.username?.trim()) return `username:${user.username.trim().toLowerCase()}`;
  if (user.employeeId?.trim()) return `employeeId:${user.employeeId.trim()}`;
  return `upn:${user.userPrincipalName.trim().toLowerCase()}`;
}

/** UTF-8 (BOM optional) when the bytes are valid UTF-8, else Shift_JIS/CP932. */
export function decodeCsvBytes(bytes: Uint8Array): { text: string; encoding: string } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return { text: new TextDecoder('utf-8').decode(bytes.subarray(3)), encoding: 'utf-8' };
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    return {
      text: iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'cp932'),
      encoding: 'cp932',
    };
  }
}

const lineBreaks = (s: string) => s.match(/\r\n|\r|\n/g)?.length ?? 0;

export function parseDirectoryCsv(bytes: Uint8Array, options: CsvImportOptions = {}): CsvImportResult {
  const { text, encoding } = decodeCsvBytes(bytes);
  const errors: CsvError[] = [];
  const fail = (line: number, field: string | null, message: string): CsvImportResult => ({
    users: new Map(),
    rows: [],
    errors: [...errors, { line, field, message }],
    totalRows: 0,
    rejectedUpns: new Set(),
    encoding,
    fatal: true,
  });

  let records: string[][];
  try {
    records = parse(text, {
      relax_column_count: true,
      skip_empty_lines: false,
      record_delimiter: ['\r\n', '\n', '\r'],
    }) as string[][];
  } catch (err) {
    const e = err as { lines?: number; message?: string };
    return fail(e.lines ?? 1, null, `not a valid CSV file: ${e.message ?? String(err)}`);
  }

  // Physical line of each record: a quoted field may span lines.
  const lines: number[] = [];
  let nextLine = 1;
  for (const r of records) {
    lines.push(nextLine);
    nextLine += 1 + r.reduce((n, f) => n + lineBreaks(f), 0);
  }
  const isBlank = (r: string[]) => r.every((f) => f.trim() === '');
  const headerIndex = records.findIndex((r) => !isBlank(r));
  if (headerIndex < 0) return fail(1, null, 'the file is empty: expected a header row and at least one user');
  const header = records[headerIndex]!;
  const headerLine = lines[headerIndex]!;

  // Map columns; "Email" names the UPN only when no other UPN column exists, else it is the mail address.
  const columns = new Map<CsvField, number>();
  const normalised = header.map(normaliseHeader);
  const hasUpnColumn = normalised.some((h) => ALIASES[h] === 'userPrincipalName');
  for (const [i, h] of normalised.entries()) {
    const field: CsvField | undefined =
      h === 'email' || h === 'emailaddress' ? (hasUpnColumn ? 'mail' : 'userPrincipalName') : ALIASES[h];
    if (!field) continue;
    if (columns.has(field)) {
      return fail(headerLine, field, `two columns mean ${field}: "${header[columns.get(field)!]}" and "${header[i]}"`);
    }
    columns.set(field, i);
  }
  const missing = REQUIRED.filter((f) => !columns.has(f));
  if (missing.length > 0) {
    return fail(
      headerLine,
      missing[0]!,
      `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (found: ${header.join(', ')})`,
    );
  }

  const rows: (CsvRow & { rejected: boolean })[] = [];
  const rejectedUpns = new Set<string>();
  let totalRows = 0;
  for (let r = headerIndex + 1; r < records.length; r++) {
    const record = records[r]!;
    if (isBlank(record)) continue;
    totalRows++;
    const line = lines[r]!;
    const rowErrors: CsvError[] = [];
    const bad = (field: string | null, message: string) => rowErrors.push({ line, field, message });
    if (record.length > header.length) bad(null, `has ${record.length} fields; the header has ${header.length}`);
    const cell = (f: CsvField): string | undefined => {
      const i = columns.get(f);
      return i === undefined ? undefined : (record[i] ?? '').trim();
    };
    const text = (f: CsvField, max: number, required = false): string | null | undefined => {
      const v = cell(f);
      if (v === undefined) return undefined;
      if (v === '') {
        if (required) bad(f, `${f} is required`);
        return null;
      }
      if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(v)) bad(f, `${f} contains control characters`);
      if (v.length > max) bad(f, `${f} is ${v.length} characters; at most ${max}`);
      return v;
    };

    const upn = cell('userPrincipalName') ?? '';
    if (upn === '') bad('userPrincipalName', 'userPrincipalName is required');
    else {
      const problem = upnProblem(upn);
      if (problem) bad('userPrincipalName', problem);
    }
    const displayName = text('displayName', LIMITS.displayName, true);
    const givenName = text('givenName', LIMITS.givenName);
    const surname = text('surname', LIMITS.surname);
    const username = text('username', LIMITS.username);
    const mail = text('mail', LIMITS.mail);
    if (mail) {
      const problem = mailProblem(mail);
      if (problem) bad('mail', problem);
    }
    const jobTitle = text('jobTitle', LIMITS.jobTitle);
    const department = text('department', LIMITS.department);
    const employeeId = text('employeeId', LIMITS.employeeId);
    const mobilePhone = text('mobilePhone', LIMITS.mobilePhone);
    const enabledText = cell('accountEnabled');
    let accountEnabled: boolean | undefined;
    if (enabledText !== undefined && enabledText !== '') {
      accountEnabled = parseFlag(enabledText);
      if (accountEnabled === undefined)
        bad('accountEnabled', `accountEnabled "${enabledText}" must be true/false, yes/no or 1/0`);
    }
    const givenId = cell('immutableId') ?? '';
    if (givenId) {
      const problem = immutableIdProblem(givenId);
      if (problem) bad('immutableId', `immutableId ${problem}`);
    }

    const base = {
      userPrincipalName: upn,
      displayName: displayName ?? '',
      ...(givenName !== undefined ? { givenName } : {}),
      ...(surname !== undefined ? { surname } : {}),
      ...(username !== undefined ? { username } : {}),
      ...(mail !== undefined ? { mail } : {}),
      ...(jobTitle !== undefined ? { jobTitle } : {}),
      ...(department !== undefined ? { department } : {}),
      ...(employeeId !== undefined ? { employeeId } : {}),
      ...(mobilePhone !== undefined ? { mobilePhone } : {}),
      ...(accountEnabled !== undefined ? { accountEnabled } : {}),
    };
    const stableKey = stableKeyOf(base);
    const user: SourceUser = {
      ...base,
      immutableId: givenId || (upn ? deriveImmutableId(stableKey, options.tenantSalt) : ''),
    };
    errors.push(...rowErrors);
    if (rowErrors.length > 0 && upn) rejectedUpns.add(upn.toLowerCase());
    rows.push({ line, user, idDerived: !givenId, stableKey, rejected: rowErrors.length > 0 });
  }

  // Duplicates within the file: every row involved is rejected, each naming the others' lines.
  const duplicates = (field: CsvField, keyOf: (row: CsvRow) => string | null, describe: (row: CsvRow) => string) => {
    const seen = new Map<string, (CsvRow & { rejected: boolean })[]>();
    for (const row of rows) {
      const key = keyOf(row);
      if (!key) continue;
      const list = seen.get(key);
      if (list) list.push(row);
      else seen.set(key, [row]);
    }
    for (const list of seen.values()) {
      if (list.length < 2) continue;
      for (const row of list) {
        const others = list.filter((o) => o !== row).map((o) => o.line);
        errors.push({
          line: row.line,
          field,
          message: `${describe(row)} (also on line${others.length > 1 ? 's' : ''} ${others.join(', ')})`,
        });
        row.rejected = true;
        rejectedUpns.add(row.user.userPrincipalName.toLowerCase());
      }
    }
  };
  duplicates(
    'userPrincipalName',
    (row) => (row.user.userPrincipalName ? row.user.userPrincipalName.toLowerCase() : null),
    (row) => `duplicate userPrincipalName "${row.user.userPrincipalName}"`,
  );
  // A derived ID repeats only when its stable key does; a UPN key was already reported above.
  duplicates(
    'immutableId',
    (row) => (row.idDerived && row.stableKey.startsWith('upn:') ? null : row.user.immutableId || null),
    (row) =>
      row.idDerived
        ? `duplicate ${row.stableKey.slice(0, row.stableKey.indexOf(':'))} "${row.stableKey.slice(row.stableKey.indexOf(':') + 1)}" gives the same Immutable ID`
        : `duplicate Immutable ID "${row.user.immutableId}"`,
  );

  const accepted = rows.filter((r) => !r.rejected).map(({ rejected: _r, ...row }) => row);
  const users = new Map<string, SourceUser[]>();
  for (const row of accepted) {
    const domain = domainOf(row.user.userPrincipalName);
    const list = users.get(domain);
    if (list) list.push(row.user);
    else users.set(domain, [row.user]);
  }
  errors.sort((a, b) => a.line - b.line);
  return { users, rows: accepted, errors, totalRows, rejectedUpns, encoding, fatal: false };
}
