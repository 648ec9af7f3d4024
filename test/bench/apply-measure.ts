// Applies one dataset's plan through the product (preview → apply) against a bench emulator and measures the writes.
import type { Plan, RunRecord } from '../../src/sync/model.js';
import { isRefusal } from '../../src/sync/service-interface.js';
import { planToWriteOps } from '../../src/sync/write-ops.js';
import { type BaselineResult, runBaselineOnePerRequest } from './baseline-one-per-request.js';
import { createBenchEngine, prepareDomain } from './bench-engine.js';
import { drainWriteBudget } from './drain-budget.js';
import { changeCount, type DatasetSpec, sourceUsers } from './dataset.js';
import type { EmulatorProcess } from './emulator-process.js';
import { type RatePoint, ratePoints } from './rate-report.js';
import { sampleWrites, type SustainedRate, sustainedRate } from './write-rate.js';

/** Graph's write budget per app and tenant: 3,000 writes per 150 s; the bucket starts full. */
export const WRITE_BUDGET = { capacity: 3000, perSecond: 20 } as const;

export interface ApplyMeasurement {
  readonly changes: number;
  readonly run: RunRecord;
  readonly previewMs: number;
  /** apply() from call to return (re-read of both sides + writes). */
  readonly applyMs: number;
  readonly rate: SustainedRate;
  /** Write requests (batch items) the emulator answered 429, and all write requests it saw. */
  readonly throttled: number;
  readonly writeRequests: number;
  readonly writesApplied: number;
  /** The write-rate controller's pace beside the applied rate, in steps over the apply. */
  readonly pace: RatePoint[];
}

/** Loads `spec` into the emulator, previews and applies it with the product engine, sampling the emulator's writes. */
export async function measureApply(
  emulator: EmulatorProcess,
  spec: DatasetSpec,
  timeScale: number,
  options: { log: (m: string) => void; onPlan?: (plan: Plan) => void; storeUrl?: string } = { log: () => {} },
): Promise<ApplyMeasurement> {
  await emulator.load(spec);
  const engine = await createBenchEngine(emulator.info, options.storeUrl ? { storeUrl: options.storeUrl } : {});
  try {
    await prepareDomain(engine, spec.domain, sourceUsers(spec), 50);
    const p0 = performance.now();
    // Only the plan's id and hash are kept (as the approval card does): the plan itself stays in the store.
    const { planId, planHash, planned, counts } = await (async () => {
      const plan = await engine.service.preview(spec.domain, { requestedBy: 'bench' });
      if (isRefusal(plan)) throw new Error(`preview refused: ${plan.reason}`);
      options.onPlan?.(plan);
      const c = plan.counts;
      return { planId: plan.id, planHash: plan.hash, planned: c.add + c.update + c.delete, counts: c };
    })();
    const previewMs = performance.now() - p0;
    if (planned !== changeCount(spec))
      throw new Error(
        `the plan has ${planned} changes, the dataset ${changeCount(spec)} (counts ${JSON.stringify(counts)})`,
      );
    options.log(`applying ${planned} changes (${JSON.stringify(counts)})`);
    // Start from an empty write budget: the whole apply then runs at the pace the budget allows.
    const drainBatches = await drainWriteBudget(engine.entra.graph);
    options.log(`write budget emptied first (${drainBatches} batches of 20 charged writes, ×${timeScale} time)`);
    const before = await emulator.stats();
    const samplesStart = Date.now();
    const sampler = sampleWrites(emulator, 100);
    const a0 = performance.now();
    const applyStart = Date.now();
    const run = await engine.service.apply(planId, planHash, { trigger: 'cli', approvedBy: 'bench' });
    const applyMs = performance.now() - a0;
    const applyEnd = Date.now();
    const samples = await sampler.stop();
    const controller = engine.entra.graph.pacer?.writes;
    const applySeconds = (applyEnd - applyStart) / 1000;
    // About 15 to 30 steps whatever the length of the apply.
    const stepS = Math.max(1, Math.ceil(applySeconds / 30));
    const pace = controller
      ? ratePoints(controller.timeline(), controller.startedAt, samples, samplesStart, applyStart, applyEnd, stepS)
      : [];
    const after = await emulator.stats();
    if (isRefusal(run)) throw new Error(`apply refused: ${run.reason}`);
    const failed = run.outcomes.filter((o) => o.result !== 'done');
    if (run.status !== 'completed')
      throw new Error(
        `the run ended ${run.status} (${run.reason}); first failures: ${JSON.stringify(failed.slice(0, 3))}`,
      );
    const throttled = after.throttled - before.throttled;
    const writesApplied = after.writes - before.writes;
    const writeRequests = after.writeRequests - before.writeRequests;
    return {
      changes: planned,
      run,
      previewMs,
      applyMs,
      rate: sustainedRate(samples, { capacity: WRITE_BUDGET.capacity, perSecond: WRITE_BUDGET.perSecond * timeScale }),
      throttled,
      writeRequests,
      writesApplied,
      pace,
    };
  } finally {
    await engine.close();
  }
}

/** Loads `spec`, computes the same write operations the product would send, and sends them the baseline way. */
export async function measureBaseline(emulator: EmulatorProcess, spec: DatasetSpec): Promise<BaselineResult> {
  await emulator.load(spec);
  const engine = await createBenchEngine(emulator.info);
  try {
    await prepareDomain(engine, spec.domain, sourceUsers(spec), 50);
    const plan = await engine.service.preview(spec.domain, { requestedBy: 'bench' });
    if (isRefusal(plan)) throw new Error(`preview refused: ${plan.reason}`);
    const ops = planToWriteOps(plan, 'Federated');
    return await runBaselineOnePerRequest(ops, {
      graphBaseUrl: emulator.info.graphBaseUrl,
      getAccessToken: () => engine.entra.credential.getToken(),
      ...(emulator.caPem ? { caPem: emulator.caPem } : {}),
    });
  } finally {
    await engine.close();
  }
}
