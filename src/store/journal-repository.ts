// Write-ahead journal of a run's Graph writes: appended in segments (never rewritten), folded on read.
import type Keyv from 'keyv';
import type { JournalEntry, JournalRepository } from '../sync/ports.js';
import type { LockTable } from './backend.js';
import { chunk, keyPart } from './keys.js';
import { withMutex } from './mutex.js';

interface RunMeta {
  readonly segments: number;
  readonly startedAt: string;
}
interface OpenRun {
  readonly runId: string;
  readonly startedAt: string;
}

const OPEN = 'open';
/** Segments fetched per store round trip when reading a journal back. */
const SEGMENTS_PER_READ = 50;

/**
 * Segment `seg:<run>:<n>` holds one write() call's entries; `meta:<run>` counts them. A crash between the
 * two writes leaves an uncounted segment that read() still finds (it probes past the count).
 * markFinished() forgets the run's journal: the run record holds the outcomes from then on.
 */
export class KeyvJournalRepository implements JournalRepository {
  private readonly next = new Map<string, RunMeta>();
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly kv: Keyv<unknown>,
    private readonly locks: LockTable,
  ) {}

  private metaKey = (runId: string) => `meta:${keyPart(runId)}`;
  private segKey = (runId: string, n: number) => `seg:${keyPart(runId)}:${n}`;

  write(runId: string, entries: readonly JournalEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    // Writes of one run are serialised in this process so segments keep their order.
    const prev = this.queues.get(runId) ?? Promise.resolve();
    const job = prev.then(
      () => this.append(runId, entries),
      () => this.append(runId, entries),
    );
    this.queues.set(runId, job);
    const cleanup = () => {
      if (this.queues.get(runId) === job) this.queues.delete(runId);
    };
    job.then(cleanup, cleanup);
    return job;
  }

  private async append(runId: string, entries: readonly JournalEntry[]): Promise<void> {
    let meta = this.next.get(runId);
    if (!meta) {
      const stored = (await this.kv.get(this.metaKey(runId))) as RunMeta | undefined;
      const startedAt = stored?.startedAt ?? new Date().toISOString();
      if (!stored) {
        // Listed as unfinished before its first segment exists, so a crash right after is still found.
        await this.updateOpen((list) => (list.some((r) => r.runId === runId) ? list : [...list, { runId, startedAt }]));
      }
      let n = stored?.segments ?? 0;
      while ((await this.kv.get(this.segKey(runId, n))) !== undefined) n++;
      meta = { segments: n, startedAt };
    }
    const n = meta.segments;
    await this.kv.set(this.segKey(runId, n), entries);
    const updated: RunMeta = { segments: n + 1, startedAt: meta.startedAt };
    await this.kv.set(this.metaKey(runId), updated);
    this.next.set(runId, updated);
  }

  async read(runId: string): Promise<Map<string, JournalEntry>> {
    const out = new Map<string, JournalEntry>();
    for await (const seg of this.segments(runId)) for (const e of seg) out.set(e.opId, e);
    return out;
  }

  async *segments(runId: string): AsyncIterable<readonly JournalEntry[]> {
    await this.queues.get(runId)?.catch(() => undefined);
    const meta = (await this.kv.get(this.metaKey(runId))) as RunMeta | undefined;
    const count = meta?.segments ?? 0;
    const indexes = Array.from({ length: count }, (_, i) => i);
    for (const group of chunk(indexes, SEGMENTS_PER_READ)) {
      const segs = (await this.kv.get(group.map((i) => this.segKey(runId, i)))) as (JournalEntry[] | undefined)[];
      for (const seg of segs) if (seg) yield seg;
    }
    for (let n = count; ; n++) {
      const seg = (await this.kv.get(this.segKey(runId, n))) as JournalEntry[] | undefined;
      if (!seg) break;
      yield seg;
    }
  }

  async unfinished(): Promise<string[]> {
    const list = ((await this.kv.get(OPEN)) as OpenRun[] | undefined) ?? [];
    return [...list]
      .sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0))
      .map((r) => r.runId);
  }

  async markFinished(runId: string): Promise<void> {
    await this.queues.get(runId)?.catch(() => undefined);
    await this.updateOpen((list) => list.filter((r) => r.runId !== runId));
    const meta = (await this.kv.get(this.metaKey(runId))) as RunMeta | undefined;
    let count = meta?.segments ?? 0;
    while ((await this.kv.get(this.segKey(runId, count))) !== undefined) count++;
    const keys = Array.from({ length: count }, (_, i) => this.segKey(runId, i));
    for (const group of chunk(keys, 500)) await this.kv.delete(group);
    await this.kv.delete(this.metaKey(runId));
    this.next.delete(runId);
  }

  private async updateOpen(change: (list: OpenRun[]) => OpenRun[]): Promise<void> {
    await withMutex(this.locks, 'journal-open', async () => {
      const list = ((await this.kv.get(OPEN)) as OpenRun[] | undefined) ?? [];
      const updated = change(list);
      if (updated !== list) await this.kv.set(OPEN, updated);
    });
  }
}
