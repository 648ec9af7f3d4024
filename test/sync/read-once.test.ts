// Each use case reads a thing once: the tenant's domain list once per pre-check, move, dry run or `preview all`, the
// plan's summary once per Sync now, and the sync log once for the domain list (not once per configured domain); the
// hourly run and Sync now read the settings, domains and country a second time only for their freshness check.
// Counted on the ports, over the emulator via HTTPS.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type EmulatorSeed, type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import type { EntraConnector } from '../../src/entra/index.js';
import { createLogger } from '../../src/logger.js';
import { openStore, type Stores } from '../../src/store/index.js';
import { isRefusal, type PrecheckResult, type SyncService } from '../../src/sync/service-interface.js';
import { emulatorEntra, testSyncService } from '../helpers/engine.js';
import { run } from '../store/samples.js';
import { listedSource } from '../helpers/source.js';

const FEDERATED = 'federated.co.jp';
const MANAGED = ['alpha.co.jp', 'beta.co.jp', 'gamma.co.jp'];
const logger = createLogger('silent');

const seed: EmulatorSeed = {
  organization: { displayName: 'Read Once KK', countryLetterCode: 'JP' },
  domains: [
    { id: 'readonce.onmicrosoft.com', authenticationType: 'Managed', isVerified: true, isInitial: true },
    { id: FEDERATED, authenticationType: 'Federated', isVerified: true, isDefault: true },
    ...MANAGED.map((id) => ({ id, authenticationType: 'Managed' as const, isVerified: true })),
  ],
  users: [
    {
      userPrincipalName: `meeting.room@${FEDERATED}`,
      displayName: 'Meeting room',
      mailNickname: 'meeting.room',
      accountEnabled: true,
    },
  ],
};

/** The object with each method call's name recorded in `calls`, then passed through. */
function counted<T extends object>(target: T, calls: string[]): T {
  return new Proxy(target, {
    get(t, prop) {
      const value = Reflect.get(t, prop, t);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        return value.apply(t, args);
      };
    },
  });
}

