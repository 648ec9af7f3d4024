// Conformance: Graph v1.0 users (list, query options, paging, get, create, update, delete), soft delete, replication delay.
import { PageIterator } from '@microsoft/microsoft-graph-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { demoPeople, demoTenantSeed, type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { graphClient, rawFetch, tokenFor } from './helpers.js';

let emu: RunningEmulator;
let f: ReturnType<typeof rawFetch>;
let token: string;
let g: ReturnType<typeof graphClient>;
const eventual = { ConsistencyLevel: 'eventual' };

beforeAll(async () => {
  emu = await startEmulator({ seed: 'demo' });
  f = rawFetch(emu);
  token = await tokenFor(emu);
  g = graphClient(emu, async () => token);
});
beforeEach(async () => {
  await emu.reset(demoTenantSeed());
});
afterAll(() => emu.close());

const newUser = (upn: string, extra: Record<string, unknown> = {}) => ({
  accountEnabled: true,
  displayName: 'テスト ユーザー',
  mailNickname: upn.split('@')[0],
  userPrincipalName: upn,
  passwordProfile: { forceChangePasswordNextSignIn: true, password: 'Xy7!pass-word' },
  ...extra,
});

describe('GET /users', () => {
  // https://learn.microsoft.com/en-us/graph/api/user-list
  it('returns the default property set, 100 per page, with an opaque nextLink the SDK can follow', async () => {
    const first = await g.api('/users').get();
    expect(first.value).toHaveLength(100);
    expect(Object.keys(first.value[0]).sort()).toEqual(
      [
        'businessPhones',
        'displayName',
        'givenName',
        'id',
        'jobTitle',
        'mail',
        'mobilePhone',
        'officeLocation',
        'preferredLanguage',
        'surname',
        'userPrincipalName',
      ].sort(),
    );
    expect(first['@odata.context']).toBe(`${emu.graphBaseUrl}/v1.0/$metadata#users`);
    expect(first['@odata.nextLink']).toMatch(/\$skiptoken=/);
    const seen: string[] = [];
    await new PageIterator(g, first, (u: { id: string }) => {
      seen.push(u.id);
      return true;
    }).iterate();
    expect(seen.length).toBe(demoTenantSeed().users.length);
    expect(new Set(seen).size).toBe(seen.length);
  });

  // https://learn.microsoft.com/en-us/graph/query-parameters#select-parameter
  it('$select returns exactly the selected properties (incl. onPremisesImmutableId, userType only when selected)', async () => {
    const r = await g
      .api('/users')
      .select('id,userPrincipalName,onPremisesImmutableId,onPremisesSyncEnabled,accountEnabled,userType')
      .top(3)
      .get();
    expect(Object.keys(r.value[0]).sort()).toEqual(
      [
        'accountEnabled',
        'id',
        'onPremisesImmutableId',
        'onPremisesSyncEnabled',
        'userPrincipalName',
        'userType',
      ].sort(),
    );
    expect(r['@odata.context']).toContain('users(id,userPrincipalName');
    const bad = await f('/v1.0/users?$select=nope', { token });
    expect(bad.status).toBe(400);
  });

  // https://learn.microsoft.com/en-us/graph/paging
  it('$top accepts 1–999 and answers 400 otherwise', async () => {
    expect((await f('/v1.0/users?$top=999', { token })).json.value.length).toBe(demoTenantSeed().users.length);
    for (const top of ['0', '1000', 'abc']) {
      const r = await f(`/v1.0/users?$top=${top}`, { token });
      expect(r.status).toBe(400);
      expect(r.json.error.code).toBe('Request_UnsupportedQuery');
    }
  });

  // https://learn.microsoft.com/en-us/graph/aad-advanced-queries
  it('endsWith on userPrincipalName needs ConsistencyLevel: eventual and $count=true', async () => {
    const filter = encodeURIComponent("endsWith(userPrincipalName,'@contoso.co.jp')");
    const noHeader = await f(`/v1.0/users?$filter=${filter}&$count=true`, { token });
    expect(noHeader.status).toBe(400);
    expect(noHeader.json.error.code).toBe('Request_UnsupportedQuery');
    const noCount = await f(`/v1.0/users?$filter=${filter}`, { token, headers: eventual });
    expect(noCount.status).toBe(400);
    const ok = await f(`/v1.0/users?$filter=${filter}&$count=true&$top=999&$select=userPrincipalName`, {
      token,
      headers: eventual,
    });
    expect(ok.status).toBe(200);
    const expected = demoTenantSeed().users.filter((u) => u.userPrincipalName.endsWith('@contoso.co.jp')).length;
    expect(ok.json['@odata.count']).toBe(expected);
    expect(ok.json.value).toHaveLength(expected);
    const mail = await f(`/v1.0/users?$filter=${encodeURIComponent("endsWith(mail,'@fabrikam.jp')")}&$count=true`, {
      token,
      headers: eventual,
    });
    expect(mail.json['@odata.count']).toBe(18);
  });

  // https://learn.microsoft.com/en-us/graph/aad-advanced-queries#query-scenarios-that-require-advanced-query-capabilities
  // documents `endsWith(userPrincipalName,…)` and `startsWith(…) OR startsWith(…)`, not the two joined by `and`.
  it('with filter forms set to "documented", refuses endsWith joined to startsWith with Graph`s 400', async () => {
    const combined = encodeURIComponent(
      "(startsWith(userPrincipalName,'a') or startsWith(userPrincipalName,'t')) and endsWith(userPrincipalName,'@contoso.co.jp')",
    );
    const alone = encodeURIComponent("endsWith(userPrincipalName,'@contoso.co.jp')");
    const starts = encodeURIComponent("startsWith(userPrincipalName,'a') or startsWith(userPrincipalName,'t')");
    const lenient = await f(`/v1.0/users?$filter=${combined}&$count=true`, { token, headers: eventual });
    expect(lenient.status).toBe(200);
    expect(lenient.json.value.length).toBeGreaterThan(0);
    expect((await f('/_emulator/filters', { method: 'POST', body: { forms: 'documented' } })).status).toBe(200);
    try {
      for (const path of [`/v1.0/users?$filter=${combined}&$count=true`, `/v1.0/users/$count?$filter=${combined}`]) {
        const refused = await f(path, { token, headers: eventual });
        expect(refused.status).toBe(400);
        expect(refused.json.error).toMatchObject({
          code: 'Request_UnsupportedQuery',
          message:
            "Unsupported or invalid query filter clause specified for property 'userPrincipalName' of resource 'User'.",
        });
      }
      expect((await f(`/v1.0/users?$filter=${alone}&$count=true`, { token, headers: eventual })).status).toBe(200);
      expect((await f(`/v1.0/users?$filter=${starts}&$count=true`, { token, headers: eventual })).status).toBe(200);
    } finally {
      await f('/_emulator/filters', { method: 'POST', body: { forms: 'lenient' } });
    }
    const bad = await f('/_emulator/filters', { method: 'POST', body: { forms: 'strict' } });
    expect(bad.status).toBe(400);
  });

  // https://learn.microsoft.com/en-us/graph/filter-query-parameter
  it('filters with eq, startsWith, in, and/or; eq on onPremisesImmutableId', async () => {
    const p = demoPeople()[3]!;
    const q = (filter: string, headers: Record<string, string> = {}, extra = '') =>
      f(`/v1.0/users?$filter=${encodeURIComponent(filter)}${extra}`, { token, headers });
    expect(
      (await q(`userPrincipalName eq '${p.upn.toUpperCase()}'`)).json.value.map((u: { id: string }) => u.id),
    ).toHaveLength(1);
    const starts = await q("startsWith(userPrincipalName,'taro.')");
    expect(starts.json.value.every((u: { userPrincipalName: string }) => u.userPrincipalName.startsWith('taro.'))).toBe(
      true,
    );
    expect(starts.json.value.length).toBeGreaterThan(0);
    const inList = await q(
      `userPrincipalName in ('${demoPeople()[0]!.upn}','${demoPeople()[1]!.upn}','nobody@contoso.co.jp')`,
    );
    expect(inList.json.value).toHaveLength(2);
    const byImm = await q(
      `onPremisesImmutableId eq '${p.immutableId}'`,
      {},
      '&$select=id,userPrincipalName,onPremisesImmutableId',
    );
    expect(byImm.json.value).toEqual([
      expect.objectContaining({ userPrincipalName: p.upn, onPremisesImmutableId: p.immutableId }),
    ]);
    const both = await q(`startsWith(userPrincipalName,'a') and accountEnabled eq true`);
    expect(both.status).toBe(200);
    const unsupported = await q("startsWith(city,'x')");
    expect(unsupported.status).toBe(400);
    const syntax = await q("userPrincipalName eq 'x");
    expect(syntax.status).toBe(400);
  });

  // https://learn.microsoft.com/en-us/graph/api/user-list#example-5-use-filter-and-top-to-get-one-user-with-a-display-name-that-starts-with-a-including-a-count-of-returned-objects
  it('$count needs ConsistencyLevel; /users/$count returns text', async () => {
    expect((await f('/v1.0/users?$count=true', { token })).status).toBe(400);
    const c = await f('/v1.0/users/$count', { token, headers: eventual });
    expect(c.text).toBe(String(demoTenantSeed().users.length));
  });
});

