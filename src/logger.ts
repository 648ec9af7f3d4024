// Structured logging (pino) with every credential-shaped field redacted, so no secret or token reaches a log line.
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

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

export interface LoggerOptions {
  /**
   * Human-readable lines (pino-pretty) instead of JSON: for a person watching a terminal in development (the demo).
   * Redaction happens before formatting, so it holds either way.
   */
  readonly pretty?: boolean;
  /** Colours in pretty output (default: when the destination is a terminal). */
  readonly colorize?: boolean;
}

/** A pino logger that writes JSON (or, with `pretty`, readable lines) to stderr; stdout stays free for CLI output. */
export function createLogger(
  level: string,
  destination: NodeJS.WritableStream = process.stderr,
  options: LoggerOptions = {},
): Logger {
  const stream = options.pretty
    ? pretty({
        destination,
        colorize: options.colorize ?? (destination as { isTTY?: boolean }).isTTY === true,
        translateTime: 'SYS:HH:MM:ss',
        ignore: 'pid,hostname',
        sync: true,
      })
    : (destination as pino.DestinationStream);
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    stream,
  );
}

/** Strips bearer tokens, JWTs and secret query parameters from free text (error messages, URLs) before logging. */
export function scrubSecrets(text: string): string {
  return text
    .replace(/Bearer\s+[A-Za-z0-9._~+/=-]+/gi, 'Bearer [redacted]')
    .replace(/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, '[jwt redacted]')
    .replace(/((?:client_secret|client_assertion|password|sig|token)=)[^&\s"]+/gi, '$1[redacted]');
}
