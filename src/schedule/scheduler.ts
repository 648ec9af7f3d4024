// The periodic sync scheduler: each enabled domain once per interval at its own offset, in-process or through BullMQ.
// Over 300 lines but kept whole: the local queue, the BullMQ driver's upkeep and the status report share one state (the
// enabled domains and their slot states), which a split would have to expose; the types are in scheduler-contract.ts.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { Cron } from 'croner';
import type { DomainSettings } from '../sync/model.js';
import { createBullmqDriver, type BullmqDriver } from './bullmq-driver.js';
import { createRetention } from './retention.js';
import type { Scheduler, SchedulerOptions, TickReport } from './scheduler-contract.js';
import {
  createSlotRunner,
  describe,
  isEnabled,
  type ScheduleState,
  type SlotOutcome,
  type SlotResult,
  type StateStore,
} from './slot-runner.js';
import { domainOffsetMs, slotAt, slotTime } from './slots.js';

const HISTORY_LIMIT = 1000;

export function createScheduler(options: SchedulerOptions): Scheduler {
  const { stores, logger } = options;
  const clock = options.clock ?? Date.now;
  const mode = options.mode ?? options.config.scheduler;
  const intervalSeconds = options.intervalSeconds ?? options.config.syncIntervalSeconds;
  if (!Number.isFinite(intervalSeconds) || intervalSeconds <= 0)
    throw new Error(`intervalSeconds must be a positive number (got ${intervalSeconds})`);
  const intervalMs = Math.round(intervalSeconds * 1000);
  const leaseMs =
    options.leaseMs ??
    (options.config.syncLeaseTtlSeconds
      ? options.config.syncLeaseTtlSeconds * 1000
      : Math.min(60_000, Math.max(2_000, intervalMs)));
  const refreshMs = options.refreshMs ?? 5_000;
  const holderId = options.holderId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const concurrency = options.concurrency ?? (mode === 'bullmq' ? 8 : 4);

  const offsets = new Map<string, number>();
  const offsetFor = (domain: string): number => {
    let o = offsets.get(domain);
    if (o === undefined) {
      o = domainOffsetMs(domain, intervalMs);
      offsets.set(domain, o);
    }
    return o;
  };

  const state = stores.kv<ScheduleState>('schedule') as StateStore;
  const slots = createSlotRunner({
    runner: options.service,
    settings: stores.settings,
    leases: stores.leases,
    runs: stores.runs,
    state,
    notifier: options.notifier ?? null,
    logger,
    holderId,
    intervalMs,
    offsetFor,
    leaseMs,
    clock,
  });
  const retention = createRetention({
    runs: stores.runs,
    leases: stores.leases,
    logger,
    holderId,
    intervalMs,
    retentionDays: options.config.logRetentionDays,
  });

  const history: { domain: string; slot: number; outcome: SlotOutcome }[] = [];
  /** Keeps a slot's outcome in the history and, as the domain's state, exactly what the slot runner stored. */
  const settle = (domain: string, slot: number, { outcome, state: stored }: SlotResult) => {
    history.push({ domain, slot, outcome });
    if (history.length > HISTORY_LIMIT) history.splice(0, history.length - HISTORY_LIMIT);
    if (stored) states.set(domain, stored);
  };

  // What this process knows of the domains: enabled settings and the last state seen.
  const enabled = new Map<string, DomainSettings>();
  const states = new Map<string, ScheduleState | null>();
  let lastRefresh: number | null = null;

  async function loadState(domain: string): Promise<ScheduleState | null> {
    if (states.has(domain)) return states.get(domain) ?? null;
    const s = (await state.get(domain)) ?? null;
    states.set(domain, s);
    return s;
  }

  /** Re-reads the settings; records switches on/off (a switch on never runs the slot it happens in). */
  async function refresh(now: number): Promise<{ added: string[]; removed: string[] }> {
    const all = await stores.settings.list();
    const added: string[] = [];
    const removed: string[] = [];
    const seen = new Set<string>();
    const work = all.map((s) => async () => {
      seen.add(s.domain);
      const st = await loadState(s.domain);
      if (isEnabled(s)) {
        if (!enabled.has(s.domain)) added.push(s.domain);
        enabled.set(s.domain, s);
        if (!st?.enabled) {
          const since = Math.min(now, Date.parse(s.updatedAt) || now);
          states.set(s.domain, await slots.markEnabled(s.domain, true, since, st));
        }
      } else {
        if (enabled.delete(s.domain)) removed.push(s.domain);
        if (st?.enabled) states.set(s.domain, await slots.markEnabled(s.domain, false, now, st));
      }
    });
    await inBatches(work, 20);
    for (const domain of [...enabled.keys()]) {
      if (seen.has(domain)) continue;
      enabled.delete(domain);
      removed.push(domain);
      const st = states.get(domain) ?? null;
      if (st?.enabled) states.set(domain, await slots.markEnabled(domain, false, now, st));
    }
    lastRefresh = now;
    return { added, removed };
  }

  // ---- local mode: a queue of due slots worked off `concurrency` at a time ----
  const queue: { domain: string; slot: number }[] = [];
  const queued = new Set<string>();
  const active = new Map<string, Promise<void>>();
  let idleWaiters: (() => void)[] = [];

  const settleIdle = () => {
    if (queue.length === 0 && active.size === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  };

  function pump() {
    while (active.size < concurrency && queue.length > 0) {
      const job = queue.shift()!;
      queued.delete(job.domain);
      const p = runLocal(job.domain, job.slot).finally(() => {
        active.delete(job.domain);
        pump();
        settleIdle();
      });
      active.set(job.domain, p);
    }
  }

  async function runLocal(domain: string, slot: number): Promise<void> {
    let result: SlotResult;
    try {
      result = await slots.runSlot(domain, slot);
    } catch (err) {
      logger.error({ domain, slot, err: describe(err) }, 'scheduled slot could not run (store error)');
      return;
    }
    settle(domain, slot, result);
    if (result.outcome.kind === 'busy')
      logger.debug(
        { domain, slot, heldBy: result.outcome.heldBy },
        'domain busy; the slot is tried again on the next tick',
      );
  }

  async function localTick(now: number): Promise<TickReport> {
    if (lastRefresh === null || now - lastRefresh >= refreshMs || now < lastRefresh) await refresh(now);
    const due: string[] = [];
    for (const domain of enabled.keys()) {
      if (active.has(domain) || queued.has(domain)) continue;
      const slot = slotAt(now, intervalMs, offsetFor(domain));
      const st = states.get(domain) ?? null;
      if (st?.done.includes(slot)) continue;
      if (st?.floorSlot != null && slot <= st.floorSlot) continue;
      queue.push({ domain, slot });
      queued.add(domain);
      due.push(domain);
    }
    pump();
    void retention.maybePrune(now);
    return { queued: due };
  }

  // ---- BullMQ mode ----
  let driver: BullmqDriver | null = null;
  if (mode === 'bullmq') {
    const redisUrl = options.config.redisUrl;
    if (!redisUrl) throw new Error('REDIS_URL is required when SCHEDULER=bullmq');
    driver = createBullmqDriver({
      redisUrl,
      queueName: options.queueName ?? 'entra-sync-schedule',
      intervalMs,
      leaseMs,
      concurrency,
      offsetFor,
      slots,
      logger,
      clock,
      onOutcome: settle,
    });
  }

  async function bullmqTick(now: number): Promise<TickReport> {
    if (lastRefresh === null || now - lastRefresh >= refreshMs || now < lastRefresh) {
      const { removed } = await refresh(now);
      for (const domain of removed) await driver!.unschedule(domain);
      // Upsert every enabled domain the driver has not confirmed yet (new ones and, after a restart, all).
      await inBatches(
        [...enabled.keys()].map(
          (domain) => () => driver!.ensureScheduled(domain, states.get(domain)?.floorSlot ?? null),
        ),
        25,
      );
    }
    void retention.maybePrune(now);
    return { queued: [] };
  }

  let cron: Cron | null = null;
  let ticking: Promise<unknown> | null = null;
  let running = false;
  let lastTickAt: number | null = null;
  let lastTickError: string | null = null;
  const safeTick = (now: number) => {
    if (ticking) return;
    ticking = (mode === 'bullmq' ? bullmqTick(now) : localTick(now))
      .then(
        () => {
          lastTickError = null;
        },
        (err: unknown) => {
          lastTickError = describe(err);
          logger.error({ err: lastTickError }, 'scheduler tick failed');
        },
      )
      .finally(() => {
        lastTickAt = clock();
        ticking = null;
      });
  };
  /** A pass that has not finished for this long means the timer is stuck (passes run every second). */
  const stallMs = Math.max(30_000, 3 * refreshMs);

  return {
    mode,
    intervalMs,
    history,
    offsetFor,
    status() {
      const now = clock();
      const nextRuns = [...enabled.keys()].map((domain) => {
        const offset = offsetFor(domain);
        const slot = slotAt(now, intervalMs, offset);
        const st = states.get(domain) ?? null;
        // The current slot is still ahead of us when it has not run yet: it runs on the next pass, that is now. A
        // domain without a state yet was just enabled, and enabling never runs at once: its first run is the next slot.
        const pending = st !== null && !st.done.includes(slot) && !(st.floorSlot != null && slot <= st.floorSlot);
        const at =
          pending && mode === 'local'
            ? Math.max(slotTime(slot, intervalMs, offset), now)
            : slotTime(slot + 1, intervalMs, offset);
        return { domain, at, lastOutcome: st?.lastOutcome ?? null };
      });
      return { mode, running, lastTickAt, lastTickError, nextRuns };
    },
    async checkHealth() {
      if (!running) throw new Error('the scheduler is not running');
      const now = clock();
      if (lastTickAt !== null && now - lastTickAt > stallMs)
        throw new Error(`no scheduling pass finished for ${Math.round((now - lastTickAt) / 1000)} s`);
      if (lastTickError) throw new Error(`the last scheduling pass failed: ${lastTickError}`);
    },
    checkQueue: driver ? () => driver!.ping() : null,
    async start() {
      if (driver) await driver.start();
      // The first pass runs at once: a slot missed while the bot was down runs now, once.
      await (mode === 'bullmq' ? bullmqTick(clock()) : localTick(clock()));
      lastTickAt = clock();
      running = true;
      cron = new Cron('* * * * * *', { protect: true }, () => safeTick(clock()));
      logger.info({ mode, intervalSeconds, holderId }, 'periodic sync scheduler started');
    },
    async stop() {
      running = false;
      cron?.stop();
      cron = null;
      if (ticking) await ticking;
      queue.length = 0;
      queued.clear();
      await Promise.allSettled([...active.values()]);
      if (driver) await driver.stop();
      await retention.settled();
      await slots.notificationsSettled();
    },
    tick(now?: number | Date) {
      const at = now === undefined ? clock() : typeof now === 'number' ? now : now.getTime();
      return mode === 'bullmq' ? bullmqTick(at) : localTick(at);
    },
    async idle() {
      if (queue.length > 0 || active.size > 0) await new Promise<void>((resolve) => idleWaiters.push(resolve));
      await retention.settled();
      await slots.notificationsSettled();
    },
  };
}

async function inBatches(tasks: (() => Promise<void>)[], size: number): Promise<void> {
  for (let i = 0; i < tasks.length; i += size) await Promise.all(tasks.slice(i, i + size).map((t) => t()));
}
