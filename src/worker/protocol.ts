// The typed messages between the bot server and its sync worker process: setup and calls in; progress, started, result, refusal, error out.
import type { Config } from '../config.js';
import type { OpsEvent } from '../sync/observer.js';
import type {
  ApplyOptions,
  DomainPreview,
  PortableError,
  PreviewAllOptions,
  PreviewOptions,
  Progress,
  Refusal,
  SyncService,
} from '../sync/service-interface.js';

export { fromPortableError, type PortableError, toPortableError } from '../sync/service-interface.js';

/** Bumped whenever a message changes shape; both ends come from one build, so a mismatch is a packaging error. */
export const PROTOCOL_VERSION = 3;

/** The use cases that read or write a whole domain: they run in the worker, never on the bot's event loop. */
export const WORKER_METHODS = [
  'preview',
  'previewAll',
  'apply',
  'runScheduled',
  'resumeInterrupted',
  'precheck',
  'moveToInitialDomain',
  'importDirectory',
] as const satisfies readonly (keyof SyncService)[];
export type WorkerMethod = (typeof WORKER_METHODS)[number];

/** What the worker needs to build its engine: its first message. */
export interface WorkerSetup {
  readonly v: typeof PROTOCOL_VERSION;
  /** The bot's parsed config (plain data; it holds the Graph credential, so it travels over IPC, never argv or env). */
  readonly config: Config;
  /** The Entra connection the bot resolved (in the demo: its in-process emulator's), with the CA to trust. */
  readonly entra: { readonly settings: Config['entra']; readonly caPem: string | null };
  /** The lease holder name of this worker incarnation (`host:pid:sync-worker-N`, pid of the bot). */
  readonly holder: string;
  readonly logLevel: string;
  readonly prettyLogs: boolean;
}

/** Callbacks cannot cross processes: the options travel without them, and say which ones the caller listens to. */
type Portable<T> = Omit<T, 'onProgress' | 'onStarted' | 'onDomain' | 'onPreviewed'> & { readonly progress?: boolean };
export type PortablePreviewOptions = Portable<PreviewOptions>;
export type PortablePreviewAllOptions = Portable<PreviewAllOptions>;
export type PortableApplyOptions = Portable<ApplyOptions>;

/** Bot → worker. */
export type ToWorker =
  | { readonly v: typeof PROTOCOL_VERSION; readonly kind: 'setup'; readonly setup: WorkerSetup }
  | {
      readonly v: typeof PROTOCOL_VERSION;
      readonly kind: 'call';
      readonly id: number;
      readonly method: WorkerMethod;
      readonly args: readonly unknown[];
    }
  /** SIGTERM/SIGINT: runs stop after their in-flight writes and end `interrupted`; nothing new starts. */
  | { readonly v: typeof PROTOCOL_VERSION; readonly kind: 'abort' }
  /** Finish (after abort): wait for the calls in progress, close the engine, end the process. */
  | { readonly v: typeof PROTOCOL_VERSION; readonly kind: 'close' };

/** Worker → bot. */
export type FromWorker =
  | { readonly v: typeof PROTOCOL_VERSION; readonly kind: 'ready' }
  | { readonly v: typeof PROTOCOL_VERSION; readonly kind: 'progress'; readonly id: number; readonly progress: Progress }
  | { readonly v: typeof PROTOCOL_VERSION; readonly kind: 'started'; readonly id: number; readonly runId: string }
  /** `previewAll`: the dry run of the call's `index`th domain starts. */
  | {
      readonly v: typeof PROTOCOL_VERSION;
      readonly kind: 'domain';
      readonly id: number;
      readonly index: number;
      readonly domain: string;
    }
  /**
   * `previewAll`: the `index`th domain's dry run ended. Each entry crosses once, here; the call's `result` is then only
   * their number, and the bot keeps the entries of a worker that dies before the last.
   */
  | {
      readonly v: typeof PROTOCOL_VERSION;
      readonly kind: 'previewed';
      readonly id: number;
      readonly index: number;
      readonly entry: DomainPreview;
    }
  | { readonly v: typeof PROTOCOL_VERSION; readonly kind: 'result'; readonly id: number; readonly value: unknown }
  | { readonly v: typeof PROTOCOL_VERSION; readonly kind: 'refusal'; readonly id: number; readonly refusal: Refusal }
  | { readonly v: typeof PROTOCOL_VERSION; readonly kind: 'error'; readonly id: number; readonly error: PortableError }
  /** An engine event for the metrics registry, which lives in the bot. */
  | { readonly v: typeof PROTOCOL_VERSION; readonly kind: 'event'; readonly event: OpsEvent }
  | { readonly v: typeof PROTOCOL_VERSION; readonly kind: 'closed' };
