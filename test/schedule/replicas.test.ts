// Three replicas (child processes, SCHEDULER=bullmq, store on a real Redis) run 200 domains exactly once per interval.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slotWaitMs, takeoverWithinMs } from '../../src/schedule/bullmq-driver.js';
import { domainOffsetMs, slotAt, slotTime } from '../../src/schedule/index.js';
import { openStore, type Stores } from '../../src/store/index.js';
import { syncLeaseName } from '../../src/sync/service-interface.js';
import { redisServerAvailable, type RedisServer, startRedisServer } from '../store/redis-server.js';
import { settingsFor } from './fixtures.js';

// Three seconds: short enough for 20 intervals in about a minute, long enough for a loaded two-core machine to keep up.
const INTERVAL_S = 3;
const INTERVAL_MS = INTERVAL_S * 1000;
const DOMAINS = Array.from({ length: 200 }, (_, i) => `d${String(i).padStart(3, '0')}.replica.example.jp`);
const CHECKED_INTERVALS = 20;
const LEASE_MS = 3000;
// By then a dead replica's in-flight jobs are waiting again (job lock = lease, then two stalled checks); its leases,
// renewed last before it died, have run out too, so the slots it had in flight run again at the latest then.
const TAKEOVER_MS = takeoverWithinMs(LEASE_MS);
// A slot job waits for its busy domain at most this long past the end of the lease it found (the driver's rule).
const SLOT_WAIT_MS = slotWaitMs(LEASE_MS);
const CHILD = join(import.meta.dirname, 'replica-child.ts');

interface RunEvent {
  readonly d: string;
  readonly s: number;
  readonly e: 'start' | 'end';
  readonly t: number;
  readonly p: string;
}

const hasRedis = redisServerAvailable();
if (!hasRedis) console.warn('redis-server is not installed: the multi-replica scheduler test is skipped');

