// Stored plans: a summary plus the changes in chunks (a 1M-change plan never becomes one huge string), claimed once.
import type Keyv from 'keyv';
import type { Change, Plan } from '../sync/model.js';
import type { PlanFacts, PlanRepository, PlanSummary } from '../sync/ports.js';
import type { LockTable } from './backend.js';
import { keyPart } from './keys.js';

export interface PlanRepositoryOptions {
  /**
   * Changes per stored chunk. Default 2,000: an apply holds the chunk it is writing (its changes, ops and op index)
   * for as long as those writes take, minutes at Graph's budget, so a chunk's size is part of the apply's live memory.
   */
  readonly chunkSize?: number;
  /** Plans expire after this long (a week-old preview is stale anyway). */
  readonly ttlMs?: number;
}

type PlanMeta = PlanSummary & { readonly chunkCount: number };

export class KeyvPlanRepository implements PlanRepository {
  private readonly chunkSize: number;
  private readonly ttlMs: number;

  constructor(
    private readonly kv: Keyv<unknown>,
    private readonly locks: LockTable,
    options: PlanRepositoryOptions = {},
  ) {
    this.chunkSize = options.chunkSize ?? 2_000;
    this.ttlMs = options.ttlMs ?? 7 * 86_400_000;
  }

  private metaKey(id: string) {
    return `meta:${keyPart(id)}`;
  }
  private chunkKey(id: string, n: number) {
    return `chunk:${keyPart(id)}:${n}`;
  }

  async get(planId: string): Promise<Plan | null> {
    const meta = (await this.kv.get(this.metaKey(planId))) as PlanMeta | undefined;
    if (!meta) return null;
    const changes: Change[] = [];
    for await (const part of this.chunksOf(planId, meta)) for (const c of part) changes.push(c);
    const { chunkCount: _c, changeCount: _n, csvBytes: _b, ...plan } = meta;
    return { ...plan, changes };
  }

  async summary(planId: string): Promise<PlanSummary | null> {
    const meta = (await this.kv.get(this.metaKey(planId))) as PlanMeta | undefined;
    if (!meta) return null;
    const { chunkCount: _c, ...summary } = meta;
    return summary;
  }

  async *changes(planId: string): AsyncIterable<readonly Change[]> {
    const meta = (await this.kv.get(this.metaKey(planId))) as PlanMeta | undefined;
    if (!meta)
      throw new Error(`store: plan ${planId} does not exist (it expired or was discarded): run the dry run again`);
    yield* this.chunksOf(planId, meta);
  }

  private async *chunksOf(planId: string, meta: PlanMeta): AsyncIterable<Change[]> {
    for (let n = 0; n < meta.chunkCount; n++) {
      const part = (await this.kv.get(this.chunkKey(planId, n))) as Change[] | undefined;
      if (!part) throw new Error(`store: plan ${planId} is incomplete (chunk ${n} of ${meta.chunkCount} missing)`);
      yield part;
    }
  }

  async put(plan: Plan, facts: PlanFacts = {}): Promise<void> {
    const old = (await this.kv.get(this.metaKey(plan.id))) as PlanMeta | undefined;
    const chunkCount = Math.ceil(plan.changes.length / this.chunkSize);
    // Chunks first, metadata last: a reader never sees a plan whose chunks are not all written.
    for (let n = 0; n < chunkCount; n++) {
      const part = plan.changes.slice(n * this.chunkSize, (n + 1) * this.chunkSize);
      await this.kv.set(this.chunkKey(plan.id, n), part, this.ttlMs);
    }
    const { changes, ...rest } = plan;
    const meta: PlanMeta = {
      ...rest,
      chunkCount,
      changeCount: changes.length,
      ...(facts.csvBytes !== undefined ? { csvBytes: facts.csvBytes } : {}),
    };
    await this.kv.set(this.metaKey(plan.id), meta, this.ttlMs);
    if (old && old.chunkCount > chunkCount) await this.deleteChunks(plan.id, chunkCount, old.chunkCount);
  }

  async claim(planId: string, runId: string): Promise<{ claimed: true } | { claimed: false; runId: string }> {
    // Never expires; the same run claiming again (a resume) is answered "claimed".
    const answer = await this.locks.tryAcquire(`plan-claim:${planId}`, runId, null, true);
    return answer.ok ? { claimed: true } : { claimed: false, runId: answer.current };
  }

  async discard(planId: string): Promise<void> {
    const meta = (await this.kv.get(this.metaKey(planId))) as PlanMeta | undefined;
    await this.kv.delete(this.metaKey(planId));
    if (meta) await this.deleteChunks(planId, 0, meta.chunkCount);
  }

  private async deleteChunks(planId: string, from: number, to: number): Promise<void> {
    const keys: string[] = [];
    for (let n = from; n < to; n++) keys.push(this.chunkKey(planId, n));
    if (keys.length > 0) await this.kv.delete(keys);
  }
}
