// Throttle-aware pacing shared by every Graph call of one connector: writes at a learnt rate, reads slowed near limits.
import { type HeaderSource, headerValue, parseThrottlePercentage } from './errors.js';
import { type RateControllerOptions, WriteRateController } from './rate-controller.js';
import type { Clock } from './retry.js';

export interface PacerOptions {
  readonly clock: Clock;
  /** Budget use (fraction) at which pacing starts. Graph starts sending x-ms-throttle-limit-percentage at 0.8. */
  readonly slowdownAt?: number;
  /** Gap between requests when the budget is fully used (grows linearly from slowdownAt to 1.0). Default 2000 ms. */
  readonly maxGapMs?: number;
  /** How long a reported percentage stays relevant without being repeated. Default 10 s (Graph's window). */
  readonly memoryMs?: number;
  /** Settings of the write-rate controller (rate-controller.ts). */
  readonly writes?: Omit<RateControllerOptions, 'clock'>;
}

export interface PacerState {
  /** Last reported budget use (fraction), 0 when none is current. */
  readonly usage: number;
  /** Time (clock ms) before which no new request should start, from a 429. */
  readonly pausedUntil: number;
  readonly gapMs: number;
}

/**
 * Watches responses (x-ms-throttle-limit-percentage, 429 Retry-After) and tells callers how long to wait before the
 * next request and how many may run at once. Writes sent in $batch items are paced by a rate controller fed with
 * the items' answers; requests (reads, and the $batch envelope) by the gap model below.
 */
export class ThrottlePacer {
  /** Paces the writes of every $batch sent through this connector. */
  readonly writes: WriteRateController;
  private readonly clock: Clock;
  private readonly slowdownAt: number;
  private readonly maxGapMs: number;
  private readonly memoryMs: number;
  private usage = 0;
  private usageAt = 0;
  private pausedUntil = 0;
  private nextSlot = 0;

  constructor(options: PacerOptions) {
    this.clock = options.clock;
    this.slowdownAt = options.slowdownAt ?? 0.8;
    this.maxGapMs = options.maxGapMs ?? 2000;
    this.memoryMs = options.memoryMs ?? 10_000;
    this.writes = new WriteRateController({ clock: options.clock, ...options.writes });
  }

  /**
   * Feed every response (or $batch item) here. A 429 on a whole request pauses every request until its Retry-After.
   * A $batch item is a write: its answer goes to the write-rate controller (which holds new writes back for the
   * Retry-After of a 429 for the write budget), not to the request gap: a write budget at its end does not slow reads.
   */
  observe(
    status: number,
    headers: HeaderSource,
    retryAfterMs: number | null = null,
    scope: 'request' | 'item' = 'request',
  ): void {
    const now = this.clock.now();
    const raw = headerValue(headers, 'x-ms-throttle-limit-percentage');
    if (scope === 'item') {
      this.writes.observe(status, raw, status === 429 ? retryAfterMs : null);
      return;
    }
    const pct = parseThrottlePercentage(raw);
    if (pct !== null) {
      this.usage = pct;
      this.usageAt = now;
    } else if (status >= 200 && status < 300 && now - this.usageAt > 1000) {
      // Graph omits the header below 80%: a success without it means the pressure is gone.
      this.usage = 0;
    }
    if (status === 429 && scope === 'request') {
      this.usage = Math.max(this.usage, 1);
      this.usageAt = now;
      if (retryAfterMs !== null) {
        this.pausedUntil = Math.max(this.pausedUntil, now + retryAfterMs);
        this.writes.pause(retryAfterMs);
      }
    }
  }

  /** Current gap between request starts, from the last reported usage. */
  gapMs(): number {
    const now = this.clock.now();
    if (now - this.usageAt > this.memoryMs) this.usage = 0;
    if (this.usage < this.slowdownAt) return 0;
    const share = Math.min(1, (this.usage - this.slowdownAt) / (1 - this.slowdownAt));
    return Math.round(this.maxGapMs * Math.max(0.1, share));
  }

  /** How many requests may be in flight now, out of `max`: fewer as the budget nears its end. */
  concurrency(max: number): number {
    const gap = this.gapMs();
    if (gap === 0) return max;
    return Math.max(1, Math.floor(max * (1 - gap / this.maxGapMs)));
  }

  /** Waits until a new request may start (after any 429 pause, spaced by the current gap). */
  async wait(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      const gap = this.gapMs();
      const slot = Math.max(now, this.pausedUntil, gap > 0 ? this.nextSlot : now);
      if (slot <= now) {
        this.nextSlot = now + gap;
        return;
      }
      await this.clock.sleep(slot - now, signal);
      if (signal?.aborted) return;
    }
  }

  /**
   * Waits until a $batch of `writes` writes may start: after any 429 pause, at the write controller's pace. Call the
   * returned function once the request has been answered or has failed.
   */
  acquireWrites(writes: number, signal?: AbortSignal): Promise<() => void> {
    return this.writes.acquire(writes, signal);
  }

  state(): PacerState {
    return { usage: this.usage, pausedUntil: this.pausedUntil, gapMs: this.gapMs() };
  }
}
