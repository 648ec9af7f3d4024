// Executes a plan's write operations with a write-ahead journal: resumable after a crash, never creating a user twice.
import type { Logger } from '../logger.js';
import {
  changeOfOps,
  explainFailure,
  groupByChange,
  type Settled,
  settled,
  summarise,
  type WrittenChange,
} from './apply-outcomes.js';
import {
  admissible,
  forbiddenExplainer,
  LOOKUP_CONCURRENCY,
  mapLimit,
  resolveUnknown,
  wasApplied,
} from './apply-lookups.js';
import type { Change, ErrorKind, Plan, RunCounts, UserOutcome } from './model.js';
import type { EntraReader, EntraWriter, JournalEntry, JournalRepository, WriteOp, WriteResult } from './ports.js';
import type { ProgressListener } from './service-interface.js';
import type { ChangeOps } from './write-ops.js';

export {
  changeOfOps,
  explainFailure,
  indexOpsByChange,
  type WrittenChange,
} from './apply-outcomes.js';

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

/** Some write ops of one phase, each with the plan change it serves. */
export interface WriteBatch {
  readonly ops: readonly WriteOp[];
  readonly targets: ReadonlyMap<string, WrittenChange>;
}

/**
 * Where a streamed run's writes come from. Nothing in it need hold the whole plan: a stored plan is read chunk by
 * chunk, once per phase (storedPlanWrites in stored-plan-writes.ts).
 */
export interface WriteSource {
  /** How many ops the run has (for progress). */
  readonly total: number;
  /** Batches of one phase each (at most `size` ops), phase after phase. */
  batches(size: number): AsyncIterable<WriteBatch>;
  /** Every change with writes and its op ids, in the plan's order, in batches: the outcomes are built from these. */
  written(): AsyncIterable<WrittenBatch>;
}

/** Some plan changes, and those of them with writes with their op ids (the outcomes of the batch are theirs). */
export interface WrittenBatch {
  readonly written: readonly ChangeOps[];
  readonly changes: readonly Change[];
}

export interface StreamInput extends ExecuteSettings {
  readonly source: WriteSource;
  /**
   * Receives the per-user outcomes batch by batch (the run log appends them), in the plan's order, with the plan
   * changes of the batch (so a caller that needs them after the writes, the visibility wait, reads the plan no more).
   */
  readonly onOutcomes: (outcomes: readonly UserOutcome[], changes: readonly Change[]) => Promise<void>;
}

export interface StreamResult {
  readonly counts: RunCounts;
  /** Set when a failure whose policy is stop-run (forbidden, stop) ended the run early. */
  readonly stoppedBy: { kind: ErrorKind; code: string; message: string } | null;
  /** True when `signal` stopped the run: unfinished writes are left as intents, for resumption. */
  readonly interrupted: boolean;
}

export interface ExecuteResult extends StreamResult {
  readonly outcomes: UserOutcome[];
}

/** Creates and restores are not idempotent: when their answer is lost, Entra is asked whether they happened. */
const needsLookup = (op: WriteOp): boolean => op.kind === 'create' || op.kind === 'restore';

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
      yield { written: groupByChange(ops, targets), changes: plan.changes };
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
 * batch in hand, never all the ops or their outcomes.
 */
