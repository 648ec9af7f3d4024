// Error translation (the one place Graph failures become error kinds), Retry-After parsing, backoff and pacing.
import { describe, expect, it } from 'vitest';
import {
  classifyNetworkError,
  classifyResponse,
  ERROR_POLICY,
  parseRetryAfter,
  parseThrottlePercentage,
} from '../../src/entra/errors.js';
import { ThrottlePacer } from '../../src/entra/pacer.js';
import { backoffDelay, type Clock, retryAfterDelay } from '../../src/entra/retry.js';

const graphError = (code: string, message: string, details?: { code: string }[]) => ({
  error: { code, message, ...(details ? { details } : {}), innerError: { 'request-id': 'r1' } },
});

describe('classifyResponse', () => {
  it('maps each Graph status to its kind and policy', () => {
    const cases: [number, unknown, string][] = [
      [429, graphError('TooManyRequests', 'x'), 'throttled'],
      [503, graphError('serviceNotAvailable', 'x'), 'transient'],
      [504, graphError('gatewayTimeout', 'x'), 'transient'],
      [500, graphError('generalException', 'x'), 'transient'],
      [404, graphError('Request_ResourceNotFound', 'x'), 'not_found'],
      [409, graphError('Conflict', 'x'), 'conflict'],
      [403, graphError('Authorization_RequestDenied', 'Insufficient privileges'), 'forbidden'],
      [401, graphError('InvalidAuthenticationToken', 'expired'), 'stop'],
      [400, graphError('Request_BadRequest', 'Invalid value specified for property mailNickname'), 'bad_request'],
    ];
    for (const [status, body, kind] of cases) {
      expect(classifyResponse({ status, body }).kind, String(status)).toBe(kind);
    }
    expect(ERROR_POLICY.forbidden).toBe('stop-run');
    expect(ERROR_POLICY.throttled).toBe('retry-after');
    expect(ERROR_POLICY.conflict).toBe('adopt-or-skip');
  });

  it('recognises a UPN / Immutable ID conflict hidden in a 400', () => {
    const f = classifyResponse({
      status: 400,
      body: graphError(
        'Request_BadRequest',
        'Another object with the same value for property userPrincipalName already exists.',
        [{ code: 'ObjectConflict' }],
      ),
      isWrite: true,
    });
    expect(f).toMatchObject({ kind: 'conflict', code: 'ObjectConflict', maybeApplied: false });
  });

  it('marks a 5xx on a write as maybe applied, not on a read', () => {
    expect(classifyResponse({ status: 503, isWrite: true }).maybeApplied).toBe(true);
    expect(classifyResponse({ status: 503, isWrite: false }).maybeApplied).toBe(false);
    expect(classifyResponse({ status: 429, isWrite: true }).maybeApplied).toBe(false);
  });

  it('names the permission to grant on 403', () => {
    const f = classifyResponse({ status: 403, body: graphError('Authorization_RequestDenied', 'no'), isWrite: true });
    expect(f.message).toMatch(/grant the app the User\.ReadWrite\.All application permission/);
    const r = classifyResponse({ status: 403, body: {}, permission: 'Domain.Read.All' });
    expect(r.message).toContain('Domain.Read.All');
  });

  it('reads Retry-After in seconds or as an HTTP date, case-insensitively', () => {
    expect(classifyResponse({ status: 429, headers: { 'retry-after': '7' } }).retryAfterMs).toBe(7000);
    expect(classifyResponse({ status: 429, headers: new Headers({ 'Retry-After': '2' }) }).retryAfterMs).toBe(2000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });

  it('scrubs tokens out of messages', () => {
    const f = classifyResponse({
      status: 400,
      body: graphError('BadRequest', 'header was Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4eHh4eHh4In0.c2lnbmF0dXJl'),
    });
    expect(f.message).not.toContain('eyJhbGciOiJSUzI1NiJ9');
  });
});

describe('classifyNetworkError', () => {
  const wrap = (code: string) =>
    Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('socket'), { code }) });

  it('finds the socket code inside undici\'s "fetch failed"', () => {
    expect(classifyNetworkError(wrap('ECONNRESET'), { isWrite: true })).toMatchObject({
      kind: 'transient',
      code: 'ECONNRESET',
      maybeApplied: true,
    });
    expect(classifyNetworkError(wrap('UND_ERR_SOCKET'), { isWrite: true }).maybeApplied).toBe(true);
  });

  it('knows a refused connection never sent anything', () => {
    expect(classifyNetworkError(wrap('ECONNREFUSED'), { isWrite: true })).toMatchObject({
      kind: 'transient',
      maybeApplied: false,
    });
  });

  it('treats a timeout as maybe applied for writes', () => {
    const timeout = Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' });
    expect(classifyNetworkError(timeout, { isWrite: true })).toMatchObject({
      code: 'TimeoutError',
      maybeApplied: true,
    });
    expect(classifyNetworkError(timeout, { isWrite: false }).maybeApplied).toBe(false);
  });

  it('stops on an untrusted certificate and says to set ENTRA_CA_FILE', () => {
    const f = classifyNetworkError(wrap('SELF_SIGNED_CERT_IN_CHAIN'), { target: 'https://127.0.0.1:1' });
    expect(f.kind).toBe('stop');
    expect(f.message).toContain('ENTRA_CA_FILE');
  });
});

