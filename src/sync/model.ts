// The data the sync core works on: source users, Entra users, changes, plans, guard verdicts and run records.
// Over 300 lines but kept whole: types only, the core's one vocabulary, imported by every layer; split, each import
// would have to know which part a type lives in.
import type { CoreMessage } from './core-messages.js';

/** Attributes the sync writes to Entra, in the order they are shown. */
export const SYNCED_ATTRIBUTES = [
  'userPrincipalName',
  'displayName',
  'givenName',
  'surname',
  'mailNickname',
  'onPremisesImmutableId',
  'mail',
  'jobTitle',
  'department',
  'employeeId',
  'mobilePhone',
  'accountEnabled',
] as const;
export type SyncedAttribute = (typeof SYNCED_ATTRIBUTES)[number];
/**
 * What a change may write: the synced attributes, plus the domain's usage location, which the sync sets on users
 * that have none (it never comes from the source and never overwrites a value).
 */
export type ChangedAttribute = SyncedAttribute | 'usageLocation';
export type AttributeValue = string | boolean | null;

/** A user as Access Control holds it for one domain (the source of truth). Optional fields: undefined = not managed. */
export interface SourceUser {
  readonly userPrincipalName: string;
  readonly immutableId: string;
  readonly displayName: string;
  readonly givenName?: string | null;
  readonly surname?: string | null;
  readonly username?: string | null;
  readonly mail?: string | null;
  readonly jobTitle?: string | null;
  readonly department?: string | null;
  readonly employeeId?: string | null;
  readonly mobilePhone?: string | null;
  readonly accountEnabled?: boolean;
}

/** The properties the connector reads for every Entra user in scope (`$select`). */
export interface EntraUser {
  readonly id: string;
  readonly userPrincipalName: string;
  readonly displayName: string | null;
  readonly givenName: string | null;
  readonly surname: string | null;
  readonly mailNickname: string | null;
  readonly onPremisesImmutableId: string | null;
  readonly onPremisesSyncEnabled: boolean | null;
  readonly userType: string | null;
  readonly accountEnabled: boolean | null;
  readonly mail: string | null;
  readonly jobTitle: string | null;
  readonly department: string | null;
  readonly employeeId: string | null;
  readonly mobilePhone: string | null;
  /** ISO 3166 alpha-2 code; Graph refuses a licence to a user without one (undefined: not read). */
  readonly usageLocation?: string | null;
  /** `SMTP:`/`smtp:` addresses, unique across users and groups (undefined: not read). */
  readonly proxyAddresses?: readonly string[];
}

/** A soft-deleted Entra user (restorable for 30 days). */
export interface DeletedEntraUser {
  readonly id: string;
  /**
   * As Graph lists it: `<object id without dashes><original UPN>` (see originalUpnOfDeleted in diff-values.ts, which
   * also accepts the bare original UPN).
   */
  readonly userPrincipalName: string;
  readonly onPremisesImmutableId: string | null;
  readonly deletedDateTime: string | null;
  /** The usage location it comes back with (undefined: not read). */
  readonly usageLocation?: string | null;
}

export interface EntraDomain {
  readonly id: string;
  readonly authenticationType: 'Managed' | 'Federated';
  readonly isVerified: boolean;
  readonly isDefault: boolean;
  readonly isInitial: boolean;
}

/** What a Delete does to an Entra user no longer in the source. */
export type OnDelete = 'delete' | 'disable';

/** Per-domain settings an administrator controls. */
export interface DomainSettings {
  readonly domain: string;
  readonly synced: boolean;
  /** Percentage (0–100] of the domain's in-scope Entra users; a run whose deletes reach it is cancelled. */
  readonly maxDeletionPercent: number;
  /** Optional absolute cap on deletes per run. */
  readonly maxDeletionCount: number | null;
  /** UPNs or Entra object ids that are never touched. */
  readonly protectedAccounts: readonly string[];
  readonly periodic: boolean;
  readonly onDelete: OnDelete;
  /** ISO time until which periodic runs are skipped, or null. */
  readonly pausedUntil: string | null;
  /** Allow a run whose source is empty or shrank sharply (the empty-source guard). */
  readonly allowSourceShrink: boolean;
  readonly notify: 'changes-only' | 'always' | 'failures-only';
  /**
   * ISO 3166 alpha-2 usage location set on created users and on users that have none; null or absent = the
   * organization's `countryLetterCode`.
   */
  readonly usageLocation?: string | null;
  readonly updatedAt: string;
  readonly updatedBy: string | null;
}

export const DEFAULT_MAX_DELETION_PERCENT = 10;

