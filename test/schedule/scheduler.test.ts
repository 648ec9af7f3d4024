// Scheduler behaviour with a fake clock on the real in-memory store: spread, enable, pause, no double run, catch-up.
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import {
  createScheduler,
  domainOffsetMs,
  type Scheduler,
  type ScheduleState,
  type SlotInfo,
  slotAt,
  slotTime,
} from '../../src/schedule/index.js';
import { type HeldDomain, isRefusal } from '../../src/sync/service-interface.js';
import { openStore, type Stores } from '../../src/store/index.js';
import type { RunRecord } from '../../src/sync/model.js';
import { recordingRunner, runRecordFor, settingsFor } from './fixtures.js';

const HOUR = 3_600_000;
const config = loadConfig({ DEMO: 'true', STORE_URL: 'memory://' });
const logger = createLogger('silent');
const T0 = Date.parse('2026-01-05T10:00:00.000Z');

const open: { stores: Stores; schedulers: Scheduler[] }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    for (const s of o.schedulers) await s.stop();
    await o.stores.close();
  }
});

async function setup(options: { replicas?: number; notifier?: { runFinished(run: RunRecord): Promise<void> } } = {}) {
  const stores = await openStore('memory://');
  let now = T0;
  const clock = () => now;
  const rec = recordingRunner(clock);
  const schedulers = Array.from({ length: options.replicas ?? 1 }, (_, i) =>
    createScheduler({
      config,
      service: rec.runner,
      stores,
      notifier: options.notifier ?? null,
      logger,
      clock,
      intervalSeconds: 3600,
      mode: 'local',
      holderId: `replica-${i}`,
    }),
  );
  open.push({ stores, schedulers });
  return {
    stores,
    rec,
    schedulers,
    sched: schedulers[0]!,
    set(t: number) {
      now = t;
    },
    now: () => now,
    /** Ticks every replica at the current time and waits until they are idle. */
    async tickAll() {
      for (const s of schedulers) await s.tick(now);
      for (const s of schedulers) await s.idle();
    },
  };
}

/** The next scheduled time of the domain strictly after `t`. */
const nextSlotTime = (s: Scheduler, domain: string, t: number) =>
  slotTime(slotAt(t, s.intervalMs, s.offsetFor(domain)) + 1, s.intervalMs, s.offsetFor(domain));

describe('spread offsets', () => {
  it('gives every domain a stable offset and spreads 500 domains over the hour', async () => {
    const domains = Array.from({ length: 500 }, (_, i) => `tenant${i}.example.co.jp`);
    const first = domains.map((d) => domainOffsetMs(d, HOUR));
    expect(domains.map((d) => domainOffsetMs(d.toUpperCase(), HOUR))).toEqual(first);
    const perMinute = new Map<number, number>();
    for (const o of first) perMinute.set(Math.floor(o / 60_000), (perMinute.get(Math.floor(o / 60_000)) ?? 0) + 1);
    expect(perMinute.size).toBeGreaterThanOrEqual(55);
    expect(Math.max(...perMinute.values())).toBeLessThanOrEqual(25);

    // The scheduler runs each of them once in the hour after enabling, at its own minute.
    const t = await setup();
    for (const d of domains) await t.stores.settings.put(settingsFor(d, { updatedAt: new Date(T0).toISOString() }));
    await t.tickAll();
    expect(t.rec.calls).toHaveLength(0);
    for (let at = T0 + 20_000; at <= T0 + HOUR; at += 20_000) {
      t.set(at);
      await t.tickAll();
    }
    expect(t.rec.calls).toHaveLength(500);
    expect(new Set(t.rec.calls.map((c) => c.domain)).size).toBe(500);
    for (const c of t.rec.calls) {
      const due = nextSlotTime(t.sched, c.domain, T0);
      expect(c.startedAt - due).toBeGreaterThanOrEqual(0);
      expect(c.startedAt - due).toBeLessThan(20_000);
      expect(t.sched.offsetFor(c.domain)).toBe(domainOffsetMs(c.domain, HOUR));
    }
    const startedPerMinute = new Map<number, number>();
    for (const c of t.rec.calls) {
      const m = Math.floor((c.startedAt - T0) / 60_000);
      startedPerMinute.set(m, (startedPerMinute.get(m) ?? 0) + 1);
    }
    expect(Math.max(...startedPerMinute.values())).toBeLessThanOrEqual(25);
  });
});

