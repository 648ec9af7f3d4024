// Commands over HTTP: help/unknown, notify here, schedule, import of an attached CSV.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planCsv, planCsvByteSize } from '../../src/sync/plan-csv.js';
import type { Change, Plan } from '../../src/sync/model.js';
import { isRefusal } from '../../src/sync/service-interface.js';
import { createUploadSessions } from '../helpers/upload-session.js';
import { type Harness, startHarness } from './bot-harness.js';
import { cardOf, cardText } from './fake-connector.js';

const DOMAIN = 'contoso.co.jp';
let h: Harness;
let files: Server;
let filesUrl = '';
const served = new Map<string, Buffer>();
const fileGets: string[] = [];
const uploads = createUploadSessions();

/** Posts a message and returns the text of the card the bot replies with (the replaced card when it updates). */
async function ask(text: string, extra: Record<string, unknown> = {}, final?: RegExp): Promise<string> {
  const before = h.connector.calls.length;
  const res = await h.post(h.message(text, undefined, extra));
  expect(res.status).toBe(200);
  const reply = await h.connector.waitFor((calls) => calls.slice(before).find((c) => c.kind === 'reply'));
  if (!final) return cardText(cardOf(reply.activity));
  const done = await h.connector.waitFor((calls) =>
    calls.find(
      (c) => c.kind === 'update' && c.activityId === reply.resultId && final.test(cardText(cardOf(c.activity))),
    ),
  );
  return cardText(cardOf(done.activity));
}

/** What Teams sends when the admin accepts a File Consent card: upload session `/upload/<session>` of the file server. */
function consentAccept(context: Record<string, unknown>, name: string, session: string) {
  const invoke = {
    ...h.message(''),
    type: 'invoke',
    name: 'fileConsent/invoke',
    value: {
      type: 'fileUpload',
      action: 'accept',
      context,
      uploadInfo: {
        name,
        uploadUrl: `${filesUrl}/upload/${session}`,
        contentUrl: `https://contoso.sharepoint.example/${session}.csv`,
        uniqueId: `u-${session}`,
        fileType: 'csv',
      },
    },
  };
  delete (invoke as { text?: string }).text;
  return invoke;
}

beforeAll(async () => {
  // A Teams client (not local mode's Playground) is told apart by the bot's configuration: File Consent on.
  h = await startHarness({ bot: { fileConsent: true } });
  files = createServer((req, res) => {
    if (req.url?.startsWith('/upload/')) return uploads.handle(req, res);
    fileGets.push(req.url ?? '');
    const body = served.get(req.url ?? '');
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/csv' }).end(body);
  });
  await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await h?.close();
  await new Promise<void>((r) => files?.close(() => r()));
});

