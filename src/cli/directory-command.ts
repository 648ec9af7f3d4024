// `entra-sync directory import FILE [--partial] [--merge] [--json]`: loads an Access Control export into the store.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { EmbeddedDirectory } from '../directory/embedded-directory.js';
import { importDirectory } from '../directory/import.js';
import type { ImportReport } from '../sync/service-interface.js';
import { EXIT } from './command.js';
import { terminalText } from './terminal-text.js';
import { ENGLISH, type Lang } from '../bot/i18n.js';
import { cliLang, withStores } from './context.js';

const USAGE = 'Usage: entra-sync directory import FILE [--partial] [--merge] [--json]';

/** The human form of an import report: per-domain counts, then every rejected row with its line. */
export function formatImportReport(report: ImportReport, file: string, lang: Lang = ENGLISH): string {
  const out: string[] = [];
  if (report.applied) {
    out.push(lang.t('cli.import.imported', { file, count: report.totalRows }));
    for (const d of report.domains) {
      out.push(
        lang.t('cli.import.domain', {
          domain: terminalText(d.domain),
          added: d.added,
          updated: d.updated,
          removed: d.removed,
          unchanged: d.unchanged,
        }),
      );
    }
    if (report.errors.length > 0) out.push(lang.t('cli.import.skipped', { count: report.errors.length }));
  } else {
    out.push(lang.t('cli.import.nothing', { file, problems: report.errors.length, rows: report.totalRows }));
  }
  for (const e of report.errors)
    out.push(
      e.field
        ? lang.t('cli.import.lineField', {
            line: e.line,
            field: terminalText(e.field),
            message: terminalText(e.message),
          })
        : lang.t('cli.import.line', { line: e.line, message: terminalText(e.message) }),
    );
  if (!report.applied && report.errors.length > 0) out.push(lang.t('cli.import.fix'));
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
  const lang = cliLang(json);

  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const reason = (err as Error).message;
    process.stderr.write(`entra-sync directory: ${lang.t('cli.import.cannotRead', { file, reason })}\n`);
    return EXIT.badInput;
  }

  return withStores('directory', async (stores) => {
    const directory = new EmbeddedDirectory(stores.kv('directory'));
    const report = await importDirectory(directory, bytes, { partial, merge });
    if (json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else process.stdout.write(formatImportReport(report, file, lang));
    return report.applied && report.errors.length === 0 ? EXIT.ok : EXIT.badInput;
  });
}
