// `entra-sync logs` run as the real binary against a sqlite store holding manual and hourly runs: table, JSON, errors.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLogsArgs } from '../../src/cli/logs-command.js';
import { openStore } from '../../src/store/index.js';
import { runRecordFor } from './fixtures.js';

const BIN = new URL('../../bin/entra-sync.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'logs-cli-'));
const STORE_URL = `sqlite://${join(dir, 'state.sqlite')}`;
const T0 = Date.parse('2026-01-05T10:20:00.000Z');

const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, 'logs', ...args], {
    env: { ...process.env, DEMO: 'true', STORE_URL, LOG_LEVEL: 'warn' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

// Each case starts the real CLI (tsx) a few times: generous timeouts for a loaded machine.
describe('entra-sync logs', { timeout: 90_000 }, () => {
  beforeAll(async () => {
    const stores = await openStore(STORE_URL);
    for (let i = 0; i < 5; i++)
      await stores.runs.put(
        runRecordFor('contoso.co.jp', T0 + i * 3_600_000, {
          id: `run-hourly-${i}`,
          counts: { added: i, updated: 2 * i, deleted: 0, failed: 0 },
        }),
      );
    await stores.runs.put(
      runRecordFor('fabrikam.jp', T0 + 30 * 60_000, {
        id: 'run-manual-1',
        trigger: 'manual',
        requestedBy: 'Hanako Sato',
        approvedBy: 'Taro \u001b[31mYamada',
        approvedById: '0b5c2c4e-1f7d-4e8b-9c1a-2d3e4f5a6b7c',
        status: 'cancelled',
        reason: 'max allowed deletions reached: 70% ≥ 65%',
        counts: { added: 0, updated: 0, deleted: 0, failed: 0 },
        endedAt: new Date(T0 + 30 * 60_000 + 185_000).toISOString(),
      }),
    );
    await stores.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the latest runs as a table, newest first, with who, counts and duration', () => {
    const r = cli();
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^STARTED \(UTC\)\s+DOMAIN\s+STATUS\s+TRIGGER\s+WHO\s+ADDED\s+UPDATED\s+DELETED\s+FAILED\s+DURATION\s+RUN$/,
    );
    const runIds = lines
      .slice(1)
      .filter((l) => !l.startsWith('  ↳'))
      .map((l) => l.split(/\s+/).pop());
    expect(runIds).toEqual([
      'run-hourly-4',
      'run-hourly-3',
      'run-hourly-2',
      'run-hourly-1',
      'run-manual-1',
      'run-hourly-0',
    ]);
    expect(lines[1]).toMatch(
      /2026-01-05 14:20:00\s+contoso\.co\.jp\s+completed\s+hourly\s+scheduler\s+4\s+8\s+0\s+0\s+1 s\s+run-hourly-4/,
    );
    const manual = lines.find((l) => l.includes('run-manual-1'))!;
    expect(manual).toMatch(
      /cancelled\s+manual\s+by Hanako Sato, approved Taro\s+\[31mYam\S*…\s+0\s+0\s+0\s+0\s+3 min 05 s\s+run-manual-1/,
    );
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stdout).toContain('  ↳ max allowed deletions reached: 70% ≥ 65%');
  });

  it('filters by domain and limits, and prints one JSON object with --json', () => {
    const r = cli('--domain', 'Contoso.co.jp', '--limit', '2', '--json');
    expect(r.code, r.stderr).toBe(0);
    const body = JSON.parse(r.stdout) as {
      runs: { runId: string; domain: string; durationMs: number; counts: object }[];
    };
    expect(body.runs.map((x) => x.runId)).toEqual(['run-hourly-4', 'run-hourly-3']);
    expect(body.runs[0]).toMatchObject({
      domain: 'contoso.co.jp',
      trigger: 'hourly',
      status: 'completed',
      durationMs: 1000,
      counts: { added: 4, updated: 8, deleted: 0, failed: 0 },
    });
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const manual = JSON.parse(cli('--domain', 'fabrikam.jp', '--json').stdout) as { runs: Record<string, unknown>[] };
    expect(manual.runs[0]).toMatchObject({
      approvedBy: 'Taro \u001b[31mYamada',
      approvedById: '0b5c2c4e-1f7d-4e8b-9c1a-2d3e4f5a6b7c',
    });
  });

  it('says when a domain has no runs, and rejects bad input with exit code 2 naming the option', () => {
    expect(cli('--domain', 'northwind.jp').stdout).toBe('No runs of northwind.jp in the sync log.\n');
    const badLimit = cli('--limit', 'ten');
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toContain('--limit: must be a whole number (got "ten")');
    expect(badLimit.stdout).toBe('');
    expect(() => parseLogsArgs(['--limit', '0'])).toThrow('--limit: must be between 1 and 1000 (got 0)');
    expect(() => parseLogsArgs(['--domain', 'not a domain'])).toThrow('--domain: "not a domain" is not a domain name');
    expect(() => parseLogsArgs(['--frobnicate'])).toThrow(/frobnicate/);
    expect(parseLogsArgs(['@Contoso.CO.JP'])).toEqual({ domain: 'contoso.co.jp', json: false, limit: 20 });
  });
});
