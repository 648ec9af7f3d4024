// The batch writer against a scripted HTTPS Graph: Retry-After per item, unknown outcomes, 404 deletes, stops, pacing.
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEntraConnector, type EntraConnector } from '../../src/entra/index.js';
import type { WriteOp, WriteResult } from '../../src/sync/ports.js';
import { type FakeHttps, FAKE_TOKEN, json, type RecordedRequest, startFakeHttps } from './helpers/fake-https.js';
import { captureLogs } from './helpers/logs.js';
import { type CreateOp, createOp } from './helpers/ops.js';

interface BatchItem {
  id: string;
  method: string;
  url: string;
  body?: Record<string, unknown>;
}
type ItemAnswer = { status: number; headers?: Record<string, string>; body?: unknown };
type Script = (item: BatchItem, attempt: number) => ItemAnswer;

let server: FakeHttps;
let lastHandler: (req: RecordedRequest, res: ServerResponse) => void = () => {};
const logs = captureLogs();

beforeAll(async () => {
  server = await startFakeHttps();
});
afterAll(async () => {
  await server.close();
});

function connector(writer: Parameters<typeof createEntraConnector>[2] = {}): EntraConnector {
  return createEntraConnector(
    {
      tenantId: 'tenant-1',
      clientId: 'client-1',
      clientSecret: 'super-secret-value-123',
      clientCertPath: undefined,
      clientCertThumbprintSha256: undefined,
      authorityHost: server.origin,
      graphBaseUrl: server.origin,
      caFile: undefined,
      caPem: server.caPem,
    },
    logs.logger,
    {
      random: () => 0.5,
      ...writer,
      writer: { passwordFor: () => 'P@ss-never-logged', ...writer.writer },
    },
  );
}

/** Serves $batch from `script`, keyed by a stable op key (method + url + body.userPrincipalName). */
function serveBatches(
  script: Script,
  outer?: (n: number, items: BatchItem[]) => 'reset' | ItemAnswer | null,
  outerHeaders: Record<string, string> = {},
) {
  const attempts = new Map<string, number>();
  let batchNo = 0;
  lastHandler = (req: RecordedRequest, res: ServerResponse) => {
    expect(req.headers.authorization).toBe(`Bearer ${FAKE_TOKEN}`);
    if (req.path !== '/v1.0/$batch') return json(res, 404, { error: { code: 'NotFound', message: req.path } });
    const items = (JSON.parse(req.body) as { requests: BatchItem[] }).requests;
    batchNo++;
    const o = outer?.(batchNo, items) ?? null;
    if (o === 'reset') {
      res.socket?.destroy();
      return;
    }
    if (o) return json(res, o.status, o.body ?? {}, o.headers ?? {});
    const responses = items.map((item) => {
      const key = opKey(item);
      const n = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, n);
      const a = script(item, n);
      return { id: item.id, status: a.status, headers: a.headers ?? {}, body: a.body ?? null };
    });
    json(res, 200, { responses: responses.reverse() }, outerHeaders);
  };
  server.setGraph(lastHandler);
  return attempts;
}

const opKey = (item: BatchItem) => `${item.method} ${item.url} ${String(item.body?.userPrincipalName ?? '')}`;

function createOps(n: number): CreateOp[] {
  return Array.from({ length: n }, (_, i) =>
    createOp(`c${i}`, `u${i}@contoso.com`, `IMM-${i}`, { displayName: `U ${i}` }),
  );
}

async function run(c: EntraConnector, ops: WriteOp[]): Promise<Map<string, WriteResult[]>> {
  const results = new Map<string, WriteResult[]>();
  await c.writer.execute(ops, {
    onResult: (r) => {
      results.set(r.opId, [...(results.get(r.opId) ?? []), r]);
    },
  });
  return results;
}

