// The environment variables the bot reads, as a zod schema: types, defaults and per-variable messages (env/.env.example).
import { z } from 'zod';

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const str = () => z.preprocess(emptyToUndefined, z.string().trim().optional());
const bool = (fallback: boolean) =>
  z.preprocess(
    emptyToUndefined,
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
      .optional()
      .transform((v) => (v === undefined ? fallback : v === 'true' || v === '1' || v === 'yes')),
  );
const boolOpt = () =>
  z.preprocess(
    emptyToUndefined,
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
      .optional()
      .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1' || v === 'yes')),
  );
/** A whole number from min to max, with the messages every numeric setting gives. */
const wholeNumber = (min: number, max: number) =>
  z.coerce
    .number({ message: 'must be a whole number' })
    .int('must be a whole number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);
const int = (fallback: number, min: number, max: number) =>
  z.preprocess(emptyToUndefined, wholeNumber(min, max).default(fallback));
const intOpt = (min: number, max: number) => z.preprocess(emptyToUndefined, wholeNumber(min, max).optional());
const list = () =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .optional()
      .transform((v) =>
        (v ?? '')
          .split(/[,\s]+/)
          .map((s) => s.trim())
          .filter(Boolean),
      ),
  );
const url = () => z.preprocess(emptyToUndefined, z.string().url('must be a URL such as https://host').optional());

export const envSchema = z.object({
  DEMO: boolOpt(),
  ENTRA_TENANT_ID: str(),
  ENTRA_CLIENT_ID: str(),
  ENTRA_CLIENT_SECRET: str(),
  ENTRA_CLIENT_CERT_PATH: str(),
  ENTRA_CLIENT_CERT_THUMBPRINT_SHA256: str(),
  ENTRA_AUTHORITY_HOST: url(),
  GRAPH_BASE_URL: url(),
  ENTRA_CA_FILE: str(),
  BOT_ID: str(),
  BOT_PASSWORD: str(),
  BOT_TENANT_ID: str(),
  BOT_APP_TYPE: z.preprocess(emptyToUndefined, z.enum(['MultiTenant', 'SingleTenant', 'UserAssignedMSI']).optional()),
  BOT_LOCAL_MODE: bool(false),
  BOT_OPENID_METADATA_URL: url(),
  BOT_TOKEN_ISSUER: url(),
  BOT_LOGIN_URL: url(),
  BOT_OAUTH_SCOPE: url(),
  HOST: z.preprocess(emptyToUndefined, z.string().default('127.0.0.1')),
  PORT: int(3978, 0, 65535),
  PUBLIC_BASE_URL: url(),
  ALLOWED_TENANT_IDS: list(),
  ADMIN_AAD_OBJECT_IDS: list(),
  ACCESS_CONTROL_SCIM_URL: url(),
  ACCESS_CONTROL_SCIM_TOKEN: str(),
  STORE_URL: z.preprocess(emptyToUndefined, z.string().default('sqlite://.data/state.sqlite')),
  SYNC_INTERVAL_SECONDS: int(3600, 1, 86_400),
  SYNC_LEASE_TTL_SECONDS: int(120, 1, 3600),
  SCHEDULER: z.preprocess(emptyToUndefined, z.enum(['local', 'bullmq']).default('local')),
  SYNC_WORKER: z.preprocess(emptyToUndefined, z.enum(['process', 'inline']).default('process')),
  REDIS_URL: str(),
  LOG_RETENTION_DAYS: int(90, 1, 3650),
  DOWNLOAD_LINK_TTL_SECONDS: int(3600, 60, 7 * 86_400),
  SIGNING_SECRET: str(),
  LANG: str(),
  LC_ALL: str(),
  LC_MESSAGES: str(),
  LOG_LEVEL: z.preprocess(
    emptyToUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
  // Operations (issue 14): metrics endpoint, request timeouts, shutdown grace.
  METRICS_TOKEN: str(),
  METRICS_PORT: intOpt(0, 65535),
  METRICS_HOST: z.preprocess(emptyToUndefined, z.string().trim().default('127.0.0.1')),
  GRAPH_TIMEOUT_SECONDS: int(60, 1, 600),
  SCIM_TIMEOUT_SECONDS: int(30, 1, 600),
  SHUTDOWN_GRACE_SECONDS: int(30, 1, 600),
});
