// End to end: the whole app (startApp, demo tenant) driven through the Microsoft 365 Agents Playground in headless
// Chromium: the console's flow by buttons only, in Japanese and in English, then typed commands, a channel, hourly sync.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writePlaygroundConfig } from '../../src/bot/playground-config.js';
import { loadConfig } from '../../src/config.js';
import { DEMO_TENANT_ID } from '../../src/emulator/seed-demo.js';
import { type RunningApp, startApp } from '../../src/index.js';
import { createLogger } from '../../src/logger.js';

const DOMAIN = 'contoso.co.jp';
const SECOND = 'fabrikam.jp';
const ARTIFACTS = resolve('test/artifacts');
/** The README's pictures: written by the English console flow below, so they always show the current cards. */
const README_IMAGES = resolve('docs/images');
const chromiumPath = (() => {
  try {
    return execFileSync('which', ['chromium']).toString().trim() || null;
  } catch {
    return null;
  }
})();

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

let app: RunningApp;
let playground: ChildProcess;
let browser: Browser;
let page: Page;
let adminName = '';
let proxy: Server;
/**
 * The locale the Playground's activities arrive with. The Playground always sends en-US; Teams sends the user's
 * language, so a small proxy between the Playground and the bot sets it the way Teams would (activity `locale` and
 * the clientInfo entity) when a test asks for Japanese.
 */
let clientLocale: string | null = null;

/** Forwards the Playground's activities to the bot, with `clientLocale` applied; answers with the bot's answer. */
async function startLocaleProxy(botUrl: string): Promise<{ server: Server; url: string }> {
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      let body = Buffer.concat(chunks).toString('utf8');
      if (clientLocale && body) {
        const activity = JSON.parse(body) as { locale?: string; entities?: { type?: string; locale?: string }[] };
        activity.locale = clientLocale;
        for (const e of activity.entities ?? []) if (e.type === 'clientInfo') e.locale = clientLocale;
        body = JSON.stringify(activity);
      }
      try {
        const answer = await fetch(`${botUrl}${req.url ?? '/'}`, {
          method: req.method ?? 'POST',
          headers: {
            'content-type': String(req.headers['content-type'] ?? 'application/json'),
            ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
          },
          ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body }),
        });
        const text = await answer.text();
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
        res.end(text);
      } catch (err) {
        res.writeHead(502).end(String(err));
      }
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

/** The newest card in the conversation (the Adaptive Card renderer's root element). */
const lastCard = () => page.locator('.ac-adaptiveCard').last();

/** Clicks the newest button with this name, optionally inside the newest card block that shows `within`. */
async function press(name: string, within?: string): Promise<void> {
  const scope = within
    ? lastCard()
        .locator('.ac-container')
        .filter({ hasText: within })
        .filter({ has: page.getByRole('button', { name, exact: true }) })
        .last()
    : page;
  const button = scope.getByRole('button', { name, exact: true }).last();
  await button.waitFor({ timeout: 20_000 });
  await button.click();
}

/** Waits for text in the conversation (the newest occurrence). */
async function see(text: string | RegExp, timeout = 25_000): Promise<void> {
  try {
    await page.getByText(text).last().waitFor({ timeout });
  } catch (err) {
    await page.screenshot({ path: join(ARTIFACTS, 'failed-see.png'), fullPage: true });
    throw err;
  }
}

/**
 * Starts recording Playground warnings from now on. (An empty chat shows the Playground's own list of limitations,
 * "… are not supported yet"; that panel is not a warning about this bot, and it is gone once the chat has messages.)
 */
async function startWatchingWarnings(): Promise<void> {
  await page.evaluate('window.__playgroundWarnings.length = 0');
}

/** No Playground warning (such as "File Consent Card is not supported yet") anywhere in the conversation. */
async function expectNoPlaygroundWarning(): Promise<void> {
  const body = (await page.locator('body').textContent()) ?? '';
  expect(body).not.toMatch(/not supported/i);
  expect(body).not.toMatch(/unsupported/i);
  const recorded = await page.evaluate('window.__playgroundWarnings ?? null');
  expect(recorded).toEqual([]);
}

