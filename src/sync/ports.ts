// The ports the use cases depend on; src/directory, src/entra and src/store implement them.
import type {
  AttributeValue,
  ChangedAttribute,
  DeletedEntraUser,
  DesiredAttributes,
  DomainSettings,
  EntraDomain,
  EntraUser,
  ErrorKind,
  Change,
  ErrorPolicy,
  Plan,
  RunRecord,
  SourceUser,
  UserOutcome,
} from './model.js';

/** Access Control, the source of truth. */
export interface SourceDirectory {
  /** Every source user of the domain (lower-case domain, without '@'). */
  listUsers(domain: string): Promise<SourceUser[]>;
  /**
   * The same users as listUsers, handed over a part at a time instead of gathered, for a reader that keeps only what
   * it needs of each (an apply's freshness fingerprint). When the domain was replaced while it was read, `restart` is
   * called and the new version's users are handed over from the start: drop what was handed over before it.
   */
  eachUser(domain: string, onUsers: (users: readonly SourceUser[]) => void, restart: () => void): Promise<void>;
}

export interface ReadProgress {
  readonly read: number;
}

/** Reads Entra ID through Graph. */
export interface EntraReader {
  listDomains(): Promise<EntraDomain[]>;
  /** Entra users whose UPN ends in @domain, with the properties of EntraUser. */
  listUsers(domain: string, onProgress?: (p: ReadProgress) => void): Promise<EntraUser[]>;
  /**
   * The same users as listUsers, handed over page by page instead of gathered, for a reader that keeps only what it
   * needs of each. A user may be handed over twice (a page read during writes): the last one counts.
   * `listingsInFlight` caps the listings read at once for this call (a caller nobody waits on, such as an apply's
   * check, asks for fewer: fewer pages received and parsed at the same time); default, the reader's own.
   */
  eachUser(
    domain: string,
    onUsers: (users: readonly EntraUser[]) => void,
    options?: { readonly listingsInFlight?: number },
  ): Promise<void>;
  /** Soft-deleted users whose UPN ends in @domain or whose Immutable ID is given. */
  listDeletedUsers(domain: string): Promise<DeletedEntraUser[]>;
  /** The organization's `countryLetterCode` (the default usage location), or null when it has none or is unreadable. */
  organizationCountry(): Promise<string | null>;
  /**
   * Object ids of principals holding any directory role: directly, through a role-assignable group, PIM-eligible or
   * PIM-active. `fresh` reads it again instead of reusing a recent answer.
   */
  listAdminRoleHolders(options?: { fresh?: boolean }): Promise<Set<string>>;
  /** True when the object holds Global Administrator now (direct, through a group, or PIM-active; not merely eligible). */
  isGlobalAdmin(objectId: string): Promise<boolean>;
  /** The live user with this Immutable ID, or null (used to resolve a create whose outcome is unknown). */
  findUserByImmutableId(immutableId: string): Promise<EntraUser | null>;
  /** The live user with this id or UPN, or null. */
  getUser(idOrUpn: string): Promise<EntraUser | null>;
}

/** Attribute values a write sets, by Graph property name (the synced attributes and the usage location). */
export type WriteAttributes = Readonly<Partial<Record<ChangedAttribute, AttributeValue>>>;

/** What every write op carries: its stable id (the journal's key) and the phase it belongs to. */
interface WriteOpBase {
  /** Stable for a plan: `a:<immutableId>`, `u:<entraId>`, `d:<entraId>`, `r:<deletedId>`, `f1:`…`f3:`, `m:`. */
  readonly opId: string;
  /** Phases run one after another (0 first); ops of one phase are independent. */
  readonly phase: number;
}

/**
 * One write to Entra ID, said in the sync's terms. The Entra adapter alone turns it into a Graph request (method,
 * URL, body, the new user's password profile).
 */
export type WriteOp =
  | (WriteOpBase & {
      readonly kind: 'create';
      readonly userPrincipalName: string;
      readonly immutableId: string;
      /** Every synced attribute the mapping produced for the user; empty optional values are not sent. */
      readonly attributes: DesiredAttributes;
      /** The usage location the user gets, or null for none. */
      readonly usageLocation: string | null;
      /** The domain's sign-in: a managed user must change its first password, a federated one never uses it. */
      readonly authenticationType: EntraDomain['authenticationType'];
    })
  | (WriteOpBase & {
      readonly kind: 'update';
      readonly userId: string;
      readonly attributes: WriteAttributes;
      /** An earlier op (of an earlier phase) that must have succeeded; otherwise this one is not sent. */
      readonly requires?: string;
    })
  | (WriteOpBase & { readonly kind: 'disable'; readonly userId: string })
  | (WriteOpBase & { readonly kind: 'delete'; readonly userId: string })
  | (WriteOpBase & { readonly kind: 'restore'; readonly deletedId: string });

export type WriteResult =
  | { readonly opId: string; readonly ok: true; readonly status: number; readonly userId: string | null }
  | {
      readonly opId: string;
      readonly ok: false;
      readonly status: number;
      readonly kind: ErrorKind;
      /** The kind's policy (the adapter's ERROR_POLICY): the apply run decides by this, not by its own table. */
      readonly policy: ErrorPolicy;
      readonly code: string;
      readonly message: string;
      /** True when the write may have been applied (connection lost after sending): resolve before retrying. */
      readonly outcomeUnknown: boolean;
      /** A 403 explained by its target (see WriteOptions.explainForbidden): this user's failure, the run goes on. */
      readonly targetRefused?: boolean;
    };

