// The Graph client: the SDK's request builder with our token, our HTTPS transport and no hidden retries; plus raw $batch.
import {
  AuthenticationHandler,
  AuthenticationHandlerOptions,
  Client,
  type GraphRequest,
  ResponseType,
} from '@microsoft/microsoft-graph-client';
import type { Logger } from '../logger.js';
import type { OpsObserver } from '../sync/observer.js';
import { scrubSecrets } from '../logger.js';
import type { Credential } from './credential.js';
import { CredentialError } from './credential.js';
import { classifyNetworkError, GraphRequestError, parseRetryAfter } from './errors.js';
import type { TransportFetch } from './http-transport.js';
import { readBody, TransportHandler, TransportOptions } from './sdk-transport.js';
import type { ThrottlePacer } from './pacer.js';

/** A string literal in an OData `$filter`: single-quoted, its own single quotes doubled. */
export const odataString = (value: string): string => `'${value.replace(/'/g, "''")}'`;

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface GraphResponse<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

export interface BatchRequestItem {
  readonly id: string;
  readonly method: HttpMethod;
  /** Relative to the version root, e.g. `/users/{id}`. */
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

export interface BatchResponseItem {
  readonly id: string;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

export interface BatchResponse {
  readonly status: number;
  readonly headers: Headers;
  /** Per-item answers when the $batch itself succeeded, else null (see body). */
  readonly responses: BatchResponseItem[] | null;
  readonly body: unknown;
}

export interface SendRequest {
  readonly method: HttpMethod;
  /** `/users?...` relative to the version root, or an absolute `@odata.nextLink`. */
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
  readonly timeoutMs?: number;
}

export interface GraphClient {
  /** The SDK client (our middleware chain: token + HTTPS transport, no SDK retries). */
  readonly sdk: Client;
  /** `sdk.api(path)`, for callers that want the SDK's fluent builder. */
  api(path: string): GraphRequest;
  /**
   * One request; resolves with any HTTP status (the caller classifies it with errors.ts), rejects with a
   * GraphRequestError only when no answer arrived (network/TLS) or no token could be had.
   */
  send<T = unknown>(request: SendRequest): Promise<GraphResponse<T>>;
  /** POST /$batch with at most 20 requests. */
  rawBatch(requests: readonly BatchRequestItem[], options?: { timeoutMs?: number }): Promise<BatchResponse>;
  readonly graphBaseUrl: string;
  readonly version: string;
  readonly pacer: ThrottlePacer | null;
}

export interface GraphClientOptions {
  readonly credential: Credential;
  /** e.g. https://graph.microsoft.com or https://127.0.0.1:PORT (no version). */
  readonly graphBaseUrl: string;
  readonly fetch: TransportFetch;
  readonly logger: Logger;
  readonly pacer?: ThrottlePacer;
  /** Default per-request timeout. Default 60 s. */
  readonly timeoutMs?: number;
  readonly version?: string;
  /** Told of each 429 (with its Retry-After) and of the throttling budget Graph reports (metrics). */
  readonly observer?: OpsObserver;
}

export function createGraphClient(options: GraphClientOptions): GraphClient {
  const base = new URL(options.graphBaseUrl);
  if (base.protocol !== 'https:') {
    throw new Error(`GRAPH_BASE_URL: must be an https:// URL (got ${base.protocol}//)`);
  }
  const graphBaseUrl = base.origin;
  const version = options.version ?? 'v1.0';
  const defaultTimeoutMs = options.timeoutMs ?? 60_000;
  const { credential, logger } = options;
  const pacer = options.pacer ?? null;
  const observer = options.observer ?? null;
  /** Reports a 429 and the budget share after the pacer took the answer in. */
  const observed = (status: number, retryAfterMs: number | null, scope: 'request' | 'item') => {
    if (!observer) return;
    if (status === 429)
      observer({ type: 'throttled', scope, retryAfterSeconds: retryAfterMs === null ? null : retryAfterMs / 1000 });
    if (pacer) observer({ type: 'budget', share: pacer.state().usage });
  };

  const sdk = Client.initWithMiddleware({
    baseUrl: graphBaseUrl,
    defaultVersion: version,
    // Without this the SDK sends no token to a host it does not know as Graph (the emulator).
    customHosts: new Set([base.hostname]),
    middleware: [
      new AuthenticationHandler({ getAccessToken: () => credential.getToken() }),
      new TransportHandler(options.fetch, defaultTimeoutMs),
    ],
  });

  const sendOnce = async <T>(request: SendRequest, freshToken: boolean): Promise<GraphResponse<T>> => {
    const isWrite = request.method !== 'GET';
    if (/^https?:\/\//i.test(request.path) && new URL(request.path).origin !== graphBaseUrl) {
      throw new GraphRequestError({
        kind: 'stop',
        status: 0,
        code: 'ForeignHost',
        message: `refusing to send the Graph token to ${new URL(request.path).origin} (not ${graphBaseUrl})`,
        retryAfterMs: null,
        maybeApplied: false,
      });
    }
    let token: string;
    try {
      token = await credential.getToken(freshToken ? { forceRefresh: true } : undefined);
    } catch (err) {
      const e = err instanceof CredentialError ? err : new CredentialError('token_error', (err as Error).message);
      throw new GraphRequestError({
        kind: 'stop',
        status: 0,
        code: e.code,
        message: e.message,
        retryAfterMs: null,
        maybeApplied: false,
      });
    }
    const transport = new TransportOptions(request.timeoutMs ?? defaultTimeoutMs);
    const builder = sdk
      .api(request.path)
      .headers(request.headers ?? {})
      .responseType(ResponseType.RAW)
      .middlewareOptions([new AuthenticationHandlerOptions({ getAccessToken: async () => token }), transport]);
    const started = Date.now();
    let raw: { status: number; headers: Headers; text(): Promise<string> };
    try {
      switch (request.method) {
        case 'GET':
          raw = await builder.get();
          break;
        case 'POST':
          raw = await builder.post(request.body ?? null);
          break;
        case 'PATCH':
          raw = await builder.patch(request.body ?? {});
          break;
        case 'DELETE':
          raw = await builder.delete();
          break;
      }
    } catch (err) {
      const failure = classifyNetworkError(transport.error ?? err, {
        isWrite,
        target: graphBaseUrl,
        timeoutMs: transport.timeoutMs,
      });
      logger.debug(
        { method: request.method, path: describePath(request.path), code: failure.code, ms: Date.now() - started },
        'graph request failed without an answer',
      );
      throw new GraphRequestError(failure, `${request.method} ${describePath(request.path)}`);
    }
    let body: unknown;
    try {
      body = await readBody(raw);
    } catch (err) {
      throw new GraphRequestError(
        classifyNetworkError(err, { isWrite, target: graphBaseUrl }),
        `${request.method} ${describePath(request.path)}`,
      );
    }
    const retryAfterMs = parseRetryAfter(raw.headers.get('retry-after'), Date.now());
    pacer?.observe(raw.status, raw.headers, retryAfterMs);
    observed(raw.status, retryAfterMs, 'request');
    logger.debug(
      { method: request.method, path: describePath(request.path), status: raw.status, ms: Date.now() - started },
      'graph request',
    );
    return { status: raw.status, headers: raw.headers, body: body as T };
  };

  const send = async <T>(request: SendRequest): Promise<GraphResponse<T>> => {
    const res = await sendOnce<T>(request, false);
    if (res.status !== 401) return res;
    // A token the service no longer accepts (expired early, keys rolled): Graph did nothing; fetch a new one once.
    logger.info(
      { method: request.method, path: describePath(request.path) },
      'Graph refused the token; retrying once with a new one',
    );
    return sendOnce<T>(request, true);
  };

  const rawBatch = async (
    requests: readonly BatchRequestItem[],
    batchOptions: { timeoutMs?: number } = {},
  ): Promise<BatchResponse> => {
    if (requests.length === 0 || requests.length > 20) {
      throw new Error(`a $batch holds 1 to 20 requests (got ${requests.length})`);
    }
    const payload = {
      requests: requests.map((r) => {
        const item: Record<string, unknown> = { id: r.id, method: r.method, url: r.url };
        const headers = { ...(r.headers ?? {}) };
        if (r.body !== undefined) {
          item.body = r.body;
          if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
            headers['Content-Type'] = 'application/json';
          }
        }
        if (Object.keys(headers).length > 0) item.headers = headers;
        return item;
      }),
    };
    const res = await send<unknown>({
      method: 'POST',
      path: '/$batch',
      headers: { 'Content-Type': 'application/json' },
      body: payload,
      ...(batchOptions.timeoutMs !== undefined ? { timeoutMs: batchOptions.timeoutMs } : {}),
    });
    let responses: BatchResponseItem[] | null = null;
    if (res.status >= 200 && res.status < 300) {
      const list = (res.body as { responses?: unknown } | null)?.responses;
      if (Array.isArray(list)) {
        responses = list
          .filter((r): r is Record<string, unknown> => r !== null && typeof r === 'object')
          .map((r) => ({
            id: String(r.id),
            status: typeof r.status === 'number' ? r.status : Number(r.status),
            headers: normalizeHeaders(r.headers),
            body: r.body ?? null,
          }));
        for (const item of responses) {
          const itemRetryAfterMs = parseRetryAfter(item.headers['retry-after'] ?? null, Date.now());
          pacer?.observe(item.status, item.headers, itemRetryAfterMs, 'item');
          observed(item.status, itemRetryAfterMs, 'item');
        }
      }
    }
    return { status: res.status, headers: res.headers, responses, body: res.body };
  };

  return {
    sdk,
    api: (path) => sdk.api(path),
    send,
    rawBatch,
    graphBaseUrl,
    version,
    pacer,
  };
}

function normalizeHeaders(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v !== undefined && v !== null) out[k.toLowerCase()] = String(v);
    }
  }
  return out;
}

/** A path for logs: no host, query values cut short (they may hold a UPN filter, never a secret). */
function describePath(path: string): string {
  const p = path.replace(/^https?:\/\/[^/]+\/[^/]+/i, '');
  return scrubSecrets(p.length > 160 ? `${p.slice(0, 157)}...` : p);
}
