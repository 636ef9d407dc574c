// The attacks of cross-site.test.ts and host-check.test.ts as a real browser (Chromium through
// playwright-core) makes them, so the headers the emulator relies on are the ones a browser sends:
// a page on another port of 127.0.0.1 (same site) and on localhost (another site) auto-submits a
// text/plain form to a control route, fires a no-cors POST, and follows a picker choice link; a
// DNS-rebinding page (Chromium maps its name to 127.0.0.1) loads the emulator under its own name.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { startEmulator } from '../../src/emulator/index.ts';
import { authorizeUrl } from '../helpers/emulator.ts';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import type { Emulator } from '../../src/emulator/index.ts';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const REBOUND = 'attacker.test';

/** The attacker's pages: each does one thing to the emulator at `target` when loaded. */
function attackerPage(path: string, target: string, choice: string): string {
  switch (path) {
    case '/form':
      // The classic text/plain CSRF: the body reads as JSON, {"userId":"zhangsan","x":"="}.
      return `<form method="POST" enctype="text/plain" action="${target}/__emulator/miniprogram/code"><input name='{"userId":"zhangsan","x":"' value='"}'></form><script>document.forms[0].submit()</script>`;
    case '/no-cors':
      return `<script>fetch('${target}/__emulator/clock', { method: 'POST', mode: 'no-cors', body: '{"advanceMs":86400000}' }).finally(() => { document.title = 'sent'; });</script>`;
    case '/link':
      return `<a id="go" href="${choice}">log in</a>`;
    default:
      return '';
  }
}

describe('attacks from a real browser', { skip: existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}` }, () => {
  let emulator: Emulator;
  let attacker: Server;
  let browser: Browser;
  let attackerPort = 0;

  before(async () => {
    emulator = await startEmulator({ port: 0 });
    const choice = `${authorizeUrl(emulator)}&__emulator_user=zhangsan`.replace('#wechat_redirect&', '&');
    attacker = createServer((req, res) => {
      const html = attackerPage(new URL(req.url ?? '/', 'http://x').pathname, emulator.url, choice);
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(`<!DOCTYPE html><html><body>${html}</body></html>`);
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    attackerPort = (attacker.address() as AddressInfo).port;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        `--host-resolver-rules=MAP ${REBOUND} 127.0.0.1`,
      ],
    });
  });

  after(async () => {
    await browser?.close();
    attacker?.closeAllConnections();
    await new Promise((resolve) => attacker?.close(resolve));
    await emulator?.close();
  });

  async function withPage(fn: (page: Page) => Promise<void>): Promise<void> {
    const context = await browser.newContext();
    try {
      await fn(await context.newPage());
    } finally {
      await context.close();
    }
  }

  /** The attacker's site on another port of 127.0.0.1 (same site) and on localhost (another site). */
  const sites = (): string[] => [`http://127.0.0.1:${attackerPort}`, `http://localhost:${attackerPort}`];

  it('a text/plain form posted to a control route lands on a 403 and mints no code', async () => {
    for (const site of sites()) {
      await withPage(async (page) => {
        const answer = page.waitForResponse((res) => res.url().endsWith('/__emulator/miniprogram/code'));
        await page.goto(`${site}/form`);
        const res = await answer;
        assert.equal(res.status(), 403, site);
        const text = await res.text();
        assert.match(text, /refused: Origin .* is not this emulator's/, site);
        assert.doesNotMatch(text, /"code"/);
      });
    }
  });

  it('a no-cors POST does not move the clock', async () => {
    const before = emulator.clock.now();
    for (const site of sites()) {
      await withPage(async (page) => {
        const answer = page.waitForResponse((res) => res.url().endsWith('/__emulator/clock'));
        await page.goto(`${site}/no-cors`);
        assert.equal((await answer).status(), 403, site);
      });
    }
    assert.ok(emulator.clock.now() - before < 3600_000, 'the clock did not move a day');
  });

  it("a picker choice link followed from the attacker's page gets the picker back, no code", async () => {
    for (const site of sites()) {
      await withPage(async (page) => {
        await page.goto(`${site}/link`);
        const answer = page.waitForResponse((res) => res.url().includes('__emulator_user=zhangsan'));
        await page.click('#go');
        const res = await answer;
        assert.equal(res.status(), 403, `${site}: ${res.headers()['location'] ?? ''}`);
        assert.match(await page.locator('h1').innerText(), /请在模拟器页面上选择身份/);
        await page.locator('a.choice').click();
        await page.waitForURL((url) => !url.search.includes('__emulator_user'));
        assert.equal(await page.locator('h1').innerText(), '企业微信模拟器：选择身份', "the picker, where a click is the emulator's own");
      });
    }
  });

  it('a DNS-rebinding page (its name resolved to 127.0.0.1) gets 421 from every route', async () => {
    const port = new URL(emulator.url).port;
    await withPage(async (page) => {
      for (const path of [
        '/',
        '/__emulator/calls',
        '/__emulator/fixture',
        `/connect/oauth2/authorize${new URL(authorizeUrl(emulator)).search}`,
      ]) {
        const res = await page.goto(`http://${REBOUND}:${port}${path}`);
        assert.equal(res?.status(), 421, path);
        assert.match(await page.locator('body').innerText(), /refused a request for Host "attacker\.test:\d+"/);
      }
    });
  });
});
