// Compares a domain's source users with its Entra users and returns one change per in-scope user (pure, O(n)).
import { list, type Said, say } from './core-messages.js';
import { isManaged, managedAttributes, sourceUserProblems, toDesired } from './mapping.js';
import {
  type AttributeChange,
  type AttributeValue,
  type Change,
  type DeletedEntraUser,
  type DesiredAttributes,
  type DomainSettings,
  type DomainSnapshot,
  type EntraUser,
  type SkipReason,
  type SourceUser,
  SYNCED_ATTRIBUTES,
  type SyncedAttribute,
} from './model.js';

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

/**
 * The UPN a soft-deleted user comes back with. Graph lists a deleted user's UPN as its object id without dashes
 * followed by the original UPN (https://learn.microsoft.com/en-us/graph/api/directory-deleteditems-list); a bare
 * original UPN is accepted as it is.
 */
export function originalUpnOfDeleted(d: Pick<DeletedEntraUser, 'id' | 'userPrincipalName'>): string {
  const prefix = d.id.replace(/-/g, '').toLowerCase();
  const upn = d.userPrincipalName;
  if (prefix !== '' && upn.toLowerCase().startsWith(prefix) && upn.indexOf('@') > prefix.length)
    return upn.slice(prefix.length);
  return upn;
}

/** A proxy address or mail without its `SMTP:`/`smtp:` type, lower-case: what Graph keeps unique. */
export const proxyKeyOf = (address: string): string => {
  const colon = address.indexOf(':');
  return (colon >= 0 && colon < address.indexOf('@') ? address.slice(colon + 1) : address).trim().toLowerCase();
};

const isBlank = (v: string | null | undefined): boolean => v === null || (typeof v === 'string' && v.trim() === '');

/** The usage-location change a user needs: only when it was read, is empty, and the domain has one. */
function usageLocationChange(current: string | null | undefined, wanted: string | null): AttributeChange[] {
  if (wanted === null || current === undefined || !isBlank(current)) return [];
  return [{ attribute: 'usageLocation', before: null, after: wanted }];
}

const lower = (s: string): string => s.toLowerCase();
const blankToNull = (v: AttributeValue | undefined): AttributeValue =>
  v === undefined || v === null ? null : typeof v === 'string' && v === '' ? null : v;

interface Untouchable {
  readonly reason: SkipReason;
  readonly note: string;
}

type Row =
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

/** Attribute-level differences between the Entra user and the source's managed values. */
export function attributeChanges(entra: EntraUser, source: SourceUser, desired: DesiredAttributes): AttributeChange[] {
  const out: AttributeChange[] = [];
  for (const attribute of SYNCED_ATTRIBUTES) {
    if (!isManaged(source, attribute)) continue;
    const before = blankToNull(entra[attribute]);
    const after = desired[attribute];
    if (before !== after) out.push({ attribute, before, after });
  }
  return out;
}

function restoreChanges(deleted: DeletedEntraUser, source: SourceUser, desired: DesiredAttributes): AttributeChange[] {
  const known = deleted as DeletedEntraUser & Partial<Record<SyncedAttribute, AttributeValue>>;
  const out: AttributeChange[] = [];
  for (const attribute of managedAttributes(source)) {
    const carried = Object.hasOwn(known, attribute) && known[attribute] !== undefined;
    const before = carried ? blankToNull(known[attribute]) : null;
    const after = desired[attribute];
    if (!carried || before !== after) out.push({ attribute, before, after });
  }
  return out;
}

/** Latest soft-deleted user per Immutable ID (ties broken by id, so input order never matters). */
function deletedByImmutableId(deleted: readonly DeletedEntraUser[]): Map<string, DeletedEntraUser> {
  const map = new Map<string, DeletedEntraUser>();
  for (const d of deleted) {
    const id = d.onPremisesImmutableId;
    if (!id) continue;
    const prev = map.get(id);
    if (!prev) {
      map.set(id, d);
      continue;
    }
    const a = prev.deletedDateTime ?? '';
    const b = d.deletedDateTime ?? '';
    if (b > a || (b === a && d.id > prev.id)) map.set(id, d);
  }
  return map;
}

/**
 * The temporary UPN of a federated user being adopted: its local part and the start of its object id (so that two
 * users with the same local part never meet there) on the tenant's onmicrosoft.com domain; at most 64 characters.
 */
