// The emulator's seed format (body of POST /_emulator/reset) and its validation, which names every bad field.
import { z } from 'zod';

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
  /** Display name of a built-in role, e.g. "Global Administrator". */
  roleName: string;
  principalIds: string[];
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
}

export interface EmulatorSeed {
  tenantId?: string;
  tenantSize?: TenantSize;
  displayName?: string;
  domains: SeedDomain[];
  users: SeedUser[];
  /** Soft-deleted users (what GET /_emulator/state returns as deletedItems), restorable. */
  deletedUsers?: SeedUser[];
  directoryRoles?: SeedDirectoryRole[];
  apps?: SeedApp[];
}

const nullableString = z.string().nullable().optional();

const userSchema = z
  .object({
    id: z.string().min(1).optional(),
    userPrincipalName: z.string().regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'must look like name@domain'),
    displayName: nullableString,
    givenName: nullableString,
    surname: nullableString,
    mail: nullableString,
    mailNickname: nullableString,
    jobTitle: nullableString,
    department: nullableString,
    employeeId: nullableString,
    mobilePhone: nullableString,
    businessPhones: z.array(z.string()).optional(),
    officeLocation: nullableString,
    preferredLanguage: nullableString,
    usageLocation: nullableString,
    companyName: nullableString,
    accountEnabled: z.boolean().optional(),
    userType: z.enum(['Member', 'Guest']).optional(),
    onPremisesImmutableId: nullableString,
    onPremisesSyncEnabled: z.boolean().nullable().optional(),
    createdDateTime: z.string().optional(),
    deletedDateTime: z.string().optional(),
  })
  .strict();

const seedSchema = z
  .object({
    tenantId: z.string().uuid().optional(),
    tenantSize: z.enum(['small', 'medium', 'large']).optional(),
    displayName: z.string().min(1).optional(),
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
    users: z.array(userSchema),
    deletedUsers: z.array(userSchema).optional(),
    directoryRoles: z.array(z.object({ roleName: z.string(), principalIds: z.array(z.string()) }).strict()).optional(),
    apps: z
      .array(
        z
          .object({
            clientId: z.string().min(1),
            clientSecret: z.string().min(1).optional(),
            displayName: z.string().optional(),
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
  return parsed.data as EmulatorSeed;
}
