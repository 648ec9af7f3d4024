// The bot's and the CLI's languages: string tables cards/strings.<locale>.json through i18next, English as the fallback.
import { readFileSync } from 'node:fs';
import i18next, { type i18n } from 'i18next';
import { LOCALES, type Locale } from '../locale.js';

export { LOCALES, type Locale, localeOf, localeOfEnv } from '../locale.js';

/** A string table: nested sections of strings (i18next JSON v4; plural forms as `key_one` / `key_other`). */
export interface StringTable {
  readonly [key: string]: string | StringTable;
}

/** Marks a key that no table has: tests look for it, and a person sees which key is missing instead of nothing. */
export const MISSING_MARK = '⟦missing:';

export function loadTable(locale: Locale): StringTable {
  return JSON.parse(readFileSync(new URL(`./cards/strings.${locale}.json`, import.meta.url), 'utf8')) as StringTable;
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
}

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
  const lang: Lang = {
    locale,
    t: (key, values) => fixed(key, values ?? {}) as string,
    s: table,
    num: (n) => numbers.format(n),
  };
  langs.set(locale, lang);
  return lang;
}

export const ENGLISH: Lang = langFor('en');
