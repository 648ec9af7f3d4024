// The emulator's seed format (body of POST /_emulator/reset) and its validation, which names every bad field.
import { z } from 'zod';
import { STRING_PROPS } from './user-schema.js';

export type TenantSize = 'small' | 'medium' | 'large';

export interface SeedDomain {
  id: string;
  authenticationType: 'Managed' | 'Federated';
  isVerified: boolean;
  isDefault?: boolean;
  isInitial?: boolean;
}

/** A Graph user object as the seed gives it (`id` generated when absent). */
export interface SeedUser {
  id?: string;
  userPrincipalName: string;
  displayName?: string | null;
  givenName?: string | null;
  surname?: string | null;
  mail?: string | null;
  mailNickname?: string | null;
  jobTitle?: string | null;
  department?: string | null;
  employeeId?: string | null;
  mobilePhone?: string | null;
  businessPhones?: string[];
  /** `SMTP:`/`smtp:` addresses (default: `SMTP:<mail>` when mail is set); unique across users. */
  proxyAddresses?: string[];
  officeLocation?: string | null;
  preferredLanguage?: string | null;
  usageLocation?: string | null;
  companyName?: string | null;
  accountEnabled?: boolean;
  userType?: 'Member' | 'Guest';
  onPremisesImmutableId?: string | null;
  onPremisesSyncEnabled?: boolean | null;
  createdDateTime?: string;
  /** Only in `deletedUsers`: when it was soft-deleted. */
  deletedDateTime?: string;
}

export interface SeedDirectoryRole {
  /** Display name (or template id) of a built-in role, e.g. "Global Administrator". */
  roleName: string;
  /** Active holders: user ids or UPNs, group ids (role-assignable groups), or an app's client id / service principal id. */
  principalIds: string[];
}

/** PIM eligibilities of a role: eligible principals, and those of them whose eligibility is activated right now. */
export interface SeedRoleEligibility {
  roleName: string;
  principalIds: string[];
  /** Eligible principals that activated the role (an active schedule instance of type "Activated"). */
  activatedIds?: string[];
}

/** A Microsoft 365 or security group; `isAssignableToRole` groups can hold directory roles (no nested groups). */
export interface SeedGroup {
  id: string;
  displayName: string;
  isAssignableToRole?: boolean;
  mail?: string | null;
  /** Unique across users and groups. Default: `SMTP:<mail>` when mail is set. */
  proxyAddresses?: string[];
  /** Member object ids: users (id or UPN), groups, or service principals. */
  members: string[];
}

export interface SeedAppCertificate {
  /** Hex SHA-256 thumbprint of the certificate (as msal-node's `thumbprintSha256`). */
  thumbprintSha256: string;
  publicKeyPem: string;
}

export interface SeedApp {
  clientId: string;
  clientSecret?: string;
  displayName?: string;
  certificates?: SeedAppCertificate[];
  /** Application permissions consented for it (all the emulator knows when absent). */
  permissions?: string[];
  /** Its registered redirect URIs (Web platform); admin consent accepts only an exact match. */
  redirectUris?: string[];
}

/** The tenant's organization object (GET /organization). */
export interface SeedOrganization {
  displayName: string;
  /** ISO 3166 alpha-2 country (the default usage location of the product's new users); null for none. */
  countryLetterCode: string | null;
}

export interface EmulatorSeed {
  tenantId?: string;
  organization?: SeedOrganization;
  tenantSize?: TenantSize;
  displayName?: string;
  domains: SeedDomain[];
  users: SeedUser[];
  /** Soft-deleted users (what GET /_emulator/state returns as deletedItems), restorable. */
  deletedUsers?: SeedUser[];
  directoryRoles?: SeedDirectoryRole[];
  roleEligibilities?: SeedRoleEligibility[];
  groups?: SeedGroup[];
  apps?: SeedApp[];
}

/** String properties a seed may leave null: all of them but the UPN. */
const NULLABLE_STRINGS: ReadonlySet<string> = new Set([...STRING_PROPS].filter((p) => p !== 'userPrincipalName'));
const UPN_SHAPE = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const PROXY_SHAPE = /^[A-Za-z0-9]+:\S+$/;

