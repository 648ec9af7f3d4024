// Shared plumbing of the CLI commands: argument parsing, the engine's lifetime, progress on stderr, JSON output.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createEngine, type Engine } from '../compose.js';
import { ConfigError, loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import type { Progress } from '../sync/service.js';
import { EXIT } from './command.js';

export class UsageError extends Error {}

/** Parses options strictly; an unknown option or a missing value is a UsageError naming it. */
export function parseOptions<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/** Runs a command body with an engine built from the environment; maps errors to the exit codes of DESIGN §4.5. */
export async function withEngine(body: (engine: Engine) => Promise<number>): Promise<number> {
  let engine: Engine | null = null;
  try {
    const config = loadConfig();
    // The CLI's stdout is its answer; its logs go to stderr, and routine info lines are left out.
    const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
    engine = await createEngine(config, logger);
    return await body(engine);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof UsageError) {
      process.stderr.write(`entra-sync: ${err.message}\n`);
      return EXIT.badInput;
    }
    process.stderr.write(`entra-sync: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.failure;
  } finally {
    await engine?.close();
  }
}

export const printJson = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

const PHASE_LABEL: Record<Progress['phase'], string> = {
  'reading-source': 'Reading Access Control',
  'reading-entra': 'Reading Entra ID',
  diffing: 'Comparing',
  writing: 'Writing to Entra ID',
  done: 'Done',
};

/** A progress line on stderr, redrawn in place, only when stderr is a terminal. */
export function terminalProgress(): ((p: Progress) => void) & { end(): void } {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  const draw = (p: Progress) => {
    if (!tty) return;
    const now = Date.now();
    if (p.phase !== 'done' && now - last < 100) return;
    last = now;
    const label = PHASE_LABEL[p.phase];
    let line = label;
    if (p.total > 0) {
      const width = 30;
      const filled = Math.min(width, Math.round((p.done / p.total) * width));
      line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done.toLocaleString('en-US')} of ${p.total.toLocaleString('en-US')}`;
    } else if (p.done > 0) line = `${label}… ${p.done.toLocaleString('en-US')}`;
    process.stderr.write(`\r\x1b[2K${line}`);
  };
  return Object.assign(draw, {
    end() {
      if (tty) process.stderr.write('\r\x1b[2K');
    },
  });
}