describe('GET/POST/PATCH/DELETE /users/{id | userPrincipalName}', () => {
  // https://learn.microsoft.com/en-us/graph/api/user-get
  it('gets a user by id or UPN; 404 Request_ResourceNotFound otherwise', async () => {
    const byUpn = await g.api('/users/taro.yamada@contoso.co.jp').get();
    const byId = await g.api(`/users/${byUpn.id}`).select('id,displayName').get();
    expect(byId.displayName).toBe('山田 太郎');
    const guest = await f(
      `/v1.0/users/${encodeURIComponent('john.doe_gmail.com#EXT#@contosojp.onmicrosoft.com')}?$select=userType`,
      { token },
    );
    expect(guest.json.userType).toBe('Guest');
    const missing = await f('/v1.0/users/nobody@contoso.co.jp', { token });
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe('Request_ResourceNotFound');
    expect(missing.json.error.innerError['request-id']).toBe(missing.headers.get('request-id'));
  });

  // https://learn.microsoft.com/en-us/graph/api/user-post-users
  it('creates a user (201) and validates like Graph', async () => {
    const created = await g
      .api('/users')
      .post(newUser('new.user@contoso.co.jp', { onPremisesImmutableId: 'bmV3LXVzZXI=' }));
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.userPrincipalName).toBe('new.user@contoso.co.jp');
    const post = (body: unknown) => f('/v1.0/users', { method: 'POST', token, body });
    const missing = await post({ ...newUser('x1@contosojp.onmicrosoft.com'), mailNickname: undefined });
    expect([missing.status, missing.json.error.code]).toEqual([400, 'Request_BadRequest']);
    expect(missing.json.error.message).toContain('mailNickname');
    const noPassword = await post({ ...newUser('x2@contosojp.onmicrosoft.com'), passwordProfile: undefined });
    expect(noPassword.json.error.message).toContain('passwordProfile');
    const weak = await post(newUser('x3@contosojp.onmicrosoft.com', { passwordProfile: { password: 'abc' } }));
    expect(weak.json.error.message).toMatch(/password complexity/);
    const unverified = await post(newUser('x4@unknown.example'));
    expect(unverified.json.error.message).toMatch(/verified domain/);
    const federated = await post(newUser('x5@contoso.co.jp'));
    expect([federated.status, federated.json.error.message]).toEqual([
      400,
      expect.stringContaining('onPremisesImmutableId'),
    ]);
    for (const bad of ['abc$def', 'abc_def']) {
      const r = await post(newUser('x6@contoso.co.jp', { onPremisesImmutableId: bad }));
      expect([r.status, r.json.error.details?.[0]?.target]).toEqual([400, 'onPremisesImmutableId']);
    }
    const dupUpn = await post(newUser('TARO.YAMADA@contoso.co.jp', { onPremisesImmutableId: 'dW5pcXVl' }));
    expect(dupUpn.json.error.details).toEqual([{ code: 'ObjectConflict', target: 'userPrincipalName' }]);
    const dupImm = await post(newUser('x7@contoso.co.jp', { onPremisesImmutableId: demoPeople()[0]!.immutableId }));
    expect(dupImm.json.error.details).toEqual([{ code: 'ObjectConflict', target: 'onPremisesImmutableId' }]);
    const unknownProp = await post(newUser('x8@contosojp.onmicrosoft.com', { favouriteColour: 'blue' }));
    expect(unknownProp.status).toBe(400);
    const state = await f('/_emulator/state');
    expect(state.json.users.filter((u: { userPrincipalName: string }) => /^x\d@/.test(u.userPrincipalName))).toEqual(
      [],
    );
  });

  // https://learn.microsoft.com/en-us/graph/api/user-update
  it('updates with 204; refuses synced properties of an on-premises synced user', async () => {
    const p = demoPeople()[5]!;
    const r = await f(`/v1.0/users/${p.upn}`, {
      method: 'PATCH',
      token,
      body: { jobTitle: '部長', department: '開発部' },
    });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    const after = await g.api(`/users/${p.upn}`).select('jobTitle,department').get();
    expect(after).toMatchObject({ jobTitle: '部長', department: '開発部' });
    const renamed = await f(`/v1.0/users/${p.upn}`, {
      method: 'PATCH',
      token,
      body: { userPrincipalName: `renamed@contoso.co.jp` },
    });
    expect(renamed.status).toBe(204);
    expect((await f('/v1.0/users/renamed@contoso.co.jp', { token })).status).toBe(200);
    const synced = await f('/v1.0/users/kenichi.sato.ad@contoso.co.jp', {
      method: 'PATCH',
      token,
      body: { displayName: 'x' },
    });
    expect([synced.status, synced.json.error.code]).toEqual([400, 'Request_BadRequest']);
    expect(synced.json.error.message).toMatch(/on-premises mastered/);
    const clash = await f('/v1.0/users/renamed@contoso.co.jp', {
      method: 'PATCH',
      token,
      body: { userPrincipalName: 'taro.yamada@contoso.co.jp' },
    });
    expect(clash.json.error.details[0].code).toBe('ObjectConflict');
  });
});

