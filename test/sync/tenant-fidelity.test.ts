// The engine against the emulator over HTTPS: plans bound to their settings, usage location, deleted users' real UPNs.
import { randomUUID } from 'node:crypto';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type EmulatorSeed, type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import type { EntraConnector } from '../../src/entra/index.js';
import { createLogger } from '../../src/logger.js';
import { openStore, type Stores } from '../../src/store/index.js';
import type { Plan, RunRecord, SourceUser } from '../../src/sync/model.js';
import { isRefusal, type Refusal, type SyncService } from '../../src/sync/service-interface.js';
import { emulatorControl, emulatorEntra, runOutcomesOf, testSyncService } from '../helpers/engine.js';
import { listedSource } from '../helpers/source.js';

const DOMAIN = 'fidelity.co.jp';
const MANAGED = 'managed.co.jp';
const LEAVER_ID = '6f1c2a80-1b2c-4d3e-8f90-0a1b2c3d4e5f';
const DELETED_ID = '0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d';
const BLOCKED_ID = '1b2c3d4e-5f60-4718-8a9b-0c1d2e3f4a5b';
const REPLICATION_DELAY_MS = 300;
/** An app registration without Organization.Read.All. */
const NO_ORG_APP = { clientId: 'no-org-app', clientSecret: 'no-org-app-secret-value' };
/** Waits until the emulator's listings show this test's writes (a dry run reads listings). */
const replicated = () => new Promise((r) => setTimeout(r, REPLICATION_DELAY_MS + 50));

interface StateUser {
  id: string;
  userPrincipalName: string;
  usageLocation?: string | null;
  onPremisesImmutableId?: string | null;
}

function seed(): EmulatorSeed {
  const person = (local: string, imm: string, extra: Record<string, unknown> = {}) => ({
    userPrincipalName: `${local}@${DOMAIN}`,
    displayName: local,
    mailNickname: local,
    onPremisesImmutableId: imm,
    accountEnabled: true,
    ...extra,
  });
  return {
    organization: { displayName: 'Fidelity KK', countryLetterCode: 'JP' },
    domains: [
      { id: 'fidelity.onmicrosoft.com', authenticationType: 'Managed', isVerified: true, isInitial: true },
      { id: DOMAIN, authenticationType: 'Federated', isVerified: true, isDefault: true },
      { id: MANAGED, authenticationType: 'Managed', isVerified: true },
    ],
    users: [
      person('stays', 'U1RBWVM', {
        usageLocation: 'US',
        mail: `stays@${DOMAIN}`,
        proxyAddresses: [`SMTP:stays@${DOMAIN}`, `smtp:s.tanaka@${DOMAIN}`],
      }),
      person('nolocation', 'Tk9MT0M'),
      { ...person('leaver', 'TEVBVkVS'), id: LEAVER_ID },
      // Holds the UPN a soft-deleted user would come back with, under another Immutable ID.
      person('taken', 'VEFLRU4y'),
      // Outside the synced domain's snapshot, but holds an address of the synced domain.
      {
        userPrincipalName: `shared.box@${MANAGED}`,
        displayName: 'Shared box',
        mailNickname: 'shared.box',
        mail: `shared.box@${MANAGED}`,
        proxyAddresses: [`SMTP:shared.box@${MANAGED}`, `smtp:info@${DOMAIN}`],
      },
    ],
    apps: [
      {
        clientId: NO_ORG_APP.clientId,
        clientSecret: NO_ORG_APP.clientSecret,
        permissions: ['User.ReadWrite.All', 'Domain.Read.All', 'RoleManagement.Read.Directory'],
      },
    ],
    // A group is never in a domain's user listing, but its addresses are taken all the same.
    groups: [
      {
        id: '2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f',
        displayName: 'Team',
        proxyAddresses: [`SMTP:team@${DOMAIN}`],
        members: [],
      },
    ],
    deletedUsers: [
      {
        id: DELETED_ID,
        userPrincipalName: `returning@${DOMAIN}`,
        displayName: 'returning',
        mailNickname: 'returning',
        onPremisesImmutableId: 'UkVUVVJO',
        accountEnabled: true,
        deletedDateTime: '2026-11-20T00:00:00Z',
      },
      {
        id: BLOCKED_ID,
        userPrincipalName: `taken@${DOMAIN}`,
        displayName: 'taken (old)',
        mailNickname: 'taken',
        onPremisesImmutableId: 'VEFLRU4x',
        accountEnabled: true,
        deletedDateTime: '2026-11-21T00:00:00Z',
      },
    ],
  };
}