/** Checks one seed user (hand-written: seeds hold up to a million users, so this must be cheap). */
function checkSeedUser(u: unknown, path: string, problems: string[]): void {
  if (typeof u !== 'object' || u === null || Array.isArray(u)) {
    problems.push(`${path}: must be an object`);
    return;
  }
  for (const [k, v] of Object.entries(u)) {
    const at = `${path}.${k}`;
    if (NULLABLE_STRINGS.has(k)) {
      if (v !== null && v !== undefined && typeof v !== 'string') problems.push(`${at}: must be a string or null`);
    } else if (k === 'userPrincipalName') {
      if (typeof v !== 'string' || !UPN_SHAPE.test(v)) problems.push(`${at}: must look like name@domain`);
    } else if (k === 'id' || k === 'createdDateTime' || k === 'deletedDateTime') {
      if (v !== undefined && (typeof v !== 'string' || v === '')) problems.push(`${at}: must be a non-empty string`);
    } else if (k === 'accountEnabled') {
      if (v !== undefined && typeof v !== 'boolean') problems.push(`${at}: must be true or false`);
    } else if (k === 'onPremisesSyncEnabled') {
      if (v !== undefined && v !== null && typeof v !== 'boolean') problems.push(`${at}: must be true, false or null`);
    } else if (k === 'userType') {
      if (v !== undefined && v !== 'Member' && v !== 'Guest') problems.push(`${at}: must be Member or Guest`);
    } else if (k === 'businessPhones') {
      if (v !== undefined && (!Array.isArray(v) || v.some((x) => typeof x !== 'string')))
        problems.push(`${at}: must be an array of strings`);
    } else if (k === 'proxyAddresses') {
      if (v !== undefined && (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || !PROXY_SHAPE.test(x))))
        problems.push(`${at}: must be an array of addresses such as "SMTP:name@domain" or "smtp:alias@domain"`);
    } else problems.push(`${at}: unknown user property`);
  }
  if (!('userPrincipalName' in u)) problems.push(`${path}.userPrincipalName: required`);
}

const seedSchema = z
  .object({
    tenantId: z.string().uuid().optional(),
    tenantSize: z.enum(['small', 'medium', 'large']).optional(),
    displayName: z.string().min(1).optional(),
    organization: z
      .object({
        displayName: z.string().min(1),
        countryLetterCode: z
          .string()
          .regex(/^[A-Z]{2}$/, 'must be a two-letter upper-case ISO 3166 code such as JP')
          .nullable(),
      })
      .strict()
      .optional(),
    domains: z
      .array(
        z
          .object({
            id: z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i, 'must be a domain name'),
            authenticationType: z.enum(['Managed', 'Federated']),
            isVerified: z.boolean(),
            isDefault: z.boolean().optional(),
            isInitial: z.boolean().optional(),
          })
          .strict(),
      )
      .min(1, 'at least one domain is required'),
    users: z.array(z.unknown()),
    deletedUsers: z.array(z.unknown()).optional(),
    directoryRoles: z.array(z.object({ roleName: z.string(), principalIds: z.array(z.string()) }).strict()).optional(),
    roleEligibilities: z
      .array(
        z
          .object({
            roleName: z.string(),
            principalIds: z.array(z.string()),
            activatedIds: z.array(z.string()).optional(),
          })
          .strict(),
      )
      .optional(),
    groups: z
      .array(
        z
          .object({
            id: z.string().min(1),
            displayName: z.string().min(1),
            isAssignableToRole: z.boolean().optional(),
            mail: z.string().regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'must be an e-mail address').nullable().optional(),
            proxyAddresses: z
              .array(z.string().regex(/^[A-Za-z0-9]+:\S+$/, 'must look like "SMTP:name@domain" or "smtp:alias@domain"'))
              .optional(),
            members: z.array(z.string()),
          })
          .strict(),
      )
      .optional(),
    apps: z
      .array(
        z
          .object({
            clientId: z.string().min(1),
            clientSecret: z.string().min(1).optional(),
            displayName: z.string().optional(),
            redirectUris: z.array(z.string().url('must be an absolute URL')).optional(),
            certificates: z
              .array(
                z
                  .object({
                    thumbprintSha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits'),
                    publicKeyPem: z.string().includes('-----BEGIN', { message: 'must be PEM' }),
                  })
                  .strict(),
              )
              .optional(),
            permissions: z.array(z.string()).optional(),
          })
          .strict(),
      )
      .optional(),
  })
  .strict();

export class SeedError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid emulator seed:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SeedError';
  }
}

/** Validates a seed's shape (types, required fields, formats); throws SeedError naming each bad field. */
export function parseSeed(input: unknown): EmulatorSeed {
  const parsed = seedSchema.safeParse(input);
  if (!parsed.success) {
    throw new SeedError(parsed.error.issues.slice(0, 20).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`));
  }
  const problems: string[] = [];
  parsed.data.users.forEach((u, i) => {
    if (problems.length < 20) checkSeedUser(u, `users.${i}`, problems);
  });
  (parsed.data.deletedUsers ?? []).forEach((u, i) => {
    if (problems.length < 20) checkSeedUser(u, `deletedUsers.${i}`, problems);
  });
  if (problems.length > 0) throw new SeedError(problems.slice(0, 20));
  return parsed.data as EmulatorSeed;
}