describe('enabling', () => {
  it('does not run at once; the first run is at the domain’s own time', async () => {
    const t = await setup();
    const d = 'contoso.co.jp';
    await t.stores.settings.put(settingsFor(d, { periodic: false }));
    await t.tickAll();
    t.set(T0 + 20 * 60_000);
    await t.stores.settings.put(settingsFor(d, { periodic: true, updatedAt: new Date(t.now()).toISOString() }));
    await t.tickAll();
    t.set(t.now() + 1000);
    await t.tickAll();
    expect(t.rec.calls).toHaveLength(0);
    const due = nextSlotTime(t.sched, d, t.now());
    t.set(due - 1000);
    await t.tickAll();
    expect(t.rec.calls).toHaveLength(0);
    t.set(due + 500);
    await t.tickAll();
    expect(t.rec.calls.map((c) => c.startedAt)).toEqual([due + 500]);
    // Switched off then on again: still no run at the moment it is switched on.
    t.set(due + 10 * 60_000);
    await t.stores.settings.put(settingsFor(d, { periodic: false, updatedAt: new Date(t.now()).toISOString() }));
    await t.tickAll();
    t.set(due + 2.5 * HOUR);
    await t.stores.settings.put(settingsFor(d, { periodic: true, updatedAt: new Date(t.now()).toISOString() }));
    await t.tickAll();
    expect(t.rec.calls).toHaveLength(1);
    t.set(nextSlotTime(t.sched, d, t.now()) + 1);
    await t.tickAll();
    expect(t.rec.calls).toHaveLength(2);
  });
});

describe('pause', () => {
  it('skips the slots before the pause expires and runs again after it', async () => {
    const t = await setup();
    const d = 'fabrikam.jp';
    await t.stores.settings.put(settingsFor(d, { updatedAt: new Date(T0).toISOString() }));
    await t.tickAll();
    const first = nextSlotTime(t.sched, d, T0);
    const pausedUntil = first + 1.5 * HOUR; // covers the first two slots
    await t.stores.settings.put(
      settingsFor(d, { updatedAt: new Date(T0).toISOString(), pausedUntil: new Date(pausedUntil).toISOString() }),
    );
    for (let k = 0; k < 4; k++) {
      t.set(first + k * HOUR + 1000);
      await t.tickAll();
    }
    expect(t.rec.calls.map((c) => c.startedAt)).toEqual([first + 2 * HOUR + 1000, first + 3 * HOUR + 1000]);
    const skipped = t.sched.history.filter((h) => h.outcome.kind === 'skipped');
    expect(skipped.map((h) => (h.outcome.kind === 'skipped' ? h.outcome.reason : ''))).toEqual(['paused', 'paused']);
  });
});

describe('the slot state', () => {
  it('status shows the last outcome and next run the store records, after a run and a paused slot', async () => {
    const t = await setup();
    const d = 'northwind.co.jp';
    await t.stores.settings.put(settingsFor(d, { updatedAt: new Date(T0).toISOString() }));
    await t.tickAll();
    const kv = t.stores.kv<ScheduleState>('schedule');
    const first = nextSlotTime(t.sched, d, T0);
    const shown = () => t.sched.status().nextRuns.find((r) => r.domain === d);
    t.set(first + 1000);
    await t.tickAll();
    expect(t.rec.calls).toHaveLength(1);
    const afterRun = await kv.get(d);
    expect(afterRun?.lastOutcome).toBe('ran:completed');
    expect(shown()).toEqual({ domain: d, at: nextSlotTime(t.sched, d, t.now()), lastOutcome: 'ran:completed' });
    await t.stores.settings.put(
      settingsFor(d, { updatedAt: new Date(T0).toISOString(), pausedUntil: new Date(first + 1.5 * HOUR).toISOString() }),
    );
    t.set(first + HOUR + 1000);
    await t.tickAll();
    expect(t.rec.calls).toHaveLength(1);
    expect((await kv.get(d))?.lastOutcome).toBe('paused');
    expect(shown()?.lastOutcome).toBe('paused');
    expect(shown()?.at).toBe(nextSlotTime(t.sched, d, t.now()));
  });
});

