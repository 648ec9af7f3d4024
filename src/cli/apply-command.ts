// `entra-sync apply --plan ID [--json]`: applies a previewed plan; the JSON and exit codes of the README's command line section.
import type { RunRecord } from '../sync/model.js';
import { isRefusal, type Refusal } from '../sync/service-interface.js';
import { EXIT } from './command.js';
import { parseOptions, printJson, sayCore, usageError, usageText, withInterruptibleEngine } from './context.js';
import { ENGLISH, langFor } from '../bot/i18n.js';
import { cliProgressText, terminalProgress } from './progress-bar.js';

export function applyJson(result: RunRecord | Refusal, planId: string) {
  if (isRefusal(result)) {
    return {
      runId: null,
      planId,
      status: result.code === 'guard' ? 'cancelled' : 'refused',
      counts: { added: 0, updated: 0, deleted: 0, failed: 0 },
      reason: result.reason,
    };
  }
  return {
    runId: result.id,
    planId,
    status: result.status,
    counts: result.counts,
    reason: result.reason,
  };
}

export function exitFor(result: RunRecord | Refusal): number {
  if (isRefusal(result)) return result.code === 'plan-not-found' ? EXIT.badInput : EXIT.refused;
  if (result.status === 'completed') return EXIT.ok;
  if (result.status === 'cancelled' || result.status === 'refused') return EXIT.refused;
  return EXIT.failure;
}

export async function run(args: string[]): Promise<number> {
  let planId: string;
  let json: boolean;
  try {
    const { values, positionals } = parseOptions(args, {
      plan: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    const id = values.plan ?? positionals[0];
    if (!id) throw usageError('planRequired');
    planId = id;
    json = values.json === true;
  } catch (err) {
    process.stderr.write(`entra-sync apply: ${usageText(args, err)}\n`);
    return EXIT.badInput;
  }
  return withInterruptibleEngine('apply', async (engine) => {
    const lang = langFor(engine.config.locale);
    // What a script reads (--json, and stderr beside it) stays English.
    const said = json ? ENGLISH : lang;
    const plan = await engine.service.getPlanSummary(planId);
    if (!plan) {
      const msg = said.t('cli.apply.noPlan', { planId });
      if (json) printJson(applyJson({ refused: true, code: 'plan-not-found', reason: msg }, planId));
      process.stderr.write(`${msg}\n`);
      return EXIT.badInput;
    }
    const progress = terminalProgress({ json, ...cliProgressText(lang) });
    const result = await engine.service.apply(plan.id, plan.hash, {
      trigger: 'cli',
      approvedBy: 'cli',
      onProgress: progress,
    });
    progress.end();
    if (json) printJson(applyJson(result, planId));
    if (isRefusal(result)) process.stderr.write(`${sayCore(said, result)}\n`);
    else {
      if (!json) {
        const c = result.counts;
        process.stdout.write(
          `${lang.t('cli.apply.summary', {
            runId: result.id,
            status: lang.t(`runStatus.${result.status}`),
            added: c.added,
            updated: c.updated,
            deleted: c.deleted,
            failed: c.failed,
          })}\n`,
        );
      }
      if (result.reason)
        process.stderr.write(
          `${sayCore(said, { reason: result.reason, message: result.reasonMessage ?? undefined })}\n`,
        );
    }
    return exitFor(result);
  });
}