describe('backoff and Retry-After waits', () => {
  it('grows exponentially within bounds, with jitter from the injected source', () => {
    const opts = { baseMs: 100, maxMs: 1000 };
    expect(backoffDelay(1, { ...opts, random: () => 0 })).toBe(50);
    expect(backoffDelay(1, { ...opts, random: () => 0.999999 })).toBe(100);
    expect(backoffDelay(3, { ...opts, random: () => 0.5 })).toBe(300);
    expect(backoffDelay(20, { ...opts, random: () => 0.999999 })).toBe(1000);
  });

  it('never waits less than Retry-After', () => {
    expect(retryAfterDelay(2000, () => 0)).toBe(2000);
    expect(retryAfterDelay(2000, () => 0.999)).toBeLessThanOrEqual(2200);
    expect(retryAfterDelay(60_000, () => 0.999)).toBeLessThanOrEqual(61_000);
  });
});

describe('ThrottlePacer', () => {
  function fakeClock(): Clock & { advance(ms: number): void; slept: number[] } {
    let t = 1_000_000;
    const slept: number[] = [];
    return {
      now: () => t,
      sleep: async (ms) => {
        slept.push(ms);
        t += ms;
      },
      advance: (ms) => {
        t += ms;
      },
      slept,
    };
  }

  it('reads x-ms-throttle-limit-percentage as a fraction or a percent', () => {
    expect(parseThrottlePercentage('0.9')).toBe(0.9);
    expect(parseThrottlePercentage('90')).toBe(0.9);
    expect(parseThrottlePercentage('x')).toBeNull();
  });

  it('does not slow below 80%, then widens the gap and narrows concurrency as usage rises', async () => {
    const clock = fakeClock();
    const pacer = new ThrottlePacer({ clock, maxGapMs: 1000 });
    pacer.observe(200, {});
    expect(pacer.gapMs()).toBe(0);
    expect(pacer.concurrency(4)).toBe(4);
    pacer.observe(200, { 'x-ms-throttle-limit-percentage': '0.9' });
    expect(pacer.gapMs()).toBe(500);
    expect(pacer.concurrency(4)).toBe(2);
    pacer.observe(200, { 'x-ms-throttle-limit-percentage': '1.2' });
    expect(pacer.gapMs()).toBe(1000);
    expect(pacer.concurrency(4)).toBe(1);
    await pacer.wait();
    await pacer.wait();
    expect(clock.slept).toEqual([1000]);
  });

  it('pauses every new request until a 429 Retry-After has passed', async () => {
    const clock = fakeClock();
    const pacer = new ThrottlePacer({ clock, maxGapMs: 1000 });
    pacer.observe(429, { 'retry-after': '3' }, 3000);
    await pacer.wait();
    expect(clock.slept.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(3000);
  });

  it('forgets the pressure once Graph stops reporting it', () => {
    const clock = fakeClock();
    const pacer = new ThrottlePacer({ clock, maxGapMs: 1000, memoryMs: 10_000 });
    pacer.observe(200, { 'x-ms-throttle-limit-percentage': '0.95' });
    clock.advance(2000);
    pacer.observe(204, {});
    expect(pacer.gapMs()).toBe(0);
  });
});
