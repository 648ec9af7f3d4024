// The Bot Framework identity beside the emulated tenant: the channel service's endorsed signing keys and tokens, and the botframework.com login that issues the bot's own tokens.
//
// Follows "Authentication with the Bot Connector API"
// (https://learn.microsoft.com/en-us/azure/bot-service/rest-api/bot-framework-rest-connector-authentication):
// - connector → bot: the channel signs a JWT with issuer https://api.botframework.com, audience = the bot's app id and a
//   `serviceurl` claim, with a key listed in the OpenID keys document; each key carries `endorsements`, the channel ids
//   it may vouch for;
// - bot → connector: the bot asks the botframework.com tenant's token endpoint for a client-credentials token with scope
//   https://api.botframework.com/.default, and sends it as a bearer token to the activity's serviceUrl.
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

/** Issuer of the channel's tokens to bots (the `iss` the docs require). */
export const BOT_FRAMEWORK_CHANNEL_ISSUER = 'https://api.botframework.com';
/** The resource of the bot's own tokens; the scope is this + `/.default`. */
export const BOT_FRAMEWORK_RESOURCE = 'https://api.botframework.com';
/** The tenant multi-tenant bots request their tokens from (login.microsoftonline.com/botframework.com). */
export const BOT_FRAMEWORK_TENANT = 'botframework.com';
/** That tenant's id, as it appears in the `tid` and `iss` of the tokens it issues. */
export const BOT_FRAMEWORK_TENANT_ID = 'd6d49420-f39b-4df7-a1dc-d59a935871db';

const CHANNEL_TOKEN_LIFETIME_S = 3600;
const BOT_TOKEN_LIFETIME_S = 3599;

/**
 * The channel service's signing keys and the channels each is endorsed for. Teams has a key of its own, so a token
 * signed for another channel cannot pass as a Teams activity.
 */
const CHANNEL_KEY_ENDORSEMENTS: readonly (readonly string[])[] = [
  ['msteams'],
  ['webchat', 'directline', 'skype', 'slack', 'telegram', 'facebook', 'email', 'sms'],
];

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly jwk: JWK & { endorsements?: string[] };
}

interface KeyMaterial {
  readonly channel: SigningKey[];
  readonly login: SigningKey;
}

interface BotRegistration {
  readonly appId: string;
  readonly appPassword: string;
  /** The bot's service principal in the botframework.com tenant (`oid`/`sub` of its tokens). */
  readonly servicePrincipalId: string;
}

export interface ChannelTokenRequest {
  readonly appId: string;
  readonly serviceUrl: string;
  /** The channel the token vouches for (default msteams): decides which endorsed key signs it. */
  readonly channelId?: string;
  /** Another cloud's channel issuer (e.g. https://api.botframework.us), to test a bot's issuer check. */
  readonly issuer?: string;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problems: string[] };

async function newKey(endorsements?: readonly string[]): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const kid = randomUUID().replace(/-/g, '').slice(0, 27);
  const exported = await exportJWK(publicKey);
  const jwk: SigningKey['jwk'] = { kty: 'RSA', use: 'sig', kid, n: exported.n, e: exported.e };
  if (endorsements) jwk.endorsements = [...endorsements];
  return { kid, privateKey, publicKey, jwk };
}

const safeEqual = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** Bot registrations (Azure Bot resources), the channel's keys and the botframework.com login; keys are made on first use. */
export class BotFrameworkIdentity {
  private material: Promise<KeyMaterial> | null = null;
  private readonly bots = new Map<string, BotRegistration>();

  /** `now` is milliseconds since the epoch (the emulator's clock, which tests may move). */
  constructor(private readonly now: () => number) {}

  private keys(): Promise<KeyMaterial> {
    this.material ??= (async () => ({
      channel: await Promise.all(CHANNEL_KEY_ENDORSEMENTS.map((e) => newKey(e))),
      login: await newKey(),
    }))();
    return this.material;
  }

