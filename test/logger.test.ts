// Logging never prints a secret: credential-shaped fields are redacted and free text is scrubbed.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, scrubSecrets } from '../src/logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, stream };
}

describe('logger', () => {
  it('redacts secret fields at any of the first levels', () => {
    const { lines, stream } = capture();
    const log = createLogger('info', stream);
    log.info({ clientSecret: 's3cr3t-value', nested: { accessToken: 'tok-value', password: 'pw-value' } }, 'hello');
    const out = lines.join('');
    expect(out).toContain('hello');
    expect(out).not.toContain('s3cr3t-value');
    expect(out).not.toContain('tok-value');
    expect(out).not.toContain('pw-value');
    expect(out).toContain('[redacted]');
  });

  it('pretty output is readable lines, not JSON, and still redacted', () => {
    const { lines, stream } = capture();
    const log = createLogger('info', stream, { pretty: true, colorize: false });
    log.info({ domain: 'contoso.co.jp', clientSecret: 's3cr3t-value' }, 'dry run ready');
    const out = lines.join('');
    expect(out).toMatch(/^\[\d{2}:\d{2}:\d{2}\] INFO: dry run ready/);
    expect(out).toContain('domain: "contoso.co.jp"');
    expect(out).not.toContain('s3cr3t-value');
    expect(() => JSON.parse(out)).toThrow();
    const json = capture();
    createLogger('info', json.stream).info('plain');
    expect(JSON.parse(json.lines.join('')).msg).toBe('plain');
  });

  it('scrubs bearer tokens, JWTs and secret query parameters from text', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhYmNkZWZnaCJ9.c2lnbmF0dXJlLXBhcnQ';
    const text = `Authorization: Bearer abc.def-ghi token ${jwt} client_secret=hunter2&x=1`;
    const out = scrubSecrets(text);
    expect(out).not.toContain('abc.def-ghi');
    expect(out).not.toContain(jwt);
    expect(out).not.toContain('hunter2');
    expect(out).toContain('x=1');
  });
});
