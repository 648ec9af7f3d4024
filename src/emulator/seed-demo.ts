// The deterministic demo tenant "Contoso Japan": domains, ~200 users (Japanese and English names), admins, guest, room, mailbox.
import { createHash } from 'node:crypto';
import type { EmulatorSeed, SeedUser } from './seed.js';

export const DEMO_TENANT_ID = '6d1f3c2a-8b4e-4f7a-9c21-3e5d7a9b0c11';
export const DEMO_SYNCED_DOMAIN = 'contoso.co.jp';
const INITIAL = 'contosojp.onmicrosoft.com';
const CREATED = '2024-04-01T00:00:00Z';

export interface DemoPerson {
  upn: string;
  immutableId: string;
  givenName: string;
  surname: string;
  displayName: string;
  department: string;
  jobTitle: string;
  employeeId: string;
}

const JP_SURNAMES: [string, string][] = [
  ['山田', 'yamada'],
  ['佐藤', 'sato'],
  ['鈴木', 'suzuki'],
  ['高橋', 'takahashi'],
  ['田中', 'tanaka'],
  ['伊藤', 'ito'],
  ['渡辺', 'watanabe'],
  ['中村', 'nakamura'],
  ['小林', 'kobayashi'],
  ['加藤', 'kato'],
  ['吉田', 'yoshida'],
  ['山本', 'yamamoto'],
  ['松本', 'matsumoto'],
  ['井上', 'inoue'],
  ['木村', 'kimura'],
  ['林', 'hayashi'],
  ['清水', 'shimizu'],
  ['山口', 'yamaguchi'],
  ['森', 'mori'],
  ['池田', 'ikeda'],
];
const JP_GIVEN: [string, string][] = [
  ['太郎', 'taro'],
  ['花子', 'hanako'],
  ['一郎', 'ichiro'],
  ['健太', 'kenta'],
  ['美咲', 'misaki'],
  ['翔', 'sho'],
  ['陽菜', 'hina'],
  ['大輔', 'daisuke'],
  ['由美', 'yumi'],
  ['直樹', 'naoki'],
  ['愛', 'ai'],
  ['拓也', 'takuya'],
  ['結衣', 'yui'],
  ['誠', 'makoto'],
  ['さくら', 'sakura'],
];
const EN_GIVEN = ['James', 'Emily', 'Michael', 'Sarah', 'David', 'Olivia', 'Daniel', 'Sophie', 'Robert', 'Emma'];
const EN_SURNAMES = ['Smith', 'Johnson', 'Brown', 'Taylor', 'Wilson', 'Clark', 'Lewis', 'Walker'];
const DEPARTMENTS = ['営業部', '開発部', '人事部', '経理部', '総務部', 'マーケティング部', 'Engineering', 'Sales'];
const TITLES = ['担当', '主任', '課長', '部長', 'Engineer', 'Manager'];

const rank = (key: string) => createHash('sha256').update(key).digest('hex');

/** Immutable ID: base64 of the stable employee key (no '$' or '_', as Entra requires). */
function immutableIdFor(employeeId: string): string {
  return Buffer.from(`contoso-jp:${employeeId}`, 'utf8').toString('base64');
}

function buildPeople(domain: string, count: number, prefix: string, startNo: number): DemoPerson[] {
  const jp = JP_SURNAMES.flatMap(([sk, sr]) => JP_GIVEN.map(([gk, gr]) => ({ sk, sr, gk, gr })))
    .filter((p) => !(p.sr === 'yamada' && p.gr === 'taro'))
    .sort((a, b) => (rank(`${domain}/${a.sr}.${a.gr}`) < rank(`${domain}/${b.sr}.${b.gr}`) ? -1 : 1));
  const en = EN_SURNAMES.flatMap((s) => EN_GIVEN.map((g) => ({ s, g }))).sort((a, b) =>
    rank(`${domain}/${a.g}.${a.s}`) < rank(`${domain}/${b.g}.${b.s}`) ? -1 : 1,
  );
  const enCount = Math.round(count * 0.15);
  const people: DemoPerson[] = [];
  const add = (given: string, surname: string, upnLocal: string, displayName: string) => {
    const n = people.length;
    const employeeId = `${prefix}${String(startNo + n).padStart(5, '0')}`;
    people.push({
      upn: `${upnLocal}@${domain}`,
      immutableId: immutableIdFor(employeeId),
      givenName: given,
      surname,
      displayName,
      department: DEPARTMENTS[Number.parseInt(rank(employeeId).slice(0, 4), 16) % DEPARTMENTS.length]!,
      jobTitle: TITLES[Number.parseInt(rank(employeeId).slice(4, 8), 16) % TITLES.length]!,
      employeeId,
    });
  };
  if (domain === DEMO_SYNCED_DOMAIN) add('太郎', '山田', 'taro.yamada', '山田 太郎');
  for (const p of jp) {
    if (people.length >= count - enCount) break;
    add(p.gk, p.sk, `${p.gr}.${p.sr}`, `${p.sk} ${p.gk}`);
  }
  for (const p of en) {
    if (people.length >= count) break;
    add(p.g, p.s, `${p.g.toLowerCase()}.${p.s.toLowerCase()}`, `${p.g} ${p.s}`);
  }
  return people;
}

