// Maps an Access Control user to the Entra attributes the sync manages, and checks it against Graph's rules.
import { type Said, say } from './core-messages.js';
import {
  type AttributeValue,
  type DesiredAttributes,
  SYNCED_ATTRIBUTES,
  type SourceUser,
  type SyncedAttribute,
} from './model.js';
import { isDomainName } from './domain-name.js';

/*
 * Limits from the Microsoft Graph v1.0 `user` resource type
 * (https://learn.microsoft.com/graph/api/resources/user): displayName ≤ 256 (required on create),
 * givenName ≤ 64, surname ≤ 64, mailNickname ≤ 64 (required on create), jobTitle ≤ 128, department ≤ 64,
 * employeeId ≤ 16, mobilePhone ≤ 64; userPrincipalName is alias@domain with a verified domain and only
 * A–Z a–z 0–9 ' . - _ ! # ^ ~ in the alias; onPremisesImmutableId must not contain `$` or `_`.
 * The UPN limits (64 before `@`, 113 in all) are from "Microsoft Entra ID account restrictions".
 */
export const LIMITS = {
  displayName: 256,
  givenName: 64,
  surname: 64,
  mailNickname: 64,
  jobTitle: 128,
  department: 64,
  employeeId: 16,
  mobilePhone: 64,
  mail: 256,
  upnLocal: 64,
  upn: 113,
  immutableId: 256,
} as const;

/** Graph's alias characters (A–Z a–z 0–9 ' . - _ ! # ^ ~), by code unit. */
const ALIAS_CHAR = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'.-_!#^~")
  ALIAS_CHAR[c.charCodeAt(0)] = 1;
const DOT = 46;

/**
 * True when `upn` up to `end` is a valid alias: one or more of Graph's alias characters, no dot first or last, no two
 * dots in a row. Checked in place (no slice, no regular expression): the diff asks it twice per source user.
 */
function isValidAlias(upn: string, end: number): boolean {
  if (end <= 0) return false;
  let previous = DOT; // a dot first is refused like two in a row
  for (let i = 0; i < end; i++) {
    const c = upn.charCodeAt(i);
    if (c >= 128 || ALIAS_CHAR[c] === 0 || (c === DOT && previous === DOT)) return false;
    previous = c;
  }
  return previous !== DOT;
}

const MAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Characters Graph refuses in onPremisesImmutableId (and white space). */
const IMMUTABLE_ID_BAD = /[$_\s]/;
/** Characters Exchange accepts in a mail alias; anything else becomes `_`. */
const NICKNAME_BAD = /[^A-Za-z0-9'.\-_!#^~]/g;

/** Optional string attributes: undefined = not managed, null (or '') = clear it. */
export const OPTIONAL_STRINGS = [
  'givenName',
  'surname',
  'mail',
  'jobTitle',
  'department',
  'employeeId',
  'mobilePhone',
] as const;

/** The mail alias derived from the UPN's local part (Graph requires one on create). */
export function mailNicknameFor(upn: string): string {
  const at = upn.lastIndexOf('@');
  const end = at >= 0 ? at : upn.length;
  if (isValidAlias(upn, end)) return upn.slice(0, Math.min(end, LIMITS.mailNickname));
  const local = upn.slice(0, end);
  let nick = local.replace(NICKNAME_BAD, '_').replace(/^\.+|\.+$/g, '');
  nick = nick.replace(/\.{2,}/g, '.');
  return nick.slice(0, LIMITS.mailNickname);
}

/** An optional attribute's desired value: null (clear) for null or blank, undefined (not managed) stays null. */
const desiredOptional = (v: string | null | undefined): AttributeValue =>
  v === undefined || v === null || v.trim() === '' ? null : v;

/** The attributes of `source` that the sync manages (undefined optional fields are left alone in Entra). */
export function managedAttributes(source: SourceUser): SyncedAttribute[] {
  return SYNCED_ATTRIBUTES.filter((a) => isManaged(source, a));
}

const OPTIONAL_SET: ReadonlySet<string> = new Set(OPTIONAL_STRINGS);

/** Whether the sync manages `attribute` for `source` (required ones always; optional ones unless undefined). */
export function isManaged(source: SourceUser, attribute: SyncedAttribute): boolean {
  return !OPTIONAL_SET.has(attribute) || source[attribute as (typeof OPTIONAL_STRINGS)[number]] !== undefined;
}

/**
 * Desired Entra values for a source user. Every synced attribute is present; an attribute the source leaves
 * undefined is null here and is not managed (see managedAttributes): it is never compared nor cleared.
 * Each property is read by name (no loop over attribute names): the diff calls this once per source user.
 */
export function toDesired(source: SourceUser, _domain?: string): DesiredAttributes {
  return {
    userPrincipalName: source.userPrincipalName,
    displayName: source.displayName,
    givenName: desiredOptional(source.givenName),
    surname: desiredOptional(source.surname),
    mailNickname: mailNicknameFor(source.userPrincipalName),
    onPremisesImmutableId: source.immutableId,
    mail: desiredOptional(source.mail),
    jobTitle: desiredOptional(source.jobTitle),
    department: desiredOptional(source.department),
    employeeId: desiredOptional(source.employeeId),
    mobilePhone: desiredOptional(source.mobilePhone),
    accountEnabled: source.accountEnabled ?? true,
  };
}

/** True when the part of `upn` after its first `@` is `domain`, compared case-insensitively. */
function hasDomain(upn: string, domain: string): boolean {
  const at = upn.indexOf('@');
  // The exact spelling (nearly every UPN) needs no lower-case copies.
  if (upn.length - at - 1 === domain.length && upn.endsWith(domain)) return true;
  return upn.slice(at + 1).toLowerCase() === domain.toLowerCase();
}

/** True when `upn` is alias@domain with Graph's alias characters (domain not checked against a tenant). */
export function isValidUpnSyntax(upn: string, knownDomain?: string): boolean {
  const at = upn.indexOf('@');
  if (at <= 0 || at !== upn.lastIndexOf('@')) return false;
  if (at > LIMITS.upnLocal || upn.length > LIMITS.upn) return false;
  if (!isValidAlias(upn, at)) return false;
  if (knownDomain !== undefined && hasDomain(upn, knownDomain)) return true;
  return isDomainName(upn.slice(at + 1).toLowerCase());
}

/** Adds the problem of an optional text attribute: not text, or longer than Graph allows. */
function optionalProblem(errors: Said[], field: (typeof OPTIONAL_STRINGS)[number], v: unknown, limit: number): void {
  if (v === undefined || v === null) return;
  if (typeof v !== 'string') errors.push(say('source.notText', { field }));
  else if (v.length > limit) errors.push(say('source.tooLong', { field, max: limit }));
}

/** Every rule `source` breaks, one readable sentence each naming the field; [] when it can be synced. */
export function validateSourceUser(source: SourceUser, domain: string): string[] {
  return sourceUserProblems(source, domain).map((p) => p.text);
}

/** The same as validateSourceUser, each sentence with its code and values (core-messages.ts). */
export function sourceUserProblems(source: SourceUser, domain: string): Said[] {
  const errors: Said[] = [];
  const upn = source.userPrincipalName;
  if (typeof upn !== 'string' || upn.trim() === '') {
    errors.push(say('source.upnRequired'));
  } else if (!isValidUpnSyntax(upn, domain)) {
    errors.push(say('source.upnInvalid', { upn, localMax: LIMITS.upnLocal, max: LIMITS.upn }));
  } else {
    if (!hasDomain(upn, domain)) errors.push(say('source.upnOtherDomain', { upn, domain }));
    if (mailNicknameFor(upn) === '') errors.push(say('source.emptyMailNickname', { upn }));
  }
  const id = source.immutableId;
  if (typeof id !== 'string' || id.trim() === '') errors.push(say('source.immutableIdRequired'));
  else if (IMMUTABLE_ID_BAD.test(id)) errors.push(say('source.immutableIdCharacters', { immutableId: id }));
  else if (id.length > LIMITS.immutableId)
    errors.push(say('source.tooLong', { field: 'immutableId', max: LIMITS.immutableId }));
  if (typeof source.displayName !== 'string' || source.displayName.trim() === '')
    errors.push(say('source.displayNameRequired'));
  else if (source.displayName.length > LIMITS.displayName)
    errors.push(say('source.tooLong', { field: 'displayName', max: LIMITS.displayName }));
  // In OPTIONAL_STRINGS order, each read by name (this runs once per source user of every diff).
  optionalProblem(errors, 'givenName', source.givenName, LIMITS.givenName);
  optionalProblem(errors, 'surname', source.surname, LIMITS.surname);
  optionalProblem(errors, 'mail', source.mail, LIMITS.mail);
  optionalProblem(errors, 'jobTitle', source.jobTitle, LIMITS.jobTitle);
  optionalProblem(errors, 'department', source.department, LIMITS.department);
  optionalProblem(errors, 'employeeId', source.employeeId, LIMITS.employeeId);
  optionalProblem(errors, 'mobilePhone', source.mobilePhone, LIMITS.mobilePhone);
  if (typeof source.mail === 'string' && source.mail.trim() !== '' && !MAIL.test(source.mail))
    errors.push(say('source.mailInvalid', { mail: source.mail }));
  if (source.accountEnabled !== undefined && typeof source.accountEnabled !== 'boolean')
    errors.push(say('source.accountEnabled'));
  return errors;
}
