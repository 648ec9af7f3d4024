// The dry-run CSV of a plan (the README's plan CSV contract): UTF-8 BOM, CRLF, RFC 4180, fixed columns, formula-safe cells.
import { blocks, CSV_BOM, csvRow } from './csv-cell.js';
import type { AttributeChange, AttributeValue, Change, Plan } from './model.js';

export const PLAN_CSV_COLUMNS = [
  'Action',
  'UserPrincipalName',
  'ImmutableId',
  'DisplayName',
  'GivenName',
  'Surname',
  'ChangedAttributes',
  'Note',
] as const;

export const NOTE_RESTORE = 'restore soft-deleted user';
export const NOTE_NEW_USER = 'no licence assigned';

const shown = (v: AttributeValue | undefined): string => (v === null || v === undefined ? '' : String(v));

/** `attr: "old" → "new"` pairs joined by `; `. */
export function formatChanges(changes: readonly AttributeChange[]): string {
  return changes.map((c) => `${c.attribute}: "${shown(c.before)}" → "${shown(c.after)}"`).join('; ');
}

/** Attributes a new user gets beyond the row's own columns. */
const ADD_EXTRA = [
  'mailNickname',
  'mail',
  'jobTitle',
  'department',
  'employeeId',
  'mobilePhone',
  'accountEnabled',
] as const;

const afterOf = (changes: readonly AttributeChange[], attribute: string): AttributeValue | undefined =>
  changes.find((c) => c.attribute === attribute)?.after;

/** What an Update does beyond its attribute changes (adoption; in a federated domain, the three steps). */
export function updateNote(c: Extract<Change, { action: 'Update' }>): string {
  if (c.via)
    return (
      `adopt (federated domain): moves the UPN to ${c.via}, sets the Immutable ID there, then moves it back to ` +
      `${c.upn} (Entra does not set the Immutable ID of a federated user in place)`
    );
  return c.adopt ? 'adopt: sets the Immutable ID of the Entra user matched by UPN' : '';
}

/** The cells of one change, in PLAN_CSV_COLUMNS order. */
export function planCsvCells(c: Change): (string | null)[] {
  switch (c.action) {
    case 'Add': {
      const a = c.attributes;
      const restore = c.restoreId !== null;
      const listed = restore
        ? c.changes
        : ADD_EXTRA.filter((k) => a[k] !== null && a[k] !== '').map((k) => ({
            attribute: k,
            before: null,
            after: a[k],
          }));
      return [
        'Add',
        c.upn,
        c.immutableId,
        shown(a.displayName),
        shown(a.givenName),
        shown(a.surname),
        formatChanges(listed),
        restore ? NOTE_RESTORE : NOTE_NEW_USER,
      ];
    }
    case 'Update':
      return [
        'Update',
        c.upn,
        c.immutableId,
        shown(afterOf(c.changes, 'displayName')),
        shown(afterOf(c.changes, 'givenName')),
        shown(afterOf(c.changes, 'surname')),
        formatChanges(c.changes),
        updateNote(c),
      ];
    case 'Delete':
      return [
        'Delete',
        c.upn,
        c.immutableId,
        c.displayName,
        '',
        '',
        c.mode === 'disable' ? 'accountEnabled: "true" → "false"' : '',
        [
          c.mode === 'disable' ? 'disable (block sign-in)' : 'delete (restorable for 30 days)',
          c.nonUserHint ? `${c.nonUserHint}: run precheck to move it to the onmicrosoft.com domain instead` : '',
        ]
          .filter(Boolean)
          .join('; '),
      ];
    case 'Skip':
      return ['Skip', c.upn, c.immutableId, c.displayName, '', '', '', c.note];
    case 'NoChange':
      return ['NoChange', c.upn, c.immutableId || null, c.displayName, '', '', '', ''];
  }
}

const HEADER = CSV_BOM + csvRow(PLAN_CSV_COLUMNS);

function* rowsOf(changes: readonly Change[]): Generator<string> {
  for (const c of changes) yield csvRow(planCsvCells(c));
}

function* planRows(plan: Pick<Plan, 'changes'>): Generator<string> {
  yield HEADER;
  yield* rowsOf(plan.changes);
}

/** The plan CSV in blocks (BOM and header first), one row at a time underneath: stream it to a file or response. */
export function planCsvChunks(plan: Pick<Plan, 'changes'>): Iterable<string> {
  return blocks(planRows(plan));
}

/**
 * The plan CSV in blocks, formatting the changes page by page as they are read (the plan store's changes()): a plan
 * of a million users is never held whole, as changes or as text. The same bytes as planCsvChunks.
 */
export async function* planCsvStream(pages: AsyncIterable<readonly Change[]>): AsyncGenerator<string> {
  yield HEADER;
  for await (const page of pages) yield* blocks(rowsOf(page));
}

/** The plan CSV's size in UTF-8 bytes, counted block by block as it streams: the whole CSV is never held. */
export function planCsvByteSize(plan: Pick<Plan, 'changes'>): number {
  let size = 0;
  for (const chunk of planCsvChunks(plan)) size += Buffer.byteLength(chunk, 'utf8');
  return size;
}

/** The whole plan CSV as one string (small plans, tests). */
export function planCsv(plan: Pick<Plan, 'changes'>): string {
  let out = '';
  for (const chunk of planCsvChunks(plan)) out += chunk;
  return out;
}