  /** Registers (or replaces) a bot's app id and password, as creating an Azure Bot resource does. */
  registerBot(input: unknown): Checked<{ appId: string }> {
    const b = (input ?? {}) as { appId?: unknown; appPassword?: unknown };
    const problems: string[] = [];
    if (typeof b.appId !== 'string' || !GUID.test(b.appId))
      problems.push('appId: must be the bot\u2019s Microsoft app id (a GUID)');
    if (typeof b.appPassword !== 'string' || b.appPassword.length < 16)
      problems.push('appPassword: must be a client secret of at least 16 characters');
    if (problems.length > 0) return { ok: false, problems };
    const appId = (b.appId as string).toLowerCase();
    this.bots.set(appId, {
      appId,
      appPassword: b.appPassword as string,
      servicePrincipalId: this.bots.get(appId)?.servicePrincipalId ?? randomUUID(),
    });
    return { ok: true, value: { appId } };
  }

  bot(appId: string): BotRegistration | undefined {
    return this.bots.get(appId.toLowerCase());
  }

  /** True when `password` is the registered bot's secret (compared in constant time). */
  checkPassword(appId: string, password: string): boolean {
    const bot = this.bot(appId);
    return bot !== undefined && safeEqual(password, bot.appPassword);
  }

  /** The channel service's keys document: JWKs with their `endorsements`. */
  async channelJwks(): Promise<{ keys: JWK[] }> {
    return { keys: (await this.keys()).channel.map((k) => ({ ...k.jwk })) };
  }

  /** The botframework.com tenant's token signing keys. */
  async loginJwks(): Promise<{ keys: JWK[] }> {
    return { keys: [{ ...(await this.keys()).login.jwk }] };
  }

  /** A token as the channel sends it with an activity to the bot `appId` (connector → bot). */
  async issueChannelToken(input: unknown): Promise<Checked<{ token: string; expiresIn: number; kid: string }>> {
    const r = (input ?? {}) as Partial<Record<keyof ChannelTokenRequest, unknown>>;
    const problems: string[] = [];
    if (typeof r.appId !== 'string' || !this.bot(r.appId))
      problems.push('appId: not a registered bot (POST /_emulator/botframework/bots first)');
    if (typeof r.serviceUrl !== 'string' || !/^https?:\/\/[^\s/]+/.test(r.serviceUrl))
      problems.push('serviceUrl: must be the http(s) URL activities name as their serviceUrl');
    const channelId = r.channelId === undefined ? 'msteams' : r.channelId;
    if (typeof channelId !== 'string' || channelId === '') problems.push('channelId: must be a channel id');
    if (r.issuer !== undefined && (typeof r.issuer !== 'string' || !/^https:\/\//.test(r.issuer)))
      problems.push('issuer: must be an https:// URL');
    if (problems.length > 0) return { ok: false, problems };
    const keys = await this.keys();
    const key = keys.channel.find((k) => k.jwk.endorsements?.includes(channelId as string));
    if (!key) return { ok: false, problems: [`channelId: no signing key is endorsed for '${String(channelId)}'`] };
    const iat = Math.floor(this.now() / 1000);
    const token = await new SignJWT({ serviceurl: r.serviceUrl as string })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid })
      .setIssuer((r.issuer as string | undefined) ?? BOT_FRAMEWORK_CHANNEL_ISSUER)
      .setAudience((r.appId as string).toLowerCase())
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + CHANNEL_TOKEN_LIFETIME_S)
      .sign(key.privateKey);
    return { ok: true, value: { token, expiresIn: CHANNEL_TOKEN_LIFETIME_S, kid: key.kid } };
  }

  /** The bot's own access token for the Bot Connector (bot → connector), after its credentials were checked. */
  async issueBotToken(appId: string): Promise<{ token: string; expiresIn: number }> {
    const bot = this.bot(appId);
    if (!bot) throw new Error(`unknown bot ${appId}`);
    const { login } = await this.keys();
    const iat = Math.floor(this.now() / 1000);
    const issuer = `https://sts.windows.net/${BOT_FRAMEWORK_TENANT_ID}/`;
    const token = await new SignJWT({
      appid: bot.appId,
      appidacr: '1',
      idp: issuer,
      idtyp: 'app',
      oid: bot.servicePrincipalId,
      tid: BOT_FRAMEWORK_TENANT_ID,
      uti: randomUUID(),
      ver: '1.0',
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: login.kid })
      .setIssuer(issuer)
      .setAudience(BOT_FRAMEWORK_RESOURCE)
      .setSubject(bot.servicePrincipalId)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + BOT_TOKEN_LIFETIME_S)
      .sign(login.privateKey);
    return { token, expiresIn: BOT_TOKEN_LIFETIME_S };
  }
}
