// The Entra writer: validates its options and runs each execute() call as a WriteRun ($batch, paced, retried).
import type { Logger } from '../logger.js';
import type { OpsObserver } from '../sync/observer.js';
import type { EntraWriter, WriteOp, WriteOptions } from '../sync/ports.js';
import type { GraphClient } from './graph-client.js';
import { ThrottlePacer } from './pacer.js';
import { type Clock, DEFAULT_BACKOFF, DEFAULT_RETRY_LIMITS, type RandomSource } from './retry.js';
import { type PasswordSource, randomPassword } from './write-requests.js';
import { WriteRun, type WriterSettings } from './write-run.js';

export interface GraphBatchWriterOptions {
  readonly graph: GraphClient;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Jitter source in [0, 1). Default Math.random. */
  readonly random?: RandomSource;
  /** Requests per $batch (1–20). Default 20. */
  readonly batchSize?: number;
  /** $batch requests in flight at once. Default 4. */
  readonly concurrency?: number;
  /** Sends per op that may end in a transient failure (5xx, reset, timeout), first one included. Default 6. */
  readonly maxAttempts?: number;
  /** Throttled (429) answers tolerated per op, each waited out per Retry-After. Default 12. */
  readonly maxThrottledRetries?: number;
  /** Timeout of one $batch request. Default 60 s. */
  readonly requestTimeoutMs?: number;
  /** Backoff for transient failures. Default 250 ms doubling up to 15 s (with jitter). */
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
  /** Told of every write's final result, by kind and outcome (metrics). */
  readonly observer?: OpsObserver;
  /** The initial password of each created user. Default: a fresh random one (randomPassword). */
  readonly passwordFor?: PasswordSource;
}

export class GraphBatchWriter implements EntraWriter {
  private readonly settings: WriterSettings;

  constructor(options: GraphBatchWriterOptions) {
    const settings: WriterSettings = {
      graph: options.graph,
      logger: options.logger,
      clock: options.clock,
      random: options.random ?? Math.random,
      batchSize: options.batchSize ?? 20,
      concurrency: options.concurrency ?? 4,
      limits: {
        maxAttempts: options.maxAttempts ?? DEFAULT_RETRY_LIMITS.maxAttempts,
        maxThrottledRetries: options.maxThrottledRetries ?? DEFAULT_RETRY_LIMITS.maxThrottledRetries,
      },
      requestTimeoutMs: options.requestTimeoutMs ?? 60_000,
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      pacer: options.graph.pacer ?? new ThrottlePacer({ clock: options.clock }),
      observer: options.observer ?? null,
      passwordFor: options.passwordFor ?? randomPassword,
    };
    const { batchSize, concurrency } = settings;
    const { maxAttempts, maxThrottledRetries } = settings.limits;
    const bad: string[] = [];
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 20)
      bad.push(`batchSize: must be 1 to 20 (got ${batchSize})`);
    if (!Number.isInteger(concurrency) || concurrency < 1)
      bad.push(`concurrency: must be at least 1 (got ${concurrency})`);
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
      bad.push(`maxAttempts: must be at least 1 (got ${maxAttempts})`);
    if (!Number.isInteger(maxThrottledRetries) || maxThrottledRetries < 0)
      bad.push(`maxThrottledRetries: must be 0 or more (got ${maxThrottledRetries})`);
    if (bad.length > 0) throw new Error(`GraphBatchWriter options: ${bad.join('; ')}`);
    this.settings = settings;
  }

  async execute(ops: readonly WriteOp[], options: WriteOptions): Promise<void> {
    const seen = new Set<string>();
    const dupes = new Set<string>();
    for (const op of ops) (seen.has(op.opId) ? dupes : seen).add(op.opId);
    if (dupes.size > 0) throw new Error(`write ops: duplicate opId ${[...dupes].slice(0, 5).join(', ')}`);
    if (ops.length === 0) return;
    await new WriteRun(this.settings, ops, options).start();
  }
}
