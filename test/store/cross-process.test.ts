// Leases and plan claims hold across processes: two children contend on the same sqlite file.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';

interface WorkerResult {
  held: number;
  overlaps: number;
  refusedBy: string[];
  claimed: string[];
}

const worker = join(import.meta.dirname, 'lease-worker.ts');
const dir = mkdtempSync(join(tmpdir(), 'store-xproc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runWorker(url: string, name: string, rounds: number, plans: number): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', worker, url, name, String(rounds), String(plans)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`worker ${name} exited ${code}: ${err}`));
      else resolve(JSON.parse(out.trim()) as WorkerResult);
    });
  });
}

describe('sqlite store across processes', () => {
  it('never lets two processes hold the same lease, and gives each plan to exactly one of them', async () => {
    const url = `sqlite://${join(dir, 'shared.sqlite')}`;
    // Create the file (and its tables) first so both children start from the same state.
    const setup = await openStore(url);
    await setup.close();
    const plans = 150;
    const [a, b] = await Promise.all([runWorker(url, 'proc-a', 150, plans), runWorker(url, 'proc-b', 150, plans)]);
    expect(a.overlaps + b.overlaps).toBe(0);
    expect(a.held).toBeGreaterThan(0);
    expect(b.held).toBeGreaterThan(0);
    // They really contended (each was refused at least once overall), and a refusal names the other process (never itself).
    expect(a.refusedBy.length + b.refusedBy.length).toBeGreaterThan(0);
    expect(a.refusedBy.every((h) => h === 'proc-b')).toBe(true);
    expect(b.refusedBy.every((h) => h === 'proc-a')).toBe(true);
    const both = [...a.claimed, ...b.claimed];
    expect(new Set(both).size).toBe(both.length);
    expect(both.length).toBe(plans);

    const check = await openStore(url);
    for (const p of a.claimed.slice(0, 5)) {
      expect(await check.plans.claim(p, 'run-late')).toEqual({ claimed: false, runId: 'run-proc-a' });
    }
    await check.close();
  }, 30_000);
});