describe('read each thing once', () => {
  let emulator: RunningEmulator;
  let entra: EntraConnector;
  let stores: Stores;
  let service: SyncService;
  const readerCalls: string[] = [];
  const runCalls: string[] = [];
  const planCalls: string[] = [];
  const settingsCalls: string[] = [];
  const domainReads = () => readerCalls.filter((c) => c === 'listDomains').length;
  /** Runs once, inside the next read of the source directory. */
  let duringSourceRead: (() => Promise<void>) | null = null;

  beforeAll(async () => {
    emulator = await startEmulator({ seed, latency: 'none' });
    entra = emulatorEntra(emulator, logger);
  }, 60_000);

  beforeEach(async () => {
    await stores?.close();
    stores = await openStore('memory://');
    service = testSyncService({ ...entra, reader: counted(entra.reader, readerCalls) }, stores, {
      runs: counted(stores.runs, runCalls),
      plans: counted(stores.plans, planCalls),
      settings: counted(stores.settings, settingsCalls),
      source: listedSource(async () => {
        const hook = duringSourceRead;
        duringSourceRead = null;
        await hook?.();
        return [];
      }),
      logger,
      holder: 'read-once-test',
    });
    for (const d of [FEDERATED, ...MANAGED])
      expect(isRefusal(await service.addDomain(d, { maxDeletionPercent: 100 }, 'test'))).toBe(false);
    readerCalls.length = 0;
    runCalls.length = 0;
    planCalls.length = 0;
    settingsCalls.length = 0;
  });

  afterAll(async () => {
    await entra?.close();
    await stores?.close();
    await emulator?.close();
  });

  it('a pre-check of a federated domain lists the tenant’s domains once', async () => {
    const pre = (await service.precheck(FEDERATED)) as PrecheckResult;
    expect(isRefusal(pre)).toBe(false);
    expect(pre.initialDomain).toBe('readonce.onmicrosoft.com');
    expect(pre.candidates.map((c) => c.user.userPrincipalName)).toEqual([`meeting.room@${FEDERATED}`]);
    expect(domainReads()).toBe(1);
  });

  it('moving to the initial domain lists them once too', async () => {
    const pre = (await service.precheck(FEDERATED)) as PrecheckResult;
    readerCalls.length = 0;
    const moved = await service.moveToInitialDomain(FEDERATED, [pre.candidates[0]!.user.id], 'test');
    expect(moved).toMatchObject({ moved: [{ to: 'meeting.room@readonce.onmicrosoft.com' }], failed: [] });
    expect(domainReads()).toBe(1);
  });

  it('a dry run of a federated domain lists them once (the staging domain comes from the same list)', async () => {
    const plan = await service.preview(FEDERATED);
    expect(isRefusal(plan)).toBe(false);
    expect(domainReads()).toBe(1);
  });

  it('preview all lists the tenant’s domains once and reads no domain’s settings again', async () => {
    const ghost = { ...(await stores.settings.get('alpha.co.jp'))!, domain: 'ghost.co.jp' };
    await stores.settings.put(ghost);
    const listed = (await stores.settings.list()).filter((s) => s.synced);
    settingsCalls.length = 0;
    const started: string[] = [];
    const entries = await service.previewAll(listed, {
      requestedBy: 'test',
      onDomain: (i, domain) => started.push(`${i}:${domain}`),
    });
    expect(started).toEqual(listed.map((s, i) => `${i}:${s.domain}`));
    expect(entries.map((e) => e.domain)).toEqual(listed.map((s) => s.domain));
    for (const e of entries) {
      if (!('result' in e)) throw new Error(`${e.domain}: ${e.error.message}`);
      if (e.domain === 'ghost.co.jp') expect(e.result).toMatchObject({ code: 'unknown-domain' });
      else expect(isRefusal(e.result)).toBe(false);
    }
    expect(domainReads()).toBe(1);
    expect(settingsCalls.filter((c) => c === 'get')).toHaveLength(0);
  });

  it('preview all whose domain list cannot be read gives every domain that error, trying the list once', async () => {
    let tries = 0;
    const failing = testSyncService(
      {
        ...entra,
        reader: new Proxy(entra.reader, {
          get: (t, prop) =>
            prop === 'listDomains'
              ? async () => {
                  tries++;
                  throw Object.assign(new Error('Graph unreachable'), { kind: 'network' });
                }
              : Reflect.get(t, prop, t),
        }),
      },
      stores,
      { source: listedSource(async () => []), logger, holder: 'read-once-test' },
    );
    const listed = (await stores.settings.list()).filter((s) => s.synced);
    const entries = await failing.previewAll(listed);
    expect(tries).toBe(1);
    expect(entries).toEqual(
      listed.map((s) => ({
        domain: s.domain,
        error: expect.objectContaining({ message: 'Graph unreachable', kind: 'network' }),
      })),
    );
  });

  it('Sync now reads the plan’s summary once and the settings, domains and country again only for freshness', async () => {
    const plan = await service.preview('alpha.co.jp');
    if (isRefusal(plan)) throw new Error(plan.reason);
    readerCalls.length = 0;
    planCalls.length = 0;
    settingsCalls.length = 0;
    const done = await service.apply(plan.id, plan.hash, { trigger: 'cli', approvedBy: 'test' });
    expect(isRefusal(done)).toBe(false);
    // Once for the quick refusal before the re-read of both sides, once after it (the hourly run's rule).
    expect(domainReads()).toBe(2);
    expect(readerCalls.filter((c) => c === 'organizationCountry')).toHaveLength(2);
    expect(settingsCalls.filter((c) => c === 'get')).toHaveLength(2);
    // The summary once; the whole plan never (its changes are streamed chunk by chunk when written).
    expect(planCalls.filter((c) => c === 'summary')).toHaveLength(1);
    expect(planCalls.filter((c) => c === 'get')).toHaveLength(0);
  });

  it('Sync now refuses a plan whose settings changed while it re-read both sides', async () => {
    const plan = await service.preview('beta.co.jp');
    if (isRefusal(plan)) throw new Error(plan.reason);
    // `domain set` takes no lease: it can land while a large domain is being read again.
    duringSourceRead = async () => {
      expect(isRefusal(await service.setDomain('beta.co.jp', { onDelete: 'disable' }, 'test'))).toBe(false);
    };
    const done = await service.apply(plan.id, plan.hash, { trigger: 'cli', approvedBy: 'test' });
    expect(duringSourceRead).toBeNull();
    expect(isRefusal(done) ? done.code : done.status).toBe('stale-plan');
    const runs = await stores.runs.list({ domain: 'beta.co.jp' });
    expect(runs.map((r) => r.status)).toEqual(['refused']);
  });

  it('an hourly run under the slot’s lease reads settings, domains and country again only for freshness', async () => {
    const held = await stores.settings.get('alpha.co.jp');
    settingsCalls.length = 0;
    const done = await service.runScheduled('alpha.co.jp', { settings: held! });
    expect(isRefusal(done)).toBe(false);
    // Once to build the plan (the settings came with the lease), once after the read for the freshness check.
    expect(domainReads()).toBe(2);
    expect(readerCalls.filter((c) => c === 'organizationCountry')).toHaveLength(2);
    expect(settingsCalls.filter((c) => c === 'get')).toHaveLength(1);
    expect(planCalls.filter((c) => c === 'get')).toHaveLength(0);
  });

  it('the domain list reads the sync log once for every configured domain, with each one’s newest run', async () => {
    const day = (d: number, h: number) =>
      `2026-11-${String(d).padStart(2, '0')}T${String(h).padStart(2, '0')}:00:00.000Z`;
    await stores.runs.put(run('a-old', 'alpha.co.jp', day(20, 1)));
    await stores.runs.put(run('a-new', 'alpha.co.jp', day(21, 9)));
    await stores.runs.put(run('a-mid', 'alpha.co.jp', day(21, 3)));
    await stores.runs.put(run('b-only', 'beta.co.jp', day(2, 0)));
    await stores.runs.put(run('f-new', FEDERATED, day(25, 23)));
    runCalls.length = 0;
    const views = await service.listDomains();
    if (isRefusal(views)) throw new Error(views.reason);
    expect(runCalls).toHaveLength(1);
    expect(domainReads()).toBe(1);
    const last = Object.fromEntries(views.map((v) => [v.domain.id, v.lastRun?.id ?? null]));
    expect(last).toEqual({
      'readonce.onmicrosoft.com': null,
      [FEDERATED]: 'f-new',
      'alpha.co.jp': 'a-new',
      'beta.co.jp': 'b-only',
      'gamma.co.jp': null,
    });
    // Summaries: the per-user outcomes are left out.
    expect(views.find((v) => v.domain.id === 'alpha.co.jp')?.lastRun?.outcomes).toEqual([]);
  });
});
