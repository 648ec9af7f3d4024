// Executes a plan's write operations with a write-ahead journal: resumable after a crash, never creating a user twice.
import type { Logger } from '../logger.js';
import type { Change, ErrorKind, Plan, RunCounts, UserOutcome } from './model.js';
import type { EntraReader, EntraWriter, JournalEntry, JournalRepository, WriteOp, WriteResult } from './ports.js';
import type { ProgressListener } from './service-interface.js';

export interface ExecuteDeps {
  readonly reader: EntraReader;
  readonly writer: EntraWriter;
  readonly journal: JournalRepository;
  readonly logger: Logger;
  /** Time source for the settle wait of lost answers (default: the system clock and a timer). */
  readonly clock?: { now(): number; sleep(ms: number): Promise<void> };
}

/** How a run writes: everything but where the ops come from. */
interface ExecuteSettings {
  readonly runId: string;
  readonly onProgress?: ProgressListener;
  /** Ops per journal chunk: intents of a chunk are durable before any of its writes is sent. */
  readonly chunkSize?: number;
  /** Rounds of "look up, then re-send" for writes whose outcome was unknown. */
  readonly unknownRounds?: number;
  /**
   * How long after a lost answer a "not found" from Graph may still be replication lag: Entra is eventually
   * consistent, and a user just created can read as Not Found for a moment
   * (https://devblogs.microsoft.com/identity/designing-for-eventual-consistency-for-microsoft-entra). A create or
   * restore looked up as absent within this time is looked up once more when it has passed. Default 3 s.
   */
  readonly lookupSettleMs?: number;
  /** Shutdown: no new write starts, the writes in flight finish, and what is not done stays in the journal. */
  readonly signal?: AbortSignal;
}

export interface ExecuteInput extends ExecuteSettings {
  readonly plan: Plan;
  /** Write ops in phases that run one after another (planToWritePhases); ops within a phase are independent. */
  readonly phases: readonly (readonly WriteOp[])[];
}

/** Some write ops, each with the plan change it serves. */
export interface WriteBatch {
  readonly ops: readonly WriteOp[];
  readonly targets: ReadonlyMap<string, WrittenChange>;
}

/**
 * Where a streamed run's writes come from. Nothing in it holds the whole plan: a stored plan is read chunk by chunk,
 * once per phase (see storedPlanWrites in stored-plan-writes.ts).
 */
export interface WriteSource {
  /** How many ops the run has (for progress). */
  readonly total: number;
  /** Batches of one phase each (at most `size` ops), phase after phase. */
  batches(size: number): AsyncIterable<WriteBatch>;
  /** Every change with writes and all its ops, in the plan's order, in batches: the outcomes are built from these. */
  written(): AsyncIterable<WriteBatch>;
}

export interface StreamInput extends ExecuteSettings {
  readonly source: WriteSource;
  /** Receives the per-user outcomes batch by batch (the run log appends them), in the plan's order. */
  readonly onOutcomes: (outcomes: readonly UserOutcome[]) => Promise<void>;
}

export interface StreamResult {
  readonly counts: RunCounts;
  /** Set when a failure of kind 'forbidden' or 'stop' ended the run early. */
  readonly stoppedBy: { kind: ErrorKind; code: string; message: string } | null;
  /** True when `signal` stopped the run: unfinished writes are left as intents, for resumption. */
  readonly interrupted: boolean;
}

export interface ExecuteResult extends StreamResult {
  readonly outcomes: UserOutcome[];
}

export type WrittenChange = Extract<Change, { action: 'Add' | 'Update' | 'Delete' }>;

interface OpTarget {
  readonly change: WrittenChange;
  readonly key: string;
}

/**
 * What the run keeps of a settled op: a shared marker for a success (the user id is in the journal, nothing after
 * the write reads it again), the journal entry for a failure. 100,000 writes then cost one map entry each.
 */
type Settled = Pick<JournalEntry, 'state' | 'errorKind' | 'errorCode' | 'errorMessage'>;
const DONE: Settled = Object.freeze({ state: 'done' });
const settled = (e: JournalEntry): Settled => (e.state === 'done' ? DONE : e);

/**
 * Graph's answer, with what to do when it is one an administrator must resolve by hand: a mail that another
 * object already has as a proxy address (Graph keeps proxyAddresses unique across users and groups).
 */
