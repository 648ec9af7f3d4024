// The one lease-renewal loop: renews every third of the time to live, logs a lost lease or a failed renewal, stops.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../../src/logger.js';
import type { LeaseHandle } from '../../src/sync/ports.js';
import { keepRenewing, renewalIntervalMs } from '../../src/sync/service/lease-renewal.js';

function fakeLease(answers: (boolean | Error)[]) {
  let renewals = 0;
  const lease: LeaseHandle = {
    holder: 'test',
    async renew() {
      const answer = answers[renewals++] ?? true;
      if (answer instanceof Error) throw answer;
      return answer;
    },
    async release() {},
  };
  return { lease, renewals: () => renewals };
}

function recordingLogger() {
  const warnings: { fields: Record<string, unknown>; msg: string }[] = [];
  const logger = { warn: (fields: Record<string, unknown>, msg: string) => warnings.push({ fields, msg }) };
  return { logger: logger as unknown as Logger, warnings };
}

describe('keepRenewing', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('renews every third of the time to live until stopped', async () => {
    const { lease, renewals } = fakeLease([]);
    const { logger, warnings } = recordingLogger();
    const stop = keepRenewing(lease, 120_000, logger, { domain: 'a.co.jp' });
    await vi.advanceTimersByTimeAsync(40_000 * 3 + 1);
    expect(renewals()).toBe(3);
    stop();
    await vi.advanceTimersByTimeAsync(400_000);
    expect(renewals()).toBe(3);
    expect(warnings).toEqual([]);
  });

  it('logs a lost lease and a failed renewal with the holder’s fields, the error scrubbed of secrets', async () => {
    const { lease } = fakeLease([false, new Error('store down: client_secret=abc123')]);
    const { logger, warnings } = recordingLogger();
    const stop = keepRenewing(lease, 300, logger, { domain: 'a.co.jp', slot: 7 });
    await vi.advanceTimersByTimeAsync(200);
    stop();
    expect(warnings.map((w) => w.msg)).toEqual(['sync lease lost while running', 'sync lease renewal failed']);
    expect(warnings[0]!.fields).toEqual({ domain: 'a.co.jp', slot: 7 });
    expect(warnings[1]!.fields).toMatchObject({ domain: 'a.co.jp', slot: 7 });
    expect(String(warnings[1]!.fields.err)).toContain('store down');
    expect(String(warnings[1]!.fields.err)).not.toContain('abc123');
  });

  it('never renews more often than every 50 ms', () => {
    expect(renewalIntervalMs(90)).toBe(50);
    expect(renewalIntervalMs(120_000)).toBe(40_000);
  });
});
