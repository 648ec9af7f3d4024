// Re-reads both sides of one domain for an apply's freshness check, keeping only their fingerprints and counts.
import { EntraFingerprintFeed, SourceFingerprintFeed } from './fingerprint.js';
import type { EntraDomain } from './model.js';
import { previousSourceCount, type SnapshotDeps } from './read-snapshot.js';
import type { ProgressListener } from './service-interface.js';

/**
 * Entra listings read at once by a re-read nobody waits on (an apply's check, the wait for its writes to be listed):
 * each listing in flight is a page being received and parsed, so fewer of them make less garbage at the same time,
 * for a check that takes a few seconds longer on 100,000 users before a run of over an hour at Graph's write budget.
 */
export const CHECK_LISTINGS_IN_FLIGHT = 4;

/** What an apply needs from a fresh read of both sides: the plan's fingerprints and the guard's counts. */
export interface FreshFingerprints {
  readonly sourceFingerprint: string;
  readonly entraFingerprint: string;
  readonly sourceCount: number;
  readonly inScopeCount: number;
  readonly previousSourceCount: number | null;
}

/**
 * The fingerprints of both sides now, as readSnapshot would give them. Each side is fingerprinted as soon as its
 * listings are in and only its counts are kept, so one side's users are garbage while the other is still being
 * read, and no snapshot of 100,000 users outlives its fingerprint (an apply needs nothing else from it). Neither side's
 * users are gathered: each part (a stored chunk, an Entra page) is reduced to what the fingerprint needs as it arrives.
 */
export async function readFingerprints(
  deps: SnapshotDeps,
  domain: EntraDomain,
  onProgress?: ProgressListener,
): Promise<FreshFingerprints> {
  const name = domain.id.toLowerCase();
  onProgress?.({ phase: 'reading-source', done: 0, total: 0 });
  const [source, entra, previous] = await Promise.all([
    readSourceUsers(deps, name).then((feed) => ({ count: feed.count, print: feed.finish() })),
    Promise.all([
      readEntraUsers(deps, name, onProgress),
      deps.reader.listDeletedUsers(name),
      deps.reader.listAdminRoleHolders(),
    ]).then(([feed, deleted, adminIds]) => ({
      count: feed.count,
      inScope: feed.inScopeCount,
      print: feed.finish(deleted, adminIds),
    })),
    previousSourceCount(deps.runs, name),
  ]);
  onProgress?.({ phase: 'diffing', done: 0, total: source.count + entra.count });
  return {
    sourceFingerprint: source.print,
    entraFingerprint: entra.print,
    sourceCount: source.count,
    inScopeCount: entra.inScope,
    previousSourceCount: previous,
  };
}

/** The domain's Entra users page by page into a fingerprint feed, reporting progress as listUsers does. */
async function readEntraUsers(
  deps: SnapshotDeps,
  name: string,
  onProgress: ProgressListener | undefined,
): Promise<EntraFingerprintFeed> {
  const feed = new EntraFingerprintFeed();
  await deps.reader.eachUser(
    name,
    (users) => {
      feed.add(users);
      onProgress?.({ phase: 'reading-entra', done: feed.count, total: 0 });
    },
    { listingsInFlight: CHECK_LISTINGS_IN_FLIGHT },
  );
  return feed;
}

/** The domain's source users part by part into a fingerprint feed. */
async function readSourceUsers(deps: SnapshotDeps, name: string): Promise<SourceFingerprintFeed> {
  const feed = new SourceFingerprintFeed();
  await deps.source.eachUser(
    name,
    (users) => feed.add(users),
    () => feed.reset(),
  );
  return feed;
}
