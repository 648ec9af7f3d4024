// Turns a plan's changes into meaning-level write ops (create, update, disable, delete, restore) with stable op ids, in dependency phases.
import { withLegacyPhases } from './legacy-phases.js';
import type { AttributeChange, Change, EntraDomain, Plan } from './model.js';
import type { WriteAttributes, WriteOp } from './ports.js';
import type { WrittenChange } from './apply-outcomes.js';

/*
 * Op ids (stable for a plan, used by the journal): create `a:<immutableId>`, update `u:<entraId>`,
 * delete or disable `d:<entraId>`, restore `r:<deletedId>` followed by its update `u:<deletedId>`. Adopting a user of a
 * federated domain (Update with `via`) is a unit of updates in successive phases: `f1:<entraId>` moves the UPN to `via`,
 * `f2:<entraId>` sets the Immutable ID there, `u:<entraId>` moves the UPN back (both require the first, so a failed
 * move sends nothing more, and a moved user is always moved back), then `f3:<entraId>` writes the other attributes in
 * place. Only the Immutable ID is written at the temporary UPN: a refused attribute there would leave the user without
 * an Immutable ID, and Entra refuses to move such a user back into a federated domain.
 * Phases: each change carries the phase the diff gave it while following rename chains (a write that needs a UPN
 * another user's rename frees goes after that rename; a restore's update after the restore); here the ops are only
 * grouped by it. Run the phases one after another; ops inside a phase are independent and may be sent together.
 */

const attributesOf = (changes: readonly AttributeChange[]): WriteAttributes => {
  const attributes: Partial<Record<AttributeChange['attribute'], AttributeChange['after']>> = {};
  for (const c of changes) attributes[c.attribute] = c.after;
  return attributes;
};

/** The plan's writes grouped in phases that must run one after another. Skip and NoChange never produce ops. */
export function planToWritePhases(
  plan: Pick<Plan, 'changes'> & Partial<Pick<Plan, 'formatVersion'>>,
  authenticationType: EntraDomain['authenticationType'],
): WriteOp[][] {
  // A plan without a format version is one the diff just made.
  const changes = (plan.formatVersion ?? 3) < 3 ? withLegacyPhases(plan.changes) : plan.changes;
  // Keep each op's phase equal to its group's index once empty groups are dropped.
  return writePhasesOf(changes, authenticationType)
    .filter((p) => p.length > 0)
    .map((p, i) => (p[0]!.phase === i ? p : p.map((op) => ({ ...op, phase: i }))));
}

type Unphased<T> = T extends WriteOp ? Omit<T, 'phase' | 'opId'> : never;
/** One op of a change: its phase, its id, and how to build the rest of it (only called by whoever sends it). */
type PutOp = (phase: number, opId: string, build: () => Unphased<WriteOp>) => void;

/** The ops of one change, each handed to `put` with its phase and id (Skip and NoChange have none). */
function opsOfChange(c: Change, authenticationType: EntraDomain['authenticationType'], put: PutOp): void {
  switch (c.action) {
    case 'Delete':
      if (c.mode === 'disable') put(0, `d:${c.entraId}`, () => ({ kind: 'disable', userId: c.entraId }));
      else put(0, `d:${c.entraId}`, () => ({ kind: 'delete', userId: c.entraId }));
      break;
    case 'Update': {
      if (!c.via) {
        put(c.phase ?? 0, `u:${c.entraId}`, () => ({
          kind: 'update',
          userId: c.entraId,
          attributes: attributesOf(c.changes),
        }));
        break;
      }
      const level = c.phase ?? 0;
      const first = `f1:${c.entraId}`;
      const rest = c.changes.filter(
        (x) => x.attribute !== 'userPrincipalName' && x.attribute !== 'onPremisesImmutableId',
      );
      put(level, first, () => ({ kind: 'update', userId: c.entraId, attributes: { userPrincipalName: c.via } }));
      put(level + 1, `f2:${c.entraId}`, () => ({
        kind: 'update',
        userId: c.entraId,
        attributes: attributesOf(c.changes.filter((x) => x.attribute === 'onPremisesImmutableId')),
        requires: first,
      }));
      put(level + 2, `u:${c.entraId}`, () => ({
        kind: 'update',
        userId: c.entraId,
        attributes: { userPrincipalName: c.upn },
        requires: first,
      }));
      if (rest.length > 0)
        put(level + 3, `f3:${c.entraId}`, () => ({
          kind: 'update',
          userId: c.entraId,
          attributes: attributesOf(rest),
        }));
      break;
    }
    case 'Add': {
      if (!c.restoreId) {
        put(c.phase ?? 0, `a:${c.immutableId}`, () => ({
          kind: 'create',
          userPrincipalName: c.upn,
          immutableId: c.immutableId,
          attributes: c.attributes,
          usageLocation: c.usageLocation || null,
          authenticationType,
        }));
        break;
      }
      const restoreId = c.restoreId;
      const restorePhase = c.phase ?? 0;
      put(restorePhase, `r:${restoreId}`, () => ({ kind: 'restore', deletedId: restoreId }));
      if (c.changes.length > 0)
        put(c.updatePhase ?? restorePhase + 1, `u:${restoreId}`, () => ({
          kind: 'update',
          userId: restoreId,
          attributes: attributesOf(c.changes),
        }));
      break;
    }
    default:
      break;
  }
}

