// RFC 4180 CSV cells and rows (CRLF) with spreadsheet-formula neutralisation, shared by the plan and run CSVs.

export const CSV_BOM = '\uFEFF';
export const CRLF = '\r\n';

/** Characters that make a spreadsheet treat a cell as a formula (ASCII and full-width forms). */
const FORMULA_START = new Set(['=', '+', '-', '@', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20']);
/**
 * Characters a spreadsheet may skip before reading a formula: space, NBSP, ideographic space, the Unicode spaces
 * U+2000–U+200B, BOM/ZWNBSP U+FEFF, and the controls TAB, LF, VT, FF, CR.
 */
const LEADING_BLANK = /^[ \u00A0\u3000\u2000-\u200B\uFEFF\t\n\v\f\r]*/;

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

/**
 * One cell: neutralised, then quoted when it holds a quote, comma, semicolon, TAB, CR or LF (quotes doubled). A
 * spreadsheet whose import also splits on `;` or TAB (LibreOffice's default) would otherwise start a new cell there,
 * and `Sato;=1+1` would become a formula.
 */
export function csvCell(value: CellValue): string {
  if (value === null || value === undefined) return '';
  const text = neutraliseFormula(typeof value === 'string' ? value : String(value));
  return /[",;\t\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
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
