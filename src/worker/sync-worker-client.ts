// The bot's side of the sync worker process: a SyncService whose domain-wide use cases run in that process, restarted when it dies.
import { hostname } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { OpsObserver } from '../sync/observer.js';
import type { SyncService } from '../sync/service-interface.js';
import {
  type Call,
  failCall,
  type RecoveryContext,
  recoverApply,
  recoverPreviewAll,
  SyncWorkerStoppedError,
} from './crash-recovery.js';
import {
  type FromWorker,
  fromPortableError,
  PROTOCOL_VERSION,
  type ToWorker,
  type WorkerMethod,
  type WorkerSetup,
} from './protocol.js';
import { type CallListeners, routedSyncService } from './routed-service.js';

export { SyncWorkerStoppedError } from './crash-recovery.js';
import { startProcess } from './spawn-module.js';

export interface SyncWorkerOptions {
  readonly config: Config;
  /** The Entra connection the worker uses (the main engine's: in the demo, its emulator), with the CA it trusts. */
  readonly entra: WorkerSetup['entra'];
  /** The bot's own service: it answers the quick calls (settings, plans, runs, the domain list). */
  readonly local: SyncService;
  readonly logger: Logger;
  readonly prettyLogs?: boolean;
  /** Receives the worker's engine events (the metrics registry). */
  readonly observer?: OpsObserver;
  /** Wait before starting a worker again after it died (default 1 s, doubled while it keeps dying, at most 30 s). */
  readonly restartDelayMs?: number;
}

