// Paces Graph writes at an estimate of the write budget's refill rate, learnt only from what Graph answers.
import { parseThrottlePercentage } from './errors.js';
import type { Clock } from './retry.js';
import { GRAPH_WRITE_BUDGET, spareFromHeader, type WriteBudget } from './write-budget.js';

export interface RateControllerOptions {
  readonly clock: Clock;
  /** The budget the first estimate starts from (its refill rate) and whose size turns the header into writes. */
  readonly budget?: WriteBudget;
  /** Fraction below a measured refill rate to pace at. Default 0.01. */
  readonly margin?: number;
  /**
   * Growth per second (fraction) while the pace holds writes back and Graph reports nothing either way. Default 0: a
   * blind probe is found out only by a 429, whose Retry-After (up to Graph's choosing) then delays the refused write;
   * the pace rises on Graph's evidence instead (a header reporting more left than expected).
   */
  readonly probePerSecond?: number;
  /** Largest step up (fraction) when Graph reports more budget left than expected, once measured. Default 0.05. */
  readonly recoverPerSecond?: number;
  /** Shortest time between two saturations that yields a measurement. Default 500 ms. */
  readonly minSampleMs?: number;
  /**
   * Writes that may start before any answer was seen. Default 20: one full $batch goes at once (a budget is usually
   * not empty); if it was, at most those 20 are refused, and the answers set the mirror right.
   */
  readonly initialWrites?: number;
  /** Lowest pace, writes per second. Default 0.2. */
  readonly minPerSecond?: number;
  /** Seconds of per-second history kept for reports. Default 3600. */
  readonly historySeconds?: number;
}

/** One second of the controller's history. */
export interface RateHistoryRow {
  /** Seconds since the controller was created (clock time). */
  readonly second: number;
  /** Pace at the end of that second, writes per second. */
  readonly paceWritesPerSecond: number;
  /** Write answers that were not 429 in that second, and 429 answers. */
  readonly accepted: number;
  readonly throttled: number;
  /** Whether the pace came from a measured refill rate. */
  readonly measured: boolean;
}

export interface RateControllerState {
  readonly paceWritesPerSecond: number;
  /** Last measured refill rate (writes per second), null before two saturations were seen. */
  readonly measuredWritesPerSecond: number | null;
  /** Writes the controller believes Graph would accept now, beyond those in flight. */
  readonly spareWrites: number;
  readonly inFlight: number;
  readonly pausedUntil: number;
  readonly accepted: number;
  readonly throttled: number;
  readonly saturations: number;
}

/**
 * A client-side mirror of Graph's write budget: a token bucket whose refill rate is an estimate, whose content is
 * corrected by every answer. A 429 means Graph's budget is empty at that instant; the writes Graph accepted between
 * two such instants are exactly what it refilled in between, so their count over the time between is a measurement
 * of the refill rate. Between saturations the pace grows when Graph's header reports more budget left than the
 * mirror holds (so a budget that grows is found); the header's bounds also correct the mirror's content.
 */
export class WriteRateController {
  private readonly clock: Clock;
  private readonly capacity: number;
  private readonly margin: number;
  private readonly probePerSecond: number;
  private readonly recoverPerSecond: number;
  private readonly minSampleMs: number;
  private readonly minPerSecond: number;
  private readonly historySeconds: number;
  /** Clock time the history's second 0 starts at. */
  readonly startedAt: number;

  private pace: number;
  private measured: number | null = null;
  /** Whether `measured` came from two refusals (exact) rather than from "near the end" (an upper bound). */
  private measuredExactly = false;
  private spare: number;
  private spareAt: number;
  private paceAt: number;
  private inFlight = 0;
  private pausedUntil = 0;
  private accepted = 0;
  private throttled = 0;
  private saturations = 0;
  /** Last instant the budget is known to have been empty (strong) or near its end (weak), with the count then. */
  private anchor: { at: number; accepted: number; strong: boolean } | null = null;
  /** Whether the last accepted write's answer reported budget left (no header counts: at least a fifth). */
  private hadSpare = true;
  /** Last time a caller had to wait for the mirror to refill (the pace, not a pause, held writes back). */
  private limitedAt = Number.NEGATIVE_INFINITY;
  /** Last time the mirror's content was set from an answer (a header's bound or a 429). */
  private syncedAt: number;
  private turn: Promise<void> = Promise.resolve();
  private readonly history: RateHistoryRow[] = [];
  private current: { second: number; accepted: number; throttled: number } | null = null;

