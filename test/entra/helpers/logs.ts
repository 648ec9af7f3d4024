// Captures the connector's pino output (every level) so tests can assert what a log line may never contain.
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../../src/logger.js';

export function captureLogs(): { logger: Logger; text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  return { logger: createLogger('trace', stream), text: () => chunks.join('') };
}
