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
] as const;

export function runCsvCells(o: UserOutcome): (string | null)[] {
  return [
    o.action,
    o.upn,
    o.immutableId,
    o.restored && o.result === 'done' ? 'done (restored)' : o.result,
    o.errorCode ?? (o.errorKind ? o.errorKind : null),
    o.errorMessage ?? null,
  ];
}

function* runRows(run: Pick<RunRecord, 'outcomes'>): Generator<string> {
  yield CSV_BOM + csvRow(RUN_CSV_COLUMNS);
  for (const o of run.outcomes) yield csvRow(runCsvCells(o));
}

export function runCsvChunks(run: Pick<RunRecord, 'outcomes'>): Iterable<string> {
  return blocks(runRows(run));
}

export function runCsv(run: Pick<RunRecord, 'outcomes'>): string {
  let out = '';
  for (const chunk of runCsvChunks(run)) out += chunk;
  return out;
}
