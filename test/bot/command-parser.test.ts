// Unit tests of the command parser, with fuzzed input: it never throws and bad input always gets help or unknown.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanCommandText, parse, suggestVerb } from '../../src/bot/command-parser.js';

describe('parse', () => {
  it('parses every command with its arguments', () => {
    expect(parse('preview contoso.co.jp')).toEqual({ kind: 'preview', domain: 'contoso.co.jp' });
    expect(parse('PREVIEW Contoso.CO.JP')).toEqual({ kind: 'preview', domain: 'contoso.co.jp' });
    expect(parse('dry run contoso.co.jp')).toEqual({ kind: 'preview', domain: 'contoso.co.jp' });
    expect(parse('Dry Run contoso.co.jp')).toEqual({ kind: 'preview', domain: 'contoso.co.jp' });
    expect(parse('sync contoso.co.jp')).toEqual({ kind: 'preview', domain: 'contoso.co.jp' });
    expect(parse('precheck fabrikam.com')).toEqual({ kind: 'precheck', domain: 'fabrikam.com' });
    expect(parse('preview all')).toEqual({ kind: 'preview-all' });
    expect(parse('dry run ALL')).toEqual({ kind: 'preview-all' });
    expect(parse('precheck all').kind).toBe('unknown');
    expect(parse('connect')).toEqual({ kind: 'connect' });
    expect(parse('status')).toEqual({ kind: 'status' });
    expect(parse('domains')).toEqual({ kind: 'domains' });
    expect(parse('domain add contoso.co.jp')).toEqual({
      kind: 'domain-add',
      domain: 'contoso.co.jp',
      maxDeletions: null,
    });
    expect(parse('domain add contoso.co.jp max-deletions 15')).toEqual({
      kind: 'domain-add',
      domain: 'contoso.co.jp',
      maxDeletions: 15,
    });
    expect(parse('domain set contoso.co.jp max-deletions 12.5%')).toEqual({
      kind: 'domain-set',
      domain: 'contoso.co.jp',
      maxDeletions: 12.5,
    });
    expect(parse('domain set contoso.co.jp on-delete disable')).toEqual({
      kind: 'domain-on-delete',
      domain: 'contoso.co.jp',
      onDelete: 'disable',
    });
    expect(parse('domain remove contoso.co.jp')).toEqual({ kind: 'domain-remove', domain: 'contoso.co.jp' });
    expect(parse('import')).toEqual({ kind: 'import', partial: false, merge: false });
    expect(parse('import partial --merge')).toEqual({ kind: 'import', partial: true, merge: true });
    expect(parse('schedule contoso.co.jp on')).toEqual({ kind: 'schedule', domain: 'contoso.co.jp', enabled: true });
    expect(parse('schedule contoso.co.jp OFF')).toEqual({ kind: 'schedule', domain: 'contoso.co.jp', enabled: false });
    expect(parse('pause contoso.co.jp')).toEqual({ kind: 'pause', domain: 'contoso.co.jp', hours: 24 });
    expect(parse('pause contoso.co.jp 4')).toEqual({ kind: 'pause', domain: 'contoso.co.jp', hours: 4 });
    expect(parse('resume contoso.co.jp')).toEqual({ kind: 'resume', domain: 'contoso.co.jp' });
    expect(parse('notify here')).toEqual({ kind: 'notify-here', target: '*' });
    expect(parse('notify here all')).toEqual({ kind: 'notify-here', target: '*' });
    expect(parse('notify here contoso.co.jp')).toEqual({ kind: 'notify-here', target: 'contoso.co.jp' });
    expect(parse('notify contoso.co.jp failures-only')).toEqual({
      kind: 'notify-mode',
      domain: 'contoso.co.jp',
      mode: 'failures-only',
    });
    expect(parse('logs')).toEqual({ kind: 'logs', domain: null });
    expect(parse('logs contoso.co.jp')).toEqual({ kind: 'logs', domain: 'contoso.co.jp' });
    expect(parse('help')).toEqual({ kind: 'help' });
    expect(parse('')).toEqual({ kind: 'help' });
  });

  it('strips Teams mentions, HTML and invisible characters', () => {
    expect(parse('<at>Entra Sync</at> preview contoso.co.jp')).toEqual({ kind: 'preview', domain: 'contoso.co.jp' });
    expect(parse('<p><at>Bot</at>&nbsp;dry run&nbsp;contoso.co.jp</p>')).toEqual({
      kind: 'preview',
      domain: 'contoso.co.jp',
    });
    expect(parse('\u200bpreview  \t contoso.co.jp\n')).toEqual({ kind: 'preview', domain: 'contoso.co.jp' });
    expect(cleanCommandText('<at id="0">Bot</at> help')).toBe('help');
  });

  it('answers bad input with unknown and a usable suggestion', () => {
    const typo = parse('previw contoso.co.jp');
    expect(typo).toMatchObject({ kind: 'unknown', suggestion: 'preview contoso.co.jp' });
    expect(parse('preview')).toMatchObject({ kind: 'unknown', suggestion: 'preview contoso.co.jp' });
    expect(parse('preview not_a_domain')).toMatchObject({ kind: 'unknown' });
    expect(parse('preview a.com b.com')).toMatchObject({ kind: 'unknown' });
    expect(parse('domain add contoso.co.jp max-deletions 0')).toMatchObject({ kind: 'unknown' });
    expect(parse('domain add contoso.co.jp max-deletions 101')).toMatchObject({ kind: 'unknown' });
    expect(parse('domain set contoso.co.jp on-delete purge')).toMatchObject({ kind: 'unknown' });
    expect(parse('schedule contoso.co.jp maybe')).toMatchObject({ kind: 'unknown' });
    expect(parse('pause contoso.co.jp 0')).toMatchObject({ kind: 'unknown' });
    expect(parse('pause contoso.co.jp 99999')).toMatchObject({ kind: 'unknown' });
    expect(parse('notify contoso.co.jp loudly')).toMatchObject({ kind: 'unknown' });
    expect(parse('hello bot')).toMatchObject({ kind: 'unknown', suggestion: null });
    expect(suggestVerb('domians')).toBe('domains');
    expect(suggestVerb('zzzzzz')).toBeNull();
  });

  it('never throws; every result is a closed-union member; garbage never becomes a command', () => {
    const kinds = new Set([
      'connect',
      'status',
      'domains',
      'domain-add',
      'domain-set',
      'domain-on-delete',
      'domain-remove',
      'precheck',
      'preview',
      'import',
      'schedule',
      'pause',
      'resume',
      'notify-here',
      'notify-mode',
      'logs',
      'help',
      'unknown',
    ]);
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 })), (text) => {
        const r = parse(text);
        expect(kinds.has(r.kind)).toBe(true);
        if (r.kind === 'unknown') {
          expect(typeof r.reason).toBe('string');
          expect(r.reason.length).toBeGreaterThan(0);
        }
        if ('domain' in r && typeof r.domain === 'string') expect(r.domain).toMatch(/^[a-z0-9.-]+$/);
      }),
      { numRuns: 1500 },
    );
  });

  it('fuzzed words around real verbs: a command only with valid arguments', () => {
    const word = fc.oneof(
      fc.constantFrom(
        'preview',
        'dry',
        'run',
        'sync',
        'domain',
        'add',
        'set',
        'max-deletions',
        'on',
        'off',
        'notify',
        'here',
        'pause',
      ),
      fc.constantFrom('contoso.co.jp', 'a..b', '-x.com', '10', '0', '<at>x</at>', '[click](https://evil)', '%', ''),
      fc.string({ maxLength: 12 }),
    );
    fc.assert(
      fc.property(fc.array(word, { maxLength: 6 }), (words) => {
        const r = parse(words.join(' '));
        if (r.kind === 'preview' || r.kind === 'precheck') expect(r.domain).toMatch(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/);
        if (r.kind === 'domain-set') expect(r.maxDeletions).toBeGreaterThan(0);
        if (r.kind === 'pause') expect(r.hours).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 1500 },
    );
  });

  it('handles very long input without hanging', () => {
    const started = Date.now();
    expect(parse(`preview ${'a'.repeat(100_000)}.com`).kind).toBe('unknown');
    expect(parse('<at>'.repeat(20_000)).kind).toBeDefined();
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
