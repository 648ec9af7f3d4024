// HTTP routes of the emulator's Bot Framework identity: the channel's OpenID metadata and keys, the botframework.com login, and their control endpoints.
//
// Documentation followed: "Authentication with the Bot Connector API"
// https://learn.microsoft.com/en-us/azure/bot-service/rest-api/bot-framework-rest-connector-authentication
// (connector → bot: OpenID metadata document → `jwks_uri` → keys with `endorsements`; bot → connector:
// POST login.microsoftonline.com/botframework.com/oauth2/v2.0/token, client credentials, scope
// https://api.botframework.com/.default) and, for the token endpoint's refusals,
// https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow
//
// On the emulator's one origin the two Microsoft hosts become path prefixes:
//   login.botframework.com/v1/…          → /botframework/v1/…
//   login.microsoftonline.com/botframework.com/… → /botframework.com/…
import {
  BOT_FRAMEWORK_CHANNEL_ISSUER,
  BOT_FRAMEWORK_RESOURCE,
  BOT_FRAMEWORK_TENANT,
  BOT_FRAMEWORK_TENANT_ID,
} from './bot-framework.js';
import type { EmulatorCore } from './emulator-core.js';
import {
  aadError,
  clientCredentialsClientId,
  type IdentityResponse,
  noClientCredential,
  scopeRefusal,
  unknownClient,
  wrongClientSecret,
} from './identity-answers.js';
import { type IdentityDeps, identityDepsOf } from './identity-routes.js';

const json = (status: number, body: unknown): IdentityResponse => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  body,
});

/** Paths of the channel's OpenID metadata and keys (login.botframework.com/v1/.well-known/…). */
export const CHANNEL_OPENID_PATH = '/botframework/v1/.well-known/openidconfiguration';
export const CHANNEL_KEYS_PATH = '/botframework/v1/.well-known/keys';

const isBotFrameworkTenant = (segment: string | undefined): boolean =>
  segment !== undefined &&
  (segment.toLowerCase() === BOT_FRAMEWORK_TENANT || segment.toLowerCase() === BOT_FRAMEWORK_TENANT_ID);

/** Routes the Bot Framework paths; null when `path` is not one of them. `raw` is the request body. */
export async function handleBotFramework(
  core: EmulatorCore,
  method: string,
  path: string,
  raw: Buffer,
): Promise<IdentityResponse | null> {
  const base = core.baseUrl;
  const bf = core.botFramework;
  if (path === CHANNEL_OPENID_PATH && method === 'GET') {
    return json(200, {
      issuer: BOT_FRAMEWORK_CHANNEL_ISSUER,
      authorization_endpoint: 'https://invalid.botframework.com',
      jwks_uri: `${base}${CHANNEL_KEYS_PATH}`,
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
    });
  }
  if (path === CHANNEL_KEYS_PATH && method === 'GET') return json(200, await bf.channelJwks());

  if (path === '/_emulator/botframework/bots' && method === 'POST') {
    const body = parseJson(raw);
    if (body === undefined) return controlProblem('InvalidJson', ['body: not valid JSON']);
    const r = bf.registerBot(body);
    return r.ok ? json(200, r.value) : controlProblem('InvalidBot', r.problems);
  }
  if (path === '/_emulator/botframework/channel-tokens' && method === 'POST') {
    const body = parseJson(raw);
    if (body === undefined) return controlProblem('InvalidJson', ['body: not valid JSON']);
    const r = await bf.issueChannelToken(body);
    return r.ok ? json(200, r.value) : controlProblem('InvalidChannelToken', r.problems);
  }

  const segments = path.split('/').filter(Boolean);
  const [tenant, ...rest] = segments;
  if (!isBotFrameworkTenant(tenant)) return null;
  const t = (tenant as string).toLowerCase();
  const sub = rest.join('/');
  if (
    method === 'GET' &&
    (sub === 'v2.0/.well-known/openid-configuration' || sub === '.well-known/openid-configuration')
  ) {
    return json(200, {
      token_endpoint: `${base}/${t}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      jwks_uri: `${base}/${t}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${base}/${BOT_FRAMEWORK_TENANT_ID}/v2.0`,
      authorization_endpoint: `${base}/${t}/oauth2/v2.0/authorize`,
      end_session_endpoint: `${base}/${t}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'tid'],
      tenant_region_scope: 'WW',
      cloud_instance_name: new URL(base).host,
    });
  }
  if (method === 'GET' && (sub === 'discovery/v2.0/keys' || sub === 'discovery/keys'))
    return json(200, await bf.loginJwks());
  if (sub === 'oauth2/v2.0/token') {
    const deps = identityDepsOf(core);
    if (method !== 'POST')
      return aadError(deps, 405, 'invalid_request', 900561, 'The endpoint only accepts POST requests.');
    return botToken(core, deps, new URLSearchParams(raw.toString('utf8')));
  }
  return null;
}

function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return {};
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function controlProblem(code: string, problems: string[]): IdentityResponse {
  return json(400, { error: { code, message: 'The request was rejected; nothing changed.', problems } });
}

/** Client credentials for a registered bot, scope https://api.botframework.com/.default only. */
async function botToken(core: EmulatorCore, deps: IdentityDeps, form: URLSearchParams): Promise<IdentityResponse> {
  const clientId = clientCredentialsClientId(deps, form);
  if (typeof clientId !== 'string') return clientId;
  const bot = core.botFramework.bot(clientId);
  if (!bot) return unknownClient(deps, clientId, 'Bot Framework');
  const secret = form.get('client_secret');
  if (secret === null) return noClientCredential(deps);
  if (!core.botFramework.checkPassword(clientId, secret)) return wrongClientSecret(deps, clientId);
  const scopes = (form.get('scope') ?? '').split(/\s+/).filter(Boolean);
  const refused = scopeRefusal(
    deps,
    scopes,
    (s) => s.replace(/\/+\.default$/, '') === BOT_FRAMEWORK_RESOURCE,
    'Bot Framework',
  );
  if (refused) return refused;
  const issued = await core.botFramework.issueBotToken(bot.appId);
  core.stats.tokensIssued++;
  return json(200, {
    token_type: 'Bearer',
    expires_in: issued.expiresIn,
    ext_expires_in: issued.expiresIn,
    access_token: issued.token,
  });
}
