// Turns a plan's changes into meaning-level write ops (create, update, disable, delete, restore) with stable op ids, in dependency phases.
import { withLegacyPhases } from './legacy-phases.js';
import type { AttributeChange, Change, EntraDomain, Plan } from './model.js';
import type { WriteAttributes, WriteOp } from './ports.js';

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

/**
 * The writes of some of a plan's changes (one stored chunk, say) at the phases the changes carry, empty phases
 * included: the numbers are the plan's, so chunks written phase by phase keep the plan's order.
 */
export function writePhasesOf(
  changes: Iterable<Change>,
  authenticationType: EntraDomain['authenticationType'],
): WriteOp[][] {
  const phases: WriteOp[][] = [];
  type Unphased<T> = T extends WriteOp ? Omit<T, 'phase'> : never;
  const put = (n: number, op: Unphased<WriteOp>): void => {
    while (phases.length <= n) phases.push([]);
    phases[n]!.push({ ...op, phase: n } as WriteOp);
  };
  for (const c of changes) {
    switch (c.action) {
      case 'Delete':
        if (c.mode === 'disable') put(0, { opId: `d:${c.entraId}`, kind: 'disable', userId: c.entraId });
        else put(0, { opId: `d:${c.entraId}`, kind: 'delete', userId: c.entraId });
        break;
      case 'Update':
        if (c.via) {
          const level = c.phase ?? 0;
          const first = `f1:${c.entraId}`;
          const immutable = c.changes.filter((x) => x.attribute === 'onPremisesImmutableId');
          const rest = c.changes.filter(
            (x) => x.attribute !== 'userPrincipalName' && x.attribute !== 'onPremisesImmutableId',
          );
          put(level, { opId: first, kind: 'update', userId: c.entraId, attributes: { userPrincipalName: c.via } });
          put(level + 1, {
            opId: `f2:${c.entraId}`,
            kind: 'update',
            userId: c.entraId,
            attributes: attributesOf(immutable),
            requires: first,
          });
          put(level + 2, {
            opId: `u:${c.entraId}`,
            kind: 'update',
            userId: c.entraId,
            attributes: { userPrincipalName: c.upn },
            requires: first,
          });
          if (rest.length > 0)
            put(level + 3, {
              opId: `f3:${c.entraId}`,
              kind: 'update',
              userId: c.entraId,
              attributes: attributesOf(rest),
            });
          break;
        }
        put(c.phase ?? 0, {
          opId: `u:${c.entraId}`,
          kind: 'update',
          userId: c.entraId,
          attributes: attributesOf(c.changes),
        });
        break;
      case 'Add': {
        if (!c.restoreId) {
          put(c.phase ?? 0, {
            opId: `a:${c.immutableId}`,
            kind: 'create',
            userPrincipalName: c.upn,
            immutableId: c.immutableId,
            attributes: c.attributes,
            usageLocation: c.usageLocation || null,
            authenticationType,
          });
          break;
        }
        const restorePhase = c.phase ?? 0;
        put(restorePhase, { opId: `r:${c.restoreId}`, kind: 'restore', deletedId: c.restoreId });
        if (c.changes.length > 0)
          put(c.updatePhase ?? restorePhase + 1, {
            opId: `u:${c.restoreId}`,
            kind: 'update',
            userId: c.restoreId,
            attributes: attributesOf(c.changes),
          });
        break;
      }
      default:
        break;
    }
  }
  return phases;
}

/** All write ops of the plan, phase after phase (see planToWritePhases for the ordering contract). */
export function planToWriteOps(
  plan: Pick<Plan, 'changes'> & Partial<Pick<Plan, 'formatVersion'>>,
  authenticationType: EntraDomain['authenticationType'],
): WriteOp[] {
  return planToWritePhases(plan, authenticationType).flat();
}
