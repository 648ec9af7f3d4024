// Protocol tests over HTTP: activities POSTed to /api/messages, replies recorded by a fake Bot Connector, real engine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planCsv } from '../../src/sync/plan-csv.js';
import { isRefusal } from '../../src/sync/service-interface.js';
import { ADMIN, type Harness, NON_ADMIN, startHarness } from './bot-harness.js';
import { cardOf, cardText } from './fake-connector.js';

const DOMAIN = 'contoso.co.jp';

interface Action {
  type: string;
  title: string;
  verb?: string;
  url?: string;
  data?: Record<string, unknown>;
}
const actionsOf = (card: Record<string, unknown> | null): Action[] => (card?.actions as Action[] | undefined) ?? [];

/** Sends `preview`, waits for the running message to be replaced by the dry-run card; returns its ids. */
async function preview(h: Harness) {
  const before = h.connector.calls.length;
  const res = await h.post(h.message(`<at>Entra Sync</at> preview ${DOMAIN}`));
  expect(res.status).toBe(200);
  const running = await h.connector.waitFor((calls) => calls.slice(before).find((c) => c.kind === 'reply'));
  expect(cardText(cardOf(running.activity))).toContain('Dry run running');
  const ready = await h.connector.waitFor((calls) =>
    calls.find(
      (c) =>
        c.kind === 'update' &&
        c.activityId === running.resultId &&
        actionsOf(cardOf(c.activity)).some((a) => a.title === 'Sync now'),
    ),
  );
  const card = cardOf(ready.activity)!;
  const sync = actionsOf(card).find((a) => a.title === 'Sync now')!;
  return {
    messageId: running.resultId,
    card,
    planId: sync.data!.planId as string,
    planHash: sync.data!.planHash as string,
    download: actionsOf(card).find((a) => a.type === 'Action.OpenUrl')!.url!,
  };
}

/** The invoke response body of an Action.Execute: { type, value } (card or message). */
const invokeBody = (body: unknown) => body as { statusCode: number; type: string; value: unknown };

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  // The demo's leavers exceed its 10% default; this test is about the bot, so allow them.
  const r = await h.post(h.message(`domain set ${DOMAIN} max-deletions 60`));
  expect(r.status).toBe(200);
  await h.connector.waitFor((calls) =>
    calls.find((c) => cardText(cardOf(c.activity)).includes('max allowed deletions is now 60%')),
  );
});

afterAll(async () => {
  await h?.close();
});

