// An in-test HTTPS server (own CA) for the connector's error, retry and pacing tests: token endpoints plus a scripted Graph.
import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly at: number;
}

export type Handler = (req: RecordedRequest, res: ServerResponse) => void | Promise<void>;

export interface FakeHttps {
  readonly origin: string;
  readonly caPem: string;
  readonly requests: RecordedRequest[];
  /** Replaces the Graph handler (token and metadata routes stay). */
  setGraph(handler: Handler): void;
  /** Replaces the token answer. */
  setToken(handler: Handler): void;
  close(): Promise<void>;
}

let certCache: Promise<{ key: string; cert: string }> | null = null;
function certificate(): Promise<{ key: string; cert: string }> {
  certCache ??= generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  }).then((p) => ({ key: p.private, cert: p.cert }));
  return certCache;
}

export const FAKE_TOKEN = 'eyJhbGciOiJub25lIn0.eyJyb2xlcyI6WyJVc2VyLlJlYWRXcml0ZS5BbGwiXX0.fake-signature-for-tests';

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
}

export async function startFakeHttps(): Promise<FakeHttps> {
  const { key, cert } = await certificate();
  const requests: RecordedRequest[] = [];
  let graph: Handler = (_req, res) => json(res, 404, { error: { code: 'NotFound', message: 'no graph handler' } });
  let token: Handler = (_req, res) =>
    json(res, 200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: FAKE_TOKEN });
  let origin = '';
  const server: Server = createServer({ key, cert }, async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      at: Date.now(),
    };
    requests.push(rec);
    const m = rec.path.match(/^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration/);
    if (m) {
      const t = m[1];
      json(res, 200, {
        token_endpoint: `${origin}/${t}/oauth2/v2.0/token`,
        authorization_endpoint: `${origin}/${t}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${origin}/${t}/oauth2/v2.0/logout`,
        issuer: `${origin}/${t}/v2.0`,
        jwks_uri: `${origin}/${t}/discovery/v2.0/keys`,
        response_types_supported: ['code', 'id_token', 'token'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt'],
      });
      return;
    }
    if (/^\/[^/]+\/oauth2\/v2\.0\/token/.test(rec.path)) {
      await token(rec, res);
      return;
    }
    await graph(rec, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    caPem: cert,
    requests,
    setGraph: (h) => {
      graph = h;
    },
    setToken: (h) => {
      token = h;
    },
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
