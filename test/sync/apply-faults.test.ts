// A 2,000-change plan applied over HTTPS against the emulator with 20% injected faults converges exactly.
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_REPLICATION_DELAY_MS,
  type EmulatorSeed,
  type RunningEmulator,
  startEmulator,
} from '../../src/emulator/index.js';
import type { EntraConnector } from '../../src/entra/index.js';
import { createLogger } from '../../src/logger.js';
import { openStore, type Stores } from '../../src/store/index.js';
import type { RunRecord, SourceUser } from '../../src/sync/model.js';
import { isRefusal, type SyncService } from '../../src/sync/service-interface.js';
import { emulatorControl, emulatorEntra, runOutcomesOf, testSyncService } from '../helpers/engine.js';
import { listedSource } from '../helpers/source.js';

const DOMAIN = 'faults.jp';
const EXISTING = 1000;
const LEAVERS = 200;
const UPDATED = 600;
const HIRES = 1200;

const imm = (i: number) => Buffer.from(`person-${i}`).toString('base64').replace(/=+$/, '');
const upn = (i: number) => `p${String(i).padStart(5, '0')}@${DOMAIN}`;

function seed(): EmulatorSeed {
  return {
    tenantSize: 'large',
    domains: [
      { id: 'faultsjp.onmicrosoft.com', authenticationType: 'Managed', isVerified: true, isInitial: true },
      { id: DOMAIN, authenticationType: 'Federated', isVerified: true, isDefault: true },
    ],
    users: Array.from({ length: EXISTING }, (_, i) => ({
      userPrincipalName: upn(i),
      displayName: `Person ${i}`,
      givenName: 'Person',
      surname: String(i),
      mailNickname: `p${String(i).padStart(5, '0')}`,
      jobTitle: 'Staff',
      onPremisesImmutableId: imm(i),
      accountEnabled: true,
      usageLocation: 'JP',
    })),
  };
}

/** Access Control as it should end up: 800 kept (600 of them promoted), 200 leavers gone, 1,200 hires. */
const source: SourceUser[] = [
  ...Array.from({ length: EXISTING - LEAVERS }, (_, i) => ({
    userPrincipalName: upn(i),
    immutableId: imm(i),
    displayName: `Person ${i}`,
    givenName: 'Person',
    surname: String(i),
    jobTitle: i < UPDATED ? 'Lead' : 'Staff',
  })),
  ...Array.from({ length: HIRES }, (_, k) => {
    const i = EXISTING + k;
    return {
      userPrincipalName: upn(i),
      immutableId: imm(i),
      displayName: `Hire ${i}`,
      givenName: 'Hire',
      surname: String(i),
      jobTitle: 'Staff',
    };
  }),
];

describe('apply under injected faults', () => {
  let emulator: RunningEmulator;
  let entra: EntraConnector;
  let stores: Stores;
  let service: SyncService;
  let dispatcher: Agent;

  const control = emulatorControl(
    () => emulator,
    () => dispatcher,
  );

  beforeAll(async () => {
    // Listings lag behind writes, as Graph's do (https://learn.microsoft.com/en-us/graph/aad-advanced-queries).
    emulator = await startEmulator({ seed: seed(), latency: 'none', replicationDelayMs: DEFAULT_REPLICATION_DELAY_MS });
    dispatcher = new Agent({ connect: { ca: emulator.caPem! } });
    const logger = createLogger('silent');
    entra = emulatorEntra(emulator, logger, { writer: { backoff: { baseMs: 20, maxMs: 200 } } });
    stores = await openStore('memory://');
    service = testSyncService(entra, stores, {
      source: listedSource(async (d) => (d === DOMAIN ? source : [])),
      logger,
      holder: 'faults-test',
    });
    const added = await service.addDomain(DOMAIN, { maxDeletionPercent: 50 }, 'test');
    expect(isRefusal(added)).toBe(false);
  }, 60_000);

  afterAll(async () => {
    await entra?.close();
    await stores?.close();
    await emulator?.close();
    await dispatcher?.close();
  });

  it('converges with no duplicate, no lost change, and every item accounted for', async () => {
    const plan = await service.preview(DOMAIN);
    if (isRefusal(plan)) throw new Error(plan.reason);
    expect(plan.counts).toMatchObject({ add: HIRES, update: UPDATED, delete: LEAVERS });

    await control('/_emulator/faults', {
      seed: 20261126,
      rates: { throttle: 0.05, serverError: 0.05, reset: 0.05, commitThenFail: 0.05 },
    });
    const result = await service.apply(plan.id, plan.hash, { trigger: 'manual', approvedBy: 'test' });
    if (isRefusal(result)) throw new Error(result.reason);
    const run = result as RunRecord;
    // Every change of the plan has exactly one outcome (in the run log; the returned record carries the failures).
    const outcomes = await runOutcomesOf(service, run.id);
    expect(outcomes).toHaveLength(HIRES + UPDATED + LEAVERS);
    expect(run.outcomes).toEqual(outcomes.filter((o) => o.result === 'failed'));
    const c = run.counts;
    expect(c.added + c.updated + c.deleted + c.failed).toBe(HIRES + UPDATED + LEAVERS);
    const stats = (await control('/_emulator/stats')) as { faults?: Record<string, number> };
    expect(JSON.stringify(stats)).toMatch(/commitThenFail|reset|throttle/);

    // Faults off: whatever a bounded retry left undone is finished by the next runs, and then nothing is left.
    await control('/_emulator/faults', { seed: 1, rates: {} });
    for (let i = 0; i < 3; i++) {
      const again = await service.preview(DOMAIN);
      if (isRefusal(again)) throw new Error(again.reason);
      if (again.counts.add + again.counts.update + again.counts.delete === 0) break;
      const r = await service.apply(again.id, again.hash, { trigger: 'manual', approvedBy: 'test' });
      expect(isRefusal(r)).toBe(false);
    }
    const final = await service.preview(DOMAIN);
    if (isRefusal(final)) throw new Error(final.reason);
    expect(final.counts).toMatchObject({ add: 0, update: 0, delete: 0, noChange: source.length });

    const state = (await control('/_emulator/state')) as {
      users: { userPrincipalName: string; onPremisesImmutableId?: string | null; jobTitle?: string | null }[];
    };
    const inDomain = state.users.filter((u) => u.userPrincipalName.endsWith(`@${DOMAIN}`));
    const ids = inDomain.map((u) => u.onPremisesImmutableId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(inDomain).toHaveLength(source.length);
    const byUpn = new Map(inDomain.map((u) => [u.userPrincipalName, u]));
    for (const s of source) expect(byUpn.get(s.userPrincipalName)?.jobTitle).toBe(s.jobTitle);
  }, 180_000);
});
