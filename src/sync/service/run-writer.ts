// A run's record from start to end: the new record, the journaled writes of a plan, Graph's lag after them, the end.
import { executeWrites } from '../apply-run.js';
import { type CoreMessage, type Said, say } from '../core-messages.js';
import type { Plan, RunRecord, RunTrigger, UserOutcome } from '../model.js';
import { checkPlanFreshness } from '../plan-freshness.js';
import type { ProgressListener, Refusal } from '../service-interface.js';
import { storedPlanWrites, type WriteTotals } from '../stored-plan-writes.js';
import { CHECK_LISTINGS_IN_FLIGHT } from '../read-fingerprints.js';
import { type ExpectedWrite, expectedWrites, listingCheck, type UnseenWrite } from '../visibility.js';
import type { Configured, ServiceContext } from './context.js';

/** What the run writer reads of a plan: its summary (the changes are read from the store chunk by chunk). */
type PlanHead = Omit<Plan, 'changes'>;

const emptyCounts = { added: 0, updated: 0, deleted: 0, failed: 0 } as const;

/** A run's reason in the record: the English and its code. */
const reasonOf = (said: Said | null): Pick<RunRecord, 'reason' | 'reasonMessage'> =>
  said ? { reason: said.text, reasonMessage: said.message } : { reason: null, reasonMessage: null };

export type RunWriter = ReturnType<typeof createRunWriter>;

export function createRunWriter({ deps, iso, observe, currentWriteSettings }: ServiceContext) {
  /** When this process began writing each run (a resumed run counts from its resumption). */
  const began = new Map<string, number>();

  function newRun(
    plan: PlanHead,
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
    // The outcomes were appended while the run wrote; the returned record carries only its failures (for the cards).
    await deps.runs.put(ended, { keepOutcomes: true });
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

  /**
   * Writes a stored plan every caller has checked for freshness first (so its write settings are today's): the plan
   * alone decides the writes, the authentication type included. Its changes are read from the store chunk by chunk,
   * the outcomes appended to the run log batch by batch. The returned record's `outcomes` are the failed ones only
   * (what the result card and the channel notification list); the whole list is read page by page from the run log.
   * `counted`: the plan's write totals if the caller's own walk of its chunks counted them (countingWrites).
   */
  async function writePlan(
    run: RunRecord,
    plan: PlanHead,
    options: { onProgress?: ProgressListener; onStarted?: (runId: string) => void },
    counted: WriteTotals | null = null,
  ): Promise<RunRecord> {
    // A resumed run starts its outcomes again: they are rebuilt from the journal.
    await deps.runs.put({ ...run, outcomes: [] });
    began.set(run.id, deps.now().getTime());
    observe({ type: 'run-started', runId: run.id, domain: run.domain, trigger: run.trigger });
    options.onStarted?.(run.id);
    let opCount = 0;
    const failed: UserOutcome[] = [];
    // What the listing must show after the writes (the visibility wait below), built from each batch of outcomes
    // with its plan changes as the outcome walk reads them: the plan is not walked a second time.
    const expected: ExpectedWrite[] = [];
    try {
      const source = await storedPlanWrites(deps.plans, plan, plan.writeSettings.authenticationType, counted);
      opCount = source.total;
      const result = await executeWrites(
        { reader: deps.reader, writer: deps.writer, journal: deps.journal, logger: deps.logger },
        {
          runId: run.id,
          source,
          onOutcomes: async (batch, changes) => {
            await deps.runs.appendOutcomes(run.id, batch);
            for (const o of batch) if (o.result === 'failed') failed.push(o);
            for (const e of expectedWrites({ domain: plan.domain, changes }, batch)) expected.push(e);
          },
          onProgress: options.onProgress,
          chunkSize: deps.journalChunkSize,
          signal: deps.shutdown,
        },
      );
      const c = result.counts;
      if (result.interrupted) {
        // The journal stays open: resumeInterrupted() (next start, or another replica) finishes the run.
        return await endRun(run, {
          status: 'interrupted',
          ...reasonOf(say('run.interrupted')),
          counts: c,
          outcomes: failed,
        });
      }
      const status = result.stoppedBy ? 'failed' : c.failed > 0 ? 'partial' : 'completed';
      const lagging = await awaitOwnWrites(plan, expected);
      const outcome = result.stoppedBy
        ? say(result.stoppedBy.kind === 'forbidden' ? 'run.stoppedForbidden' : 'run.stopped', {
            message: result.stoppedBy.message,
          })
        : c.failed > 0
          ? say('run.someFailed', { count: c.failed })
          : null;
      const reason =
        outcome && lagging ? say('joined', { first: outcome.message, second: lagging.message }) : (outcome ?? lagging);
      const ended = await endRun(run, { status, ...reasonOf(reason), counts: c, outcomes: failed });
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
  async function awaitOwnWrites(plan: PlanHead, expected: readonly ExpectedWrite[]): Promise<Said | null> {
    const timeoutMs = deps.visibilityTimeoutMs ?? 60_000;
    if (timeoutMs <= 0 || expected.length === 0) return null;
    const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const started = deps.now().getTime();
    let pause = 250;
    for (let check = 1; ; check++) {
      let unseen: UnseenWrite[];
      try {
        // The listing is checked page by page: none of it is gathered.
        const check = listingCheck(expected);
        await deps.reader.eachUser(plan.domain, (users) => check.see(users), {
          listingsInFlight: CHECK_LISTINGS_IN_FLIGHT,
        });
        unseen = check.unseen();
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

  /**
   * Finishes a run of `plan` whose journal is still open, under the domain lease the caller holds; a plan made stale
   * by a settings change since (the pure freshness check) closes the run as refused instead, writing nothing more.
   */
  async function resumeRun(
    run: RunRecord,
    plan: PlanHead,
    found: Configured,
    options: { onProgress?: ProgressListener; onStarted?: (runId: string) => void },
  ): Promise<{ readonly ended: RunRecord; readonly stale: Refusal | null }> {
    const stale = checkPlanFreshness(plan, { writeSettings: await currentWriteSettings(found.settings, found.domain) });
    if (stale) {
      deps.logger.warn({ runId: run.id, reason: stale.reason }, 'not resuming an interrupted run: its plan is stale');
      await deps.journal.markFinished(run.id);
      const ended = await endRun(run, {
        status: 'refused',
        reason: stale.reason,
        reasonMessage: stale.message ?? null,
      });
      return { ended, stale };
    }
    deps.logger.info(
      { runId: run.id, planId: plan.id, domain: plan.domain, was: run.status },
      `resuming an interrupted sync run (it was ${run.status})`,
    );
    const resumed = { ...run, status: 'running' as const, endedAt: null, reason: null };
    return { ended: await writePlan(resumed, plan, options), stale: null };
  }

  return { newRun, endRun, logUnwritten, writePlan, resumeRun };
}
