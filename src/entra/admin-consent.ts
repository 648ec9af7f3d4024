// The admin consent link an administrator opens to grant the app its Graph permissions, and its callback's answer.

export interface AdminConsentUrlOptions {
  /** e.g. https://login.microsoftonline.com (no tenant). */
  readonly authorityHost: string;
  /** The tenant to consent in (its id or a verified domain; `organizations` lets the admin pick). */
  readonly tenantId: string;
  readonly clientId: string;
  /** Where the authority sends the admin back (must be a redirect URI of the app registration). */
  readonly redirectUri: string;
  /** Opaque value echoed back, to tie the answer to the request. */
  readonly state: string;
}

/** `{authorityHost}/{tenant}/adminconsent?client_id=…&redirect_uri=…&state=…` (Microsoft identity platform). */
export function adminConsentUrl(options: AdminConsentUrlOptions): string {
  const host = new URL(options.authorityHost);
  if (host.protocol !== 'https:') throw new Error('authorityHost: must be an https:// URL');
  if (!options.tenantId) throw new Error('tenantId: required for the admin consent link');
  if (!options.clientId) throw new Error('clientId: required for the admin consent link');
  const redirect = new URL(options.redirectUri);
  if (redirect.protocol !== 'https:' && !['127.0.0.1', 'localhost', '[::1]'].includes(redirect.hostname)) {
    throw new Error('redirectUri: must be https:// (or http:// on a loopback address)');
  }
  const url = new URL(`${host.origin}/${encodeURIComponent(options.tenantId)}/adminconsent`);
  url.searchParams.set('client_id', options.clientId);
  url.searchParams.set('redirect_uri', redirect.toString());
  url.searchParams.set('state', options.state);
  return url.toString();
}

export type AdminConsentAnswer =
  | { readonly granted: true; readonly tenantId: string; readonly state: string }
  | { readonly granted: false; readonly error: string; readonly description: string; readonly state: string | null };

/** Reads the redirect's query (`admin_consent=True&tenant=…&state=…` or `error=…&error_description=…`). */
export function parseAdminConsentCallback(
  query: URLSearchParams | Record<string, string | undefined>,
): AdminConsentAnswer {
  const get = (k: string): string | null => (query instanceof URLSearchParams ? query.get(k) : (query[k] ?? null));
  const state = get('state');
  const error = get('error');
  if (error) {
    const description = get('error_description') ?? '';
    return {
      granted: false,
      error,
      description:
        error === 'access_denied'
          ? 'the administrator declined the permissions; the app cannot read or write users until consent is granted'
          : description || error,
      state,
    };
  }
  const granted = (get('admin_consent') ?? '').toLowerCase() === 'true';
  const tenantId = get('tenant');
  if (!granted || !tenantId || state === null) {
    return { granted: false, error: 'invalid_callback', description: 'the consent answer is incomplete', state };
  }
  return { granted: true, tenantId, state };
}

/** The application permissions the bot needs, each with why (the README's real-tenant steps list the same). */
export const REQUIRED_PERMISSIONS: readonly { readonly name: string; readonly why: string }[] = [
  { name: 'User.ReadWrite.All', why: 'read the users of each domain and create, update, delete and restore them' },
  { name: 'Domain.Read.All', why: "list the tenant's domains, whether they are verified and federated" },
  { name: 'Organization.Read.All', why: "read the organization's country, the default usage location of new users" },
  {
    name: 'RoleManagement.Read.Directory',
    why: 'find holders of admin roles, direct and through PIM (never synced), and check that whoever approves is a Global Administrator',
  },
  {
    name: 'GroupMember.Read.All',
    why: 'read the members of role-assignable groups that hold a role: they are administrators too',
  },
];

/**
 * The `roles` claim of an app-only access token (the application permissions consented to the app), read without
 * verifying the signature: the token comes straight from the authority the bot trusts. A token issued before admin
 * consent carries no `roles` claim at all, and Graph answers it with 403 Authorization_RequestDenied
 * (https://learn.microsoft.com/en-us/entra/identity-platform/v2-admin-consent,
 * https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference).
 */
export function rolesOfToken(token: string): string[] {
  const payload = token.split('.')[1];
  if (!payload) return [];
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { roles?: unknown };
    return Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [];
  } catch {
    return [];
  }
}

/** Which required permissions a token lacks (an empty list: connected). */
export function missingPermissions(roles: readonly string[]): string[] {
  // Exact names only: broader permissions (Directory.ReadWrite.All) do not cover every call (it cannot delete users).
  return REQUIRED_PERMISSIONS.map((p) => p.name).filter((p) => !roles.includes(p));
}
