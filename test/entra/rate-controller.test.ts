// The write-rate controller against a simulated Graph write budget on a fake clock: convergence, 429s, back-off, recovery.
import { describe, expect, it } from 'vitest';
import { WriteRateController } from '../../src/entra/rate-controller.js';
import { spareFromHeader } from '../../src/entra/write-budget.js';
import type { Clock } from '../../src/entra/retry.js';

/** A virtual clock: sleeps resolve when `runUntil` advances time past them, in time order. */
class VirtualClock implements Clock {
  private t = 0;
  private timers: { at: number; seq: number; fire: () => void }[] = [];
  private seq = 0;
  now(): number {
    return this.t;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      this.timers.push({ at: this.t + Math.max(0, ms), seq: this.seq++, fire: resolve });
    });
  }
  async runUntil(end: number, stop: () => boolean = () => false): Promise<void> {
    for (;;) {
      // Let every pending continuation run before time moves.
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      if (stop()) return;
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (!next || next.at > end) {
        this.t = end;
        return;
      }
      this.timers.shift();
      this.t = Math.max(this.t, next.at);
      next.fire();
    }
  }
}

/**
 * Graph's write budget as a client sees it: a bucket of `capacity` writes refilled at `perSecond` (which the test may
 * change), charged per item in arrival order; the usage header (one decimal) above 0.8; 429 with Retry-After
 * (whole seconds until the refused batch's size has refilled) when empty.
 */
class SimulatedBudget {
  private level: number;
  private at = 0;
  accepted = 0;
  throttled = 0;
  readonly acceptedAt: number[] = [];
  readonly throttledAt: number[] = [];
  constructor(
    private readonly clock: VirtualClock,
    readonly capacity: number,
    public perSecond: number,
    startLevel: number,
  ) {
    this.level = startLevel;
  }
  private refill(): void {
    const now = this.clock.now();
    this.level = Math.min(this.capacity, this.level + ((now - this.at) * this.perSecond) / 1000);
    this.at = now;
  }
  /** Refill-rate change at the current time (refills up to now at the old rate first). */
  setRate(perSecond: number): void {
    this.refill();
    this.perSecond = perSecond;
  }
  charge(items: number): { status: number; header: string | null; retryAfterMs: number | null }[] {
    this.refill();
    const out: { status: number; header: string | null; retryAfterMs: number | null }[] = [];
    for (let i = 0; i < items; i++) {
      if (this.level >= 1) {
        this.level -= 1;
        this.accepted++;
        this.acceptedAt.push(this.clock.now());
        const used = 1 - this.level / this.capacity;
        out.push({ status: 200, header: used > 0.8 ? used.toFixed(1) : null, retryAfterMs: null });
      } else {
        this.throttled++;
        this.throttledAt.push(this.clock.now());
        const seconds = Math.max(1, Math.ceil(items / this.perSecond));
        out.push({ status: 429, header: '1.0', retryAfterMs: seconds * 1000 });
      }
    }
    return out;
  }
  /** Writes accepted per second over [from, to) ms. */
  rate(from: number, to: number): number {
    return (this.acceptedAt.filter((t) => t >= from && t < to).length * 1000) / (to - from);
  }
}

interface Sim {
  clock: VirtualClock;
  budget: SimulatedBudget;
  controller: WriteRateController;
  /** Send times of batches, for Retry-After checks. */
  sends: number[];
  stop(): void;
  done: Promise<void>;
}

