// Conformance: the control API — seeded faults (429, 5xx, reset, hang, commit-then-fail), latency, stats, state, reset checks.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { demoTenantSeed, type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { rawFetch, tokenFor } from './helpers.js';

let emu: RunningEmulator;
let f: ReturnType<typeof rawFetch>;
let token: string;

beforeAll(async () => {
  emu = await startEmulator({ seed: 'demo' });
  f = rawFetch(emu);
  token = await tokenFor(emu);
});
beforeEach(async () => {
  await f('/_emulator/faults', { method: 'POST', body: { seed: 1, rates: {} } });
  await f('/_emulator/latency', { method: 'POST', body: { latency: 'none' } });
});
afterAll(() => emu.close());

const faults = (seed: number, rates: Record<string, number>) =>
  f('/_emulator/faults', { method: 'POST', body: { seed, rates } });
const newUser = (upn: string) => ({
  accountEnabled: true,
  displayName: upn,
  mailNickname: upn.split('@')[0],
  userPrincipalName: upn,
  passwordProfile: { password: 'Aa1!aaaaaa' },
});

describe('faults (POST /_emulator/faults)', () => {
  it('injects 429 and 5xx at the configured rates, replayable from the seed', async () => {
    const run = async () => {
      await faults(42, { throttle: 0.3, serverError: 0.3 });
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) statuses.push((await f('/v1.0/domains', { token })).status);
      return statuses;
    };
    const first = await run();
    expect(first).toContain(429);
    expect(first.some((s) => s >= 500)).toBe(true);
    expect(first).toContain(200);
    expect(await run()).toEqual(first);
  });

  it('resets the connection, or hangs until the client gives up', async () => {
    await faults(1, { reset: 1 });
    await expect(f('/v1.0/domains', { token })).rejects.toThrow();
    await faults(1, { hang: 1 });
    const started = Date.now();
    await expect(fetchWithTimeout(`${emu.graphBaseUrl}/v1.0/domains`, token, 300)).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('commit-then-fail applies the write, then answers 503 or drops the connection', async () => {
    await faults(3, { commitThenFail: 1 });
    const upns = ['ctf1@contosojp.onmicrosoft.com', 'ctf2@contosojp.onmicrosoft.com', 'ctf3@contosojp.onmicrosoft.com'];
    for (const upn of upns) {
      const outcome = await f('/v1.0/users', { method: 'POST', token, body: newUser(upn) }).then(
        (r) => r.status,
        () => 'reset',
      );
      expect([503, 'reset']).toContain(outcome);
    }
    await faults(1, {});
    for (const upn of upns) expect((await f(`/v1.0/users/${upn}`, { token })).status).toBe(200);
    const stats = await f('/_emulator/stats');
    expect(stats.json.faultsInjected.commitThenFail).toBeGreaterThanOrEqual(3);
  });

  it('applies item-level faults inside $batch', async () => {
    await faults(5, { serverError: 0.5 });
    const requests = Array.from({ length: 20 }, (_, i) => ({ id: String(i), method: 'GET', url: '/domains' }));
    const r = await f('/v1.0/$batch', { method: 'POST', token, body: { requests } });
    expect(r.status).toBe(200);
    const statuses = r.json.responses.map((x: { status: number }) => x.status);
    expect(statuses.some((s: number) => s >= 500)).toBe(true);
    expect(statuses).toContain(200);
  });

  it('rejects a bad fault configuration, naming the field, and keeps the previous one', async () => {
    await faults(9, { throttle: 0.1 });
    const bad = await faults(9, { explode: 0.5 });
    expect(bad.status).toBe(400);
    expect(bad.json.error.problems[0]).toMatch(/rates\.explode/);
    expect((await f('/_emulator/faults')).json.rates).toEqual({ throttle: 0.1 });
  });
});

async function fetchWithTimeout(url: string, bearer: string, ms: number): Promise<number> {
  const { Agent, fetch } = await import('undici');
  const r = await fetch(url, {
    headers: { authorization: `Bearer ${bearer}` },
    dispatcher: new Agent({ connect: { ca: emu.caPem! } }),
    signal: AbortSignal.timeout(ms),
  });
  return r.status;
}

describe('latency, stats and state', () => {
  it('delays reads and writes by the realistic profile', async () => {
    await f('/_emulator/latency', { method: 'POST', body: { latency: 'realistic' } });
    let t = Date.now();
    await f('/v1.0/domains', { token });
    expect(Date.now() - t).toBeGreaterThanOrEqual(110);
    t = Date.now();
    await f('/v1.0/users/taro.yamada@contoso.co.jp', { method: 'PATCH', token, body: { jobTitle: '社長' } });
    expect(Date.now() - t).toBeGreaterThanOrEqual(240);
    const bad = await f('/_emulator/latency', { method: 'POST', body: { latency: 'slow' } });
    expect(bad.status).toBe(400);
  });

  it('counts requests by method, path and status', async () => {
    await f('/_emulator/stats', { method: 'DELETE' });
    await f('/v1.0/users/nobody@contoso.co.jp', { token });
    await f('/v1.0/users?$top=1', { token });
    const s = await f('/_emulator/stats');
    expect(s.json.requests['GET /v1.0/users/{id} 404']).toBe(1);
    expect(s.json.requests['GET /v1.0/users 200']).toBe(1);
  });

  // the README's emulator section reset: a bad seed changes nothing and the error names the field
  it('rejects a bad seed with the field named and keeps the state', async () => {
    const before = (await f('/_emulator/state')).json.users.length;
    const seed = demoTenantSeed();
    const bad = await f('/_emulator/reset', {
      method: 'POST',
      body: { ...seed, users: [...seed.users, { userPrincipalName: 'x@nowhere.example' }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.problems.join('\n')).toMatch(/users\.\d+\.userPrincipalName: domain nowhere\.example/);
    const state = await f('/_emulator/state');
    expect(state.json.users.length).toBe(before);
    expect(state.json.deletedItems).toEqual([]);
    expect(JSON.stringify(state.json)).not.toContain(emu.clientSecret);
  });
});
