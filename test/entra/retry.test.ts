// Tests of the connector's one retry rule: nextRetry acts on ERROR_POLICY, with separate limits for 5xx and 429.
import { describe, expect, it } from 'vitest';
import { ERROR_POLICY, type GraphFailure } from '../../src/entra/errors.js';
import { newTally, nextRetry } from '../../src/entra/retry.js';
import type { ErrorKind } from '../../src/sync/model.js';

const failure = (kind: ErrorKind, retryAfterMs: number | null = null): GraphFailure => ({
  kind,
  status: 0,
  code: 'X',
  message: 'x',
  retryAfterMs,
  maybeApplied: false,
});
const options = { backoff: { baseMs: 100, maxMs: 1000 }, random: () => 0 };
const limits = { maxAttempts: 3, maxThrottledRetries: 2 };

describe('nextRetry', () => {
  it('retries only the kinds whose policy is retry or retry-after', () => {
    for (const kind of Object.keys(ERROR_POLICY) as ErrorKind[]) {
      const delay = nextRetry(failure(kind), newTally(), limits, options);
      const retried = ERROR_POLICY[kind] === 'retry' || ERROR_POLICY[kind] === 'retry-after';
      expect(delay === null, kind).toBe(!retried);
    }
  });

  it('backs off transient failures until maxAttempts sends, the first one included', () => {
    const tally = newTally();
    expect(nextRetry(failure('transient'), tally, limits, options)).toBe(50);
    expect(nextRetry(failure('transient'), tally, limits, options)).toBe(100);
    expect(nextRetry(failure('transient'), tally, limits, options)).toBeNull();
  });

  it('waits out Retry-After for throttling, counted apart from transient failures', () => {
    const tally = newTally();
    expect(nextRetry(failure('transient'), tally, limits, options)).toBe(50);
    expect(nextRetry(failure('throttled', 2000), tally, limits, options)).toBe(2000);
    expect(nextRetry(failure('throttled', 2000), tally, limits, options)).toBe(2000);
    expect(nextRetry(failure('throttled', 2000), tally, limits, options)).toBeNull();
    expect(tally).toEqual({ transient: 1, throttled: 3 });
  });
});