describe.skipIf(!hasRedis)('periodic sync across 3 replicas on Redis (BullMQ)', () => {
  let redis: RedisServer;
  let stores: Stores;
  let client: Redis;
  const children: ChildProcess[] = [];
  const logDir = mkdtempSync(join(tmpdir(), 'schedule-replicas-'));

  beforeAll(async () => {
    redis = await startRedisServer();
    stores = await openStore(redis.url);
    client = new Redis(redis.url, { maxRetriesPerRequest: null });
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    client?.disconnect();
    await stores?.close();
    await redis?.stop();
  });

  const startReplica = (i: number) =>
    new Promise<ChildProcess>((resolve, reject) => {
      const err = openSync(join(logDir, `replica-${i}.log`), 'w');
      // node --import tsx: one process per replica, so its pid is the one that is killed.
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
        env: {
          ...process.env,
          DEMO: 'true',
          SCHEDULER: 'bullmq',
          REDIS_URL: redis.url,
          STORE_URL: redis.url,
          SYNC_INTERVAL_SECONDS: String(INTERVAL_S),
          SYNC_LEASE_TTL_SECONDS: String(LEASE_MS / 1000),
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', err],
      });
      children.push(child);
      const timer = setTimeout(() => reject(new Error(`replica ${i} did not start; see ${logDir}`)), 60_000);
      child.stdout?.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) {
          clearTimeout(timer);
          resolve(child);
        }
      });
      child.once('exit', (code) => reject(new Error(`replica ${i} exited with ${code}; see ${logDir}`)));
    });

  const events = async (): Promise<RunEvent[]> =>
    (await client.lrange('test:events', 0, -1)).map((line) => JSON.parse(line) as RunEvent);

  it('runs every domain exactly once per interval, never two at a time, and loses no run when a replica dies', {
    timeout: 150_000,
  }, async () => {
    // Periodic sync is switched on for 200 domains, then three replicas start.
    const enabledAt = Date.now();
    for (const d of DOMAINS)
      await stores.settings.put(settingsFor(d, { updatedAt: new Date(enabledAt).toISOString() }));
    const replicas = await Promise.all([0, 1, 2].map(startReplica));
    const readyAt = Date.now();
    // The start-up storm (three processes compiling and scheduling 200 domains) makes the first slots late, and a
    // slot found late is caught up once, not once per missed slot (the product's rule); counting starts once the
    // replicas keep up: every run of the last interval started less than one interval after its slot.
    let settledAt = 0;
    let seen = 0;
    let goodIntervals = 0;
    while (settledAt === 0) {
      if (Date.now() - readyAt > 45_000)
        throw new Error('the replicas never kept up with the slots (machine overloaded?)');
      await new Promise((r) => setTimeout(r, INTERVAL_MS));
      const fresh = (await client.lrange('test:events', seen, -1)).map((l) => JSON.parse(l) as RunEvent);
      seen += fresh.length;
      const starts = fresh.filter((e) => e.e === 'start');
      const late = starts.filter(
        (e) => e.t - slotTime(e.s, INTERVAL_MS, domainOffsetMs(e.d, INTERVAL_MS)) > INTERVAL_MS,
      );
      goodIntervals = starts.length >= DOMAINS.length * 0.8 && late.length === 0 ? goodIntervals + 1 : 0;
      if (goodIntervals >= 2) settledAt = Date.now();
    }
    const checkedUntil = settledAt + CHECKED_INTERVALS * INTERVAL_MS;

    // Mid-way, kill replica 0 while it is inside runs. It is stopped first (SIGSTOP: from then on it does nothing, so it
    // is dead to the others), then the runs it has open are read: read after the stop, once Redis has taken in what it
    // had already sent, they are exactly the runs it started and never finished, so never recorded as done. (Reading
    // them before the kill raced with the victim: a run could finish and be recorded in between, then count as lost.)
    // Then SIGKILL: no clean-up, its leases and job locks just expire.
    await new Promise((r) => setTimeout(r, Math.max(0, settledAt + 5 * INTERVAL_MS - Date.now())));
    const victim = replicas[0]!;
    const victimName = `replica-${victim.pid}`;
    let killedAt = 0;
    let inFlightAtKill: string[] = [];
    for (let attempt = 0; attempt < 200 && killedAt === 0; attempt++) {
      if ((await client.scard(`test:open:${victimName}`)) === 0) {
        await new Promise((r) => setTimeout(r, 2));
        continue;
      }
      victim.kill('SIGSTOP');
      const stoppedAt = Date.now();
      await new Promise((r) => setTimeout(r, 200));
      const open = await client.smembers(`test:open:${victimName}`);
      if (open.length > 0) {
        killedAt = stoppedAt;
        inFlightAtKill = open;
      }
      victim.kill(open.length > 0 ? 'SIGKILL' : 'SIGCONT');
    }
    expect(killedAt).toBeGreaterThan(0);
    // When each dead lease ends: the store's refusal says how long it has left (the victim holds the domain it runs).
    const deadLeaseEnds = new Map<string, number>();
    for (const key of inFlightAtKill) {
      const d = key.split('|')[0]!;
      const asked = Date.now();
      const answer = await stores.leases.acquire(syncLeaseName(d), 'test-probe', 1);
      if (answer.acquired) await answer.lease.release();
      else expect(answer.heldBy, `${key}: the domain's lease belongs to the run in flight`).toBe(victimName);
      deadLeaseEnds.set(key, answer.acquired ? asked : asked + (answer.expiresInMs ?? Number.POSITIVE_INFINITY));
    }

    // Let the intervals to check pass, and at least the time for the dead replica's runs to be taken over and run again.
    const waitUntil = Math.max(checkedUntil + INTERVAL_MS + 500, killedAt + TAKEOVER_MS + SLOT_WAIT_MS + INTERVAL_MS);
    await new Promise((r) => setTimeout(r, Math.max(0, waitUntil - Date.now())));
    await Promise.all(
      replicas.slice(1).map(
        (c) =>
          new Promise<void>((resolve) => {
            c.once('exit', () => resolve());
            c.kill('SIGTERM');
          }),
      ),
    );

    const all = await events();
    // Runs cut short by the kill end at the kill.
    const byKey = new Map<string, RunEvent[]>();
    for (const e of all) {
      const key = `${e.d}|${e.s}`;
      byKey.set(key, [...(byKey.get(key) ?? []), e]);
    }
    const problems: string[] = [];
    let checked = 0;
    // While the victim's leases and job locks expire (lease TTL + stalled check), its domains' slots pass unrun; they
    // are caught up once when another replica takes the job over (with an hourly interval this all falls in one slot).
    const recoveryFrom = killedAt - INTERVAL_MS;
    const recoveryUntil = killedAt + LEASE_MS + LEASE_MS / 2 + 2 * INTERVAL_MS;
    // A run the victim finished just before dying, but had not yet recorded as done, is run again (at least once).
    const finishedUnrecorded = new Set(
      all.filter((e) => e.p === victimName && e.e === 'end' && e.t >= killedAt - 1000).map((e) => `${e.d}|${e.s}`),
    );
    for (const d of DOMAINS) {
      const offset = domainOffsetMs(d, INTERVAL_MS);
      const floor = slotAt(enabledAt, INTERVAL_MS, offset);
      const first = slotAt(settledAt, INTERVAL_MS, offset) + 1;
      const last = slotAt(checkedUntil, INTERVAL_MS, offset);
      let recoveryRuns = 0;
      let recoverySlots = 0;
      for (let s = first; s <= last; s++) {
        const key = `${d}|${s}`;
        const ends = (byKey.get(key) ?? []).filter((e) => e.e === 'end');
        const at = slotTime(s, INTERVAL_MS, offset);
        const inRecovery = at >= recoveryFrom && at <= recoveryUntil;
        const allowed = finishedUnrecorded.has(key) ? [1, 2] : inRecovery ? [0, 1] : [1];
        if (!allowed.includes(ends.length))
          problems.push(`${d} slot ${s} (at ${at - enabledAt} ms): ${ends.length} runs`);
        if (inRecovery) {
          recoverySlots++;
          recoveryRuns += ends.length;
        } else checked++;
      }
      if (recoverySlots > 0 && recoveryRuns === 0)
        problems.push(`${d}: no run at all while the killed replica's work was recovered`);
      // Never a slot from before enabling, never two of a slot.
      for (const [key, evs] of byKey) {
        if (!key.startsWith(`${d}|`)) continue;
        const s = Number(key.split('|')[1]);
        if (s <= floor) problems.push(`${d} ran slot ${s}, which began before periodic sync was enabled`);
        if (evs.filter((e) => e.e === 'end').length > 1 && !finishedUnrecorded.has(key))
          problems.push(`${d} slot ${s} ran twice`);
      }
      // Never two runs of the domain at a time: the runs' [start, end] spans do not overlap.
      const spans = all
        .filter((e) => e.d === d && e.e === 'start')
        .map((st) => {
          const end = all.find((e) => e.d === d && e.s === st.s && e.p === st.p && e.e === 'end' && e.t >= st.t);
          return { from: st.t, to: end ? end.t : st.p === victimName ? killedAt : Number.POSITIVE_INFINITY, p: st.p };
        })
        .sort((a, b) => a.from - b.from);
      for (let i = 1; i < spans.length; i++)
        if (spans[i]!.from < spans[i - 1]!.to)
          problems.push(`${d}: a run started at ${spans[i]!.from} while another was going until ${spans[i - 1]!.to}`);
    }
    if (problems.length > 0) {
      writeFileSync(join(logDir, 'problems.txt'), problems.join('\n'));
      writeFileSync(
        join(logDir, 'events.json'),
        JSON.stringify({ enabledAt, readyAt, settledAt, checkedUntil, killedAt, victimName, all }),
      );
    }
    expect(problems.slice(0, 20), `${problems.length} problems; see ${logDir}`).toEqual([]);
    // At least 20 intervals of 200 domains were checked for exactly one run (besides the recovery window).
    expect(checked).toBeGreaterThanOrEqual(DOMAINS.length * (CHECKED_INTERVALS - 6));
    expect(
      Math.min(
        ...DOMAINS.map(
          (d) =>
            slotAt(checkedUntil, INTERVAL_MS, domainOffsetMs(d, INTERVAL_MS)) -
            slotAt(settledAt, INTERVAL_MS, domainOffsetMs(d, INTERVAL_MS)),
        ),
      ),
    ).toBeGreaterThanOrEqual(CHECKED_INTERVALS);
    // The runs the kill interrupted were done again by the surviving replicas, once each, never before the dead
    // replica's lease ran out, and no later than the takeover bound plus one slot wait (the driver's rule).
    expect(inFlightAtKill.length).toBeGreaterThan(0);
    for (const key of inFlightAtKill) {
      const [d, s] = key.split('|');
      const ofSlot = all.filter((x) => x.d === d && x.s === Number(s));
      const redone = ofSlot.filter((x) => x.e === 'start' && x.p !== victimName);
      const redoneEnds = ofSlot.filter((x) => x.e === 'end' && x.p !== victimName);
      const trace = ofSlot.map((x) => `${x.e} by ${x.p} at kill${x.t >= killedAt ? '+' : ''}${x.t - killedAt} ms`);
      if (redoneEnds.length !== 1) {
        writeFileSync(
          join(logDir, 'events.json'),
          JSON.stringify({ enabledAt, readyAt, settledAt, checkedUntil, killedAt, victimName, inFlightAtKill, all }),
        );
      }
      expect(redoneEnds, `${key} was lost with the killed replica (${trace.join('; ')}); see ${logDir}`).toHaveLength(
        1,
      );
      const redoneAt = redone[0]!.t;
      expect(redoneAt, `${key} redone only after the dead replica's lease ran out`).toBeGreaterThanOrEqual(
        deadLeaseEnds.get(key)!,
      );
      expect(redoneAt, `${key} redone within the takeover bound`).toBeLessThanOrEqual(
        killedAt + TAKEOVER_MS + SLOT_WAIT_MS,
      );
    }
    // Each surviving replica did a share of the work.
    const perReplica = new Map<string, number>();
    for (const e of all) if (e.e === 'end') perReplica.set(e.p, (perReplica.get(e.p) ?? 0) + 1);
    expect([...perReplica.keys()]).toHaveLength(3);
  });
});
