// Shared plumbing of the CLI commands: argument parsing, the engine's lifetime, JSON output.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createEngine, type Engine } from '../compose.js';
import { type Config, ConfigError, loadConfig } from '../config.js';
import { createLogger, type Logger } from '../logger.js';
import { openStore, type Stores } from '../store/index.js';
import { ENGLISH, type Lang, langFor } from '../bot/i18n.js';
import { localeOfEnv } from '../locale.js';
import { EXIT } from './command.js';
import { terminalText } from './terminal-text.js';

/** A mistake on the command line; `key`/`values` name its sentence in the string tables (`cli.usage.*`). */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly key?: string,
    readonly values?: Record<string, string | number>,
  ) {
    super(message);
  }
}

/** A usage error from the tables: its message is the English (what tests and --json read). */
export const usageError = (key: string, values?: Record<string, string | number>): UsageError =>
  new UsageError(ENGLISH.t(`cli.usage.${key}`, values), `cli.usage.${key}`, values);

/** What a command says about a bad command line, in its language (Node's own parser errors as Node says them). */
export const usageText = (args: readonly string[], err: unknown): string => {
  const lang = cliLang(args.includes('--json'));
  return err instanceof UsageError && err.key ? lang.t(err.key, err.values) : (err as Error).message;
};

/**
 * The language of what a command says to a person: LC_ALL, LC_MESSAGES, LANG (as `preview` does). With `--json`
 * it is English, since a script reads what the command writes then (main.ts turns stderr into the JSON's reason).
 */
export const cliLang = (json: boolean, env: NodeJS.ProcessEnv = process.env): Lang =>
  json ? ENGLISH : langFor(localeOfEnv(env));

/** A refusal or a core sentence on stderr, in the command's language. */
export const sayCore = (lang: Lang, said: { reason: string; message?: Parameters<Lang['core']>[0] }): string =>
  terminalText(lang.core(said.message, said.reason));

/** Parses options strictly; an unknown option or a missing value is a UsageError naming it. */
export function parseOptions<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/** The CLI's stdout is its answer; its logs go to stderr, and routine info lines are left out. */
const cliLogger = (config: Config): Logger => createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);

/** Maps what a command body threw to the exit codes of the README's command line section, saying what went wrong on stderr. */
function failed(command: string, err: unknown): number {
  if (err instanceof ConfigError || err instanceof UsageError) {
    process.stderr.write(`entra-sync: ${err.message}\n`);
    return EXIT.badInput;
  }
  process.stderr.write(`entra-sync ${command}: ${terminalText(err instanceof Error ? err.message : String(err))}\n`);
  return EXIT.failure;
}

/**
 * Runs a command body with an engine (store, directory, Entra) built from the environment. With `interruptible`,
 * SIGTERM/SIGINT stop a run cleanly (in-flight writes finish, the run ends `interrupted`, the body still answers);
 * a second signal exits at once.
 */
export async function withEngine(
  command: string,
  body: (engine: Engine) => Promise<number>,
  options: { interruptible?: boolean } = {},
): Promise<number> {
  let engine: Engine | null = null;
  const shutdown = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (shutdown.signal.aborted) process.exit(EXIT.failure);
    process.stderr.write(`entra-sync ${command}: ${signal} received; finishing the writes in flight, then stopping\n`);
    shutdown.abort();
  };
  if (options.interruptible) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  try {
    const config = loadConfig();
    engine = await createEngine(config, cliLogger(config), options.interruptible ? { shutdown: shutdown.signal } : {});
    return await body(engine);
  } catch (err) {
    return failed(command, err);
  } finally {
    await engine?.close();
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

/** withEngine for a command that writes (apply): SIGTERM/SIGINT end its run `interrupted` instead of killing it. */
export const withInterruptibleEngine = (command: string, body: (engine: Engine) => Promise<number>) =>
  withEngine(command, body, { interruptible: true });

/** Runs a command body that needs only the state store (no connection to Entra ID is made). */
export async function withStores(command: string, body: (stores: Stores) => Promise<number>): Promise<number> {
  let stores: Stores | null = null;
  try {
    const config = loadConfig();
    stores = await openStore(config.storeUrl, { logger: cliLogger(config) });
    return await body(stores);
  } catch (err) {
    return failed(command, err);
  } finally {
    await stores?.close();
  }
}

export const printJson = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
