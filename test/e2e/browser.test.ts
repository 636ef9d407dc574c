/**
 * A real browser (Debian's Chromium through playwright-core) against the demo app and the
 * emulator: the in-app flow with a WeCom user agent, the emulator's member picker in a desktop
 * browser, and the failure pages. Each page is screenshotted into test-output/screenshots/ and
 * the test asserts what each page says.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startEmulator } from '../../src/emulator/index.ts';
import type { Emulator } from '../../src/emulator/index.ts';
import { createDemoApp } from '../../src/demo/app.ts';
import type { WeComAuth } from '../../src/wecom-auth.ts';
import { jsapiSignature } from '../../src/wecom/index.ts';
import { WECOM_UA, WECHAT_UA } from '../helpers/flow.ts';
import { assertChromium, launchChromium, launchPersistentChromium } from './chromium.ts';

const SHOTS = new URL('../../test-output/screenshots/', import.meta.url);
const DESKTOP_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36';

describe('browser', () => {
  let emulator: Emulator;
  let server: Server;
  let wecom: WeComAuth;
  let baseUrl: string;
  let browser: Browser;

  before(async () => {
    assertChromium();
    mkdirSync(SHOTS, { recursive: true });
    emulator = await startEmulator({ port: 0 });
    // Listen first, then tell the app (and the emulator's trusted domains) where it lives.
    const { createServer } = await import('node:http');
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    baseUrl = `http://127.0.0.1:${port}`;
    for (const app of emulator.fixture.corps[0]?.apps ?? []) app.trustedDomains.push(`127.0.0.1:${port}`);
    const demo = createDemoApp({
      wecom: {
        corpId: 'wwdemocorp0000001',
        agentId: 1000002,
        secret: 'demo-secret',
        baseUrl,
        apiBaseUrl: emulator.url,
        oauthBaseUrl: emulator.url,
        loginBaseUrl: emulator.url,
        // As `npm start` does: consent (privateinfo) and the merged profile.
        scope: 'snsapi_privateinfo',
        profile: { fields: ['name', 'department', 'position', 'avatar', 'gender', 'mobile', 'email'] },
      },
      sessionSecret: 'browser-test-secret',
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

  async function open(options: {
    ua: string;
    user?: string;
    lang?: string;
    timezoneId?: string;
    javaScriptEnabled?: boolean;
  }): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({
      userAgent: options.ua,
      locale: options.lang ?? 'zh-CN',
      ...(options.timezoneId ? { timezoneId: options.timezoneId } : {}),
      ...(options.javaScriptEnabled === false ? { javaScriptEnabled: false } : {}),
      extraHTTPHeaders: {
        'Accept-Language': options.lang ?? 'zh-CN,zh;q=0.9',
        ...(options.user ? { 'X-WeCom-Emulator-User': options.user } : {}),
      },
    });
    return { context, page: await context.newPage() };
  }

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: new URL(`${name}.png`, SHOTS).pathname, fullPage: true });
  }

  it('in WeCom: a deep link logs the member in silently and lands on the page; logout shows the signed-out page', async () => {
    const { context, page } = await open({ ua: WECOM_UA, user: 'zhangsan' });
    const cspViolations: string[] = [];
    page.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
    });
    await page.goto(`${baseUrl}/?from=menu`);
    assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, '/?from=menu');
    assert.equal(await page.locator('h1').innerText(), '你好，张三');
    assert.match(await page.locator('main').innerText(), /你已通过企业微信登录/);
    assert.match(await page.locator('dl.identity').innerText(), /wwdemocorp0000001/);
    // privateinfo: user/get gives the name and position, getuserdetail the mobile withheld since 2022.
    assert.equal(await page.locator('dd[data-field="name"]').innerText(), '张三');
    assert.equal(await page.locator('dd[data-field="position"]').innerText(), '产品经理');
    assert.match(await page.locator('dd[data-field="mobile"]').innerText(), /^\+?\d[\d -]{6,}$/);
    await shot(page, '01-home-zh');

    // The JS-SDK page signs its own URL; the signature checks out against the cached ticket.
    await page.goto(`${baseUrl}/jssdk?x=1#frag`);
    assert.equal(await page.locator('main').getAttribute('data-page'), 'jssdk');
    const config = JSON.parse(await page.locator('pre[data-field="config"]').innerText()) as {
      appId: string;
      timestamp: number;
      nonceStr: string;
      signature: string;
    };
    assert.equal(config.appId, 'wwdemocorp0000001');
    const ticket = await wecom.client.getJsapiTicket();
    assert.equal(
      config.signature,
      jsapiSignature({ ticket, nonceStr: config.nonceStr, timestamp: config.timestamp, url: `${baseUrl}/jssdk?x=1` }),
    );
    const agentConfig = JSON.parse(await page.locator('pre[data-field="agentConfig"]').innerText()) as { agentid: number };
    assert.equal(agentConfig.agentid, 1000002);
    await shot(page, '11-jssdk');

    const me = await page.goto(`${baseUrl}/me`);
    const body = (await me?.json()) as { user: { userId: string } };
    assert.equal(body.user.userId, 'zhangsan');

    await page.goto(`${baseUrl}/`);
    // Signing out is a form that posts (no link, no script): the request must be a POST.
    assert.equal(await page.locator('a[href*="/auth/wecom/logout"]').count(), 0, 'no logout link');
    const [logout] = await Promise.all([
      page.waitForRequest((r) => new URL(r.url()).pathname === '/auth/wecom/logout'),
      page.locator('form[method="post"][action="/auth/wecom/logout"] button', { hasText: '退出登录' }).click(),
    ]);
    assert.equal(logout.method(), 'POST');
    await page.waitForLoadState();
    assert.equal(await page.locator('main').getAttribute('data-page'), 'signed-out');
    assert.equal(await page.locator('h1').innerText(), '你已退出登录');
    await shot(page, '02-signed-out');
    assert.deepEqual(cspViolations, [], "the pages work under helmet's default CSP");
    await context.close();
  });

  it("the login time in the person's time zone (Shanghai, Kolkata), and in UTC without script", async () => {
    /** The login time as the page shows it, and the instant it stands for (from /me). */
    async function shown(options: { timezoneId?: string; javaScriptEnabled?: boolean }): Promise<{ text: string; at: number }> {
      const { context, page } = await open({ ua: WECOM_UA, user: 'lisi', ...options });
      const cspViolations: string[] = [];
      page.on('console', (msg) => {
        if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
      });
      await page.goto(`${baseUrl}/`);
      assert.equal(await page.locator('main').getAttribute('data-page'), 'home');
      const text = await page.locator('dd[data-field="loginAt"] time').innerText();
      const me = (await (await page.goto(`${baseUrl}/me`))?.json()) as { user: { loginAt: number } };
      await context.close();
      assert.deepEqual(cspViolations, [], 'the script runs under the CSP');
      return { text, at: me.user.loginAt };
    }
    /** `YYYY-MM-DD HH:MM:SS` of an instant shifted by a fixed offset (zones without summer time). */
    const at = (ms: number, offsetMinutes: number) => new Date(ms + offsetMinutes * 60_000).toISOString().replace('T', ' ').slice(0, 19);
    const shanghai = await shown({ timezoneId: 'Asia/Shanghai' });
    assert.equal(shanghai.text, `${at(shanghai.at, 8 * 60)} GMT+8`);
    const kolkata = await shown({ timezoneId: 'Asia/Kolkata' });
    assert.equal(kolkata.text, `${at(kolkata.at, 5 * 60 + 30)} GMT+5:30`);
    const noScript = await shown({ timezoneId: 'Asia/Shanghai', javaScriptEnabled: false });
    assert.equal(noScript.text, `${at(noScript.at, 0)} UTC`);
  });

  it("in a desktop browser: WeCom's web (QR) login at the emulator, then the app in English", async () => {
    const { context, page } = await open({ ua: DESKTOP_UA, lang: 'en-US' });
    await page.goto(`${baseUrl}/`);
    const at = new URL(page.url());
    assert.equal(at.origin, emulator.url, 'at the emulator');
    assert.equal(at.pathname, '/wwlogin/sso/login');
    assert.equal(at.searchParams.get('login_type'), 'CorpApp');
    assert.equal(at.searchParams.get('agentid'), '1000002');
    assert.equal(at.searchParams.get('lang'), 'en');
    await shot(page, '03-emulator-web-login');
    await page.getByText('李四').first().click();
    await page.waitForURL(`${baseUrl}/`);
    assert.equal(await page.locator('h1').innerText(), 'Hello, 李四');
    await shot(page, '04-home-en');
    await context.close();
  });

  it('in personal WeChat: the "open in WeCom" page', async () => {
    const { context, page } = await open({ ua: WECHAT_UA });
    await page.goto(`${baseUrl}/`);
    assert.equal(await page.locator('main').getAttribute('data-page'), 'open-in-wecom');
    assert.equal(await page.locator('h1').innerText(), '请在企业微信中打开');
    await shot(page, '05-open-in-wecom');
    await context.close();
  });

  it('a non-member identified by WeCom: the non-member page; a code refused twice: the "link expired" page', async () => {
    {
      const { context, page } = await open({ ua: WECOM_UA, user: 'oDemoWeChatVisitor0000000001' });
      await page.goto(`${baseUrl}/`);
      assert.equal(await page.locator('main').getAttribute('data-page'), 'non-member');
      assert.equal(await page.locator('h1').innerText(), '仅限企业成员使用');
      await shot(page, '12-non-member');
      await context.close();
    }
    {
      const { context, page } = await open({ ua: WECOM_UA, user: 'zhangsan' });
      emulator.faults.failNext(40029, 2, 'auth/getuserinfo');
      await page.goto(`${baseUrl}/?tab=1`);
      assert.equal(await page.locator('main').getAttribute('data-page'), 'login-expired');
      assert.equal(await page.locator('h1').innerText(), '登录链接已失效');
      await shot(page, '13-login-expired');
      // Its button starts a fresh login that lands on the page asked for.
      await page.locator('a.button').click();
      await page.waitForLoadState();
      assert.equal(new URL(page.url()).search, '?tab=1');
      assert.equal(await page.locator('main').getAttribute('data-page'), 'home');
      emulator.faults.reset();
      await context.close();
    }
  });

  it('outside the visible range (60011), a wrong trusted domain (50001), rate limited (45009): their pages', async () => {
    for (const [errcode, pageId, heading, name] of [
      [60011, 'no-access', '你没有此应用的使用权限', '06-no-access'],
      [50001, 'wecom-trusted-domain', '应用配置有误', '07-trusted-domain'],
      [45009, 'rate-limited', '请求过于频繁', '08-rate-limited'],
      [60020, 'wecom-trusted-ip', '应用配置有误', '09-trusted-ip'],
    ] as const) {
      const { context, page } = await open({ ua: WECOM_UA, user: 'zhangsan' });
      emulator.faults.failNext(errcode, 1, 'auth/getuserinfo');
      await page.goto(`${baseUrl}/`);
      assert.equal(await page.locator('main').getAttribute('data-page'), pageId);
      assert.equal(await page.locator('h1').innerText(), heading);
      await page.locator('details summary').click();
      assert.match(await page.locator('details').innerText(), new RegExp(String(errcode)));
      await shot(page, name);
      emulator.faults.reset();
      await context.close();
    }
  });

  it('a browser that blocks cookies ends on the "cookies are needed" page, without a loop', async () => {
    // A real Chromium profile with cookies blocked (content setting 2), as in a locked-down webview.
    const dir = mkdtempSync(path.join(tmpdir(), 'wecom-nocookies-'));
    mkdirSync(path.join(dir, 'Default'));
    writeFileSync(
      path.join(dir, 'Default', 'Preferences'),
      JSON.stringify({ profile: { default_content_setting_values: { cookies: 2 } } }),
    );
    const context = await launchPersistentChromium(dir, {
      userAgent: WECOM_UA,
      extraHTTPHeaders: { 'Accept-Language': 'zh-CN' },
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const visits: string[] = [];
      page.on('request', (r) => visits.push(r.url()));
      await page.goto(`${baseUrl}/`);
      assert.equal(await page.locator('main').getAttribute('data-page'), 'cookies-needed');
      assert.equal(await page.locator('h1').innerText(), '需要启用 Cookie');
      assert.equal(visits.filter((u) => u.includes('/connect/oauth2/authorize')).length, 2, 'one restart, then the page');
      await shot(page, '10-cookies-needed');
    } finally {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
