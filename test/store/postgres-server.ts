// Test helper: a throwaway PostgreSQL cluster (initdb in a temp folder, trust auth, loopback, free port).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PostgresServer {
  readonly url: string;
  stop(): Promise<void>;
}

const BIN_DIRS = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'];

/** The folder holding initdb and postgres, or null when PostgreSQL is not installed. */
export function postgresBinDir(): string | null {
  return BIN_DIRS.find((d) => existsSync(join(d, 'initdb'))) ?? null;
}

const isRoot = () => process.getuid?.() === 0;
/** PostgreSQL refuses to run as root: run it as the postgres user then. */
const asPostgres = (cmd: string, args: string[]) =>
  isRoot() ? { cmd: 'runuser', args: ['-u', 'postgres', '--', cmd, ...args] } : { cmd, args };

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startPostgresServer(bin: string): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), 'pg-test-'));
  if (isRoot()) {
    const pw = spawnSync('id', ['-u', 'postgres']);
    const gid = spawnSync('id', ['-g', 'postgres']);
    chownSync(dir, Number(pw.stdout.toString()), Number(gid.stdout.toString()));
  }
  const data = join(dir, 'data');
  const init = asPostgres(join(bin, 'initdb'), [
    '-D',
    data,
    '-A',
    'trust',
    '-U',
    'postgres',
    '--no-sync',
    '-E',
    'UTF8',
  ]);
  const initRun = spawnSync(init.cmd, init.args, { encoding: 'utf8' });
  if (initRun.status !== 0) throw new Error(`initdb failed: ${initRun.stderr}`);
  const port = await freePort();
  const run = asPostgres(join(bin, 'postgres'), [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
  ]);
  const child: ChildProcess = spawn(run.cmd, run.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`postgres did not start:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`postgres exited with ${code}:\n${out}`));
    });
  });
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      const stop = asPostgres(join(bin, 'pg_ctl'), ['-D', data, 'stop', '-m', 'immediate']);
      spawnSync(stop.cmd, stop.args);
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
