// A federated adoption killed between its steps (UPN moved to onmicrosoft.com, then back): every unit finishes, and each temporary UPN is one the plan names.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliTenant, jsonOf, REALISTIC_EMULATOR_ARGS, runCli, spawnApply, startCliTenant } from '../helpers/cli.js';

const DOMAIN = 'fedkill.jp';
const STAGING = 'fedkilljp.onmicrosoft.com';
const USERS = 500;
const KILLS = 6;

const imm = (i: number) => Buffer.from(`fedkill-${i}`).toString('base64').replace(/=+$/, '');
const upn = (i: number) => `f${String(i).padStart(4, '0')}@${DOMAIN}`;

type StateUser = { userPrincipalName: string; onPremisesImmutableId?: string | null; jobTitle?: string | null };

describe('federated adoption survives being killed between its steps', () => {
  let tenant: CliTenant;

  beforeAll(async () => {
    const seed = {
      tenantSize: 'large',
      domains: [
        { id: STAGING, authenticationType: 'Managed', isVerified: true, isInitial: true },
        { id: DOMAIN, authenticationType: 'Federated', isVerified: true, isDefault: true },
      ],
      // Created before the sync: matched by UPN, no Immutable ID yet.
      users: Array.from({ length: USERS }, (_, i) => ({
        userPrincipalName: upn(i),
        displayName: `F ${i}`,
        givenName: 'F',
        surname: String(i),
        mailNickname: upn(i).split('@')[0],
        jobTitle: 'Staff',
        accountEnabled: true,
      })),
    };
    tenant = await startCliTenant({
      prefix: 'entra-sync-fedkill-',
      seed,
      emulatorArgs: REALISTIC_EMULATOR_ARGS,
      env: { SYNC_LEASE_TTL_SECONDS: '1' },
      directories: [
        {
          domain: DOMAIN,
          rows: [
            'userPrincipalName,givenName,surname,displayName,immutableId,jobTitle',
            ...Array.from({ length: USERS }, (_, i) => `${upn(i)},F,${i},F ${i},${imm(i)},Lead`),
          ],
        },
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await tenant?.stop();
  });

  it(`finishes every unit after ${KILLS} kills, and names every temporary UPN in the plan`, async () => {
    const { emulator, dir, env } = tenant;
    const csvPath = join(dir, 'p.csv');
    const preview = await runCli(['preview', '--domain', DOMAIN, '--json', '--out', csvPath], env);
    expect(preview.code, preview.stderr).toBe(0);
    const plan = jsonOf<{ planId: string; counts: Record<string, number> }>(preview);
    expect(plan.counts).toMatchObject({ update: USERS, add: 0, delete: 0 });
    const named = new Set(
      [...readFileSync(csvPath, 'utf8').matchAll(/moves the UPN to ([^\s,]+@[^\s,]+),/g)].map((m) => m[1]!),
    );
    expect(named.size).toBe(USERS);

    const state = async () => ((await emulator.fetch('/_emulator/state')).json as { users: StateUser[] }).users;
    const writes = tenant.writes;
    let kills = 0;
    let seenStaged = 0;
    for (let attempt = 0; kills < KILLS && attempt < KILLS * 3; attempt++) {
      const { child, exited, exitCode } = spawnApply(plan.planId, env);
      const target = (await writes()) + 40 + attempt * 53;
      const deadline = Date.now() + 60_000;
      while (exitCode() === undefined && Date.now() < deadline && (await writes()) < target)
        await new Promise((r) => setTimeout(r, 20));
      if (exitCode() === undefined) {
        child.kill('SIGKILL');
        await exited;
        kills++;
      } else if (exitCode() === 0) break;
      // Whoever sits on onmicrosoft.com now is a temporary UPN the plan (CSV Note) names.
      const staged = (await state()).filter((u) => u.userPrincipalName.endsWith(`@${STAGING}`));
      for (const u of staged) expect(named.has(u.userPrincipalName), u.userPrincipalName).toBe(true);
      if (staged.length > 0 && seenStaged === 0) {
        // Meanwhile a new dry run would not see them in the domain (and would plan them as new users): it is refused.
        const early = await runCli(['preview', '--domain', DOMAIN, '--json', '--out', join(dir, 'early.csv')], env);
        expect(early.code, early.stderr).toBe(1);
        expect(early.stderr).toContain('at a temporary onmicrosoft.com UPN');
        expect(early.stderr).toContain(`Apply that dry run again (plan ${plan.planId})`);
      }
      seenStaged += staged.length;
      await new Promise((r) => setTimeout(r, 1100));
    }
    expect(kills).toBe(KILLS);
    expect(seenStaged, 'some kills landed between the steps of a unit').toBeGreaterThan(0);

    const last = await runCli(['apply', '--plan', plan.planId, '--json'], env);
    expect(last.code, last.stderr).toBe(0);
    const result = jsonOf<{ status: string; counts: Record<string, number> }>(last);
    expect(result).toMatchObject({ status: 'completed', counts: { updated: USERS, failed: 0 } });
    const users = await state();
    expect(users.filter((u) => u.userPrincipalName.endsWith(`@${STAGING}`))).toEqual([]);
    const inDomain = users.filter((u) => u.userPrincipalName.endsWith(`@${DOMAIN}`));
    expect(inDomain).toHaveLength(USERS);
    for (const u of inDomain) {
      const i = Number(u.userPrincipalName.slice(1, 5));
      expect(u).toMatchObject({ onPremisesImmutableId: imm(i), jobTitle: 'Lead' });
    }
    const again = await runCli(['preview', '--domain', DOMAIN, '--json', '--out', join(dir, 'p2.csv')], env);
    expect(jsonOf<{ counts: Record<string, number> }>(again).counts).toMatchObject({ add: 0, update: 0, delete: 0 });
  }, 480_000);
});