export interface WriteOptions {
  /** Called once per op with its final result (after the writer's own retries). */
  readonly onResult: (result: WriteResult) => void | Promise<void>;
  readonly signal?: AbortSignal;
  /**
   * Asked when Graph answers 403 to a write of an existing user: a sentence saying why this user cannot be written
   * (e.g. it holds an admin role), or null when the target does not explain it (the app lacks a permission: stop).
   */
  readonly explainForbidden?: (op: WriteOp) => Promise<string | null>;
}

/** Writes to Entra ID in batches; retries throttled/transient items itself, reports one final result per op. */
export interface EntraWriter {
  execute(ops: readonly WriteOp[], options: WriteOptions): Promise<void>;
}

/** Per-domain settings. */
export interface DomainSettingsRepository {
  get(domain: string): Promise<DomainSettings | null>;
  list(): Promise<DomainSettings[]>;
  put(settings: DomainSettings): Promise<void>;
  remove(domain: string): Promise<void>;
}

/** A stored plan without its changes: what freshness, guard and cards read (`changeCount` says how many it has). */
export type PlanSummary = Omit<Plan, 'changes'> & {
  readonly changeCount: number;
  /**
   * The plan CSV's size in UTF-8 bytes, counted once when a dry run stored the plan, for a dry run whose CSV is
   * offered as a file (PreviewOptions.countCsvBytes; the offer and its upload read it); absent otherwise.
   */
  readonly csvBytes?: number;
};

/** What the one who stores a plan already knows about it (kept in its summary). */
export interface PlanFacts {
  readonly csvBytes?: number;
}

export interface PlanRepository {
  /** The whole plan, every change loaded (the dry-run card; apply and the CSV read summary() and changes()). */
  get(planId: string): Promise<Plan | null>;
  /** The plan without loading any chunk of its changes, or null. */
  summary(planId: string): Promise<PlanSummary | null>;
  /**
   * The plan's changes in their order, one stored chunk at a time (a throw names a missing plan or chunk). Each call
   * reads them again from the store, so a caller can walk them more than once without holding them.
   */
  changes(planId: string): AsyncIterable<readonly Change[]>;
  put(plan: Plan, facts?: PlanFacts): Promise<void>;
  /** Marks the plan used by a run (so it cannot be applied twice); false when it already was. */
  claim(planId: string, runId: string): Promise<{ claimed: true } | { claimed: false; runId: string }>;
  discard(planId: string): Promise<void>;
}

export interface RunLogRepository {
  /** The run; `outcomes: false` leaves its per-user outcomes out (an empty list; read them with outcomes()). */
  get(runId: string, options?: { outcomes?: boolean }): Promise<RunRecord | null>;
  /**
   * Stores the record. Its `outcomes` replace the stored ones, unless `keepOutcomes` is set: then the outcomes
   * appended so far stay as they are and `run.outcomes` is ignored (a run that streamed its outcomes ends this way).
   */
  put(run: RunRecord, options?: { keepOutcomes?: boolean }): Promise<void>;
  /** Appends a batch of per-user outcomes after the stored ones (the run must have been put first). */
  appendOutcomes(runId: string, outcomes: readonly UserOutcome[]): Promise<void>;
  /** The run's per-user outcomes in order, one stored page at a time (nothing when the run is unknown). */
  outcomes(runId: string): AsyncIterable<readonly UserOutcome[]>;
  /** Newest first, without per-user outcomes (empty lists) unless `outcomes: true`. */
  list(filter: { domain?: string; limit?: number; outcomes?: boolean }): Promise<RunRecord[]>;
  /** The newest run of each of these domains (keyed lower-case, outcomes left out), read in one pass for all of them. */
  lastRuns(domains: readonly string[]): Promise<Map<string, RunRecord>>;
  prune(olderThan: Date): Promise<number>;
}

/** A held lease; renew keeps it alive, release gives it up. */
export interface LeaseHandle {
  readonly holder: string;
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

export type LeaseAnswer =
  | { readonly acquired: true; readonly lease: LeaseHandle }
  | {
      readonly acquired: false;
      readonly heldBy: string;
      /** How long the holder's lease had left when the store refused (null: it never expires); a live holder renews it. */
      readonly expiresInMs: number | null;
    };

/** One writer per domain: a lease with an expiry, shared across processes through the store. */
export interface LeaseManager {
  acquire(name: string, holder: string, ttlMs: number): Promise<LeaseAnswer>;
}

/** A write-ahead journal of one run's Graph writes, so an interrupted run resumes where it stopped. */
export interface JournalEntry {
  readonly opId: string;
  readonly state: 'intent' | 'done' | 'failed';
  readonly userId?: string | null;
  readonly errorKind?: ErrorKind;
  readonly errorCode?: string;
  readonly errorMessage?: string;
}

export interface JournalRepository {
  /** Records a batch of entries of one run as one stored segment (appends; the last entry per opId wins). */
  write(runId: string, entries: readonly JournalEntry[]): Promise<void>;
  /** The run's entries folded: the last entry per opId. */
  read(runId: string): Promise<Map<string, JournalEntry>>;
  /** The run's entries as written, one stored batch at a time, oldest first (fold them: the last per opId wins). */
  segments(runId: string): AsyncIterable<readonly JournalEntry[]>;
  /** Runs that started and never finished, oldest first. */
  unfinished(): Promise<string[]>;
  markFinished(runId: string): Promise<void>;
}

/** Delivers a finished run's result to the conversation chosen with `notify here` (implemented in src/bot). */
export interface RunNotifier {
  runFinished(run: RunRecord): Promise<void>;
}
