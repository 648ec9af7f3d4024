// Prunes sync-log records older than the retention period, once per interval across all replicas.
import type { Logger } from '../logger.js';
import type { LeaseManager, RunLogRepository } from '../sync/ports.js';
import { describe } from './slot-runner.js';

export interface RetentionOptions {
  readonly runs: RunLogRepository;
  readonly leases: LeaseManager;
  readonly logger: Logger;
  readonly holderId: string;
  readonly intervalMs: number;
  readonly retentionDays: number;
}

/** Returns `maybePrune(now)`: prunes at most once per interval slot; the slot's lease makes it one replica's job. */
export function createRetention(options: RetentionOptions) {
  const { runs, leases, logger, holderId, intervalMs, retentionDays } = options;
  let lastSlot: number | null = null;
  let running: Promise<number | null> | null = null;

  async function prune(now: number, slot: number): Promise<number | null> {
    // Not released: the claim stays until the slot is over, so a replica that looks later in the slot skips it too.
    const answer = await leases.acquire(`schedule:prune:${slot}`, holderId, intervalMs);
    if (!answer.acquired) return null;
    const cutoff = new Date(now - retentionDays * 86_400_000);
    const removed = await runs.prune(cutoff);
    if (removed > 0) logger.info({ removed, olderThan: cutoff.toISOString() }, 'sync log pruned');
    return removed;
  }

  return {
    /** Starts a prune when a new interval began since the last one; resolves with the count removed (null: not ours). */
    maybePrune(now: number): Promise<number | null> {
      const slot = Math.floor(now / intervalMs);
      if (slot === lastSlot || running) return Promise.resolve(null);
      lastSlot = slot;
      running = prune(now, slot)
        .catch((err: unknown) => {
          logger.warn({ err: describe(err) }, 'sync log prune failed');
          return null;
        })
        .finally(() => {
          running = null;
        });
      return running;
    },
    async settled(): Promise<void> {
      if (running) await running;
    },
  };
}
