// The bot's one node:http server: /api/messages (tenant gate → adapter), consent callback, downloads, health.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { hostOfHostHeader, isLoopbackHost } from '../config.js';
import { listenForUrl } from '../http-listen.js';
import type { Logger } from '../logger.js';
import { scrubSecrets } from '../logger.js';
import { checkTenant } from './tenant-filter.js';

export const MAX_ACTIVITY_BYTES = 1024 * 1024;

export interface HttpRoutes {
  /** Runs the Bot Framework adapter for an activity whose tenant passed the gate. */
  messages(body: Record<string, unknown>, req: IncomingMessage, res: ServerResponse): Promise<void>;
  consentCallback(req: IncomingMessage, res: ServerResponse): Promise<void>;
  download(req: IncomingMessage, res: ServerResponse, token: string): Promise<void>;
}

/** Operations endpoints beside the bot's own: readiness (`/readyz`) and, when served on this port, `/metrics`. */
export interface OpsRoutes {
  readiness(): Promise<{ readonly status: 'ready' | 'not ready' }>;
  metrics?: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | null;
}

export interface HttpServerOptions {
  readonly host: string;
  readonly port: number;
  readonly allowedTenantIds: readonly string[];
  /**
   * BOT_LOCAL_MODE: activities are not authenticated, so a web page the operator visits must not be able to drive
   * the bot (no Origin, a loopback Host, a loopback serviceUrl).
   */
  readonly localMode?: boolean;
  readonly logger: Logger;
  readonly routes: HttpRoutes;
  readonly ops?: OpsRoutes | null;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Writes an activity's answer: 200 with no body for a message, the invoke response's status and JSON otherwise. */
export function sendInvokeResponse(res: ServerResponse, status: number, body: unknown): void {
  if (res.writableEnded) return;
  if (body === undefined || body === null) {
    res.writeHead(status);
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

/** Local mode only: a request from a browser page (Origin) or through a name that is not loopback (DNS rebinding). */
function localModeRefusal(req: IncomingMessage): string | null {
  if (req.headers.origin !== undefined) return 'requests from a web page (Origin header) are refused in local mode';
  const host = hostOfHostHeader(req.headers.host);
  if (host === null || !isLoopbackHost(host)) return 'local mode answers only requests addressed to a loopback host';
  return null;
}

function serviceUrlIsLoopback(serviceUrl: unknown): boolean {
  if (typeof serviceUrl !== 'string') return false;
  try {
    const url = new URL(serviceUrl);
    return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHost(url.hostname);
  } catch {
    return false;
  }
}

export async function startHttpServer(options: HttpServerOptions): Promise<{ server: Server; url: string }> {
  const { logger, routes } = options;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) return json(res, 200, { status: 'ok' });
    if (path === '/readyz' && options.ops && (req.method === 'GET' || req.method === 'HEAD')) {
      const report = await options.ops.readiness();
      return json(res, report.status === 'ready' ? 200 : 503, report);
    }
    if (path === '/metrics' && options.ops?.metrics) return options.ops.metrics(req, res);
    const guarded = path === '/api/messages' || path === '/api/consent/callback' || path.startsWith('/downloads/');
    const local = guarded && options.localMode ? localModeRefusal(req) : null;
    if (local !== null) {
      logger.warn({ path, reason: local }, 'request refused (local mode)');
      return json(res, 403, { error: 'forbidden' });
    }
    if (path === '/api/messages') {
      if (req.method !== 'POST') return json(res, 405, { error: 'POST only' });
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/json') return json(res, 415, { error: 'content-type must be application/json' });
      const raw = await readBody(req, MAX_ACTIVITY_BYTES);
      if (raw === null) return json(res, 413, { error: 'activity too large' });
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return json(res, 400, { error: 'body is not JSON' });
      }
      if (
        typeof body !== 'object' ||
        body === null ||
        Array.isArray(body) ||
        typeof (body as { type?: unknown }).type !== 'string'
      )
        return json(res, 400, { error: 'body is not an activity' });
      if (options.localMode && !serviceUrlIsLoopback((body as { serviceUrl?: unknown }).serviceUrl)) {
        logger.warn(
          { type: (body as { type?: unknown }).type },
          'activity refused: local mode replies only to a loopback serviceUrl',
        );
        return json(res, 403, { error: 'forbidden' });
      }
      const verdict = checkTenant(body as Parameters<typeof checkTenant>[0], options.allowedTenantIds);
      if (!verdict.allowed) {
        logger.warn(
          { reason: verdict.reason, type: (body as { type?: unknown }).type },
          'activity refused by the tenant gate',
        );
        return json(res, 403, { error: 'tenant not allowed' });
      }
      return routes.messages(body as Record<string, unknown>, req, res);
    }
    if (path === '/api/consent/callback' && req.method === 'GET') return routes.consentCallback(req, res);
    const dl = /^\/downloads\/([A-Za-z0-9_.-]{1,1000})$/.exec(path);
    if (dl?.[1]) return routes.download(req, res, dl[1]);
    if (path.startsWith('/downloads/')) {
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end('This link is not valid.\n');
      return;
    }
    return json(res, 404, { error: 'not found' });
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ path: req.url?.split('?')[0], err: scrubSecrets(String(err)) }, 'request failed');
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
      else res.end();
    });
  });
  server.keepAliveTimeout = 5000;
  const url = await listenForUrl(server, options.port, options.host);
  return { server, url };
}
