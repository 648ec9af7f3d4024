// Runs parseDirectoryCsv in a worker thread, so that a large export never stalls the bot's replies and cards.
import { startThread } from '../worker/spawn-module.js';
import type { CsvImportOptions, CsvImportResult } from './csv-import.js';

/** Parses the export in its own thread. */
export function parseDirectoryCsvInWorker(bytes: Uint8Array, options: CsvImportOptions = {}): Promise<CsvImportResult> {
  const worker = startThread(import.meta.url, 'csv-parse-worker', { workerData: { bytes, options } });
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
