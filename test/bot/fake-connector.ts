// Test helper: a recording Bot Connector (node:http) that stands in for Teams' service URL in protocol tests.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  readonly kind: 'send' | 'reply' | 'update';
  readonly conversationId: string;
  /** For reply: the activity replied to; for update: the activity replaced. */
  readonly activityId: string | null;
  /** The id the connector gave (send/reply) or the replaced one (update). */
  readonly resultId: string;
  readonly activity: Record<string, unknown>;
}

export interface FakeConnector {
  readonly url: string;
  readonly calls: RecordedCall[];
  /** Requests the `authorize` option refused (answered 401, not recorded as calls). */
  readonly refused: { readonly path: string; readonly reason: string }[];
  /** Files served by the connector's attachment service at `/v3/attachments/{id}/views/original`. */
  readonly attachments: Map<string, Buffer>;
  /** Polls until `pick` returns a value (or throws after timeoutMs). */
  waitFor<T>(pick: (calls: RecordedCall[]) => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

export interface FakeConnectorOptions {
  /** Checks the Authorization header as the Bot Connector does: null when accepted, else the reason (→ 401). */
  readonly authorize?: (authorization: string | undefined) => Promise<string | null>;
}

export async function startFakeConnector(options: FakeConnectorOptions = {}): Promise<FakeConnector> {
  const calls: RecordedCall[] = [];
  const refused: { path: string; reason: string }[] = [];
  const attachments = new Map<string, Buffer>();
  let n = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const file = /^\/v3\/attachments\/([^/]+)\/views\/original$/.exec(path);
      if (file && req.method === 'GET') {
        const body = attachments.get(file[1]!);
        if (body) res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
        else res.writeHead(404).end();
        return;
      }
      const reason = options.authorize ? await options.authorize(req.headers.authorization) : null;
      if (reason !== null) {
        refused.push({ path, reason });
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: { code: 'Unauthorized', message: 'Authorization has been denied for this request.' },
          }),
        );
        return;
      }
      const m = /^\/v3\/conversations\/(.+?)\/activities(?:\/(.+))?$/.exec(path);
      if (!m) {
        res.writeHead(404).end();
        return;
      }
      const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
      const conversationId = m[1]!;
      const activityId = m[2] ?? null;
      const kind = req.method === 'PUT' ? 'update' : activityId ? 'reply' : 'send';
      const resultId = kind === 'update' ? activityId! : `msg-${++n}`;
      calls.push({ kind, conversationId, activityId, resultId, activity: body });
      res.writeHead(kind === 'update' ? 200 : 201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: resultId }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    calls,
    refused,
    attachments,
    async waitFor(pick, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const v = pick(calls);
        if (v) return v;
        if (Date.now() > until)
          throw new Error(
            `fake connector: condition not met in ${timeoutMs} ms (${calls.length} calls) ${JSON.stringify(calls.map((c) => [c.kind, c.conversationId, c.activityId, JSON.stringify(c.activity).slice(0, 300)]))}`,
          );
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The Adaptive Card of a recorded activity (first attachment), or null. */
export function cardOf(activity: Record<string, unknown>): Record<string, unknown> | null {
  const a = (activity.attachments as { contentType?: string; content?: Record<string, unknown> }[] | undefined)?.[0];
  return a?.contentType === 'application/vnd.microsoft.card.adaptive' ? (a.content ?? null) : null;
}

/** All text of a card (TextBlock text, fact titles/values, action titles), joined by newlines. */
export function cardText(card: unknown): string {
  const out: string[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if ((k === 'text' || k === 'title' || k === 'value') && typeof v === 'string') out.push(v);
        else walk(v);
      }
    }
  };
  walk(card);
  return out.join('\n');
}
