// The emulator's HTTP(S) listener (node:http/https): routes control, Graph, $batch, identity and consent requests.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { parseBatch, runBatch } from './batch.js';
import { handleBotFramework } from './bot-framework-routes.js';
import { consentDecision, consentPage } from './consent.js';
import { handleControl } from './control-routes.js';
import type { EmulatorCore } from './emulator-core.js';
import { newRequestId } from './graph.js';
import { parseGraphTarget } from './graph-request.js';
import { GraphErrorResponse, type GraphResponse, graphError, JSON_CONTENT_TYPE } from './graph-types.js';
import { handleIdentity, identityDepsOf } from './identity-routes.js';
import { sleep } from './latency.js';

export interface ServerOptions {
  tls: { certPem: string; keyPem: string } | null;
  /** Called after a state change (persistence). */
  onChange: () => void;
  log: (msg: string, fields?: Record<string, unknown>) => void;
}

const MAX_BODY = 512 * 1024 * 1024;

export interface EmulatorServer {
  server: Server;
  /** Closes the listener, drops open (and hanging) connections. */
  close(): Promise<void>;
}

export function createEmulatorServer(core: EmulatorCore, opts: ServerOptions): EmulatorServer {
  const sockets = new Set<Socket>();
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    handle(core, opts, req, res).catch((err: unknown) => {
      opts.log('emulator request failed', { err: err instanceof Error ? err.message : String(err) });
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: { code: 'InternalServerError', message: 'The emulator failed to handle the request.' },
          }),
        );
      } else res.destroy();
    });
  };
  const server = opts.tls
    ? createHttpsServer({ cert: opts.tls.certPem, key: opts.tls.keyPem }, handler)
    : createHttpServer(handler);
  server.keepAliveTimeout = 5_000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('secureConnection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new GraphErrorResponse(413, 'RequestEntityTooLarge', 'The request body is too large.');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

function lowerHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

async function handle(
  core: EmulatorCore,
  opts: ServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const target = req.url ?? '/';
  const url = new URL(target, 'http://emulator');
  const path = url.pathname;
  const raw = await readBody(req);
  const headers = lowerHeaders(req);

  // Bot Framework identity (channel OpenID metadata and keys, botframework.com login, their control endpoints).
  const botFramework = await handleBotFramework(core, method, path, raw);
  if (botFramework) {
    core.stats.record(method, path, botFramework.status);
    sendJson(res, botFramework.status, botFramework.body, botFramework.headers);
    return;
  }

  if (path.startsWith('/_emulator/')) {
    let body: unknown = null;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        sendJson(res, 400, { error: { code: 'InvalidJson', message: 'The body is not valid JSON.' } });
        return;
      }
    }
    const r = handleControl(core, method, path, body, opts.onChange);
    sendJson(res, r.status, r.body);
    return;
  }

  if (path === '/v1.0' || path.startsWith('/v1.0/')) {
    await handleGraph(core, req, res, method, target, headers, raw);
    return;
  }

  const segments = path.split('/').filter(Boolean).map(safeDecode);
  const form = raw.length > 0 ? new URLSearchParams(raw.toString('utf8')) : null;
  if (segments.length === 2 && segments[1] === 'adminconsent') {
    const r =
      method === 'POST'
        ? consentDecision(core.tenant, core.apps, segments[0]!, form ?? new URLSearchParams())
        : consentPage(core.tenant, core.apps, segments[0]!, url.searchParams);
    if (r.status === 302) opts.onChange();
    res.writeHead(r.status, { ...r.headers, 'content-length': Buffer.byteLength(r.body) });
    res.end(r.body);
    core.stats.record(method, `/{tenant}/adminconsent`, r.status);
    return;
  }
  const identity = await handleIdentity(identityDepsOf(core), method, segments, url.searchParams, form);
  if (identity) {
    core.stats.record(method, `/{tenant}/${segments.slice(1).join('/')}`, identity.status);
    sendJson(res, identity.status, identity.body, identity.headers);
    return;
  }
  if (method === 'GET' && path === '/') {
    sendJson(res, 200, { name: 'entra-sync emulator', graph: `${core.baseUrl}/v1.0`, tenantId: core.tenant.tenantId });
    return;
  }
  sendJson(res, 404, { error: { code: 'NotFound', message: `No route for ${method} ${path}` } });
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

