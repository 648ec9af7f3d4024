// Rename chains of the diff: a UPN a row needs is free only when its holder's own rename succeeds, one phase earlier.
import { type Said, say } from './core-messages.js';
import type {
  AttributeChange,
  DeletedEntraUser,
  DesiredAttributes,
  EntraUser,
  SkipReason,
  SourceUser,
} from './model.js';

/** A source user's row while the diff works: Skip, Update (with its rename-chain state) or Add. */
export type Row =
  | { kind: 'skip'; s: SourceUser; entra: EntraUser | null; reason: SkipReason; note: string | Said }
  | {
      kind: 'update';
      s: SourceUser;
      entra: EntraUser;
      adopt: boolean;
      changes: AttributeChange[];
      /** Lower-case UPN this row needs free, or null. */
      need: string | null;
      state: 0 | 1 | 2 | 3; // 0 unresolved, 1 visiting, 2 ok, 3 blocked
      blockedBy: EntraUser | null;
      /** Write phase once resolved ok: 0 when the UPN it needs is free, else one after its holder's rename. */
      phase: number;
    }
  | {
      kind: 'add';
      s: SourceUser;
      desired: DesiredAttributes;
      restore: DeletedEntraUser | null;
      changes: AttributeChange[];
      needs: string[];
    };

/**
 * Resolves the UPN an update row needs: its holder must be renaming away successfully (followed iteratively; a cycle
 * of renames is blocked). Each row on a successful chain gets its write phase; a blocked one, the holder in its way.
 */
export function resolveRenameChain(
  start: Extract<Row, { kind: 'update' }>,
  holderOf: (upn: string) => EntraUser | undefined,
  renameRowOf: (entraId: string) => Extract<Row, { kind: 'update' }> | undefined,
): boolean {
  const path: Extract<Row, { kind: 'update' }>[] = [];
  let cur: Extract<Row, { kind: 'update' }> | undefined = start;
  let ok = false;
  /** The phase of the row the chain ends at; each row on the path waits for the next, one phase later. */
  let phase = 0;
  while (cur) {
    if (cur.state === 2 || cur.state === 3) {
      ok = cur.state === 2;
      phase = cur.phase;
      break;
    }
    if (cur.state === 1) {
      ok = false; // a cycle of renames: none can go first
      break;
    }
    cur.state = 1;
    path.push(cur);
    const holder = holderOf(cur.need!);
    if (!holder || holder.id === cur.entra.id) {
      cur.state = 2;
      cur.phase = 0;
      path.pop();
      ok = true;
      break;
    }
    const next = renameRowOf(holder.id);
    if (!next) {
      cur.state = 3;
      cur.blockedBy = holder;
      path.pop();
      ok = false;
      break;
    }
    cur = next;
  }
  for (let i = path.length - 1; i >= 0; i--) {
    const row = path[i]!;
    row.state = ok ? 2 : 3;
    if (ok) row.phase = ++phase;
    else row.blockedBy = holderOf(row.need!) ?? null;
  }
  return start.state === 2;
}

/** The conflict note of a row whose UPN is held by a user that does not give it up (or not freed at all). */
export const blockedNote = (upn: string, holder: EntraUser | null, forRestore = false): Said =>
  holder
    ? say(forRestore ? 'conflict.upnHeldForRestore' : 'conflict.upnHeld', {
        upn,
        holder: holder.userPrincipalName,
        holderId: holder.id,
      })
    : say('conflict.upnNotFreed', { upn });