describe('no double run', () => {
  it('never starts a second run of a domain while one is going, on one or two replicas', async () => {
    const t = await setup({ replicas: 2 });
    const d = 'northwind.jp';
    await t.stores.settings.put(settingsFor(d, { updatedAt: new Date(T0).toISOString() }));
    await t.tickAll();
    const due = nextSlotTime(t.sched, d, T0);
    t.rec.hold();
    t.set(due + 1000);
    for (const s of t.schedulers) await s.tick(t.now());
    await new Promise((r) => setTimeout(r, 20));
    expect(t.rec.calls).toHaveLength(1);
    // The next hour comes while the first run is still going: nothing new starts on either replica.
    t.set(due + HOUR + 1000);
    for (let i = 0; i < 3; i++) {
      for (const s of t.schedulers) await s.tick(t.now());
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(t.rec.calls).toHaveLength(1);
    const busy = t.schedulers.flatMap((s) => s.history).filter((h) => h.outcome.kind === 'busy');
    expect(busy.length).toBeGreaterThan(0);
    t.rec.release();
    for (const s of t.schedulers) await s.idle();
    // Once the first run ended, this hour's slot runs once (not once per replica, not once per tick).
    t.set(due + HOUR + 5000);
    await t.tickAll();
    t.set(due + HOUR + 60_000);
    await t.tickAll();
    expect(t.rec.calls).toHaveLength(2);
    const [a, b] = t.rec.calls;
    expect(a!.slot! + 1).toBe(b!.slot);
    expect(b!.startedAt).toBeGreaterThanOrEqual(a!.endedAt!);
    // Two replicas ticking at the same moment of a fresh slot: one run.
    t.set(due + 2 * HOUR + 1);
    await Promise.all(t.schedulers.map((s) => s.tick(t.now())));
    for (const s of t.schedulers) await s.idle();
    expect(t.rec.calls).toHaveLength(3);
  });
});

describe('catch-up', () => {
  it('runs a missed interval once on start, not once per missed interval', async () => {
    const t = await setup();
    const d = 'adatum.co.jp';
    await t.stores.settings.put(settingsFor(d, { updatedAt: new Date(T0).toISOString() }));
    await t.tickAll();
    const due = nextSlotTime(t.sched, d, T0);
    t.set(due + 1000);
    await t.tickAll();
    expect(t.rec.calls).toHaveLength(1);
    await t.sched.stop();

    // Down for five hours; a new process (same store) starts between two slots.
    const restartAt = due + 5 * HOUR + 0.5 * HOUR;
    t.set(restartAt);
    const later = createScheduler({
      config,
      service: t.rec.runner,
      stores: t.stores,
      logger,
      clock: t.now,
      intervalSeconds: 3600,
      mode: 'local',
    });
    t.schedulers.push(later);
    await later.tick(t.now());
    await later.idle();
    expect(t.rec.calls).toHaveLength(2);
    expect(t.rec.calls[1]!.slot).toBe(t.rec.calls[0]!.slot! + 5);
    for (const step of [1000, 60_000, 20 * 60_000]) {
      t.set(restartAt + step);
      await later.tick(t.now());
      await later.idle();
    }
    expect(t.rec.calls).toHaveLength(2);
    t.set(due + 6 * HOUR + 10);
    await later.tick(t.now());
    await later.idle();
    expect(t.rec.calls).toHaveLength(3);
  });

  it('catches up a domain enabled while no scheduler was running, once', async () => {
    const t = await setup();
    const d = 'litware.jp';
    await t.stores.settings.put(settingsFor(d, { updatedAt: new Date(T0 - 3 * HOUR).toISOString() }));
    await t.tickAll();
    t.set(T0 + 1000);
    await t.tickAll();
    expect(t.rec.calls).toHaveLength(1);
  });
});

describe('a process that stops between a run and its record', () => {
  async function crashOnce(writesRunLog: boolean) {
    const stores = await openStore('memory://');
    let now = T0;
    const clock = () => now;
    const rec = recordingRunner(clock);
    const runner = {
      async runScheduled(domain: string, held?: HeldDomain, slot?: SlotInfo) {
        const run = await rec.runner.runScheduled(domain, held, slot);
        if (isRefusal(run)) return run;
        if (writesRunLog) await stores.runs.put(run);
        return run;
      },
    };
    // The scheduler's state store loses its second write (the slot's record after the run), as if the process died.
    const real = stores.kv<ScheduleState>('schedule');
    let writes = 0;
    const flaky = {
      ...stores,
      kv: <T>(ns: string) =>
        (ns === 'schedule'
          ? {
              get: (k: string) => real.get(k),
              set: async (k: string, v: ScheduleState) => {
                writes++;
                if (writes === 3) throw new Error('process died');
                return real.set(k, v);
              },
            }
          : stores.kv<T>(ns)) as ReturnType<Stores['kv']>,
    } as Stores;
    const notified: string[] = [];
    const sched = createScheduler({
      config,
      service: runner,
      stores: flaky,
      notifier: { runFinished: async (r) => void notified.push(r.id) },
      logger,
      clock,
      intervalSeconds: 3600,
      mode: 'local',
    });
    open.push({ stores, schedulers: [sched] });
    const d = 'tailspin.jp';
    await stores.settings.put(settingsFor(d, { updatedAt: new Date(T0).toISOString() }));
    await sched.tick(now); // write 1: periodic sync noticed
    await sched.idle();
    now = nextSlotTime(sched, d, T0) + 1000;
    await sched.tick(now); // write 2: run marker; the run; write 3 (its record) is lost
    await sched.idle();
    now += 5000;
    await sched.tick(now);
    await sched.idle();
    return { calls: rec.calls.length, notified, history: sched.history.map((h) => h.outcome.kind) };
  }

  it('does not run the slot again when the sync log has its finished run', async () => {
    const r = await crashOnce(true);
    expect(r.calls).toBe(1);
    expect(r.history).toEqual(['ran']);
    expect(r.notified).toHaveLength(1);
  });

  it('runs the slot again when the run left no finished record', async () => {
    const r = await crashOnce(false);
    expect(r.calls).toBe(2);
    expect(r.history).toEqual(['ran']);
    expect(r.notified).toHaveLength(1);
  });
});

describe('after a run', () => {
  it('notifies every finished run; a failing notifier never stops the scheduler', async () => {
    const seen: string[] = [];
    const notifier = {
      async runFinished(run: RunRecord) {
        seen.push(run.domain);
        if (run.domain === 'a.example.jp') throw new Error('Teams said 403');
      },
    };
    const t = await setup({ notifier });
    const domains = ['a.example.jp', 'b.example.jp', 'c.example.jp'];
    for (const d of domains) await t.stores.settings.put(settingsFor(d, { updatedAt: new Date(T0).toISOString() }));
    await t.tickAll();
    for (let k = 0; k < 2; k++) {
      t.set(T0 + (k + 1) * HOUR + 1000);
      await t.tickAll();
    }
    expect(t.rec.calls).toHaveLength(6);
    expect(seen.sort()).toEqual([...domains, ...domains].sort());
  });

  it('a runner that throws is logged as failed and the next slot still runs', async () => {
    const t = await setup();
    const d = 'broken.example.jp';
    await t.stores.settings.put(settingsFor(d, { updatedAt: new Date(T0).toISOString() }));
    await t.tickAll();
    let n = 0;
    const original = t.rec.runner.runScheduled;
    t.rec.runner.runScheduled = async (domain, slot) => {
      n++;
      if (n === 1) throw new Error('Graph unreachable');
      return original(domain, slot);
    };
    for (let k = 0; k < 2; k++) {
      t.set(T0 + (k + 1) * HOUR + 1000);
      await t.tickAll();
    }
    expect(n).toBe(2);
    expect(t.sched.history.map((h) => h.outcome.kind)).toEqual(['failed', 'ran']);
  });

  it('prunes sync-log records older than the retention period once per interval', async () => {
    const t = await setup();
    const old = runRecordFor('x.example.jp', T0 - 91 * 86_400_000, { id: 'old-run' });
    const fresh = runRecordFor('x.example.jp', T0 - 89 * 86_400_000, { id: 'fresh-run' });
    await t.stores.runs.put(old);
    await t.stores.runs.put(fresh);
    await t.tickAll();
    expect(await t.stores.runs.get('old-run')).toBeNull();
    expect(await t.stores.runs.get('fresh-run')).not.toBeNull();
  });
});
