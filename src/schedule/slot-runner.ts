// Runs one domain's scheduled slot at most once across processes: the domain's sync lease, the slot state, pause.
import type { Logger } from '../logger.js';
import { scrubSecrets } from '../logger.js';
import type { DomainSettings, RunRecord } from '../sync/model.js';
import type { DomainSettingsRepository, LeaseManager, RunLogRepository, RunNotifier } from '../sync/ports.js';
import { type HeldDomain, isRefusal, type Refusal, syncLeaseName } from '../sync/service-interface.js';
import { keepRenewing } from '../sync/service/lease-renewal.js';
import { slotTime } from './slots.js';

/** Which slot a scheduled run belongs to (passed to the runner as a second argument). */
export interface SlotInfo {
  readonly slot: number;
  readonly scheduledAt: string;
}

/**
 * The use case a slot runs; `SyncService` satisfies it (it ignores the slot). The slot runner holds the domain's sync
 * lease and passes the settings it read under it (`held`): the run takes no second lease and builds its plan from these
 * settings; it reads them again only after the snapshot, for the freshness check.
 */
export interface ScheduledRunner {
  runScheduled(domain: string, held?: HeldDomain, slot?: SlotInfo): Promise<RunRecord | Refusal>;
}

/** The scheduler's per-domain memory, kept in the store so every replica sees it. */
export interface ScheduleState {
  readonly enabled: boolean;
  /** Slots at or before this one never run: enabling periodic sync does not run at once. */
  readonly floorSlot: number | null;
  /** Recently finished slots (ran, refused, failed or skipped for pause), ascending. */
  readonly done: readonly number[];
  readonly lastOutcome: string | null;
  readonly updatedAt: string;
  /** Set just before a slot's run starts, cleared when it is recorded: a process that died in between left it. */
  readonly running?: { readonly slot: number; readonly startedAt: string; readonly holder: string } | null;
}

/** The small part of a Keyv namespace the scheduler needs. */
export interface StateStore {
  get(key: string): Promise<ScheduleState | undefined | null>;
  set(key: string, value: ScheduleState): Promise<unknown>;
}

export type SlotOutcome =
  | { readonly kind: 'ran'; readonly run: RunRecord }
  | { readonly kind: 'refused'; readonly refusal: Refusal }
  | { readonly kind: 'failed'; readonly error: string }
  | { readonly kind: 'skipped'; readonly reason: 'done' | 'disabled' | 'paused' | 'before-enabled' }
  | {
      readonly kind: 'busy';
      readonly heldBy: string;
      /** What the holder's lease had left when it was refused (null: no expiry); a dead holder's runs out by then. */
      readonly expiresInMs: number | null;
    };

/** What a slot came to, and the domain's state as the store holds it after the slot (null when it was not read). */
export interface SlotResult {
  readonly outcome: SlotOutcome;
  readonly state: ScheduleState | null;
}

export interface SlotRunnerOptions {
  readonly runner: ScheduledRunner;
  readonly settings: DomainSettingsRepository;
  readonly leases: LeaseManager;
  /** The sync log: after a crash, a finished run of the slot found there is not run again. */
  readonly runs?: Pick<RunLogRepository, 'list' | 'get'> | null;
  readonly state: StateStore;
  readonly notifier?: RunNotifier | null;
  readonly logger: Logger;
  readonly holderId: string;
  readonly intervalMs: number;
  readonly offsetFor: (domain: string) => number;
  /** Time-to-live of the domain's sync lease; it is renewed every third of it while the run goes on. */
  readonly leaseMs: number;
  readonly clock: () => number;
  /** How many finished slots to remember per domain (enough to cover delayed retries after a crash). */
  readonly remember?: number;
}

export const isEnabled = (s: DomainSettings | null | undefined): boolean => Boolean(s?.synced && s.periodic);

