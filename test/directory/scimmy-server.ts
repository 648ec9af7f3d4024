// A third-party SCIM 2.0 service provider for tests: scimmy + scimmy-routers on express 4 over HTTPS, users in memory.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import express, { type Request } from 'express';
import SCIMMY from 'scimmy';
import SCIMMYRouters from 'scimmy-routers';
import { generate } from 'selfsigned';
import { Agent, fetch as undiciFetch } from 'undici';
import type { ScimUser } from '../../src/directory/scim-directory.js';

/** What one server holds; scimmy's resource declarations are process-wide, so handlers find it per request. */
interface Directory {
  users: Map<string, ScimUser>;
}

let declared = false;

/** Declares the User resource (with the enterprise extension) once per process, dispatching to each server's users. */
function declareUsers(): void {
  if (declared) return;
  declared = true;
  SCIMMY.Resources.declare(SCIMMY.Resources.User)
    .extend(SCIMMY.Schemas.EnterpriseUser, false)
    .egress((resource, ctx) => {
      const directory = ctx as Directory;
      if (resource.id) {
        const user = directory.users.get(resource.id);
        // scimmy answers an error thrown here with 404 "Resource … not found".
        if (!user) throw new Error('no such user');
        return user as never;
      }
      const all = [...directory.users.values()] as unknown as Record<string, unknown>[];
      // scimmy's own filter evaluation (its `ew` compares case-sensitively).
      return (resource.filter ? resource.filter.match(all) : all) as never;
    });
}

export interface ScimmyServer {
  readonly baseUrl: string;
  /** Every request's path and query, in order. */
  readonly requests: string[];
  /** A fetch that trusts the server's self-signed certificate (for ScimDirectory's `fetch` option). */
  readonly fetch: typeof fetch;
  /** The server's users by SCIM id: tests add, change and remove them between reads. */
  readonly users: Map<string, ScimUser>;
  /** Makes GET /ServiceProviderConfig answer this status (null: answer normally). */
  failServiceProviderConfig(status: number | null): void;
  close(): Promise<void>;
}

export async function startScimmyServer(options: {
  token: string;
  users: readonly ScimUser[];
  /** Advertised in /ServiceProviderConfig (scimmy's config is process-wide: set per server start). */
  filterSupported?: boolean;
}): Promise<ScimmyServer> {
  declareUsers();
  const directory: Directory = { users: new Map(options.users.map((u) => [u.id, u])) };
  const requests: string[] = [];
  let spcStatus: number | null = null;
  const app = express();
  app.use((req, _res, next) => {
    requests.push(req.originalUrl);
    next();
  });
  app.get('/scim/v2/ServiceProviderConfig', (_req, res, next) => {
    if (spcStatus === null) return next();
    res
      .status(spcStatus)
      .type('application/scim+json')
      .send({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
        status: String(spcStatus),
        detail: 'unavailable',
      });
  });
  const routers = new SCIMMYRouters({
    type: 'bearer',
    docUri: 'https://example.test/scim-auth',
    handler: (req: Request) => {
      if (req.header('authorization') !== `Bearer ${options.token}`) throw new Error('Authorization failure');
      return 'test-client';
    },
    context: () => directory,
  });
  // The routers' constructor advertises filtering; a server that does not filter says so afterwards.
  SCIMMY.Config.set('filter', { supported: options.filterSupported ?? true, maxResults: 200 });
  app.use('/scim/v2', routers);
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  const server: Server = createServer({ key: pems.private, cert: pems.cert }, app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const dispatcher = new Agent({ connect: { ca: pems.cert } });
  const trustingFetch = ((input: string | URL, init?: Record<string, unknown>) =>
    undiciFetch(input, { ...init, dispatcher })) as unknown as typeof fetch;
  return {
    baseUrl: `https://127.0.0.1:${port}/scim/v2`,
    fetch: trustingFetch,
    requests,
    users: directory.users,
    failServiceProviderConfig: (status) => {
      spcStatus = status;
    },
    close: async () => {
      await dispatcher.close();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
