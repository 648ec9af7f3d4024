// CLI output that carries directory data never passes terminal control characters through (precheck, domains, import).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, type EmulatorProcess, runCli, startEmulatorProcess } from '../helpers/cli.js';

const DOMAIN = 'contoso.co.jp';
/** An OSC title change, a bell, a cursor move, a carriage return and a bidi override. */
const NASTY = 'Evil\u001b]0;pwned\u0007\u001b[2J\rRoom\u202eexe.txt\u009b31m';
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('terminal-safe CLI output', () => {
  let emulator: EmulatorProcess;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'entra-sync-tty-'));
    const seedFile = join(dir, 'seed.json');
    writeFileSync(
      seedFile,
      JSON.stringify({
        domains: [
          { id: 'contosotty.onmicrosoft.com', authenticationType: 'Managed', isVerified: true, isInitial: true },
          { id: DOMAIN, authenticationType: 'Managed', isVerified: true, isDefault: true },
        ],
        users: [
          {
            userPrincipalName: `room@${DOMAIN}`,
            displayName: NASTY,
            mailNickname: 'room',
            onPremisesImmutableId: 'Uk9PTQ',
            accountEnabled: true,
          },
        ],
      }),
    );
    emulator = await startEmulatorProcess(['--seed', seedFile, '--replication-delay', '0']);
    env = cliEnv(emulator.info, `sqlite://${join(dir, 'state.sqlite')}`);
    expect((await runCli(['domains', 'add', DOMAIN, '--max-deletions', '100'], env)).code).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await emulator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('precheck prints an Entra display name without its control characters', async () => {
    const r = await runCli(['precheck', '--domain', DOMAIN], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Evil ]0;pwned');
    expect(r.stdout).not.toMatch(CONTROL);
    expect(r.stdout.split('\n').filter((l) => l.includes('room@')).length).toBe(1);
  });

  it('an import report does not echo control characters from the file', async () => {
    const file = join(dir, 'bad.csv');
    writeFileSync(file, `userPrincipalName,displayName\r\n"x\u001b[2J@${DOMAIN}",A\r\n`);
    const r = await runCli(['directory', 'import', file], env);
    expect(r.code).toBe(2);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(CONTROL);
  });
});
