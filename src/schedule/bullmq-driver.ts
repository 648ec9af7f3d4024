// Periodic sync across replicas: one BullMQ job scheduler per enabled domain, a worker on every replica.
import { Queue, Worker, type Job, type RedisOptions } from 'bullmq';
import type { Logger } from '../logger.js';
import { describe, type SlotResult, type SlotRunner } from './slot-runner.js';
import { slotAt, slotOfScheduledTime, slotTime } from './slots.js';

export interface BullmqDriverOptions {
  readonly redisUrl: string;
  readonly queueName: string;
  readonly intervalMs: number;
  readonly leaseMs: number;
  readonly concurrency: number;
  readonly offsetFor: (domain: string) => number;
  readonly slots: SlotRunner;
  readonly logger: Logger;
  readonly clock: () => number;
  readonly onOutcome: (domain: string, slot: number, result: SlotResult) => void;
}

export interface BullmqDriver {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Makes sure the domain has a job scheduler with this interval; its first job is the slot after `floorSlot`/now. */
  ensureScheduled(domain: string, floorSlot: number | null): Promise<void>;
  unschedule(domain: string): Promise<void>;
  /** Throws unless the queue's Redis connection answers PING and the worker runs (readiness). */
  ping(): Promise<void>;
}

interface JobData {
  readonly domain: string;
  /** Set on a catch-up job (a slot missed between enabling and scheduling); scheduler jobs derive it from their time. */
  readonly slot?: number;
}

export const schedulerIdFor = (domain: string): string => `sync-${domain}`;

/** How often BullMQ looks for jobs whose worker died (their lock, lockDuration = the lease, expired). */
export const stalledIntervalFor = (leaseMs: number): number => Math.max(500, Math.floor(leaseMs / 2));

/**
 * By when, after a replica dies, its in-flight slot jobs are waiting again for another replica: their lock expires (one
 * lease after its last renewal) and the next stalled check finds them unlocked; one more check allows for timer drift.
 */
export const takeoverWithinMs = (leaseMs: number): number => leaseMs + 2 * stalledIntervalFor(leaseMs);

/**
 * How long a slot waits for its busy domain, counted from the latest of its time, its pick-up and the end of each
 * holder's lease as first found: a dead replica's lease never outlasts that end, whatever its time to live, since only a
 * live holder renews it. A run still going after the wait makes the slot skip (never two runs of a domain at a time).
 */
export const slotWaitMs = (leaseMs: number): number => 2 * leaseMs + stalledIntervalFor(leaseMs);