/** Four writers sending $batches of 20 writes through the controller, `latencyMs` each way, until stopped. */
function simulate(opts: { perSecond: number; startLevel?: number; latencyMs?: number; capacity?: number }): Sim {
  const clock = new VirtualClock();
  const budget = new SimulatedBudget(clock, opts.capacity ?? 3000, opts.perSecond, opts.startLevel ?? 0);
  const controller = new WriteRateController({ clock });
  const latency = opts.latencyMs ?? 125;
  const sends: number[] = [];
  let stopped = false;
  const writer = async () => {
    while (!stopped) {
      const release = await controller.acquire(20);
      sends.push(clock.now());
      await clock.sleep(latency);
      const answers = budget.charge(20);
      await clock.sleep(latency);
      for (const a of answers) controller.observe(a.status, a.header, a.retryAfterMs);
      release();
    }
  };
  const done = Promise.all([writer(), writer(), writer(), writer()]).then(() => undefined);
  return {
    clock,
    budget,
    controller,
    sends,
    stop: () => {
      stopped = true;
    },
    done,
  };
}

async function finish(sim: Sim, end: number): Promise<void> {
  sim.stop();
  await sim.clock.runUntil(end + 60_000);
  await sim.done;
}

describe('spareFromHeader', () => {
  it('turns x-ms-throttle-limit-percentage into bounds of the budget left, allowing for its rounding', () => {
    expect(spareFromHeader('0.9', 3000)).toEqual({ low: expect.closeTo(150, 6), high: expect.closeTo(450, 6) });
    expect(spareFromHeader('90', 3000)).toEqual({ low: expect.closeTo(285, 6), high: expect.closeTo(315, 6) });
    expect(spareFromHeader('1.0', 3000).low).toBe(0);
    expect(spareFromHeader('1.3', 3000)).toEqual({ low: 0, high: 0 });
    // Absent: Graph sends it only above 0.8 used, so at least a fifth is left.
    expect(spareFromHeader(null, 3000)).toEqual({ low: expect.closeTo(600, 6), high: 3000 });
    expect(spareFromHeader('x', 3000)).toEqual({ low: 0, high: 3000 });
  });
});