export function explainFailure(op: WriteOp, message: string): string {
  if (!/proxyAddresses/i.test(message)) return message;
  const mail = op.kind === 'create' || op.kind === 'update' ? op.attributes.mail : undefined;
  const what =
    typeof mail === 'string'
      ? `the mail ${mail} is already an e-mail address (proxyAddresses) of another user or group in Entra ID`
      : 'one of its e-mail addresses (proxyAddresses) is now used by another user or group in Entra ID';
  return `${what}: give this user another mail in Access Control, or remove the address from the other object, then sync again (Graph: ${message})`;
}

/** Links each write op to the plan change it serves (a restore-Add has two ops: restore, then update). */
export function indexOpsByChange(plan: Plan, ops: readonly WriteOp[]): Map<string, OpTarget> {
  const index = new Map<string, OpTarget>();
  for (const [opId, change] of changeOfOps(plan, ops)) {
    const key = change.action === 'Add' ? `add:${change.immutableId}` : `${change.action}:${change.entraId}`;
    index.set(opId, { change, key });
  }
  return index;
}

/** Each write op's change (the plan's own object: ops of one change share it). */
export function changeOfOps(plan: Pick<Plan, 'id' | 'changes'>, ops: readonly WriteOp[]): Map<string, WrittenChange> {
  const addByImmutableId = new Map<string, Extract<Change, { action: 'Add' }>>();
  const addByRestoreId = new Map<string, Extract<Change, { action: 'Add' }>>();
  const byEntraId = new Map<string, Extract<Change, { action: 'Update' | 'Delete' }>>();
  for (const c of plan.changes) {
    if (c.action === 'Add') {
      if (c.restoreId) addByRestoreId.set(c.restoreId, c);
      else addByImmutableId.set(c.immutableId, c);
    } else if (c.action === 'Update' || c.action === 'Delete') byEntraId.set(c.entraId, c);
  }
  const index = new Map<string, WrittenChange>();
  for (const op of ops) {
    let change: WrittenChange | undefined;
    if (op.kind === 'create') change = addByImmutableId.get(op.immutableId);
    else if (op.kind === 'restore') change = addByRestoreId.get(op.deletedId);
    else change = byEntraId.get(op.userId) ?? addByRestoreId.get(op.userId);
    if (!change) throw new Error(`write op ${op.opId} matches no change of plan ${plan.id}`);
    index.set(op.opId, change);
  }
  return index;
}

const STOPPING: ReadonlySet<ErrorKind> = new Set(['forbidden', 'stop']);
/** Look-ups of writes whose answer was lost run this many at a time. */
const LOOKUP_CONCURRENCY = 8;

/** Maps items through an async function, at most `limit` at once, keeping the order of the results. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Runs the phases in order, each chunk by chunk, journaling intent before and result after every write. */
export async function executePlan(deps: ExecuteDeps, input: ExecuteInput): Promise<ExecuteResult> {
  const { plan, phases, ...settings } = input;
  const ops = phases.flat();
  const targets = changeOfOps(plan, ops);
  const outcomes: UserOutcome[] = [];
  const source: WriteSource = {
    total: ops.length,
    async *batches(size) {
      for (const phase of phases)
        for (let start = 0; start < phase.length; start += size)
          yield { ops: phase.slice(start, start + size), targets };
    },
    async *written() {
      yield { ops, targets };
    },
  };
  const result = await executeWrites(deps, {
    ...settings,
    source,
    onOutcomes: async (batch) => {
      for (const o of batch) outcomes.push(o);
    },
  });
  return { ...result, outcomes };
}

/**
 * executePlan over a source that yields the writes batch by batch: the run keeps one marker per settled op and the
 * batch in hand, never all the ops, their bodies or their outcomes.
 */