/** ioredis options from a redis:// or rediss:// URL (BullMQ workers need maxRetriesPerRequest null). */
export function redisOptionsFromUrl(url: string): RedisOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error('REDIS_URL: not a URL (expected redis://[user:password@]host:port[/db])');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new Error(`REDIS_URL: must start with redis:// or rediss:// (got ${u.protocol})`);
  const db = u.pathname.replace(/^\//, '');
  return {
    host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
}

/** The scheduled time a scheduler job stands for: the millis in its id `repeat:<schedulerId>:<millis>`. */
function scheduledMillis(job: Job<JobData>): number {
  const tail =
    String(job.id ?? '')
      .split(':')
      .pop() ?? '';
  const fromId = Number(tail);
  if (Number.isFinite(fromId) && tail !== '') return fromId;
  return job.timestamp + (job.opts.delay ?? 0);
}

/** How long stop() waits for BullMQ to close gracefully before it drops the connection. */
const CLOSE_LIMIT_MS = 5000;

async function closeBounded(
  part: { close(): Promise<void>; disconnect(): Promise<void> },
  what: string,
  logger: Logger,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), CLOSE_LIMIT_MS);
  });
  const outcome = await Promise.race([part.close().then(() => 'closed' as const), late]);
  clearTimeout(timer);
  if (outcome === 'late') {
    logger.warn(
      { part: what },
      `the BullMQ ${what} did not close within ${CLOSE_LIMIT_MS / 1000} s (Redis unreachable?); disconnecting`,
    );
    await Promise.race([part.disconnect().catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
  }
}

export function createBullmqDriver(options: BullmqDriverOptions): BullmqDriver {
  const { queueName, intervalMs, leaseMs, concurrency, offsetFor, slots, logger, clock } = options;
  const connection = redisOptionsFromUrl(options.redisUrl);
  const stalledInterval = stalledIntervalFor(leaseMs);
  const waitLimitMs = slotWaitMs(leaseMs);
  const retryMs = Math.min(1000, Math.max(100, Math.floor(leaseMs / 4)));
  let stopping = false;
  let queue: Queue<JobData> | null = null;
  let worker: Worker<JobData> | null = null;
  const confirmed = new Map<string, number>();
  // Finished jobs are kept a while: their ids are what makes a slot's job unique.
  const jobOpts = {
    removeOnComplete: { age: Math.max(3600, Math.ceil((4 * intervalMs) / 1000)), count: 50_000 },
    removeOnFail: { age: 7 * 86_400 },
    // A store error before the run is retried; the run itself never throws (its failures are outcomes).
    attempts: 3,
    backoff: { type: 'exponential', delay: 1000 },
  };

  async function processJob(job: Job<JobData>): Promise<string> {
    const domain = job.data.domain;
    const offset = offsetFor(domain);
    const slot = job.data.slot ?? slotOfScheduledTime(scheduledMillis(job), intervalMs, offset);
    let deadline = Math.max(slotTime(slot, intervalMs, offset), clock()) + waitLimitMs;
    const holdersSeen = new Set<string>();
    for (;;) {
      const askedAt = clock();
      const result = await slots.runSlot(domain, slot);
      const outcome = result.outcome;
      if (outcome.kind === 'busy' && !holdersSeen.has(outcome.heldBy)) {
        holdersSeen.add(outcome.heldBy);
        if (outcome.expiresInMs !== null) deadline = Math.max(deadline, clock() + outcome.expiresInMs + waitLimitMs);
      }
      // Only an attempt asked at or after the deadline gives the slot up, not a busy answer that came back late (a
      // loaded machine): the domain was still held after the wait, by a live holder.
      if (outcome.kind !== 'busy' || askedAt >= deadline || stopping) {
        options.onOutcome(domain, slot, result);
        if (outcome.kind === 'busy')
          logger.warn({ domain, slot, heldBy: outcome.heldBy }, 'scheduled slot given up: the domain stayed busy');
        return outcome.kind === 'skipped' ? `skipped:${outcome.reason}` : outcome.kind;
      }
      await new Promise((r) => setTimeout(r, retryMs));
    }
  }

  return {
    async start() {
      stopping = false;
      queue = new Queue<JobData>(queueName, { connection });
      queue.on('error', (err) => logger.warn({ err: describe(err) }, 'schedule queue error'));
      worker = new Worker<JobData>(queueName, processJob, {
        connection,
        concurrency,
        lockDuration: leaseMs,
        stalledInterval,
        maxStalledCount: 5,
      });
      worker.on('error', (err) => logger.warn({ err: describe(err) }, 'schedule worker error'));
      worker.on('failed', (job, err) =>
        logger.error({ domain: job?.data.domain, jobId: job?.id, err: describe(err) }, 'scheduled job failed'),
      );
      const existing = await queue.getJobSchedulers(0, -1);
      for (const s of existing) {
        const domain = s.key.startsWith('sync-') ? s.key.slice('sync-'.length) : null;
        if (domain && s.every === intervalMs) confirmed.set(domain, intervalMs);
      }
    },
    async stop() {
      stopping = true;
      // close() waits for Redis to answer; with Redis gone it would wait for ever: give up on it after a while.
      if (worker) await closeBounded(worker, 'worker', logger);
      if (queue) await closeBounded(queue, 'queue', logger);
      worker = null;
      queue = null;
    },
    async ensureScheduled(domain, floorSlot) {
      if (!queue) throw new Error('BullMQ scheduler not started');
      if (confirmed.get(domain) === intervalMs) return;
      const offset = offsetFor(domain);
      // The clock is read here, not at the start of the pass: upserting hundreds of domains takes a while.
      const current = slotAt(clock(), intervalMs, offset);
      const first = Math.max(floorSlot ?? Number.NEGATIVE_INFINITY, current) + 1;
      if (floorSlot !== null && current > floorSlot) {
        // A slot passed after enabling and before this scheduler existed: run it once now (one job id per slot).
        await queue.add(
          'catch-up-sync',
          { domain, slot: current },
          { jobId: `catchup-${domain}-${current}`, ...jobOpts },
        );
      }
      await queue.upsertJobScheduler(
        schedulerIdFor(domain),
        { every: intervalMs, offset, startDate: new Date(slotTime(first, intervalMs, offset)) },
        {
          name: 'scheduled-sync',
          data: { domain },
          opts: jobOpts,
        },
      );
      confirmed.set(domain, intervalMs);
      logger.info({ domain, offsetMs: offset }, 'periodic sync scheduled');
    },
    async ping() {
      if (!queue || !worker) throw new Error('the BullMQ worker is not started');
      if (!worker.isRunning()) throw new Error('the BullMQ worker is not running');
      const client = await queue.client;
      if (client.status !== 'ready') throw new Error(`the Redis connection is ${client.status}`);
      const answer = await (client as unknown as { ping(): Promise<string> }).ping();
      if (answer !== 'PONG') throw new Error(`Redis answered ${String(answer).slice(0, 40)} to PING`);
    },
    async unschedule(domain) {
      if (!queue) return;
      confirmed.delete(domain);
      await queue.removeJobScheduler(schedulerIdFor(domain));
      logger.info({ domain }, 'periodic sync unscheduled');
    },
  };
}
