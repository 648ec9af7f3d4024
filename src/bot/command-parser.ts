// Pure parser for the bot's text commands: message text in, a closed union out (command, help or unknown).
import { parseDomainName } from '../sync/domain-name.js';

export type NotifyMode = 'changes-only' | 'always' | 'failures-only';

export type Command =
  | { readonly kind: 'connect' }
  | { readonly kind: 'status' }
  | { readonly kind: 'domains' }
  | { readonly kind: 'domain-add'; readonly domain: string; readonly maxDeletions: number | null }
  | { readonly kind: 'domain-set'; readonly domain: string; readonly maxDeletions: number }
  | { readonly kind: 'domain-on-delete'; readonly domain: string; readonly onDelete: 'delete' | 'disable' }
  | { readonly kind: 'domain-remove'; readonly domain: string }
  | { readonly kind: 'precheck'; readonly domain: string }
  | { readonly kind: 'preview'; readonly domain: string }
  /** The dry runs of every domain set up for sync, summarised on one card. */
  | { readonly kind: 'preview-all' }
  | { readonly kind: 'import'; readonly partial: boolean; readonly merge: boolean }
  | { readonly kind: 'schedule'; readonly domain: string; readonly enabled: boolean }
  | { readonly kind: 'pause'; readonly domain: string; readonly hours: number }
  | { readonly kind: 'resume'; readonly domain: string }
  | { readonly kind: 'notify-here'; readonly target: string }
  | { readonly kind: 'notify-mode'; readonly domain: string; readonly mode: NotifyMode }
  | { readonly kind: 'logs'; readonly domain: string | null };

export type ParseResult =
  | Command
  | { readonly kind: 'help' }
  /** `suggestion` is a command line to try (or null); `reason` says what was wrong, for a person. */
  | { readonly kind: 'unknown'; readonly suggestion: string | null; readonly reason: string };

export type CommandKind = Command['kind'];

export const DEFAULT_PAUSE_HOURS = 24;
export const MAX_PAUSE_HOURS = 24 * 30;
const MAX_INPUT = 2000;

/** Verbs a person can type, with one example each (the help card and suggestions use them). */
export const COMMAND_EXAMPLES: readonly { readonly verb: string; readonly usage: string; readonly example: string }[] =
  [
    { verb: 'help', usage: 'help', example: 'help' },
    { verb: 'connect', usage: 'connect', example: 'connect' },
    { verb: 'status', usage: 'status', example: 'status' },
    { verb: 'domains', usage: 'domains', example: 'domains' },
    {
      verb: 'domain',
      usage: 'domain add|set|remove <domain> [max-deletions <pct>] [on-delete delete|disable]',
      example: 'domain add contoso.co.jp max-deletions 10',
    },
    { verb: 'precheck', usage: 'precheck <domain>', example: 'precheck contoso.co.jp' },
    { verb: 'preview', usage: 'preview <domain>|all (also: dry run, sync)', example: 'preview contoso.co.jp' },
    { verb: 'import', usage: 'import [partial] [merge] + attach the CSV export', example: 'import' },
    { verb: 'schedule', usage: 'schedule <domain> on|off', example: 'schedule contoso.co.jp on' },
    { verb: 'pause', usage: 'pause <domain> [hours]', example: 'pause contoso.co.jp 4' },
    { verb: 'resume', usage: 'resume <domain>', example: 'resume contoso.co.jp' },
    {
      verb: 'notify',
      usage: 'notify here [<domain>|all] · notify <domain> changes-only|always|failures-only',
      example: 'notify here contoso.co.jp',
    },
    { verb: 'logs', usage: 'logs [<domain>]', example: 'logs contoso.co.jp' },
  ];

const VERBS = [
  'help',
  'connect',
  'status',
  'domains',
  'domain',
  'precheck',
  'preview',
  'dry run',
  'sync',
  'import',
].concat(['schedule', 'pause', 'resume', 'notify', 'logs']);

