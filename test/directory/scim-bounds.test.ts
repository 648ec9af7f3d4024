// A SCIM server that never stops paging, or answers too slowly, fails the listing with a clear error (nothing written).
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/compose.js';
import { loadConfig } from '../../src/config.js';
import { SCIM_LIST_RESPONSE, ScimDirectory } from '../../src/directory/scim-directory.js';
import { createLogger } from '../../src/logger.js';

let server: Server;
let base = '';
let requests = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname.endsWith('/slow/Users')) {
      // Headers now, the body never: only the per-request deadline ends it.
      res.writeHead(200, { 'content-type': 'application/scim+json' });
      res.write('{"schemas":');
      return;
    }
    // Announces a billion users and hands out one per page.
    const start = Number(url.searchParams.get('startIndex') ?? '1');
    res.writeHead(200, { 'content-type': 'application/scim+json' });
    res.end(
      JSON.stringify({
        schemas: [SCIM_LIST_RESPONSE],
        totalResults: 1_000_000_000,
        startIndex: start,
        itemsPerPage: 1,
        Resources: [{ id: `u${start}`, userName: `user${start}@contoso.co.jp` }],
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('SCIM listing bounds', () => {
  it('stops after the page limit with an error that says nothing was changed', async () => {
    requests = 0;
    const dir = new ScimDirectory({ baseUrl: `${base}/endless`, token: 't', filter: false, maxPages: 25 });
    await expect(dir.listUsers('contoso.co.jp')).rejects.toThrow(
      /stopped after 25 pages \(25 users read\).*Nothing was changed/,
    );
    expect(requests).toBe(25);
  });

  it('stops when the whole listing takes longer than its budget', async () => {
    const dir = new ScimDirectory({ baseUrl: `${base}/endless`, token: 't', filter: false, maxListMs: 300 });
    await expect(dir.listUsers('contoso.co.jp')).rejects.toThrow(/stopped after 0 s|stopped after \d+ s/);
  });

  it('a page that never finishes fails at the per-request deadline', async () => {
    const dir = new ScimDirectory({ baseUrl: `${base}/slow`, token: 't', filter: false, timeoutMs: 500 });
    const t0 = Date.now();
    await expect(dir.listUsers('contoso.co.jp')).rejects.toThrow(
      /timed out after [01] s \(SCIM_TIMEOUT_SECONDS\) on GET \/Users/,
    );
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe('an hourly run against a SCIM server that pages forever', () => {
  it('fails with the SCIM error and writes nothing to Entra', async () => {
    const config = loadConfig({
      DEMO: 'true',
      STORE_URL: 'memory://',
      ACCESS_CONTROL_SCIM_URL: `${base}/endless`,
      ACCESS_CONTROL_SCIM_TOKEN: 't',
    });
    const engine = await createEngine(config, createLogger('silent'), {
      demoStateFile: join(mkdtempSync(join(tmpdir(), 'scim-bounds-')), 'demo.json'),
    });
    try {
      await engine.service.setDomain('contoso.co.jp', { periodic: true, maxDeletionPercent: 100 }, 'test');
      const before = JSON.stringify(await engine.entra.reader.listUsers('contoso.co.jp').catch(() => null));
      const run = await engine.service.runScheduled('contoso.co.jp').catch((err: Error) => err);
      const text = run instanceof Error ? run.message : JSON.stringify(run);
      expect(text).toMatch(/SCIM: the listing stopped after 5000 pages/);
      expect(JSON.stringify(await engine.entra.reader.listUsers('contoso.co.jp').catch(() => null))).toBe(before);
    } finally {
      await engine.close();
    }
  }, 120_000);
});
