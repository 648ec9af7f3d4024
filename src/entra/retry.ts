// Time and randomness for the connector's retries, injected so tests can control them: clock, jittered backoff, Retry-After waits.

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
