// `entra-sync precheck --domain D [--move ID,…] [--json]`: what a first sync would delete; optionally move objects to onmicrosoft.com.
import { isRefusal } from '../sync/service.js';
import { EXIT } from './command.js';
import { terminalText as t } from './terminal-text.js';
import { parseOptions, printJson, UsageError, withEngine } from './context.js';

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
    if (!d) throw new UsageError('--domain is required, e.g. entra-sync precheck --domain contoso.co.jp');
    domain = d;
    move = (values.move ?? '').split(/[,\s]+/).filter(Boolean);
    json = values.json === true;
  } catch (err) {
    process.stderr.write(`entra-sync precheck: ${(err as Error).message}\n`);
    return EXIT.badInput;
  }
  return withEngine('precheck', async ({ service }) => {
    if (move.length > 0) {
      const moved = await service.moveToInitialDomain(domain, move, 'cli');
      if (isRefusal(moved)) {
        process.stderr.write(`${t(moved.reason)}\n`);
        return EXIT.refused;
      }
      if (json) printJson(moved);
      else {
        for (const m of moved.moved) process.stdout.write(`moved ${t(m.from)} → ${t(m.to)}\n`);
        for (const f of moved.failed) process.stderr.write(`not moved ${t(f.upn)}: ${t(f.reason)}\n`);
      }
      return moved.failed.length > 0 ? EXIT.failure : EXIT.ok;
    }
    const result = await service.precheck(domain);
    if (isRefusal(result)) {
      process.stderr.write(`${t(result.reason)}\n`);
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
      process.stdout.write(`${result.domain}: a first sync would delete nothing outside Access Control.\n`);
      return EXIT.ok;
    }
    process.stdout.write(
      `${result.domain}: a first sync would delete these ${result.candidates.length} Entra objects:\n`,
    );
    for (const c of result.candidates) {
      const mark = c.likelyKind ? `likely ${c.likelyKind}` : 'person?';
      process.stdout.write(
        `  ${t(c.user.id)}  ${t(c.user.userPrincipalName)}  ${t(c.user.displayName)}  [${mark}: ${t(c.why)}]\n`,
      );
    }
    process.stdout.write(
      `Move non-user objects to ${result.initialDomain} with: entra-sync precheck --domain ${result.domain} --move <id>,<id>\n`,
    );
    return EXIT.ok;
  });
}
