// The plan and run CSVs opened in a real spreadsheet engine (LibreOffice Calc, headless) with formulas evaluated:
// whatever a directory name holds, no cell becomes a formula, whichever separators the import splits on.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/sync/model.js';
import { buildPlan } from '../../src/sync/plan.js';
import { planCsv } from '../../src/sync/plan-csv.js';
import { runCsv } from '../../src/sync/run-csv.js';
import { DOMAIN, entraUser, settings, snapshot } from './fixtures.js';

const soffice = spawnSync('soffice', ['--version'], { encoding: 'utf8' });
if (soffice.status !== 0)
  throw new Error('LibreOffice Calc is required for this test: run scripts/setup.sh --system (libreoffice-calc-nogui)');

const dir = mkdtempSync(join(tmpdir(), 'csv-calc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * LibreOffice's CSV import filter options: separators (ASCII codes joined by /), text delimiter ", UTF-8, from line 1,
 * no column formats, default language, quoted field as text off, detect special numbers on, …, trim spaces, …,
 * evaluate formulas on. Returns the formulas of every cell of the imported sheet (flat ODF).
 */
function formulasAfterImport(name: string, csv: string, separators: string, trimSpaces: boolean): string[] {
  const file = join(dir, `${name}.csv`);
  writeFileSync(file, csv, 'utf8');
  const filter = `CSV:${separators},34,76,1,,0,false,true,false,false,${trimSpaces},-1,true`;
  execFileSync(
    'soffice',
    [
      `-env:UserInstallation=${pathToFileURL(join(dir, 'profile')).href}`,
      '--headless',
      `--infilter=${filter}`,
      '--convert-to',
      'fods',
      '--outdir',
      dir,
      file,
    ],
    { stdio: 'pipe', timeout: 120_000 },
  );
  const xml = readFileSync(join(dir, `${name}.fods`), 'utf8');
  return [...xml.matchAll(/table:formula="([^"]*)"/g)].map((m) => m[1]!);
}

const EVIL = [
  'Sato;=1+1',
  'Sato\t=1+1',
  '=1+1',
  ' =1+1',
  '\u2003=1+1',
  '\u200B=1+1',
  '\uFEFF=1+1',
  '\v=1+1',
  '\f=1+1',
  '+1+1',
  '-1+1',
  '@SUM(1,1)',
  '=HYPERLINK("http://evil.example","x")',
  'a;b;=1+1;"c"',
];

const SEPARATORS = [
  ['comma', '44'],
  ['comma-semicolon-tab', '44/59/9'],
] as const;

describe('CSVs in LibreOffice Calc', () => {
  it('the engine does evaluate a raw formula cell (control)', () => {
    expect(formulasAfterImport('control', 'A,B\r\nx,=1+1\r\ny;=2+2,z\r\n', '44/59/9', false)).toEqual(
      expect.arrayContaining(['of:=1+1', 'of:=2+2']),
    );
  }, 120_000);

  it('no cell of the plan CSV or the run CSV evaluates, whatever the separators and trimming', () => {
    const source = EVIL.map((name, i) => ({
      userPrincipalName: `u${i}@${DOMAIN}`,
      immutableId: `X${i}`,
      displayName: name,
      givenName: name,
      surname: name,
    }));
    const plan = buildPlan(
      snapshot({
        source,
        entra: [
          entraUser({ id: 'z', userPrincipalName: `z@${DOMAIN}`, displayName: 'Sato;=1+1' }),
          entraUser({ id: 'y', userPrincipalName: `u0@${DOMAIN}`, displayName: 'old', onPremisesImmutableId: 'X0' }),
        ],
      }),
      settings({ maxDeletionPercent: 100 }),
      { id: 'p', now: '2026-11-26T00:00:00.000Z' },
    );
    const run = {
      outcomes: EVIL.map((m, i) => ({
        action: 'Update',
        upn: `u${i}@${DOMAIN}`,
        immutableId: `X${i}`,
        result: 'failed',
        errorKind: 'bad_request',
        errorCode: m,
        errorMessage: m,
      })),
    } as unknown as Pick<RunRecord, 'outcomes'>;
    for (const [label, separators] of SEPARATORS)
      for (const trim of [false, true]) {
        expect(formulasAfterImport(`plan-${label}-${trim}`, planCsv(plan), separators, trim), label).toEqual([]);
        expect(formulasAfterImport(`run-${label}-${trim}`, runCsv(run), separators, trim), label).toEqual([]);
      }
  }, 240_000);
});
