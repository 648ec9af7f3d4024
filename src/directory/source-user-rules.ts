// Validation rules for a source user's fields (Entra's limits), shared by the CSV import and the SCIM client.
import { isDomainName } from '../sync/domain-name.js';

export const LIMITS = {
  userPrincipalName: 113,
  upnLocalPart: 64,
  displayName: 256,
  givenName: 64,
  surname: 64,
  username: 256,
  mail: 256,
  jobTitle: 128,
  department: 64,
  employeeId: 16,
  mobilePhone: 64,
  immutableId: 256,
} as const;

const LOCAL_PART = /^[A-Za-z0-9'!#^~_-]+(\.[A-Za-z0-9'!#^~_-]+)*$/;
const MAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Why a UPN is not acceptable to Entra, or null when it is. */
export function upnProblem(upn: string): string | null {
  const at = upn.lastIndexOf('@');
  if (at <= 0 || at !== upn.indexOf('@')) return `"${upn}" must be name@domain (exactly one @)`;
  const local = upn.slice(0, at);
  const domain = upn.slice(at + 1).toLowerCase();
  if (upn.length > LIMITS.userPrincipalName)
    return `"${upn}" is ${upn.length} characters; at most ${LIMITS.userPrincipalName}`;
  if (local.length > LIMITS.upnLocalPart) return `the part before @ is ${local.length} characters; at most 64`;
  if (!LOCAL_PART.test(local))
    return `"${local}" before @ may only use letters, digits and ' . - _ ! # ^ ~ (no leading, trailing or double dot)`;
  if (!isDomainName(domain)) return `"${domain}" is not a domain name`;
  return null;
}

export const domainOf = (upn: string): string => upn.slice(upn.lastIndexOf('@') + 1).toLowerCase();

export function mailProblem(mail: string): string | null {
  return MAIL.test(mail) ? null : `"${mail}" is not an e-mail address`;
}

/** Graph refuses `$` and `_` in onPremisesImmutableId; blanks would not survive a round trip. */
export function immutableIdProblem(id: string): string | null {
  if (/[\s$_]/.test(id)) return `"${id}" may not contain spaces, "$" or "_"`;
  if (id.length > LIMITS.immutableId) return `is ${id.length} characters; at most ${LIMITS.immutableId}`;
  return null;
}

/** Parses true/false/yes/no/1/0 (any case); undefined when it is none of them. */
export function parseFlag(text: string): boolean | undefined {
  const v = text.trim().toLowerCase();
  if (v === 'true' || v === 'yes' || v === '1') return true;
  if (v === 'false' || v === 'no' || v === '0') return false;
  return undefined;
}
