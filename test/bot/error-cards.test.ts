// Error cards show the kind of failure, what to do and a reference; the raw detail goes only to the log, under that id.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ENGLISH, langFor } from '../../src/bot/i18n.js';
import { failureCard, failureSentence } from '../../src/bot/refusal-cards.js';
import { CredentialError } from '../../src/entra/credential.js';
import { createLogger } from '../../src/logger.js';
import { cardText } from './fake-connector.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger('info', stream), lines };
}

describe('failureCard', () => {
  it('never shows the raw message; shows kind, next step and a correlation id found in the log', async () => {
    const { logger, lines } = capture();
    const secret = 'getaddrinfo ENOTFOUND graph.internal.corp:8443 /v1.0/users?$filter=…';
    const card = failureCard(logger, ENGLISH, { key: 'what.dryRun' }, new Error(secret), { domain: 'contoso.co.jp' });
    const text = cardText(card);
    expect(text).toContain('The dry run failed');
    expect(text).toContain('Something unexpected went wrong');
    expect(text).not.toContain('ENOTFOUND');
    expect(text).not.toContain('internal.corp');
    const ref = /Reference: ([0-9a-f-]{36})/.exec(text)?.[1];
    expect(ref).toBeDefined();
    await new Promise((r) => setImmediate(r));
    const line = lines.find((l) => l.correlationId === ref)!;
    expect(line).toMatchObject({ level: 50, kind: 'internal', domain: 'contoso.co.jp' });
    expect(String(line.err)).toContain('ENOTFOUND');
  });

  it('names the kind: throttled Graph, forbidden Graph, credential', () => {
    const { logger } = capture();
    const throttled = Object.assign(new Error('429 TooManyRequests at https://graph…'), { kind: 'throttled' });
    expect(cardText(failureCard(logger, ENGLISH, { key: 'what.sync' }, throttled))).toContain('throttling');
    const forbidden = Object.assign(new Error('Authorization_RequestDenied …'), { kind: 'forbidden' });
    const f = cardText(failureCard(logger, ENGLISH, { key: 'what.sync' }, forbidden));
    expect(f).toContain('Type connect');
    expect(f).not.toContain('Authorization_RequestDenied');
    const cred = new CredentialError('invalid_client', 'AADSTS7000215: bad secret for app 1234');
    const c = cardText(failureCard(logger, ENGLISH, { key: 'what.sync' }, cred));
    expect(c).toContain('could not sign in');
    expect(c).not.toContain('AADSTS');
  });

  it("in the reader's language, card and summary line alike; the log stays English with the detail", async () => {
    const { logger, lines } = capture();
    const err = Object.assign(new Error('429 at https://graph.internal/v1.0/users'), { kind: 'throttled' });
    const ja = langFor('ja');
    const card = cardText(failureCard(logger, ja, { key: 'what.dryRun' }, err, { domain: 'contoso.co.jp' }));
    expect(card).toContain('ドライランに失敗しました');
    expect(card).toContain('Microsoft Graph がこのアプリのリクエストを調整');
    expect(card).toMatch(/参照番号: [0-9a-f-]{36}/);
    expect(card).not.toContain('graph.internal');
    // The preview-all summary's line for a domain whose dry run failed: one sentence, same rule.
    const line = failureSentence(logger, ENGLISH, { key: 'what.dryRun' }, err, { domain: 'fabrikam.jp' });
    expect(line).toMatch(/^Microsoft Graph is throttling .* Reference: [0-9a-f-]{36}$/);
    expect(line).not.toContain('graph.internal');
    await new Promise((r) => setImmediate(r));
    const ref = /Reference: ([0-9a-f-]{36})/.exec(line)![1];
    expect(lines.find((l) => l.correlationId === ref)).toMatchObject({
      msg: 'The dry run failed',
      kind: 'throttled',
      domain: 'fabrikam.jp',
    });
    expect(lines.map((l) => String(l.msg))).toContain('The dry run failed');
  });
});
