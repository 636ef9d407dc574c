/**
 * Logout by POST only, and only from this origin: a link, a prefetch, an image or a form on
 * another site (or a sibling subdomain) cannot end a session. Every header form a browser sends
 * for a cross-site request is refused; a client that sends none (a mini program, curl) signs out.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import supertest from 'supertest';
import { setupFlow, login, HTML, BASE_URL, sessionCookie } from '../helpers/flow.ts';
import type { FlowSetup, ExpressVariant } from '../helpers/flow.ts';

for (const variant of ['express5', 'express4'] as ExpressVariant[]) {
  describe(`logout (${variant})`, () => {
    let flow: FlowSetup;
    before(async () => {
      flow = await setupFlow({ variant });
    });
    after(async () => {
      await flow.close();
    });

    async function loggedIn(): Promise<string> {
      const cookie = sessionCookie(await login(flow.agent(), '/orders/1'))?.split(';')[0];
      assert.ok(cookie);
      return cookie;
    }
    const stillIn = async (cookie: string): Promise<number> => (await supertest(flow.app).get('/api/data').set('Cookie', cookie)).status;

    it('GET shows a page with a button that posts the sign-out; the session stays', async () => {
      const cookie = await loggedIn();
      for (const accept of [HTML, '*/*']) {
        const page = await supertest(flow.app).get('/auth/wecom/logout').set('Accept', accept).set('Cookie', cookie);
        assert.equal(page.status, 200);
        assert.match(page.text, /data-page="sign-out"/);
        assert.match(
          page.text,
          /<form method="post" action="\/auth\/wecom\/logout"><button class="button" type="submit">退出登录<\/button><\/form>/,
        );
        assert.doesNotMatch(page.text, /<script/);
        // So that its button posts our real Origin even where Sec-Fetch-Site is not sent.
        assert.equal(page.headers['referrer-policy'], 'same-origin');
      }
      assert.equal(await stillIn(cookie), 200, 'a GET (a link, a prefetch, an <img>) signs nobody out');
      const anonymous = await supertest(flow.app).get('/auth/wecom/logout').set('Accept', HTML);
      assert.match(anonymous.text, /data-page="signed-out"/, 'nobody signed in: nothing to sign out of');
      const head = await supertest(flow.app).head('/auth/wecom/logout').set('Cookie', cookie);
      assert.notEqual(head.status, 200);
      assert.equal(await stillIn(cookie), 200);
    });

    const crossSite: Array<[string, Record<string, string>]> = [
      ['Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site' }],
      ['Sec-Fetch-Site: same-site (a sibling subdomain)', { 'Sec-Fetch-Site': 'same-site' }],
      ['Sec-Fetch-Site in capitals', { 'Sec-Fetch-Site': 'CROSS-SITE' }],
      ['Origin of another site', { Origin: 'https://evil.example' }],
      ['Origin of a sibling subdomain', { Origin: 'http://evil.localhost:3000' }],
      ['Origin of another port', { Origin: 'http://localhost:3001' }],
      ['Origin of another scheme', { Origin: 'https://localhost:3000' }],
      ['Origin: null from a sandboxed frame (cross-site)', { Origin: 'null', 'Sec-Fetch-Site': 'cross-site' }],
      ['Origin ours but Sec-Fetch-Site cross-site', { Origin: BASE_URL, 'Sec-Fetch-Site': 'cross-site' }],
      ['Sec-Fetch-Site same-origin but Origin another', { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'same-origin' }],
      ['Origin: null from a browser too old for Sec-Fetch-Site', { Origin: 'null' }],
    ];
    for (const [name, headers] of crossSite) {
      it(`POST with ${name}: refused with a page that offers the real button, still signed in`, async () => {
        const cookie = await loggedIn();
        const res = await supertest(flow.app).post('/auth/wecom/logout').set('Accept', HTML).set('Cookie', cookie).set(headers);
        assert.equal(res.status, 403);
        assert.match(res.text, /data-page="sign-out-refused"/);
        assert.match(res.text, /<form method="post" action="\/auth\/wecom\/logout">/);
        assert.equal(await stillIn(cookie), 200);
        const api = await supertest(flow.app)
          .post('/auth/wecom/logout')
          .set('Accept', 'application/json')
          .set('Cookie', cookie)
          .set(headers);
        assert.equal(api.status, 403);
        assert.deepEqual(api.body, { error: 'login_failed', reason: 'cross-site', page: 'sign-out-refused' });
        assert.equal(await stillIn(cookie), 200);
      });
    }

    const sameOrigin: Array<[string, Record<string, string>]> = [
      ["the page's own form (Origin ours, same-origin)", { Origin: BASE_URL, 'Sec-Fetch-Site': 'same-origin' }],
      ['typed or bookmarked (Sec-Fetch-Site: none)', { 'Sec-Fetch-Site': 'none' }],
      // helmet's default Referrer-Policy (no-referrer) makes a same-origin form post Origin: null.
      ["the page's own form under Referrer-Policy: no-referrer", { Origin: 'null', 'Sec-Fetch-Site': 'same-origin' }],
      ['a client that sends neither (a mini program, curl)', {}],
    ];
    for (const [name, headers] of sameOrigin) {
      it(`POST from ${name}: signed out`, async () => {
        const cookie = await loggedIn();
        const res = await supertest(flow.app).post('/auth/wecom/logout').set('Accept', HTML).set('Cookie', cookie).set(headers);
        assert.equal(res.status, 200);
        assert.match(res.text, /data-page="signed-out"/);
        assert.equal(await stillIn(cookie), 401);
      });
    }
  });
}

describe('logout with afterLogout', () => {
  it('POST answers 303 See Other to the afterLogout page', async () => {
    const flow = await setupFlow({ wecom: { afterLogout: '/bye' } });
    try {
      const cookie = sessionCookie(await login(flow.agent(), '/orders/1'))?.split(';')[0] ?? '';
      const res = await supertest(flow.app).post('/auth/wecom/logout').set('Cookie', cookie).set('Origin', BASE_URL);
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, '/bye');
    } finally {
      await flow.close();
    }
  });
});
