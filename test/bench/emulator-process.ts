// Starts the bench's emulator in a separate process (emulator-host.ts) and talks to it: load a tenant, read stats, stop.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Agent, fetch } from 'undici';
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
  const child: ChildProcess = spawn(
    process.execPath,
    [...nodeFlags, '--import', 'tsx', resolve('test/bench/emulator-host.ts'), JSON.stringify(host)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! });
  const waiting = new Map<number, (v: Record<string, unknown>) => void>();
  let ready: ((info: EmulatorInfo) => void) | null = null;
  let failed: ((err: Error) => void) | null = null;
  const started = new Promise<EmulatorInfo>((res, rej) => {
    ready = res;
    failed = rej;
  });
  lines.on('line', (line) => {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      process.stderr.write(`[emulator] ${line}\n`);
      return;
    }
    if (ready && typeof msg.graphBaseUrl === 'string') {
      ready(msg as unknown as EmulatorInfo);
      ready = null;
      return;
    }
    const resolveReply = typeof msg.id === 'number' ? waiting.get(msg.id) : undefined;
    if (resolveReply) {
      waiting.delete(msg.id as number);
      resolveReply(msg);
    }
  });
  child.on('exit', (code) => {
    failed?.(new Error(`the emulator process ended (exit ${code}) before listening`));
    for (const w of waiting.values()) w({ ok: false, error: `the emulator process ended (exit ${code})` });
    waiting.clear();
  });
  const info = await started;
  failed = null;
  const caPem = info.caFile ? readFileSync(info.caFile, 'utf8') : undefined;
  const dispatcher = new Agent({ connect: caPem ? { ca: caPem } : {} });
  let seq = 0;
  const ask = (command: Record<string, unknown>): Promise<Record<string, unknown>> =>
    new Promise((res, rej) => {
      const id = ++seq;
      waiting.set(id, (reply) => (reply.ok ? res(reply) : rej(new Error(String(reply.error)))));
      child.stdin!.write(`${JSON.stringify({ ...command, id })}\n`);
    });
  return {
    info,
    caPem,
    async load(spec, tenantSize) {
      const reply = await ask({ cmd: 'load', spec, ...(tenantSize ? { tenantSize } : {}) });
      return Number(reply.ms);
    },
    async stats() {
      const res = await fetch(`${info.graphBaseUrl}/_emulator/stats`, { dispatcher });
      if (!res.ok) throw new Error(`GET /_emulator/stats answered ${res.status}`);
      return parseStats((await res.json()) as Record<string, unknown>);
    },
    async memory() {
      const reply = await ask({ cmd: 'memory' });
      return { rssMb: Number(reply.rssMb), peakRssMb: Number(reply.peakRssMb) };
    },
    async close() {
      await dispatcher.close();
      const exited = new Promise<void>((res) => child.once('exit', () => res()));
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
