// Keeps a held domain lease alive: the one renewal loop of Sync now, the CLI, resume, move and the hourly slot.
import { type Logger, scrubSecrets } from '../../logger.js';
import type { LeaseHandle } from '../ports.js';

/** How often a lease of that time to live is renewed: every third of it, and never more often than every 50 ms. */
export const renewalIntervalMs = (ttlMs: number): number => Math.max(50, Math.floor(ttlMs / 3));

/**
 * Renews `lease` every `renewalIntervalMs(ttlMs)` until the returned function is called; a renewal refused (the lease
 * was lost) or failed is logged with `fields`, and the holder carries on (its writes stay journaled).
 */
export function keepRenewing(
  lease: LeaseHandle,
  ttlMs: number,
  logger: Logger,
  fields: Readonly<Record<string, unknown>>,
): () => void {
  const timer = setInterval(() => {
    lease.renew().then(
      (ok) => {
        if (!ok) logger.warn(fields, 'sync lease lost while running');
      },
      (err: unknown) =>
        logger.warn(
          { ...fields, err: scrubSecrets(err instanceof Error ? err.message : String(err)) },
          'sync lease renewal failed',
        ),
    );
  }, renewalIntervalMs(ttlMs));
  timer.unref();
  return () => clearInterval(timer);
}
