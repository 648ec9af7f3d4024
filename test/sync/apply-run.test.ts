// The journaled executor: unknown outcomes are resolved before re-sending, a crash resumes exactly, failures are accounted.
import { describe, expect, it } from 'vitest';
import { ERROR_POLICY } from '../../src/entra/errors.js';
import { createLogger } from '../../src/logger.js';
import { KeyvJournalRepository } from '../../src/store/journal-repository.js';
import { openMemoryBackend } from '../../src/store/memory-backend.js';
import { executePlan, indexOpsByChange } from '../../src/sync/apply-run.js';
import type { Change, EntraUser, Plan } from '../../src/sync/model.js';
import { entraUser } from './fixtures.js';
import type {
  EntraReader,
  EntraWriter,
  JournalEntry,
  JournalRepository,
  WriteOp,
  WriteOptions,
  WriteResult,
} from '../../src/sync/ports.js';

const logger = createLogger('silent');

/** An Entra user with the given id, UPN and Immutable ID (the rest from the shared fixture). */
const user = (id: string, upn: string, immutableId: string | null): EntraUser =>
  entraUser({
    id,
    userPrincipalName: upn,
    displayName: upn,
    mailNickname: upn.split('@')[0]!,
    onPremisesImmutableId: immutableId,
  });

type Fault = 'commit-then-lose' | 'lose' | 'bad-request' | 'forbidden' | 'conflict';

/** An in-memory Entra behind the reader and writer ports, with per-op scripted faults (each fires once). */
class FakeEntra {
  users = new Map<string, EntraUser>();
  deleted = new Map<string, EntraUser>();
  creates = 0;
  sent: string[] = [];
  faults = new Map<string, Fault>();
  private seq = 0;

  reader: EntraReader = {
    listDomains: async () => [],
    listUsers: async () => [...this.users.values()],
    eachUser: async (_d, onUsers) => onUsers([...this.users.values()]),
    listDeletedUsers: async () => [],
    listAdminRoleHolders: async () => new Set(),
    organizationCountry: async () => null,
    isGlobalAdmin: async () => false,
    findUserByImmutableId: async (imm) => [...this.users.values()].find((u) => u.onPremisesImmutableId === imm) ?? null,
    getUser: async (key) =>
      this.users.get(key) ?? [...this.users.values()].find((u) => u.userPrincipalName === key) ?? null,
  };

  writer: EntraWriter = {
    execute: async (ops: readonly WriteOp[], options: WriteOptions) => {
      for (const op of ops) {
        this.sent.push(op.opId);
        const fault = this.faults.get(op.opId);
        this.faults.delete(op.opId);
        // The policy comes from the adapter's one table, as the real writer fills it in.
        const fail = (r: Omit<WriteResult & { ok: false }, 'policy'>): Promise<void> | void =>
          options.onResult({ ...r, policy: ERROR_POLICY[r.kind] });
        if (fault === 'lose') {
          await fail({
            opId: op.opId,
            ok: false,
            status: 0,
            kind: 'transient',
            code: 'ECONNRESET',
            message: 'reset',
            outcomeUnknown: true,
          });
          continue;
        }
        if (fault === 'bad-request') {
          await fail({
            opId: op.opId,
            ok: false,
            status: 400,
            kind: 'bad_request',
            code: 'Request_BadRequest',
            message: 'bad',
            outcomeUnknown: false,
          });
          continue;
        }
        if (fault === 'forbidden') {
          await fail({
            opId: op.opId,
            ok: false,
            status: 403,
            kind: 'forbidden',
            code: 'Authorization_RequestDenied',
            message: 'Insufficient privileges',
            outcomeUnknown: false,
          });
          continue;
        }
        const userId = this.apply(op);
        if (fault === 'commit-then-lose') {
          await fail({
            opId: op.opId,
            ok: false,
            status: 503,
            kind: 'transient',
            code: 'ServiceUnavailable',
            message: 'lost',
            outcomeUnknown: true,
          });
          continue;
        }
        if (userId === 'conflict') {
          await fail({
            opId: op.opId,
            ok: false,
            status: 400,
            kind: 'conflict',
            code: 'ObjectConflict',
            message: 'exists',
            outcomeUnknown: false,
          });
          continue;
        }
        await options.onResult({ opId: op.opId, ok: true, status: op.kind === 'create' ? 201 : 204, userId });
      }
    },
  };

