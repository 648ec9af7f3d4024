// Entry point of the `entra-sync` command: picks the sub-command module and maps its answer to an exit code.
import { EXIT, type CommandModule } from './command.js';

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

Exit codes: 0 done, 1 refused (reason on stderr), 2 bad input, 3 failure.`;

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
  return mod.run(rest);
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
