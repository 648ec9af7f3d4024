// The upload to a OneDrive upload session: ranges, sizes, and the test double refusing what OneDrive refuses.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UPLOAD_RANGE_UNIT, uploadToSession } from '../../src/bot/upload-session.js';
import { createUploadSessions } from '../helpers/upload-session.js';

const sessions = createUploadSessions();
let server: Server;
let base = '';

async function* text(parts: readonly string[]): AsyncGenerator<string> {
  for (const p of parts) yield p;
}

beforeAll(async () => {
  server = createServer((req, res) => sessions.handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const put = (path: string, range: string, body: Buffer) =>
  fetch(`${base}${path}`, {
    method: 'PUT',
    headers: { 'content-length': String(body.length), 'content-range': range },
    body,
  });

describe('upload session double (https://learn.microsoft.com/en-us/graph/api/driveitem-createuploadsession)', () => {
  it('refuses a Content-Range that does not match the bytes sent', async () => {
    const res = await put('/s/mismatch', 'bytes 0-9/10', Buffer.from('hello'));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalidRequest');
    expect(sessions.file('/s/mismatch')).toBeUndefined();
  });

  it('refuses a range that is not the next expected one (416) and a middle range not a multiple of 320 KiB', async () => {
    const unit = Buffer.alloc(UPLOAD_RANGE_UNIT, 0x41);
    const total = UPLOAD_RANGE_UNIT * 2 + 5;
    expect((await put('/s/order', `bytes ${UPLOAD_RANGE_UNIT}-${2 * UPLOAD_RANGE_UNIT - 1}/${total}`, unit)).status).toBe(416);
    expect((await put('/s/order', `bytes 0-99/${total}`, Buffer.alloc(100))).status).toBe(400);
    const first = await put('/s/order', `bytes 0-${UPLOAD_RANGE_UNIT - 1}/${total}`, unit);
    expect(first.status).toBe(202);
    expect(((await first.json()) as { nextExpectedRanges: string[] }).nextExpectedRanges).toEqual([
      `${UPLOAD_RANGE_UNIT}-`,
    ]);
    expect((await put('/s/order', `bytes 0-${UPLOAD_RANGE_UNIT - 1}/${total}`, unit)).status).toBe(416);
  });
});

describe('uploadToSession', () => {
  it('sends the text in ranges of a multiple of 320 KiB, splitting blocks (and characters) at the boundaries', async () => {
    const parts = Array.from({ length: 4000 }, (_, i) => `山田 太郎 ${i},user${i}@contoso.co.jp\r\n`);
    const bytes = Buffer.from(parts.join(''), 'utf8');
    await uploadToSession(`${base}/s/text`, bytes.length, text(parts), { rangeBytes: UPLOAD_RANGE_UNIT });
    expect(sessions.file('/s/text')?.equals(bytes)).toBe(true);
    const statuses = sessions.requests.filter((r) => r.path === '/s/text').map((r) => r.status);
    expect(statuses.length).toBe(Math.ceil(bytes.length / UPLOAD_RANGE_UNIT));
    expect(statuses.at(-1)).toBe(201);
    expect(statuses.slice(0, -1).every((s) => s === 202)).toBe(true);
  });

  it('never completes the file when the text is shorter or longer than the offered size', async () => {
    const parts = ['a'.repeat(UPLOAD_RANGE_UNIT), 'b'.repeat(1000)];
    const size = UPLOAD_RANGE_UNIT + 1000;
    await expect(
      uploadToSession(`${base}/s/short`, size + 1, text(parts), { rangeBytes: UPLOAD_RANGE_UNIT }),
    ).rejects.toThrow();
    await expect(
      uploadToSession(`${base}/s/long`, size - 1, text(parts), { rangeBytes: UPLOAD_RANGE_UNIT }),
    ).rejects.toThrow();
    expect(sessions.file('/s/short')).toBeUndefined();
    expect(sessions.file('/s/long')).toBeUndefined();
    await uploadToSession(`${base}/s/exact`, size, text(parts), { rangeBytes: UPLOAD_RANGE_UNIT });
    expect(sessions.file('/s/exact')?.toString()).toBe(parts.join(''));
  });

  it('names the refused range when the session refuses it', async () => {
    await put('/s/taken', 'bytes 0-2/3', Buffer.from('abc'));
    await expect(uploadToSession(`${base}/s/taken`, 3, text(['abc']))).rejects.toThrow(/HTTP 404 to bytes 0-2 of 3/);
  });
});
