// The run CSV download over HTTP: the same bytes as runCsv, from a run record read without its outcomes and pages streamed.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDownloadHandler } from '../../src/bot/downloads.js';
import { createLinkSigner } from '../../src/bot/signed-links.js';
import { createLogger } from '../../src/logger.js';
import { openStore, type Stores } from '../../src/store/index.js';
import { runCsv } from '../../src/sync/run-csv.js';
import type { SyncService } from '../../src/sync/service-interface.js';
import { run } from '../store/samples.js';

describe('run CSV download', () => {
  let stores: Stores;
  let server: Server;
  let base = '';
  const asked: { outcomes: boolean | undefined }[] = [];
  const signer = createLinkSigner({ secret: 'a-secret-of-enough-length', ttlSeconds: 600 });

  beforeAll(async () => {
    stores = await openStore('memory://', { chunkSize: 1000 });
    const service = {
      getRun: (runId: string, options?: { outcomes?: boolean }) => {
        asked.push({ outcomes: options?.outcomes });
        return stores.runs.get(runId, options);
      },
      runOutcomes: (runId: string) => stores.runs.outcomes(runId),
    } as Partial<SyncService> as SyncService;
    const handler = createDownloadHandler({ signer, service, logger: createLogger('silent') });
    server = createServer((req, res) => {
      void handler(req, res, decodeURIComponent((req.url ?? '').replace(/^\/downloads\//, '')));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/downloads/`;
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await stores?.close();
  });

  it('serves every appended outcome in order, reading the record without them', async () => {
    const whole = { ...run('r-dl', 'dl.example', '2026-05-01T00:00:00.000Z', 4_321), approvedBy: 'Ada Admin' };
    await stores.runs.put({ ...whole, outcomes: [] });
    for (let i = 0; i < whole.outcomes.length; i += 1_500)
      await stores.runs.appendOutcomes(whole.id, whole.outcomes.slice(i, i + 1_500));
    const res = await fetch(`${base}${signer.sign('run', whole.id)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="sync-run-dl.example-r-dl.csv"');
    const body = Buffer.from(await res.arrayBuffer()).toString('utf8');
    expect(body).toBe(runCsv(whole));
    expect(body.split('\r\n').filter(Boolean)).toHaveLength(1 + 4_321);
    expect(asked).toEqual([{ outcomes: false }]);
  });

  it('answers 410 for a run no longer in the log', async () => {
    const res = await fetch(`${base}${signer.sign('run', 'pruned-run')}`);
    expect(res.status).toBe(410);
    expect(await res.text()).toContain('no longer in the log');
  });
});
