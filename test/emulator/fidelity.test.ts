// Conformance: proxyAddresses uniqueness fed by mail, restore conflicts, the organization's country, usageLocation.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type EmulatorSeed, type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { msalApp, rawFetch, tokenFor } from './helpers.js';

const D = 'fidelity.co.jp';
const PROXY_CONFLICT = 'Another object with the same value for property proxyAddresses already exists.';
const READER = { clientId: 'users-only-app', clientSecret: 'users-only-secret-value' };

function seed(extra: Partial<EmulatorSeed> = {}): EmulatorSeed {
  return {
    organization: { displayName: 'Fidelity KK', countryLetterCode: 'JP' },
    domains: [
      { id: 'fidelity.onmicrosoft.com', authenticationType: 'Managed', isVerified: true, isInitial: true },
      { id: D, authenticationType: 'Managed', isVerified: true, isDefault: true },
    ],
    users: [
      {
        id: '11111111-2222-4333-8444-555555555555',
        userPrincipalName: `hanako@${D}`,
        displayName: 'Hanako',
        mail: `hanako@${D}`,
        proxyAddresses: [`SMTP:hanako@${D}`, `smtp:h.sato@${D}`],
      },
    ],
    groups: [
      {
        id: '99999999-8888-4777-8666-555555555555',
        displayName: '営業部',
        mail: `sales@${D}`,
        proxyAddresses: [`SMTP:sales@${D}`, `smtp:eigyo@${D}`],
        members: [],
      },
    ],
    apps: [{ ...READER, permissions: ['User.ReadWrite.All'] }],
    ...extra,
  };
}

const newUser = (local: string, extra: Record<string, unknown> = {}) => ({
  accountEnabled: true,
  displayName: local,
  mailNickname: local,
  userPrincipalName: `${local}@${D}`,
  passwordProfile: { forceChangePasswordNextSignIn: true, password: 'Xy7!pass-word' },
  ...extra,
});

let emu: RunningEmulator;
let f: ReturnType<typeof rawFetch>;
let token: string;

beforeAll(async () => {
  emu = await startEmulator({ seed: seed(), latency: 'none' });
  f = rawFetch(emu);
  token = await tokenFor(emu);
});
beforeEach(async () => {
  await emu.reset(seed());
});
afterAll(() => emu.close());

const proxiesOf = async (idOrUpn: string): Promise<string[]> =>
  (await f(`/v1.0/users/${idOrUpn}?$select=id,proxyAddresses`, { token })).json.proxyAddresses;

// https://learn.microsoft.com/en-us/graph/api/resources/user (properties mail and proxyAddresses)
describe('proxyAddresses: fed by mail, unique across objects', () => {
  it('a created user with mail gets it as its primary SMTP address; proxyAddresses is returned only on $select', async () => {
    const r = await f('/v1.0/users', { method: 'POST', token, body: newUser('taro', { mail: `taro@${D}` }) });
    expect(r.status).toBe(201);
    expect(await proxiesOf(r.json.id)).toEqual([`SMTP:taro@${D}`]);
    expect(Object.keys((await f(`/v1.0/users/${r.json.id}`, { token })).json)).not.toContain('proxyAddresses');
  });

  it("refuses a mail that is already another user's proxy address (primary or secondary, any case), with Graph's error", async () => {
    for (const mail of [`HANAKO@${D}`, `h.sato@${D}`]) {
      const r = await f('/v1.0/users', { method: 'POST', token, body: newUser('copy', { mail }) });
      expect(r.status, mail).toBe(400);
      expect(r.json.error.code).toBe('Request_BadRequest');
      expect(r.json.error.message).toBe(PROXY_CONFLICT);
      expect(r.json.error.details).toEqual([{ code: 'ObjectConflict', target: 'proxyAddresses' }]);
    }
    expect((await f(`/v1.0/users/copy@${D}`, { token })).status).toBe(404);
  });

  it('a PATCH of mail to a taken address is refused and changes nothing; a new mail keeps the old one as smtp:', async () => {
    const r = await f('/v1.0/users', { method: 'POST', token, body: newUser('jiro', { mail: `jiro@${D}` }) });
    const id = r.json.id as string;
    const taken = await f(`/v1.0/users/${id}`, { method: 'PATCH', token, body: { mail: `h.sato@${D}` } });
    expect(taken.status).toBe(400);
    expect(taken.json.error.message).toBe(PROXY_CONFLICT);
    expect(await proxiesOf(id)).toEqual([`SMTP:jiro@${D}`]);
    expect((await f(`/v1.0/users/${id}`, { method: 'PATCH', token, body: { mail: `j.suzuki@${D}` } })).status).toBe(
      204,
    );
    expect(await proxiesOf(id)).toEqual([`SMTP:j.suzuki@${D}`, `smtp:jiro@${D}`]);
    // Its own former address may become its primary again.
    expect((await f(`/v1.0/users/${id}`, { method: 'PATCH', token, body: { mail: `jiro@${D}` } })).status).toBe(204);
    expect(await proxiesOf(id)).toEqual([`SMTP:jiro@${D}`, `smtp:j.suzuki@${D}`]);
  });

  it("a group's addresses count too: a user cannot take a group's mail or alias", async () => {
    for (const mail of [`sales@${D}`, `Eigyo@${D}`]) {
      const r = await f('/v1.0/users', { method: 'POST', token, body: newUser('seller', { mail }) });
      expect(r.status, mail).toBe(400);
      expect(r.json.error.message).toBe(PROXY_CONFLICT);
    }
    const bad = seed({
      users: [...seed().users, { userPrincipalName: `eigyo@${D}`, displayName: 'Eigyo', mail: `eigyo@${D}` }],
    });
    const r = await f('/_emulator/reset', { method: 'POST', body: bad });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.json)).toContain('users.1.proxyAddresses');
  });

  it('proxyAddresses itself is read-only in Graph', async () => {
    const r = await f(`/v1.0/users/hanako@${D}`, {
      method: 'PATCH',
      token,
      body: { proxyAddresses: [`SMTP:other@${D}`] },
    });
    expect(r.status).toBe(400);
    expect(r.json.error.message).toMatch(/proxyAddresses/);
  });

  it('a seed with the same proxy address on two users is rejected naming the field, and changes nothing', async () => {
    const bad = seed({
      users: [
        ...seed().users,
        { userPrincipalName: `other@${D}`, displayName: 'Other', proxyAddresses: [`smtp:H.Sato@${D}`] },
      ],
    });
    const r = await f('/_emulator/reset', { method: 'POST', body: bad });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.json)).toContain('users.1.proxyAddresses');
    expect((await f(`/v1.0/users/hanako@${D}`, { token })).status).toBe(200);
  });
});

