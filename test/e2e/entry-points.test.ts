/**
 * The three ways into an app, end to end in a real browser (Chromium through playwright-core):
 * the CLI sends a message card, sets the custom menu and the homepage on the emulator; the
 * emulator's client page plays the member's WeCom; tapping a card, a menu item or the workbench
 * entry opens the demo app, which logs the member in (silently, with the WeCom user agent) and
 * lands on the deep page with its path and query intact. Screenshots go to test-output/screenshots/.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startEmulator } from '../../src/emulator/index.ts';
import type { Emulator } from '../../src/emulator/index.ts';
import { createDemoApp } from '../../src/demo/app.ts';
import type { WeComAuth } from '../../src/wecom-auth.ts';
import { WECOM_UA } from '../helpers/flow.ts';
import { assertChromium, launchChromium } from './chromium.ts';

const SHOTS = new URL('../../test-output/screenshots/', import.meta.url);
const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const DESKTOP_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36';

describe('the three entry points', () => {
  let emulator: Emulator;
  let server: Server;
  let wecom: WeComAuth;
  let baseUrl: string;
  let browser: Browser;

  /** The CLI as a team runs it: the demo's environment variables, pointed at this emulator and app. */
  function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(WECOM_|PUBLIC_URL$|EMULATOR_PORT$|PORT$)/.test(k)));
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [CLI, ...args],
        // A CLI that hangs is killed (and the test fails with what it printed) after 30 s.
        { env: { ...env, EMULATOR_PORT: new URL(emulator.url).port, PUBLIC_URL: baseUrl }, timeout: 30_000 },
        (err, stdout, stderr) => {
          const killed = err?.killed ? `\n(killed after 30 s: ${err.message})` : '';
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr: stderr + killed });
        },
      );
    });
  }

  before(async () => {
    assertChromium();
    mkdirSync(SHOTS, { recursive: true });
    emulator = await startEmulator({ port: 0 });
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const app of emulator.fixture.corps[0]?.apps ?? []) app.trustedDomains.push(new URL(baseUrl).host);
    const demo = createDemoApp({
      wecom: {
        corpId: 'wwdemocorp0000001',
        agentId: 1000002,
        secret: 'demo-secret',
        baseUrl,
        apiBaseUrl: emulator.url,
        oauthBaseUrl: emulator.url,
        loginBaseUrl: emulator.url,
        scope: 'snsapi_privateinfo',
        profile: { fields: ['name', 'department', 'position'] },
      },
      sessionSecret: 'entry-points-test-secret',
    });
    wecom = demo.wecom;
    server.on('request', demo.app);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    server?.closeAllConnections();
    if (server) await new Promise((resolve) => server.close(resolve));
    wecom?.close();
    await emulator?.close();
  });

  /** A fresh phone: no session with the app, no member chosen at the emulator, no X-WeCom-Emulator-User header. */
  async function phone(ua = WECOM_UA): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ userAgent: ua, locale: 'zh-CN', extraHTTPHeaders: { 'Accept-Language': 'zh-CN,zh;q=0.9' } });
    return { context, page: await context.newPage() };
  }

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: new URL(`${name}.png`, SHOTS).pathname, fullPage: true });
  }

  function logins(): number {
    return emulator.callCount('auth/getuserinfo') + emulator.callCount('user/getuserinfo');
  }

  /** Where the browser is, as the app sees it: path and query. */
  function here(page: Page): string {
    const url = new URL(page.url());
    assert.equal(url.origin, baseUrl, `on the app, not at ${page.url()}`);
    return url.pathname + url.search;
  }

  it('a message card sent with the CLI: 张三 taps it in WeCom and lands logged in on the deep page', async () => {
    const sent = await cli([
      'send-card',
      '--to',
      'zhangsan',
      '--title',
      '订单 42 待审批',
      '--description',
      '<div class="gray">今天</div><div class="highlight">请在下班前处理</div>',
      '--url',
      '/orders/42?tab=items&from=card',
      '--button',
      '去审批',
    ]);
    assert.equal(sent.code, 0, sent.stderr);
    const msgid = /msgid (\S+)\)/.exec(sent.stdout)?.[1];
    assert.ok(msgid, sent.stdout);

    const { context, page } = await phone();
    await page.goto(`${emulator.url}/client?user=zhangsan`);
    assert.equal(await page.locator('h1').innerText(), '企业微信 · 张三');
    const card = page.locator(`article[data-msgid="${msgid}"]`);
    assert.equal(await card.locator('h3').innerText(), '订单 42 待审批');
    assert.equal(await card.locator('.highlight').innerText(), '请在下班前处理');
    assert.equal(await card.locator('.btn').innerText(), '去审批');
    await shot(page, 'entry-01-client-card');

    const before = logins();
    await card.locator('a[data-entry="card"]').click();
    await page.waitForURL((url) => url.origin === baseUrl && url.pathname === '/orders/42');
    assert.equal(here(page), '/orders/42?tab=items&from=card');
    assert.equal(await page.locator('h1').innerText(), '订单 42');
    assert.equal(await page.locator('dd[data-field="userId"]').innerText(), 'zhangsan');
    assert.equal(await page.locator('dd[data-field="path"]').innerText(), '/orders/42?tab=items&from=card');
    assert.match(await page.locator('main').innerText(), /张三，你已登录/);
    assert.equal(logins(), before + 1, 'one login on the way');
    await shot(page, 'entry-02-card-landed');
    await context.close();
  });

  it('a custom-menu item set with the CLI: a top-level item and one in a group, each lands logged in', async () => {
    const set = await cli([
      'menu',
      'set',
      '--item',
      '我的订单=/orders/7?tab=history',
      '--item',
      '更多>待审批=/orders/8?tab=approval&src=menu',
    ]);
    assert.equal(set.code, 0, set.stderr);

    const { context, page } = await phone();
    await page.goto(`${emulator.url}/client?user=zhangsan`);
    await shot(page, 'entry-03-client-menu');
    await page.locator('nav.menu a[data-entry="menu"]', { hasText: '我的订单' }).click();
    await page.waitForURL((url) => url.origin === baseUrl && url.pathname === '/orders/7');
    assert.equal(here(page), '/orders/7?tab=history');
    assert.equal(await page.locator('dd[data-field="userId"]').innerText(), 'zhangsan');

    await page.goto(`${emulator.url}/client?user=zhangsan`);
    await page.locator('nav.menu summary', { hasText: '更多' }).click();
    await page.locator('nav.menu a[data-entry="menu"]', { hasText: '待审批' }).click();
    await page.waitForURL((url) => url.origin === baseUrl && url.pathname === '/orders/8');
    assert.equal(here(page), '/orders/8?tab=approval&src=menu');
    assert.equal(await page.locator('dd[data-field="tab"]').innerText(), 'approval');
    await shot(page, 'entry-04-menu-landed');
    await context.close();
  });

  it('the workbench homepage set with the CLI: the app opens on its homepage, logged in', async () => {
    const set = await cli(['homepage', 'set', '--url', '/?from=workbench']);
    assert.equal(set.code, 0, set.stderr);

    const { context, page } = await phone();
    await page.goto(`${emulator.url}/client?user=zhangsan`);
    await shot(page, 'entry-05-client-workbench');
    const before = logins();
    await page.locator('a[data-entry="homepage"]').click();
    await page.waitForURL((url) => url.origin === baseUrl && url.search === '?from=workbench');
    assert.equal(here(page), '/?from=workbench');
    assert.equal(await page.locator('h1').innerText(), '你好，张三');
    assert.equal(logins(), before + 1);
    await shot(page, 'entry-06-homepage-landed');
    await context.close();
  });

  it("李四's phone: the member of the client page is the one logged in (no test header involved)", async () => {
    const sent = await cli(['send-card', '--to', 'lisi', '--title', '周报', '--description', '本周汇总', '--url', '/orders/99?tab=items']);
    assert.equal(sent.code, 0, sent.stderr);
    const { context, page } = await phone();
    await page.goto(`${emulator.url}/client?user=lisi`);
    assert.equal(await page.locator('a[data-entry="card"]').count(), 1, '李四 sees only his own card');
    await page.locator('a[data-entry="card"]').click();
    await page.waitForURL((url) => url.origin === baseUrl && url.pathname === '/orders/99');
    assert.equal(await page.locator('dd[data-field="userId"]').innerText(), 'lisi');
    await context.close();
  });

  it('the demo loop by clicking: signed in, send myself a card, open WeCom, tap it', async () => {
    const { context, page } = await phone();
    await page.goto(`${baseUrl}/send-card`);
    assert.equal(await page.locator('main').getAttribute('data-page'), 'send-card');
    await page.locator('input[name="order"]').fill('1234');
    await page.locator('select[name="tab"]').selectOption('approval');
    await page.locator('button[type="submit"]').click();
    await page.waitForLoadState();
    assert.equal(await page.locator('main').getAttribute('data-page'), 'card-sent');
    const msgid = await page.locator('dd[data-field="msgid"]').innerText();
    assert.equal(await page.locator('dd[data-field="card-url"]').innerText(), `${baseUrl}/orders/1234?tab=approval`);
    await shot(page, 'entry-07-demo-card-sent');

    await page.locator('a.button', { hasText: '打开模拟器中的企业微信' }).click();
    await page.waitForURL((url) => url.pathname === '/client');
    await page.locator(`article[data-msgid="${msgid}"] a[data-entry="card"]`).click();
    await page.waitForURL((url) => url.origin === baseUrl && url.pathname === '/orders/1234');
    assert.equal(here(page), '/orders/1234?tab=approval');
    assert.equal(await page.locator('dd[data-field="userId"]').innerText(), 'zhangsan');
    await context.close();
  });

  it('in a desktop browser the same card opens the web (QR) login, then the deep page', async () => {
    const sent = await cli([
      'send-card',
      '--to',
      'zhangsan',
      '--title',
      '桌面端',
      '--description',
      '电脑上打开',
      '--url',
      '/orders/5?tab=history',
    ]);
    const msgid = /msgid (\S+)\)/.exec(sent.stdout)?.[1];
    assert.ok(msgid, sent.stdout + sent.stderr);
    const { context, page } = await phone(DESKTOP_UA);
    await page.goto(`${emulator.url}/client?user=zhangsan`);
    await page.locator(`article[data-msgid="${msgid}"] a[data-entry="card"]`).click();
    await page.waitForURL((url) => url.pathname === '/wwlogin/sso/login');
    await shot(page, 'entry-08-desktop-web-login');
    await page.getByText('张三').first().click();
    await page.waitForURL((url) => url.origin === baseUrl && url.pathname === '/orders/5');
    assert.equal(here(page), '/orders/5?tab=history');
    assert.equal(await page.locator('dd[data-field="userId"]').innerText(), 'zhangsan');
    await context.close();
  });
});
