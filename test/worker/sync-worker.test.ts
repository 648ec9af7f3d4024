// The sync worker process against the emulator over HTTPS: dry runs and applies run in it, and a worker killed mid-apply is restarted and the run resumed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGLISH } from '../../src/bot/i18n.js';
import { failureCard, failureSentence } from '../../src/bot/refusal-cards.js';
import { createEngine, type Engine } from '../../src/compose.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import type { RunRecord } from '../../src/sync/model.js';
import type { OpsEvent } from '../../src/sync/observer.js';
import { planCsv } from '../../src/sync/plan-csv.js';
import {
  type DomainPreview,
  fromPortableError,
  isRefusal,
  type Progress,
  syncLeaseName,
} from '../../src/sync/service-interface.js';
import { type FromWorker, PROTOCOL_VERSION } from '../../src/worker/protocol.js';
import { type SyncWorker, SyncWorkerStoppedError, startSyncWorker } from '../../src/worker/sync-worker-client.js';
import { cardText } from '../bot/fake-connector.js';
import { type CliTenant, expectChurnApplied, startChurnTenant } from '../helpers/cli.js';
import { until } from '../helpers/until.js';

const DOMAIN = 'thread.jp';
const EXISTING = 400;
const LEAVERS = 40;
const UPDATED = 160;
const HIRES = 500;
const COUNTS = { existing: EXISTING, leavers: LEAVERS, updated: UPDATED, hires: HIRES };
const CHANGES = LEAVERS + UPDATED + HIRES;
const LEASE_TTL_SECONDS = 3;