describe('GraphBatchWriter', () => {
  it('sends ops in $batch requests of at most 20 and reports one result per op', async () => {
    const c = connector();
    const seenSizes: number[] = [];
    serveBatches(
      (item) => ({ status: 201, body: { id: `id-${item.body?.userPrincipalName}` } }),
      (_n, items) => {
        seenSizes.push(items.length);
        return null;
      },
    );
    const ops = createOps(45);
    const results = await run(c, ops);
    expect(seenSizes.sort((a, b) => b - a)).toEqual([20, 20, 5]);
    expect(results.size).toBe(45);
    for (const op of ops) {
      const r = results.get(op.opId)!;
      expect(r).toHaveLength(1);
      expect(r[0]).toMatchObject({
        ok: true,
        status: 201,
        userId: `id-${op.userPrincipalName}`,
      });
    }
    await c.close();
  });

  it('retries each throttled item after its own Retry-After', async () => {
    const c = connector();
    const times = new Map<string, number[]>();
    serveBatches((item, n) => {
      const key = String(item.body?.userPrincipalName);
      times.set(key, [...(times.get(key) ?? []), Date.now()]);
      if (key === 'u0@contoso.com' && n === 1)
        return {
          status: 429,
          headers: { 'Retry-After': '1' },
          body: { error: { code: 'TooManyRequests', message: 'slow down' } },
        };
      if (key === 'u1@contoso.com' && n <= 2)
        return {
          status: 429,
          headers: { 'Retry-After': '2' },
          body: { error: { code: 'TooManyRequests', message: 'slow down' } },
        };
      return { status: 201, body: { id: `id-${key}` } };
    });
    const results = await run(c, createOps(3));
    expect([...results.values()].every((r) => r.length === 1 && r[0]!.ok)).toBe(true);
    const t0 = times.get('u0@contoso.com')!;
    const t1 = times.get('u1@contoso.com')!;
    expect(t0).toHaveLength(2);
    expect(t0[1]! - t0[0]!).toBeGreaterThanOrEqual(1000);
    expect(t1).toHaveLength(3);
    expect(t1[1]! - t1[0]!).toBeGreaterThanOrEqual(2000);
    expect(t1[2]! - t1[1]!).toBeGreaterThanOrEqual(2000);
    expect(times.get('u2@contoso.com')).toHaveLength(1);
    await c.close();
  }, 20_000);

  it('reports a create whose batch was cut off as outcomeUnknown and never resends it; retries updates and deletes', async () => {
    const c = connector({ writer: { backoff: { baseMs: 10, maxMs: 50 } } });
    const before = server.requests.length;
    const attempts = serveBatches(
      (item) =>
        item.method === 'DELETE'
          ? { status: 204 }
          : item.method === 'PATCH'
            ? { status: 204 }
            : { status: 201, body: { id: 'new' } },
      (n) => (n === 1 ? 'reset' : null),
    );
    const ops: WriteOp[] = [
      ...createOps(2),
      { opId: 'u', phase: 0, kind: 'update', userId: 'user-1', attributes: { jobTitle: 'x' } },
      { opId: 'd', phase: 0, kind: 'delete', userId: 'user-2' },
    ];
    const results = await run(c, ops);
    for (const id of ['c0', 'c1']) {
      expect(results.get(id)).toHaveLength(1);
      expect(results.get(id)![0]).toMatchObject({ ok: false, kind: 'transient', outcomeUnknown: true });
    }
    expect(results.get('u')).toEqual([{ opId: 'u', ok: true, status: 204, userId: 'user-1' }]);
    expect(results.get('d')).toEqual([{ opId: 'd', ok: true, status: 204, userId: 'user-2' }]);
    // The creates reached the server only in the batch that was cut off.
    const creates = server.requests
      .slice(before)
      .filter((r) => r.path === '/v1.0/$batch' && r.body.includes('u0@contoso.com'));
    expect(creates.length).toBe(1);
    expect(attempts.get('PATCH /users/user-1 ')).toBe(1);
    await c.close();
  });

  it('treats a 503 item on a create as outcome unknown, a 404 delete as done, and a conflict as final', async () => {
    const c = connector({ writer: { backoff: { baseMs: 10, maxMs: 50 } } });
    serveBatches((item, n) => {
      if (item.method === 'DELETE')
        return { status: 404, body: { error: { code: 'Request_ResourceNotFound', message: 'gone' } } };
      if (item.method === 'PATCH')
        return n === 1
          ? { status: 503, body: { error: { code: 'serviceNotAvailable', message: 'busy' } } }
          : { status: 204 };
      if (item.body?.userPrincipalName === 'u0@contoso.com')
        return { status: 503, body: { error: { code: 'serviceNotAvailable', message: 'busy' } } };
      return {
        status: 400,
        body: {
          error: {
            code: 'Request_BadRequest',
            message: 'Another object with the same value for property userPrincipalName already exists.',
            details: [{ code: 'ObjectConflict' }],
          },
        },
      };
    });
    const results = await run(c, [
      ...createOps(2),
      { opId: 'u', phase: 0, kind: 'update', userId: 'a', attributes: { surname: 'x' } },
      { opId: 'd', phase: 0, kind: 'delete', userId: 'b' },
    ]);
    expect(results.get('c0')![0]).toMatchObject({ ok: false, kind: 'transient', status: 503, outcomeUnknown: true });
    expect(results.get('c1')![0]).toMatchObject({
      ok: false,
      kind: 'conflict',
      code: 'ObjectConflict',
      outcomeUnknown: false,
    });
    expect(results.get('u')![0]).toMatchObject({ ok: true, status: 204 });
    expect(results.get('d')![0]).toMatchObject({ ok: true, status: 404, userId: 'b' });
    expect([...results.values()].every((r) => r.length === 1)).toBe(true);
    await c.close();
  });

  it('gives up on a transient update after maxAttempts, with one result', async () => {
    const c = connector({ writer: { maxAttempts: 3, backoff: { baseMs: 5, maxMs: 20 } } });
    const attempts = serveBatches(() => ({
      status: 504,
      body: { error: { code: 'gatewayTimeout', message: 'late' } },
    }));
    const results = await run(c, [{ opId: 'u', phase: 0, kind: 'update', userId: 'z', attributes: { surname: 'x' } }]);
    expect(attempts.get('PATCH /users/z ')).toBe(3);
    expect(results.get('u')).toHaveLength(1);
    expect(results.get('u')![0]).toMatchObject({ ok: false, kind: 'transient', outcomeUnknown: true });
    await c.close();
  });

  it('bounds throttled retries separately and reports the last 429 as final', async () => {
    const c = connector({ writer: { maxThrottledRetries: 2 } });
    const attempts = serveBatches(() => ({
      status: 429,
      headers: { 'Retry-After': '0' },
      body: { error: { code: 'TooManyRequests', message: 'x' } },
    }));
    const results = await run(c, createOps(1));
    expect(attempts.get('POST /users u0@contoso.com')).toBe(3);
    expect(results.get('c0')).toHaveLength(1);
    expect(results.get('c0')![0]).toMatchObject({ ok: false, kind: 'throttled', status: 429, outcomeUnknown: false });
    await c.close();
  });

  it('times out a hung $batch: creates become outcomeUnknown, updates are resent', async () => {
    const c = connector({ writer: { requestTimeoutMs: 500, backoff: { baseMs: 10, maxMs: 50 } } });
    const hung: ServerResponse[] = [];
    serveBatches((item) => (item.method === 'PATCH' ? { status: 204 } : { status: 201, body: { id: 'n' } }));
    const inner = lastHandler;
    server.setGraph((req, res) => {
      if (hung.length === 0) {
        hung.push(res); // never answered
        return;
      }
      return inner(req, res);
    });
    const started = Date.now();
    const results = await run(c, [
      ...createOps(1),
      { opId: 'u', phase: 0, kind: 'update', userId: 'q', attributes: { surname: 's' } },
    ]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(results.get('c0')![0]).toMatchObject({
      ok: false,
      kind: 'transient',
      code: 'TimeoutError',
      outcomeUnknown: true,
    });
    expect(results.get('u')).toEqual([{ opId: 'u', ok: true, status: 204, userId: 'q' }]);
    for (const r of hung) r.destroy();
    await c.close();
  });

  it('stops sending when the caller aborts, and still reports every op once', async () => {
    const c = connector({ writer: { concurrency: 1, batchSize: 2 } });
    const ac = new AbortController();
    let batches = 0;
    serveBatches(
      () => ({ status: 204 }),
      () => {
        batches++;
        if (batches === 2) ac.abort();
        return null;
      },
    );
    const ops: WriteOp[] = Array.from({ length: 10 }, (_, i) => ({
      opId: `d${i}`,
      phase: 0,
      kind: 'delete',
      userId: `x${i}`,
    }));
    const results: WriteResult[] = [];
    await c.writer.execute(ops, { onResult: (r) => void results.push(r), signal: ac.signal });
    expect(results).toHaveLength(10);
    expect(new Set(results.map((r) => r.opId)).size).toBe(10);
    expect(results.filter((r) => r.ok)).toHaveLength(4);
    expect(results.filter((r) => !r.ok && r.code === 'RunStopped')).toHaveLength(6);
    await c.close();
  });

  it('stops the run on 403 and reports every op not yet sent as not attempted', async () => {
    const c = connector({ writer: { concurrency: 1, batchSize: 5 } });
    serveBatches(() => ({
      status: 403,
      body: {
        error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' },
      },
    }));
    const results = await run(c, createOps(12));
    expect(results.size).toBe(12);
    expect([...results.values()].every((r) => r.length === 1)).toBe(true);
    const first = results.get('c0')![0]!;
    expect(first).toMatchObject({ ok: false, kind: 'forbidden' });
    expect(!first.ok && first.message).toContain('User.ReadWrite.All');
    const notSent = [...results.values()].filter((r) => !r[0]!.ok && r[0]!.code === 'RunStopped');
    expect(notSent.length).toBe(7);
    await c.close();
  });

  it('paces writes at the budget refill rate when Graph reports the budget used up (x-ms-throttle-limit-percentage)', async () => {
    const c = connector({ writer: { concurrency: 4, batchSize: 1 } });
    const starts: number[] = [];
    // Graph answers each $batch item with its own headers.
    serveBatches(
      () => ({ status: 204, headers: { 'x-ms-throttle-limit-percentage': '1.00' } }),
      () => {
        starts.push(Date.now());
        return null;
      },
    );
    const ops: WriteOp[] = Array.from({ length: 40 }, (_, i) => ({
      opId: `u${i}`,
      phase: 0,
      kind: 'update',
      userId: `id${i}`,
      attributes: { jobTitle: 'x' },
    }));
    const results = await run(c, ops);
    expect(results.size).toBe(40);
    expect(starts).toHaveLength(40);
    // "1.00" leaves at most 15 writes (0.005 of 3,000): those go at once, then one write per 50 ms, Graph's
    // documented 3,000 writes per 150 s.
    const sorted = [...starts].sort((a, b) => a - b);
    expect(sorted.at(-1)! - sorted[19]!).toBeGreaterThanOrEqual(20 * 50 * 0.9);
    expect(c.graph.pacer?.writes.state().accepted).toBe(40);
    await c.close();
  });

  it('sends at once what Graph reports is left of the budget (95 % used: about 150 writes)', async () => {
    const c = connector({ writer: { concurrency: 4, batchSize: 1 } });
    const starts: number[] = [];
    // Graph answers each $batch item with its own headers.
    serveBatches(
      () => ({ status: 204, headers: { 'x-ms-throttle-limit-percentage': '0.95' } }),
      () => {
        starts.push(Date.now());
        return null;
      },
    );
    const ops: WriteOp[] = Array.from({ length: 40 }, (_, i) => ({
      opId: `u${i}`,
      phase: 0,
      kind: 'update',
      userId: `id${i}`,
      attributes: { jobTitle: 'x' },
    }));
    const results = await run(c, ops);
    expect(results.size).toBe(40);
    // At 20 writes/s the 40 would take 2 s; the reported budget lets them go as fast as four in flight allow.
    const sorted = [...starts].sort((a, b) => a - b);
    expect(sorted.at(-1)! - sorted[0]!).toBeLessThan(1500);
    await c.close();
  });

  it('runs batches concurrently when Graph reports no pressure', async () => {
    const c = connector({ writer: { concurrency: 4, batchSize: 1 } });
    let inFlight = 0;
    let peak = 0;
    server.setGraph(async (req, res) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 100));
      inFlight--;
      const items = (JSON.parse(req.body) as { requests: BatchItem[] }).requests;
      json(res, 200, { responses: items.map((i) => ({ id: i.id, status: 204, headers: {}, body: null })) });
    });
    const ops: WriteOp[] = Array.from({ length: 8 }, (_, i) => ({
      opId: `d${i}`,
      phase: 0,
      kind: 'delete',
      userId: `id${i}`,
    }));
    const results = await run(c, ops);
    expect(results.size).toBe(8);
    expect(peak).toBe(4);
    await c.close();
  });

  it('never writes the secret, the token or a password to the log', () => {
    const text = logs.text();
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toContain('super-secret-value-123');
    expect(text).not.toContain(FAKE_TOKEN);
    expect(text).not.toContain('P@ss-never-logged');
  });
});