/** Saves the newest card as a README picture (and as a test artifact). */
async function savePicture(file: string, text: string | RegExp): Promise<void> {
  const card = page.locator('.ac-adaptiveCard').filter({ hasText: text }).last();
  await card.scrollIntoViewIfNeeded();
  await card.screenshot({ path: join(ARTIFACTS, file) });
  mkdirSync(README_IMAGES, { recursive: true });
  copyFileSync(join(ARTIFACTS, file), join(README_IMAGES, file));
}

interface FlowWords {
  readonly help: string;
  readonly domains: string;
  readonly domainsTitle: string;
  readonly setUp: string;
  readonly formTitle: string;
  readonly save: string;
  readonly saved: string;
  readonly precheck: string;
  readonly precheckTitle: string;
  readonly startDryRun: string;
  readonly dryRunTitle: string;
  readonly download: string;
  readonly syncNow: string;
  readonly completed: string;
  readonly approvedBy: (name: string) => string;
  readonly enableHourly: string;
  readonly hourlyOn: (domain: string) => string;
  readonly syncLog: string;
  readonly logTitle: string;
}

const ENGLISH_WORDS: FlowWords = {
  help: 'help',
  domains: 'Domains',
  domainsTitle: 'Domains of this tenant',
  setUp: 'Set up sync',
  formTitle: 'Set up sync: ',
  save: 'Save',
  saved: ' is set up for sync',
  precheck: 'Run pre-check',
  precheckTitle: 'Pre-check: ',
  startDryRun: 'Start dry run',
  dryRunTitle: 'Dry run: ',
  download: 'Download results (CSV)',
  syncNow: 'Sync now',
  completed: 'Sync completed: ',
  approvedBy: (name) => `Approved by ${name} at`,
  enableHourly: 'Enable hourly sync',
  hourlyOn: (domain) => `Hourly sync of ${domain} is on`,
  syncLog: 'Sync log',
  logTitle: 'Sync log: ',
};

const JAPANESE_WORDS: FlowWords = {
  help: 'help',
  domains: 'ドメイン一覧',
  domainsTitle: 'このテナントのドメイン',
  setUp: '同期を設定',
  formTitle: '同期を設定: ',
  save: '保存',
  saved: ' の同期を設定しました',
  precheck: '事前チェックを実行',
  precheckTitle: '事前チェック: ',
  startDryRun: 'ドライランを開始',
  dryRunTitle: 'ドライラン: ',
  download: '結果をダウンロード (CSV)',
  syncNow: '今すぐ同期',
  completed: '同期が完了しました: ',
  approvedBy: (name) => `${name} が `,
  enableHourly: '定期同期 (毎時) を有効化',
  hourlyOn: (domain) => `${domain} の定期同期 (毎時) をオンにしました`,
  syncLog: '同期ログ',
  logTitle: '同期ログ: ',
};

/**
 * The console's flow, by buttons only after one typed `help`: set up a domain (form, Save), pre-check, dry run,
 * download the CSV, Sync now, enable hourly sync, open the sync log. Returns the downloaded CSV.
 */
async function consoleFlow(domain: string, w: FlowWords, pictures: string | null): Promise<string> {
  await startWatchingWarnings();
  await say(w.help);
  await press(w.domains);
  await see(w.domainsTitle);
  await press(w.setUp, domain);
  await see(`${w.formTitle}${domain}`);
  await press(w.save);
  await see(`${domain}${w.saved}`);
  await press(w.precheck);
  await see(`${w.precheckTitle}${domain}`);
  await press(w.startDryRun);
  await see(`${w.dryRunTitle}${domain}`);
  await page.getByRole('button', { name: w.syncNow, exact: true }).last().waitFor({ timeout: 20_000 });
  if (pictures !== null) await savePicture(`${pictures}dry-run-card.png`, `${w.dryRunTitle}${domain}`);
  const download = page.waitForEvent('download', { timeout: 15_000 });
  await page.getByText(w.download, { exact: true }).last().click();
  const file = await download;
  const csv = readFileSync((await file.path())!, 'utf8');
  for (const p of page.context().pages()) if (p !== page) await p.close();
  await page.bringToFront();
  await press(w.syncNow);
  await see(`${w.completed}${domain}`);
  await see(w.approvedBy(adminName));
  if (pictures !== null) await savePicture(`${pictures}result-card.png`, `${w.completed}${domain}`);
  await press(w.enableHourly);
  await see(w.hourlyOn(domain));
  await press(w.syncLog);
  await see(`${w.logTitle}${domain}`);
  if (pictures !== null) await savePicture(`${pictures}log-card.png`, `${w.logTitle}${domain}`);
  await expectNoPlaygroundWarning();
  return csv;
}

