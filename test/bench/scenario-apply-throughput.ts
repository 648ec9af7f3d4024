// Scenario apply-throughput: 10,000 creates and a 60/30/10 mixed plan under the large-tenant write budget, against the
// one-user-per-request baseline on the same emulator settings; plus (full run) a check in real time, uncompressed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type ApplyMeasurement, measureApply, measureBaseline, WRITE_BUDGET } from './apply-measure.js';
import type { BaselineResult } from './baseline-one-per-request.js';
import { changeMix } from './dataset.js';
import { startEmulatorProcess } from './emulator-process.js';
import { type Figure, figure } from './report.js';
import { rateSvg, rateTable } from './rate-report.js';
import { peakRssMb, runScenario, type ScenarioContext } from './scenario-harness.js';

const S = 'apply-throughput';
/** Judged targets (issue 12): share of the write budget kept up from an emptied budget, and the ratio to the baseline. */
const TARGET_SHARE = 97;
const TARGET_RATIO = 4.8;

/** Where the rate plots go: next to the bench JSON (BENCH_OUT, as run.ts writes it). */
function plotPath(name: string): string {
  const json = process.env.BENCH_OUT ?? '.data/bench.json';
  return join(dirname(json), `${basename(json, '.json')}-${S}-${name}-rate.svg`);
}
const MIXES = {
  creates: { create: 1, update: 0, delete: 0 },
  mixed: { create: 0.6, update: 0.3, delete: 0.1 },
} as const;

interface Leg {
  /** Prefix of the figures ('' for the main, compressed run). */
  readonly prefix: string;
  readonly timeScale: number;
  readonly changes: number;
  readonly baselineOps: number;
  readonly mixes: readonly (keyof typeof MIXES)[];
}

/** One emulator, same settings for our apply and for the baseline: measures both and their ratio. */
async function runLeg(ctx: ScenarioContext, leg: Leg, figures: Figure[]): Promise<Record<string, unknown>> {
  const { timeScale } = leg;
  // The emulator compresses the throttling budget by timeScale but not its latency profile: the bench compresses the
  // "realistic" latencies (120 ms reads, 250 ms writes) by the same factor, so the simulated clocks all run faster.
  const latency = { read: 120 / timeScale, write: 250 / timeScale };
  const budget = WRITE_BUDGET.perSecond * timeScale;
  ctx.log(
    `${leg.prefix || 'main'}: timeScale ${timeScale}, budget ${budget} writes/s, latency ${latency.write} ms/write`,
  );
  const emulator = await startEmulatorProcess({ timeScale, latency, tenantSize: 'large', throttling: true });
  const out: Record<string, unknown> = {
    timeScale,
    latency,
    budget,
    changes: leg.changes,
    baselineOps: leg.baselineOps,
  };
  try {
    for (const mix of leg.mixes) {
      const name = `${leg.prefix}${mix}`;
      const m: ApplyMeasurement = await measureApply(emulator, changeMix(leg.changes, MIXES[mix]), timeScale, ctx);
      ctx.log(
        `${name}: ${m.writesApplied} writes at ${m.rate.perSecond.toFixed(1)}/s (budget ${budget}/s); 429s ${m.throttled}/${m.writeRequests}`,
      );
      ctx.log(`${name}: the write-rate controller over the apply (applied = counted by Graph, the emulator):`);
      for (const line of rateTable(m.pace, budget)) ctx.log(`  ${line}`);
      const svg = plotPath(name);
      mkdirSync(dirname(svg), { recursive: true });
      writeFileSync(
        svg,
        rateSvg(m.pace, budget, `${name}: ${leg.changes} changes from an emptied write budget, time ×${timeScale}`),
      );
      ctx.log(`${name}: rate plot written to ${svg}`);
      const judged = !m.rate.burstOnly;
      const note = m.rate.burstOnly
        ? 'too short a run for a steady state (smoke only): overall rate'
        : `${m.rate.windowWrites} writes in ${(m.rate.windowMs / 1000).toFixed(1)} s after the budget was emptied (refill credit before the first write not counted)`;
      const b: BaselineResult = await measureBaseline(emulator, changeMix(leg.baselineOps, MIXES[mix]));
      if (b.failed > 0) ctx.log(`baseline ${name}: ${b.failed} failed: ${b.errors.join(' | ')}`);
      ctx.log(
        `baseline-one-per-request ${name}: ${b.ok} ok in ${(b.elapsedMs / 1000).toFixed(1)} s = ${b.perSecond.toFixed(1)}/s`,
      );
      figures.push(
        // A run too short for a steady state (--quick) is reported, not judged.
        figure(
          S,
          `${name}-sustained-budget-share`,
          (m.rate.perSecond / budget) * 100,
          judged ? TARGET_SHARE : null,
          judged ? 'min' : 'info',
          {
            unit: '%',
            note,
          },
        ),
        figure(S, `${name}-429-share`, (m.throttled / Math.max(1, m.writeRequests)) * 100, 1, 'max', { unit: '%' }),
        figure(
          S,
          `${name}-ratio-vs-baseline`,
          m.rate.perSecond / b.perSecond,
          judged ? TARGET_RATIO : null,
          judged ? 'min' : 'info',
          {
            unit: 'x',
          },
        ),
        figure(S, `${name}-writes-per-s`, m.rate.perSecond, null, 'info', {
          note: `×${timeScale} time; real-time equivalent ${(m.rate.perSecond / timeScale).toFixed(2)}/s`,
        }),
        figure(S, `${name}-baseline-one-per-request-writes-per-s`, b.perSecond, null, 'info'),
        figure(S, `${name}-apply-wall-s`, m.applyMs / 1000, null, 'info', { unit: 's' }),
      );
      out[mix] = {
        counts: m.run.counts,
        rate: m.rate,
        pace: m.pace,
        plot: svg,
        throttled: m.throttled,
        writeRequests: m.writeRequests,
        baseline: b,
      };
    }
    out.emulatorMemory = await emulator.memory();
    return out;
  } finally {
    await emulator.close();
  }
}

await runScenario(S, async (ctx, partial) => {
  const legs: Leg[] = ctx.quick
    ? [{ prefix: '', timeScale: 40, changes: 1000, baselineOps: 50, mixes: ['creates', 'mixed'] }]
    : [
        { prefix: '', timeScale: 20, changes: 10_000, baselineOps: 1000, mixes: ['creates', 'mixed'] },
        // Uncompressed: about a minute at Graph's real 20 writes/s (after the budget is emptied).
        { prefix: 'realtime-', timeScale: 1, changes: 1300, baselineOps: 100, mixes: ['creates'] },
      ];
  const settings: Record<string, unknown> = { tenantSize: 'large' };
  for (const leg of legs) settings[leg.prefix || 'main'] = await runLeg(ctx, leg, partial);
  partial.push(figure(S, 'peak-rss-mb', peakRssMb(), null, 'info', { unit: 'MB' }));
  return { settings, figures: partial };
});
