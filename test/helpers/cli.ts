// Test helpers that run the real `entra-sync` binary: the emulator as a child process and CLI commands against it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Agent, fetch } from 'undici';
import { expect } from 'vitest';

export const BIN = new URL('../../bin/entra-sync.js', import.meta.url).pathname;

export interface EmulatorLine {
  graphBaseUrl: string;
  authorityHost: string;
  caFile: string | null;
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

export interface EmulatorProcess {
  info: EmulatorLine;
  child: ChildProcess;
  /** fetch with the emulator's CA trusted. */
  fetch(path: string, init?: { method?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; json: unknown }>;
  token(): Promise<string>;
  stop(): Promise<void>;
}

/** Starts `entra-sync emulator` and waits for its one JSON line. */
export async function startEmulatorProcess(args: string[]): Promise<EmulatorProcess> {
  const child = spawn(process.execPath, [BIN, 'emulator', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  const lines = createInterface({ input: child.stdout! });
  const info = await new Promise<EmulatorLine>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`emulator did not start: ${stderr}`)), 30_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line) as EmulatorLine);
    });
    child.once('exit', (code) => reject(new Error(`emulator exited ${code}: ${stderr}`)));
  });
  const ca = info.caFile ? readFileSync(info.caFile, 'utf8') : undefined;
  const dispatcher = new Agent(ca ? { connect: { ca } } : {});
  const call: EmulatorProcess['fetch'] = async (path, init = {}) => {
    const res = await fetch(`${info.graphBaseUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: { 'content-type': 'application/json', ...(init.headers ?? {}) },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      dispatcher,
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  };
  return {
    info,
    child,
    fetch: call,
    async token() {
      const res = await fetch(`${info.authorityHost}/${info.tenantId}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: info.clientId,
          client_secret: info.clientSecret,
          scope: 'https://graph.microsoft.com/.default',
        }).toString(),
        dispatcher,
      });
      const body = (await res.json()) as { access_token?: string };
      if (!body.access_token) throw new Error(`no token: ${JSON.stringify(body)}`);
      return body.access_token;
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      await dispatcher.close();
    },
  };
}

