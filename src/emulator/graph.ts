// The Graph v1.0 pipeline for one request: token check, fault injection, throttling, routing, commit-then-fail.
import { randomUUID } from 'node:crypto';
import type { AppRegistry } from './apps.js';
import { handleDirectory } from './directory-routes.js';
import { handleGroups } from './groups-routes.js';
import type { FaultInjector, FaultKind } from './faults.js';
import type { GraphContext } from './graph-context.js';
import { GraphErrorResponse, type GraphRequest, type GraphResponse, graphError } from './graph-types.js';
import type { Stats } from './stats.js';
import type { Tenant } from './tenant.js';
import { requestCost, type Throttler } from './throttle.js';
import type { AccessTokenClaims, TokenIssuer } from './tokens.js';
import { handleUsers } from './users-routes.js';

export interface GraphDeps {
  tenant: Tenant;
  apps: AppRegistry;
  tokens: TokenIssuer;
  throttler: Throttler;
  faults: FaultInjector;
  stats: Stats;
  now: () => number;
  graphBaseUrl: () => string;
  onWrite: () => void;
}

/** What the transport must do besides (or instead of) sending the response. */
export type TransportAction = 'reset' | 'hang' | null;

export interface GraphOutcome {
  response: GraphResponse;
  action: TransportAction;
}

const HTTP_FAULTS: readonly FaultKind[] = ['throttle', 'serverError', 'reset', 'hang', 'commitThenFail'];
const ITEM_FAULTS: readonly FaultKind[] = ['throttle', 'serverError', 'commitThenFail'];

export class GraphService {
  constructor(private readonly deps: GraphDeps) {}

  /** Validates the bearer token (401 InvalidAuthenticationToken otherwise). */
  async authenticate(headers: Record<string, string>, requestId: string): Promise<AccessTokenClaims | GraphResponse> {
    const auth = headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    const fail = (message: string) => {
      const r = graphError(401, 'InvalidAuthenticationToken', message, requestId, new Date(this.deps.now()));
      r.headers['www-authenticate'] =
        `Bearer realm="", authorization_uri="${this.deps.graphBaseUrl()}/${this.deps.tenant.tenantId}/oauth2/v2.0/authorize", client_id="00000003-0000-0000-c000-000000000000"`;
      return r;
    };
    if (!m) return fail('Access token is empty.');
    const verdict = await this.deps.tokens.verify(m[1]!.trim(), this.deps.tenant.tenantId);
    if (!verdict.ok) return fail(verdict.reason);
    return verdict.claims;
  }

  /** Runs one Graph request (a whole HTTP request, or one $batch item when `inBatch`). */
  async execute(
    req: GraphRequest,
    claims: AccessTokenClaims,
    requestId: string,
    inBatch: boolean,
  ): Promise<GraphOutcome> {
    const d = this.deps;
    const now = new Date(d.now());
    const isWrite = req.method !== 'GET';
    const fault = d.faults.roll(inBatch ? ITEM_FAULTS : HTTP_FAULTS);
    if (fault === 'reset' || fault === 'hang') return { response: { status: 0, headers: {} }, action: fault };
    if (fault === 'throttle') {
      const r = graphError(429, 'TooManyRequests', 'Too many requests.', requestId, now);
      r.headers['retry-after'] = String(d.faults.pick([1, 2, 3]));
      return { response: r, action: null };
    }
    if (fault === 'serverError') {
      const status = d.faults.pick([500, 503, 504]);
      const code = status === 503 ? 'serviceNotAvailable' : status === 504 ? 'gatewayTimeout' : 'UnknownError';
      const message =
        status === 503 ? 'Service Unavailable' : status === 504 ? 'Gateway Timeout' : 'Internal server error';
      return { response: graphError(status, code, message, requestId, now), action: null };
    }
    const verdict = d.throttler.charge(claims.tid, claims.appid, requestCost(req.method, req.segments, req.query));
    if (!verdict.ok) {
      const r = graphError(
        429,
        'TooManyRequests',
        'Too many requests. The application has exceeded its throttling limit; retry after the interval in the Retry-After header.',
        requestId,
        now,
      );
      Object.assign(r.headers, verdict.headers);
      return { response: r, action: null };
    }
    const ctx: GraphContext = {
      tenant: d.tenant,
      roles: claims.roles,
      callerId: claims.oid,
      now: d.now,
      graphBaseUrl: d.graphBaseUrl(),
      requestId,
      onWrite: () => {
        d.stats.writes++;
        d.onWrite();
      },
    };
    let response: GraphResponse;
    try {
      response =
        (await handleUsers(req, ctx)) ??
        (await handleDirectory(req, ctx)) ??
        (await handleGroups(req, ctx)) ??
        graphError(400, 'BadRequest', `Resource not found for the segment '${req.segments[0] ?? ''}'.`, requestId, now);
    } catch (err) {
      if (!(err instanceof GraphErrorResponse)) throw err;
      response = graphError(err.status, err.code, err.message, requestId, now, err.details);
    }
    Object.assign(response.headers, verdict.headers);
    if (fault === 'commitThenFail' && isWrite && response.status < 300) {
      if (!inBatch && d.faults.pick([0, 1]) === 1) return { response, action: 'reset' };
      return { response: graphError(503, 'serviceNotAvailable', 'Service Unavailable', requestId, now), action: null };
    }
    return { response, action: null };
  }
}

export function newRequestId(): string {
  return randomUUID();
}
