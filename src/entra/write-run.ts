// One GraphBatchWriter.execute() call: a queue of ops sent in $batch requests by workers, retried per nextRetry, one result each.
// Over 300 lines on purpose: the queue, the workers and the one-result-per-op bookkeeping share one state, which a
// split would have to expose; Graph requests are built in write-requests.ts and the retry rule is nextRetry (retry.ts).
import type { Logger } from '../logger.js';
import type { OpsObserver } from '../sync/observer.js';
import type { WriteOp, WriteOptions, WriteResult } from '../sync/ports.js';
import { classifyResponse, ERROR_POLICY, type GraphFailure, isRetryable, stopsRun, toFailure } from './errors.js';
import type { BatchResponseItem, GraphClient } from './graph-client.js';
import type { ThrottlePacer } from './pacer.js';
import { type Clock, newTally, nextRetry, type RandomSource, type RetryLimits, type RetryTally } from './retry.js';
import {
  isIdempotent,
  metricKind,
  type PasswordSource,
  toBatchRequest,
  userIdOf,
  writesExistingUser,
} from './write-requests.js';

/** What the writer was built with (GraphBatchWriterOptions with the defaults applied). */
export interface WriterSettings {
  readonly graph: GraphClient;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly limits: RetryLimits;
  readonly requestTimeoutMs: number;
  readonly backoff: { readonly baseMs: number; readonly maxMs: number };
  readonly pacer: ThrottlePacer;
  readonly observer: OpsObserver | null;
  readonly passwordFor: PasswordSource;
}

interface Pending {
  readonly op: WriteOp;
  /** Sends so far. */
  attempts: number;
  /** Failures so far, by retry policy (see nextRetry). */
  readonly tally: RetryTally;
  notBefore: number;
  /** Some attempt may have been applied (sent, no trustworthy answer). */
  maybeApplied: boolean;
}

const PERMISSION = 'User.ReadWrite.All';

/** The state of one execute() call. */
export class WriteRun {
  private readonly s: WriterSettings;
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

  constructor(settings: WriterSettings, ops: readonly WriteOp[], options: WriteOptions) {
    this.s = settings;
    this.queue = ops.map((op) => ({
      op,
      attempts: 0,
      tally: newTally(),
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
          policy: ERROR_POLICY[reason?.kind ?? 'stop'],
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
      const failure = classifyResponse({
        status: r.status,
        body: r.body,
        headers: r.headers,
        now: this.s.clock.now(),
        isWrite: true,
        permission: PERMISSION,
      });
      if (ERROR_POLICY[failure.kind] === 'done-or-skip' && item.op.kind === 'delete') {
        // Already gone: the delete's goal is met.
        await this.report({ opId: item.op.opId, ok: true, status: r.status, userId: item.op.userId });
        continue;
      }
      if (failure.kind === 'throttled') throttled++;
      await this.settleFailure(item, failure);
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
        policy: ERROR_POLICY[f.kind],
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
          policy: ERROR_POLICY[failure.kind],
          code: failure.code,
          message: why,
          outcomeUnknown: false,
          targetRefused: true,
        });
        return;
      }
    }
    if (stopsRun(failure.kind)) {
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
    const delay = nextRetry(failure, item.tally, this.s.limits, { backoff: this.s.backoff, random: this.s.random });
    if (delay === null || this.stopped !== null) {
      await final(
        { ...failure, message: `${failure.message} (gave up after ${item.attempts} attempts)` },
        item.maybeApplied,
      );
      return;
    }
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