export interface SyncWorker {
  /** The use cases: domain-wide ones in the worker process, the others in the bot's own. */
  readonly service: SyncService;
  /** The running worker process (null while it restarts), for diagnostics and the crash tests. */
  child(): ChildProcess | null;
  /** How many times the worker has died and been started again. */
  restarts(): number;
  /** SIGTERM/SIGINT: runs in the worker stop after their in-flight writes and end `interrupted`. */
  abort(): void;
  /** Waits for the calls in progress, closes the worker's engine and ends the process. */
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startSyncWorker(options: SyncWorkerOptions): Promise<SyncWorker> {
  const { logger } = options;
  const leaseTtlMs = options.config.syncLeaseTtlSeconds * 1000;
  const baseDelay = options.restartDelayMs ?? 1000;
  let generation = 0;
  let restartCount = 0;
  let current: ChildProcess | null = null;
  let holder = '';
  /** Lease holder names of workers that died: a lease they still hold only waits for its expiry. */
  const deadHolders = new Set<string>();
  let ready: Promise<void> = Promise.resolve();
  let aborted = false;
  let closing = false;
  let nextId = 0;
  const calls = new Map<number, Call>();
  /** Set while a dead worker's calls are being finished: resumeInterrupted waits, so it does not race the recovery. */
  let recovering: Promise<void> = Promise.resolve();

  const post = (message: ToWorker) => {
    if (current?.connected) current.send(message);
  };

  function onMessage(message: FromWorker) {
    if (message.v !== PROTOCOL_VERSION) {
      logger.error(
        { got: message.v, want: PROTOCOL_VERSION },
        'sync worker: message of another protocol version ignored',
      );
      return;
    }
    switch (message.kind) {
      case 'event':
        options.observer?.(message.event);
        return;
      case 'ready':
      case 'closed':
        return;
    }
    const call = calls.get(message.id);
    if (!call) return;
    switch (message.kind) {
      case 'progress':
        call.listeners.onProgress?.(message.progress);
        return;
      case 'started':
        call.runId = message.runId;
        call.listeners.onStarted?.(message.runId);
        return;
      case 'domain':
        call.started = message.index;
        call.listeners.onDomain?.(message.index, message.domain);
        return;
      case 'previewed':
        call.previewed.push(message.entry);
        call.listeners.onPreviewed?.(message.index, message.entry);
        return;
      case 'result':
        calls.delete(call.id);
        // previewAll's entries came one by one ('previewed'); its answer is only their number.
        call.resolve(call.method === 'previewAll' ? call.previewed : message.value);
        return;
      case 'refusal':
        calls.delete(call.id);
        call.resolve(message.refusal);
        return;
      case 'error':
        calls.delete(call.id);
        call.reject(fromPortableError(message.error));
        return;
    }
  }

  /** Starts one worker process and resolves when its engine is built; rejects when it dies first. */
  function spawn(): Promise<void> {
    generation += 1;
    holder = `${hostname()}:${process.pid}:sync-worker-${generation}`;
    const setup: WorkerSetup = {
      v: PROTOCOL_VERSION,
      config: options.config,
      entra: options.entra,
      holder,
      logLevel: logger.level,
      prettyLogs: options.prettyLogs ?? false,
    };
    const worker = startProcess(import.meta.url, 'sync-worker-main');
    current = worker;
    worker.send({ v: PROTOCOL_VERSION, kind: 'setup', setup } satisfies ToWorker);
    return new Promise<void>((resolve, reject) => {
      let up = false;
      worker.on('message', (message: FromWorker) => {
        if (message.kind === 'ready' && !up) {
          up = true;
          resolve();
        }
        onMessage(message);
      });
      worker.on('error', (err) => logger.error({ err: String(err), holder }, 'sync worker: process error'));
      worker.once('exit', (code, signal) => {
        if (current === worker) current = null;
        const how = signal ? `signal ${signal}` : `exit code ${code}`;
        if (!up) {
          reject(new Error(`the sync worker stopped (${how}) before it was ready`));
          return;
        }
        if (!closing) onCrash(worker, how);
      });
    });
  }

  /** Starts a worker again until one is ready (or the bot stops), waiting longer after each failure. */
  async function respawn(): Promise<void> {
    let delay = baseDelay;
    for (;;) {
      await sleep(delay);
      if (closing || aborted) throw new SyncWorkerStoppedError('the bot is stopping');
      try {
        await spawn();
        return;
      } catch (err) {
        logger.error({ err: String(err), retryInMs: delay * 2 }, 'sync worker: could not start again');
        delay = Math.min(delay * 2, 30_000);
      }
    }
  }

  function onCrash(worker: ChildProcess, how: string) {
    const orphans = [...calls.values()];
    calls.clear();
    deadHolders.add(holder);
    restartCount += 1;
    logger.error(
      {
        how,
        workerPid: worker.pid,
        calls: orphans.map((c) => c.method),
        runs: orphans.map((c) => c.runId),
      },
      'the sync worker stopped unexpectedly; starting it again (open runs resume from their journal)',
    );
    ready = respawn();
    const up = ready.then(
      () => true,
      () => false,
    );
    // A preview all goes on in the new worker on its own: resumeInterrupted does not wait for dry runs.
    for (const call of orphans)
      if (call.method === 'previewAll') void up.then((isUp) => recoverPreviewAll(call, how, isUp, recovery));
    recovering = (async () => {
      const isUp = await up;
      await Promise.all(
        orphans
          .filter((call) => call.method !== 'previewAll')
          .map((call) => (isUp && call.method === 'apply' ? recoverApply(call, how, recovery) : failCall(call, how))),
      );
    })();
  }

  /** Sends one call to the worker (waiting for a restart in progress). */
  async function send(method: WorkerMethod, args: readonly unknown[], listeners: CallListeners = {}): Promise<unknown> {
    await ready;
    if (closing) throw new SyncWorkerStoppedError('the bot is stopping: nothing new starts');
    const id = ++nextId;
    return new Promise((resolve, reject) => {
      calls.set(id, { id, method, args, listeners, runId: null, previewed: [], started: -1, resolve, reject });
      post({ v: PROTOCOL_VERSION, kind: 'call', id, method, args });
    });
  }

  const recovery: RecoveryContext = { send, logger, deadHolders, leaseTtlMs, stopping: () => closing || aborted };
  await spawn();

  const service = routedSyncService(options.local, send, () => recovering);

  return {
    service,
    child: () => current,
    restarts: () => restartCount,
    abort() {
      aborted = true;
      post({ v: PROTOCOL_VERSION, kind: 'abort' });
    },
    async close() {
      if (closing) return;
      aborted = true;
      closing = true;
      // A worker being started again after a crash is waited for, then closed like any other.
      await ready.catch(() => undefined);
      const worker = current;
      if (!worker) return;
      const exited = new Promise<void>((r) => worker.once('exit', () => r()));
      post({ v: PROTOCOL_VERSION, kind: 'close' });
      await exited;
      // Calls the worker could not answer (it was ended from outside) fail rather than hang.
      for (const call of calls.values())
        call.reject(new SyncWorkerStoppedError(`the sync worker ended during ${call.method}`));
      calls.clear();
    },
  };
}
