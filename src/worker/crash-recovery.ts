// What becomes of the calls a dead sync worker was answering: an approved apply resumes in the new worker, a preview all goes on there, the others fail.
import type { Logger } from '../logger.js';
import type { DomainSettings } from '../sync/model.js';
import { type DomainPreview, isRefusal, toPortableError } from '../sync/service-interface.js';
import type { PortablePreviewAllOptions, WorkerMethod } from './protocol.js';
import type { CallListeners, WorkerSend } from './routed-service.js';

/** The error a caller gets when the worker died under its call and the call cannot be finished for it. */
export class SyncWorkerStoppedError extends Error {
  override readonly name = 'SyncWorkerStoppedError';
  /** The failure kind the bot's cards know (`error.kind.worker`). */
  readonly kind = 'worker';
}

/** One call sent to the worker and not answered yet. */
export interface Call {
  readonly id: number;
  readonly method: WorkerMethod;
  readonly args: readonly unknown[];
  readonly listeners: CallListeners;
  /** The run this call started (apply), once the worker said so. */
  runId: string | null;
  /** `previewAll`: the entries of the domains finished so far, and the index of the last domain started. */
  readonly previewed: DomainPreview[];
  started: number;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/** What the recovery needs of the worker client. */
export interface RecoveryContext {
  /** Sends a call to the new worker (waiting for it to be ready). */
  readonly send: WorkerSend;
  readonly logger: Logger;
  /** Lease holder names of workers that died: a lease they still hold only waits for its expiry. */
  readonly deadHolders: ReadonlySet<string>;
  readonly leaseTtlMs: number;
  /** True once the bot is stopping: nothing is sent again. */
  stopping(): boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function failCall(call: Call, how: string): void {
  const during =
    call.method === 'apply' && call.runId
      ? `run ${call.runId}, which resumes from its journal and is posted when it ends`
      : call.method;
  call.reject(new SyncWorkerStoppedError(`the sync worker stopped (${how}) during ${during}`));
}

/**
 * An approved apply whose worker died: the same apply is sent to the new worker. Applying a plan again resumes the
 * run that claimed it from its journal (or carries on under its claim when no run was recorded yet), so the admin's
 * card gets the run's real end. The dead worker's domain lease is only waited out (it expires within the TTL).
 */
export async function recoverApply(call: Call, how: string, ctx: RecoveryContext): Promise<void> {
  const deadline = Date.now() + ctx.leaseTtlMs + 30_000;
  ctx.logger.warn({ runId: call.runId, planId: call.args[0] }, 'sync worker: resuming the approved run in the new worker');
  for (;;) {
    let answer: unknown;
    try {
      answer = await ctx.send(call.method, call.args, {
        onProgress: call.listeners.onProgress,
        onStarted: (runId) => {
          call.runId = runId;
          call.listeners.onStarted?.(runId);
        },
      });
    } catch (err) {
      call.reject(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    const waitingOnDead =
      isRefusal(answer) &&
      answer.code === 'lease-held' &&
      answer.detail !== undefined &&
      ctx.deadHolders.has(answer.detail);
    if (!waitingOnDead) {
      call.resolve(answer);
      return;
    }
    if (Date.now() > deadline || ctx.stopping()) {
      failCall(call, how);
      return;
    }
    await sleep(Math.min(1000, Math.max(100, ctx.leaseTtlMs / 4)));
  }
}

/**
 * `preview all` whose worker died: the domains it finished keep their entry; the one it was previewing says the
 * worker stopped (it is not tried again: it may be what stopped it, e.g. out of memory); the domains it had not
 * started are sent to the new worker (a dry run writes nothing to Entra). Each death costs at least the domain in
 * progress, so this ends. When no worker comes back (`up` false: the bot is stopping), those domains say so too.
 */
export async function recoverPreviewAll(call: Call, how: string, up: boolean, ctx: RecoveryContext): Promise<void> {
  const [settings, opts] = call.args as [readonly DomainSettings[], PortablePreviewAllOptions];
  const stopped = (domain: string, during: string): DomainPreview => ({
    domain,
    error: toPortableError(new SyncWorkerStoppedError(`the sync worker stopped (${how}) ${during} ${domain}`)),
  });
  const entries = [...call.previewed];
  // The domain in progress: started and not finished.
  if (call.started === entries.length && entries.length < settings.length)
    entries.push(stopped(settings[entries.length]!.domain, 'during the dry run of'));
  const base = entries.length;
  const rest = settings.slice(base);
  if (rest.length === 0) return call.resolve(entries);
  let more: DomainPreview[] | null = null;
  if (up) {
    ctx.logger.warn(
      { finished: call.previewed.length, left: rest.length },
      'sync worker: preview all goes on in the new worker',
    );
    const { onDomain, onPreviewed } = call.listeners;
    more = (await ctx
      .send('previewAll', [rest, opts], {
        onDomain: onDomain && ((i, domain) => onDomain(base + i, domain)),
        onPreviewed: onPreviewed && ((i, entry) => onPreviewed(base + i, entry)),
      })
      .catch(() => null)) as DomainPreview[] | null;
  }
  // No new worker answered (the bot is stopping): the domains not started say so, the finished ones stay.
  call.resolve([...entries, ...(more ?? rest.map((s) => stopped(s.domain, 'before the dry run of')))]);
}
