// An hourly slot (BullMQ driver on a real Redis) waits out a dead holder's lease whatever its length, gives up on a live one.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { slotWaitMs } from '../../src/schedule/bullmq-driver.js';
import { createScheduler, domainOffsetMs, type Scheduler, slotAt, slotTime } from '../../src/schedule/index.js';
import { openStore, type Stores } from '../../src/store/index.js';
import { syncLeaseName } from '../../src/sync/service-interface.js';
import { keepRenewing } from '../../src/sync/service/lease-renewal.js';
import { redisServerAvailable, type RedisServer, startRedisServer } from '../store/redis-server.js';
import { recordingRunner, settingsFor } from './fixtures.js';

// The scheduler's own lease is short (1 s), so its wait for a busy domain is 2 × 1 s + 0.5 s stalled interval = 2.5 s.
const LEASE_MS = 1000;
const WAIT_LIMIT_MS = slotWaitMs(LEASE_MS);
const INTERVAL_S = 5;
const INTERVAL_MS = INTERVAL_S * 1000;
const logger = createLogger('silent');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

const hasRedis = redisServerAvailable();
if (!hasRedis) console.warn('redis-server is not installed: the held-lease scheduler test is skipped');

describe.skipIf(!hasRedis)('an hourly slot finding its domain held (BullMQ on Redis)', { timeout: 60_000 }, () => {
  let redis: RedisServer;
  let stores: Stores;
  const schedulers: Scheduler[] = [];
  const domains: string[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    stores = await openStore(redis.url);
  });
  afterEach(async () => {
    for (const s of schedulers.splice(0)) await s.stop();
    // The store is shared: the next test's replica leaves this one's domain alone.
    for (const d of domains.splice(0)) await stores.settings.put(settingsFor(d, { periodic: false }));
  });
  afterAll(async () => {
    await stores?.close();
    await redis?.stop();
  });

  /** Enables periodic sync for a new domain and starts one replica; `first` is the slot it runs first, at `at`. */
  async function start(prepare: (domain: string, at: number) => Promise<void>) {
    const domain = `${randomUUID().slice(0, 8)}.held.example.jp`;
    domains.push(domain);
    const enabledAt = Date.now();
    await stores.settings.put(settingsFor(domain, { updatedAt: new Date(enabledAt).toISOString() }));
    const offset = domainOffsetMs(domain, INTERVAL_MS);
    const first = slotAt(enabledAt, INTERVAL_MS, offset) + 1;
    const at = slotTime(first, INTERVAL_MS, offset);
    await prepare(domain, at);
    const rec = recordingRunner(Date.now);
    // The store is shared by the tests: each replica counts only its own domain's runs.
    const runsOf = (slot: number) => rec.calls.filter((c) => c.domain === domain && c.slot === slot);
    const config = loadConfig({ DEMO: 'true', STORE_URL: redis.url, REDIS_URL: redis.url });
    const scheduler = createScheduler({
      config,
      service: rec.runner,
      stores,
      logger,
      mode: 'bullmq',
      queueName: `held-${domain}`,
      intervalSeconds: INTERVAL_S,
      leaseMs: LEASE_MS,
      holderId: 'survivor',
      refreshMs: 200,
    });
    schedulers.push(scheduler);
    await scheduler.start();
    /** Waits until the slot has an outcome (or `until` passes) and returns it. */
    const outcomeOf = async (slot: number, until: number) => {
      for (;;) {
        const found = scheduler.history.find((h) => h.domain === domain && h.slot === slot);
        if (found || Date.now() > until) return found?.outcome ?? null;
        await sleep(50);
      }
    };
    return { first, at, runsOf, outcomeOf };
  }

  it('runs the slot once the lease of a holder that died runs out, even a lease longer than its own wait', async () => {
    // A process with a longer lease (another SYNC_LEASE_TTL_SECONDS, e.g. a CLI apply) took the domain and was killed:
    // its lease outlives the slot's own wait (2.5 s past the slot) by seconds, and nobody renews or releases it.
    let expiresAt = 0;
    const { first, at, runsOf, outcomeOf } = await start(async (domain, slotAtMs) => {
      const ttl = slotAtMs - Date.now() + WAIT_LIMIT_MS + 2500;
      const before = Date.now();
      const dead = await stores.leases.acquire(syncLeaseName(domain), 'killed-cli', ttl);
      expect(dead.acquired).toBe(true);
      expiresAt = before + ttl;
    });
    const outcome = await outcomeOf(first, expiresAt + WAIT_LIMIT_MS + 15_000);
    expect(outcome?.kind).toBe('ran');
    const runs = runsOf(first);
    expect(runs).toHaveLength(1);
    // Never while the dead holder's lease was there, and after the slot's time.
    expect(runs[0]!.startedAt).toBeGreaterThanOrEqual(expiresAt);
    expect(runs[0]!.startedAt).toBeGreaterThanOrEqual(at);
  });

  it('gives the slot up while a live holder keeps renewing past the wait, and runs the next one after it let go', async () => {
    // A live Sync now holds the domain from before the slot until 8 s after it, renewing a 3 s lease every second.
    let releasedAt = 0;
    let stopRenewing = () => {};
    let release: Promise<void> = Promise.resolve();
    const { first, at, runsOf, outcomeOf } = await start(async (domain, slotAtMs) => {
      const live = await stores.leases.acquire(syncLeaseName(domain), 'sync-now', 3000);
      if (!live.acquired) throw new Error('the domain was already held');
      stopRenewing = keepRenewing(live.lease, 3000, logger, { domain });
      release = sleep(slotAtMs + 8000 - Date.now()).then(async () => {
        stopRenewing();
        await live.lease.release();
        releasedAt = Date.now();
      });
    });
    try {
      // The slot waits 2.5 s past the end of the lease it found (at most 3 s after the slot), then gives up.
      const outcome = await outcomeOf(first, at + 3000 + WAIT_LIMIT_MS + 15_000);
      expect(outcome).toMatchObject({ kind: 'busy', heldBy: 'sync-now' });
      expect(releasedAt, 'the slot was given up only after the holder let go').toBe(0);
      // The next slot (5 s later) finds the same holder, waits, and runs once it let go.
      const next = await outcomeOf(first + 1, at + INTERVAL_MS + 3000 + WAIT_LIMIT_MS + 15_000);
      expect(next?.kind).toBe('ran');
    } finally {
      await release;
    }
    expect(runsOf(first)).toHaveLength(0);
    const runs = runsOf(first + 1);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.startedAt).toBeGreaterThanOrEqual(releasedAt);
  });
});
