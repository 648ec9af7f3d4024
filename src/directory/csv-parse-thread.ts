// Runs parseDirectoryCsv in a worker thread, so that a large export never stalls the bot's replies and cards.
import { Worker } from 'node:worker_threads';
import type { CsvImportOptions, CsvImportResult } from './csv-import.js';

/** Parses the export in its own thread (the TypeScript source is loaded through tsx when running from src/). */
export function parseDirectoryCsvInWorker(bytes: Uint8Array, options: CsvImportOptions = {}): Promise<CsvImportResult> {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(`./csv-parse-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url);
  // From source, the worker registers tsx's loader first (as `npm start` does for the main thread).
  const worker = fromSource
    ? new Worker(
        `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`,
        { eval: true, workerData: { bytes, options } },
      )
    : new Worker(entry, { workerData: { bytes, options } });
  return new Promise((resolve, reject) => {
    let settled = false;
    worker.once('message', (result: CsvImportResult) => {
      settled = true;
      resolve(result);
      void worker.terminate();
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the CSV parser stopped (exit code ${code}) before answering`));
    });
  });
}
