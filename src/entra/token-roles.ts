// Which Graph application permissions (`roles` claim of the app's access token) the sync needs, and which are missing.
import { decodeJwt } from 'jose';
import type { Credential } from './credential.js';

/**
 * Each need, with the least-privileged application permission first and the higher ones Graph also accepts, as the
 * "Permissions" tables of the Graph v1.0 reference list them:
 * https://learn.microsoft.com/en-us/graph/api/user-post-users (create/update/delete users),
 * https://learn.microsoft.com/en-us/graph/api/domain-list (domains),
 * https://learn.microsoft.com/en-us/graph/api/directoryrole-list-members (who holds an admin role).
 */
export const REQUIRED_GRAPH_ROLES: readonly { readonly need: string; readonly anyOf: readonly string[] }[] = [
  { need: 'write users', anyOf: ['User.ReadWrite.All', 'Directory.ReadWrite.All'] },
  {
    need: 'read domains',
    anyOf: ['Domain.Read.All', 'Directory.Read.All', 'Domain.ReadWrite.All', 'Directory.ReadWrite.All'],
  },
  {
    need: 'read admin role holders',
    anyOf: [
      'RoleManagement.Read.Directory',
      'RoleManagement.Read.All',
      'Directory.Read.All',
      'RoleManagement.ReadWrite.Directory',
      'Directory.ReadWrite.All',
    ],
  },
];

/** The `roles` claim of an access token (application permissions); the token is ours, read, never verified here. */
export function tokenRoles(accessToken: string): string[] {
  const claims = decodeJwt(accessToken);
  return Array.isArray(claims.roles) ? claims.roles.map(String) : [];
}

/** The least-privileged permission of each need the roles do not cover (empty when all are granted). */
export function missingGraphRoles(roles: readonly string[]): string[] {
  const granted = new Set(roles);
  return REQUIRED_GRAPH_ROLES.filter((r) => !r.anyOf.some((p) => granted.has(p))).map((r) => r.anyOf[0]!);
}

/**
 * Gets a token (msal's cache first) and throws, naming what to do, when it cannot be had or lacks a required
 * permission. Never puts the token in the message.
 */
export async function checkGraphAccess(credential: Pick<Credential, 'getToken'>): Promise<{ roles: string[] }> {
  const token = await credential.getToken();
  let roles: string[];
  try {
    roles = tokenRoles(token);
  } catch {
    throw new Error('the access token is not a JWT: check ENTRA_AUTHORITY_HOST');
  }
  const missing = missingGraphRoles(roles);
  if (missing.length > 0) {
    throw new Error(
      `the app's token lacks the application permission${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: ` +
        'add them to the app registration and have a Global Administrator grant admin consent',
    );
  }
  return { roles };
}
