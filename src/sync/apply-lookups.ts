// Asks Entra what happened when the answer is not enough: whether a lost create or restore took effect, why a 403 hit a user.
import type { EntraReader, WriteOp } from './ports.js';
import type { WrittenChange } from './apply-outcomes.js';

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
