// Scenario apply-throughput: 10,000 creates and a 60/30/10 mixed plan under the large-tenant write budget, against the
// one-user-per-request baseline on the same emulator settings.
import { changeMix } from './dataset.js';
import { type ApplyMeasurement, measureApply, measureBaseline, WRITE_BUDGET } from './apply-measure.js';
import { startEmulatorProcess } from './emulator-process.js';
import { figure, type Figure } from './report.js';
import { peakRssMb, runScenario } from './scenario-harness.js';

const S = 'apply-throughput';

await runScenario(S, async (ctx, partial) => {
  const timeScale = ctx.quick ? 40 : 20;
  const changes = ctx.quick ? 5000 : 10_000;
  const baselineOps = ctx.quick ? 200 : 1000;
  // The emulator compresses the throttling budget by timeScale but not its latency profile: the bench compresses the
  // "realistic" latencies (120 ms reads, 250 ms writes) by the same factor, so every clock runs timeScale× faster.
  const latency = { read: 120 / timeScale, write: 250 / timeScale };
  const budget = WRITE_BUDGET.perSecond * timeScale;
  const settings = {
    timeScale,
    changes,
    baselineOps,
    latency,
    tenantSize: 'large',
    budgetWritesPerScaledSecond: budget,
  };
  ctx.log(`timeScale ${timeScale}: budget ${budget} writes/s, latency ${latency.read} ms / ${latency.write} ms`);
  const emulator = await startEmulatorProcess({ timeScale, latency, tenantSize: 'large', throttling: true });
  const figures: Figure[] = partial;
  try {
    const applied = (name: string, m: ApplyMeasurement) => {
      ctx.log(
        `${name}: ${m.writesApplied} writes, sustained ${m.rate.perSecond.toFixed(1)}/s over ${m.rate.windowWrites} writes, ` +
          `overall ${m.rate.overallPerSecond.toFixed(1)}/s, 429s ${m.throttled}, apply ${(m.applyMs / 1000).toFixed(1)} s`,
      );
      figures.push(
        figure(S, `${name}-sustained-budget-share`, (m.rate.perSecond / budget) * 100, 95, 'min', { unit: '%' }),
        figure(S, `${name}-429-share`, (m.throttled / Math.max(1, m.writeRequests)) * 100, 1, 'max', { unit: '%' }),
        figure(S, `${name}-sustained-writes-per-s`, m.rate.perSecond, null, 'info', {
          note: `scaled ×${timeScale}; real-time equivalent ${(m.rate.perSecond / timeScale).toFixed(2)}/s`,
        }),
        figure(S, `${name}-apply-wall-s`, m.applyMs / 1000, null, 'info'),
      );
    };
    const creates = await measureApply(emulator, changeMix(changes, { create: 1, update: 0, delete: 0 }), ctx);
    applied('creates', creates);
    const mixed = await measureApply(emulator, changeMix(changes, { create: 0.6, update: 0.3, delete: 0.1 }), ctx);
    applied('mixed', mixed);

    ctx.log(`baseline-one-per-request: ${baselineOps} creates, then ${baselineOps} mixed, one at a time`);
    const baseCreates = await measureBaseline(emulator, changeMix(baselineOps, { create: 1, update: 0, delete: 0 }));
    const baseMixed = await measureBaseline(
      emulator,
      changeMix(baselineOps, { create: 0.6, update: 0.3, delete: 0.1 }),
    );
    for (const [name, b] of [
      ['creates', baseCreates],
      ['mixed', baseMixed],
    ] as const) {
      if (b.failed > 0) ctx.log(`baseline ${name}: ${b.failed} failed: ${b.errors.join(' | ')}`);
      ctx.log(`baseline ${name}: ${b.ok} ok in ${(b.elapsedMs / 1000).toFixed(1)} s = ${b.perSecond.toFixed(1)}/s`);
    }
    figures.push(
      figure(S, 'baseline-one-per-request-creates-writes-per-s', baseCreates.perSecond, null, 'info'),
      figure(S, 'baseline-one-per-request-mixed-writes-per-s', baseMixed.perSecond, null, 'info'),
      figure(S, 'creates-ratio-vs-baseline', creates.rate.perSecond / baseCreates.perSecond, 4.5, 'min', { unit: 'x' }),
      figure(S, 'mixed-ratio-vs-baseline', mixed.rate.perSecond / baseMixed.perSecond, 4.5, 'min', { unit: 'x' }),
      // The baseline pays our client's CPU per request uncompressed while the network wait is compressed, which slows
      // it; against the pure latency bound (one write per write-latency) the ratio is the conservative one.
      figure(S, 'creates-ratio-vs-latency-bound', creates.rate.perSecond / (1000 / latency.write), null, 'info', {
        unit: 'x',
      }),
      figure(S, 'peak-rss-mb', peakRssMb(), null, 'info', { unit: 'MB' }),
    );
    return {
      settings: {
        ...settings,
        creates: { counts: creates.run.counts, rate: creates.rate, throttled: creates.throttled },
        mixed: { counts: mixed.run.counts, rate: mixed.rate, throttled: mixed.throttled },
        baseline: { creates: baseCreates, mixed: baseMixed },
        emulatorMemory: await emulator.memory(),
      },
      figures,
    };
  } finally {
    await emulator.close();
  }
});
