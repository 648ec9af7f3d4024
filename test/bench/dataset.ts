// Deterministic bench tenants: the same spec gives the same source users (Access Control) and Entra users every time.
import type { SourceUser } from '../../src/sync/model.js';

/**
 * Users by index: [0, matched) exist on both sides, the first `updated` of them with a different job title in
 * Entra; the next `added` exist only in the source (creates); the next `deleted` only in Entra (deletes).
 */
export interface DatasetSpec {
  readonly domain: string;
  readonly matched: number;
  readonly updated: number;
  readonly added: number;
  readonly deleted: number;
}

/** The Entra user shape of the emulator's seed (a Graph user object). */
export interface SeedUserLike {
  userPrincipalName: string;
  displayName: string;
  givenName: string;
  surname: string;
  mailNickname: string;
  jobTitle: string;
  department: string;
  employeeId: string;
  accountEnabled: boolean;
  userType: 'Member';
  onPremisesImmutableId: string;
  onPremisesSyncEnabled: boolean;
  usageLocation: string;
}

export const BENCH_DOMAIN = 'bench.contoso.co.jp';
export const BENCH_INITIAL_DOMAIN = 'benchtenant.onmicrosoft.com';

/**
 * Given and family names as [romanised (for the UPN), display form]. UPNs are `given.family.N`, as most tenants build
 * them, so their first letters spread over the alphabet like real names do (the reader's partitioned listing relies
 * on that spread; see RESULTS.md).
 */
const GIVEN: readonly (readonly [string, string])[] = [
  ['taro', '太郎'],
  ['hanako', '花子'],
  ['kenji', 'Kenji'],
  ['yuki', '由紀'],
  ['sakura', 'Sakura'],
  ['haruto', '陽翔'],
  ['mei', 'Mei'],
  ['sota', '蒼太'],
  ['alice', 'Alice'],
  ['bob', 'Bob'],
  ['carol', 'Carol'],
  ['david', 'David'],
  ['emma', 'Emma'],
  ['frank', 'Frank'],
  ['grace', 'Grace'],
  ['ichiro', '一郎'],
  ['julia', 'Julia'],
  ['nao', '奈央'],
  ['olivia', 'Olivia'],
  ['peter', 'Peter'],
  ['ryo', '涼'],
  ['lucas', 'Lucas'],
  ['wendy', 'Wendy'],
  ['victor', 'Victor'],
];
const FAMILY: readonly (readonly [string, string])[] = [
  ['yamada', '山田'],
  ['suzuki', '鈴木'],
  ['tanaka', '田中'],
  ['sato', '佐藤'],
  ['ito', '伊藤'],
  ['watanabe', '渡辺'],
  ['nakamura', '中村'],
  ['kobayashi', '小林'],
  ['smith', 'Smith'],
  ['jones', 'Jones'],
  ['brown', 'Brown'],
  ['miller', 'Miller'],
  ['garcia', 'Garcia'],
  ['hall', 'Hall'],
];
const DEPARTMENTS = ['Sales', 'Engineering', 'Finance', 'Legal', '営業部', '開発部', '経理部', '人事部'];
const TITLES = ['Engineer', 'Manager', 'Analyst', 'Director', '主任', '課長', '部長', '担当'];

const pad = (i: number) => String(i).padStart(7, '0');

/** A spec for `total` users on both sides of which `differentPct` % differ (split 40% updates, 30% adds, 30% deletes). */
export function mostlySame(total: number, differentPct: number, domain = BENCH_DOMAIN): DatasetSpec {
  const different = Math.round((total * differentPct) / 100);
  const added = Math.round(different * 0.3);
  const deleted = Math.round(different * 0.3);
  const updated = different - added - deleted;
  return { domain, matched: total - added, updated, added, deleted };
}

/** A plan of `changes` writes with the given shares of creates, updates and deletes (Entra holds the rest unchanged). */
export function changeMix(
  changes: number,
  shares: { create: number; update: number; delete: number },
  unchanged = 0,
  domain = BENCH_DOMAIN,
): DatasetSpec {
  const added = Math.round(changes * shares.create);
  const deleted = Math.round(changes * shares.delete);
  const updated = changes - added - deleted;
  return { domain, matched: updated + unchanged, updated, added, deleted };
}

export const sourceCount = (s: DatasetSpec) => s.matched + s.added;
export const entraCount = (s: DatasetSpec) => s.matched + s.deleted;
export const changeCount = (s: DatasetSpec) => s.updated + s.added + s.deleted;

function person(i: number, domain: string) {
  const [givenRoman, given] = GIVEN[i % GIVEN.length]!;
  const [familyRoman, family] = FAMILY[Math.floor(i / GIVEN.length) % FAMILY.length]!;
  const alias = `${givenRoman}.${familyRoman}.${i}`;
  const japanese = /[^\x20-\x7e]/.test(given + family);
  return {
    upn: `${alias}@${domain}`,
    alias,
    immutableId: `aW1tLTAw${pad(i)}QQ==`,
    given,
    family,
    displayName: japanese ? `${family} ${given}` : `${given} ${family}`,
    department: DEPARTMENTS[i % DEPARTMENTS.length]!,
    title: TITLES[(i >> 3) % TITLES.length]!,
    employeeId: `E${pad(i)}`,
  };
}

export function sourceUser(i: number, domain: string): SourceUser {
  const p = person(i, domain);
  return {
    userPrincipalName: p.upn,
    immutableId: p.immutableId,
    displayName: p.displayName,
    givenName: p.given,
    surname: p.family,
    jobTitle: p.title,
    department: p.department,
    employeeId: p.employeeId,
    accountEnabled: true,
  };
}

export function entraUser(i: number, domain: string, stale: boolean): SeedUserLike {
  const p = person(i, domain);
  return {
    userPrincipalName: p.upn,
    displayName: p.displayName,
    givenName: p.given,
    surname: p.family,
    mailNickname: p.alias,
    jobTitle: stale ? `${p.title} (old)` : p.title,
    department: p.department,
    employeeId: p.employeeId,
    accountEnabled: true,
    userType: 'Member',
    onPremisesImmutableId: p.immutableId,
    onPremisesSyncEnabled: false,
    // Licensed users have one; without it every run would first set the organization's default on each user.
    usageLocation: 'JP',
  };
}

/** The Access Control side of the spec. */
export function sourceUsers(spec: DatasetSpec): SourceUser[] {
  const out: SourceUser[] = new Array(sourceCount(spec));
  for (let i = 0; i < spec.matched + spec.added; i++) out[i] = sourceUser(i, spec.domain);
  return out;
}

/** The Entra side of the spec (as seed users for the emulator). */
export function entraUsers(spec: DatasetSpec): SeedUserLike[] {
  const out: SeedUserLike[] = [];
  for (let i = 0; i < spec.matched; i++) out.push(entraUser(i, spec.domain, i < spec.updated));
  const first = spec.matched + spec.added;
  for (let i = first; i < first + spec.deleted; i++) out.push(entraUser(i, spec.domain, false));
  return out;
}

/** The emulator seed (body of POST /_emulator/reset) for the spec: the bench domain (federated) and an initial domain. */
export function emulatorSeed(spec: DatasetSpec, tenantSize: 'small' | 'medium' | 'large' = 'large') {
  return {
    tenantSize,
    domains: [
      { id: BENCH_INITIAL_DOMAIN, authenticationType: 'Managed' as const, isVerified: true, isInitial: true },
      { id: spec.domain, authenticationType: 'Federated' as const, isVerified: true, isDefault: true },
    ],
    users: entraUsers(spec),
  };
}
