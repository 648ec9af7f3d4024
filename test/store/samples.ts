// Test data builders for the store suites: settings, plans with many changes, run records with outcomes.
import type { Change, DomainSettings, Plan, RunRecord, UserOutcome } from '../../src/sync/model.js';

export function settings(domain: string, maxDeletionPercent = 10): DomainSettings {
  return {
    domain,
    synced: true,
    maxDeletionPercent,
    maxDeletionCount: null,
    protectedAccounts: ['admin@' + domain],
    periodic: false,
    onDelete: 'delete',
    pausedUntil: null,
    allowSourceShrink: false,
    notify: 'changes-only',
    updatedAt: '2026-01-01T00:00:00.000Z',
    updatedBy: 'tester',
  };
}

export function changes(count: number, domain = 'contoso.co.jp'): Change[] {
  return Array.from({ length: count }, (_, i): Change => {
    const upn = `user${String(i).padStart(7, '0')}@${domain}`;
    return i % 3 === 0
      ? { action: 'NoChange', entraId: `e${i}`, upn, immutableId: `imm${i}`, displayName: `山田 ${i}` }
      : {
          action: 'Update',
          entraId: `e${i}`,
          upn,
          immutableId: `imm${i}`,
          changes: [{ attribute: 'department', before: 'Sales', after: `Dept ${i}` }],
          adopt: false,
        };
  });
}

export function plan(id: string, changeCount: number, domain = 'contoso.co.jp'): Plan {
  const all = changes(changeCount, domain);
  const update = all.filter((c) => c.action === 'Update').length;
  return {
    formatVersion: 2,
    id,
    domain,
    createdAt: '2026-01-02T03:04:05.000Z',
    createdBy: 'tester',
    sourceFingerprint: 'src-fp',
    entraFingerprint: 'entra-fp',
    settings: { maxDeletionPercent: 10, maxDeletionCount: null, onDelete: 'delete', protectedAccounts: [] },
    writeSettings: { protectedAccounts: [], onDelete: 'delete', usageLocation: 'JP', authenticationType: 'Federated' },
    settingsFingerprint: 'settings-fp',
    changes: all,
    counts: { add: 0, update, delete: 0, skip: 0, noChange: all.length - update, restore: 0 },
    deletion: { count: 0, inScope: all.length, percent: 0, maxPercent: 10, maxCount: null, wouldCancel: false },
    guard: { ok: true },
    hash: `hash-${id}`,
  };
}

export function run(id: string, domain: string, startedAt: string, outcomeCount = 2): RunRecord {
  const outcomes: UserOutcome[] = Array.from({ length: outcomeCount }, (_, i) => ({
    action: 'Update',
    upn: `u${i}@${domain}`,
    immutableId: `imm${i}`,
    result: i % 10 === 9 ? 'failed' : 'done',
    ...(i % 10 === 9
      ? { errorKind: 'bad_request' as const, errorCode: 'Request_BadRequest', errorMessage: 'bad' }
      : {}),
  }));
  return {
    id,
    domain,
    trigger: 'hourly',
    requestedBy: null,
    approvedBy: null,
    planId: `plan-${id}`,
    planHash: `hash-${id}`,
    startedAt,
    endedAt: startedAt,
    status: 'completed',
    reason: null,
    planCounts: null,
    counts: { added: 0, updated: outcomeCount, deleted: 0, failed: 0 },
    deletion: null,
    total: outcomeCount,
    outcomes,
  };
}
