// The demo's Microsoft 365 Agents Playground: its signed-in user, its process, and the banner that says what to click.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { writePlaygroundConfig } from './bot/index.js';
import type { Engine } from './compose.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';

/**
 * The demo's Playground user is the demo tenant's first Global Administrator (found through Graph, as the bot's
 * own authorization finds it), so approvals work out of the box. Returns the context file's path.
 */
export async function demoPlaygroundContext(engine: Engine, config: Config): Promise<string | null> {
  if (!engine.emulator) return null;
  const reader = engine.entra.reader;
  for (const id of await reader.listAdminRoleHolders()) {
    if (!(await reader.isGlobalAdmin(id))) continue;
    const admin = await reader.getUser(id);
    if (!admin) continue;
    const m = /^sqlite:\/\/(.+)$/.exec(config.storeUrl);
    const dir = join(m?.[1] ? dirname(resolve(m[1])) : resolve('.data'), 'playground');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, '.m365agentsplayground.yml');
    writePlaygroundConfig(path, {
      tenantId: engine.emulator.tenantId,
      currentUser: {
        aadObjectId: admin.id,
        name: admin.displayName ?? admin.userPrincipalName,
        userPrincipalName: admin.userPrincipalName,
      },
    });
    return path;
  }
  return null;
}

/** Starts the Agents Playground CLI against the bot, its output in the debug log. */
export function startPlayground(port: number, botUrl: string, contextFile: string | null, logger: Logger): ChildProcess {
  const bin = resolve('node_modules/.bin/agentsplayground');
  if (!existsSync(bin)) throw new Error('The Agents Playground is not installed: run npm install first.');
  const child = spawn(bin, ['-p', String(port), '--disable-telemetry'], {
    ...(contextFile ? { cwd: dirname(contextFile) } : {}),
    env: {
      ...process.env,
      TEAMSAPPTESTER_BROWSER: 'none',
      BOT_ENDPOINT: `${botUrl}/api/messages`,
      ...(contextFile ? { M365_AGENTS_PLAYGROUND_CONFIG_PATH: contextFile } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (b: Buffer) => logger.debug({ playground: b.toString().trim() }, 'playground'));
  child.stderr?.on('data', (b: Buffer) => logger.debug({ playground: b.toString().trim() }, 'playground'));
  child.on('exit', (code) => logger.info({ code }, 'Agents Playground stopped'));
  return child;
}

/** What the server prints on stdout once it listens; in the demo, what to type and what to click, step by step. */
export function startBanner(input: { demo: boolean; botUrl: string; playgroundUrl: string | null }): string {
  if (!input.demo || !input.playgroundUrl) return `\nentra-sync-bot is listening on ${input.botUrl}/api/messages\n`;
  return [
    '',
    'entra-sync-bot demo is running: a local Entra ID emulator (tenant "Contoso Japan"), a demo Access Control',
    'directory and the bot in local mode. Nothing leaves this machine.',
    '',
    `  1. Open the Microsoft 365 Agents Playground: ${input.playgroundUrl}`,
    '  2. Type   domains                 then click  Set up sync  on fabrikam.jp; check the form and click  Save',
    '  3. Click  Run pre-check           then  Start dry run; click  Download results (CSV)  to check every user',
    '  4. Click  Sync now                the card shows progress, then the result',
    '  5. Click  Enable hourly sync      then  Sync log  for the runs and their chart',
    '',
    '  Also type:  preview all (a dry run of every set-up domain) · connect · status · help (buttons for each step)',
    '  The bot answers in Japanese when Teams sends a Japanese locale (ja-JP), in English otherwise.',
    '',
    'Logs follow on stderr. Stop with Ctrl+C.',
    '',
  ].join('\n');
}
