// A short critical section across processes, built on the lock table (for read-modify-write of small index values).
import { randomUUID } from 'node:crypto';
import type { LockTable } from './backend.js';

export interface MutexOptions {
  /** The lock expires after this long if its holder dies. */
  readonly ttlMs?: number;
  /** Give up waiting after this long. */
  readonly waitMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function withMutex<T>(
  locks: LockTable,
  name: string,
  fn: () => Promise<T>,
  options: MutexOptions = {},
): Promise<T> {
  const ttlMs = options.ttlMs ?? 30_000;
  const waitMs = options.waitMs ?? 60_000;
  const token = randomUUID();
  const cell = `mutex:${name}`;
  const deadline = Date.now() + waitMs;
  let delay = 2;
  for (;;) {
    const answer = await locks.tryAcquire(cell, token, ttlMs, false);
    if (answer.ok) break;
    if (Date.now() > deadline) throw new Error(`store: timed out waiting for ${name} (held by another process)`);
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 100);
  }
  try {
    return await fn();
  } finally {
    await locks.release(cell, token);
  }
}
