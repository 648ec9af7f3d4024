// The `entra-sync emulator` command (one JSON line, runs until SIGTERM), --state persistence, and the demo tenant.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { parseEmulatorArgs, run } from '../../src/cli/emulator-command.js';
import { demoPeople, demoTenantSeed, type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { rawFetch, tokenFor } from './helpers.js';

const running: RunningEmulator[] = [];
afterAll(async () => {
  for (const e of running) await e.close();
});

function spawnCli(args: string[]) {
  const child = spawn(process.execPath, ['bin/entra-sync.js', 'emulator', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = createInterface({ input: child.stdout });
  const firstLine = new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
  });
  firstLine.catch(() => {});
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, firstLine, exited, stderr: () => stderr };
}

describe('entra-sync emulator (CLI)', () => {
  // the README's emulator section: once listening, exactly one line of JSON on stdout
  it('prints the JSON line, serves tokens with the printed credentials over its CA, and stops on SIGTERM', async () => {
    const cli = spawnCli(['--seed', 'demo', '--port', '0']);
    const line = await cli.firstLine;
    const info = JSON.parse(line);
    expect(Object.keys(info)).toEqual([
      'graphBaseUrl',
      'authorityHost',
      'caFile',
      'tenantId',
      'clientId',
      'clientSecret',
    ]);
    expect(info.graphBaseUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const caPem = await readFile(info.caFile, 'utf8');
    const emu = { ...info, caPem, url: info.graphBaseUrl } as RunningEmulator;
    const token = await tokenFor(emu);
    const users = await rawFetch(emu)('/v1.0/users?$top=1&$select=id', { token });
    expect(users.status).toBe(200);
    expect(cli.stderr()).not.toContain(info.clientSecret);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  }, 30_000);

  it('exits 2 naming the bad flag or the bad seed file', async () => {
    const stderr: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      expect(await run(['--latency', 'slow'])).toBe(2);
      expect(stderr.join('')).toContain('--latency');
      const dir = await mkdtemp(join(tmpdir(), 'emu-seed-'));
      const file = join(dir, 'seed.json');
      await writeFile(
        file,
        JSON.stringify({
          domains: [{ id: 'a.example', authenticationType: 'Sometimes', isVerified: true }],
          users: [],
        }),
      );
      expect(await run(['--seed', file])).toBe(2);
      expect(stderr.join('')).toContain('domains.0.authenticationType');
    } finally {
      process.stderr.write = write;
    }
    expect(parseEmulatorArgs(['--port', '70000'])).toEqual({ error: expect.stringContaining('--port') });
    expect(parseEmulatorArgs(['--http', '--no-consent', '--time-scale', '10', '--state', 's.json'])).toEqual({
      options: { http: true, consent: false, timeScale: 10, stateFile: 's.json', replicationDelayMs: 1000 },
    });
    // Listings lag by a realistic second unless --replication-delay says otherwise; 0 turns the lag off.
    expect(parseEmulatorArgs(['--replication-delay', '0'])).toEqual({ options: { replicationDelayMs: 0 } });
  }, 30_000);
});

describe('state file (--state) over plain HTTP (--http)', () => {
  it('persists users, deleted items and the own app across restarts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'emu-state-'));
    const stateFile = join(dir, 'state.json');
    const a = await startEmulator({ seed: 'demo', stateFile, http: true });
    const f = rawFetch(a);
    const token = await plainToken(a);
    const p = demoPeople()[2]!; // not [0]: the demo's Global Administrator, whom an app-only token may not delete
    expect((await f(`/v1.0/users/${p.upn}`, { method: 'DELETE', token })).status).toBe(204);
    await f(`/v1.0/users/${demoPeople()[1]!.upn}`, { method: 'PATCH', token, body: { jobTitle: '常務' } });
    await a.close();
    const b = await startEmulator({ seed: 'empty', stateFile, http: true });
    running.push(b);
    expect([b.clientId, b.clientSecret, b.tenantId]).toEqual([a.clientId, a.clientSecret, a.tenantId]);
    const g = rawFetch(b);
    const t2 = await plainToken(b);
    expect((await g(`/v1.0/users/${p.upn}`, { token: t2 })).status).toBe(404);
    const deleted = await g('/v1.0/directory/deletedItems/microsoft.graph.user', { token: t2 });
    expect(deleted.json.value).toHaveLength(1);
    const u = await g(`/v1.0/users/${demoPeople()[1]!.upn}?$select=jobTitle`, { token: t2 });
    expect(u.json.jobTitle).toBe('常務');
  }, 30_000);
});

/** A token from a plain-HTTP emulator (msal-node insists on https authorities, so the form is posted directly). */
async function plainToken(e: RunningEmulator): Promise<string> {
  expect(e.graphBaseUrl).toMatch(/^http:\/\//);
  expect(e.caFile).toBeNull();
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: e.clientId,
    client_secret: e.clientSecret,
    scope: `${e.graphBaseUrl}/.default`,
  });
  const t = await fetch(`${e.authorityHost}/${e.tenantId}/oauth2/v2.0/token`, { method: 'POST', body: form });
  return ((await t.json()) as { access_token: string }).access_token;
}

describe('demo tenant', () => {
  it('is deterministic and has the accounts the product needs to show', () => {
    const seed = demoTenantSeed();
    expect(JSON.stringify(demoTenantSeed())).toBe(JSON.stringify(seed));
    expect(seed.displayName).toBe('Contoso Japan');
    expect(seed.users.length).toBeGreaterThanOrEqual(180);
    expect(seed.users.length).toBeLessThanOrEqual(220);
    const domains = Object.fromEntries(seed.domains.map((d) => [d.id, d.authenticationType]));
    expect(domains).toEqual({
      'contosojp.onmicrosoft.com': 'Managed',
      'contoso.co.jp': 'Federated',
      'fabrikam.jp': 'Federated',
    });
    const upns = new Set(seed.users.map((u) => u.userPrincipalName));
    expect(upns.has('room-3f-large@contoso.co.jp')).toBe(true);
    expect(seed.users.find((u) => u.userPrincipalName === 'room-3f-large@contoso.co.jp')!.displayName).toBe(
      '会議室 3F 大',
    );
    expect(upns.has('info@contoso.co.jp')).toBe(true);
    expect(seed.users.some((u) => u.userType === 'Guest' && u.userPrincipalName.includes('#EXT#'))).toBe(true);
    expect(
      seed.users.some((u) => u.onPremisesSyncEnabled === true && u.userPrincipalName.endsWith('@contoso.co.jp')),
    ).toBe(true);
    expect(seed.users.some((u) => u.displayName === '山田 太郎')).toBe(true);
    expect(seed.users.some((u) => /^[A-Z][a-z]+ [A-Z][a-z]+$/.test(u.displayName ?? ''))).toBe(true);
    const ga = seed.directoryRoles!.find((r) => r.roleName === 'Global Administrator')!;
    expect(ga.principalIds).toHaveLength(2);
    const people = demoPeople();
    expect(people.every((p) => p.upn.endsWith('@contoso.co.jp') && upns.has(p.upn))).toBe(true);
    expect(new Set(people.map((p) => p.immutableId)).size).toBe(people.length);
    expect(people.every((p) => Buffer.from(p.immutableId, 'base64').toString().endsWith(p.employeeId))).toBe(true);
    expect(people.some((p) => p.upn === 'room-3f-large@contoso.co.jp' || p.upn === 'info@contoso.co.jp')).toBe(false);
  });
});