/** In a channel: @mentions the bot with a command and posts it; waits for the bot's answer. */
async function mention(command: string, answer: string | RegExp): Promise<void> {
  // The first editor is "Start a new post" (the others reply in a thread).
  const box = page.locator('[data-lexical-editor=true]').first();
  await box.click();
  await page.keyboard.type('@Entra');
  await page.getByRole('menuitem', { name: 'Entra Sync' }).click();
  await page.keyboard.type(` ${command}`);
  await page.getByRole('button', { name: 'Post' }).click();
  try {
    await page.getByText(answer).last().waitFor({ timeout: 15_000 });
  } catch (err) {
    await page.screenshot({ path: join(ARTIFACTS, 'failed-mention.png'), fullPage: true });
    throw err;
  }
}

/** Types into the compose box (Lexical editor) and sends. */
async function say(text: string): Promise<void> {
  const box = page.locator('[data-lexical-editor=true]').last();
  await box.click();
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

describe.skipIf(!chromiumPath)('Agents Playground end to end', () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const dir = mkdtempSync(join(tmpdir(), 'bot-e2e-'));
    const [botPort, playgroundPort] = [await freePort(), await freePort()];
    const config = loadConfig({
      DEMO: 'true',
      BOT_LOCAL_MODE: 'true',
      HOST: '127.0.0.1',
      PORT: String(botPort),
      STORE_URL: `sqlite://${join(dir, 'state.sqlite')}`,
      ALLOWED_TENANT_IDS: DEMO_TENANT_ID,
      // A compressed "hour" so the hourly run (and its channel notification) happens during the test.
      SYNC_INTERVAL_SECONDS: '8',
      LOG_LEVEL: 'silent',
    });
    app = await startApp(config, { logger: createLogger('silent'), playgroundPort: null });
    // The Playground's signed-in user is the demo tenant's Global Administrator (checked live through Graph).
    const admin = await app.engine.entra.reader.getUser(`taro.yamada@${DOMAIN}`);
    if (!admin) throw new Error('demo tenant has no taro.yamada');
    adminName = admin.displayName ?? '';
    const configPath = join(dir, '.m365agentsplayground.yml');
    writePlaygroundConfig(configPath, {
      tenantId: DEMO_TENANT_ID,
      currentUser: { aadObjectId: admin.id, name: adminName, userPrincipalName: admin.userPrincipalName },
    });
    // Both demo domains start not set up, so each language's flow sets one up by buttons.
    await app.engine.service.removeDomain(DOMAIN, 'e2e');
    const started = await startLocaleProxy(app.bot.url);
    proxy = started.server;
    const bin = resolve('node_modules/.bin/agentsplayground');
    playground = spawn(bin, ['-p', String(playgroundPort), '--disable-telemetry'], {
      cwd: dir,
      env: {
        ...process.env,
        TEAMSAPPTESTER_BROWSER: 'none',
        BOT_ENDPOINT: `${started.url}/api/messages`,
        M365_AGENTS_PLAYGROUND_CONFIG_PATH: configPath,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error('Playground did not start')), 30_000);
      playground.stdout?.on('data', (b: Buffer) => {
        if (b.toString().includes('Listening on')) {
          clearTimeout(timer);
          ok();
        }
      });
      playground.once('exit', (code) => fail(new Error(`Playground exited with ${code}`)));
    });
    browser = await chromium.launch({
      executablePath: chromiumPath!,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1200 }, acceptDownloads: true });
    // Records any Playground warning ("… is not supported yet …") the moment it appears, even a toast that goes away.
    // (A script string: this project compiles without the DOM library.)
    await page.addInitScript({
      content: `
        window.__playgroundWarnings = [];
        const check = (node) => {
          const text = node.textContent || '';
          const at = text.search(/not supported/i);
          if (at >= 0) window.__playgroundWarnings.push(text.slice(Math.max(0, at - 150), at + 150));
        };
        new MutationObserver((records) => {
          for (const r of records) {
            r.addedNodes.forEach(check);
            if (r.type === 'characterData') check(r.target);
          }
        }).observe(document, { childList: true, subtree: true, characterData: true });
      `,
    });
    await page.goto(`http://127.0.0.1:${playgroundPort}`);
    await page.locator('[data-lexical-editor=true]').first().waitFor({ timeout: 20_000 });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    if (playground?.pid && playground.exitCode === null) playground.kill('SIGTERM');
    await app?.close();
    await new Promise<void>((ok) => (proxy ? proxy.close(() => ok()) : ok()));
  });

  it('日本語: the console flow by buttons only (set up, pre-check, dry run, CSV, Sync now, hourly, log)', async () => {
    clientLocale = 'ja-JP';
    try {
      const csv = await consoleFlow(DOMAIN, JAPANESE_WORDS, 'ja-');
      // The plan CSV's column names stay as in the contract, whatever the language.
      expect(csv.startsWith('\ufeffAction,UserPrincipalName,ImmutableId,DisplayName,GivenName,Surname,')).toBe(true);
      await expect(page.getByText('Sync completed').count()).resolves.toBe(0);
      const [run] = await app.engine.service.listRuns({ domain: DOMAIN, limit: 1 });
      expect(run?.status).toBe('completed');
      expect(run?.approvedBy).toBe(adminName);
      expect((await app.engine.service.getSettings(DOMAIN))?.periodic).toBe(true);
    } finally {
      clientLocale = null;
      // The rest of this file types commands for this domain; its compressed "hourly" runs would race them.
      await app.engine.service.setDomain(DOMAIN, { periodic: false }, 'e2e');
    }
  }, 150_000);

  it('personal chat: preview → "Dry run running…" → the dry-run card', async () => {
    // A new hire whose display name is markdown: the card must show it as text, never as a link.
    await app.engine.directory.mergeDomain(DOMAIN, [
      {
        userPrincipalName: `evil.name@${DOMAIN}`,
        immutableId: 'evil-name-0001',
        displayName: '[click](https://evil.example) **bold**',
      },
    ]);
    await say(`preview ${DOMAIN}`);
    const card = page.getByText(`Dry run: ${DOMAIN}`).last();
    await card.waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Sync now' }).last().waitFor();
    await expect(
      page
        .getByText(/Deletions: \d+ of \d+ users in scope/)
        .last()
        .isVisible(),
    ).resolves.toBe(true);
    // Rendered by the Playground's markdown renderer as literal text (the invisible word joiner breaks autolinks).
    const shown = (await page.getByText(/evil\.name@/).allInnerTexts()).map((t) => t.replace(/\u2060/g, ''));
    expect(shown).toContain(`evil.name@${DOMAIN} — [click](https://evil.example) **bold**`);
    await expect(page.locator('a[href*="evil.example"]').count()).resolves.toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, 'dry-run-card.png'), fullPage: true });
  }, 30_000);

  it('Download results (CSV) opens a signed link that returns the plan CSV', async () => {
    const download = page.waitForEvent('download', { timeout: 10_000 });
    await page.getByText('Download results (CSV)', { exact: true }).last().click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^dry-run-contoso\.co\.jp-[0-9a-f]{12}\.csv$/);
    const saved = readFileSync((await file.path())!, 'utf8');
    expect(
      saved.startsWith(
        '\ufeffAction,UserPrincipalName,ImmutableId,DisplayName,GivenName,Surname,ChangedAttributes,Note\r\n',
      ),
    ).toBe(true);
    expect(saved).toMatch(/\r\nAdd,/);
    expect(saved).toMatch(/\r\nNoChange,/);
    // The link itself: attachment, not cached.
    const res = await fetch(file.url());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="dry-run-contoso\.co\.jp-/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    for (const p of page.context().pages()) if (p !== page) await p.close();
  }, 20_000);

  it('Sync now → progress → the result card, approved by the Global Administrator', async () => {
    await page.bringToFront();
    await page.getByRole('button', { name: 'Sync now' }).last().click();
    await page.getByText(`Sync completed: ${DOMAIN}`).last().waitFor({ timeout: 25_000 });
    await expect(page.getByText(`Approved by ${adminName} at`).last().isVisible()).resolves.toBe(true);
    await expect(page.getByRole('button', { name: 'Sync now' }).count()).resolves.toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, 'result-card.png'), fullPage: true });
    const [run] = await app.engine.service.listRuns({ domain: DOMAIN, limit: 1 });
    expect(run?.status).toBe('completed');
    expect(run?.approvedBy).toBe(adminName);
    expect((run?.counts.added ?? 0) + (run?.counts.updated ?? 0) + (run?.counts.deleted ?? 0)).toBeGreaterThan(0);
  }, 30_000);

  it('English: the console flow by buttons only on the second domain; the README pictures come from it', async () => {
    const csv = await consoleFlow(SECOND, ENGLISH_WORDS, '');
    expect(csv).toMatch(/^\ufeffAction,UserPrincipalName,/);
    expect(csv).toMatch(new RegExp(`\r\nAdd,[^,]+@${SECOND.replace('.', '\\.')},`));
    const [run] = await app.engine.service.listRuns({ domain: SECOND, limit: 1 });
    expect(run?.status).toBe('completed');
    expect(run?.trigger).toBe('manual');
  }, 150_000);

  it('preview all: one summary of both domains, from the help card, each row opening its own dry run', async () => {
    await app.engine.service.setDomain(SECOND, { periodic: false }, 'e2e');
    await startWatchingWarnings();
    await say('help');
    await press('Dry run of all domains');
    await see('Dry run of every domain');
    await see('2 domains', 40_000);
    const summary = page.locator('.ac-adaptiveCard').filter({ hasText: 'Dry run of every domain' }).last();
    const text = (await summary.textContent()) ?? '';
    expect(text).toContain(DOMAIN);
    expect(text).toContain(SECOND);
    await expect(summary.getByRole('button', { name: 'Open dry run' }).count()).resolves.toBe(2);
    await summary.getByRole('button', { name: 'Open dry run' }).last().click();
    await see(`Dry run: ${SECOND}`);
    await expectNoPlaygroundWarning();
  }, 90_000);

  it('team General channel: an @mention command works', async () => {
    await page.getByText('General').first().click();
    await mention('domains', 'Domains of this tenant');
    await expect(page.getByText(DOMAIN).first().isVisible()).resolves.toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'channel-mention.png'), fullPage: true });
  }, 30_000);

  it('hourly sync: notify here + schedule on → the hourly run is reported in the channel', async () => {
    await mention(`notify here ${DOMAIN}`, 'Notifications will be posted here');
    await mention(`notify ${DOMAIN} always`, `${DOMAIN}: notifications always`);
    await mention(`schedule ${DOMAIN} on`, `Hourly sync of ${DOMAIN} is on`);
    await page
      .getByText(new RegExp(`of ${DOMAIN.replace(/\./g, '\\.')}: completed`))
      .last()
      .waitFor({ timeout: 25_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'hourly-notification.png'), fullPage: true });
    const runs = await app.engine.service.listRuns({ domain: DOMAIN, limit: 5 });
    expect(runs.some((r) => r.trigger === 'hourly')).toBe(true);
  }, 45_000);
});

if (!chromiumPath) {
  describe('Agents Playground end to end', () => {
    it.skip('needs Debian chromium (`which chromium` found nothing); .ci/run installs it', () => undefined);
  });
}