/** Both sides of one domain as read at one moment: the input of diff. */
export interface DomainSnapshot {
  readonly domain: string;
  readonly authenticationType: 'Managed' | 'Federated';
  readonly source: readonly SourceUser[];
  /** Entra users whose UPN ends in @domain. */
  readonly entra: readonly EntraUser[];
  /** Soft-deleted Entra users whose UPN or Immutable ID belongs to this domain. */
  readonly deleted: readonly DeletedEntraUser[];
  /** Object ids of holders of any admin directory role. */
  readonly adminIds: ReadonlySet<string>;
  /**
   * The tenant's initial `*.onmicrosoft.com` domain, read for federated domains: adopting a user there moves its UPN
   * to this domain while the Immutable ID is set (Entra does not change it in place for a federated user).
   */
  readonly stagingDomain?: string | null;
  /** Source user count of the last completed run, for the empty-source guard (null when none). */
  readonly previousSourceCount: number | null;
  /**
   * `sourceFingerprint(source)`, when the reader computed it while Entra was still being read (the plan then does not
   * compute it again).
   */
  readonly sourceFingerprint?: string;
}

export interface AttributeChange {
  readonly attribute: ChangedAttribute;
  readonly before: AttributeValue;
  readonly after: AttributeValue;
}

export type SkipReason = 'protected' | 'ad-synced' | 'guest' | 'admin-role' | 'conflict' | 'invalid';

/** Desired Entra values for a user, as the mapping produces them (every synced attribute present). */
export type DesiredAttributes = Readonly<Record<SyncedAttribute, AttributeValue>>;

export type Change =
  | {
      readonly action: 'Add';
      readonly upn: string;
      readonly immutableId: string;
      readonly attributes: DesiredAttributes;
      /** The usage location a created user gets (the plan's setting), or null/absent for none. */
      readonly usageLocation?: string | null;
      /** Set when a soft-deleted Entra user with this Immutable ID is restored instead of creating a new one. */
      readonly restoreId: string | null;
      /** Attributes that differ from the deleted user (restore then update). */
      readonly changes: readonly AttributeChange[];
      /**
       * The write phase of the create or restore (absent: 0): one after the rename that frees the UPN it takes.
       * Set by the diff, which follows rename chains (see `phase` of an Update).
       */
      readonly phase?: number;
      /** A restore's follow-up update: after the restore and after the rename that frees its new UPN. */
      readonly updatePhase?: number;
    }
  | {
      readonly action: 'Update';
      readonly entraId: string;
      readonly upn: string;
      readonly immutableId: string;
      readonly changes: readonly AttributeChange[];
      /** True when the match was by UPN and the update sets the Immutable ID. */
      readonly adopt: boolean;
      /**
       * Set when adopting a user of a federated domain: the temporary UPN on the tenant's onmicrosoft.com domain the
       * apply moves the user to, to set the Immutable ID, before moving it back to `upn` (one journaled unit).
       */
      readonly via?: string;
      /**
       * The write phase of a rename (absent: 0): 0 when the UPN it takes is free, else one after the rename of the
       * user that holds it. Phases run one after another (plan format 3; see write-ops.ts).
       */
      readonly phase?: number;
    }
  | {
      readonly action: 'Delete';
      readonly entraId: string;
      readonly upn: string;
      readonly immutableId: string | null;
      readonly displayName: string | null;
      readonly mode: OnDelete;
      /**
       * Set when the object looks like a room, shared mailbox or service account rather than a person: the
       * pre-check offers to move it to the initial domain instead of deleting it.
       */
      readonly nonUserHint?: string | null;
    }
  | {
      readonly action: 'Skip';
      readonly entraId: string | null;
      readonly upn: string;
      readonly immutableId: string | null;
      readonly displayName: string | null;
      readonly reason: SkipReason;
      /** In English: the plan CSV's Note column. */
      readonly note: string;
      /** The note as a code with values (core-messages.ts), for other languages; absent for fixed reasons. */
      readonly noteMessage?: CoreMessage;
    }
  | {
      readonly action: 'NoChange';
      readonly entraId: string;
      readonly upn: string;
      readonly immutableId: string;
      readonly displayName: string | null;
    };

export type ChangeAction = Change['action'];

export interface PlanCounts {
  readonly add: number;
  readonly update: number;
  readonly delete: number;
  readonly skip: number;
  readonly noChange: number;
  /** Adds that restore a soft-deleted user (included in add). */
  readonly restore: number;
}

export interface DeletionShare {
  readonly count: number;
  /** The domain's in-scope Entra users (the denominator). */
  readonly inScope: number;
  /** count / inScope × 100, rounded to one decimal; 0 when inScope is 0. */
  readonly percent: number;
  readonly maxPercent: number;
  readonly maxCount: number | null;
  readonly wouldCancel: boolean;
}

