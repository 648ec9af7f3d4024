// Builds the Bot Framework adapter and runs activities through it: botbuilder's token checks as configured (public
// cloud, or another cloud's settings), Teams-endorsed keys only, 401 for every refused token, and rejections answered
// as values (no console output, no SDK text).
//
// The checks themselves are botbuilder's, following "Authentication with the Bot Connector API"
// (https://learn.microsoft.com/en-us/azure/bot-service/rest-api/bot-framework-rest-connector-authentication):
// issuer, audience = BOT_ID, lifetime, signature by a key of the OpenID metadata, the key's endorsement of the
// activity's channel, and the `serviceurl` claim = the activity's serviceUrl.
import { TeamsAdapter } from '@microsoft/teams-ai';
import type { Activity, InvokeResponse, TurnContext } from 'botbuilder';
import {
  type AuthenticateRequestResult,
  AuthenticationConstants,
  AuthenticationError,
  MsalServiceClientCredentialsFactory,
} from 'botframework-connector';
import type { Config } from '../config.js';
import { createBotChannelApp, isMicrosoftLoginHost } from '../entra/bot-channel-app.js';

/** The errors jsonwebtoken throws for a token it refuses (bad signature, malformed, not yet valid, expired). */
const TOKEN_ERRORS = new Set(['JsonWebTokenError', 'NotBeforeError', 'TokenExpiredError']);

export type AdapterOutcome =
  | { readonly ok: true; readonly status: number; readonly body?: unknown }
  /** `expected`: an authentication rejection (bad or missing token), logged in one line without a stack. */
  | { readonly ok: false; readonly status: 401 | 500; readonly expected: boolean; readonly error: unknown };

/**
 * botbuilder answers 401 only for its own AuthenticationError; a bad signature or a malformed token surfaces as
 * jsonwebtoken's error and would become a 500. Every refused token is the caller's fault: 401.
 *
 * botbuilder's `process()` prints every rejection with console.error (stack included) and answers with the error's
 * message (`getaddrinfo ENOTFOUND …`). This runs the same activity processing (authentication, turn, invoke
 * response) and hands the outcome back, so the HTTP route logs it through pino and answers with a plain status.
 */
export class BotAdapter extends TeamsAdapter {
  protected override async processActivity(
    auth: string | AuthenticateRequestResult,
    activity: Activity,
    logic: (context: TurnContext) => Promise<void>,
  ): Promise<InvokeResponse | undefined> {
    if (typeof auth !== 'string') return super.processActivity(auth, activity, logic);
    let result: AuthenticateRequestResult;
    try {
      result = await this.botFrameworkAuthentication.authenticateRequest(activity, auth);
    } catch (err) {
      if (err instanceof Error && TOKEN_ERRORS.has(err.name))
        throw new AuthenticationError(`Unauthorized. ${err.message}`, 401);
      throw err;
    }
    return super.processActivity(result, activity, logic);
  }

  async run(
    authHeader: string,
    activity: Partial<Activity>,
    logic: (context: TurnContext) => Promise<void>,
  ): Promise<AdapterOutcome> {
    // As botbuilder's process() does before the turn: timestamps as Date, their text kept beside them.
    const fixed: Record<string, unknown> = { ...activity };
    for (const [key, raw] of [
      ['timestamp', 'rawTimestamp'],
      ['localTimestamp', 'rawLocalTimestamp'],
      ['expiration', 'rawExpiration'],
    ] as const) {
      const value = fixed[key];
      if (typeof value === 'string') {
        fixed[raw] = value;
        fixed[key] = new Date(value);
      }
    }
    try {
      const invoke = await this.processActivity(authHeader, fixed as unknown as Activity, logic);
      return { ok: true, status: invoke?.status ?? 200, body: invoke?.body };
    } catch (error) {
      // botframework-connector's AuthenticationError carries the status (IStatusCodeError).
      const status = (error as { statusCode?: unknown } | null)?.statusCode;
      const expected = status === 401 || status === 403;
      return { ok: false, status: expected ? 401 : 500, expected, error };
    }
  }
}

/**
 * The adapter for `config.bot`. Without BOT_ID, botbuilder treats authentication as disabled (local mode only, which
 * config enforces). With BOT_ID, incoming tokens must come from a key endorsed for `msteams`: a token another
 * channel's key signed is refused even when the activity names that channel.
 */
export function createBotAdapter(config: Config): BotAdapter {
  const bot = config.bot;
  if (!bot.id) return new BotAdapter({});
  const identity = {
    MicrosoftAppId: bot.id,
    MicrosoftAppPassword: bot.password,
    MicrosoftAppTenantId: bot.tenantId,
    MicrosoftAppType: bot.appType ?? 'MultiTenant',
  };
  const endorsements = { requiredEndorsements: ['msteams'] };
  const cloud = bot.channelAuth;
  if (!cloud) return new BotAdapter(identity, undefined, endorsements);
  const settings = {
    ...identity,
    ToBotFromChannelOpenIdMetadataUrl: cloud.openIdMetadataUrl,
    ToBotFromChannelTokenIssuer: cloud.tokenIssuer,
    ToChannelFromBotLoginUrl: cloud.loginUrl,
    ToChannelFromBotOAuthScope: cloud.oauthScope,
    // Tokens of the Bot Framework Emulator (desktop) keep botbuilder's public default.
    ToBotFromEmulatorOpenIdMetadataUrl: AuthenticationConstants.ToBotFromEmulatorOpenIdMetadataUrl,
    ValidateAuthority: true,
  };
  // botbuilder's own password credentials ask login.microsoftonline.com to vouch for any other login host; for a
  // private login host the bot's app is given to it ready-made, with that host trusted.
  const credentials =
    bot.password && !isMicrosoftLoginHost(cloud.loginUrl)
      ? new MsalServiceClientCredentialsFactory(
          bot.id,
          // msal-node's client-credentials API is the same across the two copies (botbuilder pins an older one).
          createBotChannelApp({
            appId: bot.id,
            password: bot.password,
            loginUrl: cloud.loginUrl,
          }) as unknown as ConstructorParameters<typeof MsalServiceClientCredentialsFactory>[1],
        )
      : undefined;
  return new BotAdapter(settings, credentials, endorsements);
}
