// Child program running the product's bot server (startApp, scheduler off; syncs in its sync worker process unless
// SYNC_WORKER=inline) for bot-latency, apart from the simulated admins and the recording Bot Connector, as Teams would
// be. Usage: node dist/test/bench/bot-host.js (built by `npm run bench`)
// '<{"env":{…},"spec":{…}}>'; prints {"url":…} when listening, then answers JSON commands on stdin, one per line:
// {"id":1,"cmd":"preview"} → {planId, planHash}; {"id":2,"cmd":"lastRun"} → {status};
// {"id":3,"cmd":"memory"} → {peakRssMb, workerPeakRssMb}.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { loadConfig } from '../../src/config.js';
import { startApp } from '../../src/index.js';
import { createLogger } from '../../src/logger.js';
import { isRefusal } from '../../src/sync/service-interface.js';
import { prepareDomain } from './bench-engine.js';
import { type DatasetSpec, sourceUsers } from './dataset.js';

interface HostRequest {
  readonly env: Record<string, string>;
  readonly spec: DatasetSpec;
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '{}') as HostRequest;
  const config = loadConfig(request.env);
  const app = await startApp(config, { scheduler: false, playgroundPort: null, logger: createLogger(config.logLevel) });
  const domain = request.spec.domain;
  await prepareDomain(app.engine, domain, sourceUsers(request.spec), 50);
  const reply = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
  reply({ url: app.bot.url });
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    const command = JSON.parse(line) as { id: number; cmd: string };
    const answer = async (): Promise<Record<string, unknown>> => {
      switch (command.cmd) {
        case 'preview': {
          const plan = await app.service.preview(domain, { requestedBy: 'bench approver' });
          if (isRefusal(plan)) throw new Error(`preview refused: ${plan.reason}`);
          return { planId: plan.id, planHash: plan.hash, counts: plan.counts };
        }
        case 'lastRun': {
          const [run] = await app.service.listRuns({ domain, limit: 1 });
          return { status: run?.status ?? null, counts: run?.counts ?? null };
        }
        case 'memory': {
          // The sync worker is a child process: its peak (VmHWM) is read while it still runs.
          const pid = app.syncWorker?.child()?.pid;
          const hwm = pid ? /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] : undefined;
          return {
            peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
            workerPeakRssMb: hwm ? Math.round(Number(hwm) / 1024) : null,
          };
        }
        default:
          throw new Error(`unknown command ${command.cmd}`);
      }
    };
    answer().then(
      (value) => reply({ id: command.id, ok: true, ...value }),
      (err: unknown) => reply({ id: command.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
    );
  });
  lines.on('close', () => {
    app.close().finally(() => process.exit(0));
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`bot-host: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
