// The SCIM client against a SCIM 2.0 server we did not write (scimmy + scimmy-routers on express 4), end to end.
import Keyv from 'keyv';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KeyvIdentityMemory } from '../../src/directory/identity-memory.js';
import { SCIM_ENTERPRISE_USER, ScimDirectory, type ScimUser } from '../../src/directory/scim-directory.js';
import { DEFAULT_REPLICATION_DELAY_MS, type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import type { EntraConnector } from '../../src/entra/index.js';
import { createLogger } from '../../src/logger.js';
import { openStore, type Stores } from '../../src/store/index.js';
import type { Plan, RunRecord } from '../../src/sync/model.js';
import { isRefusal, type SyncService } from '../../src/sync/service-interface.js';
import { emulatorEntra, testSyncService } from '../helpers/engine.js';
import { type ScimmyServer, startScimmyServer } from './scimmy-server.js';

const TOKEN = 'scimmy-test-token-7f3a';
const DOMAIN = 'contoso.co.jp';

const person = (i: number, extra: Partial<ScimUser> = {}): ScimUser => ({
  id: `u-${i}`,
  userName: `user${i}@${DOMAIN}`,
  displayName: `利用者 ${i}`,
  name: { givenName: `名${i}`, familyName: `姓${i}` },
  active: true,
  ...extra,
});

let server: ScimmyServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('ScimDirectory against scimmy', () => {
  it('lists a user whose domain is written @Contoso.co.jp although scimmy`s ew filter is case-sensitive', async () => {
    server = await startScimmyServer({
      token: TOKEN,
      users: [person(1), person(2, { userName: 'Mixed.Case@Contoso.co.jp' }), person(3, { userName: 'x@other.jp' })],
    });
    const directory = new ScimDirectory({ baseUrl: server.baseUrl, fetch: server.fetch, token: TOKEN, pageSize: 2 });
    const users = await directory.listUsers(DOMAIN);
    expect(users.map((u) => u.userPrincipalName).sort()).toEqual(['Mixed.Case@Contoso.co.jp', `user1@${DOMAIN}`]);
    // The filtered answer missed a user: the upper-case probe disagreed, so the directory was listed unfiltered.
    const filters = server.requests
      .filter((r) => r.startsWith('/scim/v2/Users'))
      .map((r) => new URL(r, 'http://x').searchParams.get('filter'));
    expect(filters).toContain('userName ew "@contoso.co.jp"');
    expect(filters).toContain('userName ew "@CONTOSO.CO.JP"');
    expect(filters.at(-1)).toBeNull();
    // Once found out, the filter is not used again.
    const before = server.requests.length;
    await directory.listUsers(DOMAIN);
    expect(server.requests.slice(before).every((r) => !r.includes('filter='))).toBe(true);
  });

  it('lists unfiltered when the filtered answer is empty (never trusts "nobody" from a filter)', async () => {
    server = await startScimmyServer({ token: TOKEN, users: [person(1, { userName: 'Only@CONTOSO.CO.JP' })] });
    const directory = new ScimDirectory({ baseUrl: server.baseUrl, fetch: server.fetch, token: TOKEN });
    expect((await directory.listUsers(DOMAIN)).map((u) => u.userPrincipalName)).toEqual(['Only@CONTOSO.CO.JP']);
  });

  it('lists unfiltered when /ServiceProviderConfig says filtering is not supported', async () => {
    server = await startScimmyServer({ token: TOKEN, users: [person(1), person(2)], filterSupported: false });
    const directory = new ScimDirectory({ baseUrl: server.baseUrl, fetch: server.fetch, token: TOKEN });
    expect(await directory.listUsers(DOMAIN)).toHaveLength(2);
    expect(server.requests.some((r) => r.includes('filter='))).toBe(false);
  });

  it('fails the run when /ServiceProviderConfig fails (401 or 500), instead of listing everything silently', async () => {
    server = await startScimmyServer({ token: TOKEN, users: [person(1)] });
    const wrong = new ScimDirectory({ baseUrl: server.baseUrl, fetch: server.fetch, token: 'not-the-token' });
    const denied = await wrong.listUsers(DOMAIN).then(
      () => null,
      (e: Error) => e,
    );
    expect(denied?.message).toMatch(/ServiceProviderConfig answered 401.*check ACCESS_CONTROL_SCIM_TOKEN/);
    expect(denied?.message).not.toContain('not-the-token');

    server.failServiceProviderConfig(500);
    const directory = new ScimDirectory({ baseUrl: server.baseUrl, fetch: server.fetch, token: TOKEN });
    const before = server.requests.length;
    await expect(directory.listUsers(DOMAIN)).rejects.toThrow(
      /ServiceProviderConfig answered 500.*check ACCESS_CONTROL_SCIM_URL/,
    );
    expect(server.requests.slice(before).some((r) => r.startsWith('/scim/v2/Users'))).toBe(false);
    // The failure is not remembered: once the service is back, the next run works.
    server.failServiceProviderConfig(null);
    expect(await directory.listUsers(DOMAIN)).toHaveLength(1);
  });

  it('keeps each user`s Immutable ID when employee numbers, userNames and externalId change', async () => {
    server = await startScimmyServer({ token: TOKEN, users: [person(1), person(2)] });
    const directory = new ScimDirectory({
      baseUrl: server.baseUrl,
      fetch: server.fetch,
      token: TOKEN,
      identities: new KeyvIdentityMemory(new Keyv()),
    });
    const idsOf = async () =>
      new Map((await directory.listUsers(DOMAIN)).map((u) => [u.employeeId ?? u.userPrincipalName, u.immutableId]));
    const plain = new ScimDirectory({ baseUrl: server.baseUrl, fetch: server.fetch, token: TOKEN });
    const derived = new Map((await plain.listUsers(DOMAIN)).map((u) => [u.userPrincipalName, u.immutableId]));
    const first = [...(await idsOf()).values()];
    expect(first).toEqual([derived.get(`user1@${DOMAIN}`), derived.get(`user2@${DOMAIN}`)]);
    server.users.set('u-1', person(1, { [SCIM_ENTERPRISE_USER]: { employeeNumber: 'E-1' } }));
    server.users.set('u-2', person(2, { userName: `renamed@${DOMAIN}`, externalId: 'set-later' }));
    const second = await idsOf();
    expect([second.get('E-1'), second.get(`renamed@${DOMAIN}`)]).toEqual(first);
    // Without the memory, the ID derived from the SCIM id still survives employee numbers and userNames.
    const rederived = await plain.listUsers(DOMAIN);
    expect(rederived.find((u) => u.employeeId === 'E-1')?.immutableId).toBe(first[0]);
  });
});

describe('dry runs of a SCIM source whose records change (scimmy → engine → emulator over HTTPS)', () => {
  let emulator: RunningEmulator;
  let entra: EntraConnector;
  let stores: Stores;
  let service: SyncService;

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 'demo', replicationDelayMs: DEFAULT_REPLICATION_DELAY_MS });
    await emulator.reset({
      domains: [
        { id: 'contosojp.onmicrosoft.com', authenticationType: 'Managed', isVerified: true, isInitial: true },
        { id: DOMAIN, authenticationType: 'Federated', isVerified: true, isDefault: true },
      ],
      users: [],
    });
    entra = emulatorEntra(emulator, createLogger('silent'));
    stores = await openStore('memory://');
  }, 60_000);

  afterAll(async () => {
    await entra?.close();
    await stores?.close();
    await emulator?.close();
  });

  const preview = async (): Promise<Plan> => {
    const plan = await service.preview(DOMAIN);
    if (isRefusal(plan)) throw new Error(plan.reason);
    return plan;
  };
  const apply = async (plan: Plan): Promise<RunRecord> => {
    const run = await service.apply(plan.id, plan.hash, { trigger: 'manual', approvedBy: 'test' });
    if (isRefusal(run)) throw new Error(run.reason);
    return run as RunRecord;
  };
  const skipped = (plan: Plan) => plan.changes.filter((c) => c.action === 'Skip');

  it('adds, changes and removes employee numbers and userNames: only Updates, never a conflict or Delete + Add', async () => {
    server = await startScimmyServer({
      token: TOKEN,
      users: [
        ...Array.from({ length: 8 }, (_, i) => person(i)),
        person(8, { userName: 'Mixed.Case@Contoso.co.jp' }),
        person(9, { [SCIM_ENTERPRISE_USER]: { employeeNumber: 'E-9' } }),
      ],
    });
    service = testSyncService(entra, stores, {
      source: new ScimDirectory({
        baseUrl: server.baseUrl,
        fetch: server.fetch,
        token: TOKEN,
        identities: new KeyvIdentityMemory(stores.kv('scim-identities')),
      }),
      logger: createLogger('silent'),
      holder: 'scim-test',
    });
    expect(isRefusal(await service.addDomain(DOMAIN, { maxDeletionPercent: 50 }, 'test'))).toBe(false);

    const initial = await preview();
    expect(initial.counts).toMatchObject({ add: 10, update: 0, delete: 0, skip: 0 });
    expect((await apply(initial)).status).toBe('completed');
    const settled = await preview();
    expect(settled.counts).toMatchObject({ add: 0, update: 0, delete: 0, skip: 0, noChange: 10 });

    // Employee numbers given, changed and removed; userNames changed, one of them together with its number.
    const edits: [string, ScimUser][] = [
      ['u-0', person(0, { [SCIM_ENTERPRISE_USER]: { employeeNumber: 'E-0' } })],
      ['u-1', person(1, { userName: `taro.renamed@${DOMAIN}` })],
      ['u-2', person(2, { userName: `hanako@${DOMAIN}`, [SCIM_ENTERPRISE_USER]: { employeeNumber: 'E-2' } })],
      ['u-9', person(9)],
      ['u-8', person(8, { userName: 'Mixed.Case@Contoso.co.jp', [SCIM_ENTERPRISE_USER]: { employeeNumber: 'E-8' } })],
    ];
    for (const [id, user] of edits) server.users.set(id, user);
    const changed = await preview();
    expect(changed.counts).toMatchObject({ add: 0, delete: 0, skip: 0, update: 5 });
    expect(skipped(changed)).toEqual([]);
    expect((await apply(changed)).status).toBe('completed');

    // And again the other way: numbers changed and removed, a userName changed back.
    server.users.set('u-0', person(0, { [SCIM_ENTERPRISE_USER]: { employeeNumber: 'E-0-new' } }));
    server.users.set('u-2', person(2, { userName: `user2@${DOMAIN}` }));
    const back = await preview();
    expect(back.counts).toMatchObject({ add: 0, delete: 0, skip: 0, update: 2 });
    expect((await apply(back)).status).toBe('completed');
    expect((await preview()).counts).toMatchObject({ add: 0, update: 0, delete: 0, skip: 0, noChange: 10 });
  }, 120_000);
});
