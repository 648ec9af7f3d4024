// Writes to Entra ID in $batch requests: several in flight, throttle-aware, bounded retries, one final result per op.
import type { Logger } from '../logger.js';
import type { OpsObserver } from '../sync/observer.js';
import type { EntraWriter, WriteOp, WriteOptions, WriteResult } from '../sync/ports.js';
import { classifyResponse, type GraphFailure, isRetryable, toFailure } from './errors.js';
import type { BatchResponseItem, GraphClient } from './graph-client.js';
import { ThrottlePacer } from './pacer.js';
import { backoffDelay, type Clock, DEFAULT_BACKOFF, type RandomSource, retryAfterDelay } from './retry.js';
import {
  isIdempotent,
  metricKind,
  type PasswordSource,
  randomPassword,
  toBatchRequest,
  userIdOf,
  writesExistingUser,
} from './write-requests.js';

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

interface Pending {
  readonly op: WriteOp;
  /** Sends so far. */
  attempts: number;
  transientFailures: number;
  throttledFailures: number;
  notBefore: number;
  /** Some attempt may have been applied (sent, no trustworthy answer). */
  maybeApplied: boolean;
}

const PERMISSION = 'User.ReadWrite.All';

export class GraphBatchWriter implements EntraWriter {
  private readonly graph: GraphClient;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly maxThrottledRetries: number;
  private readonly requestTimeoutMs: number;
  private readonly backoff: { baseMs: number; maxMs: number };
  private readonly pacer: ThrottlePacer;
  private readonly observer: OpsObserver | null;
  private readonly passwordFor: PasswordSource;

  constructor(options: GraphBatchWriterOptions) {
    this.observer = options.observer ?? null;
    this.passwordFor = options.passwordFor ?? randomPassword;
    this.graph = options.graph;
    this.logger = options.logger;
    this.clock = options.clock;
    this.random = options.random ?? Math.random;
    this.batchSize = options.batchSize ?? 20;
    this.concurrency = options.concurrency ?? 4;
    this.maxAttempts = options.maxAttempts ?? 6;
    this.maxThrottledRetries = options.maxThrottledRetries ?? 12;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.pacer = options.graph.pacer ?? new ThrottlePacer({ clock: options.clock });
    const bad: string[] = [];
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1 || this.batchSize > 20)
      bad.push(`batchSize: must be 1 to 20 (got ${this.batchSize})`);
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1)
      bad.push(`concurrency: must be at least 1 (got ${this.concurrency})`);
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1)
      bad.push(`maxAttempts: must be at least 1 (got ${this.maxAttempts})`);
    if (!Number.isInteger(this.maxThrottledRetries) || this.maxThrottledRetries < 0)
      bad.push(`maxThrottledRetries: must be 0 or more (got ${this.maxThrottledRetries})`);
    if (bad.length > 0) throw new Error(`GraphBatchWriter options: ${bad.join('; ')}`);
  }

  async execute(ops: readonly WriteOp[], options: WriteOptions): Promise<void> {
    const seen = new Set<string>();
    const dupes = new Set<string>();
    for (const op of ops) (seen.has(op.opId) ? dupes : seen).add(op.opId);
    if (dupes.size > 0) throw new Error(`write ops: duplicate opId ${[...dupes].slice(0, 5).join(', ')}`);
    if (ops.length === 0) return;
    const run = new WriteRun(this, ops, options);
    await run.start();
  }

  /** @internal Used by WriteRun. */
  settings() {
    return {
      graph: this.graph,
      logger: this.logger,
      clock: this.clock,
      random: this.random,
      batchSize: this.batchSize,
      concurrency: this.concurrency,
      maxAttempts: this.maxAttempts,
      maxThrottledRetries: this.maxThrottledRetries,
      requestTimeoutMs: this.requestTimeoutMs,
      backoff: this.backoff,
      pacer: this.pacer,
      observer: this.observer,
      passwordFor: this.passwordFor,
    };
  }
}

/** The state of one execute() call. */
class WriteRun {
  private readonly s: ReturnType<GraphBatchWriter['settings']>;
  private readonly queue: Pending[];
  private readonly reported = new Set<string>();
  private readonly kinds = new Map<string, ReturnType<typeof metricKind>>();
  private readonly onResult: WriteOptions['onResult'];
  private readonly signal: AbortSignal | undefined;
  private readonly explainForbidden: WriteOptions['explainForbidden'];
  private active = 0;
  private waiters: (() => void)[] = [];
  private stopped: GraphFailure | null = null;
  private handlerError: unknown = null;
  private batchSeq = 0;

