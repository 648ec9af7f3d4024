// The resume use case: finish the runs whose journal is still open (a crash, or a shutdown that interrupted them).
import type { RunRecord } from '../model.js';
import { isRefusal, type SyncService } from '../service-interface.js';
import type { ServiceContext } from './context.js';
import type { RunWriter } from './run-writer.js';

export function resumeUseCases(ctx: ServiceContext, runs: RunWriter): Pick<SyncService, 'resumeInterrupted'> {
  const { deps, configured, holdLease } = ctx;
  const { resumeRun } = runs;
  return {
    async resumeInterrupted(options = {}) {
      const resumed: RunRecord[] = [];
      for (const runId of await deps.journal.unfinished()) {
        if (deps.shutdown?.aborted) break;
        const run = await deps.runs.get(runId, { outcomes: false });
        if (run && options.only && !options.only.includes(run.status)) continue;
        const plan = run?.planId ? await deps.plans.summary(run.planId) : null;
        if (!run || !plan) {
          deps.logger.warn({ runId }, 'an interrupted run has no record or plan left; closing its journal');
          await deps.journal.markFinished(runId);
          continue;
        }
        const found = await configured(plan.domain);
        if (isRefusal(found)) {
          deps.logger.warn({ runId, reason: found.reason }, 'cannot resume an interrupted run');
          continue;
        }
        const held = await holdLease(plan.domain);
        if (isRefusal(held)) continue;
        try {
          resumed.push((await resumeRun(run, plan, found, {})).ended);
        } finally {
          await held.stop();
        }
      }
      return resumed;
    },
  };
}