  private apply(op: WriteOp): string | null {
    if (op.kind === 'create') {
      const upn = op.userPrincipalName;
      if ([...this.users.values()].some((u) => u.userPrincipalName === upn)) return 'conflict';
      this.creates++;
      const id = `new-${++this.seq}`;
      this.users.set(id, user(id, upn, op.immutableId));
      return id;
    }
    if (op.kind === 'update' || op.kind === 'disable') {
      const u = this.users.get(op.userId);
      const set = op.kind === 'update' ? op.attributes : { accountEnabled: false };
      if (u) this.users.set(op.userId, { ...u, ...(set as Partial<EntraUser>) });
      return op.userId;
    }
    if (op.kind === 'delete') {
      const u = this.users.get(op.userId);
      if (u) {
        this.users.delete(op.userId);
        this.deleted.set(op.userId, u);
      }
      return null;
    }
    const d = this.deleted.get(op.deletedId);
    if (d) {
      this.deleted.delete(op.deletedId);
      this.users.set(op.deletedId, d);
    }
    return op.deletedId;
  }
}

class MemoryJournal implements JournalRepository {
  entries = new Map<string, Map<string, JournalEntry>>();
  finished = new Set<string>();
  async write(runId: string, entries: readonly JournalEntry[]) {
    const m = this.entries.get(runId) ?? new Map();
    for (const e of entries) m.set(e.opId, e);
    this.entries.set(runId, m);
  }
  async read(runId: string) {
    return new Map(this.entries.get(runId) ?? []);
  }
  async *segments(runId: string) {
    yield [...(this.entries.get(runId) ?? new Map<string, JournalEntry>()).values()];
  }
  async unfinished() {
    return [...this.entries.keys()].filter((r) => !this.finished.has(r));
  }
  async markFinished(runId: string) {
    this.finished.add(runId);
  }
}

const desired = (upn: string, imm: string) =>
  ({
    userPrincipalName: upn,
    displayName: upn,
    givenName: null,
    surname: null,
    mailNickname: upn.split('@')[0]!,
    onPremisesImmutableId: imm,
    mail: null,
    jobTitle: null,
    department: null,
    employeeId: null,
    mobilePhone: null,
    accountEnabled: true,
  }) as const;

/** A plan with `adds` creates, one update, one delete and one restore, with matching ops. */
function fixture(adds: number) {
  const entra = new FakeEntra();
  entra.users.set('u1', user('u1', 'upd@d.jp', 'IMM-U'));
  entra.users.set('x1', user('x1', 'gone@d.jp', 'IMM-X'));
  entra.deleted.set('r1', user('r1', 'back@d.jp', 'IMM-R'));
  const changes: Change[] = [];
  const ops: WriteOp[] = [];
  for (let i = 0; i < adds; i++) {
    const upn = `n${String(i).padStart(3, '0')}@d.jp`;
    changes.push({
      action: 'Add',
      upn,
      immutableId: `IMM-${i}`,
      attributes: desired(upn, `IMM-${i}`),
      restoreId: null,
      changes: [],
    });
    ops.push({
      opId: `a:IMM-${i}`,
      phase: 1,
      kind: 'create',
      userPrincipalName: upn,
      immutableId: `IMM-${i}`,
      attributes: desired(upn, `IMM-${i}`),
      usageLocation: null,
      authenticationType: 'Managed',
    });
  }
  changes.push({
    action: 'Add',
    upn: 'back@d.jp',
    immutableId: 'IMM-R',
    attributes: desired('back@d.jp', 'IMM-R'),
    restoreId: 'r1',
    changes: [],
  });
  ops.push({ opId: 'r:r1', phase: 0, kind: 'restore', deletedId: 'r1' });
  ops.push({ opId: 'u:r1', phase: 1, kind: 'update', userId: 'r1', attributes: { jobTitle: 'Returned' } });
  changes.push({
    action: 'Update',
    entraId: 'u1',
    upn: 'upd@d.jp',
    immutableId: 'IMM-U',
    adopt: false,
    changes: [{ attribute: 'jobTitle', before: null, after: 'Lead' }],
  });
  ops.push({ opId: 'u:u1', phase: 1, kind: 'update', userId: 'u1', attributes: { jobTitle: 'Lead' } });
  changes.push({
    action: 'Delete',
    entraId: 'x1',
    upn: 'gone@d.jp',
    immutableId: 'IMM-X',
    displayName: null,
    mode: 'delete',
  });
  ops.push({ opId: 'd:x1', phase: 1, kind: 'delete', userId: 'x1' });
  const plan = { id: 'plan-1', domain: 'd.jp', changes } as unknown as Plan;
  return { entra, plan, ops };
}

