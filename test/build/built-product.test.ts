// `npm run build` on a copy of the project whose node_modules lacks tsx: the built CLI, emulator and bot (with its sync worker) run as plain JS.
import { type ChildProcess, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { churnDirectory, cliEnv, type EmulatorLine } from '../helpers/cli.js';
import { until } from '../helpers/until.js';

const REPO = resolve(import.meta.dirname, '../..');
const DOMAIN = 'built.jp';

interface Run {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
}

function start(command: string, args: readonly string[], options: { cwd: string; env?: Record<string, string> }): Run {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr?.on('data', (b: Buffer) => {
    err += b.toString();
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, exited, stdout: () => out, stderr: () => err };
}

/** The command line of each child process of `pid` (Linux /proc). */
function childCommandLines(pid: number): string[][] {
  const lines: string[][] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) lines.push(readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean));
    } catch {
      // the process ended while we looked
    }
  }
  return lines;
}

describe('the built product (npm run build → dist/)', () => {
  let root: string;
  let bin: string;

  beforeAll(async () => {
    // A checkout as an operator has it: sources, build configuration, launcher; its node_modules links every
    // installed package but tsx, so any code path that still needs the TypeScript loader fails here.
    root = mkdtempSync(join(tmpdir(), 'entra-sync-built-'));
    for (const path of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts', 'bin', 'src']) {
      cpSync(join(REPO, path), join(root, path), { recursive: true });
    }
    mkdirSync(join(root, 'node_modules'));
    for (const name of readdirSync(join(REPO, 'node_modules'))) {
      if (name !== 'tsx') symlinkSync(join(REPO, 'node_modules', name), join(root, 'node_modules', name));
    }
    bin = join(root, 'bin', 'entra-sync.js');
    const build = start('npm', ['run', 'build'], { cwd: root });
    expect(await build.exited, build.stdout() + build.stderr()).toBe(0);
  }, 300_000);

  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('holds the compiled modules and the files they read at run time', () => {
    for (const path of [
      'src/index.js',
      'src/cli/main.js',
      'src/worker/sync-worker-main.js',
      'src/bot/cards/help.json',
    ]) {
      expect(existsSync(join(root, 'dist', path)), path).toBe(true);
    }
    expect(readFileSync(join(root, 'dist/src/bot/cards/strings.ja.json'), 'utf8')).toBe(
      readFileSync(join(REPO, 'src/bot/cards/strings.ja.json'), 'utf8'),
    );
    expect(existsSync(join(root, 'dist/test'))).toBe(false);
  });

  it('entra-sync runs the build: --help, then emulator, domains add, directory import and preview', async () => {
    const help = start(process.execPath, [bin, '--help'], { cwd: root });
    expect(await help.exited, help.stderr()).toBe(0);
    expect(help.stdout()).toMatch(/^Usage: entra-sync <command>/);

    const { seed, rows, people } = churnDirectory(DOMAIN, 'B', { existing: 40, leavers: 4, updated: 10, hires: 6 });
    writeFileSync(join(root, 'seed.json'), JSON.stringify(seed));
    writeFileSync(join(root, 'directory.csv'), `${rows.join('\r\n')}\r\n`);
    const emulator = start(process.execPath, [bin, 'emulator', '--port', '0', '--seed', 'seed.json'], { cwd: root });
    try {
      const first = await new Promise<string>((ok, fail) => {
        createInterface({ input: emulator.child.stdout! }).once('line', ok);
        emulator.child.once('exit', (code) => fail(new Error(`emulator exited ${code}: ${emulator.stderr()}`)));
      });
      const env = cliEnv(JSON.parse(first) as EmulatorLine, `sqlite://${join(root, 'state.sqlite')}`);
      const cli = async (args: string[]) => {
        const r = start(process.execPath, [bin, ...args], { cwd: root, env });
        expect(await r.exited, `${args.join(' ')}: ${r.stderr()}`).toBe(0);
        return r.stdout();
      };
      await cli(['domains', 'add', DOMAIN, '--max-deletions', '50']);
      // The CSV is parsed on a worker thread (src/directory/csv-parse-thread.ts): started from the built module.
      await cli(['directory', 'import', 'directory.csv']);
      const preview = await cli(['preview', '--domain', DOMAIN, '--json', '--out', 'plan.csv']);
      const plan = JSON.parse(preview.trim().split('\n').at(-1) ?? '') as { counts: Record<string, number> };
      expect(plan.counts).toMatchObject({ add: 6, update: 10, delete: 4 });
      expect(readFileSync(join(root, 'plan.csv'), 'utf8')).toContain(people.upn(40));

      // The bot server: its sync worker child runs the built module with no loader flag.
      const bot = start(process.execPath, [join(root, 'dist/src/index.js')], {
        cwd: root,
        env: { ...env, BOT_LOCAL_MODE: 'true', PORT: '0', LOG_LEVEL: 'info' },
      });
      try {
        let url = '';
        await until(
          'the built bot listens',
          () => {
            const line = bot
              .stderr()
              .split('\n')
              .find((l) => l.includes('"bot server listening"'));
            url = line ? String((JSON.parse(line) as { url: string }).url) : '';
            if (bot.child.exitCode !== null) throw new Error(`the bot exited ${bot.child.exitCode}: ${bot.stderr()}`);
            return url !== '';
          },
          120_000,
        );
        const workers = childCommandLines(bot.child.pid!);
        expect(workers).toEqual([[process.execPath, join(root, 'dist/src/worker/sync-worker-main.js')]]);
        const ready = await fetch(`${url}/readyz`, { dispatcher: new Agent() });
        expect(ready.status, await ready.text()).toBe(200);
        bot.child.kill('SIGTERM');
        expect(await bot.exited, bot.stderr()).toBe(0);
        expect(bot.stderr()).toContain('"stopped cleanly"');
      } finally {
        if (bot.child.exitCode === null) bot.child.kill('SIGKILL');
      }
    } finally {
      emulator.child.kill('SIGTERM');
      await emulator.exited;
    }
  }, 300_000);

  it('entra-sync runs the TypeScript source, not a stale build, once a source file is newer', async () => {
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(root, 'src/cli/main.ts'), later, later);
    const help = start(process.execPath, [bin, '--help'], { cwd: root });
    // This copy has no tsx: reaching for the source's loader is the observable sign the build was passed over.
    expect(await help.exited).not.toBe(0);
    expect(help.stderr()).toMatch(/Cannot find package 'tsx'/);
  });
});