// https://learn.microsoft.com/en-us/graph/api/directory-deleteditems-restore
describe('restore of a soft-deleted user', () => {
  it('is refused while a live user holds its original UPN, with Graph’s conflict error', async () => {
    expect((await f(`/v1.0/users/hanako@${D}`, { method: 'DELETE', token })).status).toBe(204);
    const listed = await f('/v1.0/directory/deletedItems/microsoft.graph.user?$select=id,userPrincipalName', { token });
    expect(listed.json.value).toEqual([
      { id: '11111111-2222-4333-8444-555555555555', userPrincipalName: `11111111222243338444555555555555hanako@${D}` },
    ]);
    // A filter sees the listed form: the UPN starts with the id, not with the original local part.
    const ends = await f(
      `/v1.0/directory/deletedItems/microsoft.graph.user?$filter=${encodeURIComponent(`endsWith(userPrincipalName,'hanako@${D}')`)}&$count=true`,
      { token, headers: { ConsistencyLevel: 'eventual' } },
    );
    expect(ends.json.value).toHaveLength(1);
    const starts = await f(
      `/v1.0/directory/deletedItems/microsoft.graph.user?$filter=${encodeURIComponent("startsWith(userPrincipalName,'hanako')")}`,
      { token },
    );
    expect(starts.json.value).toEqual([]);
    expect((await f('/v1.0/users', { method: 'POST', token, body: newUser('hanako') })).status).toBe(201);
    const r = await f('/v1.0/directory/deletedItems/11111111-2222-4333-8444-555555555555/restore', {
      method: 'POST',
      token,
      body: {},
    });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({
      code: 'Request_BadRequest',
      message: 'Another object with the same value for property userPrincipalName already exists.',
      details: [{ code: 'ObjectConflict', target: 'userPrincipalName' }],
    });
  });

  it('is refused while a live user holds one of its proxy addresses, unless autoReconcileProxyConflict drops them', async () => {
    expect((await f(`/v1.0/users/hanako@${D}`, { method: 'DELETE', token })).status).toBe(204);
    // Deleted objects give their addresses up: another user may take one.
    const taker = await f('/v1.0/users', { method: 'POST', token, body: newUser('taker', { mail: `h.sato@${D}` }) });
    expect(taker.status).toBe(201);
    const path = '/v1.0/directory/deletedItems/11111111-2222-4333-8444-555555555555/restore';
    const refused = await f(path, { method: 'POST', token, body: {} });
    expect(refused.status).toBe(400);
    expect(refused.json.error.message).toBe(PROXY_CONFLICT);
    const ok = await f(path, { method: 'POST', token, body: { autoReconcileProxyConflict: true } });
    expect(ok.status).toBe(200);
    expect(await proxiesOf(`hanako@${D}`)).toEqual([`SMTP:hanako@${D}`]);
  });
});

// https://learn.microsoft.com/en-us/graph/api/organization-list
describe('organization', () => {
  it('returns the seeded country, and needs Organization.Read.All or Directory.* (User.ReadWrite.All is not enough)', async () => {
    const o = await f('/v1.0/organization', { token });
    expect(o.json.value[0]).toMatchObject({ displayName: 'Fidelity KK', countryLetterCode: 'JP' });
    const usersOnly = await tokenFor(emu, msalApp(emu, READER));
    const denied = await f('/v1.0/organization', { token: usersOnly });
    expect(denied.status).toBe(403);
    expect(denied.json.error.code).toBe('Authorization_RequestDenied');
    await emu.reset(seed({ organization: { displayName: 'No Country', countryLetterCode: null } }));
    expect((await f('/v1.0/organization', { token })).json.value[0].countryLetterCode).toBeNull();
  });
});

// https://learn.microsoft.com/en-us/graph/api/resources/user (usageLocation: a two-letter ISO 3166 country code)
describe('usageLocation', () => {
  it('takes an ISO 3166 alpha-2 code and refuses anything else', async () => {
    for (const bad of ['XX', 'Japan', 'jp', 'J']) {
      const r = await f(`/v1.0/users/hanako@${D}`, { method: 'PATCH', token, body: { usageLocation: bad } });
      expect(r.status, bad).toBe(400);
      expect(r.json.error.details).toEqual([{ code: 'InvalidValue', target: 'usageLocation' }]);
    }
    expect((await f(`/v1.0/users/hanako@${D}`, { method: 'PATCH', token, body: { usageLocation: 'JP' } })).status).toBe(
      204,
    );
    const u = await f(`/v1.0/users/hanako@${D}?$select=usageLocation`, { token });
    expect(u.json.usageLocation).toBe('JP');
  });
});
