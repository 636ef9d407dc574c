/**
 * The mini-program login and the JS-SDK config as an app gets them from `wecomAuth()`: routes in
 * `wecom.router`, `wecom.bearerSession()` before express-session, the same guard.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setupFlow, login, SESSION_SECRET, BASE_URL, HTML, openPage } from '../helpers/flow.ts';
import type { FlowSetup } from '../helpers/flow.ts';
import { jsapiSignature } from '../../src/wecom/index.ts';

describe('wecomAuth(): mini-program login and JS-SDK config through the router', () => {
  let flow: FlowSetup;
  before(async () => {
    flow = await setupFlow({ wecom: { miniProgram: { sessionSecret: SESSION_SECRET, cookieName: 'wecom.sid', checkVisibility: true } } });
  });
  after(async () => {
    await flow.close();
  });

  it('wx.qy.login code -> token -> the guarded API with Authorization: Bearer; session_key never leaves', async () => {
    const code = flow.emulator.issueMiniProgramCode({ userId: 'lisi' });
    const res = await flow.agent().post('/auth/wecom/miniprogram/login').set('Content-Type', 'application/json').send({ code });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.tokenType, 'Bearer');
    assert.equal(res.body.user.userId, 'lisi');
    assert.doesNotMatch(res.text, /session_key|sessionKey/i);
    const api = await flow
      .agent()
      .get('/api/data')
      .set('Authorization', `Bearer ${res.body.token as string}`);
    assert.equal(api.status, 200);
    assert.equal(api.body.userId, 'lisi');
    assert.equal((await flow.agent().get('/api/data')).status, 401);
    const again = await flow.agent().post('/auth/wecom/miniprogram/login').send({ code });
    assert.equal(again.status, 401, 'a code is single use');
    const outside = await flow
      .agent()
      .post('/auth/wecom/miniprogram/login')
      .send({ code: flow.emulator.issueMiniProgramCode({ userId: 'wangwu' }) });
    assert.equal(outside.status, 403, 'checkVisibility: outside the visible range');
  });

  it("the JSON routes answer a wrong method with 405 JSON, not the app's 404", async () => {
    const get = await flow.agent().get('/auth/wecom/miniprogram/login');
    assert.equal(get.status, 405);
    assert.equal(get.headers.allow, 'POST');
    assert.equal(get.body.error, 'invalid_request');
    const post = await flow.agent().post('/auth/wecom/jssdk/config');
    assert.equal(post.status, 405);
  });

  it('GET /auth/wecom/jssdk/config signs a page of this app for a logged-in user, and only then', async () => {
    const anonymous = await flow.agent().get(`/auth/wecom/jssdk/config?url=${encodeURIComponent(`${BASE_URL}/orders/1`)}`);
    assert.equal(anonymous.status, 401);
    const agent = flow.agent();
    await login(agent, '/orders/1');
    const ok = await agent
      .get(`/auth/wecom/jssdk/config?url=${encodeURIComponent(`${BASE_URL}/orders/1?x=1#top`)}`)
      .set('Accept', 'application/json');
    assert.equal(ok.status, 200, ok.text);
    const ticket = await flow.wecom.client.getJsapiTicket();
    assert.equal(
      ok.body.signature,
      jsapiSignature({ ticket, nonceStr: ok.body.nonceStr, timestamp: ok.body.timestamp, url: `${BASE_URL}/orders/1?x=1` }),
    );
    const agentConfig = await agent.get(`/auth/wecom/jssdk/config?type=agent&url=${encodeURIComponent(`${BASE_URL}/`)}`);
    assert.equal(agentConfig.body.agentid, 1000002);
    const foreign = await agent.get(`/auth/wecom/jssdk/config?url=${encodeURIComponent('https://evil.example/')}`).set('Accept', HTML);
    assert.equal(foreign.status, 400);
  });
});

describe('mini-program login: login CSRF through a form post', () => {
  it('a cross-site form (urlencoded, with a global body parser) cannot log a browser in', async () => {
    const express = (await import('express')).default;
    const flow = await setupFlow({
      wecom: { miniProgram: { sessionSecret: SESSION_SECRET, cookieName: 'wecom.sid' } },
    });
    // Apps commonly parse forms globally: here the body is parsed before the route runs.
    const app = express();
    app.use(express.urlencoded({ extended: false }));
    app.use(flow.app);
    try {
      const code = flow.emulator.issueMiniProgramCode({ userId: 'lisi' });
      const res = await (await import('supertest')).default(app).post('/auth/wecom/miniprogram/login').type('form').send(`code=${code}`);
      assert.equal(res.status, 415);
      assert.equal(res.headers['set-cookie'], undefined, 'no session was created');
    } finally {
      await flow.close();
    }
  });
});

describe("errorHandler(): WeCom errors from the app's own routes", () => {
  it('a page gets the page of the cause; an API call gets the shared JSON vocabulary', async () => {
    const flow = await setupFlow({
      mount: (app) => {
        app.get('/colleague/:id', async (req, res, next) => {
          try {
            res.json(await flow.wecom.client.getUser(String(req.params.id)));
          } catch (err) {
            next(err);
          }
        });
      },
    });
    try {
      flow.emulator.faults.failNext(60020, 2, 'user/get');
      const page = await openPage(flow.agent(), '/colleague/lisi');
      assert.equal(page.status, 500);
      assert.match(page.text, /data-page="wecom-trusted-ip"/);
      const api = await flow.agent().get('/colleague/lisi').set('Accept', 'application/json');
      assert.equal(api.status, 500);
      assert.equal(api.body.error, 'server_misconfigured');
      assert.doesNotMatch(api.text, /from ip|hint/);
      flow.emulator.faults.failNext(45009, 1, 'user/get');
      const limited = await flow.agent().get('/colleague/lisi').set('Accept', 'application/json');
      assert.equal(limited.status, 503);
      assert.equal(limited.headers['retry-after'], '60');
      assert.equal(limited.body.error, 'rate_limited');
      const ok = await flow.agent().get('/colleague/lisi').set('Accept', 'application/json');
      assert.equal(ok.body.name, '李四');
    } finally {
      await flow.close();
    }
  });
});