/**
 * The writes of some of a plan's changes (one stored chunk, say) at the phases the changes carry, empty phases
 * included: the numbers are the plan's, so chunks written phase by phase keep the plan's order.
 */
export function writePhasesOf(
  changes: Iterable<Change>,
  authenticationType: EntraDomain['authenticationType'],
): WriteOp[][] {
  const phases: WriteOp[][] = [];
  for (const c of changes) {
    opsOfChange(c, authenticationType, (n, opId, build) => {
      while (phases.length <= n) phases.push([]);
      phases[n]!.push({ opId, ...build(), phase: n } as WriteOp);
    });
  }
  return phases;
}

/**
 * How many ops `changes` make and how many phases writePhasesOf gives them (empty ones included), without building
 * the ops: what a streamed run counts before it writes.
 */
export function writeCounts(changes: Iterable<Change>): { ops: number; phases: number } {
  let ops = 0;
  let phases = 0;
  for (const c of changes) {
    opsOfChange(c, 'Managed', (n) => {
      ops++;
      if (n + 1 > phases) phases = n + 1;
    });
  }
  return { ops, phases };
}

/** A change with writes and the ids of its ops, in the order they are sent. */
export interface ChangeOps {
  readonly change: WrittenChange;
  readonly opIds: readonly string[];
}

/**
 * The changes with writes among `changes` and their op ids, without building the ops: in the order of each change's
 * first op in writePhasesOf(changes) flattened (phase by phase, then the changes' order), each change's ids in that
 * order too. What an outcome walk needs to read a run's journal for these changes.
 */
export function changeOpIds(changes: Iterable<Change>): ChangeOps[] {
  const out: { change: WrittenChange; opIds: string[]; phases: number[] }[] = [];
  for (const c of changes) {
    if (c.action !== 'Add' && c.action !== 'Update' && c.action !== 'Delete') continue;
    const opIds: string[] = [];
    const phases: number[] = [];
    opsOfChange(c, 'Managed', (n, opId) => {
      // Ops of one change are put in phase order but for a restore's update, which may come before it: keep order.
      let at = phases.length;
      while (at > 0 && phases[at - 1]! > n) at--;
      phases.splice(at, 0, n);
      opIds.splice(at, 0, opId);
    });
    if (opIds.length > 0) out.push({ change: c, opIds, phases });
  }
  // A stable sort by the first op's phase: the order of the changes' first ops in the flattened phases.
  out.sort((a, b) => a.phases[0]! - b.phases[0]!);
  return out.map(({ change, opIds }) => ({ change, opIds }));
}

/** All write ops of the plan, phase after phase (see planToWritePhases for the ordering contract). */
export function planToWriteOps(
  plan: Pick<Plan, 'changes'> & Partial<Pick<Plan, 'formatVersion'>>,
  authenticationType: EntraDomain['authenticationType'],
): WriteOp[] {
  return planToWritePhases(plan, authenticationType).flat();
}
