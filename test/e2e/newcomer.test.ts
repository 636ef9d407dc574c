/**
 * `npm start` as a newcomer meets it, in a real browser (Chromium through playwright-core): the
 * demo process with its emulator and default settings, nothing set up by hand. 张三's WeCom (the
 * emulator's /client) shows the app's homepage and its custom menu at once; the homepage logs
 * him in, its button sends him a card, the card and every menu item open their page. Screenshots
 * go to test-output/screenshots/.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { WECOM_UA } from '../helpers/flow.ts';
import { startDemo } from '../demo/spawn-demo.ts';
import type { DemoProcess } from '../demo/spawn-demo.ts';
import { assertChromium, launchChromium } from './chromium.ts';

const SHOTS = new URL('../../test-output/screenshots/', import.meta.url);

describe('a newcomer: npm start, then the emulator’s WeCom', () => {
  let demo: DemoProcess | undefined;
  let browser: Browser | undefined;

  before(async () => {
    assertChromium();
    mkdirSync(SHOTS, { recursive: true });
    demo = await startDemo();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: new URL(`${name}.png`, SHOTS).pathname, fullPage: true });
  }

  /**
   * Where the browser is on the app: path and query, and the fragment when asked. After a login
   * in the WeCom client the fragment is WeCom's `#wechat_redirect` until the library's change of
   * issue 23 lands, so only pages reached without a login compare it.
   */
  function here(page: Page, withHash = false): string {
    const url = new URL(page.url());
    assert.equal(url.origin, demo?.appUrl, `on the app, not at ${page.url()}`);
    return url.pathname + url.search + (withHash ? url.hash : '');
  }

  it('homepage, a card sent from the home page, and each menu item: all there at once, each lands logged in', async () => {
    assert.ok(demo && browser);
    const { appUrl, emulatorUrl } = demo;
    const context = await browser.newContext({ userAgent: WECOM_UA, locale: 'zh-CN', extraHTTPHeaders: { 'Accept-Language': 'zh-CN' } });
    const page = await context.newPage();
    const client = `${emulatorUrl}/client?user=zhangsan`;

    await page.goto(client);
    assert.doesNotMatch(await page.locator('body').innerText(), /no homepage|no custom menu/);
    assert.deepEqual(await page.locator('nav.menu a[data-entry="menu"]').allInnerTexts(), ['我的订单', '订单 7', '发送卡片']);
    await shot(page, 'newcomer-01-client');

    // The workbench: the app opens on its homepage, the demo's home page, logged in silently.
    await page.locator('a[data-entry="homepage"]').click();
    await page.waitForURL((url) => url.origin === appUrl);
    assert.equal(here(page), '/');
    assert.equal(await page.locator('main').getAttribute('data-page'), 'home');
    assert.equal(await page.locator('h1').innerText(), '你好，zhangsan');
    await shot(page, 'newcomer-02-home');

    // The home page's button sends him a card; the card opens its order, logged in.
    await page.locator('form[action="/send-card"] button', { hasText: '给我发一张消息卡片' }).click();
    await page.waitForLoadState();
    assert.equal(await page.locator('main').getAttribute('data-page'), 'card-sent');
    const msgid = await page.locator('dd[data-field="msgid"]').innerText();
    await page.locator('a.button', { hasText: '打开模拟器中的企业微信' }).click();
    await page.waitForURL((url) => url.pathname === '/client');
    await page.locator(`article[data-msgid="${msgid}"] a[data-entry="card"]`).click();
    await page.waitForURL((url) => url.origin === appUrl && url.pathname === '/orders/42');
    assert.equal(here(page), '/orders/42?tab=items');
    assert.equal(await page.locator('dd[data-field="userId"]').innerText(), 'zhangsan');
    await shot(page, 'newcomer-03-card-landed');

    // Each menu item, fragment included: he is logged in already, so no login is on the way.
    for (const [item, landed, pageId] of [
      ['我的订单', '/orders/42?tab=items', 'order'],
      ['订单 7', '/?tab=orders#/orders/7', 'home'],
      ['发送卡片', '/send-card', 'send-card'],
    ] as const) {
      await page.goto(client);
      await page.locator('nav.menu a[data-entry="menu"]', { hasText: item }).click();
      await page.waitForURL((url) => url.origin === appUrl);
      assert.equal(here(page, true), landed, item);
      assert.equal(await page.locator('main').getAttribute('data-page'), pageId, item);
    }
    await context.close();
  });

  it('a fresh phone tapping a menu item is logged in on the way and lands on its page', async () => {
    assert.ok(demo && browser);
    const { appUrl, emulatorUrl } = demo;
    const context = await browser.newContext({ userAgent: WECOM_UA, locale: 'zh-CN', extraHTTPHeaders: { 'Accept-Language': 'zh-CN' } });
    const page = await context.newPage();
    await page.goto(`${emulatorUrl}/client?user=lisi`);
    await page.locator('nav.menu a[data-entry="menu"]', { hasText: '我的订单' }).click();
    await page.waitForURL((url) => url.origin === appUrl && url.pathname === '/orders/42');
    assert.equal(here(page), '/orders/42?tab=items');
    assert.equal(await page.locator('dd[data-field="userId"]').innerText(), 'lisi');
    await context.close();
  });
});
