// The one place that turns Graph/HTTP/network failures into an ErrorKind with a code, a readable message and a policy.
import type { ErrorKind, ErrorPolicy } from '../sync/model.js';
import { scrubSecrets } from '../logger.js';

export type { ErrorPolicy };

/**
 * What to do with each kind (docs/architecture.md, Errors): the one table the connector's retries (nextRetry in
 * retry.ts), the writer and, through each failed WriteResult's `policy`, the apply run act on.
 */
export const ERROR_POLICY: Readonly<Record<ErrorKind, ErrorPolicy>> = Object.freeze({
  /** 5xx, resets, timeouts: retry with jittered backoff (writes whose outcome is unknown are resolved first). */
  transient: 'retry',
  /** 429: retry after the server's Retry-After. */
  throttled: 'retry-after',
  /** The object already exists (UPN / Immutable ID taken): adopt it or skip and log. */
  conflict: 'adopt-or-skip',
  /** Gone: a delete is done, an update is skipped. */
  not_found: 'done-or-skip',
  /** Missing permission: stop the run. */
  forbidden: 'stop-run',
  /** Graph refused the values: skip this user and log why. */
  bad_request: 'skip-and-log',
  /** Credential, TLS or configuration failure: stop the run. */
  stop: 'stop-run',
});

/** A classified failure. `retryAfterMs` is set when the server said how long to wait. */
export interface GraphFailure {
  readonly kind: ErrorKind;
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly retryAfterMs: number | null;
  /** True when the request may have been applied (sent, then no trustworthy answer). */
  readonly maybeApplied: boolean;
}

/** Thrown by the connector's read paths; `failure` carries the classification. */
export class GraphRequestError extends Error {
  readonly failure: GraphFailure;
  constructor(failure: GraphFailure, context?: string) {
    super(context ? `${context}: ${failure.message}` : failure.message);
    this.name = 'GraphRequestError';
    this.failure = failure;
  }
  get kind(): ErrorKind {
    return this.failure.kind;
  }
}

export type HeaderSource = { get(name: string): string | null } | Record<string, string | undefined> | undefined;

export function headerValue(headers: HeaderSource, name: string): string | null {
  if (!headers) return null;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(n: string): string | null }).get(name);
  }
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers as Record<string, string | undefined>)) {
    if (k.toLowerCase() === wanted && v !== undefined) return String(v);
  }
  return null;
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date (relative to `now`); null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null || value.trim() === '') return null;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}

/** x-ms-throttle-limit-percentage as a fraction of the budget (Graph sends 0.8–1.8; a value > 2 is read as percent). */
export function parseThrottlePercentage(value: string | null): number | null {
  if (value === null) return null;
  const n = Number(value.trim());
  if (!Number.isFinite(n) || n < 0) return null;
  return n > 2 ? n / 100 : n;
}

interface GraphErrorBody {
  error?: { code?: unknown; message?: unknown; details?: unknown; innerError?: unknown };
}

function errorParts(body: unknown): { code: string | null; message: string | null; detailCodes: string[] } {
  if (!body || typeof body !== 'object') return { code: null, message: null, detailCodes: [] };
  const e = (body as GraphErrorBody).error;
  if (!e || typeof e !== 'object') return { code: null, message: null, detailCodes: [] };
  const detailCodes: string[] = [];
  if (Array.isArray(e.details)) {
    for (const d of e.details) {
      if (d && typeof d === 'object' && typeof (d as { code?: unknown }).code === 'string') {
        detailCodes.push((d as { code: string }).code);
      }
    }
  }
  return {
    code: typeof e.code === 'string' ? e.code : null,
    message: typeof e.message === 'string' ? e.message : null,
    detailCodes,
  };
}

const CONFLICT_HINT = /ObjectConflict|already exists|same value for property/i;

export interface ClassifyResponseInput {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: HeaderSource;
  /** Milliseconds since the epoch, for HTTP-date Retry-After values. */
  readonly now?: number;
  /** True for POST/PATCH/DELETE: a 5xx may have been applied. */
  readonly isWrite?: boolean;
  /** The permission the request needs, named in the forbidden message. */
  readonly permission?: string;
}

