// Entry point of the `entra-sync` command: picks the sub-command module and maps its answer to an exit code.
import { EXIT, type CommandModule, failureJson } from './command.js';

const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  emulator: () => import('./emulator-command.js'),
  directory: () => import('./directory-command.js'),
  domains: () => import('./domains-command.js'),
  precheck: () => import('./precheck-command.js'),
  preview: () => import('./preview-command.js'),
  apply: () => import('./apply-command.js'),
  logs: () => import('./logs-command.js'),
};

const USAGE = `Usage: entra-sync <command> [options]

Commands:
  emulator [--port N] [--seed demo|FILE] [--http] [--state FILE]   run the local Entra ID emulator
  directory import FILE [--partial] [--merge]                       import an Access Control user export (CSV)
  domains [add D --max-deletions PCT | set D … | remove D]          list or configure synced domains
  precheck --domain D                                               objects a first sync would delete
  preview --domain D [--out FILE.csv] [--json]                      dry run: the plan and its CSV
  apply --plan ID [--json]                                          apply a previewed plan
  logs [--domain D] [--json]                                        the sync log
  logs --run ID [--out FILE.csv] [--json]                           one run; --out writes its per-user CSV

Exit codes: 0 done, 1 refused (reason on stderr), 2 bad input, 3 failure.
With --json, every outcome is one JSON object on stdout (a failure: status, reason, exitCode, exitMeaning).`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return name ? EXIT.ok : EXIT.badInput;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`entra-sync: unknown command "${name}".\n\n${USAGE}\n`);
    return EXIT.badInput;
  }
  const mod = await load();
  if (!rest.includes('--json')) return mod.run(rest);
  return withJsonAnswer(() => mod.run(rest));
}

/** Terminal control sequences (the progress line) out of a captured stderr text. */
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '\n');

/**
 * With `--json`, every outcome is one JSON object on stdout: a command that ends without printing its own (a usage
 * error, a failure) gets `{"status":"failed"|"bad-input"|"refused","reason","exitCode","exitMeaning"}`, the reason
 * being what it said on stderr (which it still says).
 */
async function withJsonAnswer(run: () => Promise<number>): Promise<number> {
  let printed = false;
  let said = '';
  const stdoutWrite = process.stdout.write.bind(process.stdout);
  const stderrWrite = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    printed = true;
    return (stdoutWrite as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (said.length < 4000) said += String(chunk);
    return (stderrWrite as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  let code: number;
  try {
    code = await run();
  } catch (err) {
    process.stderr.write(`entra-sync: ${err instanceof Error ? err.message : String(err)}\n`);
    code = EXIT.failure;
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
  }
  if (!printed) {
    // Log lines (JSON) are not the reason; the plain sentences the command wrote are.
    const lines = plain(said)
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('{'));
    stdoutWrite(`${JSON.stringify(failureJson(code, lines.join(' ').slice(0, 2000)))}\n`);
  }
  return code;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`entra-sync: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = EXIT.failure;
  },
);