  constructor(options: RateControllerOptions) {
    const budget = options.budget ?? GRAPH_WRITE_BUDGET;
    if (!(budget.writes > 0) || !(budget.windowMs > 0)) {
      throw new Error(`write budget: writes and windowMs must be positive (got ${budget.writes}, ${budget.windowMs})`);
    }
    this.clock = options.clock;
    this.capacity = budget.writes;
    this.margin = options.margin ?? 0.01;
    this.probePerSecond = options.probePerSecond ?? 0;
    this.recoverPerSecond = options.recoverPerSecond ?? 0.05;
    this.minSampleMs = options.minSampleMs ?? 500;
    this.minPerSecond = options.minPerSecond ?? 0.2;
    this.historySeconds = options.historySeconds ?? 3600;
    this.startedAt = this.clock.now();
    this.pace = (budget.writes * 1000) / budget.windowMs;
    this.spare = options.initialWrites ?? 20;
    this.spareAt = this.startedAt;
    this.paceAt = this.startedAt;
    this.syncedAt = this.startedAt;
  }

  /**
   * Waits until `writes` more writes may be sent (in arrival order), reserves them, and returns the function that
   * ends the reservation once the request carrying them has been answered (or failed).
   */
  async acquire(writes: number, signal?: AbortSignal): Promise<() => void> {
    const mine = this.turn.then(async () => {
      for (;;) {
        if (signal?.aborted) return false;
        const wait = this.delayMs(writes);
        if (wait <= 0) {
          this.refill(this.clock.now());
          this.spare -= writes;
          this.inFlight += writes;
          return true;
        }
        await this.clock.sleep(wait, signal);
      }
    });
    this.turn = mine.then(
      () => undefined,
      () => undefined,
    );
    const granted = await mine;
    let open = granted;
    return () => {
      if (!open) return;
      open = false;
      this.inFlight = Math.max(0, this.inFlight - writes);
    };
  }

  /** Milliseconds before `writes` more writes may start (0 = now). */
  delayMs(writes: number): number {
    const now = this.clock.now();
    this.refill(now);
    const paused = Math.max(0, this.pausedUntil - now);
    const need = Math.min(writes, this.capacity) - this.spare;
    // The mirror keeps refilling during a pause, as Graph's budget does.
    const refillMs = need <= 0 ? 0 : Math.ceil((need * 1000) / this.pace);
    if (refillMs > paused) this.limitedAt = now;
    return Math.max(paused, refillMs);
  }

  /**
   * One answer to one write (a $batch item or a single request). `throttleHeader` is the raw
   * `x-ms-throttle-limit-percentage` (null when absent); `retryAfterMs` the parsed Retry-After of a 429.
   */
  observe(status: number, throttleHeader: string | null, retryAfterMs: number | null = null): void {
    const now = this.clock.now();
    this.refill(now);
    const row = this.row(now);
    if (status === 429) {
      this.paceAt = now;
      this.throttled++;
      row.throttled++;
      // A refusal while the last answers said a fifth of the budget or more was left is another limit or a
      // transient refusal: the refused write waits out its own Retry-After (the writer requeues it), but it says
      // nothing about the write budget, so neither the pace nor the other writes change.
      if ((parseThrottlePercentage(throttleHeader) ?? 0) >= 1 || !this.hadSpare) {
        // The budget is empty: no write may start before Graph's Retry-After.
        if (retryAfterMs !== null && retryAfterMs > 0) this.pause(retryAfterMs);
        this.saturated(now);
      }
      return;
    }
    this.accepted++;
    row.accepted++;
    const bounds = spareFromHeader(throttleHeader, this.capacity);
    // Graph's figure counts what it has charged; ours already took off what is in flight.
    const low = bounds.low - this.inFlight;
    const high = bounds.high - this.inFlight;
    // Only a header bounds what is left tightly enough to show the mirror fell behind (its absence says "≥ 20 %").
    this.adjustPace(now, throttleHeader !== null ? Math.max(0, low - this.spare) : 0);
    const corrected = Math.min(Math.max(this.spare, low), Math.max(0, high));
    if (corrected !== this.spare) {
      this.spare = corrected;
      this.syncedAt = now;
    }
    const hasSpare = low > 0;
    if (this.hadSpare && !hasSpare && this.anchor === null) {
      // The spare budget just ran out: the first, approximate, reference point for a measurement.
      this.anchor = { at: now, accepted: this.accepted, strong: false };
    }
    this.hadSpare = hasSpare;
  }