describe('sync worker process', () => {
  let tenant: CliTenant;
  let engine: Engine;
  let worker: SyncWorker;
  const events: OpsEvent[] = [];

  beforeAll(async () => {
    // At Graph's realistic latency the apply takes seconds, long enough to be killed in the middle.
    tenant = await startChurnTenant({
      domain: DOMAIN,
      letter: 'W',
      counts: COUNTS,
      env: { SYNC_LEASE_TTL_SECONDS: String(LEASE_TTL_SECONDS) },
    });
    // The bot's engine trusts the emulator's self-signed CA from ENTRA_CA_FILE; the worker gets that PEM.
    const config = loadConfig(tenant.env);
    const logger = createLogger('silent');
    engine = await createEngine(config, logger);
    worker = await startSyncWorker({
      config,
      entra: { settings: engine.entraSettings, caPem: engine.entraCaPem },
      local: engine.service,
      logger,
      observer: (e) => events.push(e),
      restartDelayMs: 100,
    });
  }, 120_000);

  afterAll(async () => {
    await worker?.close();
    await engine?.close();
    await tenant?.stop();
  });

  it('runs a dry run in the worker: progress and engine events reach the caller, the plan is in the shared store', async () => {
    const progress: Progress[] = [];
    const plan = await worker.service.preview(DOMAIN, {
      requestedBy: 'test',
      onProgress: (p) => progress.push(p),
      countCsvBytes: true,
    });
    if (isRefusal(plan)) throw new Error(plan.reason);
    expect(plan.counts).toMatchObject({ add: HIRES, update: UPDATED, delete: LEAVERS });
    expect(progress.map((p) => p.phase)).toContain('diffing');
    expect(events.some((e) => e.type === 'preview-finished' && e.domain === DOMAIN && e.outcome === 'planned')).toBe(
      true,
    );
    // The bot reads the plan the worker stored (SQLite file, two openers).
    expect((await engine.service.getPlan(plan.id))?.hash).toBe(plan.hash);
    // Its summary is answered by the bot's side from that store, without its changes.
    const summary = await worker.service.getPlanSummary(plan.id);
    expect(summary).toMatchObject({ id: plan.id, hash: plan.hash, domain: DOMAIN, counts: plan.counts });
    expect(summary?.changeCount).toBe(plan.changes.length);
    // Asked to, the dry run counted its CSV's size once, when it stored the plan (the file offer reads it).
    expect(summary?.csvBytes).toBe(Buffer.byteLength(planCsv(plan), 'utf8'));
    expect(summary).not.toHaveProperty('changes');
    expect(await worker.service.getPlanSummary('no-such-plan')).toBeNull();
    // A refusal crosses the process boundary as a value.
    const refused = await worker.service.preview('nowhere.example');
    expect(isRefusal(refused) && refused.code).toBe('not-configured');
  }, 60_000);

  it('runs preview all in the worker: each domain’s start, plan and refusal cross the process boundary', async () => {
    const listed = (await engine.stores.settings.list()).filter((s) => s.synced);
    const settings = [...listed, { ...listed[0]!, domain: 'ghost.example' }];
    const started: string[] = [];
    const entries = await worker.service.previewAll(settings, {
      requestedBy: 'test',
      onDomain: (i, domain) => started.push(`${i}:${domain}`),
    });
    expect(started).toEqual(settings.map((s, i) => `${i}:${s.domain}`));
    expect(entries.map((e) => e.domain)).toEqual(settings.map((s) => s.domain));
    const [planned, ghost] = [entries.at(-2)!, entries.at(-1)!];
    if (!('result' in planned) || isRefusal(planned.result)) throw new Error(`no plan: ${JSON.stringify(planned)}`);
    expect(planned.result.counts).toMatchObject({ add: HIRES, update: UPDATED, delete: LEAVERS });
    expect((await engine.service.getPlanSummary(planned.result.id))?.hash).toBe(planned.result.hash);
    // Not asked to (nothing offers these plans as files), the dry run did not format the CSV to count it.
    expect((await engine.service.getPlanSummary(planned.result.id))?.csvBytes).toBeUndefined();
    expect('result' in ghost && isRefusal(ghost.result) && ghost.result.code).toBe('unknown-domain');
  }, 60_000);

  it('imports an Access Control export in the worker (its CSV parser thread inside it); the bot reads the result', async () => {
    const csv = [
      'userPrincipalName,givenName,surname,displayName,immutableId,jobTitle',
      'one@import.thread.jp,One,Import,One Import,b25lLWltcG9ydA,Staff',
      'two@import.thread.jp,Two,Import,Two Import,dHdvLWltcG9ydA,Staff',
    ].join('\r\n');
    const report = await worker.service.importDirectory(new TextEncoder().encode(`${csv}\r\n`), { merge: true });
    expect(report.errors).toEqual([]);
    expect(report.applied).toBe(true);
    expect(report.domains).toEqual([{ domain: 'import.thread.jp', added: 2, updated: 0, removed: 0, unchanged: 0 }]);
    expect(await engine.directory.count('import.thread.jp')).toBe(2);
    expect(await engine.directory.count(DOMAIN)).toBe(EXISTING - LEAVERS + HIRES);
  }, 60_000);

  it('a malformed call is answered with an error and the worker lives on', async () => {
    const child = worker.child();
    if (!child) throw new Error('no worker process');
    const restartsBefore = worker.restarts();
    const answer = new Promise<FromWorker>((resolve) => {
      const listen = (m: FromWorker) => {
        if ('id' in m && m.id === 999_999) {
          child.off('message', listen);
          resolve(m);
        }
      };
      child.on('message', listen);
    });
    child.send({ v: PROTOCOL_VERSION, kind: 'call', id: 999_999, method: 'apply', args: [] });
    const m = await answer;
    expect(m.kind).toBe('error');
    expect(m.kind === 'error' && m.error.name).toBe('TypeError');
    expect(worker.child()).toBe(child);
    expect(worker.restarts()).toBe(restartsBefore);
    expect(await worker.service.precheck(DOMAIN)).toMatchObject({ domain: DOMAIN });
  }, 60_000);

  it('a dry run whose worker is killed fails with a clear error, and the restarted worker answers the next one', async () => {
    const restartsBefore = worker.restarts();
    const progress: Progress[] = [];
    const pending = worker.service.preview(DOMAIN, { onProgress: (p) => progress.push(p) });
    await until('the dry run to start reading', () => progress.length > 0);
    const killed = worker.child();
    killed?.kill('SIGKILL');
    const err = await pending.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SyncWorkerStoppedError);
    expect((err as SyncWorkerStoppedError).kind).toBe('worker');
    expect((err as Error).message).toMatch(/sync worker stopped \(signal SIGKILL\) during preview/);
    expect(worker.child()?.pid).not.toBe(killed?.pid);
    expect(worker.restarts()).toBe(restartsBefore + 1);
    // What the admin who asked for the dry run is shown (never the raw message).
    const card = cardText(failureCard(createLogger('silent'), ENGLISH, { key: 'what.dryRun' }, err));
    expect(card).toContain('The dry run failed');
    expect(card).toContain('The sync engine stopped unexpectedly during this step; it has been started again.');
    expect(card).toContain('Run the step again.');
    const again = await worker.service.preview(DOMAIN);
    expect(isRefusal(again)).toBe(false);
  }, 60_000);

  it('preview all whose worker is killed keeps the finished domains, says which one stopped, and does the rest in the new worker', async () => {
    const listed = (await engine.stores.settings.list()).filter((s) => s.domain === DOMAIN);
    const settings = [listed[0]!, listed[0]!, listed[0]!, { ...listed[0]!, domain: 'ghost.example' }];
    const restartsBefore = worker.restarts();
    const started: string[] = [];
    const previewed: number[] = [];
    let killed: number | undefined;
    const entries = await worker.service.previewAll(settings, {
      requestedBy: 'test',
      onDomain: (i, domain) => {
        started.push(`${i}:${domain}`);
        // The second domain's dry run has just begun (the first one's entry is already in the bot): kill the worker.
        if (i === 1 && killed === undefined) {
          killed = worker.child()?.pid;
          worker.child()?.kill('SIGKILL');
        }
      },
      onPreviewed: (i) => previewed.push(i),
    });
    expect(worker.restarts()).toBe(restartsBefore + 1);
    expect(worker.child()?.pid).not.toBe(killed);
    expect(entries.map((e) => e.domain)).toEqual(settings.map((s) => s.domain));
    // Finished before the kill: kept.
    const [first, stopped, after, ghost] = entries as [DomainPreview, DomainPreview, DomainPreview, DomainPreview];
    if (!('result' in first) || isRefusal(first.result)) throw new Error(`no plan: ${JSON.stringify(first)}`);
    expect((await engine.service.getPlanSummary(first.result.id))?.hash).toBe(first.result.hash);
    // In progress when the worker died: says so, and what to do (not tried again: it may be what stopped the worker).
    if (!('error' in stopped)) throw new Error(`the stopped domain has a result: ${JSON.stringify(stopped)}`);
    expect(stopped.error.kind).toBe('worker');
    expect(stopped.error.message).toMatch(/sync worker stopped \(signal SIGKILL\) during the dry run of thread\.jp/);
    const sentence = failureSentence(createLogger('silent'), ENGLISH, { key: 'what.dryRun' }, fromPortableError(stopped.error));
    expect(sentence).toContain('The sync engine stopped unexpectedly during this step; it has been started again.');
    expect(sentence).toContain('Run the step again.');
    // Not started yet: done by the new worker, numbered as in the whole list.
    if (!('result' in after) || isRefusal(after.result)) throw new Error(`no plan: ${JSON.stringify(after)}`);
    expect(after.result.counts).toEqual(first.result.counts);
    expect('result' in ghost && isRefusal(ghost.result) && ghost.result.code).toBe('unknown-domain');
    expect(started).toEqual(settings.map((s, i) => `${i}:${s.domain}`));
    expect(previewed).toEqual([0, 2, 3]);
  }, 90_000);

  it('a worker killed mid-apply is restarted; the run resumes from its journal and the caller gets its end', async () => {
    const plan = await worker.service.preview(DOMAIN, { requestedBy: 'test' });
    if (isRefusal(plan)) throw new Error(plan.reason);
    const writesBefore = await tenant.writes();
    const started: string[] = [];
    const restartsBefore = worker.restarts();
    const applying = worker.service.apply(plan.id, plan.hash, {
      trigger: 'manual',
      approvedBy: 'Test Admin',
      onStarted: (runId) => started.push(runId),
    });
    await until('100 writes', async () => (await tenant.writes()) >= writesBefore + 100);
    expect(started).toHaveLength(1);
    const killedAt = Date.now();
    worker.child()?.kill('SIGKILL');
    const writesAtKill = await tenant.writes();
    expect(writesAtKill - writesBefore).toBeLessThan(CHANGES);

    const run = (await applying) as RunRecord;
    expect(isRefusal(run), JSON.stringify(run)).toBe(false);
    expect(worker.restarts()).toBe(restartsBefore + 1);
    // The same run, resumed (not a second run), after the dead worker's lease expired.
    expect(run.id).toBe(started[0]);
    expect(started.every((id) => id === run.id)).toBe(true);
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(LEASE_TTL_SECONDS * 1000 - 1000);
    expect(run.status).toBe('completed');
    expect(run.counts).toEqual({ added: HIRES, updated: UPDATED, deleted: LEAVERS, failed: 0 });
    expect((await engine.service.getRun(run.id))?.status).toBe('completed');

    // No duplicate, no lost change: the tenant is exactly the directory, each change written about once.
    await expectChurnApplied(tenant.emulator, DOMAIN, COUNTS);
    expect((await tenant.writes()) - writesBefore).toBeLessThan(CHANGES + 50);
    const next = await worker.service.preview(DOMAIN);
    if (isRefusal(next)) throw new Error(next.reason);
    expect(next.counts).toMatchObject({ add: 0, update: 0, delete: 0 });
  }, 120_000);

  it('an hourly run under the lease of the scheduler runs in the worker with the settings the scheduler read', async () => {
    const settings = await engine.service.getSettings(DOMAIN);
    if (!settings) throw new Error('the domain is not configured');
    // The slot runner holds the domain's sync lease in the bot process and hands the settings over.
    const answer = await engine.stores.leases.acquire(syncLeaseName(DOMAIN), 'slot-runner-test', 60_000);
    if (!answer.acquired) throw new Error(`lease held by ${answer.heldBy}`);
    try {
      const run = await worker.service.runScheduled(DOMAIN, { settings });
      expect(isRefusal(run) ? `${run.code}: ${run.reason}` : run.trigger).toBe('hourly');
      // Control: a call without the held settings takes the lease itself, and it is held.
      const refused = await worker.service.runScheduled(DOMAIN);
      expect(isRefusal(refused) ? refused.code : refused.status).toBe('lease-held');
    } finally {
      await answer.lease.release();
    }
  }, 60_000);
});
