// Privileged users end to end over HTTPS: role holders in every form are skipped, the Global Administrator check follows
// groups and PIM by template id, and a 403 about one administrator is that user's failure while a 403 about the app stops.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/compose.js';
import { loadConfig } from '../../src/config.js';
import { type EmulatorSeed, type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import type { Plan, RunRecord, SourceUser } from '../../src/sync/model.js';
import { runOutcomesOf } from '../helpers/engine.js';

const DOMAIN = 'corp.example';
const logger = createLogger('silent');
const READ_ONLY = { clientId: '8c3fbd71-4e5f-4061-9c23-d4e5f6a7b8c9', clientSecret: 'read-only-app-secret' };
const PEOPLE = ['alice', 'bob', 'carol', 'dave', 'frank', 'gina', 'hank'];
const imm = (name: string) => Buffer.from(`corp:${name}`).toString('base64url');

function seed(extraAdmins: string[] = []): EmulatorSeed {
  return {
    domains: [
      { id: 'corp.onmicrosoft.com', authenticationType: 'Managed', isVerified: true, isInitial: true },
      { id: DOMAIN, authenticationType: 'Managed', isVerified: true, isDefault: true },
    ],
    users: PEOPLE.map((name) => ({
      id: name,
      userPrincipalName: `${name}@${DOMAIN}`,
      displayName: name,
      mailNickname: name,
      jobTitle: 'Staff',
      onPremisesImmutableId: imm(name),
    })),
    groups: [{ id: 'grp-tier0', displayName: 'Tier 0', isAssignableToRole: true, members: ['bob', ...extraAdmins] }],
    directoryRoles: [{ roleName: 'Global Administrator', principalIds: ['alice', 'grp-tier0'] }],
    roleEligibilities: [{ roleName: 'Global Administrator', principalIds: ['carol', 'dave'], activatedIds: ['dave'] }],
    apps: [
      {
        ...READ_ONLY,
        permissions: ['User.Read.All', 'Domain.Read.All', 'RoleManagement.Read.Directory', 'GroupMember.Read.All'],
      },
    ],
  };
}

/** Access Control: the same people, each with a new job title (so every one of them is an Update unless skipped). */
const source = (): SourceUser[] =>
  PEOPLE.map((name) => ({
    userPrincipalName: `${name}@${DOMAIN}`,
    immutableId: imm(name),
    displayName: name,
    jobTitle: 'Manager',
  }));

let emu: RunningEmulator;
const engines: Engine[] = [];

async function engine(app: { clientId: string; clientSecret: string }): Promise<Engine> {
  const config = loadConfig({
    DEMO: 'false',
    ENTRA_TENANT_ID: emu.tenantId,
    ENTRA_CLIENT_ID: app.clientId,
    ENTRA_CLIENT_SECRET: app.clientSecret,
    ENTRA_AUTHORITY_HOST: emu.authorityHost,
    GRAPH_BASE_URL: emu.graphBaseUrl,
    ENTRA_CA_FILE: emu.caFile!,
    STORE_URL: 'memory://',
    LOG_LEVEL: 'silent',
  });
  const e = await createEngine(config, logger);
  engines.push(e);
  await e.directory.replaceDomain(DOMAIN, source());
  const added = await e.service.addDomain(DOMAIN, { maxDeletionPercent: 50 }, 'test');
  expect(added).toHaveProperty('domain', DOMAIN);
  return e;
}

async function preview(e: Engine): Promise<Plan> {
  const plan = await e.service.preview(DOMAIN, { requestedBy: 'test' });
  if (!('changes' in plan)) throw new Error(`preview refused: ${JSON.stringify(plan)}`);
  return plan;
}

async function apply(e: Engine, plan: Plan): Promise<RunRecord> {
  const run = await e.service.apply(plan.id, plan.hash, { trigger: 'cli', approvedBy: 'test' });
  if (!('outcomes' in run)) throw new Error(`apply refused: ${JSON.stringify(run)}`);
  return run;
}

beforeAll(async () => {
  emu = await startEmulator({ seed: seed(), replicationDelayMs: 300 });
});
afterAll(async () => {
  for (const e of engines) await e.close();
  await emu?.close();
});

describe('holders of a directory role', () => {
  it('are skipped whether the role is direct, through a group, PIM-eligible or PIM-active', async () => {
    await emu.reset(seed());
    const e = await engine({ clientId: emu.clientId, clientSecret: emu.clientSecret });
    const plan = await preview(e);
    const byUpn = new Map(plan.changes.map((c) => [c.upn, c]));
    for (const name of ['alice', 'bob', 'carol', 'dave'])
      expect(byUpn.get(`${name}@${DOMAIN}`), name).toMatchObject({ action: 'Skip', note: 'holds an admin role' });
    for (const name of ['frank', 'gina', 'hank']) expect(byUpn.get(`${name}@${DOMAIN}`)?.action, name).toBe('Update');
  });

  it('count as Global Administrators when direct, group-based or PIM-active, not when merely eligible', async () => {
    await emu.reset(seed());
    const e = await engine({ clientId: emu.clientId, clientSecret: emu.clientSecret });
    const verdicts = Object.fromEntries(
      await Promise.all(PEOPLE.map(async (p) => [p, await e.entra.reader.isGlobalAdmin(p)] as const)),
    );
    expect(verdicts).toEqual({
      alice: true,
      bob: true,
      carol: false,
      dave: true,
      frank: false,
      gina: false,
      hank: false,
    });
  });
});

describe('a 403 during apply', () => {
  it('on a user who became an administrator after the dry run fails that user only, with what to do', async () => {
    await emu.reset(seed());
    const e = await engine({ clientId: emu.clientId, clientSecret: emu.clientSecret });
    const plan = await preview(e);
    // Frank joins the Global Administrator group after the dry run (the engine's role cache still has the old set).
    await emu.reset(seed(['frank']));
    const run = await apply(e, plan);
    expect(run.status).toBe('partial');
    expect(run.counts).toMatchObject({ updated: 2, failed: 1 });
    const frank = run.outcomes.find((o) => o.upn === `frank@${DOMAIN}`);
    expect(frank).toMatchObject({ result: 'failed', errorKind: 'forbidden' });
    expect(frank?.errorMessage).toContain(`frank@${DOMAIN} holds an admin role`);
    expect(frank?.errorMessage).toContain('protected accounts');
    const outcomes = await runOutcomesOf(e.service, run.id);
    expect(outcomes.filter((o) => o.result === 'done').map((o) => o.upn)).toEqual(
      expect.arrayContaining([`gina@${DOMAIN}`, `hank@${DOMAIN}`]),
    );
  });

  it('that no target explains (the app may not write users) stops the run and names the permission', async () => {
    await emu.reset(seed());
    const e = await engine(READ_ONLY);
    const plan = await preview(e);
    const run = await apply(e, plan);
    expect(run.status).toBe('failed');
    expect(run.reason).toContain('User.ReadWrite.All');
    expect(run.counts.updated).toBe(0);
  });
});
