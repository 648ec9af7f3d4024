// What the periodic sync scheduler needs and offers: its options, the stores it uses, its status report and its operations.
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { DomainSettingsRepository, LeaseManager, RunLogRepository, RunNotifier } from '../sync/ports.js';
import type { ScheduledRunner, SlotOutcome } from './slot-runner.js';

/** The parts of the store the scheduler uses (`Stores` from src/store satisfies it). */
export interface SchedulerStores {
  readonly settings: DomainSettingsRepository;
  readonly runs: RunLogRepository;
  readonly leases: LeaseManager;
  kv<T>(namespace: string): {
    get(key: string): Promise<T | undefined | null>;
    set(key: string, value: T): Promise<unknown>;
  };
}

export interface SchedulerOptions {
  readonly config: Pick<Config, 'syncIntervalSeconds' | 'scheduler' | 'redisUrl' | 'logRetentionDays'> &
    Partial<Pick<Config, 'syncLeaseTtlSeconds'>>;
  readonly service: ScheduledRunner;
  readonly stores: SchedulerStores;
  readonly notifier?: RunNotifier | null;
  readonly logger: Logger;
  /** Milliseconds since the epoch; defaults to Date.now (tests pass a fake clock). */
  readonly clock?: () => number;
  /** Overrides config.syncIntervalSeconds. */
  readonly intervalSeconds?: number;
  /** Overrides config.scheduler. */
  readonly mode?: 'local' | 'bullmq';
  /** Domains synced at the same time by this process (default 4 locally, 8 per BullMQ worker). */
  readonly concurrency?: number;
  /** Domain lease time-to-live (default config.syncLeaseTtlSeconds); renewed while a run goes on, so it only expires when its process died. */
  readonly leaseMs?: number;
  /** How often the list of enabled domains is re-read (default 5 s). */
  readonly refreshMs?: number;
  /** Identifies this process in leases ("held by …"). */
  readonly holderId?: string;
  /** BullMQ queue name (default entra-sync-schedule). */
  readonly queueName?: string;
}

export interface TickReport {
  /** Domains whose due slot was queued by this tick. */
  readonly queued: readonly string[];
}

/** What the scheduler reports about itself (readiness, metrics). */
export interface SchedulerStatus {
  readonly mode: 'local' | 'bullmq';
  /** Between start() and stop(). */
  readonly running: boolean;
  /** When the last timer pass finished (ms since the epoch), and its error when it failed. */
  readonly lastTickAt: number | null;
  readonly lastTickError: string | null;
  /**
   * The next scheduled time of each enabled domain this process knows (ms since the epoch), with the outcome of its
   * last slot as the store records it (`ran:completed`, `paused`, `refused:…`; null before its first slot).
   */
  readonly nextRuns: readonly { readonly domain: string; readonly at: number; readonly lastOutcome: string | null }[];
}

export interface Scheduler {
  readonly mode: 'local' | 'bullmq';
  /** Running state, last pass and next run per domain; never throws. */
  status(): SchedulerStatus;
  /** Throws with the reason when the scheduler cannot work (not started, passes stalled or failing). */
  checkHealth(): Promise<void>;
  /** With SCHEDULER=bullmq, throws unless BullMQ's Redis connection answers and the worker runs; null in local mode. */
  readonly checkQueue: (() => Promise<void>) | null;
  readonly intervalMs: number;
  /** Starts the timer (local) or the BullMQ worker and job schedulers; runs a missed slot once right away. */
  start(): Promise<void>;
  /** Stops timers and workers; waits for runs in progress and notifications. */
  stop(): Promise<void>;
  /** One scheduling pass at `now` (the timer calls it every second; tests call it with a fake clock). */
  tick(now?: number | Date): Promise<TickReport>;
  /** Resolves when no run is queued or going and every notification was delivered or given up. */
  idle(): Promise<void>;
  /** The domain's stable offset within the interval, in milliseconds. */
  offsetFor(domain: string): number;
  /** Outcomes of the runs this process started, newest last (bounded), for status and tests. */
  readonly history: readonly { domain: string; slot: number; outcome: SlotOutcome }[];
}
