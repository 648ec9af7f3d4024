// The CLI as scripts use it: one JSON object for every outcome, timeouts that say so, and a run's per-user CSV from `logs`.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { RUN_CSV_COLUMNS, runCsv } from '../../src/sync/run-csv.js';
import { type CliTenant, type EmulatorProcess, jsonOf, runCli, startCliTenant } from '../helpers/cli.js';

const DOMAIN = 'scripts.jp';
const imm = (i: number) => Buffer.from(`scripts-${i}`).toString('base64').replace(/=+$/, '');
const upn = (i: number) => `s${i}@${DOMAIN}`;

interface FailureJson {
  status: string;
  reason: string;
  exitCode: number;
  exitMeaning: string;
}

describe('entra-sync for scripts', { timeout: 180_000 }, () => {
  let tenant: CliTenant;
  let emulator: EmulatorProcess;
  let dir: string;
  let env: Record<string, string>;
  let hanging: Server;

  beforeAll(async () => {
    const seed = {
      domains: [
        { id: 'scriptsjp.onmicrosoft.com', authenticationType: 'Managed', isVerified: true, isInitial: true },
        { id: DOMAIN, authenticationType: 'Federated', isVerified: true, isDefault: true },
      ],
      users: [0, 1, 2].map((i) => ({
        userPrincipalName: upn(i),
        displayName: `S ${i}`,
        givenName: 'S',
        surname: String(i),
        mailNickname: `s${i}`,
        onPremisesImmutableId: imm(i),
        accountEnabled: true,
        // The organization's country (the emulator's default, JP): no usage-location update is due.
        usageLocation: 'JP',
      })),
    };
    tenant = await startCliTenant({
      prefix: 'entra-sync-scripts-',
      seed,
      emulatorArgs: ['--no-throttling'],
      // s0 stays, s1 gets a new display name, s2 leaves, s3 and s4 are hired.
      directories: [
        {
          domain: DOMAIN,
          rows: [
            'userPrincipalName,givenName,surname,displayName,immutableId',
            `${upn(0)},S,0,S 0,${imm(0)}`,
            `${upn(1)},S,1,S One,${imm(1)}`,
            `${upn(3)},S,3,S 3,${imm(3)}`,
            `${upn(4)},S,4,S 4,${imm(4)}`,
          ],
        },
      ],
    });
    ({ emulator, dir, env } = tenant);
    // An HTTP server that accepts requests and never answers (a hung SCIM endpoint).
    hanging = createServer(() => undefined);
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
  });

  afterAll(async () => {
    hanging?.closeAllConnections();
    await new Promise((r) => hanging?.close(r));
    await tenant?.stop();
  });

  it('logs --run ID --out FILE.csv writes the run CSV the bot link serves; --json describes the run', async () => {
    const preview = jsonOf<{ planId: string }>(
      await runCli(['preview', '--domain', DOMAIN, '--json', '--out', join(dir, 'plan.csv')], env),
    );
    const applied = jsonOf<{ runId: string; status: string }>(
      await runCli(['apply', '--plan', preview.planId, '--json'], env),
    );
    expect(applied.status).toBe('completed');

    const out = join(dir, 'run.csv');
    const text = await runCli(['logs', '--run', applied.runId, '--out', out], env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(applied.runId);
    expect(text.stdout).toContain(`Per-user results written to ${out}`);
    const csv = readFileSync(out, 'utf8');
    const stores = await openStore(env.STORE_URL!);
    try {
      const run = await stores.runs.get(applied.runId);
      expect(run).not.toBeNull();
      expect(csv).toBe(runCsv(run!));
    } finally {
      await stores.close();
    }
    expect(csv.startsWith(`\ufeff${RUN_CSV_COLUMNS.join(',')}\r\n`)).toBe(true);
    expect(csv.split('\r\n').filter(Boolean)).toHaveLength(1 + 4);
    expect(csv).toContain(`Delete,${upn(2)},${imm(2)},done`);

    const json = await runCli(['logs', '--run', applied.runId, '--json'], env);
    expect(json.code).toBe(0);
    const detail = jsonOf<{
      run: { runId: string; status: string; counts: object };
      failures: unknown[];
      csvPath: null;
    }>(json);
    expect(detail.run).toMatchObject({ runId: applied.runId, status: 'completed' });
    expect(detail.run.counts).toEqual({ added: 2, updated: 1, deleted: 1, failed: 0 });
    expect(detail.failures).toEqual([]);
    expect(detail.csvPath).toBeNull();
  });

  it('with --json a bad input and an unknown run still answer with one JSON object', async () => {
    const unknown = await runCli(['logs', '--run', 'no-such-run', '--json'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout.trim().split('\n')).toHaveLength(1);
    expect(jsonOf<FailureJson>(unknown)).toEqual({
      status: 'bad-input',
      reason: 'No run with id no-such-run in the sync log: see entra-sync logs',
      exitCode: 2,
      exitMeaning: expect.stringMatching(/^bad input/),
    });
    const usage = jsonOf<FailureJson>(await runCli(['logs', '--out', 'x.csv', '--json'], env));
    expect(usage).toMatchObject({ status: 'bad-input', exitCode: 2 });
    expect(usage.reason).toMatch(/--out: only with --run ID/);
  });

  it('a Graph timeout fails with exit 3, one JSON object and "timed out after N s"', async () => {
    await emulator.fetch('/_emulator/latency', { method: 'POST', body: { latency: { read: 2500, write: 0 } } });
    try {
      const r = await runCli(['preview', '--domain', DOMAIN, '--json'], { ...env, GRAPH_TIMEOUT_SECONDS: '1' });
      expect(r.code, r.stderr).toBe(3);
      const answer = jsonOf<FailureJson>(r);
      expect(answer).toMatchObject({ status: 'failed', exitCode: 3 });
      expect(answer.exitMeaning).toMatch(/^failure/);
      expect(answer.reason).toMatch(/timed out after 1 s \(GRAPH_TIMEOUT_SECONDS\)/);
      expect(answer.reason).not.toMatch(/cannot reach/);
    } finally {
      await emulator.fetch('/_emulator/latency', { method: 'POST', body: { latency: 'none' } });
    }
  });

  it('a SCIM timeout says so, with the setting to change', async () => {
    const port = (hanging.address() as AddressInfo).port;
    const r = await runCli(['preview', '--domain', DOMAIN, '--json'], {
      ...env,
      ACCESS_CONTROL_SCIM_URL: `http://127.0.0.1:${port}/scim/v2`,
      ACCESS_CONTROL_SCIM_TOKEN: 'scim-token',
      SCIM_TIMEOUT_SECONDS: '1',
    });
    expect(r.code).toBe(3);
    const answer = jsonOf<FailureJson>(r);
    expect(answer.status).toBe('failed');
    expect(answer.reason).toMatch(/timed out after 1 s \(SCIM_TIMEOUT_SECONDS\)/);
    expect(answer.reason).not.toContain('scim-token');
  });
});
