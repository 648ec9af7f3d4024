// The demo Access Control directory: the emulator's demo people with realistic, deterministic differences from Entra.
import { createHash } from 'node:crypto';
import type { SourceUser } from '../sync/model.js';
import { deriveImmutableId } from '../sync/immutable-id.js';

/** One person of the demo tenant, as the emulator's `demoPeople()` lists them. */
export interface DemoPerson {
  readonly upn: string;
  readonly immutableId: string;
  readonly givenName: string | null;
  readonly surname: string | null;
  readonly displayName: string;
  readonly department: string | null;
  readonly jobTitle: string | null;
  readonly employeeId: string | null;
}

export interface DemoDirectoryOptions {
  readonly newHires?: number;
  readonly renames?: number;
  readonly moves?: number;
  readonly leavers?: number;
  /** UPNs never changed or removed (default: the first person, the demo tenant's administrator). */
  readonly keep?: readonly string[];
}

const NEW_HIRES = [
  { givenName: '陽翔', surname: '佐藤', romaji: 'haruto.sato', jobTitle: '担当' },
  { givenName: '結衣', surname: '鈴木', romaji: 'yui.suzuki', jobTitle: '担当' },
  { givenName: '蓮', surname: '高橋', romaji: 'ren.takahashi', jobTitle: 'Engineer' },
  { givenName: '凛', surname: '渡辺', romaji: 'rin.watanabe', jobTitle: '担当' },
  { givenName: '湊', surname: '伊藤', romaji: 'minato.ito', jobTitle: 'Engineer' },
  { givenName: '紬', surname: '山本', romaji: 'tsumugi.yamamoto', jobTitle: '担当' },
  { givenName: '大和', surname: '中村', romaji: 'yamato.nakamura', jobTitle: '担当' },
  { givenName: '芽依', surname: '小林', romaji: 'mei.kobayashi', jobTitle: 'Engineer' },
];
const MARRIED_NAMES = ['加藤', '吉田', '山田', '松本', '井上', '木村'];
const PROMOTIONS: Record<string, string> = {
  担当: '主任',
  主任: '課長',
  課長: '部長',
  部長: '本部長',
  Engineer: 'Senior Engineer',
  Manager: 'Senior Manager',
  アソシエイト: 'シニアアソシエイト',
  エンジニア: 'シニアエンジニア',
  アナリスト: 'シニアアナリスト',
};

const rank = (upn: string) => createHash('sha256').update(`demo-directory/${upn.toLowerCase()}`).digest('hex');

function toSource(p: DemoPerson): SourceUser {
  return {
    userPrincipalName: p.upn,
    immutableId: p.immutableId,
    displayName: p.displayName,
    givenName: p.givenName,
    surname: p.surname,
    department: p.department,
    jobTitle: p.jobTitle,
    employeeId: p.employeeId,
  };
}

/** Replaces the surname inside a display name ("山田 花子" → "加藤 花子"), or rebuilds it. */
function renamedDisplay(p: SourceUser, surname: string): string {
  if (p.surname && p.displayName.includes(p.surname)) return p.displayName.replace(p.surname, surname);
  return `${surname} ${p.givenName ?? ''}`.trim();
}

function nextEmployeeIds(people: readonly DemoPerson[], count: number): (string | null)[] {
  const numeric = people
    .map((p) => /^(\D*)(\d+)$/.exec(p.employeeId ?? ''))
    .filter((m): m is RegExpExecArray => m !== null);
  if (numeric.length === 0) return Array.from({ length: count }, () => null);
  const prefix = numeric[0]![1]!;
  const width = numeric[0]![2]!.length;
  let max = Math.max(...numeric.map((m) => Number(m[2])));
  return Array.from({ length: count }, () => `${prefix}${String(++max).padStart(width, '0')}`);
}

/**
 * The demo source: every person, then (deterministically, by a hash of the UPN) ~3 leavers removed, ~4 renamed
 * (surname after marriage, or a display-name change), ~5 moved department or promoted, and ~6 new hires added.
 * New hires get Immutable IDs derived from their employee ids, numbered after the highest existing one.
 */
export function demoDirectory(people: readonly DemoPerson[], options: DemoDirectoryOptions = {}): SourceUser[] {
  if (people.length === 0) return [];
  const domain = people[0]!.upn.slice(people[0]!.upn.indexOf('@') + 1).toLowerCase();
  const leavers = options.leavers ?? 3;
  const renames = options.renames ?? 4;
  const moves = options.moves ?? 5;
  const hires = Math.min(options.newHires ?? 6, NEW_HIRES.length);

  const keep = new Set((options.keep ?? [people[0]!.upn]).map((u) => u.toLowerCase()));
  const ordered = people
    .filter((p) => !keep.has(p.upn.toLowerCase()))
    .sort((a, b) => (rank(a.upn) < rank(b.upn) ? -1 : 1));
  const leaving = new Set(ordered.slice(0, leavers).map((p) => p.upn));
  const renaming = ordered.slice(leavers, leavers + renames).map((p) => p.upn);
  const moving = ordered.slice(leavers + renames, leavers + renames + moves).map((p) => p.upn);
  const departments = [...new Set(people.map((p) => p.department).filter((d): d is string => Boolean(d)))].sort();

  const users = people.filter((p) => !leaving.has(p.upn)).map(toSource);
  const index = new Map(users.map((u, i) => [u.userPrincipalName, i]));
  renaming.forEach((upn, k) => {
    const i = index.get(upn)!;
    const u = users[i]!;
    if (k % 2 === 0) {
      // Married: new family name, display name follows.
      const surname = MARRIED_NAMES.find((s) => s !== u.surname) ?? MARRIED_NAMES[0]!;
      users[i] = { ...u, surname, displayName: renamedDisplay(u, surname) };
    } else {
      // Prefers another form of the display name: given name first, in the Western order.
      const swapped = `${u.givenName ?? ''} ${u.surname ?? ''}`.trim();
      users[i] = {
        ...u,
        displayName: swapped !== u.displayName ? swapped : `${u.displayName} (${u.department ?? ''})`,
      };
    }
  });
  moving.forEach((upn, k) => {
    const i = index.get(upn)!;
    const u = users[i]!;
    if (k % 2 === 0 && departments.length > 1) {
      const next = departments[(departments.indexOf(u.department ?? '') + 1) % departments.length]!;
      users[i] = { ...u, department: next };
    } else {
      const title = u.jobTitle ?? '';
      users[i] = { ...u, jobTitle: PROMOTIONS[title] ?? (title ? `Senior ${title}` : 'Manager') };
    }
  });

  const taken = new Set(people.map((p) => p.upn.toLowerCase()));
  const employeeIds = nextEmployeeIds(people, hires);
  NEW_HIRES.slice(0, hires).forEach((h, k) => {
    let local = h.romaji;
    for (let n = 2; taken.has(`${local}@${domain}`); n++) local = `${h.romaji}${n}`;
    const upn = `${local}@${domain}`;
    taken.add(upn);
    const employeeId = employeeIds[k] ?? null;
    users.push({
      userPrincipalName: upn,
      immutableId: deriveImmutableId(employeeId ? `employeeId:${employeeId}` : `upn:${upn}`),
      displayName: `${h.surname} ${h.givenName}`,
      givenName: h.givenName,
      surname: h.surname,
      department: departments[k % Math.max(1, departments.length)] ?? null,
      jobTitle: h.jobTitle,
      employeeId,
    });
  });
  return users;
}
