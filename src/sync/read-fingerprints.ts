// Re-reads both sides of one domain for an apply's freshness check, keeping only their fingerprints and counts.
import { entraFingerprint, sourceFingerprint } from './fingerprint.js';
import { inScopeCount } from './guard.js';
import type { EntraDomain } from './model.js';
import { previousSourceCount, type SnapshotDeps } from './read-snapshot.js';
import type { ProgressListener } from './service-interface.js';

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
 * read, and no snapshot of 100,000 users outlives its fingerprint (an apply needs nothing else from it).
 */
export async function readFingerprints(
  deps: SnapshotDeps,
  domain: EntraDomain,
  onProgress?: ProgressListener,
): Promise<FreshFingerprints> {
  const name = domain.id.toLowerCase();
  onProgress?.({ phase: 'reading-source', done: 0, total: 0 });
  const [source, entra, previous] = await Promise.all([
    deps.source.listUsers(name).then((users) => ({ count: users.length, print: sourceFingerprint(users) })),
    Promise.all([
      deps.reader.listUsers(name, (p) => onProgress?.({ phase: 'reading-entra', done: p.read, total: 0 })),
      deps.reader.listDeletedUsers(name),
      deps.reader.listAdminRoleHolders(),
    ]).then(([users, deleted, adminIds]) => ({
      count: users.length,
      inScope: inScopeCount({ entra: users }),
      print: entraFingerprint(users, deleted, adminIds),
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
