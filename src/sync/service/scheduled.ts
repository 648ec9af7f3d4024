// The hourly run use case: a dry run and the apply of that same plan under one domain lease, with no approval step.
import { say } from '../core-messages.js';
import { checkPlanFreshness } from '../plan-freshness.js';
import { type HeldDomain, isRefusal, type SyncService } from '../service-interface.js';
import type { ServiceContext } from './context.js';
import { normaliseDomain } from '../domain-name.js';
import { refuse } from './deps.js';
import type { RunWriter } from './run-writer.js';

export function scheduledUseCases(ctx: ServiceContext, runs: RunWriter): Pick<SyncService, 'runScheduled'> {
  const { deps, configured, holdLease, snapshotFor, currentWriteSettings, makePlan } = ctx;
  const { newRun, endRun, logUnwritten, writePlan } = runs;
  return {
    /**
     * With `held`, the caller holds the domain's lease and read these settings under it: no lease is taken and the
     * settings are not read again before the snapshot. The freshness check after the snapshot reads them once more.
     */
    async runScheduled(rawDomain: string, held?: HeldDomain) {
      const name = normaliseDomain(rawDomain);
      const found = await configured(name, held ? held.settings : undefined);
      if (isRefusal(found)) return found;
      const lease = held ? null : await holdLease(name);
      if (isRefusal(lease)) return lease;
      try {
        // One read of each side: the fresh snapshot is both the preview and the apply's freshness check.
        const snapshot = await snapshotFor(found);
        const plan = await makePlan(snapshot, found.settings, 'scheduler');
        await deps.plans.put(plan);
        const run = newRun(
          plan,
          'hourly',
          { requestedBy: 'scheduler', approvedBy: 'periodic sync' },
          snapshot.source.length,
        );
        const claim = await deps.plans.claim(plan.id, run.id);
        if (!claim.claimed) return refuse('plan-used', say('refusal.scheduledClaimedTwice'), claim.runId);
        // Reading a large domain takes a while: the settings in force now must still be the ones the plan used (the
        // freshness check's own read of the settings and the tenant's domains).
        const latest = await configured(name);
        if (isRefusal(latest)) return logUnwritten(run, 'refused', latest);
        const stale = checkPlanFreshness(plan, {
          writeSettings: await currentWriteSettings(latest.settings, latest.domain),
        });
        if (stale) return logUnwritten(run, 'refused', stale);
        if (!plan.guard.ok) return logUnwritten(run, 'cancelled', plan.guard);
        if (run.total === 0) return endRun(run, { status: 'completed' });
        return await writePlan(run, plan, {});
      } finally {
        await lease?.stop();
      }
    },
  };
}
