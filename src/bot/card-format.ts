// Formatting shared by the card view models: times in UTC, durations, the short plan hash, command buttons.
import type { Lang } from './i18n.js';
import { planShortHash } from '../sync/plan.js';

/** `2026-11-26 15:04 UTC` (cards are read by people in several time zones; UTC is stated). */
export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * A duration in the reader's language, the one formatter of cards, notifications and the CLI's `logs` table. The
 * `log` style (sync log, notification, CLI) shows under a second in ms and pads to two digits: `850 ms`, `42 s`,
 * `3 min 05 s`, `1 h 02 min`. The `card` style (the run result card) rounds to whole seconds and does not pad: `1 s`,
 * `3 min 5 s`, `1 h 2 min`. An em dash for a negative or unknown duration. Both styles stay as the cards have shown
 * them until the wording is decided (docs/architecture.md, Known debts).
 */
export function formatDuration(lang: Lang, ms: number, style: 'log' | 'card' = 'log'): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const log = style === 'log';
  if (log && ms < 1000) return lang.t('time.ms', { ms: Math.round(ms) });
  const two = (n: number) => (log ? String(n).padStart(2, '0') : n);
  const s = Math.round(ms / 1000);
  if (s < 60) return lang.t('time.seconds', { s });
  const m = Math.floor(s / 60);
  if (m < 60) return lang.t('time.minSec', { m, s: two(s % 60) });
  return lang.t('time.hourMin', { h: Math.floor(m / 60), m: two(m % 60) });
}

/** A run's duration as the result card shows it (`42 s`, `3 min 5 s`), or an em dash while it has no end. */
export function fmtDuration(lang: Lang, startIso: string, endIso: string | null): string {
  if (!endIso) return '—';
  return formatDuration(lang, Date.parse(endIso) - Date.parse(startIso), 'card');
}

/** A plan hash as cards show it (`planShortHash`), or "—" when there is none. */
export const shortHash = (hash: string | null | undefined): string => (hash ? planShortHash(hash) : '—');

/** An `Action.Execute` button: its title, the card verb it sends, and the verb's data. */
export interface ExecuteAction {
  readonly title: string;
  readonly verb: string;
  readonly data: Record<string, unknown>;
}

/** "on" or "off" in the reader's language. */
export const onOff = (lang: Lang, b: boolean) => lang.t(b ? 'common.on' : 'common.off');

/** A button that runs a typed command (the `command` card verb): every step can be done by buttons alone. */
export const commandAction = (title: string, command: string): ExecuteAction => ({
  title,
  verb: 'command',
  data: { command },
});
