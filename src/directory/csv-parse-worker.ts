// Worker-thread entry: parses one Access Control CSV export off the bot's event loop and posts the result back.
import { parentPort, workerData } from 'node:worker_threads';
import { type CsvImportOptions, parseDirectoryCsv } from './csv-import.js';

const { bytes, options } = workerData as { bytes: Uint8Array; options: CsvImportOptions };
parentPort?.postMessage(parseDirectoryCsv(bytes, options));
