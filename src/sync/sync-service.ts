// The use cases behind every front end: domain settings, preview, guarded journaled apply, scheduled runs, pre-check.
import countries from 'i18n-iso-countries';
import type { Logger } from '../logger.js';
import { executePlan, strandedAdoptions } from './apply-run.js';
import { type CoreMessage, list, message, type Said, say } from './core-messages.js';
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

/** A refusal: its English sentence (`reason`) and the same as a code with values (`message`). */
const refuse = (code: Refusal['code'], said: Said, detail?: string): Refusal => ({
  refused: true,
  code,
  reason: said.text,
  message: said.message,
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
      return refuse('unknown-domain', say('refusal.unknownDomain', { domain: name, known: known || message('none') }));
    }
    if (!found.isVerified) return refuse('unverified-domain', say('refusal.unverifiedDomain', { domain: name }));
    return found;
  }

  async function configured(name: string): Promise<{ settings: DomainSettings; domain: EntraDomain } | Refusal> {
    const settings = await deps.settings.get(name);
    if (!settings?.synced) return refuse('not-configured', say('refusal.notConfigured', { domain: name }));
    const domain = await tenantDomain(name);
    if (isRefusal(domain)) return domain;
    return { settings, domain };
  }

  function validatePatch(patch: DomainSettingsPatch): Refusal | null {
    const p = patch.maxDeletionPercent;
    if (p !== undefined && !(Number.isFinite(p) && p > 0 && p <= 100))
      return refuse('bad-input', say('refusal.badMaxDeletions', { value: String(p) }));
    const c = patch.maxDeletionCount;
    if (c !== undefined && c !== null && !(Number.isInteger(c) && c >= 0))
      return refuse('bad-input', say('refusal.badDeletionCap', { value: String(c) }));
    const u = patch.usageLocation;
    if (u !== undefined && u !== null && !isCountryCode(u))
      return refuse('bad-input', say('refusal.badUsageLocation', { value: u }));
    return null;
  }

  async function holdLease(domain: string): Promise<{ lease: LeaseHandle; stop: () => Promise<void> } | Refusal> {
    const answer = await deps.leases.acquire(`sync:${domain}`, deps.holder, leaseTtlMs);
    if (!answer.acquired)
      return refuse('lease-held', say('refusal.leaseHeld', { domain, holder: answer.heldBy }), answer.heldBy);
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
    // The reason's code goes with the reason: a resumed run never keeps the code of the reason it had before.
    const ended: RunRecord = { ...run, ...patch, reasonMessage: patch.reasonMessage ?? null, endedAt: iso() };
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
  async function logUnwritten(
    run: RunRecord,
    status: 'cancelled' | 'refused',
    why: { readonly reason: string; readonly message?: CoreMessage },
  ): Promise<RunRecord> {
    return endRun(run, { status, reason: why.reason, reasonMessage: why.message ?? null });
  }

  /** A run's reason in the record: the English and its code. */
  const reasonOf = (said: Said | null): Pick<RunRecord, 'reason' | 'reasonMessage'> =>
    said ? { reason: said.text, reasonMessage: said.message } : { reason: null, reasonMessage: null };

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
          ...reasonOf(say('run.interrupted')),
          counts: c,
          outcomes: result.outcomes,
        });
      }
      const status = result.stoppedBy ? 'failed' : c.failed > 0 ? 'partial' : 'completed';
      const lagging = await awaitOwnWrites(plan, result.outcomes);
      const outcome = result.stoppedBy
        ? say(result.stoppedBy.kind === 'forbidden' ? 'run.stoppedForbidden' : 'run.stopped', {
            message: result.stoppedBy.message,
          })
        : c.failed > 0
          ? say('run.someFailed', { count: c.failed })
          : null;
      const reason =
        outcome && lagging ? say('joined', { first: outcome.message, second: lagging.message }) : (outcome ?? lagging);
      const ended = await endRun(run, { status, ...reasonOf(reason), counts: c, outcomes: result.outcomes });
      await deps.journal.markFinished(run.id);
      options.onProgress?.({ phase: 'done', done: opCount, total: opCount });
      return ended;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      deps.logger.error({ runId: run.id, domain: run.domain, err: message }, 'sync run failed');
      // The journal stays unfinished so that resumeInterrupted (or the next apply of this plan) can finish it.
      return endRun(run, { status: 'failed', ...reasonOf(say('run.failed', { message })) });
    }
  }

  /**
   * Graph's listings and advanced queries lag behind writes (https://learn.microsoft.com/en-us/graph/aad-advanced-queries:
   * eventually consistent). Before a run reports its end, re-reads the domain until the listing shows every change it
   * made, for at most visibilityTimeoutMs; returns a note for the run's reason when some are still not shown.
   */
  async function awaitOwnWrites(plan: Plan, outcomes: readonly UserOutcome[]): Promise<Said | null> {
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
        return say('run.notConfirmed');
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
        return say('run.notYetListed', { count: unseen.length, seconds: Math.round(timeoutMs / 1000) });
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
            await endRun(previous, { status: 'refused', reason: stale.reason, reasonMessage: stale.message ?? null });
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
            say('refusal.planUsed', { runId: claim.runId, status: message(`status.${previous.status}`) }),
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
        await logUnwritten({ ...newRun(plan, options.trigger, by, null), id: runId }, 'refused', settingsStale);
        return settingsStale;
      }
      // Re-read both sides: anything that changed since the dry run makes the plan stale.
      const current = await freshVerdict(ctx.domain, ctx.settings, plan, options.onProgress);
      const run = { ...newRun(plan, options.trigger, by, current.sourceCount), id: runId };
      const stale = checkPlanFreshness(plan, { writeSettings, ...current });
      if (stale) {
        await logUnwritten(run, 'refused', stale);
        return stale;
      }
      // The guard is checked against today's settings as well as the plan's own verdict.
      const verdict = !plan.guard.ok ? plan.guard : current.guard;
      if (!verdict.ok) {
        await logUnwritten(run, 'cancelled', verdict);
        return {
          refused: true,
          code: 'guard',
          reason: verdict.reason,
          ...(verdict.message ? { message: verdict.message } : {}),
        };
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
      const users = list(
        stranded.slice(0, 3).map((s) => message('refusal.strandedUser', { upn: s.upn, via: s.via })),
        'comma',
      );
      const said =
        stranded.length > 3
          ? say('refusal.strandedAdoptionsMore', { runId, users, more: stranded.length - 3, planId: plan.id })
          : say('refusal.strandedAdoptions', { runId, users, planId: plan.id });
      return refuse('lease-held', said, runId);
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
      if (domain.isInitial) return refuse('bad-input', say('refusal.initialDomain', { domain: name }));
      const existing = await deps.settings.get(name);
      if (existing?.synced) return refuse('bad-input', say('refusal.alreadySynced', { domain: name }));
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
      if (!existing?.synced) return refuse('not-configured', say('refusal.notConfigured', { domain: name }));
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
      if (!existing?.synced) return refuse('not-configured', say('refusal.notConfiguredRemove', { domain: name }));
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
      if (!plan) return refuse('plan-not-found', say('refusal.planNotFound', { planId }));
      if (plan.hash !== planHash || !verifyPlanHash(plan)) return refuse('stale-plan', say('refusal.hashMismatch'));
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
        const plan = makePlan(
          snapshot,
          ctx.settings,
          await currentWriteSettings(ctx.settings, ctx.domain),
          'scheduler',
        );
        await deps.plans.put(plan);
        const run = newRun(
          plan,
          'hourly',
          { requestedBy: 'scheduler', approvedBy: 'periodic sync' },
          snapshot.source.length,
        );
        const claim = await deps.plans.claim(plan.id, run.id);
        if (!claim.claimed) return refuse('plan-used', say('refusal.scheduledClaimedTwice'), claim.runId);
        // Reading a large domain takes a while: the settings in force now must still be the ones the plan used.
        const latest = await configured(name);
        if (isRefusal(latest)) return logUnwritten(run, 'refused', latest);
        const stale = checkPlanFreshness(plan, {
          writeSettings: await currentWriteSettings(latest.settings, latest.domain),
        });
        if (stale) return logUnwritten(run, 'refused', stale);
        if (!plan.guard.ok) return logUnwritten(run, 'cancelled', plan.guard);
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
            resumed.push(
              await endRun(run, { status: 'refused', reason: stale.reason, reasonMessage: stale.message ?? null }),
            );
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
      if (!initial) return refuse('unknown-domain', say('refusal.noInitialDomain'));
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
        const failed: MoveResult['failed'][number][] = [];
        const ops: WriteOp[] = [];
        const targets = new Map<string, { id: string; from: string; to: string }>();
        for (const id of new Set(entraIds)) {
          const user = byId.get(id);
          if (!user) {
            const why = say('precheck.notListed');
            failed.push({ id, upn: id, reason: why.text, reasonMessage: why.message });
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
    getRun: (runId, options) => deps.runs.get(runId, options),
    runOutcomes: (runId) => deps.runs.outcomes(runId),
    listRuns: (filter) => deps.runs.list(filter),
  };
  return service;
}
