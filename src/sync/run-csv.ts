// The per-user outcomes of a sync run as CSV: same encoding and formula neutralisation as the plan CSV.
import { blocks, CSV_BOM, csvRow } from './csv-cell.js';
import type { RunRecord, UserOutcome } from './model.js';

export const RUN_CSV_COLUMNS = [
  'Action',
  'UserPrincipalName',
  'ImmutableId',
  'Result',
  'ErrorCode',
  'ErrorMessage',
  'ApprovedBy',
  'ApprovedByObjectId',
] as const;

/** Who approved the run: every row carries it. */
type RunCsvWho = Partial<Pick<RunRecord, 'approvedBy' | 'approvedById'>>;
type RunCsvInput = Pick<RunRecord, 'outcomes'> & RunCsvWho;

/** One outcome's cells; every row carries who approved the run, so that a CSV read alone still says it. */
export function runCsvCells(o: UserOutcome, run: RunCsvWho = {}): (string | null)[] {
  return [
    o.action,
    o.upn,
    o.immutableId,
    o.restored && o.result === 'done' ? 'done (restored)' : o.result,
    o.errorCode ?? (o.errorKind ? o.errorKind : null),
    o.errorMessage ?? null,
    run.approvedBy ?? null,
    run.approvedById ?? null,
  ];
}

const HEADER = CSV_BOM + csvRow(RUN_CSV_COLUMNS);

function* rowsOf(outcomes: readonly UserOutcome[], run: RunCsvWho): Generator<string> {
  for (const o of outcomes) yield csvRow(runCsvCells(o, run));
}

/**
 * The run CSV as text blocks, reading the outcomes page by page as they come (the run log's outcomes(), or the record's
 * own list): a run of 100,000 users is never held whole, as outcomes or as text.
 */
export async function* runCsvChunks(
  run: RunCsvWho,
  pages: AsyncIterable<readonly UserOutcome[]> | Iterable<readonly UserOutcome[]>,
): AsyncGenerator<string> {
  yield HEADER;
  for await (const page of pages) yield* blocks(rowsOf(page, run));
}

/** The whole run CSV of a record that holds its outcomes (small runs, tests). */
export function runCsv(run: RunCsvInput): string {
  let out = HEADER;
  for (const row of rowsOf(run.outcomes, run)) out += row;
  return out;
}
