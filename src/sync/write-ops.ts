// Turns a plan's changes into meaning-level write ops (create, update, disable, delete, restore) with stable op ids, in dependency phases.
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
 * Phases: a write that needs a UPN another user's rename frees (diff allows that only when the rename itself
 * can happen) goes in a later phase than the rename; a restore's update comes after the restore. Run the phases
 * one after another; ops inside a phase are independent and may be sent together.
 */

type Update = Extract<Change, { action: 'Update' }>;

const attributesOf = (changes: readonly AttributeChange[]): WriteAttributes => {
  const attributes: Partial<Record<AttributeChange['attribute'], AttributeChange['after']>> = {};
  for (const c of changes) attributes[c.attribute] = c.after;
  return attributes;
};

const renameOf = (changes: readonly AttributeChange[]): { from: string; to: string } | null => {
  const c = changes.find((x) => x.attribute === 'userPrincipalName');
  if (!c || typeof c.before !== 'string' || typeof c.after !== 'string') return null;
  const from = c.before.toLowerCase();
  const to = c.after.toLowerCase();
  return from === to ? null : { from, to };
};

/** The plan's writes grouped in phases that must run one after another. Skip and NoChange never produce ops. */
export function planToWritePhases(
  plan: Pick<Plan, 'changes'>,
  authenticationType: EntraDomain['authenticationType'],
): WriteOp[][] {
  const renameFrom = new Map<string, Update>();
  for (const c of plan.changes) {
    if (c.action !== 'Update') continue;
    const r = renameOf(c.changes);
    if (r) renameFrom.set(r.from, c);
  }
  const level = new Map<Update, number>();
  const levelOf = (start: Update): number => {
    const path: Update[] = [];
    const onPath = new Set<Update>();
    let cur: Update | undefined = start;
    let base = -1;
    while (cur) {
      const known = level.get(cur);
      if (known !== undefined) {
        base = known;
        break;
      }
      if (onPath.has(cur)) throw new Error(`write-ops: UPN renames form a cycle at ${cur.upn}`);
      onPath.add(cur);
      path.push(cur);
      const r = renameOf(cur.changes);
      const next = r ? renameFrom.get(r.to) : undefined;
      cur = next && next !== cur ? next : undefined;
    }
    for (let i = path.length - 1; i >= 0; i--) {
      base += 1;
      level.set(path[i]!, base);
    }
    return level.get(start)!;
  };
  const afterRename = (upn: string): number => {
    const holder = renameFrom.get(upn.toLowerCase());
    return holder ? levelOf(holder) + 1 : 0;
  };

  const phases: WriteOp[][] = [];
  type Unphased<T> = T extends WriteOp ? Omit<T, 'phase'> : never;
  const put = (n: number, op: Unphased<WriteOp>): void => {
    while (phases.length <= n) phases.push([]);
    phases[n]!.push({ ...op, phase: n } as WriteOp);
  };
  for (const c of plan.changes) {
    switch (c.action) {
      case 'Delete':
        if (c.mode === 'disable') put(0, { opId: `d:${c.entraId}`, kind: 'disable', userId: c.entraId });
        else put(0, { opId: `d:${c.entraId}`, kind: 'delete', userId: c.entraId });
        break;
      case 'Update':
        if (c.via) {
          const level = renameOf(c.changes) ? levelOf(c) : 0;
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
        put(renameOf(c.changes) ? levelOf(c) : 0, {
          opId: `u:${c.entraId}`,
          kind: 'update',
          userId: c.entraId,
          attributes: attributesOf(c.changes),
        });
        break;
      case 'Add': {
        if (!c.restoreId) {
          put(afterRename(c.upn), {
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
        const upnChange = c.changes.find((x) => x.attribute === 'userPrincipalName');
        const restoredUpn = typeof upnChange?.before === 'string' ? upnChange.before : c.upn;
        const restoreLevel = afterRename(restoredUpn);
        put(restoreLevel, { opId: `r:${c.restoreId}`, kind: 'restore', deletedId: c.restoreId });
        if (c.changes.length > 0)
          put(Math.max(restoreLevel + 1, afterRename(c.upn)), {
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
  return phases.filter((p) => p.length > 0);
}

/** All write ops of the plan, phase after phase (see planToWritePhases for the ordering contract). */
export function planToWriteOps(
  plan: Pick<Plan, 'changes'>,
  authenticationType: EntraDomain['authenticationType'],
): WriteOp[] {
  return planToWritePhases(plan, authenticationType).flat();
}
