// The connector against the real emulator over HTTPS: credential (secret, certificate), paged reads, writes under faults.
import { generate } from 'selfsigned';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorSeed, type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import type { GraphClient } from '../../src/entra/graph-client.js';
import { createEntraConnector, type EntraConnector, GraphEntraReader } from '../../src/entra/index.js';
import { systemClock } from '../../src/entra/retry.js';
import type { WriteOp, WriteResult } from '../../src/sync/ports.js';
import { captureLogs } from './helpers/logs.js';
import { type CreateOp, createOp } from './helpers/ops.js';

const DOMAIN = 'big.example';
const USERS = 2100;
const CERT_APP = '0b4c2f4e-7d1a-4a57-9c0e-8f1f2a3b4c5d';

let emu: RunningEmulator;
let agent: Agent;
let certPem: string;
let certOnly: string;
const logs = captureLogs();
const connectors: EntraConnector[] = [];

const immutableId = (i: number) => Buffer.from(`big:${i}`).toString('base64').replace(/=+$/, '');

function seed(): EmulatorSeed {
  return {
    domains: [
      {
        id: 'bigtenant.onmicrosoft.com',
        authenticationType: 'Managed',
        isVerified: true,
        isInitial: true,
        isDefault: true,
      },
      { id: DOMAIN, authenticationType: 'Federated', isVerified: true },
      { id: 'other.example', authenticationType: 'Managed', isVerified: true },
    ],
    users: [
      ...Array.from({ length: USERS }, (_, i) => ({
        userPrincipalName: `user${String(i).padStart(5, '0')}@${DOMAIN}`,
        displayName: `利用者 ${i}`,
        givenName: '太郎',
        surname: `User${i}`,
        mailNickname: `user${i}`,
        onPremisesImmutableId: immutableId(i),
        accountEnabled: true,
      })),
      { id: 'ad-0001', userPrincipalName: `admin@${DOMAIN}`, displayName: 'Admin', mailNickname: 'admin' },
      { userPrincipalName: 'someone@other.example', displayName: 'Other', mailNickname: 'someone' },
    ],
    deletedUsers: [
      {
        id: 'del-0001',
        userPrincipalName: `gone@${DOMAIN}`,
        displayName: 'Gone',
        mailNickname: 'gone',
        onPremisesImmutableId: 'Z29uZQ',
        deletedDateTime: new Date().toISOString(),
      },
    ],
    directoryRoles: [{ roleName: 'Global Administrator', principalIds: ['ad-0001'] }],
    apps: [
      { clientId: CERT_APP, certificates: [{ thumbprintSha256: '', publicKeyPem: '' }] }, // replaced in beforeAll
    ],
  };
}

