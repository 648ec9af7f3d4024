// A bench child process spoken to in JSON lines: its first line says it is ready, then one reply per command (by id).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { moduleCommand } from '../../src/worker/spawn-module.js';

export interface ChildChannel {
  /** The child's first JSON line (its "ready" message). */
  readonly ready: Record<string, unknown>;
  /** Sends a command and resolves with the child's reply (rejects when it says ok:false or dies). */
  ask(command: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Closes the child's stdin (its signal to stop) and waits for it to exit (killed after `graceMs`). */
  close(graceMs?: number): Promise<void>;
}

/**
 * Starts `node [nodeFlags] <module> <arg>`, `module` being a file of this folder without its extension (built JS
 * when the bench runs built, as `npm run bench` does; TypeScript under tsx otherwise), and waits for its first JSON
 * line on stdout.
 */
export async function startChild(
  module: string,
  arg: string,
  options: { nodeFlags?: readonly string[]; name: string },
): Promise<ChildChannel> {
  const { file, execArgv } = moduleCommand(import.meta.url, module);
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), ...execArgv, file, arg], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const waiting = new Map<number, (v: Record<string, unknown>) => void>();
  let onReady: ((v: Record<string, unknown>) => void) | null = null;
  let onFail: ((e: Error) => void) | null = null;
  const ready = new Promise<Record<string, unknown>>((res, rej) => {
    onReady = res;
    onFail = rej;
  });
  lines.on('line', (line) => {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      process.stderr.write(`[${options.name}] ${line}\n`);
      return;
    }
    if (onReady) {
      onReady(msg);
      onReady = null;
      return;
    }
    const answer = typeof msg.id === 'number' ? waiting.get(msg.id) : undefined;
    if (answer) {
      waiting.delete(msg.id as number);
      answer(msg);
    }
  });
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  child.once('exit', (code) => {
    onFail?.(new Error(`${options.name} ended (exit ${code}) before it was ready`));
    for (const w of waiting.values()) w({ ok: false, error: `${options.name} ended (exit ${code})` });
    waiting.clear();
  });
  const first = await ready;
  onFail = null;
  let seq = 0;
  return {
    ready: first,
    ask(command) {
      return new Promise((res, rej) => {
        const id = ++seq;
        waiting.set(id, (reply) => (reply.ok ? res(reply) : rej(new Error(String(reply.error)))));
        child.stdin.write(`${JSON.stringify({ ...command, id })}\n`);
      });
    },
    async close(graceMs = 5000) {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