describe('soft delete', () => {
  // https://learn.microsoft.com/en-us/graph/api/user-delete
  // https://learn.microsoft.com/en-us/graph/api/directory-deleteditems-list
  // https://learn.microsoft.com/en-us/graph/api/directory-deleteditems-restore
  // https://learn.microsoft.com/en-us/graph/api/directory-deleteditems-delete
  it('moves deleted users to deletedItems; restore brings them back; a reused UPN makes restore conflict; purge removes', async () => {
    const p = demoPeople()[7]!;
    const u = await g.api(`/users/${p.upn}`).get();
    expect((await f(`/v1.0/users/${u.id}`, { method: 'DELETE', token })).status).toBe(204);
    expect((await f(`/v1.0/users/${u.id}`, { token })).status).toBe(404);
    const deleted = await g.api('/directory/deletedItems/microsoft.graph.user').get();
    const item = deleted.value.find((d: { id: string }) => d.id === u.id);
    expect(item.userPrincipalName).toBe(`${u.id.replace(/-/g, '')}${p.upn}`);
    expect(item.deletedDateTime).toBeTruthy();
    const restored = await g.api(`/directory/deletedItems/${u.id}/restore`).post({});
    expect(restored.userPrincipalName).toBe(p.upn);
    await f(`/v1.0/users/${u.id}`, { method: 'DELETE', token });
    const again = await f('/v1.0/users', {
      method: 'POST',
      token,
      body: newUser(p.upn, { onPremisesImmutableId: 'cmV1c2Vk' }),
    });
    expect(again.status).toBe(201);
    const conflict = await f(`/v1.0/directory/deletedItems/${u.id}/restore`, { method: 'POST', token, body: {} });
    expect(conflict.status).toBe(400);
    expect(conflict.json.error.details[0]).toEqual({ code: 'ObjectConflict', target: 'userPrincipalName' });
    expect((await f(`/v1.0/directory/deletedItems/${u.id}`, { method: 'DELETE', token })).status).toBe(204);
    expect((await f(`/v1.0/directory/deletedItems/${u.id}`, { token })).status).toBe(404);
    const synced = await f('/v1.0/users/kenichi.sato.ad@contoso.co.jp', { method: 'DELETE', token });
    expect(synced.status).toBe(400);
  });
});

