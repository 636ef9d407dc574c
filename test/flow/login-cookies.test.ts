/**
 * The login cookies under attack and at their limits, over HTTP: a callback crafted to make the
 * app work (hundreds of junk login cookies, a repeated `state`), a browser chaining silent logins
 * with long deep links (the header budget), and a login cookie tossed in from a sibling subdomain.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import supertest from 'supertest';
import { setupFlow, visitWeCom, appPath, HTML, WECOM_UA, sessionCookie, txCookie, openPage, landedOn } from '../helpers/flow.ts';
import type { FlowSetup, ExpressVariant } from '../helpers/flow.ts';

const JUNK = Array.from({ length: 800 }, (_, i) => `wecom_tx_${i.toString(36)}=x`).join('; ');
const setCookies = (res: supertest.Response): string[] => (res.headers['set-cookie'] as unknown as string[] | undefined) ?? [];

/** A browser's cookie jar for one host, every cookie of ours being Path=/: Set-Cookie in, Cookie out. */
class Jar {
  readonly cookies = new Map<string, string>();
  take(res: supertest.Response): void {
    for (const line of setCookies(res)) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      if (/Max-Age=0/i.test(line)) this.cookies.delete(pair.slice(0, eq));
      else this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

for (const variant of ['express5', 'express4'] as ExpressVariant[]) {
  describe(`login cookies under attack and at their limits (${variant})`, () => {
    let flow: FlowSetup;
    before(async () => {
      flow = await setupFlow({ variant });
    });
    after(async () => {
      await flow.close();
    });

    it('800 junk login cookies and 200 repeated states: a 400, at most a few Set-Cookie lines, and the app keeps serving', async () => {
      const states = Array.from({ length: 200 }, (_, i) => `state=${i.toString(36)}`).join('&');
      const res = await supertest(flow.app).get(`/auth/wecom/callback?code=abc&${states}`).set('Accept', HTML).set('Cookie', JUNK);
      assert.equal(res.status, 400);
      assert.ok(setCookies(res).length <= 9, `${setCookies(res).length} Set-Cookie lines`);
      const junkOnly = await supertest(flow.app)
        .get(`/auth/wecom/callback?code=abc&state=${'A'.repeat(32)}`)
        .set('Accept', HTML)
        .set('User-Agent', WECOM_UA)
        .set('Cookie', JUNK);
      assert.equal(junkOnly.status, 302, 'an ordinary unknown state: the login restarts');
      assert.ok(setCookies(junkOnly).length <= 10, `${setCookies(junkOnly).length} Set-Cookie lines (was one per junk cookie)`);
      const start = await openPage(supertest(flow.app), '/orders/1', { headers: { 'User-Agent': WECOM_UA, Cookie: JUNK } });
      assert.equal(start.status, 302);
      assert.ok(setCookies(start).length <= 10, `the start clears at most a few: ${setCookies(start).length}`);
    });

    it('a repeated state burns every login it names that this browser started: none of them is exchanged later', async () => {
      const jar = new Jar();
      const starts = [];
      for (const page of ['/orders/a', '/orders/b']) {
        const start = await openPage(supertest(flow.app), page, { headers: { 'User-Agent': WECOM_UA, Cookie: jar.header() } });
        jar.take(start);
        starts.push(start);
      }
      const callbacks = await Promise.all(starts.map((s) => visitWeCom(s.headers.location as string)));
      const urls = callbacks.map((c) => new URL(appPath(c.location), 'http://x'));
      const cookieHeader = jar.header();
      const both = `/auth/wecom/callback?code=${urls[0]?.searchParams.get('code')}&state=${urls[0]?.searchParams.get('state')}&state=${urls[1]?.searchParams.get('state')}`;
      const refused = await supertest(flow.app).get(both).set('Accept', HTML).set('Cookie', cookieHeader);
      assert.equal(refused.status, 400);
      const cleared = setCookies(refused).filter((l) => /Max-Age=0/.test(l)).length;
      assert.equal(cleared, 2, 'both login cookies are cleared');
      const exchanges = flow.emulator.callCount('user/getuserinfo');
      for (const url of urls) {
        // An attacker kept the cookies and the codes: replayed, neither is exchanged.
        const replay = await supertest(flow.app)
          .get(url.pathname + url.search)
          .set('Accept', HTML)
          .set('User-Agent', WECOM_UA)
          .set('Cookie', cookieHeader);
        assert.ok(landedOn(replay)?.startsWith('/orders/'), 'sent on to its page, whose guard starts afresh');
        assert.equal(sessionCookie(replay), undefined, 'nobody is logged in');
      }
      assert.equal(flow.emulator.callCount('user/getuserinfo'), exchanges, 'no code exchanged');
    });

    it('silent logins chained from long deep links keep the Cookie header under 8 KB, and each lands on its link', async () => {
      const jar = new Jar();
      let largest = 0;
      for (let i = 0; i < 8; i++) {
        // A long link (1,900 characters, quotes that normalise to %22 among them) opened again and again.
        const link = `/orders/${i}?q=${'"'.repeat(20)}&pad=${'x'.repeat(1820)}`;
        const start = await openPage(supertest(flow.app), link, { headers: { 'User-Agent': WECOM_UA, Cookie: jar.header() } });
        assert.equal(start.status, 302, `start ${i}`);
        jar.take(start);
        largest = Math.max(largest, jar.header().length);
        if (i % 2 === 1) continue; // every other one never comes back (the person closed the page)
        const wecom = await visitWeCom(start.headers.location as string);
        const back = await supertest(flow.app).get(appPath(wecom.location)).set('Accept', HTML).set('Cookie', jar.header());
        assert.equal(landedOn(back), link.replaceAll('"', '%22'), `login ${i} lands on its link`);
        jar.take(back);
        largest = Math.max(largest, jar.header().length);
        jar.cookies.delete('wecom.sid'); // the session ends (closed, expired): the next link logs in again
      }
      assert.ok(largest < 8192, `largest Cookie header: ${largest} bytes`);
    });

    it('what a junk callback costs WeCom: one code exchange per login started, never a retry (docs/security.md)', async () => {
      const exchanges = flow.emulator.callCount('user/getuserinfo');
      const rounds = 10;
      for (let i = 0; i < rounds; i++) {
        // An anonymous script: start a login (no WeCom call), then send its state back with a junk code.
        const start = await supertest(flow.app).get('/auth/wecom/login').set('Accept', HTML).set('User-Agent', WECOM_UA);
        const state = new URL(start.headers.location as string).searchParams.get('state');
        const tx = txCookie(start);
        assert.ok(tx && state);
        const junk = await supertest(flow.app)
          .get(`/auth/wecom/callback?code=junk${i}&state=${state}`)
          .set('Accept', HTML)
          .set('User-Agent', WECOM_UA)
          .set('Cookie', `${tx.name}=${tx.value}`);
        assert.equal(junk.status, 302, 'WeCom says 40029: the login restarts once');
      }
      assert.equal(flow.emulator.callCount('user/getuserinfo') - exchanges, rounds);
    });

    it('a return path that normalises past 2,048 characters is not kept (the limit applies after normalisation)', async () => {
      const link = `/orders/1?q=${'"'.repeat(1000)}`; // 1,012 characters as sent, 3,012 normalised
      const agent = flow.agent();
      const start = await openPage(agent, link);
      const wecom = await visitWeCom(start.headers.location as string);
      const back = await agent.get(appPath(wecom.location)).set('Accept', HTML);
      assert.equal(landedOn(back), '/', 'the default return path, not a 3 KB one');
    });
  });
}

describe('a login cookie tossed in from a sibling subdomain (https)', () => {
  let flow: FlowSetup;
  before(async () => {
    flow = await setupFlow({ wecom: { baseUrl: 'https://localhost:3000' }, trustProxy: 1 });
  });
  after(async () => {
    await flow.close();
  });

  it("the attacker's genuine login cookie without the __Host- prefix finishes no login in the victim's browser", async () => {
    // The attacker starts a login in their own browser and keeps its cookie and callback URL.
    const own = await openPage(supertest(flow.app), '/orders/1', { headers: { 'User-Agent': WECOM_UA, 'X-Forwarded-Proto': 'https' } });
    const tx = txCookie(own);
    assert.ok(tx);
    const wecom = await visitWeCom(own.headers.location as string, { user: 'lisi' });
    const callback = new URL(wecom.location ?? '');
    // A sibling subdomain can set `wecom_tx_<state>` (Domain=.example.com) but never a __Host- name.
    const tossed = `${tx.name.replace(/^__Host-/, '')}=${tx.value}`;
    const exchanges = flow.emulator.callCount('user/getuserinfo');
    const victim = await supertest(flow.app)
      .get(callback.pathname + callback.search)
      .set('Accept', HTML)
      .set('User-Agent', WECOM_UA)
      .set('X-Forwarded-Proto', 'https')
      .set('Cookie', tossed);
    assert.equal(victim.status, 302);
    assert.equal(sessionCookie(victim), undefined, 'the victim is not logged in as the attacker');
    assert.equal(flow.emulator.callCount('user/getuserinfo'), exchanges, "the attacker's code is not exchanged");
  });
});
