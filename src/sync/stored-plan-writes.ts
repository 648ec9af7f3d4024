// A stored plan's writes, read chunk by chunk: the source of a streamed apply (nothing holds the whole plan).
import { changeOfOps, type WriteBatch, type WriteSource } from './apply-run.js';
import { withLegacyPhases } from './legacy-phases.js';
import type { Change, EntraDomain, Plan } from './model.js';
import type { PlanRepository } from './ports.js';
import { changeOpIds, writeCounts, writePhasesOf } from './write-ops.js';

/**
 * Each change carries its write phase (the diff gave it), so one walk of the stored chunks counts the ops and the
 * phases, and each phase walks the chunks again: a plan without UPN renames (one phase) is read three times in all
 * (count, writes, outcomes), and at any moment one chunk of changes and its ops are in memory (the count and the
 * outcome walk build only the ops' ids and phases). A plan stored before
 * format 3 has no phases in its changes: they are derived from the whole plan, which is then held for that run.
 */
export async function storedPlanWrites(
  plans: Pick<PlanRepository, 'changes'>,
  plan: Pick<Plan, 'id' | 'formatVersion'>,
  authenticationType: EntraDomain['authenticationType'],
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
  let total = 0;
  let phaseCount = 0;
  for await (const chunk of chunks()) {
    const counts = writeCounts(chunk);
    total += counts.ops;
    phaseCount = Math.max(phaseCount, counts.phases);
  }
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
