// `entra-sync directory import FILE [--partial] [--merge] [--json]`: loads an Access Control export into the store.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { EmbeddedDirectory } from '../directory/embedded-directory.js';
import { importDirectory } from '../directory/import.js';
import type { ImportReport } from '../sync/service.js';
import { EXIT } from './command.js';
import { terminalText } from './terminal-text.js';
import { withStores } from './context.js';

const USAGE = 'Usage: entra-sync directory import FILE [--partial] [--merge] [--json]';

/** The human form of an import report: per-domain counts, then every rejected row with its line. */
export function formatImportReport(report: ImportReport, file: string): string {
  const out: string[] = [];
  if (report.applied) {
    out.push(`Imported ${file}: ${report.totalRows} row${report.totalRows === 1 ? '' : 's'}.`);
    for (const d of report.domains) {
      out.push(
        `  ${terminalText(d.domain)}: ${d.added} added, ${d.updated} updated, ${d.removed} removed, ${d.unchanged} unchanged`,
      );
    }
    if (report.errors.length > 0) out.push(`${report.errors.length} row problem(s) were skipped (--partial):`);
  } else {
    out.push(`Nothing was imported from ${file}: ${report.errors.length} problem(s) in ${report.totalRows} row(s).`);
  }
  for (const e of report.errors)
    out.push(`  line ${e.line}${e.field ? ` (${terminalText(e.field)})` : ''}: ${terminalText(e.message)}`);
  if (!report.applied && report.errors.length > 0)
    out.push('Fix the file and import again, or add --partial to import the good rows only.');
  return `${out.join('\n')}\n`;
}

const parseCommandLine = (args: string[]) =>
  parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { partial: { type: 'boolean' }, merge: { type: 'boolean' }, json: { type: 'boolean' } },
  });

export async function run(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(args);
  } catch (err) {
    process.stderr.write(`entra-sync directory: ${(err as Error).message}\n${USAGE}\n`);
    return EXIT.badInput;
  }
  const [sub, file, ...extra] = parsed.positionals;
  if (sub !== 'import' || !file || extra.length > 0) {
    process.stderr.write(`${USAGE}\n`);
    return EXIT.badInput;
  }
  const { partial = false, merge = false, json = false } = parsed.values;

  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    process.stderr.write(`entra-sync directory: cannot read ${file}: ${(err as Error).message}\n`);
    return EXIT.badInput;
  }

  return withStores('directory', async (stores) => {
    const directory = new EmbeddedDirectory(stores.kv('directory'));
    const report = await importDirectory(directory, bytes, { partial, merge });
    if (json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else process.stdout.write(formatImportReport(report, file));
    return report.applied && report.errors.length === 0 ? EXIT.ok : EXIT.badInput;
  });
}
