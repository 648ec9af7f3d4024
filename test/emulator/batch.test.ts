// Conformance: JSON batching ($batch) — limits, unique ids, dependsOn with 424, per-item results and per-item throttling.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPeople, type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { graphClient, rawFetch, tokenFor } from './helpers.js';

let emu: RunningEmulator;
let f: ReturnType<typeof rawFetch>;
let token: string;

beforeAll(async () => {
  // timeScale 0.001: budgets barely refill during the test, so exhausting one is deterministic.
  emu = await startEmulator({ seed: 'demo', timeScale: 0.001 });
  f = rawFetch(emu);
  token = await tokenFor(emu);
});
afterAll(() => emu.close());

const batch = (requests: unknown[]) => f('/v1.0/$batch', { method: 'POST', token, body: { requests } });
const user = (upn: string, immutableId: string) => ({
  accountEnabled: true,
  displayName: upn,
  mailNickname: upn.split('@')[0],
  userPrincipalName: upn,
  onPremisesImmutableId: immutableId,
  passwordProfile: { password: 'Aa1!aaaaaa' },
});

describe('POST /$batch', () => {
  // https://learn.microsoft.com/en-us/graph/json-batching
  it('runs each request and answers with per-item id, status, headers and body (in any order)', async () => {
    const p = demoPeople();
    const r = await batch([
      { id: '1', method: 'GET', url: `/users/${p[0]!.upn}?$select=id,userPrincipalName` },
      { id: '2', method: 'GET', url: '/users/nobody@contoso.co.jp' },
      {
        id: '3',
        method: 'PATCH',
        url: `/users/${p[1]!.upn}`,
        headers: { 'Content-Type': 'application/json' },
        body: { jobTitle: '課長' },
      },
      {
        id: '4',
        method: 'POST',
        url: '/users',
        headers: { 'Content-Type': 'application/json' },
        body: user('batch.one@contoso.co.jp', 'YmF0Y2gtb25l'),
      },
    ]);
    expect(r.status).toBe(200);
    const byId = Object.fromEntries(r.json.responses.map((x: { id: string }) => [x.id, x]));
    expect(Object.keys(byId).sort()).toEqual(['1', '2', '3', '4']);
    expect(byId['1'].status).toBe(200);
    expect(byId['1'].body.userPrincipalName).toBe(p[0]!.upn);
    expect(byId['2'].status).toBe(404);
    expect(byId['2'].body.error.code).toBe('Request_ResourceNotFound');
    expect(byId['3'].status).toBe(204);
    expect(byId['4'].status).toBe(201);
    expect(byId['4'].headers['Content-Type']).toBe('application/json');
  });

  // https://learn.microsoft.com/en-us/graph/json-batching#sequencing-requests-with-the-dependson-property
  it('gives 424 Failed Dependency to requests that depend on a failed one', async () => {
    const r = await batch([
      {
        id: 'a',
        method: 'POST',
        url: '/users',
        headers: { 'Content-Type': 'application/json' },
        body: user('bad@unknown.example', 'eHg='),
      },
      { id: 'b', method: 'GET', url: '/users/taro.yamada@contoso.co.jp', dependsOn: ['a'] },
      { id: 'c', method: 'GET', url: '/users/taro.yamada@contoso.co.jp', dependsOn: ['b'] },
      { id: 'd', method: 'GET', url: '/users/taro.yamada@contoso.co.jp' },
    ]);
    const status = Object.fromEntries(r.json.responses.map((x: { id: string; status: number }) => [x.id, x.status]));
    expect(status).toEqual({ a: 400, b: 424, c: 424, d: 200 });
  });

  // https://learn.microsoft.com/en-us/graph/json-batching#batch-size-limitations
  it('rejects more than 20 requests, duplicate ids and unknown dependsOn with 400 for the whole batch', async () => {
    const many = Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: 'GET', url: '/users?$top=1' }));
    const tooMany = await batch(many);
    expect(tooMany.status).toBe(400);
    expect(tooMany.json.error.message).toMatch(/20/);
    const dup = await batch([
      { id: 'x', method: 'GET', url: '/domains' },
      { id: 'x', method: 'GET', url: '/domains' },
    ]);
    expect(dup.status).toBe(400);
    const dangling = await batch([{ id: 'x', method: 'GET', url: '/domains', dependsOn: ['nope'] }]);
    expect(dangling.status).toBe(400);
    const sdk = graphClient(emu, async () => token);
    await expect(sdk.api('/$batch').post({ requests: many })).rejects.toMatchObject({ statusCode: 400 });
  });

  // https://learn.microsoft.com/en-us/graph/throttling#throttling-and-batching
  it('throttles each item on its own: once the budget runs out, items get 429 with Retry-After inside a 200 batch', async () => {
    const reads = Array.from({ length: 20 }, (_, i) => ({ id: String(i), method: 'GET', url: '/users?$top=1' }));
    let mixed = false;
    let sawRetryAfter = false;
    for (let n = 0; n < 120 && !sawRetryAfter; n++) {
      const r = await batch(reads);
      expect(r.status).toBe(200);
      const statuses = r.json.responses.map((x: { status: number }) => x.status);
      if (statuses.includes(429)) {
        mixed ||= statuses.includes(200);
        const item = r.json.responses.find((x: { status: number }) => x.status === 429);
        sawRetryAfter = Number(item.headers['Retry-After']) >= 1;
      }
    }
    expect(sawRetryAfter).toBe(true);
    expect(mixed).toBe(true);
    const stats = await f('/_emulator/stats');
    expect(stats.json.throttled).toBeGreaterThan(0);
  });
});
