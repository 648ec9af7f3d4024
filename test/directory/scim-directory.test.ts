// The SCIM client against a real SCIM 2.0 HTTP server: filter or paged listing, mapping, auth errors.
import { afterEach, describe, expect, it } from 'vitest';
import { SCIM_ENTERPRISE_USER, ScimDirectory, type ScimUser } from '../../src/directory/scim-directory.js';
import { deriveImmutableId } from '../../src/sync/immutable-id.js';
import { parseFilter, type ScimServer, startScimServer } from './scim-server.js';

const TOKEN = 'scim-test-token-123';

function people(): ScimUser[] {
  const users: ScimUser[] = [];
  for (let i = 0; i < 230; i++) {
    const domain = i % 3 === 0 ? 'fabrikam.com' : 'contoso.co.jp';
    users.push({
      id: `scim-${i}`,
      ...(i % 2 === 0 ? { externalId: `EXT${i}==` } : {}),
      userName: i === 1 ? 'Mixed.Case@CONTOSO.co.jp' : `user${i}@${domain}`,
      displayName: `利用者 ${i}`,
      title: i % 5 === 0 ? 'マネージャー' : undefined,
      active: i % 7 !== 0,
      name: { givenName: `名${i}`, familyName: `姓${i}` },
      emails: [
        { value: `home${i}@example.net`, type: 'home' },
        { value: `u${i}@${domain}`, type: 'work', primary: true },
      ],
      phoneNumbers: [{ value: `+81-90-0000-${String(i).padStart(4, '0')}`, type: 'mobile' }],
      ...(i % 4 === 0 ? { [SCIM_ENTERPRISE_USER]: { employeeNumber: `E${i}`, department: '営業部' } } : {}),
    });
  }
  // A look-alike domain that must not match.
  users.push({ id: 'evil', userName: 'x@notcontoso.co.jp.evil.example', displayName: 'X' });
  users.push({ id: 'sub', userName: 'y@sub.contoso.co.jp', displayName: 'Y' });
  return users;
}

let server: ScimServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('ScimDirectory', () => {
  it('asks the server to filter by userName ew "@domain" and follows the pages', async () => {
    server = await startScimServer({ token: TOKEN, users: people(), maxResults: 50 });
    const directory = new ScimDirectory({ baseUrl: server.baseUrl, token: TOKEN, pageSize: 100 });
    const users = await directory.listUsers('Contoso.co.jp');
    const expected = people().filter((u) => u.userName.toLowerCase().endsWith('@contoso.co.jp'));
    expect(users.map((u) => u.userPrincipalName)).toEqual(expected.map((u) => u.userName));
    expect(users).toHaveLength(153);
    const userRequests = server.requests.filter((r) => r.startsWith('/scim/v2/Users'));
    expect(server.requests[0]).toBe('/scim/v2/ServiceProviderConfig');
    // 153 users, at most 50 per page (the server's cap, below the 100 asked for): 4 pages, all filtered, then one
    // probe of the same filter in upper case, which this case-insensitive server answers alike: the filter is trusted.
    expect(userRequests).toHaveLength(5);
    for (const r of userRequests.slice(0, 4)) {
      expect(new URLSearchParams(r.split('?')[1]).get('filter')).toBe('userName ew "@contoso.co.jp"');
    }
    expect(new URLSearchParams(userRequests[4]!.split('?')[1]).get('filter')).toBe('userName ew "@CONTOSO.CO.JP"');
    // Checked once: the next listing is filtered without a probe.
    await directory.listUsers('fabrikam.com');
    expect(server.requests.filter((r) => r.startsWith('/scim/v2/Users'))).toHaveLength(5 + 2);
    const u4 = users.find((u) => u.userPrincipalName === 'user4@contoso.co.jp')!;
    expect(u4).toEqual({
      userPrincipalName: 'user4@contoso.co.jp',
      immutableId: 'EXT4==',
      displayName: '利用者 4',
      givenName: '名4',
      surname: '姓4',
      mail: 'u4@contoso.co.jp',
      jobTitle: null,
      department: '営業部',
      employeeId: 'E4',
      mobilePhone: '+81-90-0000-0004',
      accountEnabled: true,
    });
    // No externalId: derived from the SCIM id, and the same on every read.
    const u5 = users.find((u) => u.userPrincipalName === 'user5@contoso.co.jp')!;
    expect(u5.immutableId).toBe(deriveImmutableId('scim:scim-5'));
    expect(u5.jobTitle).toBe('マネージャー');
    expect(users.find((u) => u.userPrincipalName === 'user7@contoso.co.jp')!.accountEnabled).toBe(false);
  });

  it('lists every page and filters itself when the server cannot filter', async () => {
    server = await startScimServer({ token: TOKEN, users: people(), filterSupported: false, maxResults: 40 });
    const directory = new ScimDirectory({ baseUrl: `${server.baseUrl}/`, token: TOKEN, pageSize: 40 });
    const users = await directory.listUsers('fabrikam.com');
    expect(users.map((u) => u.userPrincipalName)).toEqual(
      people()
        .filter((u) => u.userName.endsWith('@fabrikam.com'))
        .map((u) => u.userName),
    );
    const userRequests = server.requests.filter((r) => r.startsWith('/scim/v2/Users'));
    expect(userRequests).toHaveLength(Math.ceil(232 / 40));
    expect(userRequests.every((r) => !r.includes('filter='))).toBe(true);
    expect(userRequests.map((r) => new URLSearchParams(r.split('?')[1]).get('startIndex'))).toEqual([
      '1',
      '41',
      '81',
      '121',
      '161',
      '201',
    ]);
  });

  it('falls back to listing when told to filter but the server refuses', async () => {
    server = await startScimServer({ token: TOKEN, users: people(), filterSupported: false });
    const directory = new ScimDirectory({ baseUrl: server.baseUrl, token: TOKEN, filter: true });
    expect(await directory.listUsers('fabrikam.com')).toHaveLength(77);
    expect(server.requests[0]).toContain('filter=');
    expect(server.requests.at(-1)).not.toContain('filter=');
  });

  it('fails with the status and the server detail on a bad token, without echoing the token', async () => {
    server = await startScimServer({ token: TOKEN, users: people() });
    const directory = new ScimDirectory({ baseUrl: server.baseUrl, token: 'wrong-token', filter: true });
    const err = await directory.listUsers('contoso.co.jp').then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/answered 401: Authorization failure/);
    expect(err?.message).not.toContain('wrong-token');
  });

  it('test server: parses eq/ew filters with escapes and rejects others', () => {
    expect(parseFilter('userName eq "a\\"b@c.d"')).toEqual({ attr: 'userName', op: 'eq', value: 'a"b@c.d' });
    expect(parseFilter('USERNAME EW "@x.y"')).toEqual({ attr: 'USERNAME', op: 'ew', value: '@x.y' });
    expect(parseFilter('userName sw "a"')).toBeNull();
  });
});