/** Creates the function that runs one slot of one domain; also tracks notifications still being delivered. */
export function createSlotRunner(options: SlotRunnerOptions) {
  const { runner, settings, leases, state, notifier, logger, holderId, intervalMs, leaseMs, clock } = options;
  const remember = options.remember ?? 16;
  const pendingNotifications = new Set<Promise<void>>();

  const record = async (domain: string, prev: ScheduleState | null, slot: number, outcome: string) => {
    const done = [...new Set([...(prev?.done ?? []), slot])].sort((a, b) => a - b).slice(-remember);
    const next: ScheduleState = {
      enabled: prev?.enabled ?? true,
      floorSlot: prev?.floorSlot ?? null,
      done,
      lastOutcome: outcome,
      updatedAt: new Date(clock()).toISOString(),
      running: null,
    };
    await state.set(domain, next);
    return next;
  };

  /** The finished hourly run a process that died before recording the slot left in the sync log, if any. */
  const findUnrecordedRun = async (domain: string, marker: NonNullable<ScheduleState['running']>) => {
    if (!options.runs) return null;
    const recent = await options.runs.list({ domain, limit: 5 });
    const found = recent.find(
      (r) => r.trigger === 'hourly' && r.status !== 'running' && r.startedAt >= marker.startedAt,
    );
    // The listing leaves the per-user outcomes out; the notification lists the run's failures.
    return found ? options.runs.get(found.id) : null;
  };

  const notify = (run: RunRecord) => {
    if (!notifier) return;
    const p: Promise<void> = notifier
      .runFinished(run)
      .catch((err: unknown) =>
        logger.warn({ domain: run.domain, runId: run.id, err: describe(err) }, 'run notification failed'),
      )
      .finally(() => pendingNotifications.delete(p));
    pendingNotifications.add(p);
  };

  /**
   * Runs the slot and returns its outcome with the state it stored (or found, when it stored none): the one record of
   * the slot, which the scheduler keeps as is. A busy or disabled domain was not read under the lease: state null.
   */
  async function runSlot(domain: string, slot: number): Promise<SlotResult> {
    // The domain's sync lease first: everything read after it is current, since only the holder runs or records a
    // slot, and no Sync now, CLI apply or other replica writes the domain meanwhile. The run itself takes no other.
    const answer = await leases.acquire(syncLeaseName(domain), holderId, leaseMs);
    if (!answer.acquired)
      return { outcome: { kind: 'busy', heldBy: answer.heldBy, expiresInMs: answer.expiresInMs }, state: null };
    const lease = answer.lease;
    const stopRenewing = keepRenewing(lease, leaseMs, logger, { domain, slot });
    try {
      const [latest, stored] = await Promise.all([settings.get(domain), state.get(domain)]);
      const fresh = stored ?? null;
      if (!latest || !isEnabled(latest)) return { outcome: { kind: 'skipped', reason: 'disabled' }, state: null };
      if (fresh?.done.includes(slot)) return { outcome: { kind: 'skipped', reason: 'done' }, state: fresh };
      if (fresh?.floorSlot != null && slot <= fresh.floorSlot)
        return { outcome: { kind: 'skipped', reason: 'before-enabled' }, state: fresh };
      const scheduledAt = slotTime(slot, intervalMs, options.offsetFor(domain));
      if (latest.pausedUntil && scheduledAt < Date.parse(latest.pausedUntil)) {
        const recorded = await record(domain, fresh, slot, 'paused');
        logger.info({ domain, slot, pausedUntil: latest.pausedUntil }, 'scheduled sync skipped: paused');
        return { outcome: { kind: 'skipped', reason: 'paused' }, state: recorded };
      }

      if (fresh?.running && fresh.running.slot === slot) {
        const earlier = await findUnrecordedRun(domain, fresh.running);
        if (earlier) {
          const recorded = await record(domain, fresh, slot, `ran:${earlier.status}`);
          logger.info(
            { domain, slot, runId: earlier.id, by: fresh.running.holder },
            'scheduled sync found done by a process that stopped before recording it',
          );
          notify(earlier);
          return { outcome: { kind: 'ran', run: earlier }, state: recorded };
        }
      }
      const marker = { slot, startedAt: new Date(clock()).toISOString(), holder: holderId };
      await state.set(domain, { ...(fresh ?? emptyState(clock)), running: marker });

      let outcome: SlotOutcome;
      try {
        const result = await runner.runScheduled(
          domain,
          { settings: latest },
          { slot, scheduledAt: new Date(scheduledAt).toISOString() },
        );
        outcome = isRefusal(result) ? { kind: 'refused', refusal: result } : { kind: 'ran', run: result };
      } catch (err) {
        outcome = { kind: 'failed', error: describe(err) };
      }
      const recorded = await record(domain, fresh, slot, outcomeLabel(outcome));
      if (outcome.kind === 'ran') {
        logger.info({ domain, slot, runId: outcome.run.id, status: outcome.run.status }, 'scheduled sync finished');
        notify(outcome.run);
      } else if (outcome.kind === 'refused') {
        logger.warn(
          { domain, slot, code: outcome.refusal.code, reason: outcome.refusal.reason },
          'scheduled sync refused',
        );
      } else if (outcome.kind === 'failed') {
        logger.error({ domain, slot, err: outcome.error }, 'scheduled sync failed');
      }
      return { outcome, state: recorded };
    } finally {
      stopRenewing();
      await lease
        .release()
        .catch((err: unknown) => logger.warn({ domain, slot, err: describe(err) }, 'sync lease release failed'));
    }
  }

  /** Records that periodic sync is (still) on or off; on a switch to on, the slots up to `enabledAt` never run. */
  async function markEnabled(domain: string, enabled: boolean, enabledAt: number, known?: ScheduleState | null) {
    const prev = known === undefined ? ((await state.get(domain)) ?? null) : known;
    if (prev && prev.enabled === enabled) return prev;
    const floor = Math.floor((enabledAt - options.offsetFor(domain)) / intervalMs);
    const next: ScheduleState = {
      enabled,
      floorSlot: enabled ? Math.max(prev?.floorSlot ?? floor, floor) : (prev?.floorSlot ?? null),
      done: prev?.done ?? [],
      lastOutcome: prev?.lastOutcome ?? null,
      updatedAt: new Date(clock()).toISOString(),
      running: prev?.running ?? null,
    };
    await state.set(domain, next);
    return next;
  }

  return {
    runSlot,
    markEnabled,
    /** Resolves once every notification started so far has been delivered or given up. */
    async notificationsSettled(): Promise<void> {
      while (pendingNotifications.size > 0) await Promise.allSettled([...pendingNotifications]);
    },
  };
}

export type SlotRunner = ReturnType<typeof createSlotRunner>;

const emptyState = (clock: () => number): ScheduleState => ({
  enabled: true,
  floorSlot: null,
  done: [],
  lastOutcome: null,
  updatedAt: new Date(clock()).toISOString(),
  running: null,
});

function outcomeLabel(o: SlotOutcome): string {
  switch (o.kind) {
    case 'ran':
      return `ran:${o.run.status}`;
    case 'refused':
      return `refused:${o.refusal.code}`;
    case 'failed':
      return 'failed';
    case 'skipped':
      return `skipped:${o.reason}`;
    case 'busy':
      return 'busy';
  }
}

export function describe(err: unknown): string {
  return scrubSecrets(err instanceof Error ? err.message : String(err));
}
