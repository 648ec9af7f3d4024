// `entra-sync emulator`: starts the local Entra ID emulator, prints its one-line JSON (the README's emulator section), runs until a signal.
import { readFile } from 'node:fs/promises';
import {
  DEFAULT_REPLICATION_DELAY_MS,
  type EmulatorOptions,
  type EmulatorSeed,
  parseSeed,
  SeedError,
  startEmulator,
} from '../emulator/index.js';
import { createLogger } from '../logger.js';
import { EXIT } from './command.js';

const USAGE = `Usage: entra-sync emulator [--port N] [--host H] [--seed demo|empty|FILE] [--http] [--state FILE]
                           [--no-consent] [--redirect-uri URL]… [--time-scale N] [--latency none|realistic]
                           [--tenant-size small|medium|large] [--replication-delay MS] [--no-throttling]

--replication-delay MS  how long listings and advanced queries lag behind writes (default ${DEFAULT_REPLICATION_DELAY_MS}; 0 = off)`;

export interface ParsedEmulatorArgs {
  options: EmulatorOptions;
  seedFile?: string;
}

/** Parses the flags; returns an error message naming the bad flag, or the options. */
export function parseEmulatorArgs(args: string[]): ParsedEmulatorArgs | { error: string } {
  // Listings lag behind writes as Graph's do, unless --replication-delay says otherwise (0 turns it off).
  const options: EmulatorOptions = { replicationDelayMs: DEFAULT_REPLICATION_DELAY_MS };
  let seedFile: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string | undefined => {
      const v = args[i + 1];
      if (v === undefined || v.startsWith('--')) return undefined;
      i++;
      return v;
    };
    const num = (flag: string, min: number, max: number, integer: boolean): number | string => {
      const v = value();
      const n = Number(v);
      if (v === undefined || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n)))
        return `${flag}: expected ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got ${v ?? 'nothing'}`;
      return n;
    };
    switch (a) {
      case '--port': {
        const n = num('--port', 0, 65535, true);
        if (typeof n === 'string') return { error: n };
        options.port = n;
        break;
      }
      case '--host': {
        const v = value();
        if (!v) return { error: '--host: expected a host name or address' };
        options.host = v;
        break;
      }
      case '--seed': {
        const v = value();
        if (!v) return { error: '--seed: expected demo, empty or a JSON file' };
        if (v === 'demo' || v === 'empty') options.seed = v;
        else seedFile = v;
        break;
      }
      case '--http':
        options.http = true;
        break;
      case '--state': {
        const v = value();
        if (!v) return { error: '--state: expected a file path' };
        options.stateFile = v;
        break;
      }
      case '--no-consent':
        options.consent = false;
        break;
      case '--redirect-uri': {
        const v = value();
        if (!v || !URL.canParse(v))
          return { error: "--redirect-uri: expected an absolute URL (the bot's consent callback)" };
        options.redirectUris = [...(options.redirectUris ?? []), v];
        break;
      }
      case '--no-throttling':
        options.throttling = false;
        break;
      case '--time-scale': {
        const n = num('--time-scale', 0.001, 100_000, false);
        if (typeof n === 'string') return { error: n };
        options.timeScale = n;
        break;
      }
      case '--latency': {
        const v = value();
        if (v !== 'none' && v !== 'realistic')
          return { error: `--latency: expected none or realistic, got ${v ?? 'nothing'}` };
        options.latency = v;
        break;
      }
      case '--tenant-size': {
        const v = value();
        if (v !== 'small' && v !== 'medium' && v !== 'large')
          return { error: `--tenant-size: expected small, medium or large, got ${v ?? 'nothing'}` };
        options.tenantSize = v;
        break;
      }
      case '--replication-delay': {
        const n = num('--replication-delay', 0, 3_600_000, true);
        if (typeof n === 'string') return { error: n };
        options.replicationDelayMs = n;
        break;
      }
      default:
        return { error: `unknown option ${a}` };
    }
  }
  return seedFile ? { options, seedFile } : { options };
}

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  const parsed = parseEmulatorArgs(args);
  if ('error' in parsed) {
    process.stderr.write(`entra-sync emulator: ${parsed.error}\n\n${USAGE}\n`);
    return EXIT.badInput;
  }
  const log = createLogger('info');
  const options = parsed.options;
  if (parsed.seedFile) {
    let seed: EmulatorSeed;
    try {
      seed = parseSeed(JSON.parse(await readFile(parsed.seedFile, 'utf8')));
    } catch (err) {
      const msg = err instanceof SeedError ? err.message : err instanceof Error ? err.message : String(err);
      process.stderr.write(`entra-sync emulator: --seed ${parsed.seedFile}: ${msg}\n`);
      return EXIT.badInput;
    }
    options.seed = seed;
  }
  let emu: Awaited<ReturnType<typeof startEmulator>>;
  try {
    emu = await startEmulator({ ...options, log: (msg, fields) => log.info(fields ?? {}, msg) });
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`entra-sync emulator: ${msg}\n`);
    return err instanceof SeedError ? EXIT.badInput : EXIT.failure;
  }
  process.stdout.write(
    `${JSON.stringify({
      graphBaseUrl: emu.graphBaseUrl,
      authorityHost: emu.authorityHost,
      caFile: emu.caFile,
      tenantId: emu.tenantId,
      clientId: emu.clientId,
      clientSecret: emu.clientSecret,
    })}\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'emulator stopping');
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve();
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
  await emu.close();
  return EXIT.ok;
}