/** Classifies a non-2xx HTTP answer (a whole response or one $batch item). */
export function classifyResponse(input: ClassifyResponseInput): GraphFailure {
  const { status } = input;
  const parts = errorParts(input.body);
  const graphCode = parts.code ?? `HTTP${status}`;
  const graphMessage = scrubSecrets(parts.message ?? `HTTP ${status}`);
  const retryAfterMs = parseRetryAfter(headerValue(input.headers, 'retry-after'), input.now ?? Date.now());
  const isWrite = input.isWrite ?? false;
  const make = (kind: ErrorKind, message: string, maybeApplied = false): GraphFailure => ({
    kind,
    status,
    code: graphCode,
    message,
    retryAfterMs,
    maybeApplied,
  });

  if (status === 429) {
    return make('throttled', `Graph throttled the request (429 ${graphCode}); retrying after the time it asked for`);
  }
  if (status === 401) {
    return make(
      'stop',
      `Graph rejected the access token (401 ${graphCode}: ${graphMessage}); check ENTRA_TENANT_ID, ENTRA_CLIENT_ID and GRAPH_BASE_URL`,
    );
  }
  if (status === 403) {
    const permission = input.permission ?? (isWrite ? 'User.ReadWrite.All' : 'User.Read.All');
    return make(
      'forbidden',
      `Graph denied the request (403 ${graphCode}: ${graphMessage}); grant the app the ${permission} application permission and admin consent, then run again`,
    );
  }
  if (status === 404) return make('not_found', `not found (404 ${graphCode}): ${graphMessage}`);
  if (status === 409 || status === 412) return make('conflict', `conflict (${status} ${graphCode}): ${graphMessage}`);
  if (status === 400 && (parts.detailCodes.includes('ObjectConflict') || CONFLICT_HINT.test(parts.message ?? ''))) {
    return { ...make('conflict', `conflict (400 ObjectConflict): ${graphMessage}`), code: 'ObjectConflict' };
  }
  if (status === 408 || status === 424 || status >= 500) {
    // The service may have committed a write before failing (Graph's 503/504 after commit).
    return make('transient', `Graph is temporarily unavailable (${status} ${graphCode}): ${graphMessage}`, isWrite);
  }
  if (status >= 400) return make('bad_request', `Graph refused the request (${status} ${graphCode}): ${graphMessage}`);
  return make('transient', `unexpected HTTP status ${status}`, isWrite);
}

/** Network error codes where nothing reached the server: safe to resend any request. */
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TLS_CODES =
  /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_HAS_EXPIRED|ERR_TLS_CERT_ALTNAME_INVALID|CERT_UNTRUSTED|ERR_SSL_.*)$/;

/** Walks `cause` chains to the innermost code (undici wraps socket errors in "fetch failed"). */
export function networkErrorCode(err: unknown): string | null {
  let current: unknown = err;
  let found: string | null = null;
  for (let depth = 0; depth < 6 && current && typeof current === 'object'; depth++) {
    const e = current as { code?: unknown; name?: unknown; cause?: unknown };
    if (typeof e.code === 'string' && e.code !== '') found = e.code;
    else if (!found && (e.name === 'TimeoutError' || e.name === 'AbortError')) found = e.name;
    current = e.cause;
  }
  return found;
}

/** Classifies an exception from the transport (no HTTP answer). `sent` is false only when the request surely never left. */
export function classifyNetworkError(
  err: unknown,
  options: { isWrite?: boolean; target?: string; timeoutMs?: number } = {},
): GraphFailure {
  const code = networkErrorCode(err) ?? 'NETWORK_ERROR';
  const raw = err instanceof Error ? err.message : String(err);
  const inner = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  const detail = scrubSecrets(`${raw}${inner}`);
  const where = options.target ? ` ${options.target}` : '';
  if (TLS_CODES.test(code)) {
    return {
      kind: 'stop',
      status: 0,
      code,
      message: `the TLS certificate of${where || ' the server'} is not trusted (${code}); set ENTRA_CA_FILE to the CA that signed it`,
      retryAfterMs: null,
      maybeApplied: false,
    };
  }
  const notSent = NOT_SENT.has(code);
  // Unknown codes count as "maybe sent": a create is never blindly repeated.
  const maybeApplied = (options.isWrite ?? false) && !notSent;
  if (code === 'TimeoutError' && options.timeoutMs !== undefined) {
    // Our own per-request limit fired (AbortSignal.timeout): the server was reached but did not answer in time.
    return {
      kind: 'transient',
      status: 0,
      code,
      message: `the request to${where || ' the server'} timed out after ${formatSeconds(options.timeoutMs)} s (GRAPH_TIMEOUT_SECONDS)`,
      retryAfterMs: null,
      maybeApplied,
    };
  }
  return {
    kind: 'transient',
    status: 0,
    code,
    message: notSent
      ? `cannot reach${where || ' the server'} (${code}): ${detail}`
      : `the connection${where ? ` to${where}` : ''} failed before an answer arrived (${code}): ${detail}`,
    retryAfterMs: null,
    maybeApplied,
  };
}

/** Milliseconds as seconds for a message: whole when whole, else one decimal. */
export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return Number.isInteger(s) ? String(s) : s.toFixed(1);
}

/** Any thrown value → a GraphFailure (GraphRequestError keeps its own). */
export function toFailure(err: unknown, options: { isWrite?: boolean; target?: string } = {}): GraphFailure {
  if (err instanceof GraphRequestError) return err.failure;
  return classifyNetworkError(err, options);
}

/** True when a retry may help (the kinds whose policy is retry / retry-after). */
export const isRetryable = (kind: ErrorKind): boolean =>
  ERROR_POLICY[kind] === 'retry' || ERROR_POLICY[kind] === 'retry-after';

/** True when a failure of this kind ends the run (its policy is stop-run): nothing more is sent. */
export const stopsRun = (kind: ErrorKind): boolean => ERROR_POLICY[kind] === 'stop-run';
