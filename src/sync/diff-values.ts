// Per-user comparisons of the diff: attribute, restore and usage-location changes, original and staging UPNs.
import type { Said } from './core-messages.js';
import { managedAttributes } from './mapping.js';
import type {
  AttributeChange,
  AttributeValue,
  DeletedEntraUser,
  DesiredAttributes,
  EntraUser,
  SourceUser,
  SyncedAttribute,
} from './model.js';

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
export function usageLocationChange(current: string | null | undefined, wanted: string | null): AttributeChange[] {
  if (wanted === null || current === undefined || !isBlank(current)) return [];
  return [{ attribute: 'usageLocation', before: null, after: wanted }];
}

export const lower = (s: string): string => s.toLowerCase();
const blankToNull = (v: AttributeValue | undefined): AttributeValue =>
  v === undefined || v === null ? null : typeof v === 'string' && v === '' ? null : v;

/** Adds the change of one managed attribute when Entra's value (blank read as null) is not the desired one. */
function compareAttribute(
  out: AttributeChange[],
  attribute: SyncedAttribute,
  current: AttributeValue | undefined,
  wanted: AttributeValue,
): void {
  const before = blankToNull(current);
  if (before !== wanted) out.push({ attribute, before, after: wanted });
}

/**
 * Attribute-level differences between the Entra user and the source's managed values, in SYNCED_ATTRIBUTES order
 * (test/sync/diff.test.ts checks this against that list). It runs for every matched pair of every diff, so each
 * property is read by name: a loop over the attribute names costs a keyed lookup per attribute and side.
 */
export function attributeChanges(entra: EntraUser, source: SourceUser, desired: DesiredAttributes): AttributeChange[] {
  const out: AttributeChange[] = [];
  compareAttribute(out, 'userPrincipalName', entra.userPrincipalName, desired.userPrincipalName);
  compareAttribute(out, 'displayName', entra.displayName, desired.displayName);
  if (source.givenName !== undefined) compareAttribute(out, 'givenName', entra.givenName, desired.givenName);
  if (source.surname !== undefined) compareAttribute(out, 'surname', entra.surname, desired.surname);
  compareAttribute(out, 'mailNickname', entra.mailNickname, desired.mailNickname);
  compareAttribute(out, 'onPremisesImmutableId', entra.onPremisesImmutableId, desired.onPremisesImmutableId);
  if (source.mail !== undefined) compareAttribute(out, 'mail', entra.mail, desired.mail);
  if (source.jobTitle !== undefined) compareAttribute(out, 'jobTitle', entra.jobTitle, desired.jobTitle);
  if (source.department !== undefined) compareAttribute(out, 'department', entra.department, desired.department);
  if (source.employeeId !== undefined) compareAttribute(out, 'employeeId', entra.employeeId, desired.employeeId);
  if (source.mobilePhone !== undefined) compareAttribute(out, 'mobilePhone', entra.mobilePhone, desired.mobilePhone);
  compareAttribute(out, 'accountEnabled', entra.accountEnabled, desired.accountEnabled);
  return out;
}

export function restoreChanges(
  deleted: DeletedEntraUser,
  source: SourceUser,
  desired: DesiredAttributes,
): AttributeChange[] {
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
export function deletedByImmutableId(deleted: readonly DeletedEntraUser[]): Map<string, DeletedEntraUser> {
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

/** The Skip fields for a note: the English, and its code when the note is not a fixed reason. */
export const noteOf = (note: string | Said): { note: string; noteMessage?: Said['message'] } =>
  typeof note === 'string' ? { note } : { note: note.text, noteMessage: note.message };
