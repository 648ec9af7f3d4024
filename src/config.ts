// The one reader of process.env: parses every setting of env/.env.example once, fails listing each bad variable.
import { isIP } from 'node:net';
import { type Locale, localeOfEnv } from './locale.js';
import { envSchema } from './config-schema.js';

export interface Config {
  readonly demo: boolean;
  readonly entra: {
    readonly tenantId: string | undefined;
    readonly clientId: string | undefined;
    readonly clientSecret: string | undefined;
    readonly clientCertPath: string | undefined;
    readonly clientCertThumbprintSha256: string | undefined;
    readonly authorityHost: string;
    readonly graphBaseUrl: string;
    readonly caFile: string | undefined;
  };
  readonly bot: {
    readonly id: string | undefined;
    readonly password: string | undefined;
    readonly tenantId: string | undefined;
    readonly appType: 'MultiTenant' | 'SingleTenant' | 'UserAssignedMSI' | undefined;
    readonly localMode: boolean;
    /** Another Bot Framework cloud (sovereign cloud, or the emulator's identity in tests); null = the public cloud. */
    readonly channelAuth: BotChannelAuth | null;
  };
  readonly host: string;
  readonly port: number;
  readonly publicBaseUrl: string;
  readonly allowedTenantIds: readonly string[];
  readonly adminAadObjectIds: readonly string[];
  readonly storeUrl: string;
  /** Read Access Control over SCIM 2.0 instead of the embedded directory (CSV imports) when set. */
  readonly accessControlScim: { readonly url: string; readonly token: string } | null;
  readonly syncIntervalSeconds: number;
  /** How long a crashed writer's per-domain lease blocks others (renewed every third of it while running). */
  readonly syncLeaseTtlSeconds: number;
  readonly scheduler: 'local' | 'bullmq';
  /** Where the bot server runs dry runs, applies, resumes and hourly runs: a worker process, or its own event loop. */
  readonly syncWorker: 'process' | 'inline';
  readonly redisUrl: string | undefined;
  readonly logRetentionDays: number;
  readonly downloadLinkTtlSeconds: number;
  readonly signingSecret: string | undefined;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * The Prometheus endpoint; null (off) unless METRICS_TOKEN or METRICS_PORT is set. With a port it listens there
   * (on `host`), otherwise on the bot's port; a token, when set, is required as `Authorization: Bearer`.
   */
  readonly metrics: { readonly token: string | undefined; readonly port: number | null; readonly host: string } | null;
  /** Time limit of one Graph request (reads and `$batch`) and of one SCIM request, in seconds. */
  readonly graphTimeoutSeconds: number;
  readonly scimTimeoutSeconds: number;
  /** On SIGTERM/SIGINT, how long the in-flight writes may take to finish before the run is left interrupted. */
  readonly shutdownGraceSeconds: number;
  /** The CLI's language, from LC_ALL / LC_MESSAGES / LANG (the bot follows each activity's locale instead). */
  readonly locale: Locale;
}

/** Where the bot checks incoming tokens and gets its own (botbuilder's sovereign-cloud settings). */
export interface BotChannelAuth {
  /** OpenID metadata of the channel's signing keys (botbuilder: ToBotFromChannelOpenIdMetadataUrl). */
  readonly openIdMetadataUrl: string;
  /** The `iss` of the channel's tokens (ToBotFromChannelTokenIssuer). */
  readonly tokenIssuer: string;
  /** Authority the bot gets its own tokens from, tenant included (ToChannelFromBotLoginUrl). */
  readonly loginUrl: string;
  /** Resource of the bot's own tokens (ToChannelFromBotOAuthScope). */
  readonly oauthScope: string;
}

const CHANNEL_AUTH_VARS = ['BOT_OPENID_METADATA_URL', 'BOT_TOKEN_ISSUER', 'BOT_LOGIN_URL', 'BOT_OAUTH_SCOPE'] as const;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}\nSee env/.env.example for every variable.`,
    );
    this.name = 'ConfigError';
  }
}

/**
 * True only for a loopback address: an IPv4 literal in 127.0.0.0/8, the IPv6 literal ::1 (also bracketed or
 * written out, and IPv4-mapped 127/8), or exactly `localhost`. Names that merely start with `127.` are not.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost') return true;
  const kind = isIP(h);
  if (kind === 4) return h.split('.')[0] === '127';
  if (kind !== 6) return false;
  // The WHATWG URL parser normalises an IPv6 literal (zero runs, IPv4-mapped forms) to its shortest text.
  const canonical = new URL(`http://[${h.replace(/%.*$/, '')}]/`).hostname.slice(1, -1);
  if (canonical === '::1') return true;
  const mapped = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(canonical);
  return mapped !== null && Number.parseInt(mapped[1]!, 16) >> 8 === 127;
}

