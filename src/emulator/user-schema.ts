// The Graph user resource as the emulator serves it: properties, default property set, writability, validation rules.
import countries from 'i18n-iso-countries';

export interface UserData {
  id: string;
  userPrincipalName: string;
  displayName: string | null;
  givenName: string | null;
  surname: string | null;
  mail: string | null;
  mailNickname: string | null;
  jobTitle: string | null;
  department: string | null;
  employeeId: string | null;
  mobilePhone: string | null;
  businessPhones: string[];
  /**
   * `SMTP:` (primary) and `smtp:` addresses, unique across users and groups; read-only in Graph, fed by `mail`
   * (https://learn.microsoft.com/en-us/graph/api/resources/user, property proxyAddresses).
   */
  proxyAddresses: string[];
  officeLocation: string | null;
  preferredLanguage: string | null;
  usageLocation: string | null;
  companyName: string | null;
  accountEnabled: boolean;
  userType: 'Member' | 'Guest';
  onPremisesImmutableId: string | null;
  onPremisesSyncEnabled: boolean | null;
  createdDateTime: string;
  deletedDateTime: string | null;
}

export type UserProp = keyof UserData;

/** Every property the emulator knows on microsoft.graph.user. */
export const USER_PROPS: readonly UserProp[] = [
  'id',
  'userPrincipalName',
  'displayName',
  'givenName',
  'surname',
  'mail',
  'mailNickname',
  'jobTitle',
  'department',
  'employeeId',
  'mobilePhone',
  'businessPhones',
  'proxyAddresses',
  'officeLocation',
  'preferredLanguage',
  'usageLocation',
  'companyName',
  'accountEnabled',
  'userType',
  'onPremisesImmutableId',
  'onPremisesSyncEnabled',
  'createdDateTime',
  'deletedDateTime',
];

/** What GET /users returns without $select (https://learn.microsoft.com/en-us/graph/api/user-list). */
export const DEFAULT_USER_PROPS: readonly UserProp[] = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
];

/** Properties a client may set with POST/PATCH (plus the write-only passwordProfile). */
export const WRITABLE_USER_PROPS: ReadonlySet<string> = new Set([
  'userPrincipalName',
  'displayName',
  'givenName',
  'surname',
  'mail',
  'mailNickname',
  'jobTitle',
  'department',
  'employeeId',
  'mobilePhone',
  'businessPhones',
  'officeLocation',
  'preferredLanguage',
  'usageLocation',
  'companyName',
  'accountEnabled',
  'userType',
  'onPremisesImmutableId',
  'passwordProfile',
]);

/** Properties mastered on-premises for users with onPremisesSyncEnabled (Graph refuses to change them). */
export const SYNCED_USER_PROPS: ReadonlySet<string> = new Set([
  'userPrincipalName',
  'displayName',
  'givenName',
  'surname',
  'mail',
  'mailNickname',
  'jobTitle',
  'department',
  'employeeId',
  'mobilePhone',
  'businessPhones',
  'officeLocation',
  'companyName',
  'accountEnabled',
  'onPremisesImmutableId',
]);

/** User properties whose values are strings. */
export const STRING_PROPS: ReadonlySet<string> = new Set([
  'userPrincipalName',
  'displayName',
  'givenName',
  'surname',
  'mail',
  'mailNickname',
  'jobTitle',
  'department',
  'employeeId',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'usageLocation',
  'companyName',
  'onPremisesImmutableId',
]);

/** Maximum lengths Graph enforces on string properties. */
const MAX_LENGTH: Record<string, number> = {
  userPrincipalName: 113,
  displayName: 256,
  givenName: 64,
  surname: 64,
  mail: 256,
  mailNickname: 64,
  jobTitle: 128,
  department: 64,
  employeeId: 16,
  mobilePhone: 64,
  officeLocation: 128,
  companyName: 64,
  onPremisesImmutableId: 256,
};

/** A problem with one property of a write; `code` is Graph's error code. */
export interface PropertyProblem {
  prop: string;
  message: string;
}

export function invalidValue(prop: string): PropertyProblem {
  return { prop, message: `Invalid value specified for property '${prop}' of resource 'User'.` };
}

/** Checks types and formats of the properties in a POST/PATCH body; returns the first problem or null. */
export function checkUserProperties(body: Record<string, unknown>): PropertyProblem | null {
  for (const [prop, value] of Object.entries(body)) {
    if (prop.startsWith('@odata.')) continue;
    if (!WRITABLE_USER_PROPS.has(prop)) {
      if ((USER_PROPS as readonly string[]).includes(prop))
        return { prop, message: `Property '${prop}' is read-only and cannot be set.` };
      return { prop, message: `Property '${prop}' does not exist as a declared property or extension property.` };
    }
    if (STRING_PROPS.has(prop)) {
      if (value !== null && typeof value !== 'string') return invalidValue(prop);
      if (typeof value === 'string' && value.length > (MAX_LENGTH[prop] ?? 256)) return invalidValue(prop);
    }
    if (prop === 'accountEnabled' && typeof value !== 'boolean') return invalidValue(prop);
    if (prop === 'userType' && value !== 'Member' && value !== 'Guest') return invalidValue(prop);
    if (prop === 'businessPhones' && (!Array.isArray(value) || value.some((v) => typeof v !== 'string')))
      return invalidValue(prop);
    if (prop === 'userPrincipalName' && (typeof value !== 'string' || !isValidUpn(value)))
      return {
        prop,
        message: `Invalid value specified for property 'userPrincipalName' of resource 'User'.`,
      };
    if (prop === 'mailNickname' && (typeof value !== 'string' || !/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]+$/.test(value)))
      return invalidValue(prop);
    if (prop === 'onPremisesImmutableId' && typeof value === 'string' && (/[$_\s]/.test(value) || value === ''))
      return invalidValue(prop);
    // "A two-letter country code (ISO standard 3166)" (https://learn.microsoft.com/en-us/graph/api/resources/user).
    if (
      prop === 'usageLocation' &&
      typeof value === 'string' &&
      !(/^[A-Z]{2}$/.test(value) && Object.hasOwn(countries.getAlpha2Codes(), value))
    )
      return invalidValue(prop);
    if (prop === 'passwordProfile') {
      const problem = checkPasswordProfile(value);
      if (problem) return problem;
    }
  }
  return null;
}

