// escapeCardText: directory values reach cards as literal text (no links, no formatting), single-line and capped.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeCardText, plainCardText } from '../../src/bot/escape.js';

/** Undo CommonMark backslash escapes and the word joiner: what a reader sees. */
const visible = (s: string) => s.replace(/\\([!-/:-@[-`{-~])/g, '$1').replace(/\u2060/g, '');

describe('escapeCardText', () => {
  it('turns a markdown link into text', () => {
    const out = escapeCardText('[click](https://evil)');
    expect(out).not.toMatch(/(^|[^\\])\[click(\\)?\]\(/);
    expect(out).toBe('\\[click\\]\\(https:\u2060//evil\\)');
    expect(visible(out)).toBe('[click](https://evil)');
  });

  it('escapes emphasis, code, headings, lists, html and Teams date functions', () => {
    expect(escapeCardText('**bold** _it_ `code` ~s~')).toBe('\\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\~s\\~');
    expect(escapeCardText('# title')).toBe('\\# title');
    expect(escapeCardText('- item')).toBe('\\- item');
    expect(escapeCardText('1. item')).toBe('1\\. item');
    expect(escapeCardText('<b>x</b>')).toBe('\\<b\\>x\\</b\\>');
    expect(escapeCardText('{{DATE(2017-02-14T06:08:39Z)}}')).toContain('\\{\\{');
    expect(escapeCardText('www.evil.com')).toBe('www\u2060.evil.com');
  });

  it('is single-line and drops control and bidi characters', () => {
    expect(escapeCardText('a\nb\r\nc\td')).toBe('a b c d');
    expect(escapeCardText('abc\u202edef\u0000')).toBe('abcdef');
    expect(plainCardText(null)).toBe('');
    expect(plainCardText(42)).toBe('42');
  });

  it('caps the visible length with an ellipsis, counting characters not UTF-16 units', () => {
    const out = escapeCardText('x'.repeat(500), 50);
    expect(Array.from(visible(out)).length).toBe(50);
    expect(out.endsWith('…')).toBe(true);
    expect(Array.from(plainCardText('山'.repeat(30) + '😀'.repeat(30), 40)).length).toBe(40);
    expect(plainCardText('short', 50)).toBe('short');
  });

  it('fuzz: no unescaped markdown character survives, and the visible text is the plain text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        const out = escapeCardText(s, 300);
        expect(out).not.toMatch(/[\r\n\t]/);
        expect(out.replace(/\\./g, '')).not.toMatch(/[\\`*_~[\](){}<>#|!]/);
        expect(visible(out)).toBe(plainCardText(s, 300));
      }),
      { numRuns: 1000 },
    );
  });
});
