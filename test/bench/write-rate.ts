// Measures write throughput from the emulator's side: samples its write counter over time, finds the sustained rate.
import type { EmulatorProcess, EmulatorStats } from './emulator-process.js';

export interface RateSample {
  /** ms since sampling started. */
  readonly t: number;
  readonly writes: number;
  readonly throttled: number;
}

export interface RateSampler {
  /** Stops sampling (after one last sample) and returns the samples, writes counted from the first sample. */
  stop(): Promise<RateSample[]>;
}

/** Polls GET /_emulator/stats every `everyMs` (one small GET, not charged to the Graph budget). */
export function sampleWrites(emulator: EmulatorProcess, everyMs = 200): RateSampler {
  const samples: RateSample[] = [];
  const started = performance.now();
  let base: EmulatorStats | null = null;
  let stopped = false;
  const take = async () => {
    const s = await emulator.stats();
    base ??= s;
    samples.push({
      t: performance.now() - started,
      writes: s.writes - base.writes,
      throttled: s.throttled - base.throttled,
    });
  };
  const loop = (async () => {
    while (!stopped) {
      await take();
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      await take();
      return samples;
    },
  };
}

export interface SustainedRate {
  /** Writes per second between `fromWrites` and the last write. */
  readonly perSecond: number;
  readonly windowMs: number;
  readonly windowWrites: number;
  /** Writes per second from the first to the last write (burst included). */
  readonly overallPerSecond: number;
  /** True when the run was too short for a steady state (the refill credit was most of it): overall rate. */
  readonly burstOnly: boolean;
}

/**
 * Writes per second from the first write to the sample where the last write landed. The bench empties the write
 * budget just before sampling starts (drain-budget.ts); what the bucket refilled between then and the first write
 * (the apply re-reads both sides first) is credit any client could spend at once, so it is taken off the count:
 * the result is the rate kept up in the budget's steady state, at most the refill rate.
 */
export function sustainedRate(
  samples: readonly RateSample[],
  budget: { capacity: number; perSecond: number },
): SustainedRate {
  const total = samples.at(-1)?.writes ?? 0;
  const firstWrite = samples.find((s) => s.writes > 0);
  const lastWrite = samples.find((s) => s.writes >= total);
  if (!firstWrite || !lastWrite || total === 0)
    return { perSecond: 0, windowMs: 0, windowWrites: 0, overallPerSecond: 0, burstOnly: false };
  // The sample before the first write bounds the start more tightly than the first sample with writes.
  const before = samples[Math.max(0, samples.indexOf(firstWrite) - 1)]!;
  const windowMs = Math.max(1, lastWrite.t - before.t);
  const credit = Math.min(budget.capacity, Math.round((budget.perSecond * before.t) / 1000));
  const windowWrites = Math.max(0, total - credit);
  if (windowWrites < total / 2) {
    // Too short a run to see a steady state (e.g. --quick): the overall rate, flagged.
    const perSecond = (total * 1000) / windowMs;
    return { perSecond, windowMs, windowWrites: total, overallPerSecond: perSecond, burstOnly: true };
  }
  return {
    perSecond: (windowWrites * 1000) / windowMs,
    windowMs,
    windowWrites,
    overallPerSecond: (total * 1000) / windowMs,
    burstOnly: false,
  };
}
