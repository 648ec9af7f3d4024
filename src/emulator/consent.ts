// The admin consent page (GET /{tenant}/adminconsent) and its Accept/Cancel form, redirecting as Entra does.
import type { AppRegistry } from './apps.js';
import type { Tenant } from './tenant.js';

export interface ConsentResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function page(status: number, title: string, inner: string): ConsentResponse {
  return {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:Segoe UI,sans-serif;max-width:36rem;margin:3rem auto;color:#222}button{padding:.5rem 1.5rem;margin-right:.5rem}</style>
</head><body>${inner}</body></html>`,
  };
}

function errorPage(code: number, message: string): ConsentResponse {
  return page(
    400,
    'Sign in error',
    `<h1>Sorry, but we’re having trouble signing you in.</h1><p id="error">AADSTS${code}: ${esc(message)}</p>`,
  );
}

/** Validated parameters of a consent request, or the error page to show. */
function validate(
  tenant: Tenant,
  apps: AppRegistry,
  tenantSegment: string,
  params: URLSearchParams,
): { clientId: string; redirectUri: string; state: string | null } | ConsentResponse {
  if (!tenant.matches(tenantSegment) && tenantSegment !== 'common' && tenantSegment !== 'organizations')
    return errorPage(90002, `Tenant '${tenantSegment}' not found.`);
  const clientId = params.get('client_id');
  if (!clientId) return errorPage(900144, "The request body must contain the following parameter: 'client_id'.");
  if (!apps.get(clientId))
    return errorPage(
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant.tenantId}'.`,
    );
  const redirectUri = params.get('redirect_uri');
  // Entra redirects only to a URI registered on the app, compared exactly (no prefix, no normalisation):
  // https://learn.microsoft.com/en-us/entra/identity-platform/reply-url and
  // https://learn.microsoft.com/en-us/troubleshoot/entra/entra-id/app-integration/error-code-aadsts50011-redirect-uri-mismatch
  const registered = apps.get(clientId)!.redirectUris;
  if (registered.length === 0) return errorPage(500113, 'No reply address is registered for the application.');
  if (!redirectUri || !registered.includes(redirectUri))
    return errorPage(
      50011,
      `The redirect URI '${redirectUri ?? ''}' specified in the request does not match the redirect URIs configured for the application '${clientId}'.`,
    );
  return { clientId, redirectUri, state: params.get('state') };
}

// https://learn.microsoft.com/en-us/entra/identity-platform/v2-admin-consent
export function consentPage(
  tenant: Tenant,
  apps: AppRegistry,
  tenantSegment: string,
  query: URLSearchParams,
): ConsentResponse {
  const v = validate(tenant, apps, tenantSegment, query);
  if ('status' in v) return v;
  const app = apps.get(v.clientId)!;
  const hidden = (name: string, value: string | null) =>
    value === null ? '' : `<input type="hidden" name="${name}" value="${esc(value)}">`;
  const perms = app.requested.map((p) => `<li>${esc(p)} <small>(application permission)</small></li>`).join('');
  return page(
    200,
    'Permissions requested',
    `<h1>Permissions requested</h1>
<p><strong>${esc(app.displayName)}</strong> wants permission for the organization <strong>${esc(tenant.displayName)}</strong>
(${esc(tenant.tenantId)}) to:</p><ul id="permissions">${perms}</ul>
<p>Accepting grants these permissions to the app for every user of the organization.</p>
<form method="post" action="/${esc(encodeURIComponent(tenantSegment))}/adminconsent">
${hidden('client_id', v.clientId)}${hidden('redirect_uri', v.redirectUri)}${hidden('state', v.state)}
<button type="submit" name="decision" value="accept" id="accept">Accept</button>
<button type="submit" name="decision" value="cancel" id="cancel">Cancel</button>
</form>`,
  );
}

/** Handles the form post: Accept records the grant; both redirect to redirect_uri with Entra's parameters. */
export function consentDecision(
  tenant: Tenant,
  apps: AppRegistry,
  tenantSegment: string,
  form: URLSearchParams,
): ConsentResponse {
  const v = validate(tenant, apps, tenantSegment, form);
  if ('status' in v) return v;
  const decision = form.get('decision');
  const target = new URL(v.redirectUri);
  if (decision === 'accept') {
    apps.grant(v.clientId);
    target.searchParams.set('admin_consent', 'True');
    target.searchParams.set('tenant', tenant.tenantId);
  } else if (decision === 'cancel') {
    target.searchParams.set('error', 'access_denied');
    target.searchParams.set('error_description', 'AADSTS65004: User declined to consent to access the app.');
    target.searchParams.set('admin_consent', 'False');
    target.searchParams.set('tenant', tenant.tenantId);
  } else {
    return errorPage(900144, "The form must contain 'decision' = accept or cancel.");
  }
  if (v.state !== null) target.searchParams.set('state', v.state);
  return { status: 302, headers: { location: target.toString(), 'cache-control': 'no-store' }, body: '' };
}
