// A third-party SCIM 2.0 service provider for tests: scimmy + scimmy-routers on express 4, users held in memory.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request } from 'express';
import SCIMMY from 'scimmy';
import SCIMMYRouters from 'scimmy-routers';
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
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/scim/v2`,
    requests,
    users: directory.users,
    failServiceProviderConfig: (status) => {
      spcStatus = status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
