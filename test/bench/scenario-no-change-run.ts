// Scenario no-change-run: the hourly run on 100,000 unchanged users must write nothing and read no more Graph pages
// than the listing needs (⌈N/999⌉ plus a small constant), counted by the emulator.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LISTING_PARTITIONS } from '../../src/entra/listing-partitions.js';
import { createBenchEngine, prepareDomain } from './bench-engine.js';
import { mostlySame, sourceUsers } from './dataset.js';
import { startEmulatorProcess } from './emulator-process.js';
import { figure, type Figure } from './report.js';
import { inheritedNodeFlags, runScenario } from './scenario-harness.js';
import { runWorker } from './worker-process.js';

const S = 'no-change-run';
/**
 * Reads besides the pages: one partial page per partition of the partitioned listing (LISTING_PARTITIONS: 36 since
 * issue 12 made the reader list each first character on its own, up from 8 — up to 28 more reads per run for about
 * a second less per 100,000-user dry run, test/bench/RESULTS.md); the first (count) page, domains, soft-deleted
 * users and role assignments (4); since issue 9: the active and eligible PIM schedule instances (2), the domain
 * listing of the settings re-check after a long read (1), and the federated domain's lookup of the tenant's
 * onmicrosoft.com domain (1). The organization's country is read once per run (cached).
 */
const READ_ALLOWANCE = LISTING_PARTITIONS.length + 8;

await runScenario(S, async (ctx, partial) => {
  const users = ctx.quick ? 5000 : 100_000;
  const spec = mostlySame(users, 0);
  const pages = Math.ceil(users / 999);
  const emulator = await startEmulatorProcess({ latency: 'realistic', tenantSize: 'large', throttling: true });
  const dir = mkdtempSync(join(tmpdir(), 'bench-nochange-'));
  const figures: Figure[] = partial;
  try {
    await emulator.load(spec);
    const storeUrl = `sqlite://${join(dir, 'state.sqlite')}`;
    const setup = await createBenchEngine(emulator.info, { storeUrl });
    await prepareDomain(setup, spec.domain, sourceUsers(spec), 10);
    await setup.close();
    const before = await emulator.stats();
    const reply = await runWorker(
      { action: 'scheduled', info: emulator.info, storeUrl, domain: spec.domain },
      inheritedNodeFlags(),
    );
    const after = await emulator.stats();
    if (!reply.ok) throw new Error(reply.error);
    const reads = after.reads - before.reads;
    const writes = after.writes - before.writes;
    const byMethod = Object.fromEntries(
      Object.entries(after.requestsByMethod).map(([m, n]) => [m, n - (before.requestsByMethod[m] ?? 0)]),
    );
    ctx.log(
      `run ${reply.status} in ${reply.wallMs} ms: ${reads} reads, ${writes} writes, requests ${JSON.stringify(byMethod)}`,
    );
    if (reply.counts.noChange !== users)
      throw new Error(`expected ${users} unchanged users, the plan says ${JSON.stringify(reply.counts)}`);
    figures.push(
      figure(S, 'writes', writes, 0, 'max'),
      figure(S, 'graph-reads', reads, pages + READ_ALLOWANCE, 'max', {
        note: `⌈${users}/999⌉ = ${pages} pages + ${READ_ALLOWANCE}`,
      }),
      figure(S, 'wall-s', reply.wallMs / 1000, null, 'info', { unit: 's' }),
      figure(S, 'peak-rss-mb', reply.peakRssMb, null, 'info', { unit: 'MB' }),
    );
    return {
      settings: {
        users,
        pagesNeeded: pages,
        allowance: READ_ALLOWANCE,
        latency: 'realistic',
        requests: byMethod,
        phasesMs: reply.phases,
      },
      figures,
    };
  } finally {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