async function handleGraph(
  core: EmulatorCore,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  target: string,
  headers: Record<string, string>,
  raw: Buffer,
): Promise<void> {
  const requestId = newRequestId();
  const clientRequestId = headers['client-request-id'] ?? requestId;
  const started = Date.now();
  const respond = async (r: GraphResponse, isWrite: boolean) => {
    const wait = core.latency.delayFor(isWrite) - (Date.now() - started);
    if (wait > 0) await sleep(wait);
    const out: Record<string, string | number> = {
      ...r.headers,
      'request-id': requestId,
      'client-request-id': clientRequestId,
      'x-ms-ags-diagnostic': JSON.stringify({
        ServerInfo: {
          DataCenter: 'Emulator',
          Slice: 'E',
          Ring: '0',
          ScaleUnit: '000',
          RoleInstance: 'EMU',
          ADSiteName: 'EMU',
        },
      }),
      'strict-transport-security': 'max-age=31536000',
      'odata-version': '4.0',
      'cache-control': 'no-cache',
    };
    let payload = '';
    if (r.text !== undefined) payload = r.text;
    else if (r.body !== undefined) payload = JSON.stringify(r.body);
    out['content-length'] = Buffer.byteLength(payload);
    res.writeHead(r.status, out);
    res.end(payload);
    core.stats.record(method, target, r.status);
  };
  const now = () => new Date(core.now());

  let body: unknown;
  if (raw.length > 0) {
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      await respond(
        graphError(
          400,
          'BadRequest',
          'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
          requestId,
          now(),
        ),
        false,
      );
      return;
    }
  }
  const auth = await core.graph.authenticate(headers, requestId);
  if ('status' in auth) {
    await respond(auth, false);
    return;
  }
  const isBatch = /^\/v1\.0\/\$batch\/?(\?|$)/.test(target);
  if (isBatch && method === 'POST') {
    let items: ReturnType<typeof parseBatch>;
    try {
      items = parseBatch(body);
    } catch (err) {
      if (!(err instanceof GraphErrorResponse)) throw err;
      await respond(graphError(err.status, err.code, err.message, requestId, now()), false);
      return;
    }
    const fault = core.faults.roll(['reset', 'hang']);
    if (fault === 'reset') {
      core.stats.record(method, target, 0);
      req.socket.destroy();
      return;
    }
    if (fault === 'hang') {
      core.stats.record(method, target, 0);
      return;
    }
    const responses = await runBatch(
      items,
      core.graph,
      auth,
      requestId,
      (xs) => core.shuffle(xs),
      (m, p, s) => {
        core.stats.batchItems++;
        core.stats.record(m, `$batch:/v1.0/${p.replace(/^\/+/, '')}`, s);
      },
    );
    await respond(
      { status: 200, headers: { 'content-type': JSON_CONTENT_TYPE }, body: { responses } },
      items.some((i) => i.method !== 'GET'),
    );
    return;
  }
  let graphReq: ReturnType<typeof parseGraphTarget>;
  try {
    graphReq = parseGraphTarget(method, target, headers, body);
  } catch (err) {
    if (!(err instanceof GraphErrorResponse)) throw err;
    await respond(graphError(err.status, err.code, err.message, requestId, now()), false);
    return;
  }
  const outcome = await core.graph.execute(graphReq, auth, requestId, false);
  if (outcome.action === 'reset') {
    core.stats.record(method, target, 0);
    req.socket.destroy();
    return;
  }
  if (outcome.action === 'hang') {
    core.stats.record(method, target, 0);
    return;
  }
  await respond(outcome.response, method !== 'GET');
}