/** The person users of contoso.co.jp (the synced domain), as Access Control would list them. */
export function demoPeople(): DemoPerson[] {
  return buildPeople(DEMO_SYNCED_DOMAIN, 170, 'E', 10001);
}

/** The demo tenant's second domain (not set up for sync at first): the demo sets it up by buttons. */
export function demoSecondPeople(): DemoPerson[] {
  return buildPeople('fabrikam.jp', 18, 'F', 20001);
}

function personUser(p: DemoPerson): SeedUser {
  return {
    userPrincipalName: p.upn,
    displayName: p.displayName,
    givenName: p.givenName,
    surname: p.surname,
    mail: p.upn,
    mailNickname: p.upn.split('@')[0]!,
    department: p.department,
    jobTitle: p.jobTitle,
    employeeId: p.employeeId,
    usageLocation: 'JP',
    preferredLanguage: /[A-Za-z]/.test(p.displayName) ? 'en-US' : 'ja-JP',
    accountEnabled: true,
    userType: 'Member',
    onPremisesImmutableId: p.immutableId,
    createdDateTime: CREATED,
  };
}

/** The demo tenant (deterministic: same ids and Immutable IDs on every run). */
export function demoTenantSeed(): EmulatorSeed {
  const contoso = demoPeople().map(personUser);
  const fabrikam = demoSecondPeople().map(personUser);
  const special: SeedUser[] = [
    {
      userPrincipalName: `admin@${INITIAL}`,
      displayName: 'テナント管理者',
      mailNickname: 'admin',
      accountEnabled: true,
      userType: 'Member',
      usageLocation: 'JP',
      createdDateTime: CREATED,
    },
    {
      userPrincipalName: `svc-backup@${INITIAL}`,
      displayName: 'Backup service account',
      mailNickname: 'svc-backup',
      accountEnabled: true,
      userType: 'Member',
      createdDateTime: CREATED,
    },
    {
      userPrincipalName: `john.doe_gmail.com#EXT#@${INITIAL}`,
      displayName: 'John Doe (Guest)',
      mail: 'john.doe@gmail.com',
      mailNickname: 'john.doe_gmail.com#EXT#',
      accountEnabled: true,
      userType: 'Guest',
      createdDateTime: CREATED,
    },
    {
      userPrincipalName: `kenichi.sato.ad@${DEMO_SYNCED_DOMAIN}`,
      displayName: '佐藤 健一',
      givenName: '健一',
      surname: '佐藤',
      mail: `kenichi.sato.ad@${DEMO_SYNCED_DOMAIN}`,
      mailNickname: 'kenichi.sato.ad',
      department: '情報システム部',
      accountEnabled: true,
      userType: 'Member',
      onPremisesImmutableId: Buffer.from('ad-objectguid:4f1c9a7e-2b3d-4c5e-8f60-718293a4b5c6').toString('base64'),
      onPremisesSyncEnabled: true,
      createdDateTime: CREATED,
    },
    {
      userPrincipalName: `room-3f-large@${DEMO_SYNCED_DOMAIN}`,
      displayName: '会議室 3F 大',
      mail: `room-3f-large@${DEMO_SYNCED_DOMAIN}`,
      mailNickname: 'room-3f-large',
      accountEnabled: false,
      userType: 'Member',
      createdDateTime: CREATED,
    },
    {
      userPrincipalName: `info@${DEMO_SYNCED_DOMAIN}`,
      displayName: 'お問い合わせ窓口',
      mail: `info@${DEMO_SYNCED_DOMAIN}`,
      mailNickname: 'info',
      accountEnabled: false,
      userType: 'Member',
      createdDateTime: CREATED,
    },
  ];
  return {
    tenantId: DEMO_TENANT_ID,
    tenantSize: 'small',
    displayName: 'Contoso Japan',
    domains: [
      { id: INITIAL, authenticationType: 'Managed', isVerified: true, isInitial: true, isDefault: false },
      { id: DEMO_SYNCED_DOMAIN, authenticationType: 'Federated', isVerified: true, isDefault: true },
      { id: 'fabrikam.jp', authenticationType: 'Federated', isVerified: true },
    ],
    users: [...contoso, ...special, ...fabrikam],
    directoryRoles: [
      { roleName: 'Global Administrator', principalIds: [`taro.yamada@${DEMO_SYNCED_DOMAIN}`, `admin@${INITIAL}`] },
      { roleName: 'User Administrator', principalIds: [`svc-backup@${INITIAL}`] },
    ],
  };
}
