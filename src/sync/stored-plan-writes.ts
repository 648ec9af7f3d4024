// A stored plan's writes, read chunk by chunk: the source of a streamed apply (nothing holds the whole plan).
import { changeOfOps, type WriteBatch, type WriteSource } from './apply-run.js';
import { withLegacyPhases } from './legacy-phases.js';
import type { Change, EntraDomain, Plan } from './model.js';
import type { PlanRepository } from './ports.js';
import { changeOpIds, writeCounts, writePhasesOf } from './write-ops.js';

/** How many ops a stored plan's writes make and how many phases they take (writeCounts over all of its chunks). */
export interface WriteTotals {
  readonly ops: number;
  readonly phases: number;
}

/**
 * `chunks` handed on unchanged, their writes counted on the way: a walk the apply makes anyway (the hash check) gives
 * the totals storedPlanWrites would otherwise read the whole plan once more for. `totals()` is null until the walk
 * has reached the end.
 */
export function countingWrites(chunks: AsyncIterable<readonly Change[]>): {
  chunks: AsyncIterable<readonly Change[]>;
  totals: () => WriteTotals | null;
} {
  let done: WriteTotals | null = null;
  async function* counted(): AsyncGenerator<readonly Change[]> {
    let ops = 0;
    let phases = 0;
    for await (const chunk of chunks) {
      const counts = writeCounts(chunk);
      ops += counts.ops;
      phases = Math.max(phases, counts.phases);
      yield chunk;
    }
    done = { ops, phases };
  }
  return { chunks: counted(), totals: () => done };
}

/**
 * Each change carries its write phase (the diff gave it), so one walk of the stored chunks counts the ops and the
 * phases (or `counted`, the totals of a walk already made: countingWrites), and each phase walks the chunks again: a
 * plan without UPN renames (one phase) is read twice more after the hash check (writes, outcomes), and at any moment
 * one chunk of changes and its ops are in memory (the count and the outcome walk build only the ops' ids and
 * phases). A plan stored before format 3 has no phases in its changes: they are derived from the whole plan, which
 * is then held for that run (and counted here: its stored chunks' totals do not hold for the derived phases).
 */
export async function storedPlanWrites(
  plans: Pick<PlanRepository, 'changes'>,
  plan: Pick<Plan, 'id' | 'formatVersion'>,
  authenticationType: EntraDomain['authenticationType'],
  counted: WriteTotals | null = null,
): Promise<WriteSource> {
  let chunks = () => plans.changes(plan.id);
  if (plan.formatVersion < 3) {
    const all: Change[] = [];
    for await (const chunk of plans.changes(plan.id)) for (const c of chunk) all.push(c);
    const phased = withLegacyPhases(all);
    chunks = async function* () {
      yield phased;
    };
  }
  let totals = plan.formatVersion >= 3 ? counted : null;
  if (!totals) {
    const walk = countingWrites(chunks());
    for await (const _chunk of walk.chunks) {
      // counted on the way
    }
    totals = walk.totals();
  }
  const total = totals?.ops ?? 0;
  const phaseCount = totals?.phases ?? 0;
  const targetsOf = (chunk: readonly Change[], ops: WriteBatch['ops']) =>
    changeOfOps({ id: plan.id, changes: chunk }, ops);
  return {
    total,
    async *batches(size) {
      for (let n = 0; n < phaseCount; n++) {
        for await (const chunk of chunks()) {
          const ops = writePhasesOf(chunk, authenticationType)[n] ?? [];
          if (ops.length === 0) continue;
          const targets = targetsOf(chunk, ops);
          for (let start = 0; start < ops.length; start += size) yield { ops: ops.slice(start, start + size), targets };
        }
      }
    },
    async *written() {
      // Only the op ids: the outcomes read the journal by id, so the ops' bodies are not built again.
      for await (const chunk of chunks()) {
        const written = changeOpIds(chunk);
        if (written.length > 0) yield { written, changes: chunk };
      }
    },
  };
}