/** UPN format: alias@domain, alias of allowed characters, no leading/trailing or double dots. */
export function isValidUpn(upn: string): boolean {
  const m = /^([^@]+)@([a-z0-9-]+(?:\.[a-z0-9-]+)+)$/i.exec(upn);
  if (!m) return false;
  const alias = m[1]!;
  if (alias.startsWith('.') || alias.endsWith('.') || alias.includes('..')) return false;
  return /^[A-Za-z0-9'.\-_!#^~&]+$/.test(alias);
}

function checkPasswordProfile(value: unknown): PropertyProblem | null {
  if (typeof value !== 'object' || value === null) return invalidValue('passwordProfile');
  const p = value as Record<string, unknown>;
  for (const k of Object.keys(p)) {
    if (!['password', 'forceChangePasswordNextSignIn', 'forceChangePasswordNextSignInWithMfa'].includes(k))
      return invalidValue('passwordProfile');
  }
  if (p.password !== undefined) {
    if (typeof p.password !== 'string') return invalidValue('passwordProfile');
    if (!isComplexPassword(p.password))
      return {
        prop: 'passwordProfile',
        message:
          'The specified password does not comply with password complexity requirements. Please provide a different password.',
      };
  }
  return null;
}

/** Entra's default policy: 8–256 characters and three of lower case, upper case, digits, symbols. */
export function isComplexPassword(pw: string): boolean {
  if (pw.length < 8 || pw.length > 256) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(pw)).length;
  return classes >= 3;
}

/** A full user record from partial input, with Graph's defaults for what is absent. */
export function completeUser(
  input: Partial<UserData> & { id: string; userPrincipalName: string },
  now: string,
): UserData {
  return {
    id: input.id,
    userPrincipalName: input.userPrincipalName,
    displayName: input.displayName ?? null,
    givenName: input.givenName ?? null,
    surname: input.surname ?? null,
    mail: input.mail ?? null,
    mailNickname: input.mailNickname ?? input.userPrincipalName.split('@')[0]!,
    jobTitle: input.jobTitle ?? null,
    department: input.department ?? null,
    employeeId: input.employeeId ?? null,
    mobilePhone: input.mobilePhone ?? null,
    businessPhones: input.businessPhones ?? [],
    proxyAddresses: input.proxyAddresses ?? (input.mail ? [`SMTP:${input.mail}`] : []),
    officeLocation: input.officeLocation ?? null,
    preferredLanguage: input.preferredLanguage ?? null,
    usageLocation: input.usageLocation ?? null,
    companyName: input.companyName ?? null,
    accountEnabled: input.accountEnabled ?? true,
    userType: input.userType ?? (input.userPrincipalName.includes('#EXT#') ? 'Guest' : 'Member'),
    onPremisesImmutableId: input.onPremisesImmutableId ?? null,
    onPremisesSyncEnabled: input.onPremisesSyncEnabled ?? null,
    createdDateTime: input.createdDateTime ?? now,
    deletedDateTime: input.deletedDateTime ?? null,
  };
}

/** The address of a proxy address without its type prefix, lower-case: what uniqueness compares. */
export function proxyKey(address: string): string {
  const colon = address.indexOf(':');
  return (colon >= 0 ? address.slice(colon + 1) : address).trim().toLowerCase();
}

/**
 * The proxy addresses after `mail` changed from `before` to `after`: the new mail becomes the primary `SMTP:`
 * address, the previous primary stays as a secondary `smtp:` address (as Exchange Online keeps it).
 */
export function proxyAddressesAfterMail(current: readonly string[], after: string | null): string[] {
  const out = current.map((a) => (a.startsWith('SMTP:') ? `smtp:${a.slice(5)}` : a));
  if (!after) return out;
  const key = proxyKey(after);
  return [`SMTP:${after}`, ...out.filter((a) => proxyKey(a) !== key)];
}

/** Projects a user to the requested properties (the default set when none). */
export function projectUser(u: UserData, select: readonly string[] | null): Record<string, unknown> {
  const props = select ?? DEFAULT_USER_PROPS;
  const out: Record<string, unknown> = {};
  for (const p of props) out[p] = u[p as UserProp] ?? null;
  return out;
}
