// RFC 4180 CSV cells and rows (CRLF) with spreadsheet-formula neutralisation, shared by the plan and run CSVs.

export const CSV_BOM = '\uFEFF';
export const CRLF = '\r\n';

/** Characters that make a spreadsheet treat a cell as a formula (ASCII and full-width forms). */
const FORMULA_START = new Set(['=', '+', '-', '@', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20']);
/** Characters a spreadsheet may skip before reading a formula. */
const LEADING_BLANK = /^[ \u00A0\u3000\t\r\n]*/;

/**
 * Prefixes `'` to any text a spreadsheet could evaluate: a first non-blank character in = + - @ (or ＝ ＋ － ＠),
 * or text that starts with a tab, CR or LF (OWASP "CSV injection").
 */
export function neutraliseFormula(text: string): string {
  if (text === '') return text;
  const first = text.charCodeAt(0);
  if (first === 0x09 || first === 0x0d || first === 0x0a) return `'${text}`;
  const lead = LEADING_BLANK.exec(text)![0].length;
  const c = text[lead];
  return c !== undefined && FORMULA_START.has(c) ? `'${text}` : text;
}

export type CellValue = string | number | boolean | null | undefined;

/** One cell: neutralised, then quoted when it holds a quote, comma, CR or LF (quotes doubled). */
export function csvCell(value: CellValue): string {
  if (value === null || value === undefined) return '';
  const text = neutraliseFormula(typeof value === 'string' ? value : String(value));
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One record, CRLF-terminated. */
export function csvRow(values: readonly CellValue[]): string {
  let out = '';
  for (let i = 0; i < values.length; i++) out += (i > 0 ? ',' : '') + csvCell(values[i]);
  return out + CRLF;
}

/** Groups rows into blocks of about `blockSize` characters (fewer, larger chunks for streaming). */
export function* blocks(rows: Iterable<string>, blockSize = 64 * 1024): Generator<string> {
  let buffer = '';
  for (const row of rows) {
    buffer += row;
    if (buffer.length >= blockSize) {
      yield buffer;
      buffer = '';
    }
  }
  if (buffer !== '') yield buffer;
}
