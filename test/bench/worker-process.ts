// Spawns product-worker.ts for one measured action and returns its JSON answer (timings, counts, peak RSS).
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
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

export function runWorker(request: WorkerRequest, nodeFlags: readonly string[] = []): Promise<WorkerReply> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      [...nodeFlags, '--import', 'tsx', resolve('test/bench/product-worker.ts'), JSON.stringify(request)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
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