describe('directory', () => {
  // https://learn.microsoft.com/en-us/graph/api/domain-list
  it('lists domains with authenticationType and flags', async () => {
    const d = await g.api('/domains').get();
    expect(d.value.map((x: { id: string; authenticationType: string }) => [x.id, x.authenticationType])).toEqual([
      ['contosojp.onmicrosoft.com', 'Managed'],
      ['contoso.co.jp', 'Federated'],
      ['fabrikam.jp', 'Federated'],
    ]);
    expect(d.value[0]).toMatchObject({ isInitial: true, isVerified: true });
  });

  // https://learn.microsoft.com/en-us/graph/api/organization-list
  it('returns the organization', async () => {
    const o = await g.api('/organization').get();
    expect(o.value[0]).toMatchObject({ id: emu.tenantId, displayName: 'Contoso Japan' });
  });

  // https://learn.microsoft.com/en-us/graph/api/rbacapplication-list-roleassignments
  it('lists role assignments of a principal, with the Global Administrator definition', async () => {
    const admin = await g.api('/users/taro.yamada@contoso.co.jp').get();
    const r = await g
      .api('/roleManagement/directory/roleAssignments')
      .filter(`principalId eq '${admin.id}'`)
      .expand('roleDefinition')
      .get();
    expect(r.value).toHaveLength(1);
    expect(r.value[0].roleDefinitionId).toBe('62e90394-69f5-4237-9190-012177145e10');
    expect(r.value[0].roleDefinition.displayName).toBe('Global Administrator');
    const none = await g
      .api('/roleManagement/directory/roleAssignments')
      .filter(`principalId eq '${demoPeople()[9]!.upn}'`)
      .get();
    expect(none.value).toEqual([]);
  });
});

