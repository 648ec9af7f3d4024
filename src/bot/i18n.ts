// The bot's and the CLI's languages: string tables cards/strings.<locale>.json through i18next, English as the fallback.
import { readFileSync } from 'node:fs';
import i18next, { type i18n } from 'i18next';
import { LOCALES, type Locale } from '../locale.js';
import { CORE_MESSAGES, type CoreMessage, type CoreMessageValue } from '../sync/core-messages.js';

export { LOCALES, type Locale, localeOf, localeOfEnv } from '../locale.js';

/** A string table: nested sections of strings (i18next JSON v4; plural forms as `key_one` / `key_other`). */
export interface StringTable {
  readonly [key: string]: string | StringTable;
}

/** Marks a key that no table has: tests look for it, and a person sees which key is missing instead of nothing. */
export const MISSING_MARK = '⟦missing:';

/** The core's English sentences (src/sync/core-messages.ts) as the `core` section of a table: `guard.maxDeletions` → core.guard.maxDeletions. */
function coreSection(): StringTable {
  const root: Record<string, string | Record<string, unknown>> = {};
  for (const [code, text] of Object.entries(CORE_MESSAGES)) {
    const parts = code.split('.');
    let node = root as Record<string, unknown>;
    for (const part of parts.slice(0, -1)) {
      node[part] ??= {};
      node = node[part] as Record<string, unknown>;
    }
    node[parts.at(-1)!] = text;
  }
  return root as StringTable;
}

/**
 * A language's table as written in cards/strings.<locale>.json; English gets its `core` section from the core itself,
 * so that the bot's English and the core's text (CSV, run log, --json) are the same sentences.
 */
export function loadTable(locale: Locale): StringTable {
  const table = JSON.parse(
    readFileSync(new URL(`./cards/strings.${locale}.json`, import.meta.url), 'utf8'),
  ) as StringTable;
  return locale === 'en' ? { ...table, core: coreSection() } : table;
}

let instance: i18n | null = null;

function engine(): i18n {
  if (instance) return instance;
  const created = i18next.createInstance();
  void created.init({
    initAsync: false,
    // i18next otherwise prints an advertisement on stdout at start, which would break the CLI's --json output.
    showSupportNotice: false,
    resources: Object.fromEntries(LOCALES.map((l) => [l, { translation: loadTable(l) }])),
    lng: 'en',
    fallbackLng: 'en',
    supportedLngs: [...LOCALES],
    // Cards are Adaptive Card markdown, not HTML; callers escape directory values (escape.ts) before passing them.
    interpolation: { escapeValue: false },
    returnNull: false,
    parseMissingKeyHandler: (key: string) => `${MISSING_MARK}${key}⟧`,
  });
  instance = created;
  return created;
}

const merged = new Map<Locale, StringTable>();

function mergeTables(base: StringTable, over: StringTable): StringTable {
  const out: Record<string, string | StringTable> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = base[k];
    out[k] = typeof v === 'object' && typeof b === 'object' ? mergeTables(b, v) : v;
  }
  return out;
}

/** Everything a renderer needs to speak one language: sentences with values, static labels, number format. */
export interface Lang {
  readonly locale: Locale;
  /** A sentence from the table with its values filled in (`{{name}}`); `count` picks the plural form. */
  t(key: string, values?: Record<string, string | number>): string;
  /** The whole table (English filling any gap), for static labels a template reads as `${$root.s.section.key}`. */
  readonly s: StringTable;
  /** A count with the locale's grouping: 1,240. */
  num(n: number): string;
  /**
   * What the sync core said (a code with values), in this language; `english` (the core's own text) when there is no
   * message or no table knows its code.
   */
  core(message: CoreMessage | null | undefined, english: string): string;
}

const lookup = (table: StringTable, path: string): string | undefined => {
  let node: string | StringTable | undefined = table;
  for (const part of path.split('.')) node = typeof node === 'object' ? node[part] : undefined;
  return typeof node === 'string' ? node : undefined;
};

const langs = new Map<Locale, Lang>();

export function langFor(locale: Locale): Lang {
  const known = langs.get(locale);
  if (known) return known;
  const e = engine();
  const fixed = e.getFixedT(locale);
  let table = merged.get(locale);
  if (!table) {
    table = locale === 'en' ? loadTable('en') : mergeTables(loadTable('en'), loadTable(locale));
    merged.set(locale, table);
  }
  const numbers = new Intl.NumberFormat(locale === 'ja' ? 'ja-JP' : 'en-US');
  const coreTable = table;
  const hasCode = (m: CoreMessage): boolean => lookup(coreTable, `core.${m.code}`) !== undefined;
  const render = (m: CoreMessage): string => {
    const values: Record<string, string | number> = {};
    for (const [name, v] of Object.entries(m.params)) values[name] = value(v);
    return fixed(`core.${m.code}`, values) as string;
  };
  const value = (v: CoreMessageValue): string | number => {
    if (typeof v === 'string' || typeof v === 'number') return v;
    if ('items' in v) return v.items.map(render).join(lookup(coreTable, `core.separator.${v.join}`) ?? ', ');
    return render(v);
  };
  /** Every code in the message (its own and its values'), so that an unknown one anywhere falls back whole. */
  const allKnown = (m: CoreMessage): boolean =>
    hasCode(m) &&
    Object.values(m.params).every((v) =>
      typeof v === 'string' || typeof v === 'number' ? true : 'items' in v ? v.items.every(allKnown) : allKnown(v),
    );
  const lang: Lang = {
    locale,
    t: (key, values) => fixed(key, values ?? {}) as string,
    s: table,
    num: (n) => numbers.format(n),
    core: (m, english) => (m && typeof m.code === 'string' && allKnown(m) ? render(m) : english),
  };
  langs.set(locale, lang);
  return lang;
}

export const ENGLISH: Lang = langFor('en');
