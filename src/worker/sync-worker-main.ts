// Entry of the sync worker process: builds the engine and serves the use cases that read or write a domain to the bot server.
import { createEngine, type Engine } from '../compose.js';
import type { DomainSettings } from '../sync/model.js';
import { createLogger } from '../logger.js';
import {
  type DomainPreview,
  type HeldDomain,
  isRefusal,
  type Progress,
  type SyncService,
} from '../sync/service-interface.js';
import {
  type FromWorker,
  PROTOCOL_VERSION,
  type PortableApplyOptions,
  type PortablePreviewAllOptions,
  type PortablePreviewOptions,
  type ToWorker,
  toPortableError,
  WORKER_METHODS,
  type WorkerMethod,
  type WorkerSetup,
} from './protocol.js';

if (!process.send)
  throw new Error(
    "sync-worker-main.ts runs as the bot server's child process (src/worker/sync-worker-client.ts starts it)",
  );
const send = (message: FromWorker) => {
  if (process.connected) process.send?.(message);
};
// The bot coordinates the stop (abort, then close): a Ctrl+C reaching the whole process group is left to it.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);
const shutdown = new AbortController();
let engine: Engine | null = null;
let service: SyncService | null = null;
let closing: Promise<void> | null = null;

async function setUp(setup: WorkerSetup): Promise<void> {
  const logger = createLogger(setup.logLevel, process.stderr, { pretty: setup.prettyLogs });
  engine = await createEngine(setup.config, logger, {
    entra: setup.entra,
    holder: setup.holder,
    shutdown: shutdown.signal,
    observer: (event) => send({ v: PROTOCOL_VERSION, kind: 'event', event }),
  });
  service = engine.service;
  send({ v: PROTOCOL_VERSION, kind: 'ready' });
}

/** One call: the options' callbacks are rebuilt as messages to the caller. */
function invoke(id: number, method: WorkerMethod, args: readonly unknown[]): Promise<unknown> {
  const use = service;
  if (!use) throw new Error('the sync worker received a call before its setup');
  const progress = (p: Progress) => send({ v: PROTOCOL_VERSION, kind: 'progress', id, progress: p });
  switch (method) {
    case 'preview': {
      const [domain, opts = {}] = args as [string, PortablePreviewOptions?];
      const { progress: wants, ...rest } = opts;
      return use.preview(domain, { ...rest, ...(wants ? { onProgress: progress } : {}) });
    }
    case 'previewAll': {
      const [settings, opts = {}] = args as [DomainSettings[], PortablePreviewAllOptions?];
      const { progress: wants, ...rest } = opts;
      const onDomain = (index: number, domain: string) =>
        send({ v: PROTOCOL_VERSION, kind: 'domain', id, index, domain });
      // Each domain's entry goes to the bot as it ends (so a crash keeps it): the answer is only how many there were.
      const onPreviewed = (index: number, entry: DomainPreview) =>
        send({ v: PROTOCOL_VERSION, kind: 'previewed', id, index, entry });
      return use
        .previewAll(settings, { ...rest, onPreviewed, ...(wants ? { onDomain } : {}) })
        .then((entries) => entries.length);
    }
    case 'apply': {
      const [planId, planHash, opts] = args as [string, string, PortableApplyOptions];
      const { progress: wants, ...rest } = opts;
      return use.apply(planId, planHash, {
        ...rest,
        ...(wants ? { onProgress: progress } : {}),
        onStarted: (runId) => send({ v: PROTOCOL_VERSION, kind: 'started', id, runId }),
      });
    }
    case 'runScheduled':
      return use.runScheduled(args[0] as string, args[1] as HeldDomain | undefined);
    case 'resumeInterrupted':
      return use.resumeInterrupted(args[0] as Parameters<SyncService['resumeInterrupted']>[0]);
    case 'precheck':
      return use.precheck(args[0] as string);
    case 'moveToInitialDomain':
      return use.moveToInitialDomain(args[0] as string, args[1] as string[], args[2] as string | null);
    case 'importDirectory':
      return use.importDirectory(args[0] as Uint8Array, args[1] as { partial?: boolean; merge?: boolean });
  }
}

const inFlight = new Set<Promise<void>>();

/** Stops runs, waits for the calls in progress, closes the engine and ends the process. */
function close(): Promise<void> {
  closing ??= (async () => {
    shutdown.abort();
    await Promise.allSettled([...inFlight]);
    await engine?.close();
    send({ v: PROTOCOL_VERSION, kind: 'closed' });
    if (process.connected) process.disconnect();
    process.exit(0);
  })();
  return closing;
}

// The bot is gone (it exited or was killed): stop writing and end, leaving open runs to the journal.
process.on('disconnect', () => void close());

process.on('message', (message: ToWorker) => {
  if (message.v !== PROTOCOL_VERSION) {
    process.stderr.write(
      `sync worker: message of protocol ${String(message.v)} ignored (this build speaks ${PROTOCOL_VERSION})\n`,
    );
    return;
  }
  if (message.kind === 'setup') {
    setUp(message.setup).catch((err: unknown) => {
      process.stderr.write(`sync worker: could not start: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
    return;
  }
  if (message.kind === 'abort') {
    shutdown.abort();
    return;
  }
  if (message.kind === 'close') {
    void close();
    return;
  }
  const { id, method, args } = message;
  if (!(WORKER_METHODS as readonly string[]).includes(method)) {
    send({ v: PROTOCOL_VERSION, kind: 'error', id, error: { name: 'Error', message: `unknown method ${method}` } });
    return;
  }
  // A malformed call becomes an error answer, not an exception that would end the process.
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
