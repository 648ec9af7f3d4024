// Pins the plan hash, fingerprints and CSV bytes of fixed generated datasets, so a faster diff/CSV/fingerprint must stay byte-identical.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { entraFingerprint, sourceFingerprint } from '../../src/sync/fingerprint.js';
import type { DeletedEntraUser, DomainSnapshot, EntraUser, SourceUser } from '../../src/sync/model.js';
import { planCsv, planCsvChunks } from '../../src/sync/plan-csv.js';
import { buildPlan } from '../../src/sync/plan.js';
// mulberry32, seeded: the dataset is the same on every machine and Node version.
import { prng } from '../../src/emulator/faults.js';
import { caseArb, DOMAIN, entraUser, graphDeletedUpn, settings, snapshot } from './fixtures.js';

const sha = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
const META = { id: 'pinned-plan', now: '2026-11-30T00:00:00.000Z', createdBy: 'pin' };

const GIVEN = ['taro', 'hanako', 'Kenji', 'yuki', 'ALICE', 'bob', 'zoë', 'ichiro'];
const FAMILY = ['yamada', 'suzuki', 'Tanaka', 'smith', 'garcia', '=cmd'];
const NAMES = ['山田 太郎', 'Alice Smith', '+Boss', 'Zoë', '鈴木 花子', '"quoted", name', 'line\nbreak'];

/**
 * About `n` people in one domain, each drawn into one situation: same on both sides, attribute drift, rename,
 * adopt by UPN, source only (some restorable from the recycle bin), Entra only (delete / disabled / guest /
 * AD-synced / admin / room-like name), duplicate Immutable ID or UPN, mail clashes. Input order is shuffled.
 */
function bigSnapshot(n: number, seed: number, federated: boolean): DomainSnapshot {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const source: SourceUser[] = [];
  const entra: EntraUser[] = [];
  const deleted: DeletedEntraUser[] = [];
  const adminIds = new Set<string>();
  const guid = (i: number, tag: string) =>
    `${tag}${String(i).padStart(7, '0')}-0000-4000-8000-${String(i).padStart(12, '0')}`;
  for (let i = 0; i < n; i++) {
    const local = `${pick(GIVEN)}.${pick(FAMILY)}.${i}`;
    const upn = `${local}@${r() < 0.05 ? DOMAIN.toUpperCase() : DOMAIN}`;
    const immutableId = `aW1t${String(i).padStart(7, '0')}==`;
    const display = r() < 0.2 ? pick(NAMES) : `${local} display`;
    const s: SourceUser = {
      userPrincipalName: upn,
      immutableId,
      displayName: display,
      ...(r() < 0.8 ? { givenName: pick(GIVEN) } : {}),
      ...(r() < 0.8 ? { surname: r() < 0.1 ? null : pick(FAMILY) } : {}),
      ...(r() < 0.5 ? { mail: `${local}.m@${DOMAIN}` } : {}),
      ...(r() < 0.5 ? { jobTitle: pick(['Engineer', '課長', '', '@sum(A1)']) } : {}),
      ...(r() < 0.5 ? { department: pick(['Sales', '開発部', null]) } : {}),
      ...(r() < 0.3 ? { employeeId: `E${i}` } : {}),
      ...(r() < 0.2 ? { mobilePhone: `+81 90 ${i}` } : {}),
      ...(r() < 0.3 ? { accountEnabled: r() < 0.9 } : {}),
    };
    const e = (over: Partial<EntraUser>): EntraUser =>
      entraUser({
        id: guid(i, 'e'),
        userPrincipalName: upn,
        displayName: s.displayName,
        givenName: s.givenName ?? null,
        surname: s.surname ?? null,
        mailNickname: local,
        onPremisesImmutableId: immutableId,
        mail: s.mail ?? null,
        jobTitle: s.jobTitle ?? null,
        department: s.department ?? null,
        employeeId: s.employeeId ?? null,
        mobilePhone: s.mobilePhone ?? null,
        accountEnabled: s.accountEnabled ?? true,
        usageLocation: r() < 0.9 ? 'JP' : null,
        proxyAddresses: s.mail ? [`SMTP:${s.mail}`] : [],
        ...over,
      });
    const x = r();
    if (x < 0.6) {
      source.push(s);
      entra.push(e({}));
    } else if (x < 0.7) {
      source.push(s);
      entra.push(e({ jobTitle: 'old title', displayName: r() < 0.5 ? null : 'Old Name' }));
    } else if (x < 0.73) {
      source.push(s);
      entra.push(e({ userPrincipalName: `old.${local}@${DOMAIN}` })); // renamed in the source
    } else if (x < 0.76) {
      source.push(s);
      entra.push(e({ onPremisesImmutableId: null, userPrincipalName: upn.toLowerCase() })); // adopt
    } else if (x < 0.82) {
      source.push(s);
      if (r() < 0.3) {
        const id = guid(i, 'd');
        deleted.push({
          id,
          userPrincipalName: graphDeletedUpn(id, r() < 0.5 ? upn : `gone.${local}@${DOMAIN}`),
          onPremisesImmutableId: immutableId,
          deletedDateTime: `2026-11-${String(1 + (i % 28)).padStart(2, '0')}T00:00:00Z`,
          ...(r() < 0.5 ? { usageLocation: null } : {}),
        });
      }
    } else if (x < 0.9) {
      const kind = r();
      const user = e({
        ...(kind < 0.1 ? { userType: 'Guest' } : {}),
        ...(kind >= 0.1 && kind < 0.2 ? { onPremisesSyncEnabled: true } : {}),
        ...(kind >= 0.2 && kind < 0.3 ? { accountEnabled: false } : {}),
        ...(kind >= 0.3 && kind < 0.4
          ? { displayName: 'Meeting Room 3F', userPrincipalName: `room.${i}@${DOMAIN}` }
          : {}),
      });
      if (kind >= 0.4 && kind < 0.45) adminIds.add(user.id);
      entra.push(user);
    } else if (x < 0.93) {
      source.push(s, { ...s, userPrincipalName: `twin.${local}@${DOMAIN}` }); // duplicate Immutable ID
      entra.push(e({}));
    } else if (x < 0.95) {
      source.push(s, { ...s, immutableId: `${immutableId}x` }); // duplicate UPN
    } else if (x < 0.97) {
      source.push({ ...s, mail: `shared.${i % 7}@${DOMAIN}` }); // mail wanted twice or held
      entra.push(e({ proxyAddresses: [`smtp:shared.${(i + 3) % 7}@${DOMAIN}`] }));
    } else if (x < 0.985) {
      source.push({ ...s, userPrincipalName: r() < 0.5 ? `bad upn ${i}` : `${local}@other.example` }); // invalid
      entra.push(e({}));
    } else {
      // Rename chain: this user takes the UPN of the previous Entra user, which may itself be renamed away.
      const prev = entra[entra.length - 1];
      source.push(prev ? { ...s, userPrincipalName: prev.userPrincipalName } : s);
      entra.push(e({}));
    }
  }
  // Input order must not matter to the plan; shuffle both sides deterministically anyway.
  for (const list of [source, entra] as unknown[][]) {
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [list[i], list[j]] = [list[j], list[i]];
    }
  }
  return snapshot({
    authenticationType: federated ? 'Federated' : 'Managed',
    ...(federated ? { stagingDomain: 'pin.onmicrosoft.com' } : {}),
    source,
    entra,
    deleted,
    adminIds,
    previousSourceCount: n,
  });
}

