// `entra-sync logs [--domain D] [--json] [--limit N]`: the sync log as a table (status, trigger, who, counts, duration) or JSON; `--run ID [--out FILE.csv]`: one run and its per-user CSV.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { RunLogRepository } from '../sync/ports.js';
import type { RunRecord, UserOutcome } from '../sync/model.js';
import { terminalText } from './terminal-text.js';
import { runCsvChunks } from '../sync/run-csv.js';
import { EXIT } from './command.js';
import { formatDuration } from '../bot/card-format.js';
import { ENGLISH, type Lang } from '../bot/i18n.js';
import { cliLang, usageError, usageText, withStores } from './context.js';
import { parseDomainName } from '../sync/domain-name.js';

const USAGE =
  'Usage: entra-sync logs [--domain D] [--json] [--limit N]   (N: 1–1000, default 20)\n' +
  '       entra-sync logs --run ID [--out FILE.csv] [--json]  (one run; --out writes its per-user CSV)';

export interface LogsOptions {
  readonly domain: string | null;
  readonly json: boolean;
  readonly limit: number;
  /** One run (`--run ID`) instead of the list; `out`: where its per-user CSV goes. */
  readonly run?: string | null;
  readonly out?: string | null;
}

/** Parses the arguments; throws an Error naming the bad option. */
export function parseLogsArgs(args: string[]): LogsOptions {
  const { values, positionals } = parseArgs({
    args,
    options: {
      domain: { type: 'string' },
      json: { type: 'boolean' },
      limit: { type: 'string' },
      run: { type: 'string' },
      out: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 1) throw usageError('unexpectedArgument', { value: positionals[1]! });
  const rawDomain = values.domain ?? positionals[0];
  const domain = rawDomain === undefined ? null : parseDomainName(rawDomain);
  if (rawDomain !== undefined && domain === null) throw usageError('notADomain', { value: rawDomain });
  let limit = 20;
  if (values.limit !== undefined) {
    if (!/^\d+$/.test(values.limit.trim())) throw usageError('limitWhole', { value: values.limit });
    limit = Number(values.limit.trim());
    if (limit < 1 || limit > 1000) throw usageError('limitRange', { value: limit });
  }
  const run = values.run?.trim() || null;
  if (values.run !== undefined && !run) throw usageError('runNeedsId');
  if (run && (rawDomain !== undefined || values.limit !== undefined)) throw usageError('runAlone');
  const out = values.out?.trim() || null;
  if (values.out !== undefined && !out) throw usageError('outNeedsFile');
  if (out && !run) throw usageError('outOnlyWithRun');
  return { domain, json: values.json === true, limit, ...(run ? { run, out } : {}) };
}

/** Writes the run's per-user CSV (the same bytes as the bot's signed download link) to `path`, page by page. */
async function writeRunCsv(run: RunRecord, pages: AsyncIterable<readonly UserOutcome[]>, path: string): Promise<void> {
  const file = createWriteStream(path);
  const failed = once(file, 'error').then(([err]) => {
    throw err;
  });
  const write = async () => {
    for await (const chunk of runCsvChunks(run, pages)) if (!file.write(chunk)) await once(file, 'drain');
    file.end();
    await once(file, 'finish');
  };
  await Promise.race([write(), failed]);
}

/** The lines the log card shows for one run: its row, its reason, and its failed users (the first 20). */
export function formatRunDetail(run: RunRecord, failures: readonly UserOutcome[], lang: Lang = ENGLISH): string {
  const lines = [formatLogsTable([run], lang).trimEnd()];
  if (failures.length > 0) {
    lines.push('', lang.t('cli.logs.failedUsers', { count: failures.length }));
    for (const o of failures.slice(0, 20))
      lines.push(
        `  ${o.action} ${cap(clean(o.upn), 80)}: ${cap(clean(o.errorCode ?? o.errorKind ?? ''), 40)} ${cap(clean(o.errorMessage), 160)}`.trimEnd(),
      );
    if (failures.length > 20) lines.push(lang.t('cli.logs.moreFailures', { count: failures.length - 20 }));
  }
  return `${lines.join('\n')}\n`;
}

/** The run's failed outcomes, read page by page (the others are not kept). */
async function failedOutcomes(pages: AsyncIterable<readonly UserOutcome[]>): Promise<UserOutcome[]> {
  const failed: UserOutcome[] = [];
  for await (const page of pages) for (const o of page) if (o.result === 'failed') failed.push(o);
  return failed;
}

async function showRun(
  stores: { runs: Pick<RunLogRepository, 'get' | 'outcomes'> },
  options: LogsOptions & { run: string },
  lang: Lang,
): Promise<number> {
  const run = await stores.runs.get(options.run, { outcomes: false });
  if (!run) {
    process.stderr.write(`${lang.t('cli.logs.noRun', { runId: clean(options.run).slice(0, 80) })}\n`);
    return EXIT.badInput;
  }
  const csvPath = options.out ? resolve(options.out) : null;
  if (csvPath) {
    try {
      await writeRunCsv(run, stores.runs.outcomes(run.id), csvPath);
    } catch (err) {
      const reason = String((err as NodeJS.ErrnoException).code ?? err);
      process.stderr.write(`${lang.t('cli.logs.cannotWrite', { path: csvPath, reason })}\n`);
      return EXIT.badInput;
    }
  }
  const failed = await failedOutcomes(stores.runs.outcomes(run.id));
  if (options.json) {
    const [summary] = logsJson([run]).runs;
    const failures = failed.map((o) => ({
      action: o.action,
      userPrincipalName: o.upn,
      immutableId: o.immutableId,
      errorCode: o.errorCode ?? o.errorKind ?? null,
      errorMessage: o.errorMessage ?? null,
    }));
    process.stdout.write(`${JSON.stringify({ run: summary, failures, csvPath })}\n`);
  } else {
    process.stdout.write(formatRunDetail(run, failed, lang));
    if (csvPath) process.stdout.write(`${lang.t('cli.logs.csvWritten', { path: csvPath })}\n`);
  }
  return EXIT.ok;
}

/** Control characters and bidi overrides out, so a directory value cannot rewrite the terminal. */
const clean = terminalText;

export function durationMs(run: RunRecord): number | null {
  if (!run.endedAt) return null;
  const ms = Date.parse(run.endedAt) - Date.parse(run.startedAt);
  return Number.isFinite(ms) && ms >= 0 ? ms : null;
}

/** The table's DURATION: the sync log's wording in English whatever the reader's language (`3 min 05 s`), `-` with no end. */
const durationText = (ms: number | null): string => (ms === null ? '-' : formatDuration(ENGLISH, ms));

function who(run: RunRecord): string {
  if (run.trigger === 'hourly') return 'scheduler';
  const parts = [
    run.requestedBy && `by ${clean(run.requestedBy)}`,
    run.approvedBy && `approved ${clean(run.approvedBy)}${run.approvedById ? ` (${clean(run.approvedById)})` : ''}`,
  ];
  return parts.filter(Boolean).join(', ') || '-';
}

const cap = (s: string, n: number) =>
  Array.from(s).length <= n
    ? s
    : `${Array.from(s)
        .slice(0, n - 1)
        .join('')}…`;

/**
 * The runs as an aligned text table, newest first, with the reason of a run that did not complete under it (in the
 * reader's language). Column names, statuses and triggers stay as the --json and the docs name them.
 */
export function formatLogsTable(runs: readonly RunRecord[], lang: Lang = ENGLISH): string {
  const header = [
    'STARTED (UTC)',
    'DOMAIN',
    'STATUS',
    'TRIGGER',
    'WHO',
    'ADDED',
    'UPDATED',
    'DELETED',
    'FAILED',
    'DURATION',
    'RUN',
  ];
  const rows = runs.map((r) => [
    r.startedAt.slice(0, 19).replace('T', ' '),
    cap(clean(r.domain), 40),
    r.status,
    r.trigger,
    cap(who(r), 40),
    String(r.counts.added),
    String(r.counts.updated),
    String(r.counts.deleted),
    String(r.counts.failed),
    durationText(durationMs(r)),
    clean(r.id),
  ]);
  const numeric = new Set([5, 6, 7, 8]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => Array.from(row[i]!).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => {
        const pad = ' '.repeat(widths[i]! - Array.from(c).length);
        return numeric.has(i) ? pad + c : c + pad;
      })
      .join('  ')
      .trimEnd();
  const out = [line(header)];
  runs.forEach((r, i) => {
    out.push(line(rows[i]!));
    if (r.reason) out.push(`  ↳ ${cap(clean(lang.core(r.reasonMessage, r.reason)), 200)}`);
  });
  return `${out.join('\n')}\n`;
}

/** One JSON object: `{"runs":[…]}`, newest first (per-user outcomes are in the run CSV, not here). */
export function logsJson(runs: readonly RunRecord[]) {
  return {
    runs: runs.map((r) => ({
      runId: r.id,
      domain: r.domain,
      trigger: r.trigger,
      status: r.status,
      requestedBy: r.requestedBy,
      approvedBy: r.approvedBy,
      approvedById: r.approvedById ?? null,
      planId: r.planId,
      planHash: r.planHash,
      startedAt: r.startedAt,
      endedAt: r.endedAt,
      durationMs: durationMs(r),
      counts: r.counts,
      reason: r.reason,
    })),
  };
}

export async function run(args: string[]): Promise<number> {
  let options: LogsOptions;
  try {
    options = parseLogsArgs(args);
  } catch (err) {
    process.stderr.write(`entra-sync logs: ${usageText(args, err)}\n${USAGE}\n`);
    return EXIT.badInput;
  }
  const lang = cliLang(options.json);
  return withStores('logs', async (stores) => {
    if (options.run) return showRun(stores, { ...options, run: options.run }, lang);
    const runs = await stores.runs.list({
      ...(options.domain ? { domain: options.domain } : {}),
      limit: options.limit,
    });
    if (options.json) process.stdout.write(`${JSON.stringify(logsJson(runs))}\n`);
    else if (runs.length === 0)
      process.stdout.write(
        `${options.domain ? lang.t('cli.logs.emptyDomain', { domain: options.domain }) : lang.t('cli.logs.empty')}\n`,
      );
    else process.stdout.write(formatLogsTable(runs, lang));
    return EXIT.ok;
  });
}
