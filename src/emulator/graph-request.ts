// Turns a Graph request target ("/v1.0/users/alice%40contoso.com?$select=id") into a GraphRequest.
import { GraphErrorResponse, type GraphRequest } from './graph-types.js';

/** Parses method, path+query, headers and body; the path must be under /v1.0. */
export function parseGraphTarget(
  method: string,
  target: string,
  headers: Record<string, string>,
  body: unknown,
): GraphRequest {
  const q = target.indexOf('?');
  const rawPath = q >= 0 ? target.slice(0, q) : target;
  const rawQuery = q >= 0 ? target.slice(q + 1) : '';
  const parts = rawPath.split('/').filter(Boolean);
  if (parts[0] !== 'v1.0') throw new GraphErrorResponse(400, 'BadRequest', `Invalid version: ${parts[0] ?? '(none)'}`);
  let segments: string[];
  try {
    segments = parts.slice(1).map((s) => decodeURIComponent(s));
  } catch {
    throw new GraphErrorResponse(400, 'BadRequest', 'The request URL is not valid: bad percent-encoding.');
  }
  // Graph also accepts the key-as-parentheses form: users('alice@contoso.com')
  if (segments.length >= 1) {
    const m = /^(users|domains)\('(.+)'\)$/.exec(segments[0]!);
    if (m) segments = [m[1]!, m[2]!.replace(/''/g, "'"), ...segments.slice(1)];
  }
  const query = new URLSearchParams(rawQuery);
  for (const k of [...query.keys()]) {
    if (
      !k.startsWith('$') &&
      ['select', 'filter', 'top', 'count', 'skiptoken', 'expand', 'orderby', 'search'].includes(k)
    ) {
      query.set(`$${k}`, query.get(k)!);
      query.delete(k);
    }
  }
  return {
    method: method.toUpperCase(),
    path: `/${segments.join('/')}`,
    segments,
    query,
    headers,
    body,
    url: rawPath.startsWith('/') ? rawPath : `/${rawPath}`,
  };
}
