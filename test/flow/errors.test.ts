/**
 * Every WeCom error the callback can meet leads to its page; no secret reaches a response or a
 * log line; the session store is awaited before the redirect; cookies carry the right attributes;
 * a failing session store fails closed.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import session from 'express-session';
import supertest from 'supertest';
import { txCookie, setupFlow, visitWeCom, appPath, login, sessionCookie, HTML, openPage, landedOn } from '../helpers/flow.ts';
import type { FlowSetup } from '../helpers/flow.ts';

const CASES: Array<{ errcode: number; page: string; status: number; says: RegExp }> = [
  { errcode: 50001, page: 'wecom-trusted-domain', status: 500, says: /可信域名.*localhost:3000/s },
  { errcode: 60020, page: 'wecom-trusted-ip', status: 500, says: /企业可信IP/ },
  { errcode: 40056, page: 'wecom-agentid', status: 500, says: /AgentId 1000002/ },
  { errcode: 60011, page: 'no-access', status: 403, says: /可见范围/ },
  { errcode: 45009, page: 'rate-limited', status: 503, says: /一分钟后再试/ },
  { errcode: 48002, page: 'wecom-error', status: 502, says: /48002/ },
];

describe('error pages', () => {
  let flow: FlowSetup;
  before(async () => {
    flow = await setupFlow();
  });
  after(async () => {
    await flow.close();
  });

  for (const c of CASES) {
    it(`${c.errcode} at the code exchange -> the ${c.page} page`, async () => {
      const agent = flow.agent();
      const start = await openPage(agent, '/orders/1');
      const wecom = await visitWeCom(start.headers.location as string);
      flow.emulator.faults.failNext(c.errcode, 5, 'user/getuserinfo');
      const res = await agent.get(appPath(wecom.location)).set('Accept', HTML);
      flow.emulator.faults.reset();
      assert.equal(res.status, c.status);
      assert.match(res.headers['content-type'] as string, /^text\/html/);
      assert.match(res.text, new RegExp(`data-page="${c.page}"`));
      assert.match(res.text, c.says);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(res.headers['referrer-policy'], 'no-referrer');
      assert.doesNotMatch(res.text, /<script/i, 'no script: works under the default CSP');
      assert.doesNotMatch(res.text, /at \w+ \(|node:internal|\.ts:\d+/, 'no stack trace');
      assert.equal((await agent.get('/api/data')).status, 401, 'nobody is logged in after an error');
    });
  }

  it('a WeCom timeout -> the timeout page', async () => {
    const slow = await setupFlow({ emulator: flow.emulator, wecom: { timeouts: { connect: 1000, response: 200 } } });
    const agent = slow.agent();
    const start = await openPage(agent, '/orders/1');
    const wecom = await visitWeCom(start.headers.location as string);
    flow.emulator.faults.delay(1500, 'user/getuserinfo');
    try {
      const res = await agent.get(appPath(wecom.location)).set('Accept', HTML);
      assert.equal(res.status, 504);
      assert.match(res.text, /data-page="wecom-timeout"/);
    } finally {
      flow.emulator.faults.reset();
      await slow.close();
    }
  });

  it('a proxy answering an HTML 502 -> the "WeCom unavailable" page', async () => {
    const agent = flow.agent();
    const start = await openPage(agent, '/orders/1');
    const wecom = await visitWeCom(start.headers.location as string);
    flow.emulator.faults.html502(3);
    const res = await agent.get(appPath(wecom.location)).set('Accept', HTML);
    flow.emulator.faults.reset();
    assert.equal(res.status, 502);
    assert.match(res.text, /data-page="wecom-unavailable"/);
  });

  it('English when the browser prefers it', async () => {
    const agent = flow.agent();
    const start = await openPage(agent, '/orders/1');
    const wecom = await visitWeCom(start.headers.location as string);
    flow.emulator.faults.failNext(60011, 1, 'user/getuserinfo');
    const res = await agent.get(appPath(wecom.location)).set('Accept', HTML).set('Accept-Language', 'en-US,en;q=0.9,zh-CN;q=0.5');
    assert.match(res.text, /<html lang="en">/);
    assert.match(res.text, /You have no access to this app/);
  });

  it('a wrong secret names the setting to fix, and no secret, token or code reaches a page or a log line', async () => {
    const wrong = await setupFlow({ emulator: flow.emulator, wecom: { secret: 'not-the-demo-secret-0123' } });
    const agent = wrong.agent();
    const start = await openPage(agent, '/orders/1');
    const wecom = await visitWeCom(start.headers.location as string);
    const code = new URL(wecom.location ?? '').searchParams.get('code') ?? '';
    const res = await agent.get(appPath(wecom.location)).set('Accept', HTML);
    assert.equal(res.status, 500);
    assert.match(res.text, /data-page="wecom-config"/);
    assert.match(res.text, /secret/i);
    const everything = [res.text, JSON.stringify(res.headers), ...wrong.logs].join('\n');
    assert.ok(!everything.includes('not-the-demo-secret-0123'), 'the secret never appears');
    assert.ok(code.length > 0 && !everything.includes(code), 'the code never appears');
    await wrong.close();
  });

  it('across a whole successful login no token, secret or code reaches a response or a log line', async () => {
    const agent = flow.agent();
    const start = await openPage(agent, '/orders/1');
    const wecom = await visitWeCom(start.headers.location as string);
    const code = new URL(wecom.location ?? '').searchParams.get('code') ?? '';
    const back = await agent.get(appPath(wecom.location)).set('Accept', HTML);
    const page = await openPage(agent, '/orders/1');
    const token = flow.emulator.calls.find((c) => c.api === 'user/getuserinfo')?.query.access_token ?? '';
    assert.ok(token.length > 0);
    const everything = [back.text, JSON.stringify(back.headers), page.text, JSON.stringify(page.headers), ...flow.logs].join('\n');
    for (const secret of ['demo-secret', token, code]) assert.ok(!everything.includes(secret), `leaked ${secret.slice(0, 4)}…`);
  });
});

describe('sessions', () => {
  it('cookie attributes: the login cookie is __Host-, HttpOnly, SameSite=Lax, Secure, Path=/; the session cookie HttpOnly, Lax, Path=/, Secure behind a TLS proxy', async () => {
    const flow = await setupFlow({ wecom: { baseUrl: 'https://localhost:3000' }, trustProxy: 1 });
    try {
      const agent = flow.agent();
      const start = await openPage(agent, '/orders/1', { headers: { 'X-Forwarded-Proto': 'https' } });
      const tx = txCookie(start);
      assert.ok(tx);
      assert.match(tx.name, /^__Host-wecom_tx_[A-Za-z0-9]{32}$/, 'no sibling subdomain or plain-http page can set a __Host- cookie');
      assert.deepEqual(tx.attributes, ['Max-Age=600', 'Path=/', 'HttpOnly', 'Secure', 'SameSite=Lax']);
      const redirectUri = new URL(start.headers.location as string).searchParams.get('redirect_uri');
      assert.equal(redirectUri, 'https://localhost:3000/auth/wecom/callback', 'redirect_uri from baseUrl');
      const wecom = await visitWeCom(start.headers.location as string);
      const callback = new URL(wecom.location ?? '');
      // The cookie jar keeps Secure cookies from a plain-http test server: hand the login cookie over as the browser would.
      const back = await agent
        .get(callback.pathname + callback.search)
        .set('Accept', HTML)
        .set('X-Forwarded-Proto', 'https')
        .set('Cookie', `${tx.name}=${tx.value}`);
      assert.equal(landedOn(back), '/orders/1');
      const cookie = sessionCookie(back) ?? '';
      const parts = cookie.split(';').map((p) => p.trim());
      assert.match(parts[0] ?? '', /^wecom\.sid=s%3A[A-Za-z0-9_-]+\.[A-Za-z0-9%/+]+$/);
      assert.ok(parts.includes('Path=/'));
      assert.ok(parts.includes('HttpOnly'));
      assert.ok(parts.includes('Secure'));
      assert.ok(parts.includes('SameSite=Lax'));
      assert.ok(parts.some((p) => p.startsWith('Expires=')));
    } finally {
      await flow.close();
    }
  });

  it('redirect_uri never comes from Host or X-Forwarded-Host', async () => {
    const flow = await setupFlow({ trustProxy: 1 });
    try {
      const headers = { Host: 'evil.example', 'X-Forwarded-Host': 'evil.example' };
      const page = await flow.agent().get('/orders/1').set('Accept', HTML).set(headers);
      assert.match(page.text, /href="\/auth\/wecom\/login\?/, "the start page's link is a path, never built from Host");
      const start = await openPage(flow.agent(), '/orders/1', { headers });
      const redirectUri = new URL(start.headers.location as string).searchParams.get('redirect_uri');
      assert.equal(redirectUri, 'http://localhost:3000/auth/wecom/callback');
    } finally {
      await flow.close();
    }
  });

  it('a failing session store fails closed: 503, never anonymous, never a stack trace', async () => {
    class BrokenStore extends session.MemoryStore {
      broken = false;
      override get(sid: string, cb: (err: unknown, s?: session.SessionData | null) => void): void {
        if (this.broken) {
          const err = new Error('connect ECONNREFUSED 127.0.0.1:6390') as Error & { code: string };
          err.code = 'ECONNREFUSED';
          cb(err);
          return;
        }
        super.get(sid, cb);
      }
    }
    const store = new BrokenStore();
    const flow = await setupFlow({ store });
    try {
      const agent = flow.agent();
      await login(agent, '/orders/1');
      assert.equal((await agent.get('/api/data')).status, 200);
      store.broken = true;
      const api = await agent.get('/api/data');
      assert.equal(api.status, 503);
      assert.equal(api.body.error, 'session_store_unavailable');
      const page = await openPage(agent, '/orders/1');
      assert.equal(page.status, 503);
      assert.match(page.text, /data-page="session-unavailable"/);
      assert.ok(!flow.logs.some((l) => l.startsWith('app-error')));
      store.broken = false;
      assert.equal((await agent.get('/api/data')).status, 200, 'recovers by itself');
    } finally {
      await flow.close();
    }
  });

  it('no session middleware at all is an error, not anonymous access', async () => {
    const express = (await import('express')).default;
    const { wecomAuth } = await import('../../src/wecom-auth.ts');
    const wecom = wecomAuth({ corpId: 'wwdemocorp0000001', agentId: 1000002, secret: 'demo-secret', baseUrl: 'http://localhost:3000' });
    const app = express();
    app.get('/x', wecom.requireUser(), (_req, res) => {
      res.send('let in');
    });
    app.use(wecom.errorHandler());
    const supertest = (await import('supertest')).default;
    const res = await supertest(app).get('/x').set('Accept', HTML);
    assert.equal(res.status, 503);
    assert.doesNotMatch(res.text, /let in/);
    wecom.close();
  });

  it('maxLoginAgeMs ends a login after its absolute lifetime', async () => {
    const flow = await setupFlow({ wecom: { maxLoginAgeMs: 60_000 } });
    try {
      const agent = flow.agent();
      await login(agent, '/orders/1');
      assert.equal((await agent.get('/api/data')).status, 200);
      const realNow = Date.now;
      Date.now = () => realNow() + 61_000;
      try {
        assert.equal((await agent.get('/api/data')).status, 401);
      } finally {
        Date.now = realNow;
      }
    } finally {
      await flow.close();
    }
  });
});

describe('cookie rules the library cannot set itself', () => {
  it('warns once each: https baseUrl reached over http, trust proxy = true, a session cookie without httpOnly or with sameSite none', async () => {
    const warnings: Array<{ code?: string; message: string }> = [];
    const onWarning = (w: Error & { code?: string }) => {
      if (w.name === 'ExpressWeComAuthWarning') warnings.push({ code: w.code, message: w.message });
    };
    process.on('warning', onWarning);
    const { default: express } = await import('express');
    const { wecomAuth } = await import('../../src/wecom-auth.ts');
    const app = express();
    app.set('trust proxy', true);
    const wecom = wecomAuth({ corpId: 'wwdemocorp0000001', agentId: 1000002, secret: 'demo-secret', baseUrl: 'https://app.example.com' });
    app.use(session({ secret: 's', resave: false, saveUninitialized: false, cookie: { httpOnly: false, sameSite: 'none' } }));
    app.use(wecom.router);
    app.get('/', (_req, res) => res.end('ok'));
    try {
      for (let i = 0; i < 3; i++) await supertest(app).get('/');
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(warnings.map((w) => w.code).sort(), [
        'WECOM_AUTH_HTTP_BEHIND_HTTPS',
        'WECOM_AUTH_SESSION_COOKIE_NOT_HTTPONLY',
        'WECOM_AUTH_SESSION_COOKIE_SAMESITE_NONE',
        'WECOM_AUTH_TRUST_PROXY_TRUE',
      ]);
      assert.ok(warnings.every((w) => !w.message.includes('demo-secret')));
    } finally {
      process.off('warning', onWarning);
      wecom.close();
    }
  });
});