const src = (local: string, immutableId: string, domain = DOMAIN): SourceUser => ({
  userPrincipalName: `${local}@${domain}`,
  immutableId,
  displayName: local,
});

describe('tenant fidelity: the engine against the emulator over HTTPS', () => {
  let emulator: RunningEmulator;
  let entra: EntraConnector;
  let stores: Stores;
  let service: SyncService;
  let dispatcher: Agent;
  let source: Record<string, SourceUser[]>;
  /** Runs once while the source is being read (the hourly run's read), then clears itself. */
  let duringRead: (() => Promise<void>) | null = null;

  const control = emulatorControl(
    () => emulator,
    () => dispatcher,
  );
  const state = async () => (await control('/_emulator/state')) as { users: StateUser[]; deletedItems: StateUser[] };
  const user = async (upn: string) => (await state()).users.find((u) => u.userPrincipalName === upn);
  const previewOf = async (domain = DOMAIN): Promise<Plan> => {
    const plan = await service.preview(domain);
    if (isRefusal(plan)) throw new Error(plan.reason);
    return plan;
  };
  const apply = (plan: Plan) => service.apply(plan.id, plan.hash, { trigger: 'manual', approvedBy: 'test' });

  beforeAll(async () => {
    // Listings and advanced queries lag behind writes, as in a real tenant (GET by id or UPN does not).
    emulator = await startEmulator({ seed: seed(), latency: 'none', replicationDelayMs: REPLICATION_DELAY_MS });
    dispatcher = new Agent({ connect: { ca: emulator.caPem! } });
    const logger = createLogger('silent');
    entra = emulatorEntra(emulator, logger);
  }, 60_000);

  beforeEach(async () => {
    await control('/_emulator/reset', seed());
    await stores?.close();
    stores = await openStore('memory://');
    service = testSyncService(entra, stores, {
      source: listedSource(async (d) => {
        const hook = duringRead;
        duringRead = null;
        await hook?.();
        return source[d] ?? [];
      }),
      logger: createLogger('silent'),
      holder: 'fidelity-test',
    });
    source = {
      [DOMAIN]: [src('stays', 'U1RBWVM'), src('nolocation', 'Tk9MT0M'), src('taken', 'VEFLRU4y')],
      [MANAGED]: [],
    };
    for (const d of [DOMAIN, MANAGED]) {
      const added = await service.addDomain(d, { maxDeletionPercent: 100 }, 'test');
      expect(isRefusal(added), JSON.stringify(added)).toBe(false);
    }
  });

  afterAll(async () => {
    await entra?.close();
    await stores?.close();
    await emulator?.close();
    await dispatcher?.close();
  });

  describe('§1 a plan is bound to the settings that decide its writes', () => {
    it('preview, then protect the leaver, then apply: refused as stale and nothing is written', async () => {
      const plan = await previewOf();
      expect(plan.changes.find((c) => c.upn === `leaver@${DOMAIN}`)?.action).toBe('Delete');
      const before = await state();

      const set = await service.setDomain(DOMAIN, { protectedAccounts: [`leaver@${DOMAIN}`] }, 'test');
      expect(isRefusal(set)).toBe(false);
      const result = await apply(plan);
      expect(isRefusal(result)).toBe(true);
      const refusal = result as Refusal;
      expect(refusal.code).toBe('stale-plan');
      expect(refusal.reason).toContain("the domain's settings changed since this dry run");
      expect(refusal.reason).toContain('protected accounts');
      expect(refusal.reason).toMatch(/Run preview again/);
      expect(await state()).toEqual(before);
      expect(await user(`leaver@${DOMAIN}`)).toBeDefined();

      const [run] = await service.listRuns({ domain: DOMAIN, limit: 1 });
      expect(run?.status).toBe('refused');
      expect(run?.planId).toBe(plan.id);

      // A new dry run under the new settings skips the protected user and applies.
      const again = await previewOf();
      expect(again.changes.find((c) => c.upn === `leaver@${DOMAIN}`)?.action).toBe('Skip');
      const applied = await apply(again);
      expect(isRefusal(applied), JSON.stringify(applied)).toBe(false);
      expect(await user(`leaver@${DOMAIN}`)).toBeDefined();
    }, 60_000);

    it('refuses after on-delete or usage location changed, and a plan whose settings came back is fresh again', async () => {
      const plan = await previewOf();
      await service.setDomain(DOMAIN, { onDelete: 'disable' }, 'test');
      const r1 = (await apply(plan)) as Refusal;
      expect(r1.code).toBe('stale-plan');
      expect(r1.reason).toContain('on delete (delete → disable)');

      const plan2 = await previewOf();
      await service.setDomain(DOMAIN, { usageLocation: 'US' }, 'test');
      const r2 = (await apply(plan2)) as Refusal;
      expect(r2.code).toBe('stale-plan');
      expect(r2.reason).toContain('usage location (JP → US)');

      // Setting the same values back (protected accounts in another order and case) makes plan 3 fresh.
      await service.setDomain(DOMAIN, { protectedAccounts: [`A@${DOMAIN}`, `b@${DOMAIN}`] }, 'test');
      const plan3 = await previewOf();
      await service.setDomain(DOMAIN, { protectedAccounts: [`B@${DOMAIN}`, `a@${DOMAIN}`] }, 'test');
      const r3 = await apply(plan3);
      expect(isRefusal(r3), JSON.stringify(r3)).toBe(false);
    }, 60_000);

    it('the hourly run refuses when a setting changes while it reads the domain', async () => {
      const before = await state();
      duringRead = async () => {
        await service.setDomain(DOMAIN, { protectedAccounts: [`leaver@${DOMAIN}`] }, 'admin');
      };
      const result = await service.runScheduled(DOMAIN);
      expect(isRefusal(result)).toBe(false);
      const run = result as RunRecord;
      expect(run.status).toBe('refused');
      expect(run.reason).toContain("the domain's settings changed since this dry run");
      expect(await state()).toEqual(before);
    }, 60_000);
    it('an interrupted run is not resumed once a setting changed: it is closed as refused, nothing more is written', async () => {
      const plan = await previewOf();
      const runId = randomUUID();
      expect(await stores.plans.claim(plan.id, runId)).toEqual({ claimed: true });
      await stores.runs.put({
        id: runId,
        domain: DOMAIN,
        trigger: 'manual',
        requestedBy: 'test',
        approvedBy: 'test',
        planId: plan.id,
        planHash: plan.hash,
        startedAt: new Date().toISOString(),
        endedAt: null,
        status: 'running',
        reason: null,
        planCounts: plan.counts,
        counts: { added: 0, updated: 0, deleted: 0, failed: 0 },
        deletion: plan.deletion,
        total: plan.counts.add + plan.counts.update + plan.counts.delete,
        outcomes: [],
      });
      // The process died after journaling the delete's intent, before sending it.
      await stores.journal.write(runId, [{ opId: `d:${LEAVER_ID}`, state: 'intent' }]);
      expect(await stores.journal.unfinished()).toEqual([runId]);
      await service.setDomain(DOMAIN, { onDelete: 'disable' }, 'admin');
      const before = await state();

      // Applying the same plan again (which resumes an interrupted run of it) is refused too.
      const again = (await apply(plan)) as Refusal;
      expect(again.code).toBe('stale-plan');
      expect((await service.getRun(runId))?.status).toBe('refused');
      expect(await stores.journal.unfinished()).toEqual([]);
      expect(await state()).toEqual(before);

      // And at start-up, a run interrupted under other settings is closed, not resumed.
      const otherRun = randomUUID();
      const plan2 = await previewOf();
      expect(await stores.plans.claim(plan2.id, otherRun)).toEqual({ claimed: true });
      await stores.runs.put({
        ...(await service.getRun(runId))!,
        id: otherRun,
        planId: plan2.id,
        status: 'running',
        endedAt: null,
      });
      await stores.journal.write(otherRun, [{ opId: `d:${LEAVER_ID}`, state: 'intent' }]);
      await service.setDomain(DOMAIN, { usageLocation: 'US' }, 'admin');
      const resumed = await service.resumeInterrupted();
      expect(resumed.map((r) => [r.id, r.status])).toEqual([[otherRun, 'refused']]);
      expect(resumed[0]?.reason).toContain('usage location (JP → US)');
      expect(await state()).toEqual(before);
      expect(await stores.journal.unfinished()).toEqual([]);
    }, 60_000);
  });

  describe('§7 usage location', () => {
    it("sets the organization's country on created users and on users that have none, never over a value", async () => {
      source[DOMAIN] = [...source[DOMAIN]!, src('newhire', 'TkVXSElSRQ')];
      const plan = await previewOf();
      expect(plan.writeSettings.usageLocation).toBe('JP');
      const add = plan.changes.find((c) => c.upn === `newhire@${DOMAIN}`);
      expect(add).toMatchObject({ action: 'Add', usageLocation: 'JP' });
      const update = plan.changes.find((c) => c.upn === `nolocation@${DOMAIN}`);
      expect(update).toMatchObject({
        action: 'Update',
        changes: [{ attribute: 'usageLocation', before: null, after: 'JP' }],
      });
      expect(plan.changes.find((c) => c.upn === `stays@${DOMAIN}`)?.action).toBe('NoChange');

      const run = (await apply(plan)) as RunRecord;
      expect(run.status, run.reason ?? '').toBe('completed');
      expect((await user(`newhire@${DOMAIN}`))?.usageLocation).toBe('JP');
      expect((await user(`nolocation@${DOMAIN}`))?.usageLocation).toBe('JP');
      expect((await user(`stays@${DOMAIN}`))?.usageLocation).toBe('US');
      await replicated();
      const after = await previewOf();
      expect(after.counts.add + after.counts.update).toBe(0);
    }, 60_000);

    it("a domain's own usage location wins over the organization's; a bad code is refused and changes nothing", async () => {
      const bad = await service.setDomain(DOMAIN, { usageLocation: 'XX' }, 'test');
      expect(isRefusal(bad) && bad.code).toBe('bad-input');
      expect((bad as Refusal).reason).toMatch(/ISO 3166/);
      expect((await service.getSettings(DOMAIN))?.usageLocation ?? null).toBeNull();

      const set = await service.setDomain(DOMAIN, { usageLocation: 'kr' }, 'test');
      expect(isRefusal(set)).toBe(false);
      expect((await service.getSettings(DOMAIN))?.usageLocation).toBe('KR');
      source[DOMAIN] = [...source[DOMAIN]!, src('newhire', 'TkVXSElSRQ')];
      const plan = await previewOf();
      expect(plan.writeSettings.usageLocation).toBe('KR');
      const run = (await apply(plan)) as RunRecord;
      expect(run.status, run.reason ?? '').toBe('completed');
      expect((await user(`newhire@${DOMAIN}`))?.usageLocation).toBe('KR');
    }, 60_000);

    it('without Organization.Read.All there is no default: the reader says so instead of failing the dry run', async () => {
      const limited = emulatorEntra(emulator, createLogger('silent'), {}, NO_ORG_APP);
      try {
        expect(await limited.reader.organizationCountry()).toBeNull();
        expect(await entra.reader.organizationCountry()).toBe('JP');
      } finally {
        await limited.close();
      }
    }, 60_000);

    it('knows which new users cannot sign in: those of a managed domain, not of a federated one', async () => {
      source[MANAGED] = [src('cloud.only', 'Q0xPVUQ', MANAGED)];
      source[DOMAIN] = [...source[DOMAIN]!, src('newhire', 'TkVXSElSRQ')];
      const { newUsersWithoutCredentials } = await import('../../src/sync/plan.js');
      const managed = await previewOf(MANAGED);
      expect(managed.writeSettings.authenticationType).toBe('Managed');
      expect(newUsersWithoutCredentials(managed)).toBe(1);
      expect(newUsersWithoutCredentials(await previewOf(DOMAIN))).toBe(0);
    }, 60_000);
  });

  describe('§6 proxyAddresses are unique across objects', () => {
    it('a mail another user of the snapshot has as an address is a Skip naming that user; the holder is untouched', async () => {
      source[DOMAIN] = [
        { ...src('stays', 'U1RBWVM'), mail: `stays@${DOMAIN}` },
        src('nolocation', 'Tk9MT0M'),
        src('taken', 'VEFLRU4y'),
        { ...src('newhire', 'TkVXSElSRQ'), mail: `S.Tanaka@${DOMAIN}` },
        { ...src('fine', 'RklORQ'), mail: `fine@${DOMAIN}` },
      ];
      const plan = await previewOf();
      const skip = plan.changes.find((c) => c.upn === `newhire@${DOMAIN}`);
      expect(skip).toMatchObject({ action: 'Skip', reason: 'conflict' });
      expect(skip?.action === 'Skip' && skip.note).toContain(
        `already an e-mail address (proxyAddresses) of stays@${DOMAIN}`,
      );
      expect(plan.changes.find((c) => c.upn === `fine@${DOMAIN}`)?.action).toBe('Add');
      const run = (await apply(plan)) as RunRecord;
      expect(run.status, run.reason ?? '').toBe('completed');
      expect(await user(`newhire@${DOMAIN}`)).toBeUndefined();
      expect(await user(`stays@${DOMAIN}`)).toBeDefined();
    }, 60_000);

    it("a clash outside the snapshot is found at write time: that user's failure with a clear message, the run goes on", async () => {
      source[DOMAIN] = [
        ...source[DOMAIN]!,
        { ...src('info.desk', 'SU5GTw'), mail: `info@${DOMAIN}` },
        { ...src('team.lead', 'VEVBTQ'), mail: `team@${DOMAIN}` },
        { ...src('fine', 'RklORQ'), mail: `fine@${DOMAIN}` },
      ];
      const plan = await previewOf();
      expect(plan.changes.find((c) => c.upn === `info.desk@${DOMAIN}`)?.action).toBe('Add');
      const run = (await apply(plan)) as RunRecord;
      expect(run.status).toBe('partial');
      const failed = run.outcomes.find((o) => o.upn === `info.desk@${DOMAIN}`);
      expect(failed).toMatchObject({ result: 'failed', errorKind: 'conflict' });
      expect(failed?.errorMessage).toContain(`the mail info@${DOMAIN} is already an e-mail address (proxyAddresses)`);
      expect(failed?.errorMessage).toContain('give this user another mail in Access Control');
      const group = run.outcomes.find((o) => o.upn === `team.lead@${DOMAIN}`);
      expect(group).toMatchObject({ result: 'failed', errorKind: 'conflict' });
      expect(group?.errorMessage).toContain(`the mail team@${DOMAIN} is already an e-mail address (proxyAddresses)`);
      expect((await runOutcomesOf(service, run.id)).find((o) => o.upn === `fine@${DOMAIN}`)?.result).toBe('done');
      expect(await user(`fine@${DOMAIN}`)).toBeDefined();
    }, 60_000);
  });

  describe('§5 soft-deleted users in the form Graph lists them', () => {
    it('restores under the original UPN when it is free, and names the live holder when it is not', async () => {
      const listed = (await state()).deletedItems;
      expect(listed.map((d) => d.id).sort()).toEqual([DELETED_ID, BLOCKED_ID].sort());
      source[DOMAIN] = [
        ...source[DOMAIN]!,
        src('returning', 'UkVUVVJO'),
        // Wants its soft-deleted self back, but its old UPN is held by a live user that stays.
        src('taken.old', 'VEFLRU4x'),
      ];
      const plan = await previewOf();
      const restore = plan.changes.find((c) => c.upn === `returning@${DOMAIN}`);
      expect(restore).toMatchObject({ action: 'Add', restoreId: DELETED_ID });
      // The derived original UPN equals the wanted one: no rename after the restore.
      expect(restore?.action === 'Add' && restore.changes.some((c) => c.attribute === 'userPrincipalName')).toBe(false);
      const blocked = plan.changes.find((c) => c.upn === `taken.old@${DOMAIN}`);
      expect(blocked).toMatchObject({ action: 'Skip', reason: 'conflict' });
      expect(blocked?.action === 'Skip' && blocked.note).toContain(`taken@${DOMAIN}`);

      const run = (await apply(plan)) as RunRecord;
      expect(run.status, run.reason ?? '').toBe('completed');
      const back = await user(`returning@${DOMAIN}`);
      expect(back?.id).toBe(DELETED_ID);
      expect(back?.usageLocation).toBe('JP');
      expect((await state()).deletedItems.map((d) => d.id)).toContain(BLOCKED_ID);
    }, 60_000);
  });
});
