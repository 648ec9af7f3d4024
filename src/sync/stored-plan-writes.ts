// A stored plan's writes, read chunk by chunk: the source of a streamed apply (nothing holds the whole plan).
import { changeOfOps, type WriteBatch, type WriteSource } from './apply-run.js';
import type { Change, EntraDomain } from './model.js';
import type { PlanRepository } from './ports.js';
import { type PasswordFor, renameLevels, renamingUpdates, writePhasesOf } from './write-ops.js';

/**
 * Reads the plan once for its UPN renames (the only changes the order of the writes depends on) and its op count,
 * then serves each phase by walking the stored chunks again: a plan without renames (one phase) is read three times
 * in all (renames, writes, outcomes), and at any moment one chunk of changes and its ops are in memory.
 */
export async function storedPlanWrites(
  plans: Pick<PlanRepository, 'changes'>,
  planId: string,
  authenticationType: EntraDomain['authenticationType'],
  passwordFor: PasswordFor,
): Promise<WriteSource> {
  const renames: Extract<Change, { action: 'Update' }>[] = [];
  let total = 0;
  // The count does not depend on the phases: no renames are needed to count the ops.
  const unordered = renameLevels([]);
  for await (const chunk of plans.changes(planId)) {
    for (const u of renamingUpdates(chunk)) renames.push(u);
    for (const phase of writePhasesOf(chunk, unordered, authenticationType, passwordFor)) total += phase.length;
  }
  const levels = renameLevels(renames);
  const phasesOf = (chunk: readonly Change[]) => writePhasesOf(chunk, levels, authenticationType, passwordFor);
  const batch = (chunk: readonly Change[], ops: WriteBatch['ops']): WriteBatch => ({
    ops,
    targets: changeOfOps({ id: planId, changes: chunk }, ops),
  });
  return {
    total,
    async *batches(size) {
      // Phase 0's walk finds how many phases there are; every later phase walks the chunks again.
      let phaseCount = 1;
      for (let n = 0; n < phaseCount; n++) {
        for await (const chunk of plans.changes(planId)) {
          const phases = phasesOf(chunk);
          if (n === 0) phaseCount = Math.max(phaseCount, phases.length);
          const ops = phases[n] ?? [];
          if (ops.length === 0) continue;
          const { targets } = batch(chunk, ops);
          for (let start = 0; start < ops.length; start += size) yield { ops: ops.slice(start, start + size), targets };
        }
      }
    },
    async *written() {
      for await (const chunk of plans.changes(planId)) {
        const ops = phasesOf(chunk).flat();
        if (ops.length > 0) yield batch(chunk, ops);
      }
    },
  };
}
