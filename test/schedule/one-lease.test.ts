// An hourly run on the real sync service (emulator over HTTPS) takes one lease, sync:<domain>, and reads the settings
// once before its snapshot; that lease keeps a CLI apply and a second replica's slot out while the run goes on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { type EmulatorSeed, type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import type { EntraConnector } from '../../src/entra/index.js';
import { createLogger } from '../../src/logger.js';
import { createScheduler, type Scheduler, slotAt, slotTime } from '../../src/schedule/index.js';
import { openStore, type Stores } from '../../src/store/index.js';
import type { DomainSettingsRepository, LeaseManager } from '../../src/sync/ports.js';
import { isRefusal, type Refusal, type SyncService } from '../../src/sync/service-interface.js';
import { emulatorEntra, testSyncService } from '../helpers/engine.js';
import { listedSource } from '../helpers/source.js';

const DOMAIN = 'onelease.co.jp';
const logger = createLogger('silent');
const config = loadConfig({ DEMO: 'true', STORE_URL: 'memory://' });

const seed: EmulatorSeed = {
  organization: { displayName: 'One Lease KK', countryLetterCode: 'JP' },
  domains: [
    { id: 'onelease.onmicrosoft.com', authenticationType: 'Managed', isVerified: true, isInitial: true },
    { id: DOMAIN, authenticationType: 'Managed', isVerified: true, isDefault: true },
  ],
  users: [],
};

describe('one hourly run, one lease', { timeout: 60_000 }, () => {
  let emulator: RunningEmulator;
  let entra: EntraConnector;
  let stores: Stores;
  let service: SyncService;
  const schedulers: Scheduler[] = [];
  /** What the run did, in order: lease acquisitions (by name), settings reads (by domain), the source read. */
  const events: string[] = [];
  /** Runs once while the source is being read, then clears itself. */
  let duringRead: (() => Promise<void>) | null = null;

  beforeAll(async () => {
    emulator = await startEmulator({ seed, latency: 'none' });
    entra = emulatorEntra(emulator, logger);
    stores = await openStore('memory://');
    const leases: LeaseManager = {
      acquire: (name, holder, ttlMs) => {
        events.push(`lease ${name} ${holder}`);
        return stores.leases.acquire(name, holder, ttlMs);
      },
    };
    const settings: DomainSettingsRepository = {
      get: (domain) => {
        events.push(`settings ${domain}`);
        return stores.settings.get(domain);
      },
      put: (s) => stores.settings.put(s),
      list: () => stores.settings.list(),
      remove: (domain) => stores.settings.remove(domain),
    };
    service = testSyncService(entra, stores, {
      settings,
      leases,
      source: listedSource(async (d) => {
        events.push(`source ${d}`);
        const hook = duringRead;
        duringRead = null;
        await hook?.();
        return [{ userPrincipalName: `new.hire@${d}`, immutableId: 'TkVXSElSRQ', displayName: 'New Hire' }];
      }),
      logger,
      holder: 'one-lease-test',
    });
    expect(isRefusal(await service.addDomain(DOMAIN, { maxDeletionPercent: 100 }, 'test'))).toBe(false);
    // Two replicas over the same store; the scheduler reads and leases through the same counting wrappers.
    for (const holderId of ['replica-a', 'replica-b'])
      schedulers.push(
        createScheduler({
          config,
          service,
          stores: { ...stores, settings, leases },
          logger,
          clock: () => now,
          intervalSeconds: 3600,
          mode: 'local',
          holderId,
        }),
      );
  }, 60_000);
  let now = Date.now();

  afterAll(async () => {
    for (const s of schedulers) await s.stop();
    await entra?.close();
    await stores?.close();
    await emulator?.close();
  });

  /** Moves the clock to the domain's next slot (plus a second) and lets replica A run it. */
  const runNextSlot = async () => {
    const a = schedulers[0]!;
    const offset = a.offsetFor(DOMAIN);
    now = slotTime(slotAt(now, a.intervalMs, offset) + 1, a.intervalMs, offset) + 1000;
    await a.tick(now);
    await a.idle();
  };
  /** What replica A's pass did, without the log-retention lease a pass may also take. */
  const ownEvents = () => events.filter((e) => !e.startsWith('lease schedule:prune:'));

  it('takes sync:<domain> once and reads the settings once before its snapshot', async () => {
    expect(isRefusal(await service.setDomain(DOMAIN, { periodic: true }, 'test'))).toBe(false);
    await schedulers[0]!.tick(now);
    await schedulers[0]!.idle();
    events.length = 0;
    await runNextSlot();
    const runs = await stores.runs.list({ domain: DOMAIN });
    expect(runs.map((r) => [r.trigger, r.status, r.counts.added])).toEqual([['hourly', 'completed', 1]]);
    // One lease for the slot and the run; one settings read to decide and plan; the source read; then the freshness
    // check's read (settings changed while a large domain was read refuse the run: tenant-fidelity.test.ts).
    expect(ownEvents()).toEqual([
      `lease sync:${DOMAIN} replica-a`,
      `settings ${DOMAIN}`,
      `source ${DOMAIN}`,
      `settings ${DOMAIN}`,
    ]);
  });

  it('that lease keeps a CLI apply and the other replica out while the run goes on', async () => {
    const manual = await service.preview(DOMAIN);
    if (isRefusal(manual)) throw new Error(manual.reason);
    const b = schedulers[1]!;
    let applied: Awaited<ReturnType<SyncService['apply']>> | null = null;
    duringRead = async () => {
      applied = await service.apply(manual.id, manual.hash, { trigger: 'manual', approvedBy: 'test' });
      await b.tick(now);
      await b.idle();
    };
    events.length = 0;
    await runNextSlot();
    expect((applied as Refusal | null)?.code).toBe('lease-held');
    expect((applied as Refusal | null)?.detail).toBe('replica-a');
    expect(b.history.map((h) => [h.domain, h.outcome.kind])).toEqual([[DOMAIN, 'busy']]);
    expect(ownEvents().filter((e) => e.startsWith('lease'))).toEqual([
      `lease sync:${DOMAIN} replica-a`,
      `lease sync:${DOMAIN} one-lease-test`,
      `lease sync:${DOMAIN} replica-b`,
    ]);
    const runs = await stores.runs.list({ domain: DOMAIN });
    expect(runs.map((r) => [r.trigger, r.status])).toEqual([
      ['hourly', 'completed'],
      ['hourly', 'completed'],
    ]);
  });
});
