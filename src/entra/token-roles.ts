// Readiness of the Graph connection: a token can be had and its `roles` claim holds every permission the sync needs.
import { missingPermissions, rolesOfToken } from './admin-consent.js';
import type { Credential } from './credential.js';

/**
 * Gets a token (msal's cache first) and throws, naming what to do, when it cannot be had or lacks a required
 * permission (the same list and rule as `connect`: REQUIRED_PERMISSIONS). Never puts the token in the message.
 */
export async function checkGraphAccess(credential: Pick<Credential, 'getToken'>): Promise<{ roles: string[] }> {
  const token = await credential.getToken();
  if (token.split('.').length !== 3) throw new Error('the access token is not a JWT: check ENTRA_AUTHORITY_HOST');
  const roles = rolesOfToken(token);
  const missing = missingPermissions(roles);
  if (missing.length > 0) {
    throw new Error(
      `the app's token lacks the application permission${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: ` +
        'add them to the app registration and have a Global Administrator grant admin consent',
    );
  }
  return { roles };
}
