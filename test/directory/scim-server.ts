// A small real SCIM 2.0 service provider for tests (RFC 7644): bearer auth, ListResponse paging, userName eq/ew filters.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SCIM_LIST_RESPONSE, type ScimUser } from '../../src/directory/scim-directory.js';

const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

export interface ScimServerOptions {
  readonly token: string;
  readonly users: readonly ScimUser[];
  /** Advertised in /ServiceProviderConfig; when false a filter is answered 501. */
  readonly filterSupported?: boolean;
  /** Most resources per page, whatever the client asks. */
  readonly maxResults?: number;
}

export interface ScimServer {
  readonly baseUrl: string;
  /** Every request's path and query, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

/** Parses `attr op "value"` for op eq / ew (case-insensitive names, backslash escapes); null when unsupported. */
export function parseFilter(filter: string): { attr: string; op: 'eq' | 'ew'; value: string } | null {
  const m = /^\s*([A-Za-z][\w.:-]*)\s+(eq|ew)\s+"((?:[^"\\]|\\.)*)"\s*$/i.exec(filter);
  if (!m) return null;
  return { attr: m[1]!, op: m[2]!.toLowerCase() as 'eq' | 'ew', value: m[3]!.replace(/\\(.)/g, '$1') };
}

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/scim+json' });
  res.end(JSON.stringify(body));
}
const scimError = (res: ServerResponse, status: number, detail: string, scimType?: string) =>
  send(res, status, { schemas: [ERROR_SCHEMA], status: String(status), detail, ...(scimType ? { scimType } : {}) });

export async function startScimServer(options: ScimServerOptions): Promise<ScimServer> {
  const filterSupported = options.filterSupported ?? true;
  const maxResults = options.maxResults ?? 100;
  const requests: string[] = [];

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://scim.test');
    requests.push(`${url.pathname}${url.search}`);
    if (req.headers.authorization !== `Bearer ${options.token}`) {
      res.setHeader('www-authenticate', 'Bearer realm="scim"');
      return scimError(res, 401, 'Authorization failure: a valid bearer token is required');
    }
    if (req.method !== 'GET') return scimError(res, 405, `${req.method} is not supported here`);
    const path = url.pathname.replace(/^\/scim\/v2/, '');
    if (path === '/ServiceProviderConfig') {
      return send(res, 200, {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
        patch: { supported: false },
        bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
        filter: { supported: filterSupported, maxResults },
        changePassword: { supported: false },
        sort: { supported: false },
        etag: { supported: false },
        authenticationSchemes: [{ type: 'oauthbearertoken', name: 'OAuth Bearer Token', description: 'Bearer' }],
      });
    }
    if (path !== '/Users') return scimError(res, 404, `no resource at ${url.pathname}`);

    let matched = [...options.users];
    const filter = url.searchParams.get('filter');
    if (filter !== null) {
      if (!filterSupported) return scimError(res, 501, 'filtering is not supported');
      const parsed = parseFilter(filter);
      if (parsed?.attr.toLowerCase() !== 'username' || !parsed)
        return scimError(res, 400, `unsupported filter: ${filter}`, 'invalidFilter');
      // userName is case-insensitive (RFC 7643 §4.1.1: caseExact false).
      const value = parsed.value.toLowerCase();
      matched = matched.filter((u) =>
        parsed.op === 'eq' ? u.userName.toLowerCase() === value : u.userName.toLowerCase().endsWith(value),
      );
    }
    const startIndex = Math.max(1, Number(url.searchParams.get('startIndex') ?? '1') || 1);
    const count = Math.min(maxResults, Math.max(0, Number(url.searchParams.get('count') ?? String(maxResults))));
    const page = matched.slice(startIndex - 1, startIndex - 1 + count);
    return send(res, 200, {
      schemas: [SCIM_LIST_RESPONSE],
      totalResults: matched.length,
      startIndex,
      itemsPerPage: page.length,
      Resources: page,
    });
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/scim/v2`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
