// Microsoft identity platform endpoints msal-node uses: instance discovery, OpenID configuration, keys, token.
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { AppRegistry } from './apps.js';
import type { EmulatorCore } from './emulator-core.js';
import type { Stats } from './stats.js';
import type { Tenant } from './tenant.js';
import { GRAPH_APP_ID, GRAPH_AUDIENCE, type TokenIssuer, verifyClientAssertion } from './tokens.js';

export interface IdentityDeps {
  tenant: Tenant;
  apps: AppRegistry;
  tokens: TokenIssuer;
  stats: Stats;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** https://127.0.0.1:PORT */
  baseUrl: () => string;
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

export interface IdentityResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

const json = (status: number, body: unknown): IdentityResponse => ({
  status,
  headers: {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store, no-cache',
    pragma: 'no-cache',
  },
  body,
});

/** AADSTS-style error body, as login.microsoftonline.com returns it. */
export function aadError(
  deps: IdentityDeps,
  status: number,
  error: string,
  code: number,
  message: string,
): IdentityResponse {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date(deps.now())
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
  return json(status, {
    error,
    error_description: `AADSTS${code}: ${message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `${deps.baseUrl()}/error?code=${code}`,
  });
}

function tenantNotFound(deps: IdentityDeps, tenant: string): IdentityResponse {
  return aadError(
    deps,
    400,
    'invalid_tenant',
    90002,
    `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
  );
}

const GENERIC_TENANTS = new Set(['common', 'organizations', 'consumers']);

// The refusals of a client-credentials token request that the tenant's token endpoint and Bot Framework's
// (login.microsoftonline.com/botframework.com) share, worded as the identity platform words them:
// https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow

export function missingParameter(deps: IdentityDeps, name: string): IdentityResponse {
  return aadError(
    deps,
    400,
    'invalid_request',
    900144,
    `The request body must contain the following parameter: '${name}'.`,
  );
}

/** The client id of a client-credentials request (grant_type and client_id checked), or its refusal. */
export function clientCredentialsClientId(deps: IdentityDeps, form: URLSearchParams): string | IdentityResponse {
  const grantType = form.get('grant_type');
  if (!grantType) return missingParameter(deps, 'grant_type');
  if (grantType !== 'client_credentials')
    return aadError(
      deps,
      400,
      'unsupported_grant_type',
      70003,
      `The app requested an unsupported grant type '${grantType}'.`,
    );
  const clientId = form.get('client_id');
  if (!clientId) return missingParameter(deps, 'client_id');
  return clientId;
}

/** No application with this client id in the directory (a tenant id, or `Bot Framework`). */
export function unknownClient(deps: IdentityDeps, clientId: string, directory: string): IdentityResponse {
  return aadError(
    deps,
    400,
    'unauthorized_client',
    700016,
    `Application with identifier '${clientId}' was not found in the directory '${directory}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
  );
}

export function noClientCredential(deps: IdentityDeps): IdentityResponse {
  return aadError(
    deps,
    401,
    'invalid_client',
    7000218,
    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
  );
}

export function wrongClientSecret(deps: IdentityDeps, clientId: string): IdentityResponse {
  return aadError(
    deps,
    401,
    'invalid_client',
    7000215,
    `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
  );
}

/**
 * The refusal of a client-credentials request's scopes, or null: at least one, each a resource's `/.default`, and
 * each a resource this endpoint issues tokens for (`accepts`) in the tenant named `tenantName`.
 */
export function scopeRefusal(
  deps: IdentityDeps,
  scopes: readonly string[],
  accepts: (scope: string) => boolean,
  tenantName: string,
): IdentityResponse | null {
  if (scopes.length === 0) return missingParameter(deps, 'scope');
  for (const s of scopes) {
    if (!s.endsWith('/.default'))
      return aadError(
        deps,
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${s} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    if (!accepts(s))
      return aadError(
        deps,
        400,
        'invalid_resource',
        500011,
        `The resource principal named ${s.replace(/\/+\.default$/, '')} was not found in the tenant named ${tenantName}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
      );
  }
  return null;
}

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
    return json(200, {
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
    return json(200, {
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
    return json(200, deps.tokens.jwks);
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
  return json(200, {
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
