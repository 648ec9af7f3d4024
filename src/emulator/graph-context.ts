// What a Graph route handler gets besides the request: the tenant, the caller's permissions, the clock, paging helpers.
import { forbidden, GraphErrorResponse, type GraphRequest, unsupportedQuery } from './graph-types.js';
import { type FilterExpr, ODataSyntaxError, parseFilter } from './odata.js';
import type { Tenant } from './tenant.js';

export interface GraphContext {
  tenant: Tenant;
  /** Application permissions in the caller's token. */
  roles: string[];
  /** Object id of the calling app's service principal (the token's `oid`). */
  callerId: string;
  /** Milliseconds since the epoch (the emulator's clock). */
  now(): number;
  graphBaseUrl: string;
  requestId: string;
  /** Called after a successful write (persistence, stats). */
  onWrite(): void;
}

/**
 * 403 Authorization_RequestDenied unless the token carries one of the permissions: an app-only token's permissions
 * are its `roles` claim, absent before admin consent (https://learn.microsoft.com/en-us/graph/resolve-auth-errors,
 * https://learn.microsoft.com/en-us/entra/identity-platform/v2-admin-consent).
 */
export function requireAny(ctx: GraphContext, permissions: readonly string[]): void {
  if (!permissions.some((p) => ctx.roles.includes(p))) throw forbidden();
}

export const READ_USERS = ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
export const WRITE_USERS = ['User.ReadWrite.All', 'Directory.ReadWrite.All'];

/** $top: 1–999 (default 100); anything else is 400, as Graph answers. */
export function pageSize(req: GraphRequest, fallback = 100): number {
  const raw = req.query.get('$top');
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(n) || n < 1 || n > 999)
    throw unsupportedQuery(`Invalid page size specified: '${raw}'. Must be between 1 and 999 inclusive.`);
  return n;
}

/** Whether the request is an advanced query: `ConsistencyLevel: eventual` header and `$count=true`. */
export function advancedQuery(req: GraphRequest): { eventual: boolean; count: boolean } {
  return {
    eventual: (req.headers.consistencylevel ?? '').toLowerCase() === 'eventual',
    count: (req.query.get('$count') ?? '').toLowerCase() === 'true',
  };
}

const TOKEN_PREFIX = 'RFNwdAoAAQAAAA';

/** An opaque $skiptoken carrying the position after which the next page starts. */
export function encodeSkipToken(cursor: string): string {
  return TOKEN_PREFIX + Buffer.from(JSON.stringify({ after: cursor }), 'utf8').toString('base64url');
}

export function decodeSkipToken(token: string | null): string | undefined {
  if (token === null) return undefined;
  try {
    if (!token.startsWith(TOKEN_PREFIX)) throw new Error('prefix');
    const parsed = JSON.parse(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8')) as {
      after?: unknown;
    };
    if (typeof parsed.after !== 'string') throw new Error('shape');
    return parsed.after;
  } catch {
    throw new GraphErrorResponse(
      400,
      'Directory_InvalidSkipToken',
      'The specified page token value has expired or is invalid.',
    );
  }
}

/** The @odata.nextLink: the request's own URL with $skiptoken replaced. */
export function nextLink(ctx: GraphContext, req: GraphRequest, cursor: string): string {
  const q = new URLSearchParams(req.query);
  q.delete('$skiptoken');
  q.set('$skiptoken', encodeSkipToken(cursor));
  const path = req.url.split('?')[0]!;
  return `${ctx.graphBaseUrl}${path}?${q.toString().replace(/%24/g, '$')}`;
}

/** @odata.context URL for a resource path, with the selected properties when given. */
export function contextUrl(ctx: GraphContext, resource: string, select: string[] | null, entity = false): string {
  const sel = select ? `(${select.join(',')})` : '';
  return `${ctx.graphBaseUrl}/v1.0/$metadata#${resource}${sel}${entity ? '/$entity' : ''}`;
}

/** A $filter parsed; a syntax error is Graph's 400 BadRequest with the parser's message. */
export function parseGraphFilter(raw: string): FilterExpr {
  try {
    return parseFilter(raw);
  } catch (err) {
    if (err instanceof ODataSyntaxError) throw new GraphErrorResponse(400, 'BadRequest', err.message);
    throw err;
  }
}
