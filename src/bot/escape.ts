// Makes directory values safe for Adaptive Card text: markdown-escaped, single-line and length-capped.

/** Default cap for one value shown on a card (UPNs, display names, reasons). */
export const DEFAULT_CARD_TEXT_MAX = 120;

// Characters with a meaning in Adaptive Card markdown (CommonMark subset) or Teams text functions.
const MARKDOWN_SPECIAL = /[\\`*_~[\](){}<>#|!]/g;
// Line-start markers that turn text into a bullet list or an ordered list (`#`, `>` are escaped everywhere).
const BULLET_AT_START = /^(\s*)([-+])/;
const ORDERED_AT_START = /^(\s*\d+)\./;

/**
 * Single-line, control-character-free, length-capped text (no markdown escaping): for fields that
 * Teams shows literally (choice titles, chart legends, action titles, file names).
 */
export function plainCardText(value: unknown, max: number = DEFAULT_CARD_TEXT_MAX): string {
  if (value === null || value === undefined) return '';
  const text = String(value)
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .replace(/[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  const limit = Math.max(1, Math.floor(max));
  const chars = Array.from(text);
  if (chars.length <= limit) return text;
  return `${chars
    .slice(0, limit - 1)
    .join('')
    .trimEnd()}…`;
}

/**
 * A directory value ready for a markdown-rendering card field (TextBlock, FactSet): every markdown
 * control character is backslash-escaped, so `[click](https://evil)` shows as text and never as a link.
 * The cap counts the visible characters, before escaping.
 */
export function escapeCardText(value: unknown, max: number = DEFAULT_CARD_TEXT_MAX): string {
  const plain = plainCardText(value, max);
  const escaped = plain.replace(MARKDOWN_SPECIAL, (c) => `\\${c}`);
  // Break autolinks (https://…, www.…) with an invisible word joiner so a renderer with linkify on shows text.
  const unlinked = escaped.replace(/:\/\//g, ':\u2060//').replace(/\bwww\./gi, (w) => `${w.slice(0, 3)}\u2060.`);
  return unlinked.replace(BULLET_AT_START, '$1\\$2').replace(ORDERED_AT_START, '$1\\.');
}
