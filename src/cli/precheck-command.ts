// `entra-sync precheck --domain D [--move ID,…] [--json]`: what a first sync would delete; optionally move objects to onmicrosoft.com.
import { isRefusal } from '../sync/service-interface.js';
import { EXIT } from './command.js';
import { terminalText as t } from './terminal-text.js';
import { cliLang, parseOptions, printJson, sayCore, usageError, usageText, withEngine } from './context.js';

export async function run(args: string[]): Promise<number> {
  let domain: string;
  let move: string[];
  let json: boolean;
  try {
    const { values, positionals } = parseOptions(args, {
      domain: { type: 'string' },
      move: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    const d = values.domain ?? positionals[0];
    if (!d) throw usageError('domainRequired', { command: 'precheck' });
    domain = d;
    move = (values.move ?? '').split(/[,\s]+/).filter(Boolean);
    json = values.json === true;
  } catch (err) {
    process.stderr.write(`entra-sync precheck: ${usageText(args, err)}\n`);
    return EXIT.badInput;
  }
  const lang = cliLang(json);
  return withEngine('precheck', async ({ service }) => {
    if (move.length > 0) {
      const moved = await service.moveToInitialDomain(domain, move, 'cli');
      if (isRefusal(moved)) {
        process.stderr.write(`${sayCore(lang, moved)}\n`);
        return EXIT.refused;
      }
      if (json)
        printJson({
          moved: moved.moved,
          failed: moved.failed.map((f) => ({ id: f.id, upn: f.upn, reason: f.reason })),
        });
      else {
        for (const m of moved.moved)
          process.stdout.write(`${lang.t('cli.precheck.moved', { from: t(m.from), to: t(m.to) })}\n`);
        for (const f of moved.failed)
          process.stderr.write(
            `${lang.t('cli.precheck.notMoved', { upn: t(f.upn), reason: sayCore(lang, { reason: f.reason, message: f.reasonMessage }) })}\n`,
          );
      }
      return moved.failed.length > 0 ? EXIT.failure : EXIT.ok;
    }
    const result = await service.precheck(domain);
    if (isRefusal(result)) {
      process.stderr.write(`${sayCore(lang, result)}\n`);
      return EXIT.refused;
    }
    if (json) {
      printJson({
        domain: result.domain,
        initialDomain: result.initialDomain,
        candidates: result.candidates.map((c) => ({
          id: c.user.id,
          userPrincipalName: c.user.userPrincipalName,
          displayName: c.user.displayName,
          likelyKind: c.likelyKind,
          why: c.why,
        })),
      });
      return EXIT.ok;
    }
    if (result.candidates.length === 0) {
      process.stdout.write(`${lang.t('cli.precheck.nothing', { domain: result.domain })}\n`);
      return EXIT.ok;
    }
    process.stdout.write(
      `${lang.t('cli.precheck.header', { domain: result.domain, count: result.candidates.length })}\n`,
    );
    for (const c of result.candidates) {
      const mark = c.likelyKind
        ? lang.t('cli.precheck.likely', { kind: lang.t(`cli.precheck.kind.${c.likelyKind}`) })
        : lang.t('cli.precheck.person');
      const why = sayCore(lang, { reason: c.why, message: c.whyMessage });
      process.stdout.write(
        `  ${t(c.user.id)}  ${t(c.user.userPrincipalName)}  ${t(c.user.displayName)}  [${mark}: ${why}]\n`,
      );
    }
    process.stdout.write(
      `${lang.t('cli.precheck.moveWith', { initialDomain: result.initialDomain, domain: result.domain })}\n`,
    );
    return EXIT.ok;
  });
}