describe('bot protocol', () => {
  it('an activity from another tenant is refused before any handler runs', async () => {
    const calls = h.connector.calls.length;
    const service = h.serviceCalls.length;
    const msg = h.message(`preview ${DOMAIN}`);
    const other = {
      ...msg,
      conversation: { ...(msg.conversation as object), tenantId: 'tenant-b' },
      channelData: { tenant: { id: 'tenant-b' } },
    };
    expect((await h.post(other)).status).toBe(403);
    const inv = h.invoke('apply', { planId: 'x', planHash: 'y' }, 'msg-1');
    expect((await h.post({ ...inv, channelData: { tenant: { id: 'tenant-b' } } })).status).toBe(403);
    const noTenant = { ...msg, conversation: { id: 'c', conversationType: 'personal' }, channelData: {} };
    expect((await h.post(noTenant)).status).toBe(403);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.connector.calls.length).toBe(calls);
    expect(h.serviceCalls.length).toBe(service);
  });

  it('the dry-run card comes with a signed CSV link; a tampered link is refused', async () => {
    const p = await preview(h);
    expect(cardText(p.card)).toContain(`Dry run: ${DOMAIN}`);
    const callsBeforeDownload = h.serviceCalls.length;
    const res = await fetch(p.download);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; filename="dry-run-contoso\.co\.jp-[0-9a-f]{12}\.csv"$/,
    );
    expect(res.headers.get('cache-control')).toBe('no-store');
    const bytes = Buffer.from(await res.arrayBuffer());
    const csv = bytes.toString('utf8');
    expect(
      csv.startsWith(
        '\ufeffAction,UserPrincipalName,ImmutableId,DisplayName,GivenName,Surname,ChangedAttributes,Note\r\n',
      ) || csv.startsWith('Action,UserPrincipalName'),
    ).toBe(true);
    // The CSV is the plan's, sent from its summary and its changes read chunk by chunk: never the whole plan at once.
    expect(bytes.equals(Buffer.from(planCsv((await h.engine.service.getPlan(p.planId))!), 'utf8'))).toBe(true);
    expect(h.serviceCalls.slice(callsBeforeDownload)).toEqual(['getPlanSummary', 'planChanges']);
    const bad = p.download.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await fetch(bad)).status).toBe(403);
    // Local mode (the Playground) does not support File Consent cards: none is sent, the download button is there.
    await new Promise((r) => setTimeout(r, 300));
    expect(
      h.connector.calls.some((c) =>
        (c.activity.attachments as { contentType: string }[] | undefined)?.some(
          (a) => a.contentType === 'application/vnd.microsoft.teams.card.file.consent',
        ),
      ),
    ).toBe(false);
    // Cancel discards the plan; its link then answers 410. It reads only the plan's summary, never its changes.
    const callsBeforeCancel = h.serviceCalls.length;
    await h.post(h.invoke('cancel', { planId: p.planId, planHash: p.planHash }, p.messageId));
    expect(h.serviceCalls.slice(callsBeforeCancel)).toEqual(['getPlanSummary', 'discardPlan']);
    expect((await fetch(p.download)).status).toBe(410);
  });

  it("a non-admin's approve is refused and changes nothing", async () => {
    const p = await preview(h);
    const runsBefore = await h.engine.service.listRuns({ domain: DOMAIN });
    const applyCalls = h.serviceCalls.filter((c) => c === 'apply').length;
    const res = await h.post(h.invoke('apply', { planId: p.planId, planHash: p.planHash }, p.messageId, NON_ADMIN));
    expect(res.status).toBe(200);
    const body = invokeBody(res.body);
    expect(body.type).toBe('application/vnd.microsoft.activity.message');
    expect(String(body.value)).toMatch(/Not done: .*Global Administrator/);
    // The same refusal in the language of the click.
    const ja = await h.post({
      ...h.invoke('apply', { planId: p.planId, planHash: p.planHash }, p.messageId, NON_ADMIN),
      locale: 'ja-JP',
    });
    expect(String(invokeBody(ja.body).value)).toMatch(
      /^実行しませんでした: あなたはこのテナントの全体管理者ではありません。/,
    );
    expect(h.serviceCalls.filter((c) => c === 'apply').length).toBe(applyCalls);
    expect(await h.engine.service.listRuns({ domain: DOMAIN })).toEqual(runsBefore);
    expect(await h.engine.service.getPlan(p.planId)).not.toBeNull();
    // A non-admin's command gets help and a refusal that says who can act, and runs nothing.
    const before = h.connector.calls.length;
    const previews = h.serviceCalls.filter((c) => c === 'preview').length;
    await h.post(h.message(`preview ${DOMAIN}`, NON_ADMIN));
    const reply = await h.connector.waitFor((calls) => calls.slice(before).find((c) => c.kind === 'reply'));
    const text = cardText(cardOf(reply.activity));
    expect(text).toContain('ADMIN\\_AAD\\_OBJECT\\_IDS');
    expect(text).toContain('preview <domain>'.replace(/</g, '\\<').replace(/>/g, '\\>'));
    expect(h.serviceCalls.filter((c) => c === 'preview').length).toBe(previews);
    await h.post(h.invoke('cancel', { planId: p.planId, planHash: p.planHash }, p.messageId));
  });

  it('a double click (and a replayed invoke) applies once; the card ends with the result for everyone', async () => {
    const p = await preview(h);
    const callsBefore = h.serviceCalls.length;
    const first = h.invoke('apply', { planId: p.planId, planHash: p.planHash }, p.messageId);
    const second = h.invoke('apply', { planId: p.planId, planHash: p.planHash }, p.messageId);
    const [a, b] = await Promise.all([h.post(first), h.post(second)]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    for (const r of [a, b]) expect(invokeBody(r.body).type).toBe('application/vnd.microsoft.card.adaptive');
    const replay = await h.post(first);
    expect(replay.status).toBe(200);
    const result = await h.connector.waitFor(
      (calls) =>
        calls.find(
          (c) =>
            c.kind === 'update' && c.activityId === p.messageId && /Sync completed/.test(cardText(cardOf(c.activity))),
        ),
      20_000,
    );
    const text = cardText(cardOf(result.activity));
    expect(text).toContain(`Approved by ${ADMIN.name} at`);
    expect(text).toMatch(/\/downloads\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\)/);
    // No Sync now any more: only the next steps (hourly sync, the log).
    expect(actionsOf(cardOf(result.activity)).map((x) => x.verb ?? x.data?.verb)).toEqual(['enable-hourly', 'command']);
    const runs = (await h.engine.service.listRuns({ domain: DOMAIN })).filter((r) => r.planId === p.planId);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.status).toBe('completed');
    expect(runs[0]!.approvedBy).toBe(ADMIN.name);
    expect(runs[0]!.approvedById).toBe(ADMIN.aadObjectId);
    // A click on the old card after the run: shows the result, applies nothing.
    const late = await h.post(h.invoke('apply', { planId: p.planId, planHash: p.planHash }, p.messageId));
    expect(cardText(invokeBody(late.body).value)).toMatch(/Sync completed|already/);
    expect((await h.engine.service.listRuns({ domain: DOMAIN })).filter((r) => r.planId === p.planId)).toHaveLength(1);
    // The clicks read the plan's summary (its domain, or whether it is gone), never the whole plan: the apply reads
    // the changes chunk by chunk in the sync worker.
    const calls = h.serviceCalls.slice(callsBefore);
    expect(calls).toContain('getPlanSummary');
    expect(calls).not.toContain('getPlan');
  });

  it("the dry run's Enable hourly sync reads the plan's summary only, and offers Sync now for that plan", async () => {
    const p = await preview(h);
    const callsBefore = h.serviceCalls.length;
    const res = await h.post(h.invoke('enable-hourly', { planId: p.planId, planHash: p.planHash }, p.messageId));
    expect(res.status).toBe(200);
    try {
      const card = invokeBody(res.body).value as Record<string, unknown>;
      expect(cardText(card)).toContain(`Hourly sync of ${DOMAIN} is on`);
      const syncToo = actionsOf(card).find((a) => a.verb === 'apply');
      expect(syncToo?.data).toMatchObject({ planId: p.planId, planHash: p.planHash });
      const calls = h.serviceCalls.slice(callsBefore);
      expect(calls).toContain('getPlanSummary');
      expect(calls).not.toContain('getPlan');
    } finally {
      await h.engine.service.setDomain(DOMAIN, { periodic: false }, null);
      await h.post(h.invoke('cancel', { planId: p.planId, planHash: p.planHash }, p.messageId));
    }
  });

  it('a stale plan is refused with a Run dry run again button, and nothing is written', async () => {
    const p = await preview(h);
    const entraBefore = await h.engine.entra.reader.listUsers(DOMAIN);
    const users = await h.engine.directory.listUsers(DOMAIN);
    await h.engine.directory.replaceDomain(DOMAIN, [
      ...users,
      { userPrincipalName: `late.hire@${DOMAIN}`, immutableId: 'late-hire-0001', displayName: 'Late Hire' },
    ]);
    const res = await h.post(h.invoke('apply', { planId: p.planId, planHash: p.planHash }, p.messageId));
    expect(res.status).toBe(200);
    const refusal = await h.connector.waitFor(
      (calls) =>
        calls.find(
          (c) =>
            c.kind === 'update' && c.activityId === p.messageId && /out of date/.test(cardText(cardOf(c.activity))),
        ),
      20_000,
    );
    const rerun = actionsOf(cardOf(refusal.activity));
    expect(rerun).toEqual([
      {
        type: 'Action.Execute',
        title: 'Run dry run again',
        verb: 'preview',
        data: { verb: 'preview', domain: DOMAIN },
      },
    ]);
    const entraAfter = await h.engine.entra.reader.listUsers(DOMAIN);
    expect(entraAfter.map((u) => u.userPrincipalName).sort()).toEqual(
      entraBefore.map((u) => u.userPrincipalName).sort(),
    );
    const runs = (await h.engine.service.listRuns({ domain: DOMAIN })).filter((r) => r.planId === p.planId);
    expect(runs.map((r) => r.status)).toEqual(['refused']);
    expect(runs[0]!.counts).toEqual({ added: 0, updated: 0, deleted: 0, failed: 0 });
  });

  it('a dry run made before an account was protected is refused as out of date, and the account is not deleted', async () => {
    const users = await h.engine.directory.listUsers(DOMAIN);
    const first = await h.engine.service.preview(DOMAIN);
    if (isRefusal(first)) throw new Error(first.reason);
    const kept = first.changes.find((c) => c.action === 'NoChange')!;
    const gone = users.find((u) => u.userPrincipalName === kept.upn)!;
    await h.engine.directory.replaceDomain(
      DOMAIN,
      users.filter((u) => u !== gone),
    );
    const p = await preview(h);
    const plan = await h.engine.service.getPlan(p.planId);
    const leaver = plan!.changes.find((c) => c.action === 'Delete' && c.upn === gone.userPrincipalName);
    expect(leaver, 'the dry run deletes the user who left').toBeDefined();
    await h.engine.service.setDomain(DOMAIN, { protectedAccounts: [leaver!.upn] }, 'another admin');
    try {
      const res = await h.post(h.invoke('apply', { planId: p.planId, planHash: p.planHash }, p.messageId));
      expect(res.status).toBe(200);
      const refusal = await h.connector.waitFor(
        (calls) =>
          calls.find(
            (c) =>
              c.kind === 'update' && c.activityId === p.messageId && /out of date/.test(cardText(cardOf(c.activity))),
          ),
        20_000,
      );
      expect(cardText(cardOf(refusal.activity))).toContain("the domain's settings changed since this dry run");
      expect(await h.engine.entra.reader.getUser(leaver!.upn)).not.toBeNull();
      const runs = (await h.engine.service.listRuns({ domain: DOMAIN })).filter((r) => r.planId === p.planId);
      expect(runs.map((r) => r.status)).toEqual(['refused']);
    } finally {
      await h.engine.service.setDomain(DOMAIN, { protectedAccounts: [] }, 'another admin');
      await h.engine.directory.replaceDomain(DOMAIN, users);
    }
  });

  it('logs shows the runs of the domain', async () => {
    const before = h.connector.calls.length;
    await h.post(h.message(`logs ${DOMAIN}`));
    const reply = await h.connector.waitFor((calls) => calls.slice(before).find((c) => c.kind === 'reply'));
    const text = cardText(cardOf(reply.activity));
    expect(text).toContain(DOMAIN);
    expect(text).toMatch(/completed/i);
  });
});
