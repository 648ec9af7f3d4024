// Child process for the cross-process tests: contends for one lease and claims plans, then prints what it got as JSON.
import { openStore } from '../../src/store/index.js';

const [url, name, roundsText, plansText] = process.argv.slice(2);
const rounds = Number(roundsText);
const plans = Number(plansText);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const stores = await openStore(url!);
  const marker = stores.kv<string | null>('lease-test');
  let held = 0;
  let overlaps = 0;
  let refusedBy: string[] = [];
  for (let i = 0; i < rounds; i++) {
    const answer = await stores.leases.acquire('contoso.co.jp', name!, 10_000);
    if (!answer.acquired) {
      refusedBy.push(answer.heldBy);
      await sleep(Math.random() * 3);
      continue;
    }
    held++;
    // Inside the lease nobody else may be: the marker must be empty, and stay ours while we hold it.
    if ((await marker.get('owner')) != null) overlaps++;
    await marker.set('owner', name!);
    await sleep(2);
    if ((await marker.get('owner')) !== name) overlaps++;
    await marker.set('owner', null);
    await answer.lease.release();
  }
  refusedBy = [...new Set(refusedBy)];
  const claimed: string[] = [];
  for (let p = 0; p < plans; p++) {
    const answer = await stores.plans.claim(`plan-${p}`, `run-${name}`);
    if (answer.claimed) claimed.push(`plan-${p}`);
  }
  await stores.close();
  process.stdout.write(`${JSON.stringify({ held, overlaps, refusedBy, claimed })}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
