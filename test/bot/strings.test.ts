// The string tables: English and Japanese have the same keys and placeholders, nothing is left untranslated, every
// key the code or a template names exists, and every card renders completely in both languages.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  LOCALES,
  langFor,
  loadTable,
  localeOf,
  localeOfEnv,
  MISSING_MARK,
  type StringTable,
} from '../../src/bot/i18n.js';
import { gallery } from './card-gallery.js';

const CARDS_DIR = new URL('../../src/bot/cards/', import.meta.url);
const SRC_DIRS = [new URL('../../src/bot/', import.meta.url), new URL('../../src/cli/', import.meta.url)];

/** `a.b.c` → value; plural forms (`_one`, `_other`) folded into their base key. */
function flatten(table: StringTable, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(table)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else for (const [kk, vv] of flatten(v, key)) out.set(kk, vv);
  }
  return out;
}
const baseKey = (k: string) => k.replace(/_(zero|one|two|few|many|other)$/, '');
const placeholders = (v: string) => [...v.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();

/**
 * Keys whose Japanese text may equal the English one: names, codes and formats that read the same in both.
 * Add a key here only when the identical text is correct Japanese.
 */
const SAME_IN_BOTH = new Set([
  'cli.preview.csv',
  'connect.graph',
  'setup.protectedPlaceholder',
  'buttons.downloadShort',
]);

const tables = Object.fromEntries(LOCALES.map((l) => [l, flatten(loadTable(l))])) as Record<
  (typeof LOCALES)[number],
  Map<string, string>
>;
const en = tables.en;
const enBase = new Set([...en.keys()].map(baseKey));

describe('string tables', () => {
  for (const locale of LOCALES.filter((l) => l !== 'en')) {
    it(`${locale} has exactly the keys of en (plural forms aside)`, () => {
      const other = new Set([...tables[locale].keys()].map(baseKey));
      expect(
        [...enBase].filter((k) => !other.has(k)),
        `missing in ${locale}`,
      ).toEqual([]);
      expect(
        [...other].filter((k) => !enBase.has(k)),
        `only in ${locale}`,
      ).toEqual([]);
    });

    it(`${locale}: every text is translated and keeps the placeholders of en`, () => {
      const untranslated: string[] = [];
      const wrongPlaceholders: string[] = [];
      for (const [key, value] of tables[locale]) {
        const english = en.get(key) ?? en.get(`${baseKey(key)}_other`) ?? '';
        const words = value.replace(/\{\{\w+\}\}/g, '').match(/[A-Za-z]{3,}/g) ?? [];
        if (value === english && words.length > 0 && !SAME_IN_BOTH.has(key)) untranslated.push(key);
        if (placeholders(value).join() !== placeholders(english).join())
          wrongPlaceholders.push(`${key}: ${placeholders(value).join()} ≠ ${placeholders(english).join()}`);
      }
      expect(untranslated, 'same text as English').toEqual([]);
      expect(wrongPlaceholders).toEqual([]);
    });
  }

  it('every key named in the code, t(…), and in the templates, $root.s.…, exists in en', () => {
    const named = new Set<string>();
    for (const dir of SRC_DIRS)
      for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
        const src = readFileSync(new URL(f, dir), 'utf8');
        for (const m of src.matchAll(/\bt\(\s*'([a-zA-Z][\w.-]*)'/g)) named.add(m[1]!);
      }
    for (const f of readdirSync(CARDS_DIR).filter((n) => n.endsWith('.json') && !n.startsWith('strings.'))) {
      const src = readFileSync(new URL(f, CARDS_DIR), 'utf8');
      for (const m of src.matchAll(/\$\{\$root\.s\.([\w.-]+)\}/g)) named.add(m[1]!);
    }
    expect(named.size).toBeGreaterThan(100);
    expect([...named].filter((k) => !enBase.has(k))).toEqual([]);
  });

  it("loading the tables prints nothing (stdout is the CLI's answer, e.g. its --json object)", () => {
    const out = spawnSync(
      resolve('node_modules/.bin/tsx'),
      ['-e', "import('./src/bot/i18n.ts').then((m) => m.langFor('ja').t('help.title'))"],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(out.status).toBe(0);
    expect(out.stdout).toBe('');
    expect(out.stderr).toBe('');
  });

  it('picks the language from the Teams locale and from LANG, English otherwise', () => {
    expect(localeOf('ja-JP')).toBe('ja');
    expect(localeOf('ja')).toBe('ja');
    expect(localeOf('en-US')).toBe('en');
    expect(localeOf('fr-FR')).toBe('en');
    expect(localeOf(undefined)).toBe('en');
    expect(localeOfEnv({ LANG: 'ja_JP.UTF-8' })).toBe('ja');
    expect(localeOfEnv({ LANG: 'ja_JP.UTF-8', LC_ALL: 'C' })).toBe('en');
    expect(localeOfEnv({ LANG: 'en_US.UTF-8', LC_MESSAGES: 'ja_JP.UTF-8' })).toBe('ja');
    expect(localeOfEnv({})).toBe('en');
  });
});

describe('every card in every language', () => {
  const templates = readdirSync(CARDS_DIR)
    .filter((n) => n.endsWith('.json') && !n.startsWith('strings.'))
    .map((n) => n.replace(/\.json$/, ''));

  it('the gallery has a sample of every template', () => {
    expect(Object.keys(gallery(langFor('en'))).sort()).toEqual(templates.sort());
  });

  for (const locale of LOCALES) {
    it(`${locale}: every card renders completely (no missing key, no unexpanded expression)`, () => {
      const problems: string[] = [];
      for (const [name, cards] of Object.entries(gallery(langFor(locale)))) {
        cards.forEach((card, i) => {
          const json = JSON.stringify(card);
          if (json.includes(MISSING_MARK)) problems.push(`${name}[${i}]: ${json.match(/⟦missing:[^⟧]*⟧/)![0]}`);
          if (json.includes('${')) problems.push(`${name}[${i}]: ${json.match(/\$\{[^}]*\}/)![0]}`);
          if (/\{\{\w+\}\}/.test(json)) problems.push(`${name}[${i}]: ${json.match(/\{\{\w+\}\}/)![0]}`);
        });
      }
      expect(problems).toEqual([]);
    });
  }

  it('ja: no English sentence of the tables reaches a Japanese card', () => {
    const english = [...en.entries()]
      .filter(
        ([k, v]) =>
          !SAME_IN_BOTH.has(k) &&
          v
            .replace(/\{\{\w+\}\}/g, '')
            .trim()
            .split(/\s+/).length >= 3,
      )
      .map(([, v]) => v.split(/\{\{\w+\}\}/)[0]!.trim())
      .filter((fragment) => fragment.split(/\s+/).length >= 3);
    const json = JSON.stringify(gallery(langFor('ja')));
    expect(english.filter((fragment) => json.includes(fragment))).toEqual([]);
  });
});