/** A requirement check's answer: null = allowed, otherwise a sentence a person can read. */
export type GuardVerdict =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly code: 'max-deletions' | 'max-count' | 'empty-source';
      /** In English (CSV summary, run log, --json). */
      readonly reason: string;
      /** The reason as a code with values (core-messages.ts); absent in plans made before it was kept. */
      readonly message?: CoreMessage;
    };

/** 3: Add and Update changes carry their write phase (`phase`, `updatePhase`); 2 did not (see legacy-phases.ts). */
export const PLAN_FORMAT_VERSION = 3;

/**
 * Every setting that decides a plan's writes (what the diff and the write builder read), as the plan was made
 * under it. Apply refuses the plan when any of these differs today (see plan-freshness.ts).
 */
export interface PlanWriteSettings {
  readonly protectedAccounts: readonly string[];
  readonly onDelete: OnDelete;
  /** The effective usage location (the domain's, else the organization's), or null when there is none. */
  readonly usageLocation: string | null;
  /** The domain's authentication type in Entra ID (a federated domain's users get no usable password). */
  readonly authenticationType: 'Managed' | 'Federated';
}

/** A dry run's result, bound to what it was computed from. `hash` covers everything but itself. */
export interface Plan {
  readonly formatVersion: number;
  readonly id: string;
  readonly domain: string;
  readonly createdAt: string;
  readonly createdBy: string | null;
  readonly sourceFingerprint: string;
  readonly entraFingerprint: string;
  readonly settings: Pick<DomainSettings, 'maxDeletionPercent' | 'maxDeletionCount' | 'onDelete' | 'protectedAccounts'>;
  /** The settings that decide the writes, and their sha256 fingerprint (both covered by `hash`). */
  readonly writeSettings: PlanWriteSettings;
  readonly settingsFingerprint: string;
  /** In CSV order: Add, Update, Delete, Skip, NoChange, each by UPN. */
  readonly changes: readonly Change[];
  readonly counts: PlanCounts;
  readonly deletion: DeletionShare;
  readonly guard: GuardVerdict;
  readonly hash: string;
}

export type RunTrigger = 'manual' | 'hourly' | 'cli';
/** `interrupted`: the process was stopped (SIGTERM) mid-run; its journal is kept and the next start resumes it. */
export type RunStatus = 'running' | 'completed' | 'partial' | 'cancelled' | 'refused' | 'failed' | 'interrupted';

/** Graph failures fall into this closed set; each has one policy (docs/architecture.md, Errors). */
export type ErrorKind = 'transient' | 'throttled' | 'conflict' | 'not_found' | 'forbidden' | 'bad_request' | 'stop';

/** What is done with a failure; the Entra adapter's ERROR_POLICY (src/entra/errors.ts) gives each kind one. */
export type ErrorPolicy = 'retry' | 'retry-after' | 'adopt-or-skip' | 'done-or-skip' | 'skip-and-log' | 'stop-run';

export interface UserOutcome {
  readonly action: 'Add' | 'Update' | 'Delete';
  readonly upn: string;
  readonly immutableId: string | null;
  readonly result: 'done' | 'failed' | 'skipped';
  readonly restored?: boolean;
  readonly errorKind?: ErrorKind;
  readonly errorCode?: string;
  readonly errorMessage?: string;
}

export interface RunCounts {
  readonly added: number;
  readonly updated: number;
  readonly deleted: number;
  readonly failed: number;
}

/** One sync run, manual or hourly: the sync log's record. */
export interface RunRecord {
  readonly id: string;
  readonly domain: string;
  readonly trigger: RunTrigger;
  readonly requestedBy: string | null;
  /** Who approved: a display name (or `cli`, `periodic sync`). */
  readonly approvedBy: string | null;
  /** The approver's Entra object id (null for the CLI, the hourly run, and records written before it was kept). */
  readonly approvedById?: string | null;
  readonly planId: string | null;
  readonly planHash: string | null;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly status: RunStatus;
  /** In English: the run log's reason (read by tools). */
  readonly reason: string | null;
  /** The reason as a code with values (core-messages.ts), for other languages; absent in older records. */
  readonly reasonMessage?: CoreMessage | null;
  readonly planCounts: PlanCounts | null;
  readonly counts: RunCounts;
  readonly deletion: DeletionShare | null;
  readonly total: number;
  /** Source users seen by the run's dry run (the empty-source guard compares the next run with it). */
  readonly sourceCount?: number | null;
  readonly outcomes: readonly UserOutcome[];
}
