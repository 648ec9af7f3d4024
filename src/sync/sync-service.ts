// The use cases behind every front end: domain settings, preview, guarded journaled apply, scheduled runs, pre-check.
import countries from 'i18n-iso-countries';
import type { Logger } from '../logger.js';
import { executePlan, strandedAdoptions } from './apply-run.js';
import {
  DEFAULT_MAX_DELETION_PERCENT,
  type DomainSettings,
  type DomainSnapshot,
  type EntraDomain,
  type Plan,
  type PlanWriteSettings,
  type RunRecord,
  type RunTrigger,
  type UserOutcome,
} from './model.js';
import type {
  DomainSettingsRepository,
  EntraReader,
  EntraWriter,
  JournalRepository,
  LeaseHandle,
  LeaseManager,
  PlanRepository,
  RunLogRepository,
  SourceDirectory,
  WriteOp,
} from './ports.js';
import { entraFingerprint, sourceFingerprint } from './fingerprint.js';
import { checkGuard, deletionShare, inScopeCount } from './guard.js';
import { ignoreEvents, type OpsObserver } from './observer.js';
import { buildPlan, verifyPlanHash } from './plan.js';
import { checkPlanFreshness, writeSettingsOf } from './plan-freshness.js';
import { precheckCandidates } from './precheck-core.js';
import { readSnapshot } from './read-snapshot.js';
import {
  type ApplyOptions,
  type DomainSettingsPatch,
  type DomainView,
  type ImportReport,
  isRefusal,
  type MoveResult,
  type PrecheckResult,
  type PreviewOptions,
  type ProgressListener,
  type Refusal,
  type SyncService,
} from './service.js';
import { completedChanges, type UnseenWrite, unseenWrites } from './visibility.js';
import { planToWritePhases } from './write-ops.js';

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
  /** A strong random initial password for a created user (never logged, never shown). */
  readonly passwordFor: (immutableId: string) => string;
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

const refuse = (code: Refusal['code'], reason: string, detail?: string): Refusal => ({
  refused: true,
  code,
  reason,
  ...(detail ? { detail } : {}),
});

const normaliseDomain = (d: string) => d.trim().toLowerCase().replace(/^@/, '').replace(/\.$/, '');

const emptyCounts = { added: 0, updated: 0, deleted: 0, failed: 0 } as const;

/** An assigned ISO 3166-1 alpha-2 code (what Graph's `usageLocation` takes), in either case. */
export const isCountryCode = (code: string): boolean =>
  /^[A-Za-z]{2}$/.test(code) && Object.hasOwn(countries.getAlpha2Codes(), code.toUpperCase());

/** The patch with its usage location upper-cased (how it is stored and compared). */
const normalisePatch = (patch: DomainSettingsPatch): DomainSettingsPatch =>
  typeof patch.usageLocation === 'string' ? { ...patch, usageLocation: patch.usageLocation.toUpperCase() } : patch;

