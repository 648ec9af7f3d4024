// Adopting users of a federated domain over HTTPS: the dry run says the UPN goes through onmicrosoft.com, the apply runs
// the three writes as one journaled unit, a crash or stop between them resumes, and a failed middle step moves the user back.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ENGLISH } from '../../src/bot/i18n.js';
import { renderDryRunCard } from '../../src/bot/render-plan-cards.js';
import { createEngine, type Engine } from '../../src/compose.js';
import { loadConfig } from '../../src/config.js';
import { type EmulatorSeed, type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { executePlan } from '../../src/sync/apply-run.js';
import { diff } from '../../src/sync/diff.js';
import type { Change, Plan } from '../../src/sync/model.js';
import { planCsv } from '../../src/sync/plan-csv.js';
import type { EntraWriter, WriteOp } from '../../src/sync/ports.js';
import { planToWritePhases } from '../../src/sync/write-ops.js';
import { entraUser, settings, snapshot } from './fixtures.js';
import { runOutcomesOf } from '../helpers/engine.js';
import { run } from '../store/samples.js';
import { isRefusal } from '../../src/sync/service-interface.js';

const DOMAIN = 'fed.example';
const STAGING = 'fedco.onmicrosoft.com';
const logger = createLogger('silent');
const imm = (name: string) => Buffer.from(`fed:${name}`).toString('base64url');

/** Entra: erin and ivy were created before the domain got its Immutable IDs; kate already has hers. */
function seed(): EmulatorSeed {
  const u = (id: string, upn: string, extra: Record<string, unknown> = {}) => ({
    id,
    userPrincipalName: upn,
    displayName: id,
    mailNickname: id.split('-')[0],
    ...extra,
  });
  return {
    domains: [
      { id: STAGING, authenticationType: 'Managed', isVerified: true, isInitial: true },
      { id: DOMAIN, authenticationType: 'Federated', isVerified: true, isDefault: true },
      { id: 'other.example', authenticationType: 'Managed', isVerified: true },
    ],
    users: [
      u('0e1f2a3b-0000-4000-8000-000000000001', `erin@${DOMAIN}`),
      u('0e1f2a3b-0000-4000-8000-000000000002', `ivy@${DOMAIN}`),
      u('0e1f2a3b-0000-4000-8000-000000000003', `kate@${DOMAIN}`, { onPremisesImmutableId: imm('kate') }),
      // Outside the synced domain, already holding the Immutable ID that Access Control gives Ivy.
      u('0e1f2a3b-0000-4000-8000-000000000004', 'ivy-old@other.example', { onPremisesImmutableId: imm('ivy') }),
    ],
  };
}

const ERIN = '0e1f2a3b-0000-4000-8000-000000000001';
const IVY = '0e1f2a3b-0000-4000-8000-000000000002';

let emu: RunningEmulator;
let e: Engine;

beforeAll(async () => {
  emu = await startEmulator({ seed: seed(), replicationDelayMs: 300 });
  const config = loadConfig({
    DEMO: 'false',
    ENTRA_TENANT_ID: emu.tenantId,
    ENTRA_CLIENT_ID: emu.clientId,
    ENTRA_CLIENT_SECRET: emu.clientSecret,
    ENTRA_AUTHORITY_HOST: emu.authorityHost,
    GRAPH_BASE_URL: emu.graphBaseUrl,
    ENTRA_CA_FILE: emu.caFile!,
    STORE_URL: 'memory://',
    LOG_LEVEL: 'silent',
  });
  e = await createEngine(config, logger);
  await e.directory.replaceDomain(
    DOMAIN,
    ['erin', 'ivy', 'kate'].map((name) => ({
      userPrincipalName: `${name}@${DOMAIN}`,
      immutableId: imm(name),
      displayName: name,
      jobTitle: 'Engineer',
    })),
  );
  expect(await e.service.addDomain(DOMAIN, { maxDeletionPercent: 50 }, 'test')).toHaveProperty('domain', DOMAIN);
});
afterAll(async () => {
  await e?.close();
  await emu?.close();
});

async function preview(): Promise<Plan> {
  const plan = await e.service.preview(DOMAIN, { requestedBy: 'test' });
  if (!('changes' in plan)) throw new Error(`preview refused: ${JSON.stringify(plan)}`);
  return plan;
}

const upnOf = async (id: string) => (await e.entra.reader.getUser(id))?.userPrincipalName;
const update = (plan: Plan, id: string) =>
  plan.changes.find((c): c is Extract<Change, { action: 'Update' }> => c.action === 'Update' && c.entraId === id);

describe('the core (pure)', () => {
  const source = [
    { userPrincipalName: 'Erin@contoso.co.jp', immutableId: 'RVJJTg', displayName: 'Erin', jobTitle: 'Dev' },
  ];
  const entra = [entraUser({ id: 'ab12cd34-0000-4000-8000-000000000009', userPrincipalName: 'erin@contoso.co.jp' })];
  const diffSettings = settings();

  it('adopts through the staging domain, or skips with a reason when the tenant has none', () => {
    const fed = (stagingDomain: string | null) =>
      diff(snapshot({ authenticationType: 'Federated', source, entra, stagingDomain }), diffSettings);
    expect(fed('t.onmicrosoft.com')[0]).toMatchObject({ action: 'Update', via: 'erin.ab12cd34@t.onmicrosoft.com' });
    expect(fed(null)[0]).toMatchObject({ action: 'Skip', reason: 'conflict' });
    expect(String((fed(null)[0] as { note: string }).note)).toContain("tenant's onmicrosoft.com domain");
    // A managed domain sets the Immutable ID in place.
    expect(diff(snapshot({ source, entra }), diffSettings)[0]).not.toHaveProperty('via');
  });

  it('writes the unit as four phases: move, Immutable ID only, move back, then the other attributes', () => {
    const changes = diff(
      snapshot({ authenticationType: 'Federated', source, entra, stagingDomain: 't.onmicrosoft.com' }),
      diffSettings,
    );
    const phases = planToWritePhases({ changes }, 'Federated');
    const id = entra[0]!.id;
    expect(phases).toEqual([
      [
        {
          opId: `f1:${id}`,
          phase: 0,
          kind: 'update',
          userId: id,
          attributes: { userPrincipalName: 'erin.ab12cd34@t.onmicrosoft.com' },
        },
      ],
      [
        {
          opId: `f2:${id}`,
          phase: 1,
          kind: 'update',
          userId: id,
          attributes: { onPremisesImmutableId: 'RVJJTg' },
          requires: `f1:${id}`,
        },
      ],
      [
        {
          opId: `u:${id}`,
          phase: 2,
          kind: 'update',
          userId: id,
          attributes: { userPrincipalName: 'Erin@contoso.co.jp' },
          requires: `f1:${id}`,
        },
      ],
      [
        {
          opId: `f3:${id}`,
          phase: 3,
          kind: 'update',
          userId: id,
          attributes: { displayName: 'Erin', mailNickname: 'Erin', jobTitle: 'Dev' },
        },
      ],
    ]);
  });
});

describe('the dry run', () => {
  it('plans the adoption through a temporary onmicrosoft.com UPN and says so in the CSV and the card', async () => {
    await emu.reset(seed());
    const plan = await preview();
    const erin = update(plan, ERIN);
    expect(erin).toMatchObject({ adopt: true, via: `erin.0e1f2a3b@${STAGING}` });
    // A user that already has its Immutable ID is updated in place.
    expect(plan.changes.find((c) => c.upn === `kate@${DOMAIN}`)).not.toHaveProperty('via');
    const csv = planCsv(plan);
    expect(csv).toContain(
      `adopt (federated domain): moves the UPN to erin.0e1f2a3b@${STAGING}, sets the Immutable ID there, then moves it back to erin@${DOMAIN}`,
    );
    const card = JSON.stringify(renderDryRunCard(ENGLISH, plan, { downloadUrl: 'https://bot.example/d' }));
    expect(card).toContain(`moves the UPN to erin.0e1f2a3b@${STAGING}`);
  });
});

describe('the apply', () => {
  it('sets the Immutable ID of a federated user and brings the UPN back; never moves a user whose ID is taken', async () => {
    await emu.reset(seed());
    const plan = await preview();
    const run = await e.service.apply(plan.id, plan.hash, { trigger: 'cli', approvedBy: 'test' });
    if (!('outcomes' in run)) throw new Error(JSON.stringify(run));
    const erin = await e.entra.reader.getUser(ERIN);
    expect(erin).toMatchObject({
      userPrincipalName: `erin@${DOMAIN}`,
      onPremisesImmutableId: imm('erin'),
      jobTitle: 'Engineer',
    });
    // Ivy's Immutable ID is taken outside the domain: step 2 would be refused and she could not come back, so she stays.
    const ivy = await e.entra.reader.getUser(IVY);
    expect(ivy).toMatchObject({ userPrincipalName: `ivy@${DOMAIN}`, onPremisesImmutableId: null });
    const ivyOutcome = run.outcomes.find((o) => o.upn === `ivy@${DOMAIN}`);
    expect(ivyOutcome).toMatchObject({ result: 'failed', errorKind: 'conflict' });
    expect(ivyOutcome?.errorMessage).toContain('is already held by ivy-old@other.example');
    expect(ivyOutcome?.errorMessage).toContain('nothing was changed');
    // The returned record carries the failures; every outcome is in the run log.
    expect(run.outcomes.find((o) => o.upn === `erin@${DOMAIN}`)).toBeUndefined();
    const outcomes = await runOutcomesOf(e.service, run.id);
    expect(outcomes.find((o) => o.upn === `erin@${DOMAIN}`)).toMatchObject({ result: 'done' });
    expect(outcomes.find((o) => o.upn === `ivy@${DOMAIN}`)).toEqual(ivyOutcome);
    expect(run.status).toBe('partial');
  });

  for (const crash of ['after step 1 is sent', 'before step 2', 'after step 2 is sent', 'before step 3'] as const) {
    it(`resumes the unit after a crash ${crash}, and never leaves the user on onmicrosoft.com`, async () => {
      await emu.reset(seed());
      const plan = await preview();
      const via = update(plan, ERIN)!.via!;
      const phases = planToWritePhases(plan, 'Federated');
      const runId = `crash-${crash.replace(/\s+/g, '-')}`;
      const deps = { reader: e.entra.reader, journal: e.stores.journal, logger };
      const step = (ops: readonly WriteOp[]) => ops.find((o) => o.opId.endsWith(ERIN))?.opId.split(':')[0];
      const dying: EntraWriter = {
        execute: async (ops, options) => {
          const s = step(ops);
          if ((crash === 'before step 2' && s === 'f2') || (crash === 'before step 3' && s === 'u'))
            throw new Error('process died');
          await e.entra.writer.execute(ops, options);
          if ((crash === 'after step 1 is sent' && s === 'f1') || (crash === 'after step 2 is sent' && s === 'f2'))
            throw new Error('process died');
        },
      };
      await expect(executePlan({ ...deps, writer: dying }, { runId, plan, phases })).rejects.toThrow('process died');
      // Between the crash and the resume the user sits at the temporary UPN the plan names.
      expect(await upnOf(ERIN)).toBe(via);
      const resumed = await executePlan({ ...deps, writer: e.entra.writer }, { runId, plan, phases });
      expect(resumed.stoppedBy).toBeNull();
      expect(resumed.outcomes.find((o) => o.upn === `erin@${DOMAIN}`)).toMatchObject({ result: 'done' });
      expect(await e.entra.reader.getUser(ERIN)).toMatchObject({
        userPrincipalName: `erin@${DOMAIN}`,
        onPremisesImmutableId: imm('erin'),
      });
    });
  }

  it('a run stopped between the steps reports where the user is and how to finish', async () => {
    await emu.reset(seed());
    const plan = await preview();
    const via = update(plan, ERIN)!.via!;
    const phases = planToWritePhases(plan, 'Federated');
    const stop = new AbortController();
    const stopping: EntraWriter = {
      execute: async (ops, options) => {
        await e.entra.writer.execute(ops, options);
        if (ops.some((o) => o.opId === `f1:${ERIN}`)) stop.abort();
      },
    };
    const deps = { reader: e.entra.reader, journal: e.stores.journal, logger };
    const stopped = await executePlan(
      { ...deps, writer: stopping },
      { runId: 'stopped', plan, phases, signal: stop.signal },
    );
    // A stop (shutdown) ends the run interrupted, not failed: the journal resumes it.
    expect(stopped.interrupted).toBe(true);
    expect(stopped.stoppedBy).toBeNull();
    const erin = stopped.outcomes.find((o) => o.upn === `erin@${DOMAIN}`);
    expect(erin?.result).toBe('failed');
    expect(erin?.errorMessage).toContain(`is still at its temporary UPN ${via}`);
    expect(erin?.errorMessage).toContain('apply this dry run again');
    const finished = await executePlan({ ...deps, writer: e.entra.writer }, { runId: 'stopped', plan, phases });
    expect(finished.outcomes.find((o) => o.upn === `erin@${DOMAIN}`)?.result).toBe('done');
    expect(await upnOf(ERIN)).toBe(`erin@${DOMAIN}`);
  });

  it('a new dry run is refused while an interrupted run left a user at its temporary UPN, found from its journal', async () => {
    await emu.reset(seed());
    const plan = await preview();
    const via = update(plan, ERIN)!.via!;
    const phases = planToWritePhases(plan, 'Federated');
    const deps = { reader: e.entra.reader, journal: e.stores.journal, logger };
    const runOf = (id: string) => ({ ...run(id, DOMAIN, new Date().toISOString(), 0), planId: plan.id });
    const summary = vi.spyOn(e.stores.plans, 'summary');
    const walk = vi.spyOn(e.stores.plans, 'changes');
    const whole = vi.spyOn(e.stores.plans, 'get');
    try {
      // A run of the domain interrupted with only plain updates done: its journal holds no move, so the dry run reads
      // nothing of its plan.
      await e.stores.runs.put(runOf('no-move'));
      await e.stores.journal.write('no-move', [{ opId: `u:${IVY}`, state: 'done' }]);
      expect(await e.stores.journal.unfinished()).toContain('no-move');
      expect(isRefusal(await e.service.preview(DOMAIN))).toBe(false);
      expect(summary).not.toHaveBeenCalled();
      expect(walk).not.toHaveBeenCalled();
      await e.stores.journal.markFinished('no-move');

      // Stopped after erin's move to the temporary UPN: refused, naming erin, the run and the plan to apply again.
      const stop = new AbortController();
      const stopping: EntraWriter = {
        execute: async (ops, options) => {
          await e.entra.writer.execute(ops, options);
          if (ops.some((o) => o.opId === `f1:${ERIN}`)) stop.abort();
        },
      };
      await e.stores.runs.put(runOf('stranded'));
      await executePlan({ ...deps, writer: stopping }, { runId: 'stranded', plan, phases, signal: stop.signal });
      expect(await upnOf(ERIN)).toBe(via);
      const refused = await e.service.preview(DOMAIN);
      if (!isRefusal(refused)) throw new Error('the dry run was not refused');
      expect(refused.code).toBe('lease-held');
      expect(refused.reason).toContain(`erin@${DOMAIN}`);
      expect(refused.reason).toContain(via);
      expect(refused.reason).toContain('An interrupted run (stranded) left');
      expect(refused.reason).toContain(plan.id);
      // Its plan's summary and its chunks, one at a time; never the whole plan.
      expect(walk).toHaveBeenCalledTimes(1);
      expect(whole).not.toHaveBeenCalled();

      // Applying it again finishes the adoption; the dry run goes ahead.
      await executePlan({ ...deps, writer: e.entra.writer }, { runId: 'stranded', plan, phases });
      expect(await upnOf(ERIN)).toBe(`erin@${DOMAIN}`);
      expect(isRefusal(await e.service.preview(DOMAIN))).toBe(false);
    } finally {
      summary.mockRestore();
      walk.mockRestore();
      whole.mockRestore();
    }
  });

  it('a user that cannot be moved back (its ID was taken meanwhile) is reported where it is', async () => {
    await emu.reset(seed());
    const plan = await preview();
    const via = update(plan, ERIN)!.via!;
    const phases = planToWritePhases(plan, 'Federated');
    const racing: EntraWriter = {
      execute: async (ops, options) => {
        await e.entra.writer.execute(ops, options);
        if (!ops.some((o) => o.opId === `f1:${ERIN}`)) return;
        // Someone gives Erin's Immutable ID to another user between step 1 and step 2.
        await e.entra.writer.execute(
          [
            {
              opId: 'race',
              phase: 0,
              kind: 'update',
              userId: '0e1f2a3b-0000-4000-8000-000000000004',
              attributes: { onPremisesImmutableId: imm('erin') },
            },
          ],
          { onResult: () => undefined },
        );
      },
    };
    const deps = { reader: e.entra.reader, journal: e.stores.journal, logger };
    const result = await executePlan({ ...deps, writer: racing }, { runId: 'race', plan, phases });
    const erin = result.outcomes.find((o) => o.upn === `erin@${DOMAIN}`);
    expect(erin?.result).toBe('failed');
    expect(erin?.errorMessage).toContain(`is still at its temporary UPN ${via}`);
    expect(erin?.errorMessage).toContain('moving it back failed');
    expect(await upnOf(ERIN)).toBe(via);
  });
});