/** The plan's hash, counts and CSV hash (the CSV read both as one string and as its streamed chunks). */
function pinOf(snap: DomainSnapshot, s: Parameters<typeof buildPlan>[1]) {
  const plan = buildPlan(snap, s, META);
  const csv = planCsv(plan);
  expect([...planCsvChunks(plan)].join('')).toBe(csv);
  return { hash: plan.hash, counts: plan.counts, csvSha256: sha(csv), csvBytes: Buffer.byteLength(csv) };
}

describe('pinned plans (byte-identical output for a fixed dataset)', () => {
  it('a 20,000-person managed domain: plan hash, fingerprints and CSV are pinned', () => {
    const snap = bigSnapshot(20_000, 12, false);
    expect(sourceFingerprint(snap.source)).toMatchInlineSnapshot(
      `"1c033e972d23e741feb84925c8e6067188445d79ede975e63bfb6eb5372dfc7c"`,
    );
    expect(entraFingerprint(snap.entra, snap.deleted, snap.adminIds)).toMatchInlineSnapshot(
      `"8437a63cfff20cbb29f0e2a79cca772ebec78153d42065e66ad90286d96a8c28"`,
    );
    expect(
      pinOf(snap, settings({ usageLocation: 'JP', protectedAccounts: [`taro.yamada.7@${DOMAIN}`] })),
    ).toMatchInlineSnapshot(`
      {
        "counts": {
          "add": 867,
          "delete": 1170,
          "noChange": 7755,
          "restore": 284,
          "skip": 9101,
          "update": 3203,
        },
        "csvBytes": 3334593,
        "csvSha256": "0842f6aa2643bd771f0becfa4562d4c179eee6505f69180e289bc49982775e94",
        "hash": "4f80fa130a266ac635a80d4495feb26420de98a2ce3e0f19d5d79c2978ec491a",
      }
    `);
  });

  it('a 20,000-person federated domain that disables instead of deleting: plan hash and CSV are pinned', () => {
    const snap = bigSnapshot(20_000, 34, true);
    expect(pinOf(snap, settings({ onDelete: 'disable', maxDeletionPercent: 50 }))).toMatchInlineSnapshot(`
      {
        "counts": {
          "add": 889,
          "delete": 971,
          "noChange": 8721,
          "restore": 268,
          "skip": 9208,
          "update": 2333,
        },
        "csvBytes": 3417177,
        "csvSha256": "af6afaf903339aad7d15dd24a68746e3c6596d0932def1f1309033f5c5668eb7",
        "hash": "5c9baf37e4a65541cac2977be87788d53ce0d40229f7ed3cf48581023cfeadc5",
      }
    `);
  });

  it('2,000 small generated cases (fixed seed, colliding pools): one digest of all their plans and CSVs is pinned', () => {
    const cases = fc.sample(caseArb, { seed: 20261130, numRuns: 2000 });
    const h = createHash('sha256');
    for (const c of cases) {
      const plan = buildPlan(c.snapshot, c.settings, META);
      h.update(`${plan.hash}\n${sha(planCsv(plan))}\n`);
    }
    expect(h.digest('hex')).toMatchInlineSnapshot(`"3e2a56f8d4e6c62d5df9441cc776b3e76284b658db2b575876d88e1d7c78b822"`);
  });
});
