// The languages the bot and the CLI speak, and how a Teams locale or the POSIX locale variables pick one.

export const LOCALES = ['en', 'ja'] as const;
export type Locale = (typeof LOCALES)[number];

/** The locale from a Teams locale (`ja-JP`, `en-US`, `ja`): Japanese for `ja*`, English otherwise. */
export function localeOf(tag: string | null | undefined): Locale {
  const t = (tag ?? '').trim().toLowerCase();
  return t === 'ja' || t.startsWith('ja-') || t.startsWith('ja_') ? 'ja' : 'en';
}

/**
 * The CLI's locale from the POSIX variables, in their order of precedence (LC_ALL, LC_MESSAGES, LANG):
 * `ja_JP.UTF-8` is Japanese; `C`, unset and anything else English.
 */
export function localeOfEnv(env: { LC_ALL?: string; LC_MESSAGES?: string; LANG?: string }): Locale {
  const tag = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return localeOf(tag.split('.')[0]);
}