describe('WriteRateController', () => {
  it('starts on an emptied budget at the documented 20 writes/s and holds at least 97 % of it, 429s bounded', async () => {
    const sim = simulate({ perSecond: 20 });
    await sim.clock.runUntil(120_000);
    expect(sim.budget.rate(5_000, 120_000)).toBeGreaterThanOrEqual(0.97 * 20);
    // The first $batch goes before any answer (up to its 20 writes refused), then none: a 429 late in a run would
    // make its write wait out the Retry-After at the end.
    expect(sim.budget.throttled).toBeLessThanOrEqual(20);
    expect(sim.budget.throttledAt.filter((t) => t >= 5_000)).toEqual([]);
    await finish(sim, 120_000);
  });

  it('finds a refill rate 20 times the documented one within seconds from an emptied budget, with few 429s', async () => {
    const sim = simulate({ perSecond: 400, latencyMs: 12 });
    await sim.clock.runUntil(60_000);
    const state = sim.controller.state();
    expect(state.measuredWritesPerSecond).not.toBeNull();
    expect(state.paceWritesPerSecond).toBeGreaterThanOrEqual(0.97 * 400);
    expect(state.paceWritesPerSecond).toBeLessThanOrEqual(1.02 * 400);
    // Converged within 8 s: from then on at least 97 % of the refill rate.
    expect(sim.budget.rate(8_000, 60_000)).toBeGreaterThanOrEqual(0.97 * 400);
    expect(sim.budget.rate(0, 60_000)).toBeGreaterThanOrEqual(0.9 * 400);
    expect(sim.budget.throttled).toBeLessThanOrEqual(0.01 * sim.budget.accepted);
    await finish(sim, 60_000);
  });

  it('spends a budget that starts full at once, then holds the refill rate', async () => {
    const sim = simulate({ perSecond: 20, startLevel: 3000 });
    await sim.clock.runUntil(10_000);
    // Four $batches of 20 in flight, 250 ms round trip: 320 writes/s is what the writers can send at all.
    expect(sim.budget.rate(2_000, 10_000)).toBeGreaterThanOrEqual(0.9 * 320);
    await sim.clock.runUntil(120_000);
    expect(sim.budget.rate(20_000, 120_000)).toBeGreaterThanOrEqual(0.97 * 20);
    expect(sim.budget.throttled).toBeLessThanOrEqual(0.01 * sim.budget.accepted);
    await finish(sim, 120_000);
  });

  it('backs off when the budget shrinks (429 and Retry-After honoured), then recovers when it grows back', async () => {
    const sim = simulate({ perSecond: 400, latencyMs: 12 });
    await sim.clock.runUntil(30_000);
    const throttledBefore = sim.budget.throttled;
    // Another app starts writing: only half the refill is left for us.
    sim.budget.setRate(200);
    await sim.clock.runUntil(60_000);
    expect(sim.controller.state().paceWritesPerSecond).toBeLessThanOrEqual(1.02 * 200);
    expect(sim.budget.rate(40_000, 60_000)).toBeGreaterThanOrEqual(0.97 * 200);
    const throttledShrink = sim.budget.throttled - throttledBefore;
    expect(throttledShrink).toBeGreaterThan(0);
    expect(throttledShrink).toBeLessThanOrEqual(0.01 * 200 * 30);
    // The other app stops: the budget's refill is ours again; the pace climbs back.
    sim.budget.setRate(400);
    await sim.clock.runUntil(120_000);
    expect(sim.budget.rate(90_000, 120_000)).toBeGreaterThanOrEqual(0.97 * 400);
    expect(sim.controller.state().paceWritesPerSecond).toBeGreaterThanOrEqual(0.97 * 400);
    await finish(sim, 120_000);
  });

  it('starts no write before the Retry-After of a 429 has passed', async () => {
    const clock = new VirtualClock();
    const controller = new WriteRateController({ clock });
    await clock.runUntil(1000);
    const release = await controller.acquire(20);
    controller.observe(429, '1.0', 3000);
    release();
    const started: number[] = [];
    const next = controller.acquire(20).then((r) => {
      started.push(clock.now());
      r();
    });
    await clock.runUntil(3999);
    expect(started).toEqual([]);
    await clock.runUntil(10_000);
    await next;
    expect(started[0]).toBeGreaterThanOrEqual(4000);
    expect(controller.state().throttled).toBe(1);
  });

  it('cuts its pace to the measured refill rate: writes accepted between two refusals over the time between', async () => {
    const clock = new VirtualClock();
    const controller = new WriteRateController({ clock, margin: 0.01 });
    await clock.runUntil(1000);
    controller.observe(429, '1.0', null);
    for (let i = 0; i < 150; i++) controller.observe(200, '1.0');
    await clock.runUntil(6000);
    controller.observe(429, '1.0', null);
    // 150 accepted in 5 s: 30 writes/s measured, paced 1 % below.
    expect(controller.state().measuredWritesPerSecond).toBeCloseTo(30, 6);
    expect(controller.state().paceWritesPerSecond).toBeCloseTo(29.7, 6);
  });

  it('does not take a 429 while budget is left for the refill rate, nor hold other writes back for it', async () => {
    const clock = new VirtualClock();
    const controller = new WriteRateController({ clock });
    await clock.runUntil(1000);
    // Answers without the header: at least a fifth of the budget is left.
    for (let i = 0; i < 40; i++) controller.observe(201, null);
    const pace = controller.state().paceWritesPerSecond;
    await clock.runUntil(2000);
    controller.observe(429, null, 2000);
    await clock.runUntil(3000);
    for (let i = 0; i < 40; i++) controller.observe(201, null);
    controller.observe(429, null, 2000);
    const state = controller.state();
    expect(state.throttled).toBe(2);
    expect(state.saturations).toBe(0);
    expect(state.measuredWritesPerSecond).toBeNull();
    expect(state.paceWritesPerSecond).toBe(pace);
    expect(state.pausedUntil).toBe(0);
    expect(controller.delayMs(20)).toBe(0);
  });
});