// Advanced queries and listings are eventually consistent; GET by id or UPN reads the user itself:
// https://learn.microsoft.com/en-us/graph/aad-advanced-queries ("the response will be eventually consistent").
describe('replication delay', () => {
  const setDelay = (delayMs: number) => f('/_emulator/replication', { method: 'POST', body: { delayMs } });
  const listed = async (filter: string) => {
    const r = await f(
      `/v1.0/users?$count=true&$filter=${encodeURIComponent(filter)}&$select=id,userPrincipalName,jobTitle`,
      {
        token,
        headers: eventual,
      },
    );
    expect(r.status).toBe(200);
    return r.json as {
      '@odata.count': number;
      value: { id: string; userPrincipalName: string; jobTitle: string | null }[];
    };
  };
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('hides a new user from list queries for the configured delay, while GET by id sees it', async () => {
    await setDelay(400);
    try {
      const created = await g.api('/users').post(newUser('late@contosojp.onmicrosoft.com'));
      const list = () =>
        f(`/v1.0/users?$filter=${encodeURIComponent("userPrincipalName eq 'late@contosojp.onmicrosoft.com'")}`, {
          token,
        });
      expect((await list()).json.value).toEqual([]);
      expect((await f(`/v1.0/users/${created.id}`, { token })).status).toBe(200);
      await pause(450);
      expect((await list()).json.value).toHaveLength(1);
    } finally {
      await setDelay(0);
    }
  });

  it('answers a first-letter listing of a renamed user with its old name until the delay passes', async () => {
    const person = demoPeople()[22]!;
    const domain = person.upn.split('@')[1]!;
    const renamed = `qq-renamed-${person.upn.split('@')[0]}@${domain}`;
    const byQ = `(startsWith(userPrincipalName,'q')) and endsWith(userPrincipalName,'@${domain}')`;
    await setDelay(500);
    try {
      const user = await g.api(`/users/${person.upn}`).get();
      await g.api(`/users/${user.id}`).patch({ userPrincipalName: renamed });
      // The listing's index already holds the new name; the user it shows is still the old one, which is not a 'q'.
      const lagging = await listed(byQ);
      expect(lagging.value.some((u) => u.id === user.id)).toBe(false);
      expect(lagging['@odata.count']).toBe(lagging.value.length);
      await pause(550);
      const settled = await listed(byQ);
      expect(settled.value.find((u) => u.id === user.id)?.userPrincipalName).toBe(renamed);
      expect(settled['@odata.count']).toBe(settled.value.length);
    } finally {
      await g.api(`/users/${renamed}`).patch({ userPrincipalName: person.upn });
      await setDelay(0);
    }
  });

  it('lists an updated user with its old values, and a deleted user as still there, until the delay passes', async () => {
    const person = demoPeople()[20]!;
    const domainFilter = `endsWith(userPrincipalName,'@${person.upn.split('@')[1]}')`;
    const before = await listed(domainFilter);
    await setDelay(500);
    try {
      const user = await g.api(`/users/${person.upn}`).get();
      await g.api(`/users/${user.id}`).patch({ jobTitle: 'Replicated later' });
      // GET reads the user itself: the new value at once.
      expect((await g.api(`/users/${user.id}`).select('jobTitle').get()).jobTitle).toBe('Replicated later');
      const updated = await listed(`userPrincipalName eq '${person.upn}'`);
      expect(updated.value[0]?.jobTitle).not.toBe('Replicated later');

      const other = demoPeople()[21]!;
      const gone = await g.api(`/users/${other.upn}`).get();
      await g.api(`/users/${gone.id}`).delete();
      expect((await f(`/v1.0/users/${gone.id}`, { token })).status).toBe(404);
      const lagging = await listed(domainFilter);
      expect(lagging.value.some((u) => u.id === gone.id)).toBe(true);
      expect(lagging['@odata.count']).toBe(before['@odata.count']);

      await pause(550);
      expect((await listed(`userPrincipalName eq '${person.upn}'`)).value[0]?.jobTitle).toBe('Replicated later');
      const settled = await listed(domainFilter);
      expect(settled.value.some((u) => u.id === gone.id)).toBe(false);
      expect(settled['@odata.count']).toBe(before['@odata.count'] - 1);
    } finally {
      await setDelay(0);
    }
  });
});
