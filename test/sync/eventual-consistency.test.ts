// Apply against listings that lag behind writes (emulator over HTTPS, 1 s replication delay): no phantom changes after.
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_REPLICATION_DELAY_MS,
  type EmulatorSeed,
  type RunningEmulator,
  startEmulator,
} from '../../src/emulator/index.js';
import type { EntraConnector } from '../../src/entra/index.js';
import { createLogger } from '../../src/logger.js';
import { openStore, type Stores } from '../../src/store/index.js';
import type { Plan, RunRecord, SourceUser } from '../../src/sync/model.js';
import { isRefusal, type SyncService } from '../../src/sync/service-interface.js';
import { emulatorControl, emulatorEntra, testSyncService } from '../helpers/engine.js';
import { listedSource } from '../helpers/source.js';

// Graph's listings and advanced queries are eventually consistent; GET by id or UPN is not:
// https://learn.microsoft.com/en-us/graph/aad-advanced-queries

const DOMAIN = 'lag.example';
const imm = (i: number) => Buffer.from(`lag-${i}`).toString('base64').replace(/=+$/, '');
const upn = (i: number) => `u${String(i).padStart(3, '0')}@${DOMAIN}`;

function seed(): EmulatorSeed {
  return {
    domains: [
      { id: 'lagtenant.onmicrosoft.com', authenticationType: 'Managed', isVerified: true, isInitial: true },
      { id: DOMAIN, authenticationType: 'Federated', isVerified: true, isDefault: true },
    ],
    users: Array.from({ length: 40 }, (_, i) => ({
      userPrincipalName: upn(i),
      displayName: `User ${i}`,
      mailNickname: `u${String(i).padStart(3, '0')}`,
      jobTitle: 'Staff',
      onPremisesImmutableId: imm(i),
      accountEnabled: true,
      // The organization's country (the emulator's default, JP): no usage-location update is due.
      usageLocation: 'JP',
    })),
  };
}

const person = (i: number, jobTitle = 'Staff'): SourceUser => ({
  userPrincipalName: upn(i),
  immutableId: imm(i),
  displayName: `User ${i}`,
  jobTitle,
});

describe('apply with replication delay on', () => {
  let emulator: RunningEmulator;
  let entra: EntraConnector;
  let stores: Stores;
  let dispatcher: Agent;
  let source: SourceUser[] = [];

  const control = emulatorControl(
    () => emulator,
    () => dispatcher,
  );

  const service = (visibilityTimeoutMs?: number): SyncService =>
    testSyncService(entra, stores, {
      source: listedSource(async (d) => (d === DOMAIN ? source : [])),
      logger: createLogger('silent'),
      holder: 'lag-test',
      ...(visibilityTimeoutMs !== undefined ? { visibilityTimeoutMs } : {}),
    });

  const preview = async (s: SyncService): Promise<Plan> => {
    const plan = await s.preview(DOMAIN);
    if (isRefusal(plan)) throw new Error(plan.reason);
    return plan;
  };
  const apply = async (s: SyncService, plan: Plan): Promise<RunRecord> => {
    const run = await s.apply(plan.id, plan.hash, { trigger: 'manual', approvedBy: 'test' });
    if (isRefusal(run)) throw new Error(run.reason);
    return run as RunRecord;
  };
  const pending = (p: Plan) => ({ add: p.counts.add, update: p.counts.update, delete: p.counts.delete });

  beforeAll(async () => {
    emulator = await startEmulator({ seed: seed(), replicationDelayMs: DEFAULT_REPLICATION_DELAY_MS });
    dispatcher = new Agent({ connect: { ca: emulator.caPem! } });
    entra = emulatorEntra(emulator, createLogger('silent'), { writer: { backoff: { baseMs: 20, maxMs: 200 } } });
    stores = await openStore('memory://');
    const added = await service().addDomain(DOMAIN, { maxDeletionPercent: 50 }, 'test');
    expect(isRefusal(added)).toBe(false);
  }, 60_000);

  beforeEach(async () => {
    await emulator.reset(seed());
    await control('/_emulator/faults', { seed: 1, rates: {} });
    // 30 kept (10 of them promoted), 10 leavers, 8 hires.
    source = [
      ...Array.from({ length: 30 }, (_, i) => person(i, i < 10 ? 'Lead' : 'Staff')),
      ...Array.from({ length: 8 }, (_, k) => person(100 + k)),
    ];
  });

  afterAll(async () => {
    await entra?.close();
    await stores?.close();
    await emulator?.close();
    await dispatcher?.close();
  });

  it('without waiting, a dry run right after an apply shows its changes again (the lag is real)', async () => {
    const s = service(0);
    const plan = await preview(s);
    expect(pending(plan)).toEqual({ add: 8, update: 10, delete: 10 });
    const run = await apply(s, plan);
    expect(run.status).toBe('completed');
    const phantom = await preview(s);
    expect(phantom.counts.add + phantom.counts.update + phantom.counts.delete).toBeGreaterThan(0);
  }, 60_000);

  it('waits for its own writes to be listed before it reports completed: the next dry run shows nothing to do', async () => {
    const s = service();
    const plan = await preview(s);
    expect(pending(plan)).toEqual({ add: 8, update: 10, delete: 10 });
    const started = Date.now();
    const run = await apply(s, plan);
    expect(run.status).toBe('completed');
    expect(run.reason).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(DEFAULT_REPLICATION_DELAY_MS / 2);
    const next = await preview(s);
    expect(pending(next)).toEqual({ add: 0, update: 0, delete: 0 });
    expect(next.counts.noChange).toBe(source.length);
  }, 60_000);

  it('says so in the run, and still completes, when the listing does not catch up within the bound', async () => {
    await control('/_emulator/replication', { delayMs: 30_000 });
    try {
      const s = service(1_500);
      const plan = await preview(s);
      const run = await apply(s, plan);
      expect(run.status).toBe('completed');
      expect(run.reason).toMatch(/28 change\(s\) were not yet shown by Graph's listings after 2 s; wait a few minutes/);
    } finally {
      await control('/_emulator/replication', { delayMs: DEFAULT_REPLICATION_DELAY_MS });
    }
  }, 60_000);

  it('resolves creates whose answers were lost by UPN, not by the lagging listing: no duplicate, none failed', async () => {
    source = [
      ...Array.from({ length: 40 }, (_, i) => person(i)),
      ...Array.from({ length: 12 }, (_, k) => person(200 + k)),
    ];
    const s = service();
    const plan = await preview(s);
    expect(pending(plan)).toEqual({ add: 12, update: 0, delete: 0 });
    // Every write is committed and then its answer is lost: each create must be looked up before any re-send.
    await control('/_emulator/faults', { seed: 3, rates: { commitThenFail: 1 } });
    const run = await apply(s, plan);
    await control('/_emulator/faults', { seed: 1, rates: {} });
    expect(run.counts).toEqual({ added: 12, updated: 0, deleted: 0, failed: 0 });
    const state = (await control('/_emulator/state')) as { users: { userPrincipalName: string }[] };
    const hires = state.users.filter((u) => /^u2\d\d@/.test(u.userPrincipalName));
    expect(hires).toHaveLength(12);
    expect(pending(await preview(s))).toEqual({ add: 0, update: 0, delete: 0 });
  }, 60_000);
});
