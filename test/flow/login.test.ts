/**
 * The in-app login end to end: supertest agents with cookie jars against the emulator over
 * loopback, under Express 5 and Express 4.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import supertest from 'supertest';
import {
  setupFlow,
  visitWeCom,
  appPath,
  login,
  sessionCookie,
  txCookie,
  BASE_URL,
  HTML,
  WECHAT_UA,
  openPage,
  landedOn,
} from '../helpers/flow.ts';
import type { FlowSetup, ExpressVariant } from '../helpers/flow.ts';

for (const variant of ['express5', 'express4'] as ExpressVariant[]) {
  describe(`in-app login (${variant})`, () => {
    let flow: FlowSetup;
    before(async () => {
      flow = await setupFlow({ variant });
    });
    after(async () => {
      await flow.close();
    });

    it('a protected deep link with a query goes to WeCom and comes back to the same link, logged in', async () => {
      const agent = flow.agent();
      const start = await openPage(agent, '/orders/123?tab=2&q=%E4%B8%AD');
      assert.equal(start.status, 302);
      const location = start.headers.location as string;
      assert.ok(location.startsWith(`${flow.emulator.url}/connect/oauth2/authorize?`), location);
      assert.ok(location.endsWith('#wechat_redirect'), 'keeps #wechat_redirect');
      const url = new URL(location);
      assert.deepEqual([...url.searchParams.keys()], ['appid', 'redirect_uri', 'response_type', 'scope', 'agentid', 'state']);
      assert.equal(url.searchParams.get('appid'), 'wwdemocorp0000001');
      assert.equal(url.searchParams.get('redirect_uri'), `${BASE_URL}/auth/wecom/callback`);
      assert.ok(location.includes(`redirect_uri=${encodeURIComponent(`${BASE_URL}/auth/wecom/callback`)}`), 'redirect_uri is url-encoded');
      assert.equal(url.searchParams.get('response_type'), 'code');
      assert.equal(url.searchParams.get('scope'), 'snsapi_base');
      assert.equal(url.searchParams.get('agentid'), '1000002');
      assert.match(url.searchParams.get('state') ?? '', /^[A-Za-z0-9]{32}$/);
      assert.equal(start.headers['cache-control'], 'no-store');
      assert.equal(sessionCookie(start), undefined, 'no session is created before a login succeeds');
      const tx = txCookie(start);
      assert.ok(tx, 'the login in flight travels in its own cookie');
      assert.equal(tx.name, `wecom_tx_${url.searchParams.get('state')}`);
      assert.deepEqual(tx.attributes, ['Max-Age=600', 'Path=/', 'HttpOnly', 'SameSite=Lax']);

      const wecom = await visitWeCom(location, { user: 'lisi' });
      assert.equal(wecom.status, 302);
      const back = await agent.get(appPath(wecom.location)).set('Accept', HTML);
      assert.equal(landedOn(back), '/orders/123?tab=2&q=%E4%B8%AD');
      assert.ok(sessionCookie(back), 'the session cookie is set at login');
      assert.ok(txCookie(back)?.value, 'the transaction cookie stays, marked done, for a reload of the callback');

      const page = await openPage(agent, '/orders/123?tab=2&q=%E4%B8%AD');
      assert.equal(page.status, 200);
      assert.equal(page.body.userId, 'lisi');
      assert.equal(page.body.user.corpId, 'wwdemocorp0000001');
      assert.equal(page.body.user.agentId, 1000002);
      assert.equal(page.body.user.type, 'member');
      assert.ok(page.body.user.deviceId, 'DeviceId from the legacy exchange is kept');
      assert.ok(Math.abs(page.body.user.loginAt - Date.now()) < 60_000);
      assert.equal(
        flow.emulator.calls.filter((c) => c.api === 'user/getuserinfo').at(-1)?.query.agentid,
        '1000002',
        'code exchanged with agentid',
      );
    });

    it('two tabs logging in at once both land on their own page', async () => {
      const agent = flow.agent();
      const tabA = await openPage(agent, '/orders/A');
      const tabB = await openPage(agent, '/orders/B');
      const codeA = await visitWeCom(tabA.headers.location as string);
      const codeB = await visitWeCom(tabB.headers.location as string);
      const backB = await agent.get(appPath(codeB.location)).set('Accept', HTML);
      assert.equal(landedOn(backB), '/orders/B');
      const backA = await agent.get(appPath(codeA.location)).set('Accept', HTML);
      assert.equal(landedOn(backA), '/orders/A');
      assert.equal((await openPage(agent, '/orders/A')).status, 200);
    });

    it('a reloaded callback (code already used) and Back after login land on the page, not an error', async () => {
      const agent = flow.agent();
      const start = await openPage(agent, '/orders/7?x=1');
      const wecom = await visitWeCom(start.headers.location as string);
      const callbackPath = appPath(wecom.location);
      const first = await agent.get(callbackPath).set('Accept', HTML);
      assert.equal(landedOn(first), '/orders/7?x=1');
      const exchanges = flow.emulator.callCount('user/getuserinfo');
      const reload = await agent.get(callbackPath).set('Accept', HTML);
      assert.equal(landedOn(reload), '/orders/7?x=1');
      assert.equal(flow.emulator.callCount('user/getuserinfo'), exchanges, 'the used state never exchanges its code again');
      const back = await openPage(agent, '/orders/7?x=1');
      assert.equal(back.status, 200);
    });

    it('a code already used (40029) while not logged in restarts the login once', async () => {
      const agent = flow.agent();
      const start = await openPage(agent, '/orders/9');
      const wecom = await visitWeCom(start.headers.location as string);
      flow.emulator.faults.failNext(40029, 1, 'user/getuserinfo');
      const res = await agent.get(appPath(wecom.location)).set('Accept', HTML);
      assert.equal(res.status, 302);
      const restart = new URL(res.headers.location as string);
      assert.equal(restart.origin, flow.emulator.url, 'back to WeCom for a fresh code');
      assert.equal(new URL(restart.searchParams.get('redirect_uri') ?? '').searchParams.get('attempt'), '1');
      const again = await visitWeCom(res.headers.location as string);
      const done = await agent.get(appPath(again.location)).set('Accept', HTML);
      assert.equal(landedOn(done), '/orders/9');
    });

    it('a code refused twice (40029) ends on the "link expired" page with a retry button, not a loop', async () => {
      const agent = flow.agent();
      const start = await openPage(agent, '/orders/10');
      flow.emulator.faults.failNext(40029, 2, 'user/getuserinfo');
      const wecom = await visitWeCom(start.headers.location as string);
      const restart = await agent.get(appPath(wecom.location)).set('Accept', HTML);
      const again = await visitWeCom(restart.headers.location as string);
      const res = await agent.get(appPath(again.location)).set('Accept', HTML);
      assert.equal(res.status, 400);
      assert.match(res.text, /data-page="login-expired"/);
      assert.match(res.text, /href="http:\/\/localhost:3000\/auth\/wecom\/login\?returnTo=%2Forders%2F10"/);
    });

    it('a HEAD on the callback (a link checker) neither consumes the state nor exchanges the code', async () => {
      const agent = flow.agent();
      const start = await openPage(agent, '/orders/11');
      const wecom = await visitWeCom(start.headers.location as string);
      const exchanges = flow.emulator.callCount('user/getuserinfo');
      const head = await agent.head(appPath(wecom.location));
      assert.equal(head.status, 404);
      assert.equal(flow.emulator.callCount('user/getuserinfo'), exchanges);
      const get = await agent.get(appPath(wecom.location)).set('Accept', HTML);
      assert.equal(landedOn(get), '/orders/11');
    });

    it('an expired transaction never exchanges its code and restarts the login', async () => {
      const agent = flow.agent();
      const start = await openPage(agent, '/orders/5');
      const wecom = await visitWeCom(start.headers.location as string);
      const exchanges = flow.emulator.callCount('user/getuserinfo');
      const realNow = Date.now;
      Date.now = () => realNow() + 11 * 60_000;
      let res;
      try {
        res = await agent.get(appPath(wecom.location)).set('Accept', HTML);
      } finally {
        Date.now = realNow;
      }
      assert.equal(flow.emulator.callCount('user/getuserinfo'), exchanges);
      assert.equal(res.status, 302);
      assert.ok((res.headers.location as string).startsWith(flow.emulator.url));
    });

    it('a repeated state (or code) parameter is refused with a page, and no code is exchanged', async () => {
      const agent = flow.agent();
      const start = await openPage(agent, '/orders/5');
      const wecom = await visitWeCom(start.headers.location as string);
      const path = appPath(wecom.location);
      const state = new URL(path, BASE_URL).searchParams.get('state');
      const exchanges = flow.emulator.callCount('user/getuserinfo');
      const res = await agent.get(`${path}&state=${state}`).set('Accept', HTML);
      assert.equal(res.status, 400);
      assert.match(res.text, /data-page="bad-request"/);
      assert.equal(flow.emulator.callCount('user/getuserinfo'), exchanges);
      // The state was consumed: the clean callback no longer exchanges either.
      const clean = await openPage(agent, path);
      assert.equal(clean.status, 302);
      assert.ok((clean.headers.location as string).startsWith(flow.emulator.url));
      assert.equal(flow.emulator.callCount('user/getuserinfo'), exchanges);
    });

    it("login CSRF: a callback carrying another browser's state and code is never exchanged", async () => {
      const attacker = flow.agent();
      const start = await openPage(attacker, '/orders/1');
      const wecom = await visitWeCom(start.headers.location as string, { user: 'lisi' });
      const victim = flow.agent();
      const exchanges = flow.emulator.callCount('user/getuserinfo');
      const res = await victim.get(appPath(wecom.location)).set('Accept', HTML);
      assert.equal(flow.emulator.callCount('user/getuserinfo'), exchanges);
      assert.equal(res.status, 302);
      assert.ok((res.headers.location as string).startsWith(flow.emulator.url), 'the victim starts their own login');
      assert.equal((await victim.get('/api/data')).status, 401, 'the victim is not logged in as the attacker');
    });

    it('a callback without the cookie, twice, ends on the "cookies are needed" page (no loop)', async () => {
      const start = await openPage(flow.agent(), '/orders/1');
      const wecom = await visitWeCom(start.headers.location as string);
      const cookieless1 = await flow.agent().get(appPath(wecom.location)).set('Accept', HTML);
      assert.equal(cookieless1.status, 302);
      const wecom2 = await visitWeCom(cookieless1.headers.location as string);
      const cookieless2 = await flow.agent().get(appPath(wecom2.location)).set('Accept', HTML);
      assert.equal(cookieless2.status, 400);
      assert.match(cookieless2.text, /data-page="cookies-needed"/);
      assert.match(cookieless2.text, /需要启用 Cookie/);
    });

    it('open-redirect payloads never leave the origin', async () => {
      const payloads = [
        '//evil.example',
        '/\\evil.example',
        'https://evil.example',
        '/%2F%2Fevil.example',
        '%2F%2Fevil.example',
        '/%5Cevil.example',
        'http:evil.example',
        '/\tevil',
        '\\\\evil.example',
        'javascript:alert(1)',
        '//evil.example/%2e%2e',
        '/%2fevil.example',
        ' //evil.example',
        '/.//evil.example',
      ];
      for (const payload of payloads) {
        const agent = flow.agent();
        const start = await agent.get(`/auth/wecom/login?returnTo=${encodeURIComponent(payload)}`).set('Accept', HTML);
        assert.equal(start.status, 302);
        const wecom = await visitWeCom(start.headers.location as string);
        const back = await agent.get(appPath(wecom.location)).set('Accept', HTML);
        const target = landedOn(back) ?? '';
        const resolved = new URL(target, BASE_URL);
        assert.equal(resolved.origin, BASE_URL, `${payload} -> ${target}`);
        assert.ok(!target.startsWith('//') && !target.includes('\\'), `${payload} -> ${target}`);
        // And the fixed-state callback parameter `to`:
        const fixed = await flow
          .agent()
          .get(`/auth/wecom/callback?to=${encodeURIComponent(payload)}&code=x&state=entry`)
          .set('Accept', HTML);
        const redirectUri = new URL(new URL(fixed.headers.location as string).searchParams.get('redirect_uri') ?? '');
        assert.equal(redirectUri.origin, BASE_URL);
      }
    });

    it('fragment payloads (the start page passes location.hash) stay a fragment of a page on the origin', async () => {
      const payloads = [
        '//evil.example',
        '/\\evil.example',
        'https://evil.example',
        '\r\nSet-Cookie: x=1',
        '%0d%0aX: y',
        '"><script>',
        '中文路由',
        'wechat_redirect',
        'a'.repeat(1025),
        '',
      ];
      for (const payload of payloads) {
        const agent = flow.agent();
        const start = await agent.get(`/auth/wecom/login?returnTo=/orders/1&fragment=${encodeURIComponent(payload)}`).set('Accept', HTML);
        assert.equal(start.status, 302, payload.slice(0, 20));
        const wecom = await visitWeCom(start.headers.location as string);
        const back = await agent.get(appPath(wecom.location)).set('Accept', HTML);
        const target = landedOn(back) ?? '';
        assert.ok(target === '/orders/1' || target.startsWith('/orders/1#'), `${payload.slice(0, 20)} -> ${target.slice(0, 40)}`);
        assert.equal(new URL(target, BASE_URL).origin, BASE_URL);
        assert.match(target, /^[\x21-\x7e]+$/, 'printable ASCII: no header injection, no raw markup');
        assert.ok(!target.includes('wechat_redirect'), "WeCom's marker is never an app's route");
      }
    });

    it('logout ends the session: the old session cookie no longer logs anyone in, and nothing new is stored', async () => {
      const agent = flow.agent();
      const done = await login(agent, '/orders/1');
      const loggedIn = sessionCookie(done)?.split(';')[0];
      assert.ok(loggedIn);
      assert.equal((await agent.get('/api/data')).status, 200);
      const out = await agent.post('/auth/wecom/logout').set('Accept', HTML).set('Origin', BASE_URL).set('Sec-Fetch-Site', 'same-origin');
      assert.equal(out.status, 200);
      assert.match(out.text, /data-page="signed-out"/);
      assert.equal(sessionCookie(out), undefined, 'no new (empty) session is created for the signed-out visitor');
      assert.equal((await agent.get('/api/data')).status, 401);
      const replay = await supertest(flow.app).get('/api/data').set('Cookie', loggedIn);
      assert.equal(replay.status, 401, 'the destroyed session cannot be replayed');
    });

    it('the guard sends API calls a 401 JSON with a login URL, and pages to WeCom', async () => {
      const agent = flow.agent();
      const api = await agent.get('/api/data').set('Accept', 'application/json');
      assert.equal(api.status, 401);
      assert.equal(api.body.error, 'unauthenticated');
      assert.equal(api.body.loginUrl, `${BASE_URL}/auth/wecom/login?returnTo=%2Fapi%2Fdata`);
      const post = await agent.post('/api/data').set('Accept', HTML);
      assert.equal(post.status, 401, 'a POST never starts a login');
      const head = await agent.head('/orders/1').set('Accept', HTML);
      assert.equal(head.status, 302);
    });

    it('a non-member (personal WeChat) is refused with a page that says so', async () => {
      const agent = flow.agent();
      const start = await openPage(agent, '/orders/1');
      const wecom = await visitWeCom(start.headers.location as string, { ua: WECHAT_UA });
      const res = await agent.get(appPath(wecom.location)).set('Accept', HTML);
      assert.equal(res.status, 403);
      assert.match(res.text, /data-page="non-member"/);
      assert.equal((await agent.get('/api/data')).status, 401);
    });
  });
}

describe('login: pre-built links with a fixed state', () => {
  let flow: FlowSetup;
  before(async () => {
    flow = await setupFlow();
  });
  after(async () => {
    await flow.close();
  });

  for (const [entry, path] of [
    ['homepage', '/'],
    ['custom menu', '/orders/42?tab=menu'],
    ['message card', '/orders/99?from=card'],
    ['single-page app (hash route)', '/?tab=orders#/orders/7'],
  ] as const) {
    it(`${entry}: the plain app URL and the pre-built authorize URL both land on ${path}`, async () => {
      const links = flow.wecom.entryLinks(path);
      assert.equal(links.appUrl, BASE_URL + path);

      // The plain URL: the guard starts the login.
      const plain = flow.agent();
      const done = await login(plain, path);
      assert.equal(landedOn(done), path);

      // The pre-built link, as pasted into the admin console (pointing at the emulator here).
      const prebuilt = links.authorizeUrl.replace('https://open.weixin.qq.com', flow.emulator.url);
      assert.match(prebuilt, /state=entry#wechat_redirect$/);
      const agent = flow.agent();
      const exchanges = flow.emulator.callCount('user/getuserinfo');
      const first = await visitWeCom(prebuilt, { user: 'zhangsan' });
      const restart = await agent.get(appPath(first.location)).set('Accept', HTML);
      assert.equal(flow.emulator.callCount('user/getuserinfo'), exchanges, 'the fixed state never exchanges its code');
      assert.equal(restart.status, 302);
      const second = await visitWeCom(restart.headers.location as string, { user: 'zhangsan' });
      const landed = await agent.get(appPath(second.location)).set('Accept', HTML);
      assert.equal(landedOn(landed), path);
      const page = await openPage(agent, path);
      assert.equal(page.status, 200);
      assert.equal(page.body.userId, 'zhangsan');

      // Already logged in: a pre-built link goes straight to its page without WeCom.
      const again = await visitWeCom(prebuilt, { user: 'zhangsan' });
      const direct = await agent.get(appPath(again.location)).set('Accept', HTML);
      assert.equal(landedOn(direct), path);
    });
  }

  it('allowNonMembers lets an app accept non-members', async () => {
    const open = await setupFlow({ emulator: flow.emulator, wecom: { allowNonMembers: true } });
    const agent = open.agent();
    const done = await login(agent, '/orders/3', { ua: WECHAT_UA });
    assert.equal(landedOn(done), '/orders/3');
    const page = await openPage(agent, '/orders/3');
    assert.equal(page.body.user.type, 'non-member');
    assert.ok(page.body.user.openId);
    assert.equal(page.body.userId, undefined);
    await open.close();
  });
});

describe('wecom.currentUser(req)', () => {
  it('reads the identity on a route that does not require a login, and starts none', async () => {
    const holder: { flow?: FlowSetup } = {};
    const flow = await setupFlow({
      mount: (app) =>
        app.get('/whoami', (req, res) => {
          res.json({ user: holder.flow?.wecom.currentUser(req)?.userId ?? null });
        }),
    });
    holder.flow = flow;
    try {
      const agent = flow.agent();
      const anonymous = await openPage(agent, '/whoami');
      assert.equal(anonymous.status, 200, 'no login started');
      assert.equal(anonymous.body.user, null);
      await login(agent, '/orders/1', { user: 'lisi' });
      assert.equal((await agent.get('/whoami')).body.user, 'lisi');
    } finally {
      await flow.close();
    }
  });
});
