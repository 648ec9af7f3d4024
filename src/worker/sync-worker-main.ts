// Entry of the sync worker thread: builds the engine and serves the use cases that read or write a domain to the bot's main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { createEngine } from '../compose.js';
import { createLogger } from '../logger.js';
import { isRefusal, type Progress, type SyncService } from '../sync/service.js';
import {
  type FromWorker,
  PROTOCOL_VERSION,
  type PortableApplyOptions,
  type PortablePreviewOptions,
  type ToWorker,
  toPortableError,
  WORKER_METHODS,
  type WorkerMethod,
  type WorkerSetup,
} from './protocol.js';

const port = parentPort;
if (!port) throw new Error('sync-worker-main.ts runs as a worker thread (src/worker/sync-worker-client.ts starts it)');
const setup = workerData as WorkerSetup;
if (setup.v !== PROTOCOL_VERSION)
  throw new Error(`sync worker protocol ${String(setup.v)} asked, this build speaks ${PROTOCOL_VERSION}`);

const send = (message: FromWorker) => port.postMessage(message);
const logger = createLogger(setup.logLevel, process.stderr, { pretty: setup.prettyLogs });
const shutdown = new AbortController();
const engine = await createEngine(setup.config, logger, {
  entra: setup.entra,
  holder: setup.holder,
  shutdown: shutdown.signal,
  observer: (event) => send({ v: PROTOCOL_VERSION, kind: 'event', event }),
});
const service: SyncService = engine.service;

/** One call: the options' callbacks are rebuilt as messages to the caller. */
function invoke(id: number, method: WorkerMethod, args: readonly unknown[]): Promise<unknown> {
  const progress = (p: Progress) => send({ v: PROTOCOL_VERSION, kind: 'progress', id, progress: p });
  switch (method) {
    case 'preview': {
      const [domain, opts = {}] = args as [string, PortablePreviewOptions?];
      const { progress: wants, ...rest } = opts;
      return service.preview(domain, { ...rest, ...(wants ? { onProgress: progress } : {}) });
    }
    case 'apply': {
      const [planId, planHash, opts] = args as [string, string, PortableApplyOptions];
      const { progress: wants, ...rest } = opts;
      return service.apply(planId, planHash, {
        ...rest,
        ...(wants ? { onProgress: progress } : {}),
        onStarted: (runId) => send({ v: PROTOCOL_VERSION, kind: 'started', id, runId }),
      });
    }
    case 'runScheduled':
      return service.runScheduled(args[0] as string);
    case 'resumeInterrupted':
      return service.resumeInterrupted(args[0] as Parameters<SyncService['resumeInterrupted']>[0]);
    case 'precheck':
      return service.precheck(args[0] as string);
    case 'moveToInitialDomain':
      return service.moveToInitialDomain(args[0] as string, args[1] as string[], args[2] as string | null);
    case 'importDirectory':
      return service.importDirectory(args[0] as Uint8Array, args[1] as { partial?: boolean; merge?: boolean });
  }
}

const inFlight = new Set<Promise<void>>();

port.on('message', (message: ToWorker) => {
  if (message.v !== PROTOCOL_VERSION) {
    logger.error(
      { got: message.v, want: PROTOCOL_VERSION },
      'sync worker: message of another protocol version ignored',
    );
    return;
  }
  if (message.kind === 'abort') {
    shutdown.abort();
    return;
  }
  if (message.kind === 'close') {
    shutdown.abort();
    void (async () => {
      await Promise.allSettled([...inFlight]);
      await engine.close();
      send({ v: PROTOCOL_VERSION, kind: 'closed' });
      port.close();
    })();
    return;
  }
  const { id, method, args } = message;
  if (!(WORKER_METHODS as readonly string[]).includes(method)) {
    send({ v: PROTOCOL_VERSION, kind: 'error', id, error: { name: 'Error', message: `unknown method ${method}` } });
    return;
  }
  // A malformed call becomes an error answer, not an exception that would end the thread.
  const call = Promise.resolve()
    .then(() => invoke(id, method, args))
    .then(
      (value) =>
        send(
          isRefusal(value)
            ? { v: PROTOCOL_VERSION, kind: 'refusal', id, refusal: value }
            : { v: PROTOCOL_VERSION, kind: 'result', id, value },
        ),
      (err: unknown) => send({ v: PROTOCOL_VERSION, kind: 'error', id, error: toPortableError(err) }),
    )
    // An answer that cannot be cloned (a bug: the use cases return plain data) still answers the caller.
    .catch((err: unknown) => send({ v: PROTOCOL_VERSION, kind: 'error', id, error: toPortableError(err) }));
  inFlight.add(call);
  void call.finally(() => inFlight.delete(call));
});

send({ v: PROTOCOL_VERSION, kind: 'ready' });