async function control(path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${emu.graphBaseUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    dispatcher: agent,
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

function connector(
  credential: { clientId?: string; clientSecret?: string; certPem?: string },
  options = {},
): EntraConnector {
  const c = createEntraConnector(
    {
      tenantId: emu.tenantId,
      clientId: credential.clientId ?? emu.clientId,
      clientSecret: credential.clientSecret,
      clientCertPath: undefined,
      clientCertThumbprintSha256: undefined,
      authorityHost: emu.authorityHost,
      graphBaseUrl: emu.graphBaseUrl,
      caFile: undefined,
      caPem: emu.caPem!,
      ...(credential.certPem ? { certPem: credential.certPem } : {}),
    },
    logs.logger,
    options,
  );
  connectors.push(c);
  return c;
}

async function thumbprint(pem: string): Promise<string> {
  const { X509Certificate, createHash } = await import('node:crypto');
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
}

beforeAll(async () => {
  emu = await startEmulator({ seed: 'empty' });
  agent = new Agent({ connect: { ca: emu.caPem! } });
  const pems = await generate([{ name: 'commonName', value: 'entra-sync test app' }], {
    keySize: 2048,
    algorithm: 'sha256',
  });
  certOnly = pems.cert;
  certPem = `${pems.private}\n${pems.cert}`;
  const s = seed();
  s.apps = [
    { clientId: CERT_APP, certificates: [{ thumbprintSha256: await thumbprint(certOnly), publicKeyPem: certOnly }] },
  ];
  await emu.reset(s);
}, 60_000);

afterAll(async () => {
  for (const c of connectors) await c.close();
  await agent?.close();
  await emu?.close();
});

describe('credential', () => {
  it('gets a token with the client secret', async () => {
    const c = connector({ clientSecret: emu.clientSecret });
    expect(await c.credential.check()).toEqual({ ok: true });
    expect(c.credential.scope).toBe(`${emu.graphBaseUrl}/.default`);
  });

  it('explains a wrong secret (AADSTS7000215) in a sentence that says what to do', async () => {
    const c = connector({ clientSecret: 'not-the-secret-0000' });
    const check = await c.credential.check();
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.code).toBe('AADSTS7000215');
    expect(check.message).toMatch(/ENTRA_CLIENT_SECRET/);
    expect(check.message).not.toContain('not-the-secret-0000');
    await expect(c.reader.listDomains()).rejects.toMatchObject({ failure: { kind: 'stop', code: 'AADSTS7000215' } });
  });

  it('explains an unknown app (AADSTS700016)', async () => {
    const c = connector({ clientId: '11111111-2222-3333-4444-555555555555', clientSecret: 'x' });
    const check = await c.credential.check();
    expect(check).toMatchObject({ ok: false, code: 'AADSTS700016' });
  });

  it('gets a token with a certificate and reads Graph with it', async () => {
    const c = connector({ clientId: CERT_APP, certPem });
    expect(c.credential.kind).toBe('certificate');
    expect(await c.credential.check()).toEqual({ ok: true });
    const domains = await c.reader.listDomains();
    expect(domains.map((d) => d.id).sort()).toEqual(['big.example', 'bigtenant.onmicrosoft.com', 'other.example']);
  });

  it('rejects a certificate thumbprint that does not match the PEM', () => {
    expect(() =>
      createEntraConnector(
        {
          tenantId: emu.tenantId,
          clientId: CERT_APP,
          clientSecret: undefined,
          clientCertPath: undefined,
          clientCertThumbprintSha256: 'ab'.repeat(32),
          authorityHost: emu.authorityHost,
          graphBaseUrl: emu.graphBaseUrl,
          caFile: undefined,
          certPem,
        },
        logs.logger,
      ),
    ).toThrow(/ENTRA_CLIENT_CERT_THUMBPRINT_SHA256 does not match/);
  });
});

describe('reader', () => {
  it('reads every user of a domain through @odata.nextLink pages, with progress', async () => {
    const c = connector({ clientSecret: emu.clientSecret });
    const progress: number[] = [];
    const users = await c.reader.listUsers(DOMAIN, (p) => progress.push(p.read));
    expect(users).toHaveLength(USERS + 1);
    expect(new Set(users.map((u) => u.id)).size).toBe(USERS + 1);
    expect(users.every((u) => u.userPrincipalName.endsWith(`@${DOMAIN}`))).toBe(true);
    // 2,101 users at $top=999: three pages.
    expect(progress).toEqual([999, 1998, USERS + 1]);
    const u7 = users.find((u) => u.userPrincipalName === `user00007@${DOMAIN}`)!;
    expect(u7).toMatchObject({
      displayName: '利用者 7',
      givenName: '太郎',
      onPremisesImmutableId: immutableId(7),
      accountEnabled: true,
    });
  });

  it('lists domains, deleted users, admin-role holders; finds users by id, UPN and Immutable ID', async () => {
    const c = connector({ clientSecret: emu.clientSecret });
    const domains = await c.reader.listDomains();
    expect(domains.find((d) => d.id === DOMAIN)).toEqual({
      id: DOMAIN,
      authenticationType: 'Federated',
      isVerified: true,
      isDefault: false,
      isInitial: false,
    });
    const deleted = await c.reader.listDeletedUsers(DOMAIN);
    expect(deleted.map((d) => d.id)).toEqual(['del-0001']);
    expect(await c.reader.listDeletedUsers('other.example')).toEqual([]);
    expect(await c.reader.listAdminRoleHolders()).toEqual(new Set(['ad-0001']));
    expect(await c.reader.isGlobalAdmin('ad-0001')).toBe(true);
    const byImmutable = await c.reader.findUserByImmutableId(immutableId(42));
    expect(byImmutable?.userPrincipalName).toBe(`user00042@${DOMAIN}`);
    expect(await c.reader.isGlobalAdmin(byImmutable!.id)).toBe(false);
    expect((await c.reader.getUser(byImmutable!.id))?.userPrincipalName).toBe(`user00042@${DOMAIN}`);
    expect((await c.reader.getUser(`user00042@${DOMAIN}`))?.id).toBe(byImmutable!.id);
    expect(await c.reader.getUser(`nobody@${DOMAIN}`)).toBeNull();
    expect(await c.reader.findUserByImmutableId('bm9ib2R5')).toBeNull();
  });
});

describe('writer under injected faults', () => {
  it('reads a whole domain under 20% faults on reads (429, 5xx, resets)', async () => {
    const c = connector({ clientSecret: emu.clientSecret });
    await control('/_emulator/faults', { seed: 11, rates: { throttle: 0.07, serverError: 0.07, reset: 0.06 } });
    try {
      const users = await c.reader.listUsers(DOMAIN);
      expect(users).toHaveLength(USERS + 1);
    } finally {
      await control('/_emulator/faults', { seed: 1, rates: {} });
    }
  }, 20_000);

  it('gives exactly one final result per op under 20% faults (429, 503, reset, commit-then-fail) and converges', async () => {
    const c = connector(
      { clientSecret: emu.clientSecret },
      {
        writer: {
          requestTimeoutMs: 5000,
          backoff: { baseMs: 50, maxMs: 400 },
          maxAttempts: 8,
          passwordFor: (id: string) => `Pw-${id}-never-logged!`,
        },
      },
    );
    const before = await c.reader.listUsers(DOMAIN);
    const byUpn = new Map(before.map((u) => [u.userPrincipalName, u]));
    const creates: CreateOp[] = Array.from({ length: 120 }, (_, i) =>
      createOp(`add-${i}`, `new${i}@${DOMAIN}`, immutableId(100_000 + i), { displayName: `新入社員 ${i}` }),
    );
    const updates: WriteOp[] = Array.from({ length: 60 }, (_, i) => ({
      opId: `upd-${i}`,
      phase: 0,
      kind: 'update',
      userId: byUpn.get(`user${String(i).padStart(5, '0')}@${DOMAIN}`)!.id,
      attributes: { jobTitle: `Title ${i}` },
    }));
    const deletes: WriteOp[] = Array.from({ length: 60 }, (_, i) => ({
      opId: `del-${i}`,
      phase: 0,
      kind: 'delete',
      userId: byUpn.get(`user${String(1000 + i).padStart(5, '0')}@${DOMAIN}`)!.id,
    }));
    const ops = [...creates, ...updates, ...deletes];
    await control('/_emulator/faults', {
      seed: 7,
      rates: { throttle: 0.05, serverError: 0.05, reset: 0.04, commitThenFail: 0.06 },
    });
    const results = new Map<string, WriteResult[]>();
    await c.writer.execute(ops, {
      onResult: (r) => {
        results.set(r.opId, [...(results.get(r.opId) ?? []), r]);
      },
    });
    await control('/_emulator/faults', { seed: 1, rates: {} });
    const stats = (await control('/_emulator/stats')) as { faultsInjected: Record<string, number> };
    const injected = Object.values(stats.faultsInjected).reduce((a, b) => a + b, 0);
    expect(injected).toBeGreaterThan(10);

    // Exactly one final result per op.
    expect(results.size).toBe(ops.length);
    for (const op of ops) expect(results.get(op.opId), op.opId).toHaveLength(1);
    const finals = [...results.values()].map((r) => r[0]!);
    // Updates and deletes are idempotent: retried to success.
    for (const r of finals.filter((f) => !f.opId.startsWith('add-'))) expect(r, r.opId).toMatchObject({ ok: true });
    // Creates either succeeded, or failed with outcomeUnknown (never resent blindly).
    const unknown = finals.filter((f) => !f.ok && f.outcomeUnknown).map((f) => f.opId);
    for (const r of finals.filter((f) => f.opId.startsWith('add-') && !f.ok)) {
      expect(r, r.opId).toMatchObject({ ok: false, outcomeUnknown: true });
    }
    expect(unknown.length).toBeGreaterThan(0);

    // Resolve unknown creates the way the use case does: look the user up, create only when absent.
    const retry: WriteOp[] = [];
    for (const opId of unknown) {
      const op = creates.find((o) => o.opId === opId)!;
      const found = await c.reader.findUserByImmutableId(op.immutableId);
      if (!found) retry.push(op);
    }
    const second: WriteResult[] = [];
    if (retry.length > 0) await c.writer.execute(retry, { onResult: (r) => void second.push(r) });
    expect(second.every((r) => r.ok)).toBe(true);

    const after = await c.reader.listUsers(DOMAIN);
    const upns = after.map((u) => u.userPrincipalName);
    expect(new Set(upns).size).toBe(upns.length);
    for (let i = 0; i < 120; i++) expect(upns.filter((u) => u === `new${i}@${DOMAIN}`)).toHaveLength(1);
    expect(after.length).toBe(before.length + 120 - 60);
    const titles = new Map(after.map((u) => [u.id, u.jobTitle]));
    for (const op of updates as Extract<WriteOp, { kind: 'update' }>[])
      expect(titles.get(op.userId)).toBe(op.attributes.jobTitle);
    for (const op of deletes as Extract<WriteOp, { kind: 'delete' }>[]) expect(titles.has(op.userId)).toBe(false);
  }, 30_000);

  it('restores a soft-deleted user', async () => {
    const c = connector({ clientSecret: emu.clientSecret });
    const results: WriteResult[] = [];
    await c.writer.execute([{ opId: 'r', phase: 0, kind: 'restore', deletedId: 'del-0001' }], {
      onResult: (r) => void results.push(r),
    });
    expect(results).toEqual([{ opId: 'r', ok: true, status: expect.any(Number), userId: 'del-0001' }]);
    expect((await c.reader.getUser('del-0001'))?.userPrincipalName).toBe(`gone@${DOMAIN}`);
    expect((await c.reader.listDeletedUsers(DOMAIN)).some((d) => d.id === 'del-0001')).toBe(false);
  });

  it('honours per-item Retry-After from the emulator (429 items succeed later, none lost)', async () => {
    const c = connector({ clientSecret: emu.clientSecret }, { writer: { backoff: { baseMs: 50, maxMs: 400 } } });
    // Not the Global Administrator: Graph refuses app-only writes to administrators (403) whatever the faults.
    const users = (await c.reader.listUsers(DOMAIN)).filter((u) => u.id !== 'ad-0001').slice(0, 40);
    await control('/_emulator/faults', { seed: 3, rates: { throttle: 0.3 } });
    const before = (await control('/_emulator/stats')) as { faultsInjected: { throttle: number } };
    const results: WriteResult[] = [];
    await c.writer.execute(
      users.map((u, i) => ({
        opId: `t${i}`,
        phase: 0,
        kind: 'update',
        userId: u.id,
        attributes: { department: 'Throttled' },
      })),
      { onResult: (r) => void results.push(r) },
    );
    await control('/_emulator/faults', { seed: 1, rates: {} });
    const after = (await control('/_emulator/stats')) as { faultsInjected: { throttle: number } };
    expect(after.faultsInjected.throttle - before.faultsInjected.throttle).toBeGreaterThan(0);
    expect(results).toHaveLength(40);
    expect(results.every((r) => r.ok)).toBe(true);
  }, 20_000);
});

describe('logs', () => {
  it('never contain the client secret, a token, a password or the private key', async () => {
    const c = connector({ clientSecret: emu.clientSecret });
    const token = await c.credential.getToken();
    await c.reader.listDomains();
    const text = logs.text();
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toContain(emu.clientSecret);
    expect(text).not.toContain(token);
    expect(text).not.toContain('never-logged');
    expect(text).not.toContain('PRIVATE KEY');
    expect(text).not.toContain(certPem.split('\n')[1]!);
  });
});

// https://learn.microsoft.com/en-us/graph/aad-advanced-queries documents `endsWith(userPrincipalName,…)` and
// `startsWith(…) OR startsWith(…)` as advanced queries, not the two joined by `and` (the partitioned listing).
describe('partitioned listing of a large domain', () => {
  function recordingReader(c: EntraConnector, filters: string[]): GraphEntraReader {
    const graph: GraphClient = Object.create(c.graph);
    graph.send = (req) => {
      const filter = new URL(req.path, 'https://x').searchParams.get('$filter');
      if (filter !== null) filters.push(filter);
      return c.graph.send(req);
    };
    return new GraphEntraReader({ graph, logger: logs.logger, clock: systemClock, partitionAbove: 1000 });
  }

  it('reads the domain one group of first letters at a time while Graph accepts the form', async () => {
    const filters: string[] = [];
    const c = connector({ clientSecret: emu.clientSecret });
    const expected = (await c.reader.listUsers(DOMAIN)).map((u) => u.id).sort();
    expect(expected.length).toBeGreaterThan(2000);
    const users = await recordingReader(c, filters).listUsers(DOMAIN);
    expect(users.map((u) => u.id).sort()).toEqual(expected);
    expect(filters.some((f) => f.includes('startsWith(userPrincipalName') && f.includes('endsWith('))).toBe(true);
  });

  it('lists one first character per listing, never more listings in flight than its concurrency or the caller asks', async () => {
    const c = connector({ clientSecret: emu.clientSecret });
    const expected = (await c.reader.listUsers(DOMAIN)).map((u) => u.id).sort();
    const graph: GraphClient = Object.create(c.graph);
    const filters: string[] = [];
    let inFlight = 0;
    let most = 0;
    graph.send = async (req) => {
      const filter = new URL(req.path, 'https://x').searchParams.get('$filter');
      if (filter !== null) filters.push(filter);
      inFlight++;
      most = Math.max(most, inFlight);
      try {
        return await c.graph.send(req);
      } finally {
        inFlight--;
      }
    };
    const reader = new GraphEntraReader({
      graph,
      logger: logs.logger,
      clock: systemClock,
      partitionAbove: 1000,
      listingConcurrency: 3,
    });
    const users = await reader.listUsers(DOMAIN);
    expect(users.map((u) => u.id).sort()).toEqual(expected);
    expect(most).toBe(3);
    expect(filters).toContain(`(startsWith(userPrincipalName,'a')) and endsWith(userPrincipalName,'@${DOMAIN}')`);
    expect(filters).toContain(`(startsWith(userPrincipalName,'z')) and endsWith(userPrincipalName,'@${DOMAIN}')`);
    expect(
      () => new GraphEntraReader({ graph, logger: logs.logger, clock: systemClock, listingConcurrency: 0 }),
    ).toThrow(/listingConcurrency/);
    // A caller may ask for fewer listings at once (an apply's check), never more than the reader's own.
    for (const [asked, allowed] of [
      [2, 2],
      [8, 3],
    ] as const) {
      most = 0;
      const seen: string[] = [];
      await reader.eachUser(DOMAIN, (page) => seen.push(...page.map((u) => u.id)), { listingsInFlight: asked });
      // The first page (of the whole domain) is listed again by its partitions: one per id, as listUsers keeps.
      expect([...new Set(seen)].sort()).toEqual(expected);
      expect(most).toBe(allowed);
    }
    await expect(reader.eachUser(DOMAIN, () => {}, { listingsInFlight: 0 })).rejects.toThrow(/listingsInFlight/);
  });

  it('falls back to the documented endsWith listing when Graph refuses the combined filter with a 400', async () => {
    await control('/_emulator/filters', { forms: 'documented' });
    try {
      // The refusal is Graph's: 400 Request_UnsupportedQuery naming the property.
      const combined = `(startsWith(userPrincipalName,'a') or startsWith(userPrincipalName,'b')) and endsWith(userPrincipalName,'@${DOMAIN}')`;
      const token = (await (
        await fetch(`${emu.authorityHost}/${emu.tenantId}/oauth2/v2.0/token`, {
          method: 'POST',
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: emu.clientId,
            client_secret: emu.clientSecret,
            scope: `${emu.graphBaseUrl}/.default`,
          }),
          dispatcher: agent,
        })
      ).json()) as { access_token: string };
      const refused = await fetch(
        `${emu.graphBaseUrl}/v1.0/users?$count=true&$filter=${encodeURIComponent(combined)}`,
        { headers: { authorization: `Bearer ${token.access_token}`, consistencylevel: 'eventual' }, dispatcher: agent },
      );
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: { code: string; message: string } }).error).toMatchObject({
        code: 'Request_UnsupportedQuery',
        message:
          "Unsupported or invalid query filter clause specified for property 'userPrincipalName' of resource 'User'.",
      });

      const filters: string[] = [];
      const c = connector({ clientSecret: emu.clientSecret });
      const expected = (await c.reader.listUsers(DOMAIN)).map((u) => u.id).sort();
      expect(expected.length).toBeGreaterThan(2000);
      const reader = recordingReader(c, filters);
      const users = await reader.listUsers(DOMAIN);
      expect(users.map((u) => u.id).sort()).toEqual(expected);
      expect(filters.some((f) => f.startsWith('(startsWith('))).toBe(true);
      // The second listing does not try the refused form again: only the documented filter is sent.
      filters.length = 0;
      expect(await reader.listUsers(DOMAIN)).toHaveLength(expected.length);
      expect(new Set(filters)).toEqual(new Set([`endsWith(userPrincipalName,'@${DOMAIN}')`]));
    } finally {
      await control('/_emulator/filters', { forms: 'lenient' });
    }
  });
});
