// Test helper: a Bot Connector stand-in (node:http) that records each activity posted or replaced and answers with
// scripted statuses (then success), for the Messenger's and the notifier's retry and give-up paths.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ConnectorCall {
  readonly method: 'POST' | 'PUT';
  readonly path: string;
  readonly conversationId: string;
  readonly activity: Record<string, unknown>;
}

export async function startScriptedConnector() {
  const calls: ConnectorCall[] = [];
  const script: { status: number; headers?: Record<string, string> }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      // SendToConversation / ReplyToActivity (POST …/activities[/{id}]) and UpdateActivity (PUT …/activities/{id}).
      const m = /^\/v3\/conversations\/([^/]+)\/activities(?:\/[^/]+)?\/?$/.exec(path);
      if ((req.method !== 'POST' && req.method !== 'PUT') || !m) {
        res.writeHead(404).end();
        return;
      }
      calls.push({
        method: req.method,
        path: decodeURIComponent(path),
        conversationId: decodeURIComponent(m[1]!),
        activity: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
      });
      const next = script.shift() ?? { status: req.method === 'PUT' ? 200 : 201 };
      res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
      res.end(
        next.status < 300
          ? JSON.stringify({ id: `activity-${calls.length}` })
          : JSON.stringify({
              error: { code: next.status === 403 ? 'BotNotInConversationRoster' : 'Throttled', message: 'no' },
            }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    script,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
