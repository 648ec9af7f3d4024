// Scenario apply-memory: peak RSS of the product's sync process (sqlite store) previewing and applying 100,000 changes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { changeMix } from './dataset.js';
import { measureApply } from './apply-measure.js';
import { startEmulatorProcess } from './emulator-process.js';
import { figure, type Figure } from './report.js';
import { peakRssMb, rssSampler, runScenario } from './scenario-harness.js';

const S = 'apply-memory';

await runScenario(S, async (ctx, partial) => {
  const changes = ctx.quick ? 5000 : 100_000;
  // Memory is the measure here, not time: the budget is compressed hard so 100,000 writes take about a minute.
  const timeScale = 100;
  const latency = { read: 120 / timeScale, write: 250 / timeScale };
  const spec = changeMix(changes, { create: 0.6, update: 0.3, delete: 0.1 });
  // The emulator runs in its own process, so its memory is not counted. This process plays the bot server's sync
  // worker process (src/worker/), which runs both the dry run and the apply; it uses the store a deployment uses
  // (sqlite, the default: `memory://` is for tests and keeps every stored value in this heap, see RESULTS.md).
  const emulator = await startEmulatorProcess({ timeScale, latency, tenantSize: 'large', throttling: true });
  const dir = mkdtempSync(join(tmpdir(), 'bench-apply-memory-'));
  const storeUrl = `sqlite://${join(dir, 'state.sqlite')}`;
  const figures: Figure[] = partial;
  try {
    const sampler = rssSampler(100);
    const m = await measureApply(emulator, spec, timeScale, { ...ctx, storeUrl });
    const phasePeak = sampler.stop();
    ctx.log(`${m.writesApplied} writes in ${(m.applyMs / 1000).toFixed(1)} s; peak RSS ${peakRssMb()} MB`);
    figures.push(
      figure(S, 'peak-rss-mb', peakRssMb(), 300, 'max', { unit: 'MB' }),
      figure(S, 'changes', m.changes, null, 'info'),
      figure(S, 'apply-wall-s', m.applyMs / 1000, null, 'info', { unit: 's' }),
      figure(S, 'sampled-peak-rss-mb', phasePeak, null, 'info', { unit: 'MB' }),
    );
    return {
      settings: {
        changes,
        timeScale,
        latency,
        store: 'sqlite',
        counts: m.run.counts,
        throttled: m.throttled,
        heapUsedMb: Math.round(process.memoryUsage().heapUsed / 1048576),
        emulatorMemory: await emulator.memory(),
      },
      figures,
    };
  } finally {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
