// What every use case is built over: the ports and process facts (SyncServiceDeps), and the refusal helper they share.
import type { Logger } from '../../logger.js';
import type { Said } from '../core-messages.js';
import type { OpsObserver } from '../observer.js';
import type {
  DomainSettingsRepository,
  EntraReader,
  EntraWriter,
  JournalRepository,
  LeaseManager,
  PlanRepository,
  RunLogRepository,
  SourceDirectory,
} from '../ports.js';
import type { ImportReport, Refusal } from '../service-interface.js';

export interface SyncServiceDeps {
  readonly source: SourceDirectory;
  readonly reader: EntraReader;
  readonly writer: EntraWriter;
  readonly settings: DomainSettingsRepository;
  readonly plans: PlanRepository;
  readonly runs: RunLogRepository;
  readonly journal: JournalRepository;
  readonly leases: LeaseManager;
  readonly importer: (bytes: Uint8Array, options: { partial?: boolean; merge?: boolean }) => Promise<ImportReport>;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly newId: () => string;
  /** Who this process is, for "held by …" answers (e.g. host:pid). */
  readonly holder: string;
  readonly leaseTtlMs?: number;
  readonly journalChunkSize?: number;
  /**
   * How long a run waits, after its writes, for Graph's listings to show them (they lag behind writes), so that a
   * dry run made right after it does not show them again. Default 60 s; 0 skips the wait.
   */
  readonly visibilityTimeoutMs?: number;
  /** Waits between visibility checks (default: a timer). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Told of every run, dry run and their outcomes (metrics); ignored when absent. */
  readonly observer?: OpsObserver;
  /**
   * Aborted when the process shuts down: a run stops sending (the `$batch` in flight finishes), its journal keeps
   * what is not done, and it ends `interrupted`, to be resumed by resumeInterrupted() at the next start.
   */
  readonly shutdown?: AbortSignal;
}

/** A refusal: its English sentence (`reason`) and the same as a code with values (`message`). */
export const refuse = (code: Refusal['code'], said: Said, detail?: string): Refusal => ({
  refused: true,
  code,
  reason: said.text,
  message: said.message,
  ...(detail ? { detail } : {}),
});

export const normaliseDomain = (d: string) => d.trim().toLowerCase().replace(/^@/, '').replace(/\.$/, '');
