// SIGTERM in the middle of a 2,000-change apply (CLI, then the bot server): the run ends interrupted, resumes, completes.
import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, type CliTenant, expectChurnApplied, jsonOf, runCli, startChurnTenant } from '../helpers/cli.js';
import { until } from '../helpers/until.js';

/** Each step of this test may wait behind a loaded machine: two minutes. */
const WAIT_MS = 120_000;

const DOMAIN = 'term.jp';
const EXISTING = 1000;
const LEAVERS = 200;
const UPDATED = 600;
const HIRES = 1200;
const COUNTS = { existing: EXISTING, leavers: LEAVERS, updated: UPDATED, hires: HIRES };
const CHANGES = LEAVERS + UPDATED + HIRES;

interface LogLine {
  readonly msg: string;
  readonly runId?: string;
  readonly status?: string;
}

/** A child process whose stderr pino lines are collected as they come. */
function watch(child: ChildProcess) {
  const lines: LogLine[] = [];
  let buf = '';
  let stdout = '';
  child.stdout?.on('data', (b: Buffer) => {
    stdout += b.toString();
  });
  child.stderr?.on('data', (b: Buffer) => {
    buf += b.toString();
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        lines.push(JSON.parse(line) as LogLine);
      } catch {
        lines.push({ msg: line });
      }
      nl = buf.indexOf('\n');
    }
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { lines, exited, stdout: () => stdout };
}

describe('clean shutdown mid-apply', () => {
  let tenant: CliTenant;

  beforeAll(async () => {
    // The default lease TTL (120 s): a resume only starts at once if the stopped process released its lease.
    tenant = await startChurnTenant({
      domain: DOMAIN,
      letter: 'T',
      counts: COUNTS,
    });
  }, 120_000);

  afterAll(async () => {
    await tenant?.stop();
  });

  it('interrupted → resumed → interrupted → resumed → completed, each user written once', async () => {
    const { emulator, dir, env } = tenant;
    const preview = await runCli(['preview', '--domain', DOMAIN, '--json', '--out', join(dir, 'p.csv')], env);
    expect(preview.code, preview.stderr).toBe(0);
    const plan = jsonOf<{ planId: string; counts: Record<string, number> }>(preview);
    expect(plan.counts).toMatchObject({ add: HIRES, update: UPDATED, delete: LEAVERS });
    const writes = tenant.writes;

    // 1. The CLI applies; SIGTERM once a few hundred writes are done.
    const cli = spawn(process.execPath, [BIN, 'apply', '--plan', plan.planId, '--json'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const cliOut = watch(cli);
    await until('300 writes', async () => (await writes()) >= 300, WAIT_MS);
    cli.kill('SIGTERM');
    const cliCode = await cliOut.exited;
    const stopped = JSON.parse(cliOut.stdout().trim()) as { runId: string; status: string; reason: string };
    expect(stopped.status, cliOut.stdout()).toBe('interrupted');
    expect(stopped.reason).toMatch(/resumes when the bot starts again/);
    expect(cliCode).toBe(3);
    const runId = stopped.runId;
    expect(cliOut.lines.some((l) => l.msg === 'sync run interrupted' && l.runId === runId)).toBe(true);
    const afterCli = await writes();
    expect(afterCli).toBeLessThan(CHANGES - 300);

    // 2. The bot starts, resumes the run at once (the CLI released the domain's lease) and is stopped mid-run.
    const botEnv = { ...env, BOT_LOCAL_MODE: 'true', PORT: '0', LOG_LEVEL: 'info', SHUTDOWN_GRACE_SECONDS: '60' };
    const startBot = () =>
      spawn(process.execPath, ['--import', 'tsx', resolve('src/index.ts')], {
        env: botEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    const bot1 = startBot();
    const bot1Out = watch(bot1);
    await until('the first bot resumes the run', () =>
      bot1Out.lines.some((l) => l.runId === runId && /^resuming an interrupted sync run/.test(l.msg)),
      WAIT_MS,
    );
    await until('300 more writes', async () => (await writes()) >= afterCli + 300, WAIT_MS);
    bot1.kill('SIGTERM');
    expect(await bot1Out.exited).toBe(0);
    expect(bot1Out.lines.some((l) => l.msg === 'sync run interrupted' && l.runId === runId)).toBe(true);
    expect(bot1Out.lines.some((l) => l.msg === 'stopped cleanly')).toBe(true);
    const afterBot1 = await writes();
    expect(afterBot1).toBeLessThan(CHANGES);

    // 3. The next start resumes again and completes the run.
    const bot2 = startBot();
    const bot2Out = watch(bot2);
    await until('the second bot completes the run', () =>
      bot2Out.lines.some((l) => l.runId === runId && l.msg === 'sync run completed'),
      WAIT_MS,
    );
    bot2.kill('SIGTERM');
    expect(await bot2Out.exited).toBe(0);

    const sequence = [...cliOut.lines, ...bot1Out.lines, ...bot2Out.lines]
      .filter((l) => l.runId === runId)
      .map((l) => (/^resuming/.test(l.msg) ? 'resumed' : l.msg.replace(/^sync run /, '')))
      .filter((m) => ['interrupted', 'resumed', 'completed'].includes(m));
    expect(sequence).toEqual(['interrupted', 'resumed', 'interrupted', 'resumed', 'completed']);

    // No duplicate, no lost change: the tenant is exactly the directory, and each change was written once.
    const logs = jsonOf<{ runs: { runId: string; status: string; counts: Record<string, number> }[] }>(
      await runCli(['logs', '--domain', DOMAIN, '--json'], env),
    );
    const run = logs.runs.find((r) => r.runId === runId);
    expect(run?.status).toBe('completed');
    expect(run?.counts).toEqual({ added: HIRES, updated: UPDATED, deleted: LEAVERS, failed: 0 });
    await expectChurnApplied(emulator, DOMAIN, COUNTS);
    // Each change was sent once, apart from the few writes in flight at each stop that were looked up or re-sent.
    expect(await writes()).toBeLessThan(CHANGES + 100);
    const again = await runCli(['preview', '--domain', DOMAIN, '--json', '--out', join(dir, 'p2.csv')], env);
    expect(jsonOf<{ counts: Record<string, number> }>(again).counts).toMatchObject({ add: 0, update: 0, delete: 0 });
  }, 300_000);
});
