// Scenario bot-latency: 20 simulated admins send commands and card actions to /api/messages (local mode, a recording
// Bot Connector as serviceUrl) while a 10,000-change apply, approved on a card, runs in the bot's process. The bot runs
// in its own process (bot-host.ts) as deployed: SQLite store, syncs in the bot's sync worker process (SYNC_WORKER,
// default process; `--inline` measures them on the bot's event loop). Admins and connector run here, as Teams would.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { productEnv } from './bench-engine.js';
import { startChild } from './child-channel.js';
import { changeMix } from './dataset.js';
import { startEmulatorProcess } from './emulator-process.js';
import { startFakeConnector } from './fake-connector.js';
import { type Figure, figure, percentile } from './report.js';
import { inheritedNodeFlags, runScenario } from './scenario-harness.js';

const S = 'bot-latency';
const ADMINS = 20;

const adminId = (i: number) => `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** An admin reads the answer before the next action: 1–3 s, spread deterministically across admins and rounds. */
const thinkMs = (admin: number, round: number) => 1000 + ((admin * 377 + round * 1013) % 2000);

await runScenario(S, async (ctx, partial) => {
  const timeScale = ctx.quick ? 40 : 20;
  const changes = ctx.quick ? 2000 : 10_000;
  const rounds = ctx.quick ? 2 : 8;
  // --quick is a smoke run: admins think a quarter as long.
  const think = (admin: number, round: number) => thinkMs(admin, round) / (ctx.quick ? 4 : 1);
  const latency = { read: 120 / timeScale, write: 250 / timeScale };
  const spec = changeMix(changes, { create: 0.6, update: 0.3, delete: 0.1 });
  const domain = spec.domain;
  const commands = [
    'domains',
    'status',
    `logs ${domain}`,
    'help',
    'domains',
    'status',
    `logs ${domain}`,
    `preview ${domain}`,
  ];
  const emulator = await startEmulatorProcess({ timeScale, latency, tenantSize: 'large', throttling: true });
  const connector = await startFakeConnector();
  const figures: Figure[] = partial;
  const tenantId = emulator.info.tenantId;
  await emulator.load(spec);
  const dir = mkdtempSync(join(tmpdir(), 'bench-bot-latency-'));
  const syncWorker = process.argv.includes('--inline') ? 'inline' : 'process';
  const env = productEnv(emulator.info, {
    storeUrl: `sqlite://${join(dir, 'state.sqlite')}`,
    env: {
      SYNC_WORKER: syncWorker,
      HOST: '127.0.0.1',
      PORT: '0',
      BOT_LOCAL_MODE: 'true',
      ALLOWED_TENANT_IDS: tenantId,
      ADMIN_AAD_OBJECT_IDS: Array.from({ length: ADMINS + 1 }, (_, i) => adminId(i)).join(','),
    },
  });
  const bot = await startChild('bot-host', JSON.stringify({ env, spec }), {
    name: 'bot',
    nodeFlags: inheritedNodeFlags(),
  });
  try {
    const endpoint = `${String(bot.ready.url)}/api/messages`;
    let seq = 0;
    const activity = (admin: number, body: Record<string, unknown>) => ({
      id: `bench-${++seq}`,
      timestamp: new Date().toISOString(),
      serviceUrl: connector.url,
      channelId: 'msteams',
      from: { id: `29:${adminId(admin)}`, aadObjectId: adminId(admin), name: `Bench Admin ${admin + 1}` },
      conversation: { id: `a:bench-${admin}`, conversationType: 'personal', tenantId },
      recipient: { id: '28:bench-bot', name: 'Entra Sync' },
      channelData: { tenant: { id: tenantId } },
      locale: 'en-US',
      ...body,
    });
    const post = async (body: Record<string, unknown>) => {
      const t0 = performance.now();
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, ms: performance.now() - t0, text };
    };
    const invoke = (admin: number, verb: string, data: Record<string, unknown>) =>
      post(
        activity(admin, {
          type: 'invoke',
          name: 'adaptiveCard/action',
          replyToId: `card-${admin}`,
          value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' },
        }),
      );

    // Warm-up outside the measurement: the approver's first message (JIT, token, first Graph calls).
    await post(activity(ADMINS, { type: 'message', text: 'help' }));
    // The approver (admin 21) previews and approves on the card: the apply runs in the bot process from here on.
    // (Diagnostic: `--no-apply` measures the same load on an idle bot.)
    const withApply = !process.argv.includes('--no-apply');
    const plan = await bot.ask({ cmd: 'preview' });
    const before = await emulator.stats();
    const approve = withApply
      ? await invoke(ADMINS, 'apply', { planId: plan.planId, planHash: plan.planHash })
      : { status: 200, ms: 0, text: '' };
    if (approve.status !== 200)
      throw new Error(`the apply invoke answered ${approve.status}: ${approve.text.slice(0, 300)}`);
    ctx.log(`apply approved on the card (invoke answered in ${approve.ms.toFixed(0)} ms); waiting for writes`);
    const waitStart = performance.now();
    // (A small apply may be done before this loop starts: then the first write is already counted.)
    while (withApply && (await emulator.stats()).writes === before.writes) {
      if (performance.now() - waitStart > 60_000) throw new Error('the approved apply wrote nothing within 60 s');
      await sleep(50);
    }

    const firstReply: number[] = [];
    const byCommand = new Map<string, number[]>();
    const invokeMs: number[] = [];
    const missed: string[] = [];
    const admin = async (i: number) => {
      await sleep((i * 97) % 1000);
      for (let r = 0; r < rounds; r++) {
        const text = commands[(i + r) % commands.length]!;
        const t0 = performance.now();
        const sent = post(activity(i, { type: 'message', text }));
        const reply = await connector.waitFor(
          `a:bench-${i}`,
          t0,
          (rec) => (rec.kind === 'reply' || rec.kind === 'send') && rec.type === 'message',
          15_000,
        );
        const answer = await sent;
        if (reply) {
          firstReply.push(reply.t - t0);
          const verb = text.split(' ')[0]!;
          byCommand.set(verb, [...(byCommand.get(verb) ?? []), reply.t - t0]);
        } else missed.push(`${text} (HTTP ${answer.status})`);
        await sleep(think(i, r));
        if (r % 2 === 1) {
          const verb = r % 4 === 1 ? 'logs' : 'cancel';
          const res = await invoke(i, verb, verb === 'logs' ? { domain } : { planId: `no-such-plan-${i}-${r}` });
          if (res.status === 200) invokeMs.push(res.ms);
          else missed.push(`invoke ${verb} (HTTP ${res.status})`);
          await sleep(think(i, r + 7) / 2);
        }
      }
    };
    const atLoadStart = await emulator.stats();
    const loadStart = performance.now();
    await Promise.all(Array.from({ length: ADMINS }, (_, i) => admin(i)));
    const loadMs = performance.now() - loadStart;
    const duringWrites = (await emulator.stats()).writes - atLoadStart.writes;
    const stillRunning = (await bot.ask({ cmd: 'lastRun' })).status === 'running';
    ctx.log(
      `${firstReply.length} commands, ${invokeMs.length} invokes in ${(loadMs / 1000).toFixed(1)} s; ` +
        `${duringWrites} writes meanwhile; apply still running at the end: ${stillRunning}; unanswered ${missed.length}`,
    );
    const perCommand = Object.fromEntries(
      [...byCommand].map(([verb, ms]) => [
        verb,
        { n: ms.length, p50: Math.round(percentile(ms, 50)), p95: Math.round(percentile(ms, 95)) },
      ]),
    );
    ctx.log(`first reply by command: ${JSON.stringify(perCommand)}`);
    if (missed.length > 0) ctx.log(`no reply: ${missed.slice(0, 5).join('; ')}`);
    // Let the apply finish so its outcome is known.
    const end = performance.now() + 300_000;
    let finalStatus: unknown = null;
    while (performance.now() < end) {
      finalStatus = (await bot.ask({ cmd: 'lastRun' })).status;
      if (finalStatus !== 'running') break;
      await sleep(250);
    }
    const botMemory = await bot.ask({ cmd: 'memory' });
    figures.push(
      figure(S, 'command-first-reply-p95-ms', percentile(firstReply, 95), 250, 'max', { unit: 'ms' }),
      figure(S, 'invoke-response-p95-ms', percentile(invokeMs, 95), 250, 'max', { unit: 'ms' }),
      figure(S, 'command-first-reply-p50-ms', percentile(firstReply, 50), null, 'info', { unit: 'ms' }),
      figure(S, 'invoke-response-p50-ms', percentile(invokeMs, 50), null, 'info', { unit: 'ms' }),
      figure(S, 'unanswered', missed.length, 0, 'max'),
      figure(S, 'writes-during-load', duringWrites, null, 'info'),
      figure(S, 'bot-peak-rss-mb', Number(botMemory.peakRssMb), null, 'info', { unit: 'MB' }),
      ...(botMemory.workerPeakRssMb == null
        ? []
        : [figure(S, 'sync-worker-peak-rss-mb', Number(botMemory.workerPeakRssMb), null, 'info', { unit: 'MB' })]),
    );
    return {
      settings: {
        admins: ADMINS,
        rounds,
        commands,
        changes,
        timeScale,
        latency,
        syncWorker,
        approveInvokeMs: Math.round(approve.ms),
        applyStillRunningAfterLoad: stillRunning,
        applyFinalStatus: finalStatus,
        perCommand,
        invokesMeasured: invokeMs.length,
        maxFirstReplyMs: Math.round(Math.max(...firstReply)),
        maxInvokeMs: Math.round(Math.max(...invokeMs)),
        missed,
      },
      figures,
    };
  } finally {
    await bot.close(10_000);
    await connector.close();
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
