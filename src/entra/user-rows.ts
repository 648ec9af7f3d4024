// Graph's user rows as EntraUser and DeletedEntraUser, beside the `$select` lists they mirror so the two never drift.
import type { DeletedEntraUser, EntraUser } from '../sync/model.js';

/** The properties of EntraUser, in `$select` order. */
export const ENTRA_USER_SELECT = [
  'id',
  'userPrincipalName',
  'displayName',
  'givenName',
  'surname',
  'mailNickname',
  'onPremisesImmutableId',
  'onPremisesSyncEnabled',
  'userType',
  'accountEnabled',
  'mail',
  'jobTitle',
  'department',
  'employeeId',
  'mobilePhone',
  'usageLocation',
  'proxyAddresses',
] as const;

/** The properties of DeletedEntraUser, in `$select` order (the deleted-items listing). */
export const DELETED_SELECT = [
  'id',
  'userPrincipalName',
  'onPremisesImmutableId',
  'deletedDateTime',
  'usageLocation',
] as const;

/** A row of a Graph page, as parsed from JSON. */
export type Json = Record<string, unknown>;

export function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}
function bool(v: unknown): boolean | null {
  return typeof v === 'boolean' ? v : null;
}

/** One shared empty list for the many users without proxy addresses (EntraUser's lists are read-only). */
const NO_ADDRESSES: readonly string[] = Object.freeze([]);

/** The page's own array when it holds only strings (the usual case): no copy per user. */
function addresses(v: unknown): readonly string[] {
  if (!Array.isArray(v) || v.length === 0) return NO_ADDRESSES;
  for (const p of v) if (typeof p !== 'string') return v.filter((x): x is string => typeof x === 'string');
  return v as string[];
}

/** The selected properties that are a string or null, and those that are a boolean or null. */
const NULLABLE_STRINGS = ENTRA_USER_SELECT.filter(
  (p) => !['id', 'userPrincipalName', 'onPremisesSyncEnabled', 'accountEnabled', 'proxyAddresses'].includes(p),
);
const NULLABLE_BOOLEANS = ['onPremisesSyncEnabled', 'accountEnabled'] as const;

/**
 * The page's own row when it already is an EntraUser, as Graph sends a `$select` listing: exactly the selected
 * properties, each of its type (id and UPN strings, the others null or of their type, the proxy addresses an array of
 * strings). Handing the parsed row over saves building a second object of 17 properties for each of 100,000 users;
 * an empty address list becomes the shared frozen one, as toEntraUser gives. Null when the row is anything else.
 */
function ownRow(raw: Json): EntraUser | null {
  let properties = 0;
  for (const _ in raw) properties++;
  if (properties !== ENTRA_USER_SELECT.length) return null;
  if (typeof raw.id !== 'string' || typeof raw.userPrincipalName !== 'string') return null;
  for (const p of NULLABLE_STRINGS) {
    const v = raw[p];
    if (v !== null && typeof v !== 'string') return null;
  }
  for (const p of NULLABLE_BOOLEANS) {
    const v = raw[p];
    if (v !== null && typeof v !== 'boolean') return null;
  }
  const list = raw.proxyAddresses;
  if (!Array.isArray(list)) return null;
  for (let i = 0; i < list.length; i++) if (typeof list[i] !== 'string') return null;
  if (list.length === 0) raw.proxyAddresses = NO_ADDRESSES;
  return raw as unknown as EntraUser;
}

/** A user row of a page as an EntraUser: the row itself when it is one already (ownRow), else a copy of its fields. */
export function toEntraUser(raw: Json): EntraUser {
  return ownRow(raw) ?? copiedUser(raw);
}

function copiedUser(raw: Json): EntraUser {
  return {
    id: String(raw.id),
    userPrincipalName: String(raw.userPrincipalName ?? ''),
    displayName: str(raw.displayName),
    givenName: str(raw.givenName),
    surname: str(raw.surname),
    mailNickname: str(raw.mailNickname),
    onPremisesImmutableId: str(raw.onPremisesImmutableId),
    onPremisesSyncEnabled: bool(raw.onPremisesSyncEnabled),
    userType: str(raw.userType),
    accountEnabled: bool(raw.accountEnabled),
    mail: str(raw.mail),
    jobTitle: str(raw.jobTitle),
    department: str(raw.department),
    employeeId: str(raw.employeeId),
    mobilePhone: str(raw.mobilePhone),
    usageLocation: str(raw.usageLocation),
    proxyAddresses: addresses(raw.proxyAddresses),
  };
}

/** A row of the deleted-items listing (DELETED_SELECT) as a DeletedEntraUser. */
export function toDeletedUser(r: Json): DeletedEntraUser {
  return {
    id: String(r.id),
    userPrincipalName: String(r.userPrincipalName ?? ''),
    onPremisesImmutableId: str(r.onPremisesImmutableId),
    deletedDateTime: str(r.deletedDateTime),
    usageLocation: str(r.usageLocation),
  };
}
