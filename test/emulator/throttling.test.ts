// Conformance: the identity-and-access throttling model — 429 + Retry-After + x-ms-throttle-* headers, and a client that
// ignores Retry-After being throttled far more than one that honours it, against the same budget.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoTenantSeed, type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { APP_WRITES_PER_150S, requestCost, Throttler } from '../../src/emulator/throttle.js';
import { msalApp, rawFetch, tokenFor } from './helpers.js';

let emu: RunningEmulator;
let f: ReturnType<typeof rawFetch>;
const apps = [
  'aaaaaaaa-0000-0000-0000-000000000001',
  'aaaaaaaa-0000-0000-0000-000000000002',
  'aaaaaaaa-0000-0000-0000-000000000003',
];

beforeAll(async () => {
  // A 400 RU budget refilling at half speed (20 RU/s) keeps the test short and independent of the machine's speed;
  // the mechanics are those of the real budgets.
  emu = await startEmulator({ seed: 'empty', timeScale: 0.5, throttleLimits: { resourceUnitsPer10s: 400 } });
  f = rawFetch(emu);
  await emu.reset({
    ...demoTenantSeed(),
    apps: apps.map((clientId) => ({ clientId, clientSecret: `secret-${clientId}` })),
  });
});
afterAll(() => emu.close());

const tokenOf = (clientId: string) => tokenFor(emu, msalApp(emu, { clientId, clientSecret: `secret-${clientId}` }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads `total` pages of users through $batch; on throttled items either retries at once or waits Retry-After. */
async function readWorkload(
  token: string,
  total: number,
  honour: boolean,
): Promise<{ throttled: number; batches: number }> {
  let remaining = total;
  let throttled = 0;
  let batches = 0;
  while (remaining > 0) {
    const n = Math.min(20, remaining);
    const requests = Array.from({ length: n }, (_, i) => ({ id: String(i), method: 'GET', url: '/users?$top=1' }));
    const r = await f('/v1.0/$batch', { method: 'POST', token, body: { requests } });
    batches++;
    const limited = r.json.responses.filter((x: { status: number }) => x.status === 429);
    remaining -= n - limited.length;
    throttled += limited.length;
    if (limited.length > 0 && honour) {
      const wait = Math.max(
        ...limited.map((x: { headers: Record<string, string> }) => Number(x.headers['Retry-After'])),
      );
      await sleep(wait * 1000);
    }
  }
  return { throttled, batches };
}

describe('throttling', () => {
  // https://learn.microsoft.com/en-us/graph/throttling-limits#identity-and-access-service-limits
  it('answers 429 with Retry-After and x-ms-throttle-* headers once an app exhausts its resource units', async () => {
    const token = await tokenOf(apps[2]!);
    let warned = false;
    let last: Awaited<ReturnType<typeof f>> | undefined;
    for (let i = 0; i < 400; i++) {
      const requests = Array.from({ length: 20 }, (_, k) => ({ id: String(k), method: 'GET', url: '/users?$top=1' }));
      await f('/v1.0/$batch', { method: 'POST', token, body: { requests } });
      last = await f('/v1.0/users?$top=1', { token });
      if (last.headers.get('x-ms-throttle-limit-percentage') && last.status === 200) warned = true;
      if (last.status === 429) break;
    }
    expect(warned).toBe(true);
    expect(last!.status).toBe(429);
    expect(last!.json.error.code).toBe('TooManyRequests');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(last!.headers.get('x-ms-throttle-scope')).toBe(`Tenant_Application/ReadWrite/${apps[2]}/${emu.tenantId}`);
    expect(last!.headers.get('x-ms-throttle-information')).toBe('ResourceUnitLimitExceeded');
  });

  // https://learn.microsoft.com/en-us/graph/throttling#best-practices-to-handle-throttling
  it('throttles a client that ignores Retry-After far more than one that honours it (same budget, same work)', async () => {
    const [ignoring, honouring] = await Promise.all([tokenOf(apps[0]!), tokenOf(apps[1]!)]);
    // 240 reads at 2 RU = 480 RU: 80 RU more than the budget, about 4 s of refill, so both must be slowed down.
    const [a, b] = await Promise.all([readWorkload(ignoring, 240, false), readWorkload(honouring, 240, true)]);
    const detail = JSON.stringify({ ignoring: a, honouring: b });
    expect(a.throttled, detail).toBeGreaterThan(40);
    expect(b.throttled, detail).toBeLessThanOrEqual(a.throttled / 2);
    expect(b.batches, detail).toBeLessThan(a.batches);
  }, 30_000);

  // https://learn.microsoft.com/en-us/graph/throttling-limits#identity-and-access-service-limits
  it('prices requests as documented and limits writes per app+tenant', () => {
    const q = (s: string) => new URLSearchParams(s);
    expect(requestCost('GET', ['users'], q(''))).toEqual({ resourceUnits: 2, writes: 0 });
    expect(requestCost('GET', ['users'], q('$select=id'))).toEqual({ resourceUnits: 1, writes: 0 });
    expect(requestCost('GET', ['users'], q('$expand=manager'))).toEqual({ resourceUnits: 3, writes: 0 });
    expect(requestCost('PATCH', ['users', 'x'], q(''))).toEqual({ resourceUnits: 1, writes: 1 });
    const now = 0; // a burst: no refill, so exactly the write budget passes
    const t = new Throttler({ enabled: true, timeScale: 1, tenantSize: () => 'large', now: () => now });
    let passed = 0;
    for (let i = 0; i < APP_WRITES_PER_150S + 10; i++) {
      const v = t.charge('t', 'a', { resourceUnits: 1, writes: 1 });
      if (v.ok) passed++;
      else {
        expect(v.headers['x-ms-throttle-information']).toBe('WriteLimitExceeded');
        break;
      }
    }
    expect(passed).toBe(APP_WRITES_PER_150S);
  });
});