/** The host name of an HTTP `Host` header value (`name:port`, `[v6]:port`), or null when it is malformed. */
export function hostOfHostHeader(value: string | undefined): string | null {
  if (!value) return null;
  try {
    const url = new URL(`http://${value}/`);
    if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return null;
    return url.hostname;
  } catch {
    return null;
  }
}

/** Weak secrets refused at start: fewer than 43 characters (32 bytes as base64) or too few distinct characters. */
export function signingSecretProblem(secret: string): string | null {
  if (secret.length < 43 || new Set(secret).size < 12)
    return 'SIGNING_SECRET: too weak; use at least 32 random bytes, e.g. the output of `openssl rand -base64 32`';
  return null;
}

/**
 * The bot server's own start-up rule (botbuilder treats an empty app id as "authentication disabled"):
 * without BOT_ID it runs only in explicit local mode on a loopback host. Returns the problem, or null.
 */
export function botAuthProblem(config: Config): string | null {
  if (config.bot.id) return null;
  if (config.bot.localMode && isLoopbackHost(config.host)) return null;
  return 'BOT_ID: required unless BOT_LOCAL_MODE=true and HOST is a loopback address (the bot would accept unauthenticated requests)';
}

/** Parses the environment (process.env unless given), deep-freezes the result, throws ConfigError listing every problem. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  const demo = e.DEMO ?? !e.ENTRA_CLIENT_ID;
  if (!demo) {
    if (!e.ENTRA_TENANT_ID) problems.push('ENTRA_TENANT_ID: required when DEMO=false (the tenant to sync)');
    if (!e.ENTRA_CLIENT_ID) problems.push('ENTRA_CLIENT_ID: required when DEMO=false (the app registration)');
    if (!e.ENTRA_CLIENT_SECRET && !e.ENTRA_CLIENT_CERT_PATH)
      problems.push('ENTRA_CLIENT_SECRET or ENTRA_CLIENT_CERT_PATH: one credential is required when DEMO=false');
    if (e.ENTRA_CLIENT_CERT_PATH && !e.ENTRA_CLIENT_CERT_THUMBPRINT_SHA256)
      problems.push('ENTRA_CLIENT_CERT_THUMBPRINT_SHA256: required with ENTRA_CLIENT_CERT_PATH');
  }
  if (e.BOT_LOCAL_MODE && !isLoopbackHost(e.HOST))
    problems.push(`BOT_LOCAL_MODE: only allowed when HOST is a loopback address (HOST is ${e.HOST})`);
  const channelAuthSet = CHANNEL_AUTH_VARS.filter((k) => e[k] !== undefined);
  if (channelAuthSet.length > 0 && channelAuthSet.length < CHANNEL_AUTH_VARS.length)
    problems.push(
      `${CHANNEL_AUTH_VARS.filter((k) => e[k] === undefined).join(', ')}: set all of ${CHANNEL_AUTH_VARS.join(', ')} (another Bot Framework cloud), or none (the public cloud)`,
    );
  for (const k of ['BOT_OPENID_METADATA_URL', 'BOT_LOGIN_URL'] as const) {
    const v = e[k];
    if (v && !v.startsWith('https://')) problems.push(`${k}: must be an https:// URL (got ${v.split(':')[0]}:…)`);
  }
  if (e.BOT_ID && !e.BOT_PASSWORD && e.BOT_APP_TYPE !== 'UserAssignedMSI')
    problems.push('BOT_PASSWORD: required with BOT_ID');
  if (e.ACCESS_CONTROL_SCIM_URL) {
    const scim = new URL(e.ACCESS_CONTROL_SCIM_URL);
    if (scim.protocol !== 'https:' && !(scim.protocol === 'http:' && isLoopbackHost(scim.hostname)))
      problems.push(
        'ACCESS_CONTROL_SCIM_URL: must be https:// (http:// only on a loopback address: the bearer token would travel in clear)',
      );
  }
  if (e.SIGNING_SECRET) {
    const weak = signingSecretProblem(e.SIGNING_SECRET);
    if (weak) problems.push(weak);
  }
  if (Boolean(e.ACCESS_CONTROL_SCIM_URL) !== Boolean(e.ACCESS_CONTROL_SCIM_TOKEN))
    problems.push(
      'ACCESS_CONTROL_SCIM_URL and ACCESS_CONTROL_SCIM_TOKEN: set both to read Access Control over SCIM, or neither',
    );
  if (e.SCHEDULER === 'bullmq' && !e.REDIS_URL) problems.push('REDIS_URL: required when SCHEDULER=bullmq');
  if (!/^(sqlite|redis|rediss|postgres|postgresql|memory):/.test(e.STORE_URL))
    problems.push(
      `STORE_URL: must start with sqlite://, redis://, postgres:// or memory:// (got ${e.STORE_URL.split(':')[0]}:…)`,
    );
  if (e.METRICS_TOKEN !== undefined && e.METRICS_TOKEN.length < 16)
    problems.push('METRICS_TOKEN: must be at least 16 characters (e.g. openssl rand -hex 32)');
  if (e.METRICS_PORT === undefined && env.METRICS_HOST?.trim())
    problems.push('METRICS_HOST: only used with METRICS_PORT');
  if (e.METRICS_PORT !== undefined && !e.METRICS_TOKEN && !isLoopbackHost(e.METRICS_HOST))
    problems.push(
      `METRICS_TOKEN: required when METRICS_HOST is not a loopback address (METRICS_HOST is ${e.METRICS_HOST})`,
    );
  if (problems.length > 0) throw new ConfigError(problems);

  const config: Config = {
    demo,
    entra: {
      tenantId: e.ENTRA_TENANT_ID,
      clientId: e.ENTRA_CLIENT_ID,
      clientSecret: e.ENTRA_CLIENT_SECRET,
      clientCertPath: e.ENTRA_CLIENT_CERT_PATH,
      clientCertThumbprintSha256: e.ENTRA_CLIENT_CERT_THUMBPRINT_SHA256,
      authorityHost: e.ENTRA_AUTHORITY_HOST ?? 'https://login.microsoftonline.com',
      graphBaseUrl: e.GRAPH_BASE_URL ?? 'https://graph.microsoft.com',
      caFile: e.ENTRA_CA_FILE,
    },
    bot: {
      id: e.BOT_ID,
      password: e.BOT_PASSWORD,
      tenantId: e.BOT_TENANT_ID,
      appType: e.BOT_APP_TYPE,
      localMode: e.BOT_LOCAL_MODE || (demo && !e.BOT_ID && isLoopbackHost(e.HOST)),
      channelAuth:
        e.BOT_OPENID_METADATA_URL && e.BOT_TOKEN_ISSUER && e.BOT_LOGIN_URL && e.BOT_OAUTH_SCOPE
          ? {
              openIdMetadataUrl: e.BOT_OPENID_METADATA_URL,
              tokenIssuer: e.BOT_TOKEN_ISSUER,
              loginUrl: e.BOT_LOGIN_URL.replace(/\/+$/, ''),
              oauthScope: e.BOT_OAUTH_SCOPE,
            }
          : null,
    },
    host: e.HOST,
    port: e.PORT,
    publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://${e.HOST.includes(':') ? `[${e.HOST}]` : e.HOST}:${e.PORT}`).replace(
      /\/+$/,
      '',
    ),
    allowedTenantIds:
      e.ALLOWED_TENANT_IDS.length > 0
        ? e.ALLOWED_TENANT_IDS
        : [e.BOT_TENANT_ID, e.ENTRA_TENANT_ID].filter((t): t is string => Boolean(t)),
    adminAadObjectIds: e.ADMIN_AAD_OBJECT_IDS,
    storeUrl: e.STORE_URL,
    accessControlScim:
      e.ACCESS_CONTROL_SCIM_URL && e.ACCESS_CONTROL_SCIM_TOKEN
        ? { url: e.ACCESS_CONTROL_SCIM_URL, token: e.ACCESS_CONTROL_SCIM_TOKEN }
        : null,
    syncIntervalSeconds: e.SYNC_INTERVAL_SECONDS,
    syncLeaseTtlSeconds: e.SYNC_LEASE_TTL_SECONDS,
    scheduler: e.SCHEDULER,
    syncWorker: e.SYNC_WORKER,
    redisUrl: e.REDIS_URL,
    logRetentionDays: e.LOG_RETENTION_DAYS,
    downloadLinkTtlSeconds: e.DOWNLOAD_LINK_TTL_SECONDS,
    signingSecret: e.SIGNING_SECRET,
    logLevel: e.LOG_LEVEL,
    metrics:
      e.METRICS_TOKEN !== undefined || e.METRICS_PORT !== undefined
        ? { token: e.METRICS_TOKEN, port: e.METRICS_PORT ?? null, host: e.METRICS_HOST }
        : null,
    graphTimeoutSeconds: e.GRAPH_TIMEOUT_SECONDS,
    scimTimeoutSeconds: e.SCIM_TIMEOUT_SECONDS,
    shutdownGraceSeconds: e.SHUTDOWN_GRACE_SECONDS,
    locale: localeOfEnv(e),
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