/** The environment that points the CLI at an emulator process (never at a real tenant). */
export function cliEnv(info: EmulatorLine, storeUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    DEMO: 'false',
    ENTRA_TENANT_ID: info.tenantId,
    ENTRA_CLIENT_ID: info.clientId,
    ENTRA_CLIENT_SECRET: info.clientSecret,
    ENTRA_AUTHORITY_HOST: info.authorityHost,
    GRAPH_BASE_URL: info.graphBaseUrl,
    ...(info.caFile ? { ENTRA_CA_FILE: info.caFile } : {}),
    STORE_URL: storeUrl,
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one CLI command to completion. */
export function runCli(args: string[], env: Record<string, string>, cwd?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Parses the single JSON object a `--json` command printed. */
export function jsonOf<T>(r: CliResult): T {
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new Error(`no JSON on stdout (exit ${r.code}). stdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
}

/** A temporary folder holding the seed and a SQLite store, an emulator process seeded from it, and the CLI's environment. */
/** A domain to sync and the Access Control directory CSV lines (header first) to import for it. */
export interface DomainDirectory {
  readonly domain: string;
  readonly rows: readonly string[];
}

export interface CliTenant {
  readonly dir: string;
  readonly emulator: EmulatorProcess;
  readonly env: Record<string, string>;
  /** How many writes the emulator has accepted so far. */
  writes(): Promise<number>;
  /** Stops the emulator and removes the folder. */
  stop(): Promise<void>;
}

/** The emulator as slow as Graph (its realistic latency, no throttling): an apply takes long enough to be stopped mid-way. */
export const REALISTIC_EMULATOR_ARGS: readonly string[] = ['--latency', 'realistic', '--no-throttling'];

/**
 * Writes the seed to a new temporary folder, starts the emulator from it and points the CLI at both; for each of
 * `directories`, adds its domain (max deletions 50%) and imports its CSV lines (header first), both of which must succeed.
 */
export async function startCliTenant(options: {
  readonly prefix: string;
  readonly seed: unknown;
  /** Extra `entra-sync emulator` arguments (e.g. `--latency realistic`). */
  readonly emulatorArgs?: readonly string[];
  /** Extra environment for the CLI (e.g. SYNC_LEASE_TTL_SECONDS). */
  readonly env?: Record<string, string>;
  /** The synced domains and the Access Control directory to import for each, in order. */
  readonly directories?: readonly DomainDirectory[];
}): Promise<CliTenant> {
  const dir = mkdtempSync(join(tmpdir(), options.prefix));
  let emulator: EmulatorProcess | undefined;
  try {
    writeFileSync(join(dir, 'seed.json'), JSON.stringify(options.seed));
    const started = await startEmulatorProcess(['--seed', join(dir, 'seed.json'), ...(options.emulatorArgs ?? [])]);
    emulator = started;
    const env = cliEnv(started.info, `sqlite://${join(dir, 'state.sqlite')}`, options.env);
    const tenant: CliTenant = {
      dir,
      emulator: started,
      env,
      writes: async () => ((await started.fetch('/_emulator/stats')).json as { writes: number }).writes,
      async stop() {
        await started.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
    for (const { domain, rows } of options.directories ?? []) await addDomainAndImport(tenant, domain, rows);
    return tenant;
  } catch (err) {
    await emulator?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Adds the domain (max deletions 50%) and imports these CSV lines (header first) as the directory; both must succeed. */
async function addDomainAndImport(tenant: CliTenant, domain: string, rows: readonly string[]): Promise<void> {
  writeFileSync(join(tenant.dir, 'directory.csv'), `${rows.join('\r\n')}\r\n`);
  for (const args of [
    ['domains', 'add', domain, '--max-deletions', '50'],
    ['directory', 'import', join(tenant.dir, 'directory.csv')],
  ]) {
    const r = await runCli(args, tenant.env);
    expect(r.code, r.stderr).toBe(0);
  }
}

/** Starts `apply --plan ID --json` in a child process with no output, to be killed; `exitCode()` is undefined while it runs. */
export function spawnApply(planId: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [BIN, 'apply', '--plan', planId, '--json'], { env, stdio: 'ignore' });
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((r) =>
    child.once('exit', (code) => {
      exitCode = code;
      r();
    }),
  );
  return { child, exited, exitCode: () => exitCode };
}

/** Who a churn scenario is about: the synced domain, its tenant's initial domain, and how its people are named. */
interface ChurnPeople {
  readonly domain: string;
  readonly initialDomain: string;
  /** Given name and display-name prefix of everyone (display name `${letter} ${i}`). */
  readonly letter: string;
  readonly upn: (i: number) => string;
  readonly imm: (i: number) => string;
}

/** How many synced users the tenant holds, and how many of them leave, are promoted, and are hired in the directory. */
export interface ChurnCounts {
  readonly existing: number;
  readonly leavers: number;
  readonly updated: number;
  readonly hires: number;
}

/**
 * The people of a domain named for it: `kill.jp` with letter `K` has `k00042@kill.jp` (Immutable ID the base64 of
 * `kill-42`) and the initial domain `killjp.onmicrosoft.com`.
 */
function churnPeople(domain: string, letter: string): ChurnPeople {
  const tag = domain.split('.')[0]!;
  return {
    domain,
    initialDomain: `${domain.replaceAll('.', '')}.onmicrosoft.com`,
    letter,
    upn: (i) => `${letter.toLowerCase()}${String(i).padStart(5, '0')}@${domain}`,
    imm: (i) => Buffer.from(`${tag}-${i}`).toString('base64').replace(/=+$/, ''),
  };
}

/**
 * A large tenant whose federated domain holds `existing` synced users (Staff, usage location JP, the organization's
 * country, so no usage-location update is due), and the directory CSV lines that keep the first `existing - leavers`,
 * promote the first `updated` of them to Lead and hire `hires` more.
 */
function churnScenario(p: ChurnPeople, n: ChurnCounts): { seed: { domains: object[] }; rows: string[] } {
  const seed = {
    tenantSize: 'large',
    domains: [
      { id: p.initialDomain, authenticationType: 'Managed', isVerified: true, isInitial: true },
      { id: p.domain, authenticationType: 'Federated', isVerified: true, isDefault: true },
    ],
    users: Array.from({ length: n.existing }, (_, i) => ({
      userPrincipalName: p.upn(i),
      displayName: `${p.letter} ${i}`,
      givenName: p.letter,
      surname: String(i),
      mailNickname: p.upn(i).split('@')[0],
      jobTitle: 'Staff',
      onPremisesImmutableId: p.imm(i),
      accountEnabled: true,
      usageLocation: 'JP',
    })),
  };
  const line = (i: number, jobTitle: string) => `${p.upn(i)},${p.letter},${i},${p.letter} ${i},${p.imm(i)},${jobTitle}`;
  const rows = [
    'userPrincipalName,givenName,surname,displayName,immutableId,jobTitle',
    ...Array.from({ length: n.existing - n.leavers }, (_, i) => line(i, i < n.updated ? 'Lead' : 'Staff')),
    ...Array.from({ length: n.hires }, (_, k) => line(n.existing + k, 'Staff')),
  ];
  return { seed, rows };
}

/**
 * The kill and resume tests' tenant: a churn scenario for this domain (its people named by `churnPeople`) seeded in an
 * emulator as slow as Graph, the domain added and its directory imported, the CLI pointed at both.
 */
/** The seed and directory CSV lines of a churn scenario for `domain`, its people named by `churnPeople`. */
export function churnDirectory(domain: string, letter: string, counts: ChurnCounts) {
  const people = churnPeople(domain, letter);
  return { people, ...churnScenario(people, counts) };
}

export function startChurnTenant(options: {
  readonly domain: string;
  /** Given name and display-name prefix of everyone; its lower case starts each UPN. */
  readonly letter: string;
  readonly counts: ChurnCounts;
  /** Extra environment for the CLI (e.g. SYNC_LEASE_TTL_SECONDS). */
  readonly env?: Record<string, string>;
  /** More domains of the tenant (managed, verified), each added and its directory imported after the churn domain. */
  readonly more?: readonly DomainDirectory[];
}): Promise<CliTenant> {
  const { seed, rows } = churnDirectory(options.domain, options.letter, options.counts);
  for (const { domain } of options.more ?? []) {
    seed.domains.push({ id: domain, authenticationType: 'Managed', isVerified: true });
  }
  return startCliTenant({
    prefix: `entra-sync-${options.domain.split('.')[0]}-`,
    seed,
    emulatorArgs: REALISTIC_EMULATOR_ARGS,
    ...(options.env ? { env: options.env } : {}),
    directories: [{ domain: options.domain, rows }, ...(options.more ?? [])],
  });
}

/**
 * Asserts that a churn scenario's changes all landed once in the tenant: one user per Immutable ID, the domain holding
 * exactly the directory's people, and the promoted ones titled Lead.
 */
export async function expectChurnApplied(
  emulator: Pick<EmulatorProcess, 'fetch'>,
  domain: string,
  n: ChurnCounts,
  label = '',
): Promise<void> {
  const state = (await emulator.fetch('/_emulator/state')).json as {
    users: { userPrincipalName: string; onPremisesImmutableId?: string | null; jobTitle?: string | null }[];
  };
  const inDomain = state.users.filter((u) => u.userPrincipalName.endsWith(`@${domain}`));
  const ids = inDomain.map((u) => u.onPremisesImmutableId);
  expect(new Set(ids).size, `duplicate Immutable IDs ${label}`).toBe(ids.length);
  expect(inDomain, `users in ${domain} ${label}`).toHaveLength(n.existing - n.leavers + n.hires);
  expect(inDomain.filter((u) => u.jobTitle === 'Lead'), `promoted users ${label}`).toHaveLength(n.updated);
}
