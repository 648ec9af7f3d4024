// `entra-sync preview --domain D [--out FILE.csv] [--json]`: dry run, plan CSV, summary or the JSON of the README's command line section.
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { once } from 'node:events';
import { newUsersWithoutCredentials } from '../sync/plan.js';
import { planCsvChunks } from '../sync/plan-csv.js';
import type { Plan } from '../sync/model.js';
import { isRefusal } from '../sync/service-interface.js';
import { EXIT } from './command.js';
import { parseOptions, printJson, sayCore, usageError, usageText, withEngine } from './context.js';
import { ENGLISH, langFor } from '../bot/i18n.js';
import { cliProgressText, terminalProgress } from './progress-bar.js';

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
    process.stderr.write(`entra-sync preview: ${usageText(args, err)}\n`);
    return EXIT.badInput;
  }
  const { domain, out, json } = parsed;
  return withEngine('preview', async (engine) => {
    const lang = langFor(engine.config.locale);
    const progress = terminalProgress({ json, ...cliProgressText(lang) });
    const plan = await engine.service.preview(domain, { requestedBy: 'cli', onProgress: progress });
    progress.end();
    if (isRefusal(plan)) {
      // With --json, stderr becomes the JSON's reason: English.
      process.stderr.write(`${sayCore(json ? ENGLISH : lang, plan)}\n`);
      return plan.code === 'unknown-domain' || plan.code === 'unverified-domain' ? EXIT.badInput : EXIT.refused;
    }
    const csvPath = resolve(out ?? `.data/plans/${plan.id}.csv`);
    await writeCsv(plan, csvPath);
    if (json) printJson(previewJson(plan, csvPath));
    else {
      const c = plan.counts;
      const d = plan.deletion;
      const nonUsers = plan.changes.filter((x) => x.action === 'Delete' && x.nonUserHint).length;
      const noCredentials = newUsersWithoutCredentials(plan);
      const usage = plan.writeSettings.usageLocation;
      const limit =
        d.maxCount !== null
          ? lang.t('guard.limitWithCount', { pct: d.maxPercent, count: d.maxCount })
          : lang.t('guard.limit', { pct: d.maxPercent });
      process.stdout.write(
        [
          lang.t('cli.preview.header', { domain: plan.domain, planId: plan.id, hash: plan.hash.slice(0, 8) }),
          lang.t('cli.preview.counts', {
            add: c.add,
            restore: c.restore ? lang.t('cli.preview.restore', { count: c.restore }) : '',
            update: c.update,
            delete: c.delete,
            skip: c.skip,
            noChange: c.noChange,
          }),
          lang.t('cli.preview.deletions', { count: d.count, inScope: d.inScope, percent: d.percent, limit }),
          plan.guard.ok
            ? ''
            : lang.t('cli.preview.guard', { reason: lang.core(plan.guard.message, plan.guard.reason) }),
          nonUsers > 0 ? lang.t('cli.preview.nonUsers', { count: nonUsers, domain: plan.domain }) : '',
          noCredentials > 0 ? lang.t('cli.preview.noSignIn', { count: noCredentials, domain: plan.domain }) : '',
          `${lang.t('cli.preview.noLicence')}${
            usage
              ? lang.t('cli.preview.usageLocation', { code: usage })
              : lang.t('cli.preview.noUsageLocation', { domain: plan.domain })
          }`,
          lang.t('cli.preview.csv', { path: csvPath }),
          plan.guard.ok ? lang.t('cli.preview.applyWith', { planId: plan.id }) : '',
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
  if (!domain) throw usageError('domainRequired', { command: 'preview' });
  return { domain, out: values.out, json: values.json === true };
}
