// A bot replica for the multi-replica test: the real scheduler (SCHEDULER=bullmq) and store on Redis, a recording runner.
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createScheduler, type ScheduledRunner } from '../../src/schedule/index.js';
import { openStore } from '../../src/store/index.js';
import { runRecordFor } from './fixtures.js';

const config = loadConfig();
const logger = createLogger(config.logLevel);
const stores = await openStore(config.storeUrl, { logger });
const recorder = new Redis(config.redisUrl!, { maxRetriesPerRequest: null });
const name = `replica-${process.pid}`;

// Records start and end of every run per domain + slot in Redis, and takes a little while like a real sync.
const runner: ScheduledRunner = {
  async runScheduled(domain, _held, slot) {
    const startedAt = Date.now();
    const key = `${domain}|${slot?.slot ?? ''}`;
    await recorder
      .multi()
      .rpush('test:events', JSON.stringify({ d: domain, s: slot?.slot ?? null, e: 'start', t: startedAt, p: name }))
      .sadd(`test:open:${name}`, key)
      .exec();
    await new Promise((r) => setTimeout(r, 20 + Math.floor(Math.random() * 40)));
    const endedAt = Date.now();
    await recorder
      .multi()
      .rpush('test:events', JSON.stringify({ d: domain, s: slot?.slot ?? null, e: 'end', t: endedAt, p: name }))
      .srem(`test:open:${name}`, key)
      .exec();
    return runRecordFor(domain, startedAt);
  },
};

const scheduler = createScheduler({
  config,
  service: runner,
  stores,
  logger,
  holderId: name,
  concurrency: 20,
  refreshMs: 1000,
});
await scheduler.start();
process.stdout.write(`ready ${name}\n`);

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void (async () => {
    await scheduler.stop();
    await stores.close();
    recorder.disconnect();
    process.exit(0);
  })();
});
