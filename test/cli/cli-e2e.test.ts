// End to end through the CLI over HTTPS against the emulator: import → preview → apply → empty preview; guard; stale plans.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, type EmulatorProcess, jsonOf, runCli, startEmulatorProcess } from '../helpers/cli.js';

const DOMAIN = 'contoso.co.jp';
const MANAGED = 'cloud-only.jp';
const HEADER = 'Action,UserPrincipalName,ImmutableId,DisplayName,GivenName,Surname,ChangedAttributes,Note';

interface Person {
  upn: string;
  imm: string;
  given: string;
  sur: string;
  display: string;
  dept: string;
}

const people: Person[] = Array.from({ length: 20 }, (_, i) => {
  const n = String(i + 1).padStart(3, '0');
  return {
    upn: `user${n}@${DOMAIN}`,
    imm: `SU1NLSR${n}`,
    given: `Given${n}`,
    sur: `Sur${n}`,
    display: `Given${n} Sur${n}`,
    dept: 'Sales',
  };
});

function seed() {
  const entraUser = (p: Person) => ({
    userPrincipalName: p.upn,
    displayName: p.display,
    givenName: p.given,
    surname: p.sur,
    mailNickname: p.upn.split('@')[0],
    department: p.dept,
    onPremisesImmutableId: p.imm,
    accountEnabled: true,
    usageLocation: 'JP',
  });
  return {
    domains: [
      { id: 'contosocli.onmicrosoft.com', authenticationType: 'Managed', isVerified: true, isInitial: true },
      { id: DOMAIN, authenticationType: 'Federated', isVerified: true, isDefault: true },
      { id: MANAGED, authenticationType: 'Managed', isVerified: true },
    ],
    users: [
      ...people.map(entraUser),
      {
        id: 'admin-1',
        userPrincipalName: `admin@${DOMAIN}`,
        displayName: 'Admin',
        mailNickname: 'admin',
        onPremisesImmutableId: 'QURNSU4',
        accountEnabled: true,
      },
      {
        userPrincipalName: `partner_example.com#EXT#@${DOMAIN}`,
        displayName: 'Partner',
        mailNickname: 'partner',
        userType: 'Guest',
        accountEnabled: true,
      },
      {
        userPrincipalName: `onprem@${DOMAIN}`,
        displayName: 'On Prem',
        mailNickname: 'onprem',
        onPremisesImmutableId: 'T05QUkVN',
        onPremisesSyncEnabled: true,
        accountEnabled: true,
      },
      {
        userPrincipalName: `room-3f@${DOMAIN}`,
        displayName: '会議室 3F',
        mailNickname: 'room-3f',
        onPremisesImmutableId: 'Uk9PTTNG',
        accountEnabled: true,
      },
    ],
    deletedUsers: [
      {
        id: 'back-1',
        userPrincipalName: `back@${DOMAIN}`,
        displayName: 'Back Again',
        mailNickname: 'back',
        onPremisesImmutableId: 'QkFDSw',
        accountEnabled: true,
        deletedDateTime: '2026-11-20T00:00:00Z',
      },
    ],
    directoryRoles: [{ roleName: 'Global Administrator', principalIds: ['admin-1'] }],
  };
}

