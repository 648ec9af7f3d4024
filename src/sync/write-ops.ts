// Turns a plan's changes into Graph write operations with stable op ids, ordered in dependency phases.
import type { AttributeChange, Change, EntraDomain, Plan } from './model.js';
import type { WriteOp } from './ports.js';

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

export type PasswordFor = (immutableId: string) => string;

type Update = Extract<Change, { action: 'Update' }>;

const bodyOf = (changes: readonly AttributeChange[]): Record<string, unknown> => {
  const body: Record<string, unknown> = {};
  for (const c of changes) body[c.attribute] = c.after;
  return body;
};

const renameOf = (changes: readonly AttributeChange[]): { from: string; to: string } | null => {
  const c = changes.find((x) => x.attribute === 'userPrincipalName');
  if (!c || typeof c.before !== 'string' || typeof c.after !== 'string') return null;
  const from = c.before.toLowerCase();
  const to = c.after.toLowerCase();
  return from === to ? null : { from, to };
};

/** Create body for a new user: required properties, the Immutable ID, a password, other non-empty attributes. */
function createBody(
  change: Extract<Change, { action: 'Add' }>,
  authenticationType: EntraDomain['authenticationType'],
  passwordFor: PasswordFor,
): Record<string, unknown> {
  const a = change.attributes;
  const body: Record<string, unknown> = {
    accountEnabled: a.accountEnabled ?? true,
    displayName: a.displayName,
    mailNickname: a.mailNickname,
    userPrincipalName: a.userPrincipalName,
    onPremisesImmutableId: change.immutableId,
    passwordProfile: {
      // Federated users sign in at their identity provider; the cloud password is never used.
      forceChangePasswordNextSignIn: authenticationType === 'Managed',
      password: passwordFor(change.immutableId),
    },
  };
  for (const key of ['givenName', 'surname', 'mail', 'jobTitle', 'department', 'employeeId', 'mobilePhone'] as const) {
    const v = a[key];
    if (v !== null && v !== undefined && v !== '') body[key] = v;
  }
  // A licence can only be assigned to a user with a usage location (the plan carries the domain's).
  if (change.usageLocation) body.usageLocation = change.usageLocation;
  return body;
}

/** The Updates that rename a user: all a plan's write phases depend on (see renameLevels). */
export function renamingUpdates(changes: Iterable<Change>): Update[] {
  const out: Update[] = [];
  for (const c of changes) if (c.action === 'Update' && renameOf(c.changes)) out.push(c);
  return out;
}

/** How a plan's UPN renames order its writes; built from its renaming Updates alone (a plan read chunk by chunk). */
export interface RenameLevels {
  /** The phase of a renaming Update (after the rename that frees its new UPN). */
  levelOf(update: Update): number;
  /** The first phase in which `upn` is free: after the rename that frees it, else 0. */
  afterRename(upn: string): number;
}

export function renameLevels(renames: Iterable<Update>): RenameLevels {
  const renameFrom = new Map<string, Update>();
  for (const c of renames) {
    const r = renameOf(c.changes);
    if (r) renameFrom.set(r.from, c);
  }
  // Keyed by entra id: a plan read chunk by chunk gives each change as a new object on every read.
  const level = new Map<string, number>();
  const levelOf = (start: Update): number => {
    const path: Update[] = [];
    const onPath = new Set<string>();
    let cur: Update | undefined = start;
    let base = -1;
    while (cur) {
      const known = level.get(cur.entraId);
      if (known !== undefined) {
        base = known;
        break;
      }
      if (onPath.has(cur.entraId)) throw new Error(`write-ops: UPN renames form a cycle at ${cur.upn}`);
      onPath.add(cur.entraId);
      path.push(cur);
      const r = renameOf(cur.changes);
      const next: Update | undefined = r ? renameFrom.get(r.to) : undefined;
      cur = next && next.entraId !== cur.entraId ? next : undefined;
    }
    for (let i = path.length - 1; i >= 0; i--) {
      base += 1;
      level.set(path[i]!.entraId, base);
    }
    return level.get(start.entraId)!;
  };
  const afterRename = (upn: string): number => {
    const holder = renameFrom.get(upn.toLowerCase());
    return holder ? levelOf(holder) + 1 : 0;
  };
  return { levelOf, afterRename };
}

/** The plan's writes grouped in phases that must run one after another. Skip and NoChange never produce ops. */
export function planToWritePhases(
  plan: Pick<Plan, 'changes'>,
  authenticationType: EntraDomain['authenticationType'],
  passwordFor: PasswordFor,
): WriteOp[][] {
  const levels = renameLevels(renamingUpdates(plan.changes));
  return writePhasesOf(plan.changes, levels, authenticationType, passwordFor).filter((p) => p.length > 0);
}

/**
 * The writes of some of a plan's changes (one stored chunk, say), by phase number; a phase may be empty. The
 * numbers are the plan's: `levels` comes from the whole plan's renaming Updates.
 */
export function writePhasesOf(
  changes: Iterable<Change>,
  levels: RenameLevels,
  authenticationType: EntraDomain['authenticationType'],
  passwordFor: PasswordFor,
): WriteOp[][] {
  const { levelOf, afterRename } = levels;
  const phases: WriteOp[][] = [];
  const put = (n: number, op: WriteOp): void => {
    while (phases.length <= n) phases.push([]);
    phases[n]!.push(op);
  };
  for (const c of changes) {
    switch (c.action) {
      case 'Delete':
        if (c.mode === 'disable')
          put(0, { opId: `d:${c.entraId}`, kind: 'update', userId: c.entraId, body: { accountEnabled: false } });
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
          put(level, { opId: first, kind: 'update', userId: c.entraId, body: { userPrincipalName: c.via } });
          put(level + 1, {
            opId: `f2:${c.entraId}`,
            kind: 'update',
            userId: c.entraId,
            body: bodyOf(immutable),
            requires: first,
          });
          put(level + 2, {
            opId: `u:${c.entraId}`,
            kind: 'update',
            userId: c.entraId,
            body: { userPrincipalName: c.upn },
            requires: first,
          });
          if (rest.length > 0)
            put(level + 3, { opId: `f3:${c.entraId}`, kind: 'update', userId: c.entraId, body: bodyOf(rest) });
          break;
        }
        put(renameOf(c.changes) ? levelOf(c) : 0, {
          opId: `u:${c.entraId}`,
          kind: 'update',
          userId: c.entraId,
          body: bodyOf(c.changes),
        });
        break;
      case 'Add': {
        if (!c.restoreId) {
          put(afterRename(c.upn), {
            opId: `a:${c.immutableId}`,
            kind: 'create',
            body: createBody(c, authenticationType, passwordFor),
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
            body: bodyOf(c.changes),
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
  plan: Pick<Plan, 'changes'>,
  authenticationType: EntraDomain['authenticationType'],
  passwordFor: PasswordFor,
): WriteOp[] {
  return planToWritePhases(plan, authenticationType, passwordFor).flat();
}