export function createSyncService(deps: SyncServiceDeps): SyncService {
  const leaseTtlMs = deps.leaseTtlMs ?? 120_000;
  const iso = () => deps.now().toISOString();
  const observe = deps.observer ?? ignoreEvents;
  /** When this process began writing each run (a resumed run counts from its resumption). */
  const began = new Map<string, number>();

  async function tenantDomain(name: string): Promise<EntraDomain | Refusal> {
    const domains = await deps.reader.listDomains();
    const found = domains.find((d) => d.id.toLowerCase() === name);
    if (!found) {
      const known = domains.map((d) => d.id).join(', ');
      return refuse('unknown-domain', `${name} is not a domain of this tenant. Tenant domains: ${known || 'none'}.`);
    }
    if (!found.isVerified)
      return refuse(
        'unverified-domain',
        `${name} is not verified in Entra ID. Verify it in the Microsoft 365 admin center (Settings → Domains) first.`,
      );
    return found;
  }

  async function configured(name: string): Promise<{ settings: DomainSettings; domain: EntraDomain } | Refusal> {
    const settings = await deps.settings.get(name);
    if (!settings?.synced)
      return refuse(
        'not-configured',
        `${name} is not set up for sync. Add it first: domain add ${name} max-deletions 10`,
      );
    const domain = await tenantDomain(name);
    if (isRefusal(domain)) return domain;
    return { settings, domain };
  }

  function validatePatch(patch: DomainSettingsPatch): Refusal | null {
    const p = patch.maxDeletionPercent;
    if (p !== undefined && !(Number.isFinite(p) && p > 0 && p <= 100))
      return refuse('bad-input', `max-deletions must be a percentage above 0 and at most 100 (got ${p}).`);
    const c = patch.maxDeletionCount;
    if (c !== undefined && c !== null && !(Number.isInteger(c) && c >= 0))
      return refuse('bad-input', `the deletion cap must be a whole number of users (got ${c}).`);
    const u = patch.usageLocation;
    if (u !== undefined && u !== null && !isCountryCode(u))
      return refuse(
        'bad-input',
        `usage-location must be a two-letter ISO 3166 country code such as JP or US (got "${u}"); "default" uses the organization's country.`,
      );
    return null;
  }

  async function holdLease(domain: string): Promise<{ lease: LeaseHandle; stop: () => Promise<void> } | Refusal> {
    const answer = await deps.leases.acquire(`sync:${domain}`, deps.holder, leaseTtlMs);
    if (!answer.acquired)
      return refuse(
        'lease-held',
        `A sync of ${domain} is already running (held by ${answer.heldBy}). Wait for it to finish, then try again.`,
        answer.heldBy,
      );
    const lease = answer.lease;
    const timer = setInterval(
      () => {
        lease.renew().then(
          (ok) => {
            if (!ok) deps.logger.warn({ domain }, 'lost the sync lease while running');
          },
          (err: unknown) => deps.logger.warn({ domain, err: String(err) }, 'could not renew the sync lease'),
        );
      },
      Math.max(200, Math.floor(leaseTtlMs / 3)),
    );
    timer.unref();
    return {
      lease,
      stop: async () => {
        clearInterval(timer);
        await lease.release();
      },
    };
  }

  async function snapshotFor(domain: EntraDomain, onProgress?: ProgressListener): Promise<DomainSnapshot> {
    return readSnapshot({ source: deps.source, reader: deps.reader, runs: deps.runs }, domain, onProgress);
  }

  /** The settings that decide the domain's writes today (the organization's country only when the domain has none). */
  async function currentWriteSettings(settings: DomainSettings, domain: EntraDomain): Promise<PlanWriteSettings> {
    const country = settings.usageLocation ? null : await deps.reader.organizationCountry();
    return writeSettingsOf(settings, domain.authenticationType, country);
  }

  /**
   * What apply needs from a fresh read: fingerprints, today's guard verdict and the source count. Only these leave
   * this function, so the snapshot is garbage before the writes start. Apply refuses the plan unless both
   * fingerprints and the write settings are the plan's own, and then today's diff would be the plan's changes: the
   * guard is re-checked on the plan's counts (with today's limits) instead of diffing 100,000 users a second time.
   */
  async function freshVerdict(
    domain: EntraDomain,
    settings: DomainSettings,
    plan: Plan,
    onProgress?: ProgressListener,
  ): Promise<Pick<Plan, 'sourceFingerprint' | 'entraFingerprint' | 'guard'> & { sourceCount: number }> {
    const fresh = await snapshotFor(domain, onProgress);
    const guard = checkGuard(
      {
        deletion: deletionShare(plan.counts, inScopeCount(fresh), settings),
        sourceCount: fresh.source.length,
        previousSourceCount: fresh.previousSourceCount,
      },
      settings,
    );
    return {
      sourceFingerprint: sourceFingerprint(fresh.source),
      entraFingerprint: entraFingerprint(fresh.entra, fresh.deleted, fresh.adminIds),
      guard,
      sourceCount: fresh.source.length,
    };
  }

  function makePlan(
    snapshot: DomainSnapshot,
    settings: DomainSettings,
    writeSettings: PlanWriteSettings,
    createdBy: string | null,
  ): Plan {
    return buildPlan(
      snapshot,
      { ...settings, usageLocation: writeSettings.usageLocation },
      { id: deps.newId(), now: iso(), createdBy },
    );
  }

  function newRun(
    plan: Plan,
    trigger: RunTrigger,
    by: { requestedBy: string | null; approvedBy: string | null; approvedById?: string | null },
    sourceCount: number | null,
  ): RunRecord {
    return {
      id: deps.newId(),
      domain: plan.domain,
      trigger,
      requestedBy: by.requestedBy,
      approvedBy: by.approvedBy,
      approvedById: by.approvedById ?? null,
      planId: plan.id,
      planHash: plan.hash,
      startedAt: iso(),
      endedAt: null,
      status: 'running',
      reason: null,
      planCounts: plan.counts,
      counts: emptyCounts,
      deletion: plan.deletion,
      total: plan.counts.add + plan.counts.update + plan.counts.delete,
      sourceCount,
      outcomes: [],
    };
  }

  async function endRun(run: RunRecord, patch: Partial<RunRecord>): Promise<RunRecord> {
    const ended: RunRecord = { ...run, ...patch, endedAt: iso() };
    await deps.runs.put(ended);
    const from = began.get(run.id) ?? Date.parse(run.startedAt);
    began.delete(run.id);
    const seconds = Math.max(0, (Date.parse(ended.endedAt!) - from) / 1000);
    observe({
      type: 'run-finished',
      runId: run.id,
      domain: run.domain,
      trigger: run.trigger,
      status: ended.status,
      seconds,
    });
    deps.logger[ended.status === 'interrupted' ? 'warn' : 'info'](
      { runId: run.id, domain: run.domain, status: ended.status, counts: ended.counts },
      `sync run ${ended.status}`,
    );
    return ended;
  }

  /** A run refused or cancelled before any write is still logged, with its reason. */
  async function logUnwritten(run: RunRecord, status: 'cancelled' | 'refused', reason: string): Promise<RunRecord> {
    return endRun(run, { status, reason });
  }

  async function writePlan(
    run: RunRecord,
    plan: Plan,
    authenticationType: EntraDomain['authenticationType'],
    options: { onProgress?: ProgressListener; onStarted?: (runId: string) => void },
  ): Promise<RunRecord> {
    await deps.runs.put(run);
    began.set(run.id, deps.now().getTime());
    observe({ type: 'run-started', runId: run.id, domain: run.domain, trigger: run.trigger });
    options.onStarted?.(run.id);
    // Only executePlan holds the write ops (and their bodies): they are garbage before the re-read that follows it.
    let phases: WriteOp[][] | null = planToWritePhases(
      plan,
      plan.writeSettings?.authenticationType ?? authenticationType,
      deps.passwordFor,
    );
    const opCount = phases.reduce((n, p) => n + p.length, 0);
    try {
      const result = await executePlan(
        { reader: deps.reader, writer: deps.writer, journal: deps.journal, logger: deps.logger },
        {
          runId: run.id,
          plan,
          phases,
          onProgress: options.onProgress,
          chunkSize: deps.journalChunkSize,
          signal: deps.shutdown,
        },
      );
      phases = null;
      const c = result.counts;
      if (result.interrupted) {
        // The journal stays open: resumeInterrupted() (next start, or another replica) finishes the run.
        return await endRun(run, {
          status: 'interrupted',
          reason: 'interrupted: the bot was stopped during the run; it resumes when the bot starts again',
          counts: c,
          outcomes: result.outcomes,
        });
      }
      const status = result.stoppedBy ? 'failed' : c.failed > 0 ? 'partial' : 'completed';
      const lagging = await awaitOwnWrites(plan, result.outcomes);
      const reason =
        [
          result.stoppedBy
            ? `stopped: ${result.stoppedBy.message}${result.stoppedBy.kind === 'forbidden' ? ' — grant the app User.ReadWrite.All (application) with admin consent, then run again' : ''}`
            : c.failed > 0
              ? `${c.failed} change(s) failed; see the per-user outcomes`
              : null,
          lagging,
        ]
          .filter(Boolean)
          .join('; ') || null;
      const ended = await endRun(run, { status, reason, counts: c, outcomes: result.outcomes });
      await deps.journal.markFinished(run.id);
      options.onProgress?.({ phase: 'done', done: opCount, total: opCount });
      return ended;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      deps.logger.error({ runId: run.id, domain: run.domain, err: message }, 'sync run failed');
      // The journal stays unfinished so that resumeInterrupted (or the next apply of this plan) can finish it.
      return endRun(run, { status: 'failed', reason: `failed: ${message}. Apply the same plan again to resume.` });
    }
  }

  /**
   * Graph's listings and advanced queries lag behind writes (https://learn.microsoft.com/en-us/graph/aad-advanced-queries:
   * eventually consistent). Before a run reports its end, re-reads the domain until the listing shows every change it
   * made, for at most visibilityTimeoutMs; returns a note for the run's reason when some are still not shown.
   */
  async function awaitOwnWrites(plan: Plan, outcomes: readonly UserOutcome[]): Promise<string | null> {
    const timeoutMs = deps.visibilityTimeoutMs ?? 60_000;
    if (timeoutMs <= 0 || !outcomes.some((o) => o.result === 'done')) return null;
    // Built once for all the re-reads below (one key per completed change).
    const done = completedChanges(outcomes);
    const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const started = deps.now().getTime();
    let pause = 250;
    for (let check = 1; ; check++) {
      let unseen: UnseenWrite[];
      try {
        unseen = unseenWrites(plan, done, await deps.reader.listUsers(plan.domain));
      } catch (err) {
        // The writes are done and journaled: a failed re-read only means the wait cannot be confirmed.
        deps.logger.warn(
          { domain: plan.domain, err: (err as Error).message },
          'could not re-read the domain after the writes',
        );
        return 'the changes could not be confirmed in a fresh read of Entra ID; wait a minute before the next dry run';
      }
      if (unseen.length === 0) {
        if (check > 1) deps.logger.info({ domain: plan.domain, checks: check }, 'every change is now listed by Graph');
        return null;
      }
      const elapsed = deps.now().getTime() - started;
      if (elapsed >= timeoutMs) {
        deps.logger.warn(
          { domain: plan.domain, unseen: unseen.length, first: unseen.slice(0, 5) },
          'some changes are not yet listed by Graph',
        );
        return `${unseen.length} change(s) were not yet shown by Graph's listings after ${Math.round(timeoutMs / 1000)} s; wait a few minutes before the next dry run, or it may show them again`;
      }
      await sleep(Math.min(pause, timeoutMs - elapsed));
      pause = Math.min(pause * 2, 5_000);
    }
  }

  async function applyStored(plan: Plan, options: ApplyOptions): Promise<RunRecord | Refusal> {
    const domainName = plan.domain;
    const ctx = await configured(domainName);
    if (isRefusal(ctx)) return ctx;
    const held = await holdLease(domainName);
    if (isRefusal(held)) return held;
    try {
      let runId = deps.newId();
      const claim = await deps.plans.claim(plan.id, runId);
      if (!claim.claimed) {
        // We hold the domain's lease, so whoever claimed this plan is no longer writing: it finished, or it died.
        const previous = await deps.runs.get(claim.runId);
        if (!previous) {
          // It died before recording its run (nothing was written yet): carry on under its claim.
          runId = claim.runId;
        } else if (
          previous.status === 'running' ||
          previous.status === 'interrupted' ||
          (previous.status === 'failed' && (await deps.journal.unfinished()).includes(previous.id))
        ) {
          const stale = checkPlanFreshness(plan, {
            writeSettings: await currentWriteSettings(ctx.settings, ctx.domain),
          });
          if (stale) {
            await deps.journal.markFinished(previous.id);
            await endRun(previous, { status: 'refused', reason: stale.reason });
            return stale;
          }
          deps.logger.info({ runId: previous.id, planId: plan.id }, 'resuming an interrupted run of this plan');
          return await writePlan(
            { ...previous, status: 'running', endedAt: null, reason: null },
            plan,
            ctx.domain.authenticationType,
            options,
          );
        } else {
          return refuse(
            'plan-used',
            `This dry run was already applied (run ${claim.runId}, ${previous.status}). Run a new dry run to sync again.`,
            claim.runId,
          );
        }
      }
      const by = {
        requestedBy: plan.createdBy,
        approvedBy: options.approvedBy ?? null,
        approvedById: options.approvedById ?? null,
      };
      // A setting that decides the writes (protected accounts, on delete, usage location, authentication type)
      // changed since the dry run: refuse before reading anything.
      const writeSettings = await currentWriteSettings(ctx.settings, ctx.domain);
      const settingsStale = checkPlanFreshness(plan, { writeSettings });
      if (settingsStale) {
        await logUnwritten({ ...newRun(plan, options.trigger, by, null), id: runId }, 'refused', settingsStale.reason);
        return settingsStale;
      }
      // Re-read both sides: anything that changed since the dry run makes the plan stale.
      const current = await freshVerdict(ctx.domain, ctx.settings, plan, options.onProgress);
      const run = { ...newRun(plan, options.trigger, by, current.sourceCount), id: runId };
      const stale = checkPlanFreshness(plan, { writeSettings, ...current });
      if (stale) {
        await logUnwritten(run, 'refused', stale.reason);
        return stale;
      }
      // The guard is checked against today's settings as well as the plan's own verdict.
      const verdict = !plan.guard.ok ? plan.guard : current.guard;
      if (!verdict.ok) {
        await logUnwritten(run, 'cancelled', verdict.reason);
        return refuse('guard', verdict.reason);
      }
      return await writePlan(run, plan, ctx.domain.authenticationType, options);
    } finally {
      await held.stop();
    }
  }

  /**
   * A refusal while an interrupted run of the domain has federated users at their temporary onmicrosoft.com UPN: a new
   * dry run would not see them in the domain and would plan them as new users. Finishing that run comes first.
   */
  async function interruptedAdoptions(domain: string): Promise<Refusal | null> {
    for (const runId of await deps.journal.unfinished()) {
      const run = await deps.runs.get(runId);
      if (run?.domain !== domain || !run.planId) continue;
      const plan = await deps.plans.get(run.planId);
      if (!plan) continue;
      const stranded = strandedAdoptions(plan, await deps.journal.read(runId));
      if (stranded.length === 0) continue;
      const who = stranded
        .slice(0, 3)
        .map((s) => `${s.upn} (now ${s.via})`)
        .join(', ');
      const more = stranded.length > 3 ? ` and ${stranded.length - 3} more` : '';
      return refuse(
        'lease-held',
        `An interrupted run (${runId}) left ${who}${more} at a temporary onmicrosoft.com UPN while setting the ` +
          `Immutable ID. Apply that dry run again (plan ${plan.id}) to finish it, then run a new dry run.`,
        runId,
      );
    }
    return null;
  }

  const service: SyncService = {
    async listDomains() {
      const [domains, settings] = await Promise.all([deps.reader.listDomains(), deps.settings.list()]);
      const views: DomainView[] = [];
      for (const domain of domains) {
        const s = settings.find((x) => x.domain === domain.id.toLowerCase()) ?? null;
        const [lastRun] = s ? await deps.runs.list({ domain: s.domain, limit: 1, outcomes: false }) : [];
        views.push({ domain, settings: s, lastRun: lastRun ?? null });
      }
      return views;
    },

    async addDomain(rawDomain, patch, by) {
      const name = normaliseDomain(rawDomain);
      const bad = validatePatch(patch);
      if (bad) return bad;
      const domain = await tenantDomain(name);
      if (isRefusal(domain)) return domain;
      if (domain.isInitial)
        return refuse(
          'bad-input',
          `${name} is the tenant's initial domain; it holds cloud-only objects and is not synced.`,
        );
      const existing = await deps.settings.get(name);
      if (existing?.synced)
        return refuse('bad-input', `${name} is already synced. Change it with: domain set ${name} max-deletions <pct>`);
      const settings: DomainSettings = {
        domain: name,
        synced: true,
        maxDeletionPercent: patch.maxDeletionPercent ?? DEFAULT_MAX_DELETION_PERCENT,
        maxDeletionCount: patch.maxDeletionCount ?? null,
        protectedAccounts: patch.protectedAccounts ?? [],
        periodic: false,
        onDelete: patch.onDelete ?? 'delete',
        pausedUntil: null,
        allowSourceShrink: patch.allowSourceShrink ?? false,
        notify: patch.notify ?? 'changes-only',
        usageLocation: normalisePatch(patch).usageLocation ?? null,
        updatedAt: iso(),
        updatedBy: by,
      };
      await deps.settings.put(settings);
      return settings;
    },

    async setDomain(rawDomain, patch, by) {
      const name = normaliseDomain(rawDomain);
      const bad = validatePatch(patch);
      if (bad) return bad;
      const existing = await deps.settings.get(name);
      if (!existing?.synced)
        return refuse(
          'not-configured',
          `${name} is not set up for sync. Add it first: domain add ${name} max-deletions 10`,
        );
      const next: DomainSettings = {
        ...existing,
        ...Object.fromEntries(Object.entries(normalisePatch(patch)).filter(([, v]) => v !== undefined)),
        updatedAt: iso(),
        updatedBy: by,
      };
      await deps.settings.put(next);
      return next;
    },

    async removeDomain(rawDomain, by) {
      const name = normaliseDomain(rawDomain);
      const existing = await deps.settings.get(name);
      if (!existing?.synced) return refuse('not-configured', `${name} is not set up for sync; nothing to remove.`);
      const next: DomainSettings = { ...existing, synced: false, periodic: false, updatedAt: iso(), updatedBy: by };
      await deps.settings.put(next);
      return next;
    },

    getSettings: (domain) => deps.settings.get(normaliseDomain(domain)),

    async preview(rawDomain, options: PreviewOptions = {}) {
      const domain = normaliseDomain(rawDomain);
      const started = deps.now().getTime();
      const finished = (outcome: 'planned' | 'refused' | 'failed') =>
        observe({ type: 'preview-finished', domain, outcome, seconds: (deps.now().getTime() - started) / 1000 });
      try {
        const ctx = await configured(domain);
        if (isRefusal(ctx)) {
          finished('refused');
          return ctx;
        }
        const halfDone = await interruptedAdoptions(ctx.domain.id);
        if (halfDone) {
          finished('refused');
          return halfDone;
        }
        const snapshot = await snapshotFor(ctx.domain, options.onProgress);
        const writeSettings = await currentWriteSettings(ctx.settings, ctx.domain);
        const plan = makePlan(snapshot, ctx.settings, writeSettings, options.requestedBy ?? null);
        await deps.plans.put(plan);
        finished('planned');
        options.onProgress?.({ phase: 'done', done: plan.changes.length, total: plan.changes.length });
        return plan;
      } catch (err) {
        finished('failed');
        throw err;
      }
    },

    getPlan: (planId) => deps.plans.get(planId),
    discardPlan: (planId) => deps.plans.discard(planId),

    async apply(planId, planHash, options) {
      const plan = await deps.plans.get(planId);
      if (!plan)
        return refuse(
          'plan-not-found',
          `No dry run with id ${planId} exists (it may have been cancelled). Run preview again.`,
        );
      if (plan.hash !== planHash || !verifyPlanHash(plan))
        return refuse(
          'stale-plan',
          'This approval does not match the stored dry run (hash mismatch). Run preview again.',
        );
      return applyStored(plan, options);
    },

    async runScheduled(rawDomain) {
      const name = normaliseDomain(rawDomain);
      const ctx = await configured(name);
      if (isRefusal(ctx)) return ctx;
      const held = await holdLease(name);
      if (isRefusal(held)) return held;
      try {
        // One read of each side: the fresh snapshot is both the preview and the apply's freshness check.
        const snapshot = await snapshotFor(ctx.domain);
        const plan = makePlan(snapshot, ctx.settings, await currentWriteSettings(ctx.settings, ctx.domain), 'scheduler');
        await deps.plans.put(plan);
        const run = newRun(
          plan,
          'hourly',
          { requestedBy: 'scheduler', approvedBy: 'periodic sync' },
          snapshot.source.length,
        );
        const claim = await deps.plans.claim(plan.id, run.id);
        if (!claim.claimed) return refuse('plan-used', 'the scheduled plan was claimed twice', claim.runId);
        // Reading a large domain takes a while: the settings in force now must still be the ones the plan used.
        const latest = await configured(name);
        if (isRefusal(latest)) return logUnwritten(run, 'refused', latest.reason);
        const stale = checkPlanFreshness(plan, {
          writeSettings: await currentWriteSettings(latest.settings, latest.domain),
        });
        if (stale) return logUnwritten(run, 'refused', stale.reason);
        if (!plan.guard.ok) return logUnwritten(run, 'cancelled', plan.guard.reason);
        if (run.total === 0) return endRun(run, { status: 'completed' });
        return await writePlan(run, plan, ctx.domain.authenticationType, {});
      } finally {
        await held.stop();
      }
    },

    async resumeInterrupted(options = {}) {
      const resumed: RunRecord[] = [];
      for (const runId of await deps.journal.unfinished()) {
        if (deps.shutdown?.aborted) break;
        const run = await deps.runs.get(runId);
        if (run && options.only && !options.only.includes(run.status)) continue;
        const plan = run?.planId ? await deps.plans.get(run.planId) : null;
        if (!run || !plan) {
          deps.logger.warn({ runId }, 'an interrupted run has no record or plan left; closing its journal');
          await deps.journal.markFinished(runId);
          continue;
        }
        const ctx = await configured(plan.domain);
        if (isRefusal(ctx)) {
          deps.logger.warn({ runId, reason: ctx.reason }, 'cannot resume an interrupted run');
          continue;
        }
        const held = await holdLease(plan.domain);
        if (isRefusal(held)) continue;
        try {
          const stale = checkPlanFreshness(plan, {
            writeSettings: await currentWriteSettings(ctx.settings, ctx.domain),
          });
          if (stale) {
            deps.logger.warn({ runId, reason: stale.reason }, 'not resuming an interrupted run: its plan is stale');
            await deps.journal.markFinished(runId);
            resumed.push(await endRun(run, { status: 'refused', reason: stale.reason }));
            continue;
          }
          deps.logger.info(
            { runId, domain: plan.domain, was: run.status },
            `resuming an interrupted sync run (it was ${run.status})`,
          );
          resumed.push(
            await writePlan(
              { ...run, status: 'running', endedAt: null, reason: null },
              plan,
              ctx.domain.authenticationType,
              {},
            ),
          );
        } finally {
          await held.stop();
        }
      }
      return resumed;
    },

    async precheck(rawDomain) {
      const name = normaliseDomain(rawDomain);
      const domain = await tenantDomain(name);
      if (isRefusal(domain)) return domain;
      const snapshot = await snapshotFor(domain);
      const initial = (await deps.reader.listDomains()).find((d) => d.isInitial);
      if (!initial) return refuse('unknown-domain', 'The tenant has no *.onmicrosoft.com initial domain.');
      const result: PrecheckResult = {
        domain: name,
        initialDomain: initial.id,
        candidates: precheckCandidates(snapshot),
      };
      return result;
    },

    async moveToInitialDomain(rawDomain, entraIds, by) {
      const pre = await service.precheck(rawDomain);
      if (isRefusal(pre)) return pre;
      const held = await holdLease(pre.domain);
      if (isRefusal(held)) return held;
      try {
        const byId = new Map(pre.candidates.map((c) => [c.user.id, c.user]));
        const failed: { id: string; upn: string; reason: string }[] = [];
        const ops: WriteOp[] = [];
        const targets = new Map<string, { id: string; from: string; to: string }>();
        for (const id of new Set(entraIds)) {
          const user = byId.get(id);
          if (!user) {
            failed.push({ id, upn: id, reason: 'not one of the objects the pre-check lists; nothing was changed' });
            continue;
          }
          const local = user.userPrincipalName.split('@')[0] ?? user.id;
          const to = `${local}@${pre.initialDomain}`;
          ops.push({ opId: `m:${id}`, kind: 'update', userId: id, body: { userPrincipalName: to } });
          targets.set(`m:${id}`, { id, from: user.userPrincipalName, to });
        }
        const moved: { id: string; from: string; to: string }[] = [];
        await deps.writer.execute(ops, {
          onResult: (r) => {
            const t = targets.get(r.opId)!;
            if (r.ok) moved.push(t);
            else failed.push({ id: t.id, upn: t.from, reason: `${r.code}: ${r.message}` });
          },
        });
        deps.logger.info(
          { domain: pre.domain, moved: moved.length, failed: failed.length, by },
          'moved objects to the initial domain',
        );
        const result: MoveResult = { moved, failed };
        return result;
      } finally {
        await held.stop();
      }
    },

    importDirectory: (bytes, options) => deps.importer(bytes, options),
    getRun: (runId) => deps.runs.get(runId),
    listRuns: (filter) => deps.runs.list(filter),
  };
  return service;
}