export async function executeWrites(deps: ExecuteDeps, input: StreamInput): Promise<StreamResult> {
  const { runId, source } = input;
  const chunkSize = input.chunkSize ?? 500;
  const rounds = input.unknownRounds ?? 6;
  const settleMs = input.lookupSettleMs ?? 3_000;
  const clock = deps.clock ?? {
    now: () => Date.now(),
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
  };
  // Of the journal, only what resumption needs: settled ops, and which writes a crash left as bare intents.
  const final = new Map<string, Settled>();
  const intents = new Set<string>();
  for await (const segment of deps.journal.segments(runId)) {
    for (const entry of segment) {
      if (entry.state === 'intent') {
        intents.add(entry.opId);
        final.delete(entry.opId);
      } else {
        intents.delete(entry.opId);
        final.set(entry.opId, settled(entry));
      }
    }
  }

  let stoppedBy: StreamResult['stoppedBy'] = null;
  // The batch being written: a 403's explanation names the user of one of its ops.
  let targets: ReadonlyMap<string, WrittenChange> = new Map();
  const explainForbidden = forbiddenExplainer(deps.reader, (opId) => targets.get(opId));
  let halted = false;
  const total = source.total;
  const report = () => input.onProgress?.({ phase: 'writing', done: final.size, total });
  report();

  for await (const batch of source.batches(chunkSize)) {
    if (stoppedBy || halted) break;
    {
      if (input.signal?.aborted) {
        halted = true;
        break;
      }
      targets = batch.targets;
      const pending = batch.ops.filter((op) => !final.has(op.opId));
      // An op whose required earlier op did not succeed is not sent (a federated adoption whose first move failed).
      const blocked: JournalEntry[] = [];
      const chunk = pending.filter((op) => {
        const required = op.kind === 'update' ? op.requires : undefined;
        const before = required === undefined ? null : final.get(required);
        if (required === undefined || before?.state === 'done') return true;
        blocked.push({
          opId: op.opId,
          state: 'failed',
          errorKind: before?.errorKind ?? 'stop',
          errorCode: 'NotAttempted',
          errorMessage: `not attempted: the write it depends on (${required}) did not succeed`,
        });
        return false;
      });
      // A federated adoption moves the user away only when its Immutable ID is free: if step 2 were refused, Entra
      // would not let the user (still without an Immutable ID) back into the federated domain.
      const moves = chunk.filter((op) => op.opId.startsWith('f1:'));
      const holders = await mapLimit(moves, LOOKUP_CONCURRENCY, (op) =>
        deps.reader.findUserByImmutableId(targets.get(op.opId)?.immutableId ?? ''),
      );
      for (const [i, op] of moves.entries()) {
        const holder = holders[i];
        if (!holder || (op.kind === 'update' && holder.id === op.userId)) continue;
        blocked.push({
          opId: op.opId,
          state: 'failed',
          errorKind: 'conflict',
          errorCode: 'ObjectConflict',
          errorMessage: `conflict: Immutable ID ${targets.get(op.opId)?.immutableId} is already held by ${holder.userPrincipalName} (${holder.id}); nothing was changed`,
        });
        chunk.splice(chunk.indexOf(op), 1);
      }
      if (blocked.length > 0) {
        await deps.journal.write(runId, blocked);
        for (const e of blocked) final.set(e.opId, settled(e));
      }
      if (chunk.length === 0) continue;
      // Writes that a crash interrupted after their intent was recorded: find out whether they happened.
      let toSend: WriteOp[] = [];
      const recovered: JournalEntry[] = [];
      const interrupted = chunk.filter((op) => intents.has(op.opId));
      const lookups = await mapLimit(interrupted, LOOKUP_CONCURRENCY, (op) => wasApplied(deps.reader, op));
      const appliedBefore = new Map(interrupted.map((op, i) => [op.opId, lookups[i]!]));
      for (const op of chunk) {
        const applied = appliedBefore.get(op.opId);
        if (applied?.applied) recovered.push({ opId: op.opId, state: 'done', userId: applied.userId });
        else toSend.push(op);
      }
      if (recovered.length > 0) {
        await deps.journal.write(runId, recovered);
        for (const e of recovered) final.set(e.opId, settled(e));
      }
      for (let round = 0; toSend.length > 0 && round <= rounds && !stoppedBy && !halted; round++) {
        await deps.journal.write(
          runId,
          toSend.map((op) => ({ opId: op.opId, state: 'intent' as const })),
        );
        const results: WriteResult[] = [];
        const answeredAt = new Map<string, number>();
        await deps.writer.execute(toSend, {
          onResult: (r) => {
            results.push(r);
            answeredAt.set(r.opId, clock.now());
          },
          signal: input.signal,
          explainForbidden,
        });
        const byId = new Map(results.map((r) => [r.opId, r]));
        const entries: JournalEntry[] = [];
        const unknown: WriteOp[] = [];
        // Shutting down: writes the writer did not finish keep their intent (resumption looks them up or re-sends).
        const aborting = input.signal?.aborted === true;
        for (const op of toSend) {
          const r = byId.get(op.opId);
          if (aborting && (!r || (!r.ok && (r.kind === 'stop' || r.outcomeUnknown)))) continue;
          if (!r) {
            unknown.push(op);
            continue;
          }
          if (r.ok) {
            entries.push({ opId: op.opId, state: 'done', userId: r.userId });
          } else if (r.outcomeUnknown || r.kind === 'transient' || r.kind === 'throttled') {
            unknown.push(op);
          } else if (op.kind === 'create' && r.kind === 'conflict') {
            // A create refused as a duplicate may be our own earlier attempt: adopt it only if the Immutable ID matches.
            const applied = await wasApplied(deps.reader, op);
            entries.push(
              applied.applied
                ? { opId: op.opId, state: 'done', userId: applied.userId }
                : {
                    opId: op.opId,
                    state: 'failed',
                    errorKind: r.kind,
                    errorCode: r.code,
                    errorMessage: explainFailure(op, r.message),
                  },
            );
          } else {
            entries.push({
              opId: op.opId,
              state: 'failed',
              errorKind: r.kind,
              errorCode: r.code,
              errorMessage: explainFailure(op, r.message),
            });
            if (STOPPING.has(r.kind) && !r.targetRefused && !stoppedBy)
              stoppedBy = { kind: r.kind, code: r.code, message: r.message };
          }
        }
        // Resolve unknown outcomes before any re-send: a create is re-sent only when the user is provably absent.
        const again: WriteOp[] = [];
        const resolved = await mapLimit(unknown, LOOKUP_CONCURRENCY, (op) => wasApplied(deps.reader, op));
        // "Not found" soon after the write may be lag, not absence: once the settle time of the latest such answer
        // has passed, those users are looked up again before anything is re-sent.
        const absent = unknown.flatMap((_op, i) => (resolved[i]!.applied ? [] : [i]));
        const settledAt = Math.max(0, ...absent.map((i) => (answeredAt.get(unknown[i]!.opId) ?? 0) + settleMs));
        if (absent.length > 0 && clock.now() < settledAt) {
          await clock.sleep(settledAt - clock.now());
          const second = await mapLimit(absent, LOOKUP_CONCURRENCY, (i) => wasApplied(deps.reader, unknown[i]!));
          absent.forEach((i, k) => {
            resolved[i] = second[k]!;
          });
        }
        for (const [i, op] of unknown.entries()) {
          const applied = resolved[i]!;
          if (applied.applied) entries.push({ opId: op.opId, state: 'done', userId: applied.userId });
          else if (round < rounds) again.push(op);
          else {
            const r = byId.get(op.opId);
            entries.push({
              opId: op.opId,
              state: 'failed',
              errorKind: r && !r.ok ? r.kind : 'transient',
              errorCode: r && !r.ok ? r.code : 'NoResult',
              errorMessage: r && !r.ok ? r.message : 'no answer from Microsoft Graph after retries',
            });
          }
        }
        await deps.journal.write(runId, entries);
        for (const e of entries) {
          final.set(e.opId, settled(e));
          if (e.opId.startsWith('f1:') && e.state === 'done') {
            const c = targets.get(e.opId);
            deps.logger.info(
              { runId, upn: c?.upn, via: c?.action === 'Update' ? c.via : undefined },
              'federated user moved to its temporary UPN to set the Immutable ID; it is moved back in this run',
            );
          }
        }
        report();
        toSend = again;
        if (aborting) halted = true;
      }
    }
  }
  targets = new Map();
  const counts = { added: 0, updated: 0, deleted: 0, failed: 0 };
  for await (const written of source.written()) {
    const part = summarise(written.ops, written.targets, final);
    counts.added += part.counts.added;
    counts.updated += part.counts.updated;
    counts.deleted += part.counts.deleted;
    counts.failed += part.counts.failed;
    await input.onOutcomes(part.outcomes);
  }
  return { counts, stoppedBy, interrupted: halted };
}

