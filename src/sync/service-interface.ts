// The use cases the bot, the CLI and the scheduler call: one interface, so each front end stays thin.
import type {
  Change,
  DomainSettings,
  EntraDomain,
  EntraUser,
  OnDelete,
  Plan,
  RunRecord,
  RunTrigger,
  UserOutcome,
} from './model.js';
import type { CoreMessage } from './core-messages.js';
import type { PlanSummary } from './ports.js';

/** A use case's "no" as a value: a sentence for a person plus a machine code (docs/architecture.md, Errors). */
export interface Refusal {
  readonly refused: true;
  readonly code:
    | 'unknown-domain'
    | 'unverified-domain'
    | 'not-configured'
    | 'guard'
    | 'stale-plan'
    | 'plan-not-found'
    | 'plan-used'
    | 'lease-held'
    | 'not-connected'
    | 'bad-input';
  /** The sentence in English (the CLI's --json and the logs show it as it is). */
  readonly reason: string;
  /** The same sentence as a code with values, for a front end that speaks another language (absent: use `reason`). */
  readonly message?: CoreMessage;
  /** For 'plan-used': the run that already used the plan. For 'lease-held': the holder. */
  readonly detail?: string;
}

export const isRefusal = (v: unknown): v is Refusal =>
  typeof v === 'object' && v !== null && (v as { refused?: unknown }).refused === true;

export interface Progress {
  readonly phase: 'reading-source' | 'reading-entra' | 'diffing' | 'writing' | 'done';
  readonly done: number;
  readonly total: number;
}
export type ProgressListener = (p: Progress) => void;

export interface PreviewOptions {
  readonly requestedBy?: string | null;
  readonly onProgress?: ProgressListener;
  /**
   * Count the plan CSV's size and keep it in the plan's summary (`csvBytes`), for a caller that offers the CSV as a
   * file (Teams' File Consent card needs the size first). Formatting every row costs about 2 s a million users, so a
   * dry run that will not be offered skips it.
   */
  readonly countCsvBytes?: boolean;
}

export interface PreviewAllOptions {
  readonly requestedBy?: string | null;
  /** Told as each domain's dry run starts (`index` from 0), so the caller can show how far it got. */
  readonly onDomain?: (index: number, domain: string) => void;
  /**
   * Told as each domain's dry run ends, with its entry: the sync worker sends each one as it comes, so when the
   * worker dies during `preview all` the domains it finished keep their result.
   */
  readonly onPreviewed?: (index: number, entry: DomainPreview) => void;
}

/** An exception as plain data (it survives structured clone, unlike an Error's own fields such as `kind`). */
export interface PortableError {
  readonly name: string;
  readonly message: string;
  readonly kind?: string;
  readonly stack?: string;
}

/** One domain of `preview all`: its plan or refusal, or the exception its dry run ended with. Plain data. */
export type DomainPreview =
  | { readonly domain: string; readonly result: Plan | Refusal }
  | { readonly domain: string; readonly error: PortableError };

export function toPortableError(err: unknown): PortableError {
  if (err instanceof Error) {
    const kind = (err as { kind?: unknown }).kind;
    return {
      name: err.name,
      message: err.message,
      ...(typeof kind === 'string' ? { kind } : {}),
      ...(err.stack ? { stack: err.stack } : {}),
    };
  }
  return { name: 'Error', message: String(err) };
}

/** The exception rebuilt from its plain data, with the same name and kind. */
export function fromPortableError(e: PortableError): Error {
  const err = new Error(e.message);
  err.name = e.name;
  if (e.kind !== undefined) Object.assign(err, { kind: e.kind });
  if (e.stack) err.stack = e.stack;
  return err;
}

export interface ApplyOptions {
  readonly approvedBy?: string | null;
  /** The approver's Entra object id, kept in the sync log beside the name. */
  readonly approvedById?: string | null;
  readonly trigger: RunTrigger;
  readonly onProgress?: ProgressListener;
  /** Resolves when the run record exists (status running); the returned promise resolves when the run ends. */
  readonly onStarted?: (runId: string) => void;
}

export interface DomainView {
  readonly domain: EntraDomain;
  readonly settings: DomainSettings | null;
  readonly lastRun: RunRecord | null;
}

export interface PrecheckCandidate {
  readonly user: EntraUser;
  /** 'room' | 'shared-mailbox' | 'service-account' | null when it looks like a person. */
  readonly likelyKind: 'room' | 'shared-mailbox' | 'service-account' | null;
  readonly why: string;
  /** `why` as a code with values (core-messages.ts). */
  readonly whyMessage?: CoreMessage;
}

export interface PrecheckResult {
  readonly domain: string;
  readonly initialDomain: string;
  readonly candidates: readonly PrecheckCandidate[];
}

export interface MoveResult {
  readonly moved: readonly { id: string; from: string; to: string }[];
  readonly failed: readonly { id: string; upn: string; reason: string; reasonMessage?: CoreMessage }[];
}

