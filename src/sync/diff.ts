// Compares a domain's source users with its Entra users and returns one change per in-scope user (pure, O(n)).
// Over 300 lines for a reason: the rules below and the one pass that applies them share the per-key indexes it builds.
import { list, type Said, say } from './core-messages.js';
import {
  attributeChanges,
  deletedByImmutableId,
  lower,
  noteOf,
  originalUpnOfDeleted,
  proxyKeyOf,
  restoreChanges,
  usageLocationChange,
} from './diff-values.js';
import { KeyTable } from './key-table.js';
import { isManaged, sourceUserProblems, toDesired } from './mapping.js';
import type {
  AttributeChange,
  Change,
  DomainSettings,
  DomainSnapshot,
  EntraUser,
  SkipReason,
  SourceUser,
} from './model.js';
import type { Row } from './rename-chains.js';
import { rowChanges } from './row-changes.js';

/*
 * Rules (each in-scope user — every source user and every Entra user of the snapshot — is in exactly one change):
 * - A source user matches the Entra user with the same Immutable ID; failing that, the Entra user with the same
 *   UPN (case-insensitive) that has no Immutable ID ("adopt": the Update sets it). In a federated domain the adopt
 *   carries `via`, the temporary onmicrosoft.com UPN the apply sets the ID under (Skip conflict when the tenant has
 *   no onmicrosoft.com domain).
 * - Skip, in this order: source users sharing an Immutable ID or UPN with another source user (conflict);
 *   pairs whose Entra user is protected (UPN or object id in settings), synced from AD, a guest or an admin-role
 *   holder; invalid source users (the Entra user they match stays in their row, never deleted); Immutable IDs
 *   held by several Entra users (conflict); a UPN the source user needs that a different Entra user holds and
 *   does not give up in this plan (conflict). An Entra user is "giving up" its UPN only when its own Update
 *   renames it and that rename itself succeeds (chains are followed, cycles are conflicts). Following the chain
 *   also gives each Add and Update its write `phase`: one after the rename that frees the UPN it needs (a restore's
 *   follow-up update: `updatePhase`); write-ops.ts only groups by it.
 * - An Entra user that no source user claims: Skip when untouchable or caught in a conflict (e.g. it holds a
 *   UPN a source user wants but has another Immutable ID: never deleted to make room), else Delete
 *   (settings.onDelete; with 'disable' an already disabled user is NoChange).
 * - An unmatched source user whose Immutable ID belongs to a soft-deleted user: Add with restoreId (restore,
 *   then update `changes`; attributes the deleted object does not carry count as changed). The restored user
 *   comes back under its old UPN, so that UPN must be free: not wanted by another source user, not brought back
 *   by another restore, not held by a live user that keeps it (otherwise Skip conflict).
 */

/* - Soft-deleted users are listed by Graph as `<object id without dashes><original UPN>`: the original UPN is
 *   derived from that form (originalUpnOfDeleted) before anything compares it.
 * - Usage location (settings.usageLocation, the effective one): a created user gets it; a matched or restored user
 *   whose usage location is empty gets it as an extra change; a user that has one keeps it.
 * - A source user whose write would set a mail that another Entra user of the snapshot already has as a proxy
 *   address (mail feeds proxyAddresses, unique across objects), or that another source user wants too: Skip
 *   conflict naming the holder. A holder outside the snapshot is only found at write time (that user's failure).
 */

/** `usageLocation` is the effective one (the domain's, else the organization's), null or absent for none. */
export type DiffSettings = Pick<DomainSettings, 'protectedAccounts' | 'onDelete' | 'usageLocation'>;

interface Untouchable {
  readonly reason: SkipReason;
  readonly note: string;
}

