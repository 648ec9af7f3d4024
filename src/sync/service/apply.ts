// The apply use case: a stored plan, checked against its hash, claimed once, re-checked for freshness, then written.
import { message, say } from '../core-messages.js';
import { checkGuard, deletionShare } from '../guard.js';
import type { Plan, RunRecord } from '../model.js';
import { verifyStoredPlanHash } from '../plan.js';
import { checkPlanFreshness } from '../plan-freshness.js';
import { readFingerprints } from '../read-fingerprints.js';
import { countingWrites, type WriteTotals } from '../stored-plan-writes.js';
import {
  type ApplyOptions,
  isRefusal,
  type ProgressListener,
  type Refusal,
  type SyncService,
} from '../service-interface.js';
import type { Configured, ServiceContext } from './context.js';
import { refuse } from './deps.js';
import type { RunWriter } from './run-writer.js';

export function applyUseCases(ctx: ServiceContext, runs: RunWriter): Pick<SyncService, 'apply'> {
  const { deps, configured, holdLease, currentWriteSettings } = ctx;
  const { newRun, logUnwritten, writePlan, resumeRun } = runs;

  /**
   * What apply needs from a fresh read: fingerprints, today's guard verdict and the source count. Each side's users
   * are dropped once fingerprinted (readFingerprints), so no snapshot is held while the other side is read or the
   * writes start. Apply refuses the plan unless both fingerprints and the write settings are the plan's own, and
   * then today's diff would be the plan's changes: the guard is re-checked on the plan's counts (with today's
   * limits) instead of diffing 100,000 users a second time.
   */
  async function freshVerdict(
    { settings, domain }: Configured,
    plan: Omit<Plan, 'changes'>,
    onProgress?: ProgressListener,
  ): Promise<Pick<Plan, 'sourceFingerprint' | 'entraFingerprint' | 'guard'> & { sourceCount: number }> {
    const ports = { source: deps.source, reader: deps.reader, runs: deps.runs };
    const fresh = await readFingerprints(ports, domain, onProgress);
    const guard = checkGuard(
      {
        deletion: deletionShare(plan.counts, fresh.inScopeCount, settings),
        sourceCount: fresh.sourceCount,
        previousSourceCount: fresh.previousSourceCount,
      },
      settings,
    );
    return {
      sourceFingerprint: fresh.sourceFingerprint,
      entraFingerprint: fresh.entraFingerprint,
      guard,
      sourceCount: fresh.sourceCount,
    };
  }

  /** Applies a stored plan, of which only the summary is held (the writes read its changes chunk by chunk). */
  async function applyStored(
    plan: Omit<Plan, 'changes'>,
    options: ApplyOptions,
    counted: WriteTotals | null,
  ): Promise<RunRecord | Refusal> {
    const domainName = plan.domain;
    const found = await configured(domainName);
    if (isRefusal(found)) return found;
    const held = await holdLease(domainName);
    if (isRefusal(held)) return held;
    try {
      let runId = deps.newId();
      const claim = await deps.plans.claim(plan.id, runId);
      if (!claim.claimed) {
        // We hold the domain's lease, so whoever claimed this plan is no longer writing: it finished, or it died.
        const previous = await deps.runs.get(claim.runId, { outcomes: false });
        if (!previous) {
          // It died before recording its run (nothing was written yet): carry on under its claim.
          runId = claim.runId;
        } else if (
          previous.status === 'running' ||
          previous.status === 'interrupted' ||
          (previous.status === 'failed' && (await deps.journal.unfinished()).includes(previous.id))
        ) {
          const resumed = await resumeRun(previous, plan, found, options);
          return resumed.stale ?? resumed.ended;
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
      const writeSettings = await currentWriteSettings(found.settings, found.domain);
      const settingsStale = checkPlanFreshness(plan, { writeSettings });
      if (settingsStale) {
        await logUnwritten({ ...newRun(plan, options.trigger, by, null), id: runId }, 'refused', settingsStale);
        return settingsStale;
      }
      // Re-read both sides: anything that changed since the dry run makes the plan stale.
      const current = await freshVerdict(found, plan, options.onProgress);
      const run = { ...newRun(plan, options.trigger, by, current.sourceCount), id: runId };
      // Reading a large domain takes a while and `domain set` does not take the lease: the settings in force now
      // must still be the plan's (the rule the hourly run follows too, src/sync/service/scheduled.ts).
      const latest = await configured(plan.domain);
      if (isRefusal(latest)) {
        await logUnwritten(run, 'refused', latest);
        return latest;
      }
      const stale = checkPlanFreshness(plan, {
        writeSettings: await currentWriteSettings(latest.settings, latest.domain),
        ...current,
      });
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
      return await writePlan(run, plan, options, counted);
    } finally {
      await held.stop();
    }
  }

  return {
    async apply(planId, planHash, options) {
      // The summary, and the hash checked over the changes read chunk by chunk: the plan is never loaded whole. The
      // same walk counts the writes, so the writes do not read the whole plan once more only to count them.
      const plan = await deps.plans.summary(planId);
      if (!plan) return refuse('plan-not-found', say('refusal.planNotFound', { planId }));
      if (plan.hash !== planHash) return refuse('stale-plan', say('refusal.hashMismatch'));
      const walk = countingWrites(deps.plans.changes(planId));
      if (!(await verifyStoredPlanHash(plan, walk.chunks))) return refuse('stale-plan', say('refusal.hashMismatch'));
      return applyStored(plan, options, walk.totals());
    },
  };
}
