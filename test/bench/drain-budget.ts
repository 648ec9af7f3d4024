// Empties the app's write budget before a measured apply, so the whole apply runs in the budget's steady state
// (a bucket that starts full would let the first 3,000 writes through at any speed and flatter the rate).
import type { GraphClient } from '../../src/entra/index.js';

/**
 * Sends $batch requests of 20 PATCHes to an id that does not exist (each charged as a write, none changes the
 * tenant) until Graph throttles most items of a batch: the write bucket is then empty. Returns the batches sent.
 */
export async function drainWriteBudget(
  graph: GraphClient,
  options: { concurrency?: number; maxBatches?: number } = {},
) {
  const concurrency = options.concurrency ?? 4;
  const maxBatches = options.maxBatches ?? 1000;
  let sent = 0;
  let empty = false;
  const worker = async () => {
    while (!empty && sent < maxBatches) {
      sent++;
      const requests = Array.from({ length: 20 }, (_, i) => ({
        id: String(i + 1),
        method: 'PATCH' as const,
        url: `/users/00000000-0000-4000-8000-00000000d${String(i).padStart(3, '0')}`,
        body: { jobTitle: 'drain' },
      }));
      const res = await graph.rawBatch(requests);
      const throttled = (res.responses ?? []).filter((r) => r.status === 429).length;
      if (res.status === 429 || throttled >= 10) empty = true;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (!empty) throw new Error(`the write budget was not empty after ${sent} batches`);
  return sent;
}
