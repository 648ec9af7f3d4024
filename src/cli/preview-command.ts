// `entra-sync preview --domain D [--out FILE.csv] [--json]`: dry run, plan CSV, summary or the JSON of DESIGN §4.5.
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { once } from 'node:events';
import { planCsvChunks } from '../sync/plan-csv.js';
import type { Plan } from '../sync/model.js';
import { isRefusal } from '../sync/service.js';
import { EXIT } from './command.js';
import { parseOptions, printJson, UsageError, withEngine } from './context.js';
import { terminalProgress } from './progress-bar.js';

async function writeCsv(plan: Plan, path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const out = createWriteStream(path, { mode: 0o600 });
  for (const chunk of planCsvChunks(plan)) {
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

export function previewJson(plan: Plan, csvPath: string) {
  return {
    planId: plan.id,
    planHash: plan.hash,
    domain: plan.domain,
    counts: {
      add: plan.counts.add,
      update: plan.counts.update,
      delete: plan.counts.delete,
      skip: plan.counts.skip,
      noChange: plan.counts.noChange,
    },
    deletion: {
      count: plan.deletion.count,
      inScope: plan.deletion.inScope,
      percent: plan.deletion.percent,
      maxPercent: plan.deletion.maxPercent,
      wouldCancel: plan.deletion.wouldCancel,
    },
    csvPath,
  };
}

export async function run(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseOpts>;
  try {
    parsed = parseOpts(args);
  } catch (err) {
    process.stderr.write(`entra-sync preview: ${(err as Error).message}\n`);
    return EXIT.badInput;
  }
  const { domain, out, json } = parsed;
  return withEngine('preview', async (engine) => {
    const progress = terminalProgress({ json });
    const plan = await engine.service.preview(domain, { requestedBy: 'cli', onProgress: progress });
    progress.end();
    if (isRefusal(plan)) {
      process.stderr.write(`${plan.reason}\n`);
      return plan.code === 'unknown-domain' || plan.code === 'unverified-domain' ? EXIT.badInput : EXIT.refused;
    }
    const csvPath = resolve(out ?? `.data/plans/${plan.id}.csv`);
    await writeCsv(plan, csvPath);
    if (json) printJson(previewJson(plan, csvPath));
    else {
      const c = plan.counts;
      const d = plan.deletion;
      const nonUsers = plan.changes.filter((x) => x.action === 'Delete' && x.nonUserHint).length;
      process.stdout.write(
        [
          `Dry run of ${plan.domain} (plan ${plan.id}, hash ${plan.hash.slice(0, 8)})`,
          `  Add ${c.add}${c.restore ? ` (${c.restore} restore)` : ''}   Update ${c.update}   Delete ${c.delete}   Skip ${c.skip}   No change ${c.noChange}`,
          `  Deletions: ${d.count} of ${d.inScope} (${d.percent}%), limit ${d.maxPercent}%${d.maxCount !== null ? ` or ${d.maxCount} users` : ''}`,
          plan.guard.ok ? '' : `  WARNING: a sync of this plan will be cancelled — ${plan.guard.reason}`,
          nonUsers > 0
            ? `  WARNING: ${nonUsers} of the deletes look like rooms, shared mailboxes or service accounts; run\n           entra-sync precheck --domain ${plan.domain} to move them to the onmicrosoft.com domain first`
            : '',
          `  New users get no licence.`,
          `  CSV: ${csvPath}`,
          plan.guard.ok ? `  Apply it with: entra-sync apply --plan ${plan.id}` : '',
        ]
          .filter(Boolean)
          .join('\n') + '\n',
      );
    }
    return EXIT.ok;
  });
}

function parseOpts(args: string[]) {
  const { values, positionals } = parseOptions(args, {
    domain: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  const domain = values.domain ?? positionals[0];
  if (!domain) throw new UsageError('--domain is required, e.g. entra-sync preview --domain contoso.co.jp');
  return { domain, out: values.out, json: values.json === true };
}
