// How a large domain's user listing is split: one listing per UPN first character, a bounded number in flight.

/**
 * First characters of UPN local parts, one listing each. Name-based UPNs (given.family) crowd onto a few letters
 * whatever the grouping, so groups of letters made the longest listing several times the average (21 of 111 pages
 * at 100,000 users in the bench); one listing per character bounds a listing by the users of its letter. A UPN
 * starting with another character (' - _ ! # ^ ~) is not lost: the listings' counts then fall short of the domain's
 * and the reader lists the domain sequentially instead.
 */
export const LISTING_PARTITIONS: readonly (readonly string[])[] = [...'0123456789abcdefghijklmnopqrstuvwxyz'].map(
  (c) => [c],
);

/**
 * Partition listings in flight at once. Graph limits identity reads by resource units per 10 s, not by concurrent
 * requests (https://learn.microsoft.com/en-us/graph/throttling-limits#identity-and-access-service-limits); the cap
 * bounds the pages this process receives and parses at the same time (memory), not Graph's load.
 */
export const LISTING_CONCURRENCY = 12;

/**
 * `run` over every item with at most `limit` in flight, settled like Promise.allSettled (in the items' order). After
 * a failure the items not yet started are not run: their result is that failure, so the caller sees it either way.
 */
export async function settleEach<T, R>(
  items: readonly T[],
  limit: number,
  run: (item: T) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  let failed: PromiseRejectedResult | null = null;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      if (failed !== null) {
        results[i] = failed;
        continue;
      }
      try {
        results[i] = { status: 'fulfilled', value: await run(items[i]!) };
      } catch (reason) {
        results[i] = failed = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
