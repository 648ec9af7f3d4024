// Writes the Microsoft 365 Agents Playground's context file (.m365agentsplayground.yml): tenant, signed-in user, team.
import { writeFileSync } from 'node:fs';

export interface PlaygroundUser {
  readonly aadObjectId: string;
  readonly name: string;
  readonly userPrincipalName: string;
  readonly givenName?: string;
  readonly surname?: string;
}

export interface PlaygroundConfigOptions {
  /** The tenant the Playground's activities name (must be served: ALLOWED_TENANT_IDS or local mode). */
  readonly tenantId: string;
  /** The person chatting in the Playground: make it an admin of the demo tenant to try approvals. */
  readonly currentUser: PlaygroundUser;
  readonly botName?: string;
  readonly teamName?: string;
}

/** The Playground's sample colleagues (the file needs exactly five other users). */
const COLLEAGUES = [
  ['Megan Bowen', 'meganb'],
  ['Adele Vance', 'adelev'],
  ['Isaiah Langer', 'isaiahl'],
  ['Patti Fernandez', 'pattif'],
  ['Lynne Robbins', 'lynner'],
] as const;

const q = (s: string) => JSON.stringify(s);

/** The file's YAML (every string JSON-quoted, which is valid YAML). */
export function playgroundConfigYaml(options: PlaygroundConfigOptions): string {
  const u = options.currentUser;
  const [given, ...rest] = u.name.split(' ');
  const lines = [
    '# Microsoft 365 Agents Playground context, written by entra-sync-bot for the demo.',
    'version: "0.1.1"',
    `tenantId: ${q(options.tenantId)}`,
    'bot:',
    '  id: "00000000-0000-0000-0000-00000000000011"',
    `  name: ${q(options.botName ?? 'Entra Sync')}`,
    'currentUser:',
    '  id: "user-id-0"',
    `  name: ${q(u.name)}`,
    `  userPrincipleName: ${q(u.userPrincipalName)}`,
    `  aadObjectId: ${q(u.aadObjectId)}`,
    `  givenName: ${q(u.givenName ?? given ?? u.name)}`,
    `  surname: ${q(u.surname ?? rest.join(' '))}`,
    `  email: ${q(u.userPrincipalName)}`,
    'users:',
    ...COLLEAGUES.flatMap(([name, alias], i) => [
      `  - id: "user-id-${i + 1}"`,
      `    name: ${q(name)}`,
      `    userPrincipleName: "${alias}@example.com"`,
      `    aadObjectId: "00000000-0000-0000-0000-00000000002${i + 1}"`,
      `    givenName: ${q(name.split(' ')[0]!)}`,
      `    surname: ${q(name.split(' ')[1]!)}`,
      `    email: "${alias}@example.com"`,
    ]),
    'personalChat:',
    '  id: "personal-chat-id"',
    'groupChat:',
    '  id: "group-chat-id"',
    '  name: "Group Chat"',
    'team:',
    '  id: "team-id"',
    `  name: ${q(options.teamName ?? 'IT Operations')}`,
    '  aadGroupId: "00000000-0000-0000-0000-000000000031"',
    '  channels:',
    '    - id: "channel-announcements-id"',
    '      name: "Announcements"',
    '',
  ];
  return lines.join('\n');
}

/** Writes the file; start the Playground with M365_AGENTS_PLAYGROUND_CONFIG_PATH set to this path. */
export function writePlaygroundConfig(path: string, options: PlaygroundConfigOptions): void {
  writeFileSync(path, playgroundConfigYaml(options), 'utf8');
}
