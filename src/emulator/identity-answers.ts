// The identity platform's answers shared by the tenant's token endpoint and Bot Framework's: the JSON envelope
// and the AADSTS refusals, worded as login.microsoftonline.com words them.
import { randomUUID } from 'node:crypto';

/** What an answer needs from the emulator: the clock (timestamps) and its own address (error_uri). */
export interface AnswerDeps {
  /** Milliseconds since the epoch. */
  now: () => number;
  /** https://127.0.0.1:PORT */
  baseUrl: () => string;
}

export interface IdentityResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export const identityJson = (status: number, body: unknown): IdentityResponse => ({
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
  deps: AnswerDeps,
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
  return identityJson(status, {
    error,
    error_description: `AADSTS${code}: ${message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `${deps.baseUrl()}/error?code=${code}`,
  });
}

export function tenantNotFound(deps: AnswerDeps, tenant: string): IdentityResponse {
  return aadError(
    deps,
    400,
    'invalid_tenant',
    90002,
    `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
  );
}

// The refusals of a client-credentials token request that the tenant's token endpoint and Bot Framework's
// (login.microsoftonline.com/botframework.com) share, worded as the identity platform words them:
// https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow

export function missingParameter(deps: AnswerDeps, name: string): IdentityResponse {
  return aadError(
    deps,
    400,
    'invalid_request',
    900144,
    `The request body must contain the following parameter: '${name}'.`,
  );
}

/** The client id of a client-credentials request (grant_type and client_id checked), or its refusal. */
export function clientCredentialsClientId(deps: AnswerDeps, form: URLSearchParams): string | IdentityResponse {
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
export function unknownClient(deps: AnswerDeps, clientId: string, directory: string): IdentityResponse {
  return aadError(
    deps,
    400,
    'unauthorized_client',
    700016,
    `Application with identifier '${clientId}' was not found in the directory '${directory}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
  );
}

export function noClientCredential(deps: AnswerDeps): IdentityResponse {
  return aadError(
    deps,
    401,
    'invalid_client',
    7000218,
    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
  );
}

export function wrongClientSecret(deps: AnswerDeps, clientId: string): IdentityResponse {
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
  deps: AnswerDeps,
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
