// The connector's one retry rule (read from ERROR_POLICY) and its time and randomness: clock, jittered backoff, Retry-After waits.
import { ERROR_POLICY, type GraphFailure } from './errors.js';

/** The connector's only access to time. */
export interface Clock {
  now(): number;
  /** Resolves after `ms` (early, without error, when `signal` aborts). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || signal?.aborted) {
        resolve();
        return;
      }
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/** A number in [0, 1). */
export type RandomSource = () => number;

export interface BackoffOptions {
  /** First delay before jitter. */
  readonly baseMs: number;
  /** Upper bound of any delay. */
  readonly maxMs: number;
  readonly random: RandomSource;
}

export const DEFAULT_BACKOFF: Omit<BackoffOptions, 'random'> = { baseMs: 250, maxMs: 15_000 };

/**
 * Delay before retry number `attempt` (1 = first retry): exponential with "equal jitter", so concurrent clients
 * spread out but never retry at once.
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * options.random());
}

/**
 * Delay that honours a server's Retry-After: never earlier than asked, plus up to 10% jitter (at most 1 s) so that
 * items throttled together do not all come back in the same millisecond.
 */
export function retryAfterDelay(retryAfterMs: number, random: RandomSource): number {
  const spread = Math.min(1000, retryAfterMs * 0.1);
  return Math.ceil(retryAfterMs + spread * random());
}

/** Retries tolerated per request or write: for transient failures (backoff) and for throttling (Retry-After). */
export interface RetryLimits {
  /** Sends that may end in a transient failure, the first one included. */
  readonly maxAttempts: number;
  /** Throttled (429) answers tolerated, each waited out. */
  readonly maxThrottledRetries: number;
}

export const DEFAULT_RETRY_LIMITS: RetryLimits = { maxAttempts: 6, maxThrottledRetries: 12 };

/** The failures one request or write has had so far, by policy. */
export interface RetryTally {
  transient: number;
  throttled: number;
}

export const newTally = (): RetryTally => ({ transient: 0, throttled: 0 });

/**
 * What to do after `failure`, by its kind's ERROR_POLICY: the delay before sending again (the tally counts it), or
 * null when the policy is not to retry or the limit is reached. Readers and the batch writer both ask this; nothing
 * else in the connector decides whether to re-send.
 */
export function nextRetry(
  failure: GraphFailure,
  tally: RetryTally,
  limits: RetryLimits,
  options: { readonly backoff: Omit<BackoffOptions, 'random'>; readonly random: RandomSource },
): number | null {
  const policy = ERROR_POLICY[failure.kind];
  if (policy === 'retry-after') {
    tally.throttled++;
    if (tally.throttled > limits.maxThrottledRetries) return null;
  } else if (policy === 'retry') {
    tally.transient++;
    if (tally.transient >= limits.maxAttempts) return null;
  } else return null;
  return failure.retryAfterMs !== null
    ? retryAfterDelay(failure.retryAfterMs, options.random)
    : backoffDelay(Math.max(1, tally.transient), { ...options.backoff, random: options.random });
}
