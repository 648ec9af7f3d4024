// Scale: with 200,000 users, pages, indexed filters and writes cost work proportional to the page, not the tenant
// (measured as users examined, exposed by GET /_emulator/stats).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorSeed, type RunningEmulator, type SeedUser, startEmulator } from '../../src/emulator/index.js';
import { rawFetch, tokenFor } from './helpers.js';

const N = 200_000;
let emu: RunningEmulator;
let f: ReturnType<typeof rawFetch>;
let token: string;
const eventual = { ConsistencyLevel: 'eventual' };

function bigSeed(): EmulatorSeed {
  const users: SeedUser[] = new Array(N);
  for (let i = 0; i < N; i++) {
    const domain = i % 2 === 0 ? 'big.example' : 'other.example';
    const upn = `user${String(i).padStart(7, '0')}@${domain}`;
    users[i] = {
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      userPrincipalName: upn,
      displayName: `User ${i}`,
      mail: upn,
      onPremisesImmutableId: Buffer.from(`emp-${i}`).toString('base64'),
    };
  }
  return {
    domains: [
      { id: 'scale.onmicrosoft.com', authenticationType: 'Managed', isVerified: true, isInitial: true },
      { id: 'big.example', authenticationType: 'Federated', isVerified: true },
      { id: 'other.example', authenticationType: 'Federated', isVerified: true },
    ],
    users,
  };
}

beforeAll(async () => {
  emu = await startEmulator({ seed: 'empty', throttling: false });
  f = rawFetch(emu);
  await emu.reset(bigSeed());
  token = await tokenFor(emu);
}, 60_000);
afterAll(() => emu.close());

async function examinedBy(path: string, headers: Record<string, string> = {}) {
  const before = (await f('/_emulator/stats')).json.usersExamined as number;
  const r = await f(path, { token, headers });
  const after = (await f('/_emulator/stats')).json.usersExamined as number;
  return { r, examined: after - before };
}

describe('scale (200,000 users)', () => {
  // https://learn.microsoft.com/en-us/graph/paging
  it('pages a domain with endsWith in work proportional to the page, deep pages as cheap as the first', async () => {
    const filter = encodeURIComponent("endsWith(userPrincipalName,'@big.example')");
    const first = await examinedBy(
      `/v1.0/users?$filter=${filter}&$count=true&$top=999&$select=id,userPrincipalName`,
      eventual,
    );
    expect(first.r.json['@odata.count']).toBe(N / 2);
    expect(first.r.json.value).toHaveLength(999);
    expect(first.examined).toBeLessThanOrEqual(1000);
    let next: string = first.r.json['@odata.nextLink'];
    let last = first;
    for (let page = 2; page <= 40; page++) {
      last = await examinedBy(next.slice(emu.graphBaseUrl.length), eventual);
      next = last.r.json['@odata.nextLink'];
    }
    expect(last.r.json.value).toHaveLength(999);
    expect(
      last.r.json.value.every((u: { userPrincipalName: string }) => u.userPrincipalName.endsWith('@big.example')),
    ).toBe(true);
    expect(last.examined).toBeLessThanOrEqual(1000);
  }, 60_000);

  // https://learn.microsoft.com/en-us/graph/api/user-list
  it('finds by Immutable ID, UPN and id through indexes, and writes without scanning', async () => {
    const imm = Buffer.from('emp-123457').toString('base64');
    const byImm = await examinedBy(`/v1.0/users?$filter=${encodeURIComponent(`onPremisesImmutableId eq '${imm}'`)}`);
    expect(byImm.r.json.value[0].userPrincipalName).toBe('user0123457@other.example');
    expect(byImm.examined).toBe(1);
    const starts = await examinedBy(
      `/v1.0/users?$filter=${encodeURIComponent("startsWith(userPrincipalName,'user019999')")}`,
    );
    expect(starts.r.json.value).toHaveLength(10);
    expect(starts.examined).toBeLessThanOrEqual(11);
    const write = await examinedBy('/v1.0/users/user0000002@big.example');
    expect(write.r.status).toBe(200);
    const created = await f('/v1.0/users', {
      method: 'POST',
      token,
      body: {
        accountEnabled: true,
        displayName: 'New',
        mailNickname: 'new',
        userPrincipalName: 'new@big.example',
        onPremisesImmutableId: 'bmV3',
        passwordProfile: { password: 'Aa1!aaaaaa' },
      },
    });
    expect(created.status).toBe(201);
    const count = await examinedBy(
      `/v1.0/users/$count?$filter=${encodeURIComponent("endsWith(userPrincipalName,'@big.example')")}`,
      eventual,
    );
    expect(count.r.text).toBe(String(N / 2 + 1));
    expect(count.examined).toBe(0);
  }, 30_000);
});