/** Restores first, then everything else (the restore's follow-up update must come after it). */
const phasesOf = (ops: WriteOp[]) => [ops.filter((o) => o.kind === 'restore'), ops.filter((o) => o.kind !== 'restore')];

describe('executePlan', () => {
  it('links every op to its change; a restore-Add owns both its ops', () => {
    const { plan, ops } = fixture(2);
    const index = indexOpsByChange(plan, ops);
    expect(index.get('r:r1')?.key).toBe(index.get('u:r1')?.key);
    expect(index.get('a:IMM-0')?.change.action).toBe('Add');
    expect(index.get('d:x1')?.change.action).toBe('Delete');
  });

  it('applies everything once and reports one outcome per change', async () => {
    const { entra, plan, ops } = fixture(30);
    const journal = new MemoryJournal();
    const res = await executePlan(
      { reader: entra.reader, writer: entra.writer, journal, logger },
      { runId: 'run', plan, phases: phasesOf(ops), chunkSize: 7 },
    );
    expect(res.counts).toEqual({ added: 31, updated: 1, deleted: 1, failed: 0 });
    expect(res.outcomes).toHaveLength(33);
    expect(res.outcomes.find((o) => o.upn === 'back@d.jp')?.restored).toBe(true);
    expect(entra.creates).toBe(30);
    expect(entra.users.get('r1')?.jobTitle).toBe('Returned');
    expect(entra.users.has('x1')).toBe(false);
  });

  it('never creates twice when a create committed but its answer was lost', async () => {
    const { entra, plan, ops } = fixture(10);
    for (const id of ['a:IMM-1', 'a:IMM-4', 'r:r1']) entra.faults.set(id, 'commit-then-lose');
    entra.faults.set('a:IMM-7', 'lose');
    const res = await executePlan(
      { reader: entra.reader, writer: entra.writer, journal: new MemoryJournal(), logger },
      { runId: 'run', plan, phases: phasesOf(ops) },
    );
    expect(res.counts.failed).toBe(0);
    expect(res.counts.added).toBe(11);
    expect(entra.creates).toBe(10);
    // The lost-before-commit create was re-sent once; the committed ones were not.
    expect(entra.sent.filter((s) => s === 'a:IMM-7')).toHaveLength(2);
    expect(entra.sent.filter((s) => s === 'a:IMM-1')).toHaveLength(1);
  });

  // Entra is eventually consistent: a user just created can read as Not Found for a moment
  // (https://devblogs.microsoft.com/identity/designing-for-eventual-consistency-for-microsoft-entra).
  it('looks a lost create up again once the settle time has passed when Graph still answers Not Found', async () => {
    const run = async (lookupSettleMs: number) => {
      let now = 0;
      const clock = {
        now: () => now,
        sleep: async (ms: number) => {
          now += ms;
        },
      };
      const { entra, plan, ops } = fixture(3);
      entra.faults.set('a:IMM-1', 'commit-then-lose');
      // Reads see a user only 2 s after it was created.
      const bornAt = new Map<string, number>();
      const seen = (u: EntraUser | null) =>
        u && (bornAt.get(u.id) ?? Number.NEGATIVE_INFINITY) + 2000 <= now ? u : null;
      const reader: EntraReader = {
        ...entra.reader,
        getUser: async (key) => seen(await entra.reader.getUser(key)),
        findUserByImmutableId: async (imm) => seen(await entra.reader.findUserByImmutableId(imm)),
      };
      const writer: EntraWriter = {
        execute: async (batch, options) => {
          const before = new Set(entra.users.keys());
          await entra.writer.execute(batch, options);
          for (const id of entra.users.keys()) if (!before.has(id)) bornAt.set(id, now);
        },
      };
      const res = await executePlan(
        { reader, writer, journal: new MemoryJournal(), logger, clock },
        { runId: 'run', plan, phases: phasesOf(ops), lookupSettleMs },
      );
      return { res, entra, now };
    };
    const settled = await run(3_000);
    expect(settled.res.counts).toMatchObject({ added: 4, failed: 0 });
    expect(settled.entra.sent.filter((s) => s === 'a:IMM-1')).toHaveLength(1);
    expect(settled.now).toBe(3_000);
    // Trusting the first Not Found re-sends the create, which Graph then refuses as a duplicate.
    const hasty = await run(0);
    expect(hasty.entra.sent.filter((s) => s === 'a:IMM-1')).toHaveLength(2);
    expect(hasty.res.counts.failed).toBe(1);
    expect(hasty.entra.creates).toBe(3);
  });

  it('records permanent failures with their Graph code and stops on forbidden', async () => {
    const { entra, plan, ops } = fixture(6);
    entra.faults.set('a:IMM-2', 'bad-request');
    const res = await executePlan(
      { reader: entra.reader, writer: entra.writer, journal: new MemoryJournal(), logger },
      { runId: 'run', plan, phases: phasesOf(ops) },
    );
    expect(res.counts.failed).toBe(1);
    const failed = res.outcomes.find((o) => o.result === 'failed');
    expect(failed).toMatchObject({ upn: 'n002@d.jp', errorCode: 'Request_BadRequest', errorKind: 'bad_request' });

    const second = fixture(20);
    second.entra.faults.set('a:IMM-0', 'forbidden');
    const stopped = await executePlan(
      { reader: second.entra.reader, writer: second.entra.writer, journal: new MemoryJournal(), logger },
      { runId: 'run', plan: second.plan, phases: phasesOf(second.ops), chunkSize: 5 },
    );
    expect(stopped.stoppedBy?.kind).toBe('forbidden');
    expect(stopped.outcomes.some((o) => o.result === 'skipped')).toBe(true);
    expect(second.entra.creates).toBeLessThan(20);
  });

  it('adopts a conflicting create only when the existing user carries the same Immutable ID', async () => {
    const { entra, plan, ops } = fixture(3);
    entra.users.set('pre', user('pre', 'n000@d.jp', 'IMM-0'));
    entra.users.set('other', user('other', 'n001@d.jp', 'SOMEONE-ELSE'));
    const res = await executePlan(
      { reader: entra.reader, writer: entra.writer, journal: new MemoryJournal(), logger },
      { runId: 'run', plan, phases: phasesOf(ops) },
    );
    expect(res.outcomes.find((o) => o.upn === 'n000@d.jp')?.result).toBe('done');
    expect(res.outcomes.find((o) => o.upn === 'n001@d.jp')).toMatchObject({
      result: 'failed',
      errorCode: 'ObjectConflict',
    });
  });

  it('resumes after a crash: journaled intents are looked up, finished ops are not re-sent', async () => {
    const { entra, plan, ops } = fixture(12);
    const journal = new MemoryJournal();
    // Simulate a process that wrote intents for the first 6 creates, applied 4 of them, recorded 2 as done, then died.
    await journal.write(
      'run',
      ops.slice(0, 6).map((op) => ({ opId: op.opId, state: 'intent' as const })),
    );
    const firstFour = ops.slice(0, 4);
    await entra.writer.execute(firstFour, { onResult: () => {} });
    await journal.write(
      'run',
      firstFour.slice(0, 2).map((op) => ({ opId: op.opId, state: 'done' as const })),
    );
    entra.sent.length = 0;
    const res = await executePlan(
      { reader: entra.reader, writer: entra.writer, journal, logger },
      { runId: 'run', plan, phases: phasesOf(ops) },
    );
    expect(entra.creates).toBe(12);
    expect(res.counts).toEqual({ added: 13, updated: 1, deleted: 1, failed: 0 });
    for (const op of ops.slice(0, 4)) expect(entra.sent).not.toContain(op.opId);
    expect(entra.sent).toContain(ops[4]!.opId);
  });

  it('resumes a run journaled by the previous version from the segments it stored', async () => {
    const { entra, plan, ops } = fixture(3);
    const backend = openMemoryBackend();
    const kv = backend.keyv<unknown>('sys-journal');
    // What the version whose write ops carried Graph bodies stored: the journal keeps op ids and states only.
    await kv.set('open', [{ runId: 'old-run', startedAt: '2026-11-29T00:00:00.000Z' }]);
    await kv.set('meta:old-run', { segments: 2, startedAt: '2026-11-29T00:00:00.000Z' });
    await kv.set('seg:old-run:0', [
      { opId: 'a:IMM-0', state: 'intent' },
      { opId: 'a:IMM-1', state: 'intent' },
      { opId: 'a:IMM-2', state: 'intent' },
      { opId: 'd:x1', state: 'intent' },
    ]);
    await kv.set('seg:old-run:1', [
      { opId: 'a:IMM-0', state: 'done', userId: 'new-0' },
      {
        opId: 'd:x1',
        state: 'failed',
        errorKind: 'bad_request',
        errorCode: 'Request_BadRequest',
        errorMessage: 'bad',
      },
    ]);
    // Before the crash a:IMM-1 reached Entra without its answer being journaled; a:IMM-2 never left.
    await entra.writer.execute([ops[1]!], { onResult: () => {} });
    entra.sent.length = 0;
    const journal = new KeyvJournalRepository(kv, backend.locks);
    expect(await journal.unfinished()).toEqual(['old-run']);
    const res = await executePlan(
      { reader: entra.reader, writer: entra.writer, journal, logger },
      { runId: 'old-run', plan, phases: phasesOf(ops) },
    );
    expect(entra.sent).not.toContain('a:IMM-0');
    expect(entra.sent).not.toContain('a:IMM-1');
    expect(entra.sent).not.toContain('d:x1');
    expect(entra.sent).toContain('a:IMM-2');
    expect(entra.creates).toBe(2);
    expect(res.outcomes.find((o) => o.upn === 'gone@d.jp')).toMatchObject({
      result: 'failed',
      errorCode: 'Request_BadRequest',
    });
    expect(res.counts).toEqual({ added: 4, updated: 1, deleted: 0, failed: 1 });
    await backend.close();
  });

  it('leaves re-sending to the writer: an update the writer gave up on is failed, a lost create is handed back once', async () => {
    const { entra, plan, ops } = fixture(2);
    entra.faults.set('u:u1', 'lose');
    entra.faults.set('a:IMM-0', 'lose');
    const res = await executePlan(
      { reader: entra.reader, writer: entra.writer, journal: new MemoryJournal(), logger },
      { runId: 'run', plan, phases: phasesOf(ops), lookupSettleMs: 0 },
    );
    expect(entra.sent.filter((s) => s === 'u:u1')).toHaveLength(1);
    expect(res.outcomes.find((o) => o.upn === 'upd@d.jp')).toMatchObject({
      result: 'failed',
      errorKind: 'transient',
      errorCode: 'ECONNRESET',
    });
    expect(entra.sent.filter((s) => s === 'a:IMM-0')).toHaveLength(2);
    expect(res.outcomes.find((o) => o.upn === 'n000@d.jp')?.result).toBe('done');
  });
});
