// Shared test helpers for the scheduler: domain settings, run records and a recording runner in place of SyncService.
import type { HeldDomain } from '../../src/sync/service-interface.js';
import type { DomainSettings, RunRecord } from '../../src/sync/model.js';
import type { ScheduledRunner, SlotInfo } from '../../src/schedule/index.js';

export function settingsFor(domain: string, patch: Partial<DomainSettings> = {}): DomainSettings {
  return {
    domain,
    synced: true,
    maxDeletionPercent: 10,
    maxDeletionCount: null,
    protectedAccounts: [],
    periodic: true,
    onDelete: 'delete',
    pausedUntil: null,
    allowSourceShrink: false,
    notify: 'changes-only',
    updatedAt: new Date(0).toISOString(),
    updatedBy: null,
    ...patch,
  };
}

export function runRecordFor(domain: string, at: number, patch: Partial<RunRecord> = {}): RunRecord {
  return {
    id: `run-${domain}-${at}`,
    domain,
    trigger: 'hourly',
    requestedBy: 'scheduler',
    approvedBy: 'periodic sync',
    planId: `plan-${domain}-${at}`,
    planHash: 'a'.repeat(64),
    startedAt: new Date(at).toISOString(),
    endedAt: new Date(at + 1000).toISOString(),
    status: 'completed',
    reason: null,
    planCounts: { add: 1, update: 0, delete: 0, skip: 0, noChange: 3, restore: 0 },
    counts: { added: 1, updated: 0, deleted: 0, failed: 0 },
    deletion: null,
    total: 1,
    outcomes: [],
    ...patch,
  };
}

export interface RecordedCall {
  readonly domain: string;
  readonly slot: number | null;
  readonly startedAt: number;
  endedAt: number | null;
}

/** A runner that records every call; `hold()` makes the next runs wait until `release()`. */
export function recordingRunner(clock: () => number) {
  const calls: RecordedCall[] = [];
  let gate: { promise: Promise<void>; release: () => void } | null = null;
  const runner: ScheduledRunner = {
    async runScheduled(domain: string, _held?: HeldDomain, slot?: SlotInfo) {
      const call: RecordedCall = { domain, slot: slot?.slot ?? null, startedAt: clock(), endedAt: null };
      calls.push(call);
      if (gate) await gate.promise;
      call.endedAt = clock();
      return runRecordFor(domain, call.startedAt);
    },
  };
  return {
    runner,
    calls,
    hold() {
      let release!: () => void;
      const promise = new Promise<void>((r) => {
        release = r;
      });
      gate = { promise, release };
    },
    release() {
      gate?.release();
      gate = null;
    },
  };
}
