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

type RunCsvInput = Pick<RunRecord, 'outcomes'> & Partial<Pick<RunRecord, 'approvedBy' | 'approvedById'>>;

/** One outcome's cells; every row carries who approved the run, so that a CSV read alone still says it. */
export function runCsvCells(
  o: UserOutcome,
  run: Partial<Pick<RunRecord, 'approvedBy' | 'approvedById'>> = {},
): (string | null)[] {
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

function* runRows(run: RunCsvInput): Generator<string> {
  yield CSV_BOM + csvRow(RUN_CSV_COLUMNS);
  for (const o of run.outcomes) yield csvRow(runCsvCells(o, run));
}

export function runCsvChunks(run: RunCsvInput): Iterable<string> {
  return blocks(runRows(run));
}

export function runCsv(run: RunCsvInput): string {
  let out = '';
  for (const chunk of runCsvChunks(run)) out += chunk;
  return out;
}
