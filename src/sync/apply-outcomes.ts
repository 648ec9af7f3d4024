// What a run's journal means for each change of the plan: the op → change index, outcomes, counts, readable failures.
import type { Change, Plan, RunCounts, UserOutcome } from './model.js';
import type { JournalEntry, WriteOp } from './ports.js';
import type { ChangeOps } from './write-ops.js';

export type WrittenChange = Extract<Change, { action: 'Add' | 'Update' | 'Delete' }>;

export interface OpTarget {
  readonly change: WrittenChange;
  readonly key: string;
}

/**
 * What the run keeps of a settled op: a shared marker for a success (the user id is in the journal, nothing after
 * the write reads it again), the journal entry for a failure. 100,000 writes then cost one map entry each.
 */
export type Settled = Pick<JournalEntry, 'state' | 'errorKind' | 'errorCode' | 'errorMessage'>;
export const DONE: Settled = Object.freeze({ state: 'done' });
export const settled = (e: JournalEntry): Settled => (e.state === 'done' ? DONE : e);

/**
 * Graph's answer, with what to do when it is one an administrator must resolve by hand: a mail that another
 * object already has as a proxy address (Graph keeps proxyAddresses unique across users and groups).
 */
export function explainFailure(op: WriteOp, message: string): string {
  if (!/proxyAddresses/i.test(message)) return message;
  const mail = op.kind === 'create' || op.kind === 'update' ? op.attributes.mail : undefined;
  const what =
    typeof mail === 'string'
      ? `the mail ${mail} is already an e-mail address (proxyAddresses) of another user or group in Entra ID`
      : 'one of its e-mail addresses (proxyAddresses) is now used by another user or group in Entra ID';
  return `${what}: give this user another mail in Access Control, or remove the address from the other object, then sync again (Graph: ${message})`;
}

/** Links each write op to the plan change it serves (a restore-Add has two ops: restore, then update). */
export function indexOpsByChange(plan: Plan, ops: readonly WriteOp[]): Map<string, OpTarget> {
  const index = new Map<string, OpTarget>();
  for (const [opId, change] of changeOfOps(plan, ops)) {
    const key = change.action === 'Add' ? `add:${change.immutableId}` : `${change.action}:${change.entraId}`;
    index.set(opId, { change, key });
  }
  return index;
}

/** Each write op's change (the plan's own object: ops of one change share it). */
export function changeOfOps(plan: Pick<Plan, 'id' | 'changes'>, ops: readonly WriteOp[]): Map<string, WrittenChange> {
  const addByImmutableId = new Map<string, Extract<Change, { action: 'Add' }>>();
  const addByRestoreId = new Map<string, Extract<Change, { action: 'Add' }>>();
  const byEntraId = new Map<string, Extract<Change, { action: 'Update' | 'Delete' }>>();
  for (const c of plan.changes) {
    if (c.action === 'Add') {
      if (c.restoreId) addByRestoreId.set(c.restoreId, c);
      else addByImmutableId.set(c.immutableId, c);
    } else if (c.action === 'Update' || c.action === 'Delete') byEntraId.set(c.entraId, c);
  }
  const index = new Map<string, WrittenChange>();
  for (const op of ops) {
    let change: WrittenChange | undefined;
    if (op.kind === 'create') change = addByImmutableId.get(op.immutableId);
    else if (op.kind === 'restore') change = addByRestoreId.get(op.deletedId);
    else change = byEntraId.get(op.userId) ?? addByRestoreId.get(op.userId);
    if (!change) throw new Error(`write op ${op.opId} matches no change of plan ${plan.id}`);
    index.set(op.opId, change);
  }
  return index;
}

/**
 * The Entra ids of the federated adoptions an unfinished run left half done, read from its journal alone: moved to the
 * temporary UPN (step 1 done, or its intent sent before a crash) and not moved back. Such a user is outside the
 * domain's listing, so a new dry run would plan it as a new user.
 */
