// The sync log: run records (outcomes appended and read in pages) plus per-domain and global day-bucketed indexes, newest first.
import type Keyv from 'keyv';
import type { RunRecord, UserOutcome } from '../sync/model.js';
import type { RunLogRepository } from '../sync/ports.js';
import type { LockTable } from './backend.js';
import { chunk, keyPart } from './keys.js';
import { withMutex } from './mutex.js';

export interface RunLogOptions {
  /** Outcomes per stored page. */
  readonly chunkSize?: number;
  /** list() without a limit returns this many. */
  readonly defaultLimit?: number;
}

interface IndexEntry {
  readonly id: string;
  readonly startedAt: string;
  readonly domain: string;
}
type StoredRun = Omit<RunRecord, 'outcomes'> & { readonly outcomeChunks: number };

const ALL = '*';
/** The stored record with an empty outcome list (its outcomes are read page by page). */
const bare = ({ outcomeChunks: _n, ...rest }: StoredRun): RunRecord => ({ ...rest, outcomes: [] });
const dayOf = (iso: string) => iso.slice(0, 10);
const newestFirst = (a: IndexEntry, b: IndexEntry) =>
  a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;

export class KeyvRunLogRepository implements RunLogRepository {
  private readonly chunkSize: number;
  private readonly defaultLimit: number;

  constructor(
    private readonly kv: Keyv<unknown>,
    private readonly locks: LockTable,
    options: RunLogOptions = {},
  ) {
    this.chunkSize = options.chunkSize ?? 10_000;
    this.defaultLimit = options.defaultLimit ?? 50;
  }

  private runKey = (id: string) => `run:${keyPart(id)}`;
  private outKey = (id: string, n: number) => `out:${keyPart(id)}:${n}`;
  private daysKey = (scope: string) => `days:${keyPart(scope)}`;
  private bucketKey = (scope: string, day: string) => `idx:${keyPart(scope)}:${day}`;

  async get(runId: string, options: { outcomes?: boolean } = {}): Promise<RunRecord | null> {
    const stored = (await this.kv.get(this.runKey(runId))) as StoredRun | undefined;
    if (!stored) return null;
    return options.outcomes === false ? bare(stored) : this.inflate(stored);
  }

  async put(run: RunRecord, options: { keepOutcomes?: boolean } = {}): Promise<void> {
    const old = (await this.kv.get(this.runKey(run.id))) as StoredRun | undefined;
    const { outcomes: _o, ...rest } = run;
    if (options.keepOutcomes) {
      await this.kv.set(this.runKey(run.id), { ...rest, outcomeChunks: old?.outcomeChunks ?? 0 } satisfies StoredRun);
    } else {
      const parts = chunk(run.outcomes, this.chunkSize);
      for (const [n, part] of parts.entries()) await this.kv.set(this.outKey(run.id, n), part);
      await this.kv.set(this.runKey(run.id), { ...rest, outcomeChunks: parts.length } satisfies StoredRun);
      if (old && old.outcomeChunks > parts.length) {
        const stale: string[] = [];
        for (let n = parts.length; n < old.outcomeChunks; n++) stale.push(this.outKey(run.id, n));
        await this.kv.delete(stale);
      }
    }
    if (old && old.startedAt === run.startedAt && old.domain === run.domain) return;
    if (old) await this.unindex([{ id: old.id, startedAt: old.startedAt, domain: old.domain }]);
    const entry: IndexEntry = { id: run.id, startedAt: run.startedAt, domain: run.domain.toLowerCase() };
    for (const scope of [ALL, entry.domain]) await this.addToIndex(scope, entry);
  }

  async appendOutcomes(runId: string, outcomes: readonly UserOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    const stored = (await this.kv.get(this.runKey(runId))) as StoredRun | undefined;
    if (!stored) throw new Error(`store: run ${runId} is not in the log: put the run before appending its outcomes`);
    // Pages first, then the count: a reader (or a crash) never sees a counted page that is not written.
    let n = stored.outcomeChunks;
    for (const part of chunk(outcomes, this.chunkSize)) await this.kv.set(this.outKey(runId, n++), part);
    await this.kv.set(this.runKey(runId), { ...stored, outcomeChunks: n } satisfies StoredRun);
  }

  async *outcomes(runId: string): AsyncIterable<readonly UserOutcome[]> {
    const stored = (await this.kv.get(this.runKey(runId))) as StoredRun | undefined;
    if (stored) yield* this.pagesOf(stored);
  }

  async list(filter: { domain?: string; limit?: number; outcomes?: boolean }): Promise<RunRecord[]> {
    const limit = filter.limit ?? this.defaultLimit;
    if (limit <= 0) return [];
    const scope = filter.domain ? filter.domain.toLowerCase() : ALL;
    const days = ((await this.kv.get(this.daysKey(scope))) as string[] | undefined) ?? [];
    const picked: IndexEntry[] = [];
    for (let i = days.length - 1; i >= 0 && picked.length < limit; i--) {
      const bucket = ((await this.kv.get(this.bucketKey(scope, days[i]!))) as IndexEntry[] | undefined) ?? [];
      for (const e of [...bucket].sort(newestFirst)) {
        if (picked.length >= limit) break;
        picked.push(e);
      }
    }
    if (picked.length === 0) return [];
    const stored = (await this.kv.get(picked.map((e) => this.runKey(e.id)))) as (StoredRun | undefined)[];
    const out: RunRecord[] = [];
    for (const s of stored) {
      if (!s) continue;
      out.push(filter.outcomes === true ? await this.inflate(s) : bare(s));
    }
    return out;
  }