describe('commands', () => {
  it('answers in the language of the activity: Japanese for ja-JP, English otherwise', async () => {
    const ja = await ask('help', { locale: 'ja-JP' });
    expect(ja).toContain('Entra ID 同期: コマンド');
    expect(ja).not.toContain('Type a command');
    const unknown = await ask('previw contoso.co.jp', { locale: 'ja-JP' });
    expect(unknown).toContain('もしかして: **preview contoso.co.jp**');
    expect(await ask('help', { locale: 'fr-FR' })).toContain('Entra ID sync: commands');
  });

  it('help lists the commands; an unknown command gets help with a suggestion', async () => {
    expect(await ask('help')).toContain('preview \\<domain\\>');
    const text = await ask('previw contoso.co.jp');
    expect(text).toContain('Did you mean: **preview contoso.co.jp**?');
    expect(text).toContain('schedule \\<domain\\> on|off'.replace('|', '\\|'));
  });

  it('notify here stores this conversation as the destination; schedule on says when and where', async () => {
    expect(await ask(`notify here ${DOMAIN}`)).toContain(`Run results of ${DOMAIN} go to this conversation.`);
    const key = await h.engine.stores.conversations.destinationFor(DOMAIN);
    expect(key).toMatch(/^conv-/);
    const address = (await h.engine.stores.conversations.get(key!))!;
    expect(address.serviceUrl).toBe(h.connector.url);
    expect(address.conversationId).toBe(key);
    const text = await ask(`schedule ${DOMAIN} on`);
    expect(text).toContain(`Hourly sync of ${DOMAIN} is on`);
    expect(text).toMatch(/First run\n\d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(text).toContain('this conversation');
    expect((await h.engine.stores.settings.get(DOMAIN))?.periodic).toBe(true);
    expect(await ask(`schedule ${DOMAIN} off`)).toContain('is off');
    const status = await ask('status');
    expect(status).toContain('Entra ID: connected');
    expect(status).toContain(`**${DOMAIN}**`);
    expect(status).toMatch(/Notifications\nchanges only\n/);
    expect(await ask(`pause ${DOMAIN} 2`)).toMatch(/paused until \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect((await h.engine.stores.settings.get(DOMAIN))?.pausedUntil).not.toBeNull();
    expect(await ask(`resume ${DOMAIN}`)).toContain('no longer paused');
  });

  it('import: refuses an attachment that Teams does not serve, without fetching it', async () => {
    served.set('/internal-secret', Buffer.from('userPrincipalName\r\nTOP-SECRET-BYTES\r\n', 'utf8'));
    for (const attachment of [
      { contentType: 'text/csv', name: 'x.csv', contentUrl: `${filesUrl}/internal-secret` },
      { contentType: 'text/csv', name: 'x.csv', contentUrl: `${h.connector.url}/v3/conversations/x` },
      {
        contentType: 'application/vnd.microsoft.teams.file.download.info',
        name: 'x.csv',
        content: { downloadUrl: 'https://contoso.sharepoint.com.attacker.example/x.csv' },
      },
    ]) {
      const text = await ask('import', { attachments: [attachment] });
      expect(text).toContain('Import refused');
      expect(text).toContain('sharepoint.com');
      expect(text).not.toContain('TOP-SECRET');
    }
    expect(fileGets).toEqual([]);
  });

  it('import: downloads the attached CSV and reports per domain; a bad file changes nothing', async () => {
    const before = await h.engine.directory.listUsers(DOMAIN);
    h.connector.attachments.set(
      'bad',
      Buffer.from(
        'userPrincipalName,givenName,surname,displayName,immutableId\r\nnot-an-email,A,B,Bad Row,imm-x\r\n',
        'utf8',
      ),
    );
    const bad = await ask(
      'import',
      {
        attachments: [
          {
            contentType: 'text/csv',
            name: 'bad.csv',
            contentUrl: `${h.connector.url}/v3/attachments/bad/views/original`,
          },
        ],
      },
      /Import rejected/,
    );
    expect(bad).toMatch(/Line 2/);
    expect(await h.engine.directory.listUsers(DOMAIN)).toEqual(before);

    const rows = before.map((u) => [
      u.userPrincipalName,
      u.givenName ?? '',
      u.surname ?? '',
      u.displayName,
      u.immutableId,
    ]);
    rows.push([`new.person@${DOMAIN}`, 'New', 'Person', 'New Person', 'imm-new-person-1']);
    const csv = [
      'userPrincipalName,givenName,surname,displayName,immutableId',
      ...rows.map((r) => r.map((c) => `"${c}"`).join(',')),
    ].join('\r\n');
    h.connector.attachments.set('good', Buffer.from(csv, 'utf8'));
    const good = await ask(
      'import',
      {
        attachments: [
          {
            contentType: 'application/vnd.microsoft.teams.file.download.info',
            name: 'export.csv',
            content: { downloadUrl: `${h.connector.url}/v3/attachments/good/views/original`, fileType: 'csv' },
          },
        ],
      },
      /import applied/,
    );
    expect(good).toContain(DOMAIN);
    expect(good).toContain('added 1');
    expect((await h.engine.directory.listUsers(DOMAIN)).length).toBe(before.length + 1);
  });

  it('precheck lists likely non-user objects preselected; Move to onmicrosoft.com moves the selected ones', async () => {
    const before = h.connector.calls.length;
    await h.post(h.message(`precheck ${DOMAIN}`));
    const reply = await h.connector.waitFor((calls) => calls.slice(before).find((c) => c.kind === 'reply'));
    const done = await h.connector.waitFor((calls) =>
      calls.find(
        (c) =>
          c.kind === 'update' && c.activityId === reply.resultId && /Pre-check:/.test(cardText(cardOf(c.activity))),
      ),
    );
    const card = cardOf(done.activity)!;
    const input = (
      card.body as { type: string; id?: string; value?: string; choices?: { title: string; value: string }[] }[]
    ).find((b) => b.type === 'Input.ChoiceSet')!;
    expect(input.id).toBe('selected');
    const preselected = (input.value ?? '').split(',').filter(Boolean);
    expect(preselected.length).toBeGreaterThan(0);
    const move = (card.actions as { verb: string; data: Record<string, unknown> }[])[0]!;
    expect(move).toMatchObject({ verb: 'move', data: { verb: 'move', domain: DOMAIN } });
    const res = await h.post(h.invoke('move', { ...move.data, selected: preselected.join(',') }, reply.resultId));
    const body = res.body as { type: string; value: unknown };
    expect(body.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(cardText(body.value)).toMatch(
      new RegExp(`Moved ${preselected.length} object\\(s\\) out of ${DOMAIN.replace(/\./g, '\\.')}`),
    );
    for (const id of preselected) {
      const user = await h.engine.entra.reader.getUser(id);
      expect(user?.userPrincipalName).toMatch(/\.onmicrosoft\.com$/);
    }
  });

  it('in personal chat the dry run CSV is offered as a file; accepting uploads it and posts the file card', async () => {
    const before = h.connector.calls.length;
    const callsBefore = h.serviceCalls.length;
    await h.post(h.message(`preview ${DOMAIN}`));
    const offer = await h.connector.waitFor((calls) =>
      calls
        .slice(before)
        .find(
          (c) =>
            (c.activity.attachments as { contentType: string }[] | undefined)?.[0]?.contentType ===
            'application/vnd.microsoft.teams.card.file.consent',
        ),
    );
    const attachment = (
      offer.activity.attachments as {
        name: string;
        content: { acceptContext: Record<string, unknown>; sizeInBytes: number };
      }[]
    )[0]!;
    expect(attachment.name).toMatch(/^dry-run-contoso\.co\.jp-[0-9a-f]{12}\.csv$/);
    // The offer is made from the plan the dry run just returned, with the size the dry run counted when it stored the
    // plan (its summary): the plan is not loaded again for it.
    expect(h.serviceCalls.slice(callsBefore)).toEqual(['preview', 'getPlanSummary']);
    const invoke = consentAccept(attachment.content.acceptContext, attachment.name, '1');
    // An upload URL that is not OneDrive/SharePoint (nor loopback in local mode) is refused, nothing is sent.
    const beforeForeign = h.connector.calls.length;
    const foreign = structuredClone(invoke);
    foreign.value.uploadInfo.uploadUrl = 'https://attacker.example/upload/2';
    expect((await h.post(foreign)).status).toBe(200);
    await h.connector.waitFor((calls) =>
      calls.slice(beforeForeign).find((c) => String(c.activity.text ?? '').includes('The file upload was refused')),
    );
    const callsBeforeAccept = h.serviceCalls.length;
    expect((await h.post(invoke)).status).toBe(200);
    // Accepting may come much later (or reach another replica): the summary gives the size, and the changes are read
    // chunk by chunk as the upload sends them.
    expect(h.serviceCalls.slice(callsBeforeAccept)).toEqual(['getPlanSummary', 'planChanges']);
    const uploaded = uploads.file('/upload/1')!;
    expect(uploaded.length).toBe(attachment.content.sizeInBytes);
    const planId = attachment.content.acceptContext.id as string;
    expect(uploaded.equals(Buffer.from(planCsv((await h.engine.service.getPlan(planId))!), 'utf8'))).toBe(true);
    expect(uploads.requests.filter((r) => r.path === '/upload/1').map((r) => [r.range, r.status])).toEqual([
      [`bytes 0-${uploaded.length - 1}/${uploaded.length}`, 201],
    ]);
    // The plan whose summary keeps its CSV size is still applied: its hash covers the plan alone, not that size.
    const summary = (await h.engine.service.getPlanSummary(planId))!;
    expect(summary.csvBytes).toBe(uploaded.length);
    const run = await h.engine.service.apply(planId, summary.hash, { trigger: 'cli', approvedBy: 'test' });
    expect(isRefusal(run) ? run.reason : run.status).toBe('completed');
    await h.connector.waitFor((calls) =>
      calls.find(
        (c) =>
          (c.activity.attachments as { contentType: string }[] | undefined)?.[0]?.contentType ===
          'application/vnd.microsoft.teams.card.file.info',
      ),
    );
  });
  it('a plan of several stored chunks and upload ranges is uploaded with exactly the bytes of its CSV, at the offered size', async () => {
    // 160,000 users (Japanese names: multi-byte characters fall on range boundaries): 16 stored chunks, a CSV over 10 MiB.
    const template = (await h.engine.service.preview(DOMAIN)) as Plan;
    expect(template.hash).toMatch(/^[0-9a-f]{64}$/);
    const changes: Change[] = Array.from({ length: 160_000 }, (_, i) => ({
      action: 'NoChange',
      entraId: `id-${i}`,
      upn: `user${i}@${DOMAIN}`,
      immutableId: `imm-${i}`,
      displayName: `山田 太郎 ${i}`,
    }));
    const plan: Plan = { ...template, id: 'plan-many-chunks', changes };
    const csvBytes = planCsvByteSize(plan);
    await h.engine.stores.plans.put(plan, { csvBytes });
    expect(csvBytes).toBeGreaterThan(10 * 1024 * 1024);
    const invoke = consentAccept({ kind: 'plan', id: plan.id }, 'dry-run.csv', 'many');
    const before = h.connector.calls.length;
    expect((await h.post(invoke)).status).toBe(200);
    await h.connector.waitFor((calls) =>
      calls
        .slice(before)
        .find(
          (c) =>
            (c.activity.attachments as { contentType: string }[] | undefined)?.[0]?.contentType ===
            'application/vnd.microsoft.teams.card.file.info',
        ),
    );
    const uploaded = uploads.file('/upload/many')!;
    expect(uploaded.length).toBe(csvBytes);
    expect(uploaded.equals(Buffer.from(planCsv(plan), 'utf8'))).toBe(true);
    // Two ranges: 10 MiB (a multiple of 320 KiB), then the rest; the session took each.
    const ranges = uploads.requests.filter((r) => r.path === '/upload/many');
    expect(ranges.map((r) => [r.range, r.status])).toEqual([
      [`bytes 0-${10 * 1024 * 1024 - 1}/${csvBytes}`, 202],
      [`bytes ${10 * 1024 * 1024}-${csvBytes - 1}/${csvBytes}`, 201],
    ]);
  });
});