export function movedNotBack(journal: ReadonlyMap<string, JournalEntry>): ReadonlySet<string> {
  const out = new Set<string>();
  for (const [opId, entry] of journal) {
    if (!opId.startsWith('f1:') || entry.state === 'failed') continue;
    const entraId = opId.slice('f1:'.length);
    if (journal.get(`u:${entraId}`)?.state !== 'done') out.add(entraId);
  }
  return out;
}

/** The changes of those users in a part of the plan (one stored chunk), in plan order, with their temporary UPN. */
export function strandedAdoptions(
  changes: readonly Change[],
  moved: ReadonlySet<string>,
): { upn: string; via: string }[] {
  const out: { upn: string; via: string }[] = [];
  for (const c of changes)
    if (c.action === 'Update' && c.via && moved.has(c.entraId)) out.push({ upn: c.upn, via: c.via });
  return out;
}

/** Groups ops by the change each serves (targets), in the order of each change's first op, each change's ids in order. */
export function groupByChange(ops: readonly WriteOp[], targets: ReadonlyMap<string, WrittenChange>): ChangeOps[] {
  // Ops of one change share the plan's change object.
  const perChange = new Map<WrittenChange, string[]>();
  for (const op of ops) {
    const change = targets.get(op.opId)!;
    const ids = perChange.get(change);
    if (ids) ids.push(op.opId);
    else perChange.set(change, [op.opId]);
  }
  return Array.from(perChange, ([change, opIds]) => ({ change, opIds }));
}

/** Counts and one outcome per change, from the settled ops (a change without a final entry was not attempted). */
export function summarise(
  written: readonly ChangeOps[],
  final: Map<string, Settled>,
): { counts: RunCounts; outcomes: UserOutcome[] } {
  let added = 0;
  let updated = 0;
  let deleted = 0;
  let failed = 0;
  const outcomes: UserOutcome[] = [];
  for (const { change: c, opIds } of written) {
    const entries = opIds.map((id) => final.get(id));
    const failure = entries.find((e) => e?.state === 'failed');
    const done = entries.every((e) => e?.state === 'done');
    const back = c.action === 'Update' && c.via ? final.get(`u:${c.entraId}`) : undefined;
    if (c.action === 'Update' && c.via && back?.state !== 'done' && final.get(`f1:${c.entraId}`)?.state === 'done') {
      // Moved to the temporary UPN and not (yet) back: say where the user is and how to bring it back.
      failed++;
      outcomes.push({
        action: c.action,
        upn: c.upn,
        immutableId: c.immutableId,
        result: 'failed',
        errorKind: back?.errorKind ?? failure?.errorKind ?? 'stop',
        errorCode: back?.errorCode ?? failure?.errorCode ?? 'Interrupted',
        errorMessage:
          `${c.upn} is still at its temporary UPN ${c.via} (moved there to set its Immutable ID): apply this dry run ` +
          `again to finish, or change its UPN back to ${c.upn} in the Entra admin center` +
          (back?.errorMessage ? ` (moving it back failed: ${back.errorMessage})` : ''),
      });
      continue;
    }
    const base = {
      action: c.action,
      upn: c.upn,
      immutableId: c.immutableId,
      ...(c.action === 'Add' && c.restoreId ? { restored: true } : {}),
    };
    if (done) {
      if (c.action === 'Add') added++;
      else if (c.action === 'Update') updated++;
      else deleted++;
      outcomes.push({ ...base, result: 'done' });
    } else if (failure) {
      failed++;
      outcomes.push({
        ...base,
        result: 'failed',
        errorKind: failure.errorKind,
        errorCode: failure.errorCode,
        errorMessage: failure.errorMessage,
      });
    } else {
      outcomes.push({ ...base, result: 'skipped', errorMessage: 'not attempted: the run stopped before this change' });
    }
  }
  return { counts: { added, updated, deleted, failed }, outcomes };
}