  /** A 429's Retry-After (of a write, or of any request of this app): no write may start before it has passed. */
  pause(retryAfterMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + retryAfterMs);
  }

  state(): RateControllerState {
    this.refill(this.clock.now());
    return {
      paceWritesPerSecond: this.pace,
      measuredWritesPerSecond: this.measured,
      spareWrites: this.spare,
      inFlight: this.inFlight,
      pausedUntil: this.pausedUntil,
      accepted: this.accepted,
      throttled: this.throttled,
      saturations: this.saturations,
    };
  }

  /** Per-second history (oldest first), for reports and plots. */
  timeline(): RateHistoryRow[] {
    const rows = [...this.history];
    if (this.current) rows.push(this.finish(this.current));
    return rows;
  }

  private refill(now: number): void {
    if (now > this.spareAt) {
      this.spare = Math.min(this.capacity, this.spare + ((now - this.spareAt) * this.pace) / 1000);
      this.spareAt = now;
    }
  }

  /**
   * Raises the pace between saturations. When Graph reports more budget left than the mirror holds (`behind` writes
   * more), the refill rate is at least the pace plus what the mirror missed over the time since it was last set:
   * the pace takes that step (at most doubling before a measurement, 5 % after one). Otherwise, if configured, it
   * creeps up while the pace is what holds writes back (`probePerSecond`).
   */
  private adjustPace(now: number, behind: number): void {
    const dt = Math.min(1, Math.max(0, now - this.paceAt) / 1000);
    this.paceAt = now;
    if (now < this.pausedUntil) return;
    if (behind > 1) {
      const missed = (behind * 1000) / Math.max(200, now - this.syncedAt);
      const step = this.measuredExactly ? this.recoverPerSecond * this.pace : this.pace;
      this.pace += Math.min(missed, step);
    } else if (dt > 0 && now - this.limitedAt <= 1000) {
      this.pace *= 1 + this.probePerSecond * dt;
    }
    this.pace = Math.min(this.pace, this.capacity);
  }

  private saturated(now: number): void {
    // Graph refused a write for its budget: the budget is empty now, and our mirror says so.
    this.spare = Math.min(this.spare, 0);
    this.syncedAt = now;
    const a = this.anchor;
    if (a?.strong && now - a.at < this.minSampleMs) return;
    this.saturations++;
    if (a && now - a.at >= this.minSampleMs) {
      const sample = ((this.accepted - a.accepted) * 1000) / (now - a.at);
      if (a.strong) {
        this.measured = this.measuredExactly && this.measured !== null ? (this.measured + sample) / 2 : sample;
        this.measuredExactly = true;
        this.pace = Math.max(this.minPerSecond, this.measured * (1 - this.margin));
      } else {
        // Measured from "near the end" (up to the header's rounding was left then): an upper bound.
        this.measured = Math.min(this.pace, sample);
        this.pace = Math.max(this.minPerSecond, this.measured * (1 - this.margin));
      }
    }
    // Without a reference the refusal may come from the mirror's guess of what was left, not from the pace: only
    // resynchronised (above); the next refusal measures.
    this.anchor = { at: now, accepted: this.accepted, strong: true };
  }

  private row(now: number): { second: number; accepted: number; throttled: number } {
    const second = Math.floor((now - this.startedAt) / 1000);
    if (this.current && this.current.second !== second) {
      this.history.push(this.finish(this.current));
      if (this.history.length > this.historySeconds) this.history.shift();
      this.current = null;
    }
    this.current ??= { second, accepted: 0, throttled: 0 };
    return this.current;
  }

  private finish(c: { second: number; accepted: number; throttled: number }): RateHistoryRow {
    return { ...c, paceWritesPerSecond: this.pace, measured: this.measured !== null };
  }
}
