// `entra-sync domains [add D --max-deletions PCT | set D … | remove D]`: list and configure synced domains.
import type { Lang } from '../bot/i18n.js';
import type { DomainSettings, RunRecord } from '../sync/model.js';
import { type DomainSettingsPatch, isRefusal } from '../sync/service-interface.js';
import { EXIT } from './command.js';
import { terminalText } from './terminal-text.js';
import { cliLang, parseOptions, printJson, sayCore, usageError, usageText, withEngine } from './context.js';

const OPTIONS = {
  'max-deletions': { type: 'string' },
  'max-count': { type: 'string' },
  'on-delete': { type: 'string' },
  periodic: { type: 'string' },
  protect: { type: 'string' },
  'allow-source-shrink': { type: 'string' },
  'usage-location': { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

function percent(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v.replace(/%$/, ''));
  if (!Number.isFinite(n) || n <= 0 || n > 100) throw usageError('maxDeletions', { value: v });
  return n;
}

function onOff(name: string, v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  if (/^(on|true|yes)$/i.test(v)) return true;
  if (/^(off|false|no)$/i.test(v)) return false;
  throw usageError('onOff', { name, value: v });
}

/** Builds the settings patch from options; every bad value is a UsageError naming the option. */
export function patchFromOptions(values: Record<string, string | boolean | undefined>): DomainSettingsPatch {
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const onDelete = str('on-delete');
  if (onDelete !== undefined && onDelete !== 'delete' && onDelete !== 'disable')
    throw usageError('onDelete', { value: onDelete });
  const cap = str('max-count');
  let maxDeletionCount: number | null | undefined;
  if (cap !== undefined) {
    if (/^(none|off)$/i.test(cap)) maxDeletionCount = null;
    else if (/^\d+$/.test(cap)) maxDeletionCount = Number(cap);
    else throw usageError('maxCount', { value: cap });
  }
  const protect = str('protect');
  const usage = str('usage-location');
  if (usage !== undefined && !/^(default|[A-Za-z]{2})$/.test(usage))
    throw usageError('usageLocation', { value: usage });
  const patch: DomainSettingsPatch = {
    maxDeletionPercent: percent(str('max-deletions')),
    maxDeletionCount,
    onDelete: onDelete as DomainSettingsPatch['onDelete'],
    periodic: onOff('periodic', str('periodic')),
    allowSourceShrink: onOff('allow-source-shrink', str('allow-source-shrink')),
    protectedAccounts: protect === undefined ? undefined : protect.split(/[,\s]+/).filter(Boolean),
    usageLocation: usage === undefined ? undefined : usage.toLowerCase() === 'default' ? null : usage.toUpperCase(),
  };
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as DomainSettingsPatch;
}

function describe(lang: Lang, s: DomainSettings): string {
  return lang.t('cli.domains.settings', {
    domain: s.domain,
    pct: s.maxDeletionPercent,
    cap: s.maxDeletionCount !== null ? lang.t('cli.domains.cap', { count: s.maxDeletionCount }) : '',
    onDelete: s.onDelete,
    hourly: lang.t(s.periodic ? 'cli.domains.on' : 'cli.domains.off'),
    usage: s.usageLocation ?? lang.t('cli.domains.organizationUsage'),
    protected: s.protectedAccounts.length
      ? lang.t('cli.domains.protected', { accounts: s.protectedAccounts.join(', ') })
      : '',
  });
}

/** The JSON of a run in `domains --json`: the record as before, without the reason's code (the reason is English). */
const runJson = (run: RunRecord | null) => {
  if (!run) return run;
  const { reasonMessage: _code, ...rest } = run;
  return rest;
};

export async function run(args: string[]): Promise<number> {
  let parsed: { verb: string | undefined; domain: string | undefined; patch: DomainSettingsPatch; json: boolean };
  try {
    const { values, positionals } = parseOptions(args, OPTIONS);
    const [verb, domain] = positionals;
    if (verb && !['add', 'set', 'remove', 'list'].includes(verb)) throw usageError('unknownAction', { verb });
    if (verb && verb !== 'list' && !domain) throw usageError('needsDomain', { verb });
    parsed = { verb, domain, patch: patchFromOptions(values), json: values.json === true };
  } catch (err) {
    process.stderr.write(`entra-sync domains: ${usageText(args, err)}\n`);
    return EXIT.badInput;
  }
  const { verb, domain, patch, json } = parsed;
  const lang = cliLang(json);
  return withEngine('domains', async ({ service }) => {
    if (!verb || verb === 'list') {
      const views = await service.listDomains();
      if (isRefusal(views)) {
        process.stderr.write(`${sayCore(lang, views)}\n`);
        return EXIT.refused;
      }
      if (json) printJson({ domains: views.map((v) => ({ ...v, lastRun: runJson(v.lastRun) })) });
      else
        for (const v of views) {
          const d = v.domain;
          const kind = lang.t(`cli.domains.kind.${d.isInitial ? 'initial' : d.authenticationType.toLowerCase()}`);
          const state = v.settings?.synced
            ? describe(lang, v.settings)
            : lang.t('cli.domains.notSynced', { domain: d.id });
          const last = v.lastRun
            ? lang.t('cli.domains.lastRun', {
                status: lang.t(`cli.status.${v.lastRun.status}`),
                time: v.lastRun.startedAt,
              })
            : '';
          const unverified = d.isVerified ? '' : lang.t('cli.domains.unverified');
          process.stdout.write(`${terminalText(state)} [${kind}${unverified}]${last}\n`);
        }
      return EXIT.ok;
    }
    const target = domain as string;
    const result =
      verb === 'add'
        ? await service.addDomain(target, patch, 'cli')
        : verb === 'set'
          ? await service.setDomain(target, patch, 'cli')
          : await service.removeDomain(target, 'cli');
    if (isRefusal(result)) {
      if (json) printJson({ refused: true, code: result.code, reason: result.reason });
      process.stderr.write(`${sayCore(lang, result)}\n`);
      return result.code === 'bad-input' || result.code === 'unknown-domain' || result.code === 'unverified-domain'
        ? EXIT.badInput
        : EXIT.refused;
    }
    if (json) printJson({ settings: result });
    else
      process.stdout.write(
        `${verb === 'remove' ? lang.t('cli.domains.removed', { domain: result.domain }) : describe(lang, result)}\n`,
      );
    return EXIT.ok;
  });
}
