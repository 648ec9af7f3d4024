// The diff's last step for one source user: its row (a Skip, or an Update or Add that waits on rename chains) as a change.
import { type Said, say } from './core-messages.js';
import { lower, noteOf, stagingUpn } from './diff-values.js';
import type { Change, DomainSnapshot, EntraUser, SourceUser } from './model.js';
import { blockedNote, type Row, resolveRenameChain } from './rename-chains.js';

/** What the diff knows of the whole snapshot that a row's change depends on. */
export interface RowContext {
  readonly snapshot: Pick<DomainSnapshot, 'authenticationType' | 'stagingDomain'>;
  /** The effective usage location, upper-case, or null for none. */
  readonly usageLocation: string | null;
  /** Entra user holding a lower-case UPN. */
  readonly entraByUpn: { get(key: string): EntraUser | undefined };
  /** The Update row renaming an Entra user (by object id) away from its UPN. */
  readonly renameRowByEntraId: ReadonlyMap<string, Extract<Row, { kind: 'update' }>>;
  /** Old UPNs that restores bring back, with how many restores do. */
  readonly restoreUpnCount: ReadonlyMap<string, number>;
  /** Records that a holder stands in a source user's way (when no row accounts for the holder). */
  readonly markHolder: (holder: EntraUser | null, s: SourceUser) => void;
}

/**
 * The change of one source row (called at once for rows that need no UPN resolved, else after all rows, when every
 * rename row is known).
 */
export function rowChanges({
  snapshot,
  usageLocation,
  entraByUpn,
  renameRowByEntraId,
  restoreUpnCount,
  markHolder,
}: RowContext): (row: Row) => Change {
  // Resolve the UPNs each row needs: a holder must be renaming away successfully (followed iteratively).
  const resolve = (start: Extract<Row, { kind: 'update' }>): boolean =>
    resolveRenameChain(start, entraByUpn.get, (id) => renameRowByEntraId.get(id));

  /** A source user the plan cannot write: Skip as a conflict, the note saying why. */
  const conflict = (s: SourceUser, entraId: string | null, note: string | Said): Change => ({
    action: 'Skip',
    entraId,
    upn: s.userPrincipalName,
    immutableId: s.immutableId,
    displayName: s.displayName,
    reason: 'conflict',
    ...noteOf(note),
  });

  return function changeOf(row: Row): Change {
    const s = row.s;
    if (row.kind === 'skip') {
      return {
        action: 'Skip',
        entraId: row.entra?.id ?? null,
        upn: s.userPrincipalName,
        immutableId: s.immutableId || null,
        displayName: s.displayName ?? null,
        reason: row.reason,
        ...noteOf(row.note),
      };
    }
    if (row.kind === 'update') {
      if (row.need !== null && !resolve(row)) {
        markHolder(row.blockedBy, s);
        return conflict(s, row.entra.id, blockedNote(s.userPrincipalName, row.blockedBy));
      } else if (row.changes.length === 0 && !row.adopt) {
        return {
          action: 'NoChange',
          entraId: row.entra.id,
          upn: s.userPrincipalName,
          immutableId: s.immutableId,
          displayName: s.displayName,
        };
      } else if (row.adopt && snapshot.authenticationType === 'Federated' && !snapshot.stagingDomain) {
        return conflict(s, row.entra.id, say('conflict.federatedNoStaging'));
      } else {
        const via =
          row.adopt && snapshot.authenticationType === 'Federated'
            ? stagingUpn(row.entra, snapshot.stagingDomain!)
            : undefined;
        return {
          action: 'Update',
          entraId: row.entra.id,
          upn: s.userPrincipalName,
          immutableId: s.immutableId,
          changes: row.changes,
          adopt: row.adopt,
          ...(via ? { via } : {}),
          ...(row.phase > 0 ? { phase: row.phase } : {}),
        };
      }
    }
    if (row.restore && row.needs.length > 1 && (restoreUpnCount.get(row.needs[1]!) ?? 0) > 1) {
      return conflict(
        s,
        null,
        say('conflict.restoreTwice', { deletedId: row.restore.id, upn: row.restore.userPrincipalName }),
      );
    }
    let blocked: { upn: string; holder: EntraUser } | null = null;
    // The phase each needed UPN is free in: at once, or one after the rename that frees it.
    const freeIn: number[] = [];
    for (const need of row.needs) {
      const holder = entraByUpn.get(need);
      if (!holder) {
        freeIn.push(0);
        continue;
      }
      const renaming = renameRowByEntraId.get(holder.id);
      if (!renaming || !resolve(renaming)) {
        blocked = { upn: holder.userPrincipalName, holder };
        break;
      }
      freeIn.push(renaming.phase + 1);
    }
    if (blocked) {
      markHolder(blocked.holder, s);
      const forRestore = row.restore !== null && lower(blocked.upn) !== lower(s.userPrincipalName);
      return conflict(s, null, blockedNote(blocked.upn, blocked.holder, forRestore));
    }
    // A restore brings the user back under its old UPN (needs[1] when it differs), then renames it to `upn`.
    const phase = row.restore ? (freeIn[1] ?? freeIn[0]!) : freeIn[0]!;
    const updatePhase = row.restore && row.changes.length > 0 ? Math.max(phase + 1, freeIn[0]!) : 0;
    return {
      action: 'Add',
      upn: s.userPrincipalName,
      immutableId: s.immutableId,
      attributes: row.desired,
      ...(usageLocation !== null && !row.restore ? { usageLocation } : {}),
      restoreId: row.restore?.id ?? null,
      changes: row.changes,
      ...(phase > 0 ? { phase } : {}),
      ...(updatePhase > 0 ? { updatePhase } : {}),
    };
  };
}
