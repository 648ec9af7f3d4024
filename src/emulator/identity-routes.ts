// Microsoft identity platform endpoints msal-node uses: instance discovery, OpenID configuration, keys, token.
import { timingSafeEqual } from 'node:crypto';
import {
  type AnswerDeps,
  aadError,
  clientCredentialsClientId,
  type IdentityResponse,
  identityJson,
  noClientCredential,
  scopeRefusal,
  tenantNotFound,
  unknownClient,
  wrongClientSecret,
} from './identity-answers.js';
import type { AppRegistry } from './apps.js';
import type { EmulatorCore } from './emulator-core.js';
import type { Stats } from './stats.js';
import type { Tenant } from './tenant.js';
import { GRAPH_APP_ID, GRAPH_AUDIENCE, type TokenIssuer, verifyClientAssertion } from './tokens.js';

export interface IdentityDeps extends AnswerDeps {
  tenant: Tenant;
  apps: AppRegistry;
  tokens: TokenIssuer;
  stats: Stats;
}

/** The identity endpoints' view of the emulator (the tenant's and the Bot Framework's token endpoints use the same). */
export function identityDepsOf(core: EmulatorCore): IdentityDeps {
  return {
    tenant: core.tenant,
    apps: core.apps,
    tokens: core.tokens,
    stats: core.stats,
    now: core.now,
    baseUrl: () => core.baseUrl,
  };
}

const GENERIC_TENANTS = new Set(['common', 'organizations', 'consumers']);

/** Routes the identity endpoints; null when the path is not one of them. */
export async function handleIdentity(
  deps: IdentityDeps,
  method: string,
  segments: string[],
  query: URLSearchParams,
  form: URLSearchParams | null,
): Promise<IdentityResponse | null> {
  const [tenant, ...rest] = segments;
  if (!tenant) return null;
  const path = rest.join('/');
  const base = deps.baseUrl();
  if (method === 'GET' && path === 'discovery/instance') {
    const host = new URL(base).host;
    return identityJson(200, {
      tenant_discovery_endpoint: `${base}/${tenant}/v2.0/.well-known/openid-configuration`,
      'api-version': query.get('api-version') ?? '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    });
  }
  const known = deps.tenant.matches(tenant);
  const generic = GENERIC_TENANTS.has(tenant.toLowerCase());
  if (
    method === 'GET' &&
    (path === 'v2.0/.well-known/openid-configuration' || path === '.well-known/openid-configuration')
  ) {
    if (!known && !generic) return tenantNotFound(deps, tenant);
    const tid = known ? deps.tenant.tenantId : '{tenantid}';
    const t = known ? tenant : tenant.toLowerCase();
    return identityJson(200, {
      token_endpoint: `${base}/${t}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/${t}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${base}/${tid}/v2.0`,
      request_uri_parameter_supported: false,
      authorization_endpoint: `${base}/${t}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/${t}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/${t}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'tid', 'roles'],
      tenant_region_scope: 'AS',
      cloud_instance_name: new URL(base).host,
      msgraph_host: new URL(base).host,
    });
  }
  if (method === 'GET' && (path === 'discovery/v2.0/keys' || path === 'discovery/keys')) {
    return identityJson(200, deps.tokens.jwks);
  }
  if (path === 'oauth2/v2.0/token') {
    if (method !== 'POST')
      return aadError(deps, 405, 'invalid_request', 900561, 'The endpoint only accepts POST requests.');
    return token(deps, tenant, form ?? new URLSearchParams());
  }
  return null;
}

const STANDARD_OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);

// https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow
async function token(deps: IdentityDeps, tenantSegment: string, form: URLSearchParams): Promise<IdentityResponse> {
  if (GENERIC_TENANTS.has(tenantSegment.toLowerCase()))
    return aadError(
      deps,
      400,
      'invalid_request',
      50059,
      'No tenant-identifying information found in either the request or implied by any provided credentials.',
    );
  if (!deps.tenant.matches(tenantSegment)) return tenantNotFound(deps, tenantSegment);
  const clientId = clientCredentialsClientId(deps, form);
  if (typeof clientId !== 'string') return clientId;
  const tid = deps.tenant.tenantId;
  const app = deps.apps.get(clientId);
  if (!app) return unknownClient(deps, clientId, tid);
  const secret = form.get('client_secret');
  const assertion = form.get('client_assertion');
  if (secret !== null) {
    if (!app.clientSecret || !safeEqual(secret, app.clientSecret)) return wrongClientSecret(deps, clientId);
  } else if (assertion !== null) {
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
      return aadError(
        deps,
        400,
        'invalid_request',
        50027,
        "The client_assertion_type must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.",
      );
    const base = deps.baseUrl();
    const audiences = [tenantSegment, tid, ...deps.tenant.domains.map((d) => d.id)].flatMap((t) => [
      `${base}/${t}/oauth2/v2.0/token`,
      `https://login.microsoftonline.com/${t}/oauth2/v2.0/token`,
    ]);
    const check = await verifyClientAssertion(assertion, {
      clientId,
      certificates: app.certificates,
      audiences,
      now: () => deps.now() / 1000,
    });
    if (!check.ok) return aadError(deps, 401, 'invalid_client', check.code, check.message);
  } else {
    return noClientCredential(deps);
  }
  const scopes = (form.get('scope') ?? '').split(/\s+/).filter((s) => s && !STANDARD_OIDC_SCOPES.has(s));
  const base = deps.baseUrl();
  const accepted = new Set([
    `${GRAPH_AUDIENCE}/.default`,
    `${GRAPH_AUDIENCE}//.default`,
    `${GRAPH_APP_ID}/.default`,
    `${base}/.default`,
    `${base}//.default`,
  ]);
  const refused = scopeRefusal(deps, scopes, (s) => accepted.has(s), deps.tenant.displayName);
  if (refused) return refused;
  const issued = await deps.tokens.issue({
    tenantId: tid,
    appId: clientId,
    roles: deps.apps.granted(clientId),
    servicePrincipalId: app.servicePrincipalId,
  });
  deps.stats.tokensIssued++;
  return identityJson(200, {
    token_type: 'Bearer',
    expires_in: issued.expiresIn,
    ext_expires_in: issued.expiresIn,
    access_token: issued.token,
  });
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