/** Removes Teams mentions, HTML tags/entities and invisible characters; collapses whitespace. */
export function cleanCommandText(text: string): string {
  return text
    .slice(0, MAX_INPUT)
    .replace(/<at\b[^>]*>[\s\S]*?<\/at>/gi, ' ')
    .replace(/<[^>]{0,200}>/g, ' ')
    .replace(/&nbsp;/gi, ' ')
    .replace(/&amp;/gi, '&')
    .replace(/&lt;/gi, '<')
    .replace(/&gt;/gi, '>')
    .replace(/&quot;/gi, '"')
    .replace(/&#39;/gi, "'")
    .replace(/[\u200b-\u200f\u2060\ufeff]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function levenshtein(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The closest known verb to a mistyped one (edit distance ≤ 2), or null. */
export function suggestVerb(word: string): string | null {
  const w = word.toLowerCase().slice(0, 40);
  let best: { verb: string; d: number } | null = null;
  for (const verb of VERBS) {
    const d = levenshtein(w, verb);
    if (d <= Math.min(2, Math.max(1, Math.floor(verb.length / 3))) && (!best || d < best.d)) best = { verb, d };
  }
  return best?.verb ?? null;
}

const unknown = (reason: string, suggestion: string | null = null): ParseResult => ({
  kind: 'unknown',
  suggestion,
  reason,
});

const needsDomain = (verb: string, usage: string, got: string | undefined): ParseResult =>
  unknown(
    got ? `"${got.slice(0, 60)}" is not a domain name. Usage: ${usage}` : `${verb} needs a domain. Usage: ${usage}`,
    usage.replace('<domain>', 'contoso.co.jp'),
  );

function parsePercent(raw: string | undefined): number | null {
  if (!raw) return null;
  const m = /^(\d{1,3}(?:\.\d{1,2})?)%?$/.exec(raw);
  if (!m) return null;
  const n = Number(m[1]);
  return n > 0 && n <= 100 ? n : null;
}

function parseDomainCommand(args: string[]): ParseResult {
  const [sub, rawDomain, ...rest] = args;
  const usage = 'domain add|set|remove <domain> [max-deletions <pct>] [on-delete delete|disable]';
  if (!sub) return unknown(`domain needs add, set or remove. Usage: ${usage}`, 'domains');
  const action = sub.toLowerCase();
  if (action !== 'add' && action !== 'set' && action !== 'remove')
    return unknown(`domain ${sub.slice(0, 30)}: expected add, set or remove.`, 'domain add contoso.co.jp');
  const domain = parseDomainName(rawDomain);
  if (!domain) return needsDomain(`domain ${action}`, `domain ${action} <domain>`, rawDomain);
  if (action === 'remove')
    return rest.length === 0
      ? { kind: 'domain-remove', domain }
      : unknown(`domain remove takes only a domain.`, `domain remove ${domain}`);
  const key = rest[0]?.toLowerCase().replace(/_/g, '-');
  if (action === 'add') {
    if (rest.length === 0) return { kind: 'domain-add', domain, maxDeletions: null };
    if ((key === 'max-deletions' || key === 'max-deletion') && rest.length === 2) {
      const pct = parsePercent(rest[1]);
      if (pct === null)
        return unknown(
          'max-deletions must be a percentage above 0 and at most 100.',
          `domain add ${domain} max-deletions 10`,
        );
      return { kind: 'domain-add', domain, maxDeletions: pct };
    }
    return unknown(
      `domain add: expected "max-deletions <pct>" after the domain.`,
      `domain add ${domain} max-deletions 10`,
    );
  }
  if ((key === 'max-deletions' || key === 'max-deletion') && rest.length === 2) {
    const pct = parsePercent(rest[1]);
    if (pct === null)
      return unknown(
        'max-deletions must be a percentage above 0 and at most 100.',
        `domain set ${domain} max-deletions 10`,
      );
    return { kind: 'domain-set', domain, maxDeletions: pct };
  }
  if (key === 'on-delete' && rest.length === 2) {
    const mode = rest[1]!.toLowerCase();
    if (mode === 'delete' || mode === 'disable') return { kind: 'domain-on-delete', domain, onDelete: mode };
    return unknown('on-delete must be delete or disable.', `domain set ${domain} on-delete disable`);
  }
  return unknown(
    'domain set: expected "max-deletions <pct>" or "on-delete delete|disable".',
    `domain set ${domain} max-deletions 10`,
  );
}

/** Parses one message's text. Never throws; anything it does not understand becomes help or unknown. */
export function parse(text: string): ParseResult {
  const clean = cleanCommandText(typeof text === 'string' ? text : '');
  if (clean === '') return { kind: 'help' };
  const words = clean.split(' ');
  let verb = words[0]!.toLowerCase().replace(/^\//, '');
  let args = words.slice(1);
  if ((verb === 'dry' && args[0]?.toLowerCase() === 'run') || verb === 'dry-run' || verb === 'dryrun') {
    if (verb === 'dry') args = args.slice(1);
    verb = 'preview';
  }
  if (verb === 'sync') verb = 'preview';
  switch (verb) {
    case 'help':
    case '?':
      return { kind: 'help' };
    case 'connect':
    case 'status':
    case 'domains':
      return args.length === 0 ? { kind: verb } : unknown(`${verb} takes no arguments.`, verb);
    case 'domain':
      return parseDomainCommand(args);
    case 'precheck':
    case 'preview': {
      if (verb === 'preview' && args.length === 1 && args[0]!.toLowerCase() === 'all') return { kind: 'preview-all' };
      const domain = parseDomainName(args[0]);
      if (!domain || args.length > 1) return needsDomain(verb, `${verb} <domain>`, args[0]);
      return { kind: verb, domain };
    }
    case 'import': {
      const flags = args.map((a) => a.toLowerCase().replace(/^--/, ''));
      const bad = flags.find((f) => f !== 'partial' && f !== 'merge');
      if (bad !== undefined)
        return unknown(`import takes only "partial" and "merge" (got "${bad.slice(0, 30)}").`, 'import');
      return { kind: 'import', partial: flags.includes('partial'), merge: flags.includes('merge') };
    }
    case 'schedule': {
      const domain = parseDomainName(args[0]);
      const state = args[1]?.toLowerCase();
      if (!domain) return needsDomain('schedule', 'schedule <domain> on|off', args[0]);
      if (args.length !== 2 || (state !== 'on' && state !== 'off'))
        return unknown('schedule needs on or off.', `schedule ${domain} on`);
      return { kind: 'schedule', domain, enabled: state === 'on' };
    }
    case 'pause': {
      const domain = parseDomainName(args[0]);
      if (!domain) return needsDomain('pause', 'pause <domain> [hours]', args[0]);
      if (args.length === 1) return { kind: 'pause', domain, hours: DEFAULT_PAUSE_HOURS };
      const raw = args[1]!.toLowerCase().replace(/h(ours?)?$/, '');
      const hours = /^\d{1,4}$/.test(raw) ? Number(raw) : Number.NaN;
      if (args.length !== 2 || !Number.isInteger(hours) || hours < 1 || hours > MAX_PAUSE_HOURS)
        return unknown(`pause takes a whole number of hours from 1 to ${MAX_PAUSE_HOURS}.`, `pause ${domain} 4`);
      return { kind: 'pause', domain, hours };
    }
    case 'resume': {
      const domain = parseDomainName(args[0]);
      if (!domain || args.length > 1) return needsDomain('resume', 'resume <domain>', args[0]);
      return { kind: 'resume', domain };
    }
    case 'notify': {
      if (args[0]?.toLowerCase() === 'here') {
        if (args.length === 1) return { kind: 'notify-here', target: '*' };
        const t = args[1]!.toLowerCase();
        if (args.length === 2 && (t === 'all' || t === '*')) return { kind: 'notify-here', target: '*' };
        const domain = parseDomainName(args[1]);
        if (!domain || args.length > 2) return needsDomain('notify here', 'notify here [<domain>|all]', args[1]);
        return { kind: 'notify-here', target: domain };
      }
      const domain = parseDomainName(args[0]);
      if (!domain) return needsDomain('notify', 'notify <domain> changes-only|always|failures-only', args[0]);
      const mode = args[1]?.toLowerCase();
      if (args.length !== 2 || (mode !== 'changes-only' && mode !== 'always' && mode !== 'failures-only'))
        return unknown('notify needs changes-only, always or failures-only.', `notify ${domain} changes-only`);
      return { kind: 'notify-mode', domain, mode };
    }
    case 'logs':
    case 'log': {
      if (args.length === 0) return { kind: 'logs', domain: null };
      const domain = parseDomainName(args[0]);
      if (!domain || args.length > 1) return needsDomain('logs', 'logs [<domain>]', args[0]);
      return { kind: 'logs', domain };
    }
    default: {
      const guess = suggestVerb(verb);
      const rest = args.join(' ');
      const suggestion = guess
        ? `${guess === 'dry run' || guess === 'sync' ? 'preview' : guess}${rest ? ` ${rest}` : ''}`
        : null;
      return unknown(`"${verb.slice(0, 40)}" is not a command.`, suggestion ? suggestion.slice(0, 120) : null);
    }
  }
}