export function stagingUpn(entra: Pick<EntraUser, 'id' | 'userPrincipalName'>, stagingDomain: string): string {
  const upn = entra.userPrincipalName;
  const local = upn.slice(0, upn.lastIndexOf('@'));
  return `${local.slice(0, 55)}.${entra.id.replace(/-/g, '').slice(0, 8).toLowerCase()}@${stagingDomain}`;
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

  const entraById = new Map<string, EntraUser[]>();
  const entraByUpn = new Map<string, EntraUser>();
  for (const e of snapshot.entra) {
    const id = e.onPremisesImmutableId;
    if (id) {
      const list = entraById.get(id);
      if (list) list.push(e);
      else entraById.set(id, [e]);
    }
    const key = lower(e.userPrincipalName);
    if (!entraByUpn.has(key)) entraByUpn.set(key, e);
  }
  const sourceIdCount = new Map<string, number>();
  const sourceUpnCount = new Map<string, number>();
  const sourceUpnKeys: string[] = new Array(snapshot.source.length);
  for (let i = 0; i < snapshot.source.length; i++) {
    const s = snapshot.source[i]!;
    sourceIdCount.set(s.immutableId, (sourceIdCount.get(s.immutableId) ?? 0) + 1);
    const key = lower(s.userPrincipalName);
    sourceUpnKeys[i] = key;
    sourceUpnCount.set(key, (sourceUpnCount.get(key) ?? 0) + 1);
  }
  const deletedById = deletedByImmutableId(deletedUsers);

  const untouchable = (e: EntraUser): Untouchable | null => {
    if (protectedKeys.size > 0 && (protectedKeys.has(lower(e.id)) || protectedKeys.has(lower(e.userPrincipalName))))
      return { reason: 'protected', note: 'protected account' };
    if (e.onPremisesSyncEnabled === true) return { reason: 'ad-synced', note: 'synced from on-premises AD' };
    if (e.userType !== null && lower(e.userType) === 'guest') return { reason: 'guest', note: 'guest user' };
    if (snapshot.adminIds.has(e.id)) return { reason: 'admin-role', note: 'holds an admin role' };
    return null;
  };

  const claimed = new Set<string>();
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
    const mail = changes.find((c) => c.attribute === 'mail')?.after;
    if (typeof mail !== 'string' || mail === '') return null;
    const key = proxyKeyOf(mail);
    if ((sourceMailCount.get(key) ?? 0) > 1) return say('conflict.mailWantedTwice', { mail });
    const holder = proxyHolder.get(key);
    if (!holder || holder.id === self?.id) return null;
    // Never deleted to make room: the holder keeps its address until an administrator decides.
    if (!entraConflict.has(holder.id)) entraConflict.set(holder.id, say('conflict.mailOfNonSource', { mail }));
    return say('conflict.mailHeld', { mail, holder: holder.userPrincipalName, holderId: holder.id });
  };

  const rows: Row[] = [];
  const renameRowByEntraId = new Map<string, Extract<Row, { kind: 'update' }>>();
  /** Old UPNs that restores bring back (two restores may not bring back the same one). */
  const restoreUpnCount = new Map<string, number>();

  let s: SourceUser;
  const skip = (entra: EntraUser | null, reason: SkipReason, note: string | Said): void => {
    if (entra) claimed.add(entra.id);
    rows.push({ kind: 'skip', s, entra, reason, note });
  };
  for (let i = 0; i < snapshot.source.length; i++) {
    s = snapshot.source[i]!;
    const upnKey = sourceUpnKeys[i]!;
    const idList = s.immutableId ? entraById.get(s.immutableId) : undefined;

    if ((sourceIdCount.get(s.immutableId) ?? 0) > 1 || (sourceUpnCount.get(upnKey) ?? 0) > 1) {
      const dupId = (sourceIdCount.get(s.immutableId) ?? 0) > 1;
      const note = dupId
        ? say('conflict.sourceImmutableId', { immutableId: s.immutableId })
        : say('conflict.sourceUpn', { upn: s.userPrincipalName });
      for (const e of idList ?? []) entraConflict.set(e.id, note);
      const holder = entraByUpn.get(upnKey);
      if (holder) entraConflict.set(holder.id, note);
      skip(null, 'conflict', note);
      continue;
    }
    if (idList && idList.length > 1) {
      const note = say('conflict.immutableIdHeld', { immutableId: s.immutableId, count: idList.length });
      for (const e of idList) entraConflict.set(e.id, note);
      skip(null, 'conflict', note);
      continue;
    }
    let match: EntraUser | null = idList?.[0] ?? null;
    let adopt = false;
    if (!match) {
      const byUpn = entraByUpn.get(upnKey);
      if (byUpn && !byUpn.onPremisesImmutableId) {
        match = byUpn;
        adopt = true;
      }
    }
    if (protectedKeys.has(upnKey)) {
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
      const holder = entraByUpn.get(upnKey);
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
      claimed.add(match.id);
      const need = lower(match.userPrincipalName) === upnKey ? null : upnKey;
      const row: Extract<Row, { kind: 'update' }> = {
        kind: 'update',
        s,
        entra: match,
        adopt,
        changes: [...mailChanges, ...usageLocationChange(match.usageLocation, usageLocation)],
        need,
        state: need === null ? 2 : 0,
        blockedBy: null,
        phase: 0,
      };
      rows.push(row);
      if (need !== null) renameRowByEntraId.set(match.id, row);
      continue;
    }
    const restore = deletedById.get(s.immutableId) ?? null;
    const needs = [upnKey];
    if (restore && lower(restore.userPrincipalName) !== upnKey) {
      const restoredUpn = lower(restore.userPrincipalName);
      // The restored user comes back under its old UPN: no other source user may want that UPN.
      if (sourceUpnCount.has(restoredUpn)) {
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

  // Resolve the UPNs each row needs: a holder must be renaming away successfully (followed iteratively).
  const resolve = (start: Extract<Row, { kind: 'update' }>): boolean => {
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
      const holder = entraByUpn.get(cur.need!);
      if (!holder || holder.id === cur.entra.id) {
        cur.state = 2;
        cur.phase = 0;
        path.pop();
        ok = true;
        break;
      }
      const next = renameRowByEntraId.get(holder.id);
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
      else row.blockedBy = entraByUpn.get(row.need!) ?? null;
    }
    return start.state === 2;
  };

  const blockedNote = (upn: string, holder: EntraUser | null, forRestore = false): Said =>
    holder
      ? say(forRestore ? 'conflict.upnHeldForRestore' : 'conflict.upnHeld', {
          upn,
          holder: holder.userPrincipalName,
          holderId: holder.id,
        })
      : say('conflict.upnNotFreed', { upn });

  const markHolder = (holder: EntraUser | null, s: SourceUser): void => {
    if (holder && !claimed.has(holder.id))
      entraConflict.set(
        holder.id,
        say('conflict.holdsSourceUpn', { upn: s.userPrincipalName, immutableId: s.immutableId }),
      );
  };

  /** The Skip fields for a note: the English, and its code when the note is not a fixed reason. */
  const noteOf = (note: string | Said): { note: string; noteMessage?: Said['message'] } =>
    typeof note === 'string' ? { note } : { note: note.text, noteMessage: note.message };

  const changes: Change[] = [];
  for (const row of rows) {
    const s = row.s;
    if (row.kind === 'skip') {
      changes.push({
        action: 'Skip',
        entraId: row.entra?.id ?? null,
        upn: s.userPrincipalName,
        immutableId: s.immutableId || null,
        displayName: s.displayName ?? null,
        reason: row.reason,
        ...noteOf(row.note),
      });
      continue;
    }
    if (row.kind === 'update') {
      // A matched user the plan cannot update: Skip as a conflict, the note saying why.
      const conflict = (note: string | Said): Change => ({
        action: 'Skip',
        entraId: row.entra.id,
        upn: s.userPrincipalName,
        immutableId: s.immutableId,
        displayName: s.displayName,
        reason: 'conflict',
        ...noteOf(note),
      });
      if (row.need !== null && !resolve(row)) {
        markHolder(row.blockedBy, s);
        changes.push(conflict(blockedNote(s.userPrincipalName, row.blockedBy)));
      } else if (row.changes.length === 0 && !row.adopt) {
        changes.push({
          action: 'NoChange',
          entraId: row.entra.id,
          upn: s.userPrincipalName,
          immutableId: s.immutableId,
          displayName: s.displayName,
        });
      } else if (row.adopt && snapshot.authenticationType === 'Federated' && !snapshot.stagingDomain) {
        changes.push(conflict(say('conflict.federatedNoStaging')));
      } else {
        const via =
          row.adopt && snapshot.authenticationType === 'Federated'
            ? stagingUpn(row.entra, snapshot.stagingDomain!)
            : undefined;
        changes.push({
          action: 'Update',
          entraId: row.entra.id,
          upn: s.userPrincipalName,
          immutableId: s.immutableId,
          changes: row.changes,
          adopt: row.adopt,
          ...(via ? { via } : {}),
          ...(row.phase > 0 ? { phase: row.phase } : {}),
        });
      }
      continue;
    }
    if (row.restore && row.needs.length > 1 && (restoreUpnCount.get(row.needs[1]!) ?? 0) > 1) {
      changes.push({
        action: 'Skip',
        entraId: null,
        upn: s.userPrincipalName,
        immutableId: s.immutableId,
        displayName: s.displayName,
        reason: 'conflict',
        ...noteOf(say('conflict.restoreTwice', { deletedId: row.restore.id, upn: row.restore.userPrincipalName })),
      });
      continue;
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
      changes.push({
        action: 'Skip',
        entraId: null,
        upn: s.userPrincipalName,
        immutableId: s.immutableId,
        displayName: s.displayName,
        reason: 'conflict',
        ...noteOf(blockedNote(blocked.upn, blocked.holder, forRestore)),
      });
      continue;
    }
    // A restore brings the user back under its old UPN (needs[1] when it differs), then renames it to `upn`.
    const phase = row.restore ? (freeIn[1] ?? freeIn[0]!) : freeIn[0]!;
    const updatePhase = row.restore && row.changes.length > 0 ? Math.max(phase + 1, freeIn[0]!) : 0;
    changes.push({
      action: 'Add',
      upn: s.userPrincipalName,
      immutableId: s.immutableId,
      attributes: row.desired,
      ...(usageLocation !== null && !row.restore ? { usageLocation } : {}),
      restoreId: row.restore?.id ?? null,
      changes: row.changes,
      ...(phase > 0 ? { phase } : {}),
      ...(updatePhase > 0 ? { updatePhase } : {}),
    });
  }

  for (const e of snapshot.entra) {
    if (claimed.has(e.id)) continue;
    claimed.add(e.id);
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
