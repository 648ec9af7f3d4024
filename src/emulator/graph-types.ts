// The shapes Graph handlers work on (one request in, one response out) and Graph's error body.

export interface GraphRequest {
  method: string;
  /** Path below /v1.0, decoded segments joined by '/', e.g. '/users/alice@contoso.com'. */
  path: string;
  segments: string[];
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: unknown;
  /** The request URL as the client sent it (path + query), for nextLink building. */
  url: string;
}

export interface GraphResponse {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
  /** Raw text body (e.g. /users/$count), sent as text/plain. */
  text?: string;
}

export const JSON_CONTENT_TYPE =
  'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

/** A Graph JSON answer (200 unless told), as every route returns one. */
export function ok(body: unknown, status = 200, headers: Record<string, string> = {}): GraphResponse {
  return { status, headers: { 'content-type': JSON_CONTENT_TYPE, ...headers }, body };
}

export interface ErrorDetail {
  code: string;
  message?: string;
  target: string;
}

/** Graph's error body `{error:{code,message,innerError}}`, with the request id and date in innerError. */
export function graphError(
  status: number,
  code: string,
  message: string,
  requestId: string,
  now: Date,
  details?: ErrorDetail[],
): GraphResponse {
  const error: Record<string, unknown> = { code, message };
  if (details) error.details = details;
  error.innerError = {
    date: now.toISOString().replace(/\.\d{3}Z$/, ''),
    'request-id': requestId,
    'client-request-id': requestId,
  };
  return { status, headers: { 'content-type': JSON_CONTENT_TYPE }, body: { error } };
}

/**
 * Thrown by a route to refuse a request: caught at the edge (`graph.ts`, `server.ts`, `$batch`) and answered with
 * `status` and Graph's error body built by `graphError`. Not `GraphFailure` of `src/entra/errors.ts`, the client's
 * classified failure.
 */
export class GraphErrorResponse extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
  }
}

export const badRequest = (message: string, details?: ErrorDetail[]) =>
  new GraphErrorResponse(400, 'Request_BadRequest', message, details);
export const unsupportedQuery = (message: string) => new GraphErrorResponse(400, 'Request_UnsupportedQuery', message);
export const notFound = (id: string) =>
  new GraphErrorResponse(
    404,
    'Request_ResourceNotFound',
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );
export const forbidden = () =>
  new GraphErrorResponse(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
