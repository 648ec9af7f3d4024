// A fresh product process for one measured action (preview + plan CSV, or an hourly run), so its peak RSS is the
// product's alone. Usage: node dist/test/bench/product-worker.js '<WorkerRequest JSON>' (as `npm run bench` builds and
// runs it); prints one JSON line.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { planCsvChunks } from '../../src/sync/plan-csv.js';
import { isRefusal } from '../../src/sync/service-interface.js';
import { createBenchEngine } from './bench-engine.js';
import type { WorkerReply, WorkerRequest } from './worker-process.js';

async function writeCsv(chunks: Iterable<string>, path: string): Promise<number> {
  const out = createWriteStream(path);
  let bytes = 0;
  for (const chunk of chunks) {
    bytes += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return bytes;
}

async function main(): Promise<WorkerReply> {
  const request = JSON.parse(process.argv[2] ?? '{}') as WorkerRequest;
  const t0 = performance.now();
  const engine = await createBenchEngine(request.info, { storeUrl: request.storeUrl });
  const phases: Record<string, number> = {};
  let mark = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    phases[name] = Math.round(now - mark);
    mark = now;
  };
  lap('start');
  try {
    if (request.action === 'preview') {
      const started = performance.now();
      let lastPhase = 'start';
      const plan = await engine.service.preview(request.domain, {
        requestedBy: 'bench',
        onProgress: (p) => {
          if (p.phase !== lastPhase) {
            lap(lastPhase === 'start' ? 'preview-setup' : lastPhase);
            lastPhase = p.phase;
          }
        },
      });
      lap(lastPhase);
      if (isRefusal(plan)) throw new Error(`preview refused: ${plan.reason}`);
      const csvBytes = await writeCsv(planCsvChunks(plan), request.csvPath ?? '/dev/null');
      lap('csv');
      return {
        ok: true,
        wallMs: Math.round(performance.now() - started),
        phases,
        counts: plan.counts as unknown as Record<string, number>,
        csvBytes,
        peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      };
    }
    const started = performance.now();
    const run = await engine.service.runScheduled(request.domain);
    lap('runScheduled');
    if (isRefusal(run)) throw new Error(`scheduled run refused: ${run.reason}`);
    return {
      ok: true,
      wallMs: Math.round(performance.now() - started),
      phases,
      counts: { ...(run.planCounts as unknown as Record<string, number>), ...run.counts },
      status: run.status,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  } finally {
    await engine.close();
    phases.total = Math.round(performance.now() - t0);
  }
}

main().then(
  (reply) => {
    process.stdout.write(`${JSON.stringify(reply)}\n`);
    process.exit(0);
  },
  (err: unknown) => {
    process.stdout.write(`${JSON.stringify({ ok: false, error: err instanceof Error ? err.message : String(err) })}\n`);
    process.exit(1);
  },
);
