// Import attachments: only Teams' own file hosts, same-origin redirects, size capped while streaming, no bytes echoed.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  downloadImportFile,
  findImportFile,
  isAcceptedImportUrl,
  isTeamsUploadUrl,
} from '../../src/bot/attachments.js';
import { parseDirectoryCsvInWorker } from '../../src/directory/csv-parse-thread.js';

const teams = { serviceUrl: 'https://smba.trafficmanager.net/amer/', localMode: false };

describe('isAcceptedImportUrl', () => {
  it('accepts SharePoint/OneDrive download URLs and this conversation’s Bot Connector attachments, over https', () => {
    const ok = (u: string, kind: 'download-info' | 'content' = 'download-info') => isAcceptedImportUrl(u, kind, teams);
    expect(ok('https://contoso-my.sharepoint.com/personal/a/_layouts/15/download.aspx?UniqueId=1&tempauth=x')).toBe(
      true,
    );
    expect(ok('https://smba.trafficmanager.net/amer/v3/attachments/abc/views/original', 'content')).toBe(true);
    for (const bad of [
      'http://contoso-my.sharepoint.com/x.csv',
      'https://contoso.sharepoint.com.attacker.example/x.csv',
      'https://sharepoint.com@attacker.example/x.csv',
      'https://attacker.example/x.csv',
      'https://169.254.169.254/latest/meta-data',
      'http://127.0.0.1:6379/',
      'file:///etc/passwd',
    ])
      expect(ok(bad), bad).toBe(false);
    for (const bad of [
      'https://smba.trafficmanager.net/emea/v3/attachments/abc/views/original',
      'https://smba.trafficmanager.net/amer/v3/conversations/abc',
      'https://smba.trafficmanager.net/amer/v3/attachments/../../../admin',
      'http://smba.trafficmanager.net/amer/v3/attachments/abc/views/original',
      'https://contoso-my.sharepoint.com/x.csv',
    ])
      expect(ok(bad, 'content'), bad).toBe(false);
  });

  it('accepts http only in local mode, and only from the loopback connector', () => {
    const local = { serviceUrl: 'http://127.0.0.1:5000/_connector', localMode: true };
    expect(
      isAcceptedImportUrl('http://127.0.0.1:5000/_connector/v3/attachments/a/views/original', 'content', local),
    ).toBe(true);
    expect(
      isAcceptedImportUrl('http://127.0.0.1:5001/_connector/v3/attachments/a/views/original', 'content', local),
    ).toBe(false);
    expect(isAcceptedImportUrl('http://127.0.0.1:5000/x.csv', 'download-info', local)).toBe(true);
    expect(isAcceptedImportUrl('http://127.0.0.1:5000/x.csv', 'download-info', { ...local, localMode: false })).toBe(
      false,
    );
  });

  it('findImportFile answers a refusal that says what is accepted', () => {
    const answer = findImportFile([{ contentType: 'text/csv', contentUrl: 'https://attacker.example/x.csv' }], teams);
    expect(answer).toMatchObject({ refused: expect.stringContaining('sharepoint.com') });
    expect(findImportFile([{ contentType: 'application/vnd.microsoft.card.adaptive', content: {} }], teams)).toBeNull();
  });
});

describe('downloadImportFile', () => {
  let origin: Server;
  let other: Server;
  let base = '';
  let otherBase = '';
  const otherHits: string[] = [];
  beforeAll(async () => {
    other = createServer((req, res) => {
      otherHits.push(req.url ?? '');
      res.writeHead(200).end('SECRET-FROM-ANOTHER-HOST');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    otherBase = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    origin = createServer((req, res) => {
      if (req.url === '/away') return void res.writeHead(302, { location: `${otherBase}/x` }).end();
      if (req.url === '/hop') return void res.writeHead(302, { location: '/file' }).end();
      if (req.url === '/file') return void res.writeHead(200).end('a,b\r\n1,2\r\n');
      if (req.url === '/endless') {
        // Chunked, no content-length: only the streaming cap can stop it.
        res.writeHead(200);
        const timer = setInterval(() => res.write(Buffer.alloc(64 * 1024, 65)), 1);
        res.on('close', () => clearInterval(timer));
        return;
      }
      res.writeHead(404).end('not here');
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => origin.close(() => r()));
    await new Promise<void>((r) => other.close(() => r()));
  });

  it('follows a redirect within the same origin and reads the file', async () => {
    const bytes = await downloadImportFile({ name: 'a.csv', url: `${base}/hop` });
    expect(Buffer.from(bytes).toString()).toBe('a,b\r\n1,2\r\n');
  });

  it('refuses a redirect to another host without fetching it', async () => {
    await expect(downloadImportFile({ name: 'a.csv', url: `${base}/away` })).rejects.toThrow(/redirected elsewhere/);
    expect(otherHits).toEqual([]);
  });

  it('stops a body larger than the cap while streaming', async () => {
    await expect(
      downloadImportFile({ name: 'big.csv', url: `${base}/endless` }, { maxBytes: 1024 * 1024 }),
    ).rejects.toThrow(/larger than 1 MB/);
  });

  it('never echoes the body of an error answer', async () => {
    const err = await downloadImportFile({ name: 'a.csv', url: `${base}/missing` }).catch((e: Error) => e);
    expect(String(err)).toMatch(/HTTP 404/);
    expect(String(err)).not.toContain('not here');
  });
});

describe('parseDirectoryCsvInWorker', () => {
  it('parses in a worker thread with the same result as in the main thread', async () => {
    const csv = Buffer.from('userPrincipalName,givenName,surname,displayName\r\na@contoso.co.jp,A,B,A B\r\n', 'utf8');
    const r = await parseDirectoryCsvInWorker(csv);
    expect(r.rows.map((x) => x.user.userPrincipalName)).toEqual(['a@contoso.co.jp']);
    expect(r.rejectedUpns).toBeInstanceOf(Set);
  });
});

describe('isTeamsUploadUrl', () => {
  it('accepts only OneDrive/SharePoint over https (and loopback in local mode)', () => {
    expect(isTeamsUploadUrl('https://contoso-my.sharepoint.com/personal/a/_api/upload?x=1', false)).toBe(true);
    for (const bad of [
      'https://attacker.example/upload',
      'http://contoso-my.sharepoint.com/upload',
      'https://contoso-my.sharepoint.com.attacker.example/upload',
      'http://127.0.0.1:8080/upload',
      'http://169.254.169.254/latest',
    ])
      expect(isTeamsUploadUrl(bad, false), bad).toBe(false);
    expect(isTeamsUploadUrl('http://127.0.0.1:8080/upload', true)).toBe(true);
    expect(isTeamsUploadUrl('http://10.0.0.5/upload', true)).toBe(false);
  });
});
