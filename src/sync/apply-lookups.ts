// Asks Entra what the write answers do not say: whether a lost create or restore took effect, why a 403 hit a user,
// and whether a federated adoption's Immutable ID is free before the user is moved.
import type { EntraReader, JournalEntry, WriteOp } from './ports.js';
import type { Settled, WrittenChange } from './apply-outcomes.js';

/** Look-ups of writes whose answer was lost run this many at a time. */
export const LOOKUP_CONCURRENCY = 8;

/** Maps items through an async function, at most `limit` at once, keeping the order of the results. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Tells a 403 about the user (an administrator, whom Graph does not let an app with User.ReadWrite.All change or
 * delete) from a 403 about the app (a missing permission): the role holders are read afresh, once per run.
 */
export function forbiddenExplainer(
  reader: EntraReader,
  targets: Pick<ReadonlyMap<string, WrittenChange>, 'get'>,
): (op: WriteOp) => Promise<string | null> {
  let admins: Promise<Set<string>> | null = null;
  return async (op) => {
    if (op.kind !== 'update' && op.kind !== 'disable' && op.kind !== 'delete') return null;
    admins ??= reader.listAdminRoleHolders({ fresh: true });
    if (!(await admins).has(op.userId)) return null;
    const upn = targets.get(op.opId)?.upn ?? op.userId;
    const verb = op.kind === 'delete' ? 'delete' : 'change';
    return (
      `${upn} holds an admin role (directly, through a group or through PIM), and Microsoft Graph does not let this ` +
      `app ${verb} administrators. Change this user by hand in the Entra admin center, or add it to the domain's ` +
      'protected accounts so that the sync leaves it alone.'
    );
  };
}

/** Whether a write whose answer was lost took effect (creates and restores are checked; updates and deletes are idempotent). */
export async function wasApplied(
  reader: EntraReader,
  op: WriteOp,
): Promise<{ applied: boolean; userId: string | null }> {
  if (op.kind === 'create') {
    const byUpn = op.userPrincipalName ? await reader.getUser(op.userPrincipalName) : null;
    if (byUpn && byUpn.onPremisesImmutableId === op.immutableId) return { applied: true, userId: byUpn.id };
    const byId = op.immutableId ? await reader.findUserByImmutableId(op.immutableId) : null;
    return byId ? { applied: true, userId: byId.id } : { applied: false, userId: null };
  }
  if (op.kind === 'restore') {
    const user = await reader.getUser(op.deletedId);
    return user ? { applied: true, userId: user.id } : { applied: false, userId: null };
  }
  return { applied: false, userId: null };
}

/**
 * The ops of a chunk that may be sent. An op whose required earlier op did not succeed is not sent (a federated
 * adoption whose first move failed), and a federated adoption moves the user away only when its Immutable ID is
 * free: if step 2 were refused, Entra would not let the user (still without an Immutable ID) back into the
 * federated domain. Those are recorded as failed.
 */
export async function admissible(
  reader: EntraReader,
  pending: WriteOp[],
  final: ReadonlyMap<string, Settled>,
  targets: ReadonlyMap<string, WrittenChange>,
  record: (entries: JournalEntry[]) => Promise<void>,
): Promise<WriteOp[]> {
  const blocked: JournalEntry[] = [];
  const chunk = pending.filter((op) => {
    const required = op.kind === 'update' ? op.requires : undefined;
    const before = required === undefined ? null : final.get(required);
    if (required === undefined || before?.state === 'done') return true;
    blocked.push({
      opId: op.opId,
      state: 'failed',
      errorKind: before?.errorKind ?? 'stop',
      errorCode: 'NotAttempted',
      errorMessage: `not attempted: the write it depends on (${required}) did not succeed`,
    });
    return false;
  });
  const moves = chunk.filter((op) => op.opId.startsWith('f1:'));
  const holders = await mapLimit(moves, LOOKUP_CONCURRENCY, (op) =>
    reader.findUserByImmutableId(targets.get(op.opId)?.immutableId ?? ''),
  );
  for (const [i, op] of moves.entries()) {
    const holder = holders[i];
    if (!holder || (op.kind === 'update' && holder.id === op.userId)) continue;
    blocked.push({
      opId: op.opId,
      state: 'failed',
      errorKind: 'conflict',
      errorCode: 'ObjectConflict',
      errorMessage: `conflict: Immutable ID ${targets.get(op.opId)?.immutableId} is already held by ${holder.userPrincipalName} (${holder.id}); nothing was changed`,
    });
    chunk.splice(chunk.indexOf(op), 1);
  }
  await record(blocked);
  return chunk;
}

/**
 * Looks up creates and restores whose answer was lost. "Not found" soon after the write may be lag, not absence:
 * once the settle time of the latest such answer has passed, those users are looked up again.
 */
export async function resolveUnknown(
  reader: EntraReader,
  clock: { now(): number; sleep(ms: number): Promise<void> },
  unknown: readonly WriteOp[],
  answeredAt: ReadonlyMap<string, number>,
  settleMs: number,
): Promise<{ applied: boolean; userId: string | null }[]> {
  const resolved = await mapLimit(unknown, LOOKUP_CONCURRENCY, (op) => wasApplied(reader, op));
  const absent = unknown.flatMap((_op, i) => (resolved[i]!.applied ? [] : [i]));
  const settledAt = Math.max(0, ...absent.map((i) => (answeredAt.get(unknown[i]!.opId) ?? 0) + settleMs));
  if (absent.length > 0 && clock.now() < settledAt) {
    await clock.sleep(settledAt - clock.now());
    const second = await mapLimit(absent, LOOKUP_CONCURRENCY, (i) => wasApplied(reader, unknown[i]!));
    absent.forEach((i, k) => {
      resolved[i] = second[k]!;
    });
  }
  return resolved;
}
