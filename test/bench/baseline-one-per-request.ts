// The comparison point of apply-throughput: what a script does, one user per request, one request at a time, through the
// Graph SDK with its default middleware (RetryHandler honours Retry-After). Bench-only; not part of the product.
import { Client } from '@microsoft/microsoft-graph-client';
import { Agent } from 'undici';
import { randomPassword, toBatchRequest } from '../../src/entra/write-requests.js';
import type { WriteOp } from '../../src/sync/ports.js';

export interface BaselineOptions {
  /** e.g. https://127.0.0.1:PORT (no version). */
  readonly graphBaseUrl: string;
  readonly getAccessToken: () => Promise<string>;
  /** The emulator's CA (loopback HTTPS). */
  readonly caPem?: string;
}

export interface BaselineResult {
  readonly ops: number;
  readonly ok: number;
  readonly failed: number;
  readonly elapsedMs: number;
  readonly perSecond: number;
  /** First few failures, for the report. */
  readonly errors: string[];
}

/** Sends each op as its own request, awaiting each before the next; the SDK's default chain retries 429/503/504. */
export async function runBaselineOnePerRequest(
  ops: readonly WriteOp[],
  options: BaselineOptions,
): Promise<BaselineResult> {
  const host = new URL(options.graphBaseUrl).hostname;
  const dispatcher = new Agent({ connect: options.caPem ? { ca: options.caPem } : {} });
  // `authProvider` gives the SDK's default middleware chain: auth, RetryHandler, RedirectHandler, telemetry, fetch.
  const client = Client.initWithMiddleware({
    authProvider: { getAccessToken: options.getAccessToken },
    baseUrl: options.graphBaseUrl,
    customHosts: new Set([host]),
    // Passed through to fetch: trust the emulator's CA.
    fetchOptions: { dispatcher } as unknown as RequestInit,
  });
  let ok = 0;
  let failed = 0;
  const errors: string[] = [];
  const started = performance.now();
  for (const op of ops) {
    try {
      // The same request the writer would put in a $batch, sent on its own.
      const request = toBatchRequest('1', op, randomPassword);
      const api = client.api(request.url);
      if (request.method === 'DELETE') await api.delete();
      else if (request.method === 'PATCH') await api.patch(request.body ?? {});
      else await api.post(request.body ?? {});
      ok++;
    } catch (err) {
      failed++;
      if (errors.length < 5) errors.push(`${op.kind}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const elapsedMs = performance.now() - started;
  await dispatcher.close();
  return { ops: ops.length, ok, failed, elapsedMs, perSecond: (ok * 1000) / Math.max(1, elapsedMs), errors };
}