/**
 * Tells a 403 about the user (an administrator, whom Graph does not let an app with User.ReadWrite.All change or
 * delete) from a 403 about the app (a missing permission): the role holders are read afresh, once per run.
 */
function forbiddenExplainer(
  reader: EntraReader,
  changeOf: (opId: string) => WrittenChange | undefined,
): (op: WriteOp) => Promise<string | null> {
  let admins: Promise<Set<string>> | null = null;
  return async (op) => {
    if (op.kind !== 'update' && op.kind !== 'disable' && op.kind !== 'delete') return null;
    admins ??= reader.listAdminRoleHolders({ fresh: true });
    if (!(await admins).has(op.userId)) return null;
    const upn = changeOf(op.opId)?.upn ?? op.userId;
    const verb = op.kind === 'delete' ? 'delete' : 'change';
    return (
      `${upn} holds an admin role (directly, through a group or through PIM), and Microsoft Graph does not let this ` +
      `app ${verb} administrators. Change this user by hand in the Entra admin center, or add it to the domain's ` +
      'protected accounts so that the sync leaves it alone.'
    );
  };
}

/**
 * Federated adoptions of a plan that an unfinished run left half done: moved to the temporary UPN (step 1 done)
 * and not moved back. Such a user is outside the domain's listing, so a new dry run would plan it as a new user.
 */