export async function executeWrites(deps: ExecuteDeps, input: StreamInput): Promise<StreamResult> {
  const { runId, source } = input;
  const chunkSize = input.chunkSize ?? 500;
  const settleMs = input.lookupSettleMs ?? 3_000;
  const clock = deps.clock ?? {
    now: () => Date.now(),
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
  };
  // Of the journal, only what resumption needs: settled ops, and which writes a crash left as bare intents. It is
  // read segment by segment and folded here (the last entry per op wins), never held whole.
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
  const explainForbidden = forbiddenExplainer(deps.reader, { get: (opId) => targets.get(opId) });
  let halted = false;
  const total = source.total;
  const report = () => input.onProgress?.({ phase: 'writing', done: final.size, total });
  const record = async (entries: JournalEntry[]) => {
    if (entries.length === 0) return;
    await deps.journal.write(runId, entries);
    for (const e of entries) final.set(e.opId, settled(e));
  };
  report();

  for await (const batch of source.batches(chunkSize)) {
    if (stoppedBy || halted) break;
    if (input.signal?.aborted) {
      halted = true;
      break;
    }
    targets = batch.targets;
    const chunk = await admissible(
      deps.reader,
      batch.ops.filter((op) => !final.has(op.opId)),
      final,
      targets,
      record,
    );
    if (chunk.length === 0) continue;
    // Writes that a crash interrupted after their intent was recorded: find out whether they happened.
    const interrupted = chunk.filter((op) => intents.has(op.opId));
    const lookups = await mapLimit(interrupted, LOOKUP_CONCURRENCY, (op) => wasApplied(deps.reader, op));
    const appliedBefore = new Map(interrupted.map((op, i) => [op.opId, lookups[i]!]));
    const recovered: JournalEntry[] = [];
    let toSend: WriteOp[] = [];
    for (const op of chunk) {
      const applied = appliedBefore.get(op.opId);
      if (applied?.applied) recovered.push({ opId: op.opId, state: 'done', userId: applied.userId });
      else toSend.push(op);
    }
    await record(recovered);
    // The writer retries; a create or restore whose answer it lost is looked up, and handed back once if absent.
    for (let pass = 0; toSend.length > 0 && pass < 2 && !stoppedBy && !halted; pass++) {
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
      // Shutting down: writes the writer did not finish (reported with kind 'stop', the abort's own) or whose answer
      // was lost keep their intent (resumption looks them up or re-sends).
      const aborting = input.signal?.aborted === true;
      for (const op of toSend) {
        const r = byId.get(op.opId);
        if (aborting && (!r || (!r.ok && (r.kind === 'stop' || r.outcomeUnknown)))) continue;
        if (r?.ok) {
          entries.push({ opId: op.opId, state: 'done', userId: r.userId });
        } else if (needsLookup(op) && (!r || r.outcomeUnknown)) {
          unknown.push(op);
        } else if (!r) {
          entries.push(failedEntry(op, undefined));
        } else if (op.kind === 'create' && r.policy === 'adopt-or-skip') {
          // A create refused as a duplicate may be our own earlier attempt: adopt it only if the Immutable ID matches.
          const applied = await wasApplied(deps.reader, op);
          entries.push(applied.applied ? { opId: op.opId, state: 'done', userId: applied.userId } : failedEntry(op, r));
        } else {
          entries.push(failedEntry(op, r));
          if (r.policy === 'stop-run' && !r.targetRefused && !stoppedBy)
            stoppedBy = { kind: r.kind, code: r.code, message: r.message };
        }
      }
      // Resolve unknown outcomes before any re-send: a create is re-sent only when the user is provably absent.
      const again: WriteOp[] = [];
      const resolved = await resolveUnknown(deps.reader, clock, unknown, answeredAt, settleMs);
      for (const [i, op] of unknown.entries()) {
        const applied = resolved[i]!;
        if (applied.applied) entries.push({ opId: op.opId, state: 'done', userId: applied.userId });
        else if (pass === 0) again.push(op);
        else entries.push(failedEntry(op, byId.get(op.opId)));
      }
      await record(entries);
      for (const e of entries) {
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
  targets = new Map();
  // The outcomes, built change by change from the settled ops, batch by batch.
  const counts = { added: 0, updated: 0, deleted: 0, failed: 0 };
  for await (const written of source.written()) {
    const part = summarise(written.written, final);
    counts.added += part.counts.added;
    counts.updated += part.counts.updated;
    counts.deleted += part.counts.deleted;
    counts.failed += part.counts.failed;
    await input.onOutcomes(part.outcomes, written.changes);
  }
  return { counts, stoppedBy, interrupted: halted };
}

/** The journal entry of a write that did not succeed (no result at all: Graph never answered). */
function failedEntry(op: WriteOp, r: WriteResult | undefined): JournalEntry {
  if (!r || r.ok)
    return {
      opId: op.opId,
      state: 'failed',
      errorKind: 'transient',
      errorCode: 'NoResult',
      errorMessage: 'no answer from Microsoft Graph after retries',
    };
  return {
    opId: op.opId,
    state: 'failed',
    errorKind: r.kind,
    errorCode: r.code,
    errorMessage: explainFailure(op, r.message),
  };
}
