// The emulated directory's objects besides users: domains, groups, service principals, built-in roles and their
// assignments and PIM eligibilities, with the deterministic ids a seed without ids gets.
import { createHash } from 'node:crypto';
import type { SeedDomain } from './seed.js';

export interface RoleDefinition {
  id: string;
  displayName: string;
  description: string;
  isBuiltIn: true;
  isEnabled: true;
  templateId: string;
}

/** Built-in Entra roles (template ids as documented in "Microsoft Entra built-in roles"). */
export const ROLE_DEFINITIONS: readonly RoleDefinition[] = (
  [
    ['62e90394-69f5-4237-9190-012177145e10', 'Global Administrator', 'Can manage all aspects of Microsoft Entra ID.'],
    ['e8611ab8-c189-46e8-94e1-60213ab1f814', 'Privileged Role Administrator', 'Can manage role assignments.'],
    [
      '7be44c8a-adaf-4e2a-84d6-ab2649e08a13',
      'Privileged Authentication Administrator',
      'Can access to view, set and reset authentication method information for any user (admin or non-admin).',
    ],
    ['fe930be7-5e62-47db-91af-98c3a49a38b1', 'User Administrator', 'Can manage all aspects of users and groups.'],
    ['f2ef992c-3afb-46b9-b7cf-a126ee74c451', 'Global Reader', 'Can read everything that a Global Administrator can.'],
    ['729827e3-9c14-49f7-bb1b-9608f156bbb8', 'Helpdesk Administrator', 'Can reset passwords for non-administrators.'],
    ['29232cdf-9323-42fd-ade2-1d097af3e4de', 'Exchange Administrator', 'Can manage all aspects of Exchange.'],
    ['194ae4cb-b126-40b2-bd5b-6091b380977d', 'Security Administrator', 'Can read security information and reports.'],
    ['b0f54661-2d74-4c50-afa3-1ec803f12efe', 'Billing Administrator', 'Can perform common billing related tasks.'],
  ] as const
).map(([id, displayName, description]) => ({
  id,
  displayName,
  description,
  isBuiltIn: true,
  isEnabled: true,
  templateId: id,
}));

export interface RoleAssignment {
  id: string;
  principalId: string;
  roleDefinitionId: string;
  directoryScopeId: '/';
}

/** A PIM eligibility (unifiedRoleEligibilityScheduleInstance); `activated` ones are also active assignments. */
export interface RoleEligibility {
  id: string;
  principalId: string;
  roleDefinitionId: string;
  directoryScopeId: '/';
  activated: boolean;
}

export interface GroupData {
  id: string;
  displayName: string;
  isAssignableToRole: boolean;
  mail: string | null;
  proxyAddresses: string[];
  /** Direct members' object ids (users, groups, service principals). */
  members: string[];
}

/** The service principal of an app registration, as a role holder or group member. */
export interface ServicePrincipal {
  id: string;
  appId: string;
  displayName: string;
}

export type PrincipalKind = 'user' | 'group' | 'servicePrincipal';

export interface Domain extends Required<SeedDomain> {}

/** A deterministic GUID-shaped id from a key (so seeds without ids give the same ids every run). */
export function stableId(key: string): string {
  const h = createHash('sha256').update(key).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function assignmentId(roleId: string, principalId: string): string {
  return createHash('sha256').update(`${roleId}/${principalId}`).digest('base64url').slice(0, 43);
}
