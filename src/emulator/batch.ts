// POST /v1.0/$batch: up to 20 requests, unique ids, dependsOn (424 after a failed dependency), per-item throttling.
import type { GraphService } from './graph.js';
import { parseGraphTarget } from './graph-request.js';
import { GraphErrorResponse, type GraphResponse } from './graph-types.js';
import type { AccessTokenClaims } from './tokens.js';

export const MAX_BATCH = 20;

interface BatchItem {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  dependsOn: string[];
}

export interface BatchItemResponse {
  id: string;
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

/** Checks the envelope; throws GraphErrorResponse (400) for the whole batch when it is malformed. */
export function parseBatch(body: unknown): BatchItem[] {
  const bad = (message: string) => new GraphErrorResponse(400, 'BadRequest', message);
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { requests?: unknown }).requests))
    throw bad('Invalid batch payload format.');
  const raw = (body as { requests: unknown[] }).requests;
  if (raw.length === 0) throw bad('Invalid batch payload format: the requests array is empty.');
  if (raw.length > MAX_BATCH)
    throw bad(`The number of batch requests (${raw.length}) exceeds the limit of ${MAX_BATCH}.`);
  const ids = new Set<string>();
  const items: BatchItem[] = raw.map((r, i) => {
    if (typeof r !== 'object' || r === null)
      throw bad(`Invalid batch payload format: requests[${i}] is not an object.`);
    const o = r as Record<string, unknown>;
    if (typeof o.id !== 'string' || o.id === '')
      throw bad(`Invalid batch payload format: requests[${i}].id is missing.`);
    if (ids.has(o.id)) throw bad(`Request Id '${o.id}' is not unique: batch request ids must be unique.`);
    ids.add(o.id);
    if (typeof o.method !== 'string' || !/^(GET|POST|PATCH|PUT|DELETE)$/i.test(o.method))
      throw bad(`Invalid batch payload format: requests[${i}].method is missing or not supported.`);
    if (typeof o.url !== 'string' || o.url === '')
      throw bad(`Invalid batch payload format: requests[${i}].url is missing.`);
    if (/^https?:/i.test(o.url))
      throw bad(`Invalid batch payload format: requests[${i}].url must be relative (got an absolute URL).`);
    const headers: Record<string, string> = {};
    if (o.headers !== undefined) {
      if (typeof o.headers !== 'object' || o.headers === null) throw bad(`requests[${i}].headers must be an object.`);
      for (const [k, v] of Object.entries(o.headers)) headers[k.toLowerCase()] = String(v);
    }
    if (o.body !== undefined && !headers['content-type'])
      throw bad(`Write request id : ${o.id} does not contain Content-Type header or body.`);
    const dependsOn = o.dependsOn === undefined ? [] : o.dependsOn;
    if (!Array.isArray(dependsOn) || dependsOn.some((x) => typeof x !== 'string'))
      throw bad(`requests[${i}].dependsOn must be an array of request ids.`);
    return {
      id: o.id,
      method: o.method.toUpperCase(),
      url: o.url,
      headers,
      body: o.body,
      dependsOn: dependsOn as string[],
    };
  });
  for (const it of items) {
    for (const dep of it.dependsOn) {
      if (!ids.has(dep) || dep === it.id) throw bad(`Request '${it.id}' depends on unknown request id '${dep}'.`);
    }
  }
  if (hasCycle(items)) throw bad('The dependsOn references of the batch form a cycle.');
  return items;
}

function hasCycle(items: BatchItem[]): boolean {
  const byId = new Map(items.map((i) => [i.id, i]));
  const state = new Map<string, 1 | 2>();
  const visit = (id: string): boolean => {
    if (state.get(id) === 2) return false;
    if (state.get(id) === 1) return true;
    state.set(id, 1);
    for (const d of byId.get(id)!.dependsOn) if (visit(d)) return true;
    state.set(id, 2);
    return false;
  };
  return items.some((i) => visit(i.id));
}

/**
 * Executes the items (dependencies first; a dependant of a failed item gets 424 Failed Dependency) and returns
 * the responses in the order `order` gives them (Graph does not promise request order).
 */
export async function runBatch(
  items: BatchItem[],
  graph: GraphService,
  claims: AccessTokenClaims,
  requestId: string,
  shuffle: <T>(xs: T[]) => T[],
  onItem: (method: string, path: string, status: number) => void,
): Promise<BatchItemResponse[]> {
  const done = new Map<string, BatchItemResponse>();
  const pending = [...items];
  while (pending.length > 0) {
    const idx = pending.findIndex((it) => it.dependsOn.every((d) => done.has(d)));
    const it = pending.splice(idx, 1)[0]!;
    const failedDep = it.dependsOn.find((d) => done.get(d)!.status >= 400);
    if (failedDep !== undefined) {
      done.set(it.id, {
        id: it.id,
        status: 424,
        headers: { 'content-type': 'application/json' },
        body: { error: { code: 'FailedDependency', message: `The dependent request '${failedDep}' failed.` } },
      });
      onItem(it.method, it.url, 424);
      continue;
    }
    let response: GraphResponse;
    try {
      const req = parseGraphTarget(it.method, `/v1.0/${it.url.replace(/^\/+/, '')}`, it.headers, it.body);
      response = (await graph.execute(req, claims, requestId, true)).response;
    } catch (err) {
      if (!(err instanceof GraphErrorResponse)) throw err;
      response = { status: err.status, headers: {}, body: { error: { code: err.code, message: err.message } } };
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(response.headers)) {
      if (k === 'content-type') headers['Content-Type'] = 'application/json';
      else if (k === 'retry-after') headers['Retry-After'] = v;
      else if (k === 'location') headers.Location = v;
      else headers[k] = v;
    }
    const out: BatchItemResponse = { id: it.id, status: response.status, headers };
    if (response.body !== undefined) out.body = response.body;
    else if (response.text !== undefined) out.body = response.text;
    done.set(it.id, out);
    onItem(it.method, it.url, response.status);
  }
  return shuffle(items.map((i) => done.get(i.id)!));
}