const csvLine = (cells: string[]) =>
  cells.map((c) => (/[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',');

function directoryCsv(rows: Person[]): string {
  const header = 'Login ID,Given name,Family name,Display name,Microsoft Immutable ID,department';
  return [header, ...rows.map((p) => csvLine([p.upn, p.given, p.sur, p.display, p.imm, p.dept]))].join('\r\n') + '\r\n';
}

describe('entra-sync CLI against the emulator over HTTPS', () => {
  let emulator: EmulatorProcess;
  let dir: string;
  let env: Record<string, string>;
  let current: Person[];

  const importRows = async (rows: Person[]) => {
    const file = join(dir, `dir-${Date.now()}-${Math.random()}.csv`);
    writeFileSync(file, directoryCsv(rows));
    const r = await runCli(['directory', 'import', file, '--json'], env);
    expect(r.code, r.stderr).toBe(0);
  };
  const preview = async () => {
    const r = await runCli(['preview', '--domain', DOMAIN, '--json', '--out', join(dir, 'plan.csv')], env);
    expect(r.code, r.stderr).toBe(0);
    return jsonOf<{
      planId: string;
      planHash: string;
      counts: { add: number; update: number; delete: number; skip: number; noChange: number };
      deletion: { count: number; inScope: number; percent: number; maxPercent: number; wouldCancel: boolean };
      csvPath: string;
    }>(r);
  };
  const entraUsers = async () => {
    const s = (await emulator.fetch('/_emulator/state')).json as {
      users: { userPrincipalName: string; onPremisesImmutableId?: string | null }[];
    };
    return s.users;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'entra-sync-cli-'));
    const seedFile = join(dir, 'seed.json');
    writeFileSync(seedFile, JSON.stringify(seed()));
    emulator = await startEmulatorProcess(['--seed', seedFile]);
    env = cliEnv(emulator.info, `sqlite://${join(dir, 'state.sqlite')}`);
    const add = await runCli(['domains', 'add', DOMAIN, '--max-deletions', '50'], env);
    expect(add.code, add.stderr).toBe(0);
  }, 90_000);

  afterAll(async () => {
    await emulator?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('imports, previews, applies, and then previews an empty plan', async () => {
    const hires: Person[] = [
      {
        upn: `hanako.sato@${DOMAIN}`,
        imm: 'SEFOQUtP',
        given: '花子',
        sur: '佐藤',
        display: '佐藤 花子',
        dept: '営業部',
      },
      { upn: `taro.yamada@${DOMAIN}`, imm: 'VEFSTw', given: '太郎', sur: '山田', display: '山田 太郎', dept: '開発部' },
      { upn: `new.hire@${DOMAIN}`, imm: 'TkVXSA', given: 'New', sur: 'Hire', display: 'New Hire', dept: 'Sales' },
      { upn: `back@${DOMAIN}`, imm: 'QkFDSw', given: 'Back', sur: 'Again', display: 'Back Again', dept: 'Sales' },
    ];
    current = [
      ...people
        .slice(0, 18)
        .map((p, i) => (i < 2 ? { ...p, sur: `Married${i}`, display: `${p.given} Married${i}` } : p)),
      ...hires,
    ];
    await importRows(current);

    const plan = await preview();
    expect(plan.counts).toEqual({ add: 4, update: 2, delete: 3, skip: 3, noChange: 16 });
    expect(plan.deletion.count).toBe(3);
    expect(plan.deletion.wouldCancel).toBe(false);

    const bytes = readFileSync(plan.csvPath);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString('utf8');
    const lines = text.split('\r\n');
    expect(lines[0]).toBe(HEADER);
    expect(text).toContain('佐藤 花子');
    expect(lines.filter((l) => l.length > 0)).toHaveLength(1 + 4 + 2 + 3 + 3 + 16);
    expect(lines[1]!.startsWith('Add,')).toBe(true);
    expect(text).toMatch(/restore/i);

    const applied = await runCli(['apply', '--plan', plan.planId, '--json'], env);
    expect(applied.code, applied.stderr).toBe(0);
    const result = jsonOf<{ status: string; counts: Record<string, number>; runId: string }>(applied);
    expect(result.status).toBe('completed');
    expect(result.counts).toEqual({ added: 4, updated: 2, deleted: 3, failed: 0 });

    const users = await entraUsers();
    const upns = users.map((u) => u.userPrincipalName);
    expect(upns).toContain(`hanako.sato@${DOMAIN}`);
    expect(upns).toContain(`back@${DOMAIN}`);
    expect(upns).not.toContain(`user019@${DOMAIN}`);
    expect(upns).not.toContain(`room-3f@${DOMAIN}`);
    expect(upns).toContain(`admin@${DOMAIN}`);
    const immutableIds = users.map((u) => u.onPremisesImmutableId).filter(Boolean);
    expect(new Set(immutableIds).size).toBe(immutableIds.length);

    const again = await preview();
    expect(again.counts.add + again.counts.update + again.counts.delete).toBe(0);

    const applyTwice = await runCli(['apply', '--plan', plan.planId, '--json'], env);
    expect(applyTwice.code).toBe(1);
    expect(jsonOf<{ status: string }>(applyTwice).status).toBe('refused');

    const logs = await runCli(['logs', '--domain', DOMAIN, '--json'], env);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain(result.runId);
  }, 120_000);

  it('a guard trip writes nothing and says why', async () => {
    await importRows(current.slice(0, 5));
    const before = await entraUsers();
    const plan = await preview();
    expect(plan.deletion.wouldCancel).toBe(true);
    const r = await runCli(['apply', '--plan', plan.planId, '--json'], env);
    expect(r.code).toBe(1);
    const body = jsonOf<{ status: string; reason: string }>(r);
    expect(body.status).toBe('cancelled');
    expect(body.reason).toMatch(/limit|source/);
    expect(await entraUsers()).toEqual(before);
    await importRows(current);
  }, 60_000);

  it('refuses a plan made stale by a change in the directory or in Entra', async () => {
    const p1 = await preview();
    await importRows(current.map((p, i) => (i === 5 ? { ...p, dept: 'Marketing' } : p)));
    const r1 = await runCli(['apply', '--plan', p1.planId, '--json'], env);
    expect(r1.code).toBe(1);
    expect(jsonOf<{ reason: string }>(r1).reason).toMatch(/Access Control changed.*preview again/);

    const p2 = await preview();
    const token = await emulator.token();
    const patch = await emulator.fetch(`/v1.0/users/${encodeURIComponent(current[7]!.upn)}`, {
      method: 'PATCH',
      body: { jobTitle: 'Changed in Entra' },
      headers: { authorization: `Bearer ${token}` },
    });
    expect(patch.status).toBe(204);
    // Listings lag behind writes (the emulator's replication delay, as Graph's): the apply's re-read can only see the
    // change once the listing shows it, so wait for that, as an administrator's change would long be visible.
    const listed = async () => {
      const filter = encodeURIComponent(`userPrincipalName eq '${current[7]!.upn}'`);
      const res = await emulator.fetch(`/v1.0/users?$filter=${filter}&$select=jobTitle`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return (res.json as { value: { jobTitle: string | null }[] }).value[0]?.jobTitle === 'Changed in Entra';
    };
    for (const until = Date.now() + 15_000; !(await listed()) && Date.now() < until; )
      await new Promise((r) => setTimeout(r, 200));
    const r2 = await runCli(['apply', '--plan', p2.planId, '--json'], env);
    expect(r2.code).toBe(1);
    expect(jsonOf<{ reason: string }>(r2).reason).toMatch(/Entra ID changed.*preview again/);
    await importRows(current);
  }, 60_000);

  // Issue 9 §1, as an administrator met it: a dry run made before an account was protected must not delete it.
  it('refuses a plan made before `domains set --protect`, and writes nothing', async () => {
    const leaver = current[3]!;
    await importRows(current.filter((p) => p !== leaver));
    const plan = await preview();
    expect(plan.counts.delete).toBe(1);
    const before = await entraUsers();
    const set = await runCli(['domains', 'set', DOMAIN, '--protect', leaver.upn], env);
    expect(set.code, set.stderr).toBe(0);
    const r = await runCli(['apply', '--plan', plan.planId, '--json'], env);
    expect(r.code).toBe(1);
    const body = jsonOf<{ status: string; reason: string }>(r);
    expect(body.status).toBe('refused');
    expect(body.reason).toMatch(/the domain's settings changed since this dry run \(protected accounts\).*Run preview again/);
    expect(r.stderr).toContain("the domain's settings changed since this dry run");
    expect(await entraUsers()).toEqual(before);
    expect((await entraUsers()).map((u) => u.userPrincipalName)).toContain(leaver.upn);
    const again = await preview();
    expect(again.counts.delete).toBe(0);
    expect((await runCli(['domains', 'set', DOMAIN, '--protect', ''], env)).code).toBe(0);
    await importRows(current);
  }, 60_000);

  it('sets a usage location per domain (ISO 3166 checked) and warns that new users of a managed domain cannot sign in', async () => {
    expect((await runCli(['domains', 'add', MANAGED, '--max-deletions', '50'], env)).code).toBe(0);
    const file = join(dir, 'managed.csv');
    writeFileSync(file, `${['Login ID,Given name,Family name,Display name,Microsoft Immutable ID', `new.cloud@${MANAGED},New,Cloud,New Cloud,TkVXQ0w`].join('\r\n')}\r\n`);
    expect((await runCli(['directory', 'import', file], env)).code).toBe(0);
    const text = await runCli(['preview', '--domain', MANAGED, '--out', join(dir, 'managed.csv.out')], env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('1 new user(s) cannot sign in until you give each a password or a Temporary');
    expect(text.stdout).toContain('Usage location: JP.');
    const federated = await runCli(['preview', '--domain', DOMAIN, '--out', join(dir, 'fed.csv')], env);
    expect(federated.stdout).not.toContain('cannot sign in');

    const bad = await runCli(['domains', 'set', MANAGED, '--usage-location', 'XX'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/ISO 3166/);
    const badShape = await runCli(['domains', 'set', MANAGED, '--usage-location', 'Japan'], env);
    expect(badShape.code).toBe(2);
    expect(badShape.stderr).toContain('--usage-location');
    const ok = await runCli(['domains', 'set', MANAGED, '--usage-location', 'us'], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('usage location US');
    const plan = await runCli(['preview', '--domain', MANAGED, '--json', '--out', join(dir, 'managed2.csv')], env);
    const applied = await runCli(['apply', '--plan', jsonOf<{ planId: string }>(plan).planId, '--json'], env);
    expect(applied.code, applied.stderr).toBe(0);
    const created = (await emulator.fetch('/_emulator/state')).json as { users: { userPrincipalName: string; usageLocation?: string }[] };
    expect(created.users.find((u) => u.userPrincipalName === `new.cloud@${MANAGED}`)?.usageLocation).toBe('US');
    expect((await runCli(['domains', 'set', MANAGED, '--usage-location', 'default'], env)).stdout).toContain(
      "usage location organization's",
    );
  }, 90_000);

  it('rejects bad input with exit code 2 and changes nothing', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(
      bad,
      'Login ID,Given name,Family name,Display name,Microsoft Immutable ID\r\nnot-an-email,Some,One,Someone,QUJD\r\n',
    );
    const r = await runCli(['directory', 'import', bad], env);
    expect(r.code).toBe(2);
    expect(r.stderr + r.stdout).toMatch(/line 2/i);
    const missing = await runCli(['preview'], env);
    expect(missing.code).toBe(2);
    const unknown = await runCli(['apply', '--plan', 'no-such-plan', '--json'], env);
    expect(unknown.code).toBe(2);
    const plan = await preview();
    expect(plan.counts.add + plan.counts.update + plan.counts.delete).toBe(0);
  }, 60_000);

  it('speaks Japanese with LANG=ja_JP.UTF-8 (domains, precheck, logs, refusals); --json stays English and unchanged', async () => {
    const ja = { ...env, LANG: 'ja_JP.UTF-8' };
    const english = /max deletions|not synced|on delete|hourly sync|a first sync would|is not a domain|likely |person\?/;

    const domains = await runCli(['domains'], ja);
    expect(domains.code, domains.stderr).toBe(0);
    expect(domains.stdout).toContain(`${DOMAIN}: 最大削除許容数 50%、削除時の動作: delete、1 時間ごとの同期 オフ`);
    expect(domains.stdout).toContain('contosocli.onmicrosoft.com: 同期していません [初期ドメイン]');
    expect(domains.stdout).toMatch(/前回の実行: (完了|中止|拒否|一部失敗)/);
    expect(domains.stdout).not.toMatch(english);
    const domainsJson = await runCli(['domains', '--json'], ja);
    expect(domainsJson.stdout).toBe((await runCli(['domains', '--json'], env)).stdout);
    expect(domainsJson.stdout).not.toContain('reasonMessage');

    const unknown = await runCli(['domains', 'add', 'nowhere.example', '--max-deletions', '10'], ja);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('nowhere.example はこのテナントのドメインではありません。テナントのドメイン:');
    expect(unknown.stderr).not.toMatch(english);
    const unknownJson = await runCli(['domains', 'add', 'nowhere.example', '--max-deletions', '10', '--json'], ja);
    expect(jsonOf<{ reason: string }>(unknownJson).reason).toMatch(/^nowhere\.example is not a domain of this tenant/);

    const precheck = await runCli(['precheck', '--domain', DOMAIN], ja);
    expect(precheck.code, precheck.stderr).toBe(0);
    expect(precheck.stdout).toMatch(/最初の同期で(次の \d+ 件の Entra オブジェクトが削除されます|削除される Access Control 外のオブジェクトはありません)/);
    expect(precheck.stdout).not.toMatch(english);
    const precheckJson = await runCli(['precheck', '--domain', DOMAIN, '--json'], ja);
    expect(precheckJson.stdout).toBe((await runCli(['precheck', '--domain', DOMAIN, '--json'], env)).stdout);
    const precheckUnknown = await runCli(['precheck', '--domain', 'nowhere.example'], ja);
    expect(precheckUnknown.code).toBe(1);
    expect(precheckUnknown.stderr).toContain('nowhere.example はこのテナントのドメインではありません。');

    const badOption = await runCli(['domains', 'set', DOMAIN, '--max-deletions', '0'], ja);
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toBe('entra-sync domains: --max-deletions には 0 より大きく 100 以下の割合 (%) を指定してください (指定値: "0")\n');
    const badOptionJson = await runCli(['domains', 'set', DOMAIN, '--max-deletions', '0', '--json'], ja);
    expect(jsonOf<{ reason: string }>(badOptionJson).reason).toContain('--max-deletions must be a percentage');

    const logs = await runCli(['logs', '--domain', 'nowhere.example'], ja);
    expect(logs.stdout).toBe('同期ログに nowhere.example の実行はありません。\n');
    const noPlan = await runCli(['apply', '--plan', 'no-such-plan'], ja);
    expect(noPlan.code).toBe(2);
    expect(noPlan.stderr).not.toMatch(/No dry run/);
    const noPlanJson = await runCli(['apply', '--plan', 'no-such-plan', '--json'], ja);
    expect(jsonOf<{ reason: string }>(noPlanJson).reason).toMatch(/^No dry run with id no-such-plan/);
  }, 90_000);
});
