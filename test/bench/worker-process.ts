// Spawns product-worker.ts for one measured action and returns its JSON answer (timings, counts, peak RSS).
import { spawn } from 'node:child_process';
import { moduleCommand } from '../../src/worker/spawn-module.js';
import type { EmulatorInfo } from './emulator-process.js';

export interface WorkerRequest {
  readonly action: 'preview' | 'scheduled';
  readonly info: EmulatorInfo;
  /** The store the setup filled (sqlite file), so the worker starts where a real process would. */
  readonly storeUrl: string;
  readonly domain: string;
  /** preview: where the plan CSV goes. */
  readonly csvPath?: string;
}

export type WorkerReply =
  | {
      readonly ok: true;
      /** The action's own time (engine start excluded). */
      readonly wallMs: number;
      readonly phases: Record<string, number>;
      readonly counts: Record<string, number>;
      readonly csvBytes?: number;
      readonly status?: string;
      readonly peakRssMb: number;
    }
  | { readonly ok: false; readonly error: string };

/** Runs product-worker beside this file: built JS without a loader under `npm run bench`, as the product is deployed. */
export function runWorker(request: WorkerRequest, nodeFlags: readonly string[] = []): Promise<WorkerReply> {
  const { file, execArgv } = moduleCommand(import.meta.url, 'product-worker');
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...nodeFlags, ...execArgv, file, JSON.stringify(request)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.on('error', fail);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      try {
        done(JSON.parse(line) as WorkerReply);
      } catch {
        done({ ok: false, error: `the worker ended (exit ${code}) without an answer` });
      }
    });
  });
}
