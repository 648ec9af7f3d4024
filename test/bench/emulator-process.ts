// Starts the bench's emulator in a separate process (emulator-host.ts) and talks to it: load a tenant, read stats, stop.
import { readFileSync } from 'node:fs';
import { Agent, fetch } from 'undici';
import { startChild } from './child-channel.js';
import type { DatasetSpec } from './dataset.js';
import type { HostOptions } from './emulator-host.js';

export interface EmulatorInfo {
  readonly graphBaseUrl: string;
  readonly authorityHost: string;
  readonly caFile: string | null;
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

/** What the bench reads from GET /_emulator/stats (requests are keyed "METHOD /path-template STATUS"). */
export interface EmulatorStats {
  readonly raw: Record<string, unknown>;
  /** Graph HTTP requests by method (a $batch counts once, as POST). */
  readonly requestsByMethod: Record<string, number>;
  /** Graph read requests (GET), $batch items included. */
  readonly reads: number;
  /** Write requests (POST/PATCH/DELETE on Graph resources), $batch items counted one by one. */
  readonly writeRequests: number;
  /** Writes the emulator applied. */
  readonly writes: number;
  /** Write requests answered 429. */
  readonly throttled: number;
}

export function parseStats(raw: Record<string, unknown>): EmulatorStats {
  const requests = (raw.requests ?? {}) as Record<string, number>;
  const byMethod: Record<string, number> = {};
  let reads = 0;
  let writeRequests = 0;
  let throttled = 0;
  for (const [key, n] of Object.entries(requests)) {
    const [method = '', path = '', status = ''] = key.split(' ');
    const batchItem = path.startsWith('$batch:');
    const graphPath = batchItem ? path.slice('$batch:'.length) : path;
    if (!graphPath.startsWith('/v1.0')) continue;
    if (!batchItem) byMethod[method] = (byMethod[method] ?? 0) + n;
    if (graphPath.startsWith('/v1.0/$batch')) continue;
    if (method === 'GET') reads += n;
    else {
      writeRequests += n;
      if (status === '429') throttled += n;
    }
  }
  return {
    raw,
    requestsByMethod: byMethod,
    reads,
    writeRequests,
    writes: typeof raw.writes === 'number' ? raw.writes : 0,
    throttled,
  };
}

export interface EmulatorProcess {
  readonly info: EmulatorInfo;
  readonly caPem: string | undefined;
  /** Replaces the tenant with the Entra side of `spec`; resolves with the time the emulator took. */
  load(spec: DatasetSpec, tenantSize?: 'small' | 'medium' | 'large'): Promise<number>;
  stats(): Promise<EmulatorStats>;
  /** The emulator process's own memory (it is not counted in the client's figures). */
  memory(): Promise<{ rssMb: number; peakRssMb: number }>;
  close(): Promise<void>;
}

export interface StartOptions extends HostOptions {
  /** Extra node flags for the emulator process (e.g. a larger heap for a million users). */
  readonly nodeFlags?: readonly string[];
}

export async function startEmulatorProcess(options: StartOptions = {}): Promise<EmulatorProcess> {
  const { nodeFlags = [], ...host } = options;
  const child = await startChild('emulator-host', JSON.stringify(host), {
    nodeFlags,
    name: 'emulator',
  });
  const info = child.ready as unknown as EmulatorInfo;
  const caPem = info.caFile ? readFileSync(info.caFile, 'utf8') : undefined;
  const dispatcher = new Agent({ connect: caPem ? { ca: caPem } : {} });
  return {
    info,
    caPem,
    async load(spec, tenantSize) {
      const reply = await child.ask({ cmd: 'load', spec, ...(tenantSize ? { tenantSize } : {}) });
      return Number(reply.ms);
    },
    async stats() {
      const res = await fetch(`${info.graphBaseUrl}/_emulator/stats`, { dispatcher });
      if (!res.ok) throw new Error(`GET /_emulator/stats answered ${res.status}`);
      return parseStats((await res.json()) as Record<string, unknown>);
    },
    async memory() {
      const reply = await child.ask({ cmd: 'memory' });
      return { rssMb: Number(reply.rssMb), peakRssMb: Number(reply.peakRssMb) };
    },
    async close() {
      await dispatcher.close();
      await child.close();
    },
  };
}
