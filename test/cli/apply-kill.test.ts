// `apply` killed (SIGKILL) again and again at random points of a large plan: a last apply completes it, with no duplicate user and nothing left to do.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliTenant, expectChurnApplied, jsonOf, runCli, spawnApply, startChurnTenant } from '../helpers/cli.js';

const DOMAIN = 'kill.jp';
const EXISTING = 3000;
const LEAVERS = 300;
const UPDATED = 1200;
const HIRES = 2400;
const COUNTS = { existing: EXISTING, leavers: LEAVERS, updated: UPDATED, hires: HIRES };
const KILLS = 20;

/** A deterministic PRNG so that a failing sequence of kill points can be replayed from the printed seed. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('apply survives being killed', () => {
  let tenant: CliTenant;

  beforeAll(async () => {
    tenant = await startChurnTenant({
      domain: DOMAIN,
      letter: 'K',
      counts: COUNTS,
      env: { SYNC_LEASE_TTL_SECONDS: '1' },
    });
  }, 120_000);

  afterAll(async () => {
    await tenant?.stop();
  });

  it(`converges after ${KILLS} kills at random points`, async () => {
    const { emulator, dir, env } = tenant;
    const preview = await runCli(['preview', '--domain', DOMAIN, '--json', '--out', join(dir, 'p.csv')], env);
    expect(preview.code, preview.stderr).toBe(0);
    const plan = jsonOf<{ planId: string; counts: Record<string, number> }>(preview);
    expect(plan.counts).toMatchObject({ add: HIRES, update: UPDATED, delete: LEAVERS });

    const seed = Number(process.env.KILL_SEED ?? Date.now() % 1_000_000);
    const random = prng(seed);
    const writes = tenant.writes;
    let kills = 0;
    let killsMidWrite = 0;
    let finished = false;
    for (let attempt = 0; kills < KILLS && attempt < KILLS * 3; attempt++) {
      const { child, exited, exitCode } = spawnApply(plan.planId, env);
      // Half the kill points are random in time (start-up, reading, claiming); half random in write progress.
      const before = await writes();
      const byWrites = attempt % 2 === 1;
      const target = before + 20 + Math.floor(random() * 200);
      const deadline = Date.now() + (byWrites ? 60_000 : 100 + Math.floor(random() * 1900));
      while (exitCode() === undefined && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 25));
        if (byWrites && (await writes()) >= target) break;
      }
      if (process.env.KILL_DEBUG) console.log(attempt, byWrites ? 'writes' : 'time', before, await writes(), exitCode());
      if (exitCode() === undefined) {
        child.kill('SIGKILL');
        await exited;
        kills++;
        if ((await writes()) > before) killsMidWrite++;
      } else if (exitCode() === 0) {
        finished = true;
        break;
      }
      // Let the killed writer's lease (1 s) expire before the next attempt.
      await new Promise((r) => setTimeout(r, 1100));
    }
    expect(finished, `the plan finished before ${KILLS} kills (seed ${seed}); make it bigger`).toBe(false);
    expect(kills, `kill seed ${seed}`).toBeGreaterThanOrEqual(KILLS);
    expect(killsMidWrite, `kill seed ${seed}`).toBeGreaterThanOrEqual(KILLS / 2);
    expect(await writes()).toBeLessThan(HIRES + UPDATED + LEAVERS);

    const last = await runCli(['apply', '--plan', plan.planId, '--json'], env);
    expect(last.code, `seed ${seed}: ${last.stderr}`).toBe(0);
    const result = jsonOf<{ status: string; counts: Record<string, number> }>(last);
    expect(result.status).toBe('completed');
    expect(result.counts).toEqual({ added: HIRES, updated: UPDATED, deleted: LEAVERS, failed: 0 });

    await expectChurnApplied(emulator, DOMAIN, COUNTS, `(seed ${seed})`);

    const again = await runCli(['preview', '--domain', DOMAIN, '--json', '--out', join(dir, 'p2.csv')], env);
    const after = jsonOf<{ counts: Record<string, number> }>(again);
    expect(after.counts).toMatchObject({ add: 0, update: 0, delete: 0 });
  }, 480_000);
});