/** The plan's changes, unsorted (buildPlan sorts them). */
export function diff(snapshot: DomainSnapshot, settings: DiffSettings): Change[] {
  const domain = snapshot.domain;
  const wanted = settings.usageLocation;
  const usageLocation = typeof wanted === 'string' && wanted.trim() !== '' ? wanted.trim().toUpperCase() : null;
  const deletedUsers = snapshot.deleted.map((d) => {
    const upn = originalUpnOfDeleted(d);
    return upn === d.userPrincipalName ? d : { ...d, userPrincipalName: upn };
  });
  const protectedKeys = new Set(settings.protectedAccounts.map((p) => lower(p.trim())));

  // Entra users are known by their position in snapshot.entra (object ids are unique: the reader keeps one per id);
  // Immutable IDs and lower-case UPNs of both sides by their interned number.
  const entraUsers = snapshot.entra;
  const sourceUsers = snapshot.source;
  const capacity = entraUsers.length + sourceUsers.length;
  const ids = new KeyTable(capacity);
  const upns = new KeyTable(capacity);
  /** Per Immutable ID: the first Entra user holding it (-1: none), how many do, how many source users want it. */
  const idFirstHolder = new Int32Array(capacity).fill(-1);
  const idHolderCount = new Int32Array(capacity);
  const idSourceCount = new Int32Array(capacity);
  /** Every holder of an Immutable ID held more than once, in snapshot order (rare). */
  const idHolders = new Map<number, number[]>();
  /** Per lower-case UPN: the first Entra user with it (-1: none) and how many source users want it. */
  const upnHolder = new Int32Array(capacity).fill(-1);
  const upnSourceCount = new Int32Array(capacity);
  const entraUpnNo = new Int32Array(entraUsers.length);
  const entraUpnKeys: string[] = new Array(entraUsers.length);
  for (let at = 0; at < entraUsers.length; at++) {
    const e = entraUsers[at]!;
    const id = e.onPremisesImmutableId;
    if (id) {
      const n = ids.intern(id);
      const count = ++idHolderCount[n]!;
      if (count === 1) idFirstHolder[n] = at;
      else if (count === 2) idHolders.set(n, [idFirstHolder[n]!, at]);
      else idHolders.get(n)!.push(at);
    }
    const key = lower(e.userPrincipalName);
    entraUpnKeys[at] = key;
    const u = upns.intern(key);
    entraUpnNo[at] = u;
    if (upnHolder[u] === -1) upnHolder[u] = at;
  }
  const sourceIdNo = new Int32Array(sourceUsers.length);
  const sourceUpnNo = new Int32Array(sourceUsers.length);
  const sourceUpnKeys: string[] = new Array(sourceUsers.length);
  for (let i = 0; i < sourceUsers.length; i++) {
    const s = sourceUsers[i]!;
    const n = ids.intern(s.immutableId);
    sourceIdNo[i] = n;
    idSourceCount[n]!++;
    const key = lower(s.userPrincipalName);
    sourceUpnKeys[i] = key;
    // Most source users keep the UPN of the Entra user holding their Immutable ID: its number needs no lookup.
    const holder = idFirstHolder[n]!;
    const u = holder >= 0 && entraUpnKeys[holder] === key ? entraUpnNo[holder]! : upns.intern(key);
    sourceUpnNo[i] = u;
    upnSourceCount[u]!++;
  }
  /** The Entra users holding Immutable ID number n, in snapshot order. */
  const holdersOfId = (n: number): EntraUser[] => {
    const count = idHolderCount[n]!;
    if (count === 0) return [];
    if (count === 1) return [entraUsers[idFirstHolder[n]!]!];
    return idHolders.get(n)!.map((at) => entraUsers[at]!);
  };
  /** Entra user holding a lower-case UPN (the first in snapshot order), by the UPN or its number. */
  const holderAt = (u: number): EntraUser | undefined => {
    const at = u < 0 ? -1 : upnHolder[u]!;
    return at < 0 ? undefined : entraUsers[at];
  };
  const entraByUpn = { get: (key: string): EntraUser | undefined => holderAt(upns.find(key)) };
  /** Whether a source user wants the lower-case UPN. */
  const sourceWantsUpn = (key: string): boolean => {
    const u = upns.find(key);
    return u >= 0 && upnSourceCount[u]! > 0;
  };
  /** Entra users (by position) that a source row or a conflict already accounts for. */
  const claimedAt = new Uint8Array(entraUsers.length);
  /** Position of an Entra user given by object: through its UPN's holder (the common case), else by search (rare). */
  const positionOf = (e: EntraUser): number => {
    const u = upns.find(lower(e.userPrincipalName));
    const at = u < 0 ? -1 : upnHolder[u]!;
    return at >= 0 && entraUsers[at] === e ? at : entraUsers.indexOf(e);
  };
  const deletedById = deletedByImmutableId(deletedUsers);

  // A tenant has a handful of userType spellings: each is lower-cased once, not once per user.
  let lastUserType: string | null = null;
  let lastIsGuest = false;
  const isGuest = (userType: string): boolean => {
    if (userType !== lastUserType) {
      lastUserType = userType;
      lastIsGuest = lower(userType) === 'guest';
    }
    return lastIsGuest;
  };
  const untouchable = (e: EntraUser): Untouchable | null => {
    if (protectedKeys.size > 0 && (protectedKeys.has(lower(e.id)) || protectedKeys.has(lower(e.userPrincipalName))))
      return { reason: 'protected', note: 'protected account' };
    if (e.onPremisesSyncEnabled === true) return { reason: 'ad-synced', note: 'synced from on-premises AD' };
    if (e.userType !== null && isGuest(e.userType)) return { reason: 'guest', note: 'guest user' };
    if (snapshot.adminIds.has(e.id)) return { reason: 'admin-role', note: 'holds an admin role' };
    return null;
  };

  /** Entra users caught in a conflict that no source row carries: their own Skip note. */
  const entraConflict = new Map<string, Said>();
  // Graph's `mail` feeds proxyAddresses, which are unique across users and groups: a mail another object already
  // has as an address (as far as this snapshot shows) or that several source users want cannot be written.
  const proxyHolder = new Map<string, EntraUser>();
  for (const e of snapshot.entra) {
    for (const a of e.proxyAddresses ?? []) proxyHolder.set(proxyKeyOf(a), e);
    if (e.mail) proxyHolder.set(proxyKeyOf(e.mail), e);
  }
  const sourceMailCount = new Map<string, number>();
  for (const x of snapshot.source) {
    if (typeof x.mail !== 'string' || x.mail.trim() === '') continue;
    const key = proxyKeyOf(x.mail);
    sourceMailCount.set(key, (sourceMailCount.get(key) ?? 0) + 1);
  }
  /** The conflict note when the row would write a mail that cannot be written, else null. */
  const mailConflict = (changes: readonly AttributeChange[], self: EntraUser | null): Said | null => {
    let mail: AttributeChange['after'] | undefined;
    for (const c of changes)
      if (c.attribute === 'mail') {
        mail = c.after;
        break;
      }
    if (typeof mail !== 'string' || mail === '') return null;
    const key = proxyKeyOf(mail);
    if ((sourceMailCount.get(key) ?? 0) > 1) return say('conflict.mailWantedTwice', { mail });
    const holder = proxyHolder.get(key);
    if (!holder || holder.id === self?.id) return null;
    // Never deleted to make room: the holder keeps its address until an administrator decides.
    if (!entraConflict.has(holder.id)) entraConflict.set(holder.id, say('conflict.mailOfNonSource', { mail }));
    return say('conflict.mailHeld', { mail, holder: holder.userPrincipalName, holderId: holder.id });
  };

  /**
   * One entry per source user, in source order: its change, or its row while the change waits for the UPNs to be
   * resolved (renames and creates). Rows that need nothing resolved become changes at once, so a million of them
   * are never all held.
   */
  const rows: (Row | Change)[] = [];
  const renameRowByEntraId = new Map<string, Extract<Row, { kind: 'update' }>>();
  /** Old UPNs that restores bring back (two restores may not bring back the same one). */
  const restoreUpnCount = new Map<string, number>();

  const markHolder = (holder: EntraUser | null, s: SourceUser): void => {
    if (holder && claimedAt[positionOf(holder)] !== 1)
      entraConflict.set(
        holder.id,
        say('conflict.holdsSourceUpn', { upn: s.userPrincipalName, immutableId: s.immutableId }),
      );
  };
  const changeOf = rowChanges({ snapshot, usageLocation, entraByUpn, renameRowByEntraId, restoreUpnCount, markHolder });

  let s: SourceUser;
  /** Position in snapshot.entra of the current source user's match, -1 for none. */
  let matchAt = -1;
  const skip = (entra: EntraUser | null, reason: SkipReason, note: string | Said): void => {
    if (entra) claimedAt[matchAt] = 1;
    rows.push(changeOf({ kind: 'skip', s, entra, reason, note }));
  };
  for (let i = 0; i < sourceUsers.length; i++) {
    s = sourceUsers[i]!;
    const upnKey = sourceUpnKeys[i]!;
    const upnNo = sourceUpnNo[i]!;
    const idNo = sourceIdNo[i]!;
    /** How many Entra users hold the source user's Immutable ID (their list is built only for a conflict). */
    const idHeld = s.immutableId ? idHolderCount[idNo]! : 0;

    if (idSourceCount[idNo]! > 1 || upnSourceCount[upnNo]! > 1) {
      const dupId = idSourceCount[idNo]! > 1;
      const note = dupId
        ? say('conflict.sourceImmutableId', { immutableId: s.immutableId })
        : say('conflict.sourceUpn', { upn: s.userPrincipalName });
      if (idHeld > 0) for (const e of holdersOfId(idNo)) entraConflict.set(e.id, note);
      const holder = holderAt(upnNo);
      if (holder) entraConflict.set(holder.id, note);
      skip(null, 'conflict', note);
      continue;
    }
    if (idHeld > 1) {
      const note = say('conflict.immutableIdHeld', { immutableId: s.immutableId, count: idHeld });
      for (const e of holdersOfId(idNo)) entraConflict.set(e.id, note);
      skip(null, 'conflict', note);
      continue;
    }
    matchAt = s.immutableId ? idFirstHolder[idNo]! : -1;
    let adopt = false;
    if (matchAt < 0) {
      const byUpn = upnHolder[upnNo]!;
      if (byUpn >= 0 && !entraUsers[byUpn]!.onPremisesImmutableId) {
        matchAt = byUpn;
        adopt = true;
      }
    }
    const match: EntraUser | null = matchAt < 0 ? null : entraUsers[matchAt]!;
    if (protectedKeys.size > 0 && protectedKeys.has(upnKey)) {
      skip(match, 'protected', 'protected account');
      continue;
    }
    const hold = match ? untouchable(match) : null;
    if (match && hold) {
      skip(match, hold.reason, hold.note);
      continue;
    }
    const errors = sourceUserProblems(s, domain);
    if (errors.length > 0) {
      const holder = holderAt(upnNo);
      if (holder && holder !== match)
        entraConflict.set(holder.id, say('conflict.holdsInvalidUpn', { upn: s.userPrincipalName }));
      skip(
        match,
        'invalid',
        say('invalid', {
          errors: list(
            errors.map((e) => e.message),
            'semicolon',
          ),
        }),
      );
      continue;
    }
    const desired = toDesired(s, domain);
    const mailChanges = match
      ? attributeChanges(match, s, desired)
      : isManaged(s, 'mail') && typeof desired.mail === 'string'
        ? [{ attribute: 'mail' as const, before: null, after: desired.mail }]
        : [];
    const mailClash = mailConflict(mailChanges, match);
    if (mailClash) {
      skip(match, 'conflict', mailClash);
      continue;
    }
    if (match) {
      claimedAt[matchAt] = 1;
      const need = entraUpnNo[matchAt] === upnNo ? null : upnKey;
      const extra = usageLocationChange(match.usageLocation, usageLocation);
      const row: Extract<Row, { kind: 'update' }> = {
        kind: 'update',
        s,
        entra: match,
        adopt,
        changes: extra.length === 0 ? mailChanges : [...mailChanges, ...extra],
        need,
        state: need === null ? 2 : 0,
        blockedBy: null,
        phase: 0,
      };
      rows.push(need === null ? changeOf(row) : row);
      if (need !== null) renameRowByEntraId.set(match.id, row);
      continue;
    }
    const restore = deletedById.get(s.immutableId) ?? null;
    const needs = [upnKey];
    if (restore && lower(restore.userPrincipalName) !== upnKey) {
      const restoredUpn = lower(restore.userPrincipalName);
      // The restored user comes back under its old UPN: no other source user may want that UPN.
      if (sourceWantsUpn(restoredUpn)) {
        skip(
          null,
          'conflict',
          say('conflict.restoreUpnWanted', { deletedId: restore.id, upn: restore.userPrincipalName }),
        );
        continue;
      }
      restoreUpnCount.set(restoredUpn, (restoreUpnCount.get(restoredUpn) ?? 0) + 1);
      needs.push(restoredUpn);
    }
    rows.push({
      kind: 'add',
      s,
      desired,
      restore,
      changes: restore
        ? [...restoreChanges(restore, s, desired), ...usageLocationChange(restore.usageLocation, usageLocation)]
        : [],
      needs,
    });
  }

  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if ('kind' in r) rows[i] = changeOf(r);
  }
  const changes = rows as Change[];

  for (let at = 0; at < entraUsers.length; at++) {
    if (claimedAt[at] === 1) continue;
    const e = entraUsers[at]!;
    const base = {
      entraId: e.id,
      upn: e.userPrincipalName,
      immutableId: e.onPremisesImmutableId || null,
      displayName: e.displayName,
    };
    const hold = untouchable(e);
    if (hold) {
      changes.push({ action: 'Skip', ...base, reason: hold.reason, note: hold.note });
      continue;
    }
    const conflict = entraConflict.get(e.id);
    if (conflict) {
      changes.push({ action: 'Skip', ...base, reason: 'conflict', ...noteOf(conflict) });
      continue;
    }
    if (settings.onDelete === 'disable' && e.accountEnabled === false) {
      changes.push({ action: 'NoChange', ...base, immutableId: e.onPremisesImmutableId ?? '' });
      continue;
    }
    changes.push({ action: 'Delete', ...base, mode: settings.onDelete });
  }
  return changes;
}
