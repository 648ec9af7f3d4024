// Scenario diff: the CPU the pure core spends diffing 1,000,000 users per side (5 % different), in this process, no I/O.
import { diff } from '../../src/sync/diff.js';
import type { DomainSnapshot, EntraUser, SourceUser } from '../../src/sync/model.js';
import { buildPlan } from '../../src/sync/plan.js';
import { entraUsers, mostlySame, sourceUsers } from './dataset.js';
import { figure } from './report.js';
import { peakRssMb, runScenario } from './scenario-harness.js';

const S = 'diff';

/**
 * A copy of `value` as Graph's and the store's JSON parser would hand it over: flat strings. The generator's
 * template strings are V8 cons strings, which every first Map lookup would flatten, a cost no real read has.
 */
const asParsed = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** CPU time (user + system) of `f` in seconds, and its result. */
function cpu<T>(f: () => T): { s: number; result: T } {
  const start = process.cpuUsage();
  const result = f();
  const used = process.cpuUsage(start);
  return { s: (used.user + used.system) / 1e6, result };
}

await runScenario(S, async (ctx) => {
  // Issue 12: 1,000,000 users per side in ≤ 5 s of CPU; --quick: 100,000 in ≤ 0.5 s (the diff is linear).
  const users = ctx.quick ? 100_000 : 1_000_000;
  const target = ctx.quick ? 0.5 : 5;
  const spec = mostlySame(users, 5);
  ctx.log(`generating ${users} users per side`);
  const source: SourceUser[] = sourceUsers(spec).map(asParsed);
  const entra: EntraUser[] = entraUsers(spec).map((u, i) =>
    asParsed({
      id: `${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`,
      mail: null,
      mobilePhone: null,
      proxyAddresses: [],
      ...u,
    }),
  );
  const snapshot: DomainSnapshot = {
    domain: spec.domain,
    authenticationType: 'Managed',
    source,
    entra,
    deleted: [],
    adminIds: new Set(),
    previousSourceCount: source.length,
  };
  const settings = {
    protectedAccounts: [],
    onDelete: 'delete' as const,
    usageLocation: 'JP',
    maxDeletionPercent: 10,
    maxDeletionCount: null,
    allowSourceShrink: false,
  };
  ctx.log('diffing');
  const diffed = cpu(() => diff(snapshot, settings));
  const expectedChanges = spec.matched + spec.added + spec.deleted;
  if (diffed.result.length !== expectedChanges)
    throw new Error(`diff returned ${diffed.result.length} changes, expected ${expectedChanges}`);
  ctx.log(`diff ${diffed.s.toFixed(2)} s CPU; building the whole plan`);
  const planned = cpu(() => buildPlan(snapshot, settings, { id: 'bench', now: '2026-01-01T00:00:00.000Z' }));
  const counts = planned.result.counts;
  if (counts.add !== spec.added || counts.update !== spec.updated || counts.delete !== spec.deleted)
    throw new Error(`plan counts ${JSON.stringify(counts)} do not match the dataset`);
  ctx.log(`plan ${planned.s.toFixed(2)} s CPU`);
  return {
    settings: { users, differentPct: 5, spec },
    figures: [
      figure(S, 'diff-cpu-s', diffed.s, target, 'max', { unit: 's' }),
      figure(S, 'plan-cpu-s', planned.s, null, 'info', {
        unit: 's',
        note: 'buildPlan: diff, sort, fingerprints, hash',
      }),
      figure(S, 'peak-rss-mb', peakRssMb(), null, 'info', { unit: 'MB' }),
    ],
  };
});
