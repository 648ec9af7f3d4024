// A recording Bot Connector (the serviceUrl of the bench's activities): accepts what the bot sends and timestamps it.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ConnectorRecord {
  /** performance.now() when the request arrived. */
  readonly t: number;
  readonly method: string;
  readonly conversationId: string;
  /** send = new activity, reply = reply to an activity, update = PUT of an existing one. */
  readonly kind: 'send' | 'reply' | 'update' | 'create-conversation' | 'other';
  /** The activity's type (message, typing …) when it has one. */
  readonly type: string | null;
}

export interface FakeConnector {
  readonly url: string;
  readonly records: readonly ConnectorRecord[];
  /** Resolves with the first record on `conversationId` after `since` that `accept` takes, or null after `timeoutMs`. */
  waitFor(
    conversationId: string,
    since: number,
    accept: (r: ConnectorRecord) => boolean,
    timeoutMs: number,
  ): Promise<ConnectorRecord | null>;
  close(): Promise<void>;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | null> {
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
  if (chunks.length === 0) return null;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

export async function startFakeConnector(): Promise<FakeConnector> {
  const records: ConnectorRecord[] = [];
  const waiters = new Set<{ check: (r: ConnectorRecord) => boolean }>();
  let seq = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const t = performance.now();
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const body = await readJson(req);
    const m = /\/v3\/conversations\/([^/]+)(?:\/activities(?:\/([^/]+))?)?/.exec(path);
    const conversationId = m?.[1] ? decodeURIComponent(m[1]) : '';
    let kind: ConnectorRecord['kind'] = 'other';
    if (req.method === 'POST' && /\/v3\/conversations\/?$/.test(path)) kind = 'create-conversation';
    else if (m && req.method === 'POST') kind = m[2] ? 'reply' : 'send';
    else if (m && req.method === 'PUT') kind = 'update';
    const record: ConnectorRecord = {
      t,
      method: req.method ?? 'GET',
      conversationId,
      kind,
      type: typeof body?.type === 'string' ? body.type : null,
    };
    records.push(record);
    for (const w of [...waiters]) if (w.check(record)) waiters.delete(w);
    res.writeHead(kind === 'create-conversation' ? 201 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(kind === 'create-conversation' ? { id: `conv-${++seq}` } : { id: `act-${++seq}` }));
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    records,
    waitFor(conversationId, since, accept, timeoutMs) {
      const hit = records.find((r) => r.conversationId === conversationId && r.t >= since && accept(r));
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve) => {
        const waiter = {
          check: (r: ConnectorRecord) => {
            if (r.conversationId !== conversationId || r.t < since || !accept(r)) return false;
            clearTimeout(timer);
            resolve(r);
            return true;
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          resolve(null);
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