  /**
   * The newest run of each domain, outcomes left out: one batched read of the domains' day lists, one of their newest
   * day buckets, one of the records, whatever the number of domains (the domain list shows every domain's last run).
   */
  async lastRuns(domains: readonly string[]): Promise<Map<string, RunRecord>> {
    const found = new Map<string, RunRecord>();
    const scopes = [...new Set(domains.map((d) => d.toLowerCase()))];
    if (scopes.length === 0) return found;
    const dayLists = (await this.kv.get(scopes.map((s) => this.daysKey(s)))) as (string[] | undefined)[];
    const newestDays = scopes.flatMap((scope, i) => {
      const day = dayLists[i]?.at(-1);
      return day ? [{ scope, day }] : [];
    });
    if (newestDays.length === 0) return found;
    const buckets = (await this.kv.get(newestDays.map((n) => this.bucketKey(n.scope, n.day)))) as (
      | IndexEntry[]
      | undefined
    )[];
    const newest = buckets.flatMap((b) => (b && b.length > 0 ? [[...b].sort(newestFirst)[0]!] : []));
    if (newest.length === 0) return found;
    const stored = (await this.kv.get(newest.map((e) => this.runKey(e.id)))) as (StoredRun | undefined)[];
    for (const s of stored) {
      if (!s) continue;
      found.set(s.domain.toLowerCase(), bare(s));
    }
    return found;
  }

  async prune(olderThan: Date): Promise<number> {
    const cutoff = olderThan.toISOString();
    const victims: IndexEntry[] = [];
    await withMutex(this.locks, `runs-index:${ALL}`, async () => {
      const days = ((await this.kv.get(this.daysKey(ALL))) as string[] | undefined) ?? [];
      const keep: string[] = [];
      for (const day of days) {
        if (day > dayOf(cutoff)) {
          keep.push(day);
          continue;
        }
        const key = this.bucketKey(ALL, day);
        const bucket = ((await this.kv.get(key)) as IndexEntry[] | undefined) ?? [];
        const left = bucket.filter((e) => e.startedAt >= cutoff);
        for (const e of bucket) if (e.startedAt < cutoff) victims.push(e);
        if (left.length === 0) await this.kv.delete(key);
        else {
          if (left.length !== bucket.length) await this.kv.set(key, left);
          keep.push(day);
        }
      }
      if (keep.length !== days.length) await this.kv.set(this.daysKey(ALL), keep);
    });
    if (victims.length === 0) return 0;
    await this.unindexScoped(victims, false);
    for (const group of chunk(victims, 200)) {
      const stored = (await this.kv.get(group.map((e) => this.runKey(e.id)))) as (StoredRun | undefined)[];
      const keys: string[] = [];
      group.forEach((e, i) => {
        keys.push(this.runKey(e.id));
        for (let n = 0; n < (stored[i]?.outcomeChunks ?? 0); n++) keys.push(this.outKey(e.id, n));
      });
      await this.kv.delete(keys);
    }
    return victims.length;
  }

  private async inflate(stored: StoredRun): Promise<RunRecord> {
    const outcomes: UserOutcome[] = [];
    for await (const page of this.pagesOf(stored)) for (const o of page) outcomes.push(o);
    return { ...bare(stored), outcomes };
  }

  private async *pagesOf(stored: StoredRun): AsyncIterable<UserOutcome[]> {
    for (let n = 0; n < stored.outcomeChunks; n++) {
      const page = (await this.kv.get(this.outKey(stored.id, n))) as UserOutcome[] | undefined;
      if (page) yield page;
    }
  }

  private async addToIndex(scope: string, entry: IndexEntry): Promise<void> {
    const day = dayOf(entry.startedAt);
    await withMutex(this.locks, `runs-index:${scope}`, async () => {
      const key = this.bucketKey(scope, day);
      const bucket = ((await this.kv.get(key)) as IndexEntry[] | undefined) ?? [];
      if (!bucket.some((e) => e.id === entry.id)) await this.kv.set(key, [...bucket, entry]);
      const days = ((await this.kv.get(this.daysKey(scope))) as string[] | undefined) ?? [];
      if (!days.includes(day)) await this.kv.set(this.daysKey(scope), [...days, day].sort());
    });
  }

  /** Removes entries from the global index and their domains' indexes. */
  private async unindex(entries: IndexEntry[]): Promise<void> {
    await this.unindexScoped(entries, true);
  }

  private async unindexScoped(entries: IndexEntry[], includeGlobal: boolean): Promise<void> {
    const byScope = new Map<string, IndexEntry[]>();
    for (const e of entries) {
      const scopes = includeGlobal ? [ALL, e.domain.toLowerCase()] : [e.domain.toLowerCase()];
      for (const s of scopes) {
        const list = byScope.get(s);
        if (list) list.push(e);
        else byScope.set(s, [e]);
      }
    }
    for (const [scope, list] of byScope) {
      await withMutex(this.locks, `runs-index:${scope}`, async () => {
        const days = ((await this.kv.get(this.daysKey(scope))) as string[] | undefined) ?? [];
        const dayList = new Set(days);
        for (const day of new Set(list.map((e) => dayOf(e.startedAt)))) {
          const key = this.bucketKey(scope, day);
          const ids = new Set(list.filter((e) => dayOf(e.startedAt) === day).map((e) => e.id));
          const bucket = ((await this.kv.get(key)) as IndexEntry[] | undefined) ?? [];
          const left = bucket.filter((e) => !ids.has(e.id));
          if (left.length === bucket.length) continue;
          if (left.length === 0) {
            await this.kv.delete(key);
            dayList.delete(day);
          } else await this.kv.set(key, left);
        }
        if (dayList.size !== days.length) await this.kv.set(this.daysKey(scope), [...dayList].sort());
      });
    }
  }
}