export interface ImportReport {
  readonly applied: boolean;
  /** Per domain: users added, updated, removed, unchanged. */
  readonly domains: readonly {
    domain: string;
    added: number;
    updated: number;
    removed: number;
    unchanged: number;
  }[];
  /** Every rejected row, with its line number in the file. */
  readonly errors: readonly { line: number; field: string | null; message: string }[];
  readonly totalRows: number;
}

export interface DomainSettingsPatch {
  readonly maxDeletionPercent?: number;
  readonly maxDeletionCount?: number | null;
  readonly onDelete?: OnDelete;
  readonly periodic?: boolean;
  readonly pausedUntil?: string | null;
  readonly protectedAccounts?: readonly string[];
  readonly allowSourceShrink?: boolean;
  readonly notify?: DomainSettings['notify'];
  /** ISO 3166 alpha-2 code (upper-cased when stored); null = the organization's country. */
  readonly usageLocation?: string | null;
}

/** The lease every writer of a domain holds across processes: apply, the hourly run, resume, move to the initial domain. */
export const syncLeaseName = (domain: string): string => `sync:${domain}`;

/**
 * What a caller that already holds the domain's lease (`syncLeaseName`, renewed by the caller) hands an hourly run:
 * the settings it read under that lease. Plain data, so it crosses a thread boundary as it is.
 */
export interface HeldDomain {
  readonly settings: DomainSettings;
}

export interface SyncService {
  /** The tenant's domains with their sync settings and last run. */
  listDomains(): Promise<DomainView[] | Refusal>;
  addDomain(domain: string, patch: DomainSettingsPatch, by: string | null): Promise<DomainSettings | Refusal>;
  setDomain(domain: string, patch: DomainSettingsPatch, by: string | null): Promise<DomainSettings | Refusal>;
  removeDomain(domain: string, by: string | null): Promise<DomainSettings | Refusal>;
  getSettings(domain: string): Promise<DomainSettings | null>;

  /** Dry run: reads both sides, never writes to Entra, stores and returns the plan. */
  preview(domain: string, options?: PreviewOptions): Promise<Plan | Refusal>;
  /**
   * `preview all`: the dry run of each of these domains (their settings as the caller already read them), one after
   * the other, reading the tenant's domain list once for all; a domain's failure is its entry, the others go on.
   */
  previewAll(settings: readonly DomainSettings[], options?: PreviewAllOptions): Promise<DomainPreview[]>;
  /** The whole plan, every change: for the dry-run card (the CSV is sent from getPlanSummary and planChanges). */
  getPlan(planId: string): Promise<Plan | null>;
  /** The plan without its changes (id, hash, domain, counts, guard): read without loading a chunk. */
  getPlanSummary(planId: string): Promise<PlanSummary | null>;
  /** The plan's changes in order, one stored chunk at a time (a throw names a missing plan or chunk). */
  planChanges(planId: string): AsyncIterable<readonly Change[]>;
  discardPlan(planId: string): Promise<void>;
  /**
   * Applies a stored plan: checks the hash, claims the plan (never applied twice), takes the domain's lease,
   * re-reads both sides and refuses a stale plan, re-checks the guard, writes with a journal.
   * A refusal before any write is a Refusal; otherwise the finished run record, whose `outcomes` are its failed ones
   * only (every outcome is in the run log: runOutcomes). The same holds for runScheduled and resumeInterrupted.
   */
  apply(planId: string, planHash: string, options: ApplyOptions): Promise<RunRecord | Refusal>;
  /**
   * A periodic run: preview + guard + apply of that preview, logged with trigger 'hourly'. It takes the domain's lease
   * and reads the settings itself; the scheduler, which holds the lease already, passes the settings it read under it
   * (`held`): no second lease, and no second read before the snapshot. After the snapshot the settings are read once
   * more for the freshness check, since `domain set` does not take the lease (src/schedule/slot-runner.ts).
   */
  runScheduled(domain: string, held?: HeldDomain): Promise<RunRecord | Refusal>;
  /**
   * Resumes runs whose journal is still open (a crash, or a shutdown that left them `interrupted`); runs whose domain
   * lease is held elsewhere are left to their writer. `only` limits it to runs in these statuses.
   */
  resumeInterrupted(options?: { only?: readonly RunRecord['status'][] }): Promise<RunRecord[]>;

  precheck(domain: string): Promise<PrecheckResult | Refusal>;
  moveToInitialDomain(domain: string, entraIds: readonly string[], by: string | null): Promise<MoveResult | Refusal>;

  /** Imports an Access Control export (the README's Access Control CSV format). Nothing changes when any row is rejected unless partial. */
  importDirectory(bytes: Uint8Array, options: { partial?: boolean; merge?: boolean }): Promise<ImportReport>;

  /** The run; `outcomes: false` leaves its per-user outcomes out (read them page by page with runOutcomes). */
  getRun(runId: string, options?: { outcomes?: boolean }): Promise<RunRecord | null>;
  /** The run's per-user outcomes, one stored page at a time. */
  runOutcomes(runId: string): AsyncIterable<readonly UserOutcome[]>;
  /** Newest first, without per-user outcomes. */
  listRuns(filter: { domain?: string; limit?: number }): Promise<RunRecord[]>;
}
