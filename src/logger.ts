// Structured logging (pino) with every credential-shaped field redacted, so no secret or token reaches a log line.
import { pino, type Logger } from 'pino';

export type { Logger };

const SECRET_KEYS = [
  'password',
  'secret',
  'clientSecret',
  'client_secret',
  'token',
  'accessToken',
  'access_token',
  'authorization',
  'Authorization',
  'assertion',
  'client_assertion',
  'privateKey',
  'BOT_PASSWORD',
  'ENTRA_CLIENT_SECRET',
  'SIGNING_SECRET',
];

export const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  ...SECRET_KEYS.map((k) => `*.*.${k}`),
  'req.headers.authorization',
  'headers.authorization',
];

/** A pino logger that writes JSON to stderr (stdout stays free for CLI output). */
export function createLogger(level: string, destination: NodeJS.WritableStream = process.stderr): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination as pino.DestinationStream,
  );
}

/** Strips bearer tokens, JWTs and secret query parameters from free text (error messages, URLs) before logging. */
export function scrubSecrets(text: string): string {
  return text
    .replace(/Bearer\s+[A-Za-z0-9._~+/=-]+/gi, 'Bearer [redacted]')
    .replace(/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, '[jwt redacted]')
    .replace(/((?:client_secret|client_assertion|password|sig|token)=)[^&\s"]+/gi, '$1[redacted]');
}