  constructor(writer: GraphBatchWriter, ops: readonly WriteOp[], options: WriteOptions) {
    this.s = writer.settings();
    this.queue = ops.map((op) => ({
      op,
      attempts: 0,
      transientFailures: 0,
      throttledFailures: 0,
      notBefore: 0,
      maybeApplied: false,
    }));
    this.onResult = options.onResult;
    this.signal = options.signal;
    this.explainForbidden = options.explainForbidden;
    for (const op of ops) this.kinds.set(op.opId, metricKind(op));
  }

  async start(): Promise<void> {
    const onAbort = () => {
      this.stop({
        kind: 'stop',
        status: 0,
        code: 'Aborted',
        message: 'the run was cancelled',
        retryAfterMs: null,
        maybeApplied: false,
      });
    };
    if (this.signal?.aborted) onAbort();
    this.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const workers = Array.from({ length: this.s.concurrency }, () => this.worker());
      await Promise.all(workers);
      // Whatever was never sent (the run stopped): one final result each.
      const reason = this.stopped;
      for (const item of this.queue.splice(0)) {
        await this.report({
          opId: item.op.opId,
          ok: false,
          status: 0,
          kind: reason?.kind ?? 'stop',
          code: 'RunStopped',
          message: `not attempted: ${reason?.message ?? 'the run stopped'}`,
          outcomeUnknown: item.maybeApplied,
        });
      }
    } finally {
      this.signal?.removeEventListener('abort', onAbort);
    }
    if (this.handlerError !== null) throw this.handlerError;
  }

  private stop(failure: GraphFailure): void {
    if (this.stopped === null) {
      this.stopped = failure;
      this.s.logger.warn({ kind: failure.kind, code: failure.code }, `writes stopped: ${failure.message}`);
    }
    this.notify();
  }

  private notify(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w();
  }

  /** Waits for a change (a batch finished, items requeued) or until `ms` passed. */
  private async waitChange(ms?: number): Promise<void> {
    const ac = new AbortController();
    const changed = new Promise<void>((resolve) => this.waiters.push(resolve));
    if (ms === undefined) {
      await changed;
      return;
    }
    await Promise.race([changed, this.s.clock.sleep(Math.max(1, ms), ac.signal)]);
    ac.abort();
  }

  private async worker(): Promise<void> {
    for (;;) {
      if (this.stopped !== null) return;
      const allowed = this.s.pacer.concurrency(this.s.concurrency);
      if (this.active >= allowed) {
        await this.waitChange(Math.max(50, this.s.pacer.gapMs()));
        continue;
      }
      const now = this.s.clock.now();
      const batch: Pending[] = [];
      let earliest = Number.POSITIVE_INFINITY;
      for (let i = 0; i < this.queue.length && batch.length < this.s.batchSize; ) {
        const item = this.queue[i] as Pending;
        if (item.notBefore <= now) {
          batch.push(item);
          this.queue.splice(i, 1);
        } else {
          earliest = Math.min(earliest, item.notBefore);
          i++;
        }
      }
      if (batch.length === 0) {
        if (this.queue.length === 0 && this.active === 0) return;
        await this.waitChange(Number.isFinite(earliest) ? earliest - now : undefined);
        continue;
      }
      this.active++;
      let release: (() => void) | undefined;
      try {
        release = await this.s.pacer.acquireWrites(batch.length, this.signal);
        await this.sendBatch(batch);
      } finally {
        release?.();
        this.active--;
        this.notify();
      }
    }
  }

  private async sendBatch(batch: Pending[]): Promise<void> {
    const seq = ++this.batchSeq;
    const byId = new Map<string, Pending>();
    const requests = batch.map((item, i) => {
      const id = String(i + 1);
      byId.set(id, item);
      item.attempts++;
      return toBatchRequest(id, item.op, this.s.passwordFor);
    });
    let responses: BatchResponseItem[];
    try {
      const res = await this.s.graph.rawBatch(requests, { timeoutMs: this.s.requestTimeoutMs });
      if (res.responses === null) {
        const failure = classifyResponse({
          status: res.status,
          body: res.body,
          headers: res.headers,
          now: this.s.clock.now(),
          isWrite: true,
          permission: PERMISSION,
        });
        this.s.logger.debug({ batch: seq, status: res.status, code: failure.code }, '$batch failed as a whole');
        for (const item of batch) await this.settleFailure(item, failure);
        return;
      }
      responses = res.responses;
    } catch (err) {
      const failure = toFailure(err, { isWrite: true });
      this.s.logger.debug({ batch: seq, code: failure.code }, '$batch got no answer');
      for (const item of batch) await this.settleFailure(item, failure);
      return;
    }
    const answered = new Map(responses.map((r) => [r.id, r]));
    let throttled = 0;
    for (const [id, item] of byId) {
      const r = answered.get(id);
      if (!r) {
        await this.settleFailure(item, {
          kind: 'transient',
          status: 0,
          code: 'BatchItemMissing',
          message: `the $batch answer had no response for item ${id}`,
          retryAfterMs: null,
          maybeApplied: true,
        });
        continue;
      }
      if (r.status >= 200 && r.status < 300) {
        await this.report({ opId: item.op.opId, ok: true, status: r.status, userId: userIdOf(item.op, r.body) });
        continue;
      }
      if (r.status === 404 && item.op.kind === 'delete') {
        // Already gone: the delete's goal is met.
        await this.report({ opId: item.op.opId, ok: true, status: 404, userId: item.op.userId });
        continue;
      }
      if (r.status === 429) throttled++;
      await this.settleFailure(
        item,
        classifyResponse({
          status: r.status,
          body: r.body,
          headers: r.headers,
          now: this.s.clock.now(),
          isWrite: true,
          permission: PERMISSION,
        }),
      );
    }
    this.s.logger.debug({ batch: seq, items: batch.length, throttled }, '$batch answered');
  }

  /** Applies the error policy to one failed item: retry later, or report its final result. */
  private async settleFailure(item: Pending, failure: GraphFailure): Promise<void> {
    item.maybeApplied ||= failure.maybeApplied;
    const final = (f: GraphFailure, outcomeUnknown: boolean) =>
      this.report({
        opId: item.op.opId,
        ok: false,
        status: f.status,
        kind: f.kind,
        code: f.code,
        message: f.message,
        outcomeUnknown,
      });
    if (failure.kind === 'forbidden' && this.explainForbidden && writesExistingUser(item.op)) {
      // A 403 on one user may be about that user (an administrator an app may not write), not about the app.
      let why: string | null = null;
      try {
        why = await this.explainForbidden(item.op);
      } catch (err) {
        this.s.logger.warn(
          { opId: item.op.opId, err: (err as Error).message },
          'could not tell why Graph refused a write',
        );
      }
      if (why !== null) {
        await this.report({
          opId: item.op.opId,
          ok: false,
          status: failure.status,
          kind: failure.kind,
          code: failure.code,
          message: why,
          outcomeUnknown: false,
          targetRefused: true,
        });
        return;
      }
    }
    if (failure.kind === 'forbidden' || failure.kind === 'stop') {
      await final(failure, item.maybeApplied);
      this.stop(failure);
      return;
    }
    if (!isRetryable(failure.kind)) {
      await final(failure, false);
      return;
    }
    if (!isIdempotent(item.op) && item.maybeApplied) {
      // Do not resend a create/restore that may have happened: the caller looks the user up first.
      await final(failure, true);
      return;
    }
    if (failure.kind === 'throttled') item.throttledFailures++;
    else item.transientFailures++;
    const exhausted =
      failure.kind === 'throttled'
        ? item.throttledFailures > this.s.maxThrottledRetries
        : item.transientFailures >= this.s.maxAttempts;
    if (exhausted || this.stopped !== null) {
      await final(
        { ...failure, message: `${failure.message} (gave up after ${item.attempts} attempts)` },
        item.maybeApplied,
      );
      return;
    }
    const delay =
      failure.retryAfterMs !== null
        ? retryAfterDelay(failure.retryAfterMs, this.s.random)
        : backoffDelay(Math.max(1, item.transientFailures), { ...this.s.backoff, random: this.s.random });
    item.notBefore = this.s.clock.now() + delay;
    this.queue.push(item);
    this.notify();
  }

  private async report(result: WriteResult): Promise<void> {
    if (this.reported.has(result.opId)) {
      throw new Error(`internal: a second result for op ${result.opId}`);
    }
    this.reported.add(result.opId);
    const kind = this.kinds.get(result.opId);
    if (kind) this.s.observer?.({ type: 'write', kind, outcome: result.ok ? 'done' : result.kind });
    if (!result.ok) {
      this.s.logger.info(
        { opId: result.opId, kind: result.kind, code: result.code, outcomeUnknown: result.outcomeUnknown },
        'write failed',
      );
    }
    try {
      await this.onResult(result);
    } catch (err) {
      if (this.handlerError === null) this.handlerError = err;
      this.stop({
        kind: 'stop',
        status: 0,
        code: 'ResultHandlerFailed',
        message: `recording a result failed: ${(err as Error).message}`,
        retryAfterMs: null,
        maybeApplied: false,
      });
    }
  }
}