export function strandedAdoptions(
  plan: Pick<Plan, 'changes'>,
  journal: ReadonlyMap<string, JournalEntry>,
): { upn: string; via: string }[] {
  const out: { upn: string; via: string }[] = [];
  for (const c of plan.changes) {
    if (c.action !== 'Update' || !c.via) continue;
    const moved = journal.get(`f1:${c.entraId}`);
    // An intent may have been sent before the crash: count it as moved.
    if (!moved || moved.state === 'failed') continue;
    if (journal.get(`u:${c.entraId}`)?.state !== 'done') out.push({ upn: c.upn, via: c.via });
  }
  return out;
}

/** Whether a write whose answer was lost took effect (creates and restores are checked; updates and deletes are idempotent). */
async function wasApplied(reader: EntraReader, op: WriteOp): Promise<{ applied: boolean; userId: string | null }> {
  if (op.kind === 'create') {
    const byUpn = op.userPrincipalName ? await reader.getUser(op.userPrincipalName) : null;
    if (byUpn && byUpn.onPremisesImmutableId === op.immutableId) return { applied: true, userId: byUpn.id };
    const byId = op.immutableId ? await reader.findUserByImmutableId(op.immutableId) : null;
    return byId ? { applied: true, userId: byId.id } : { applied: false, userId: null };
  }
  if (op.kind === 'restore') {
    const user = await reader.getUser(op.deletedId);
    return user ? { applied: true, userId: user.id } : { applied: false, userId: null };
  }
  return { applied: false, userId: null };
}

function summarise(
  ops: readonly WriteOp[],
  targets: ReadonlyMap<string, WrittenChange>,
  final: Map<string, Settled>,
): { counts: RunCounts; outcomes: UserOutcome[] } {
  // Ops of one change share the plan's change object: group by it, in the order of each change's first op.
  const perChange = new Map<WrittenChange, (Settled | undefined)[]>();
  for (const op of ops) {
    const change = targets.get(op.opId)!;
    const entries = perChange.get(change);
    if (entries) entries.push(final.get(op.opId));
    else perChange.set(change, [final.get(op.opId)]);
  }
  let added = 0;
  let updated = 0;
  let deleted = 0;
  let failed = 0;
  const outcomes: UserOutcome[] = [];
  for (const [c, entries] of perChange) {
    const failure = entries.find((e) => e?.state === 'failed');
    const done = entries.every((e) => e?.state === 'done');
    const back = c.action === 'Update' && c.via ? final.get(`u:${c.entraId}`) : undefined;
    if (c.action === 'Update' && c.via && back?.state !== 'done' && final.get(`f1:${c.entraId}`)?.state === 'done') {
      // Moved to the temporary UPN and not (yet) back: say where the user is and how to bring it back.
      failed++;
      outcomes.push({
        action: c.action,
        upn: c.upn,
        immutableId: c.immutableId,
        result: 'failed',
        errorKind: back?.errorKind ?? failure?.errorKind ?? 'stop',
        errorCode: back?.errorCode ?? failure?.errorCode ?? 'Interrupted',
        errorMessage:
          `${c.upn} is still at its temporary UPN ${c.via} (moved there to set its Immutable ID): apply this dry run ` +
          `again to finish, or change its UPN back to ${c.upn} in the Entra admin center` +
          (back?.errorMessage ? ` (moving it back failed: ${back.errorMessage})` : ''),
      });
      continue;
    }
    const base = {
      action: c.action,
      upn: c.upn,
      immutableId: c.immutableId,
      ...(c.action === 'Add' && c.restoreId ? { restored: true } : {}),
    };
    if (done) {
      if (c.action === 'Add') added++;
      else if (c.action === 'Update') updated++;
      else deleted++;
      outcomes.push({ ...base, result: 'done' });
    } else if (failure) {
      failed++;
      outcomes.push({
        ...base,
        result: 'failed',
        errorKind: failure.errorKind,
        errorCode: failure.errorCode,
        errorMessage: failure.errorMessage,
      });
    } else {
      outcomes.push({ ...base, result: 'skipped', errorMessage: 'not attempted: the run stopped before this change' });
    }
  }
  return { counts: { added, updated, deleted, failed }, outcomes };
}
