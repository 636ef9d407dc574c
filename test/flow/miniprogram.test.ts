/**
 * Mini-program login end to end: a js_code from the emulator (standing for wx.qy.login) posted
 * to the handler, the bearer token it answers used on a guarded API route, under Express 5 and 4.
 * No HTTP mocking: the WeCom side is the emulator over loopback.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import session from 'express-session';
import type { Express, NextFunction, Request, Response } from 'express';
import supertest from 'supertest';
import { startEmulator, defaultFixture } from '../../src/emulator/index.ts';
import type { Emulator, EmulatorFixture } from '../../src/emulator/index.ts';
import { WeComClient } from '../../src/wecom/index.ts';
import type { WeComLogger } from '../../src/wecom/index.ts';
import { wecomAuth } from '../../src/wecom-auth.ts';
import type { WeComAuth } from '../../src/wecom-auth.ts';
import { createMiniProgramLogin } from '../../src/express/miniprogram.ts';
import { WECOM_UA } from '../helpers/flow.ts';
import { bearerSession, sessionToken } from '../../src/express/bearer-session.ts';

const require = createRequire(import.meta.url);

const CORP_A = 'wwdemocorp0000001';
const CORP_B = 'wwothercorp000002';
const CORP_C = 'wwthirdcorp000003';
const SESSION_SECRET = 'test-session-secret';
const COOKIE = 'wecom.sid';
const LOGIN = '/auth/wecom/miniprogram/login';

/** The demo corp, plus B (its own app and mini program, linked to our mini program too) and C (not allowed). */
function fixture(): EmulatorFixture {
  const base = defaultFixture();
  return {
    corps: [
      ...base.corps,
      {
        corpId: CORP_B,
        name: '第二企业',
        apps: [
          {
            agentId: 1000005,
            name: '第二应用',
            secret: 'other-secret',
            enabled: true,
            trustedDomains: ['localhost:3000'],
            visibleUserIds: ['zhaoliu'],
            sensitiveFieldsEnabled: false,
            createdAfter20220620: true,
          },
        ],
        members: [{ userId: 'zhaoliu', name: '赵六', department: [1] }],
        nonMembers: [],
        miniPrograms: [{ appId: 'wxothermini000002', name: '第二小程序', agentId: 1000005 }],
      },
      {
        corpId: CORP_C,
        name: '第三企业',
        apps: [
          {
            agentId: 1000009,
            name: '第三应用',
            secret: 'third-secret',
            enabled: true,
            trustedDomains: [],
            visibleUserIds: [],
            sensitiveFieldsEnabled: false,
            createdAfter20220620: true,
          },
        ],
        members: [{ userId: 'qianqi', name: '钱七', department: [1] }],
        nonMembers: [],
        miniPrograms: [],
      },
    ],
  };
}

type Variant = 'express5' | 'express4';

for (const variant of ['express5', 'express4'] as Variant[]) {
  describe(`mini-program login (${variant})`, () => {
    let emulator: Emulator;
    let wecom: WeComAuth;
    let clientB: WeComClient;
    let app: Express;
    const logs: string[] = [];
    /** Every response body and header block the tests saw, for the leak check. */
    const seen: string[] = [];
    /** Every js_code handed out. */
    const codes: string[] = [];
    /** session_keys read on the server from req.session.wecomMiniProgram, as docs/ways-in.md says. */
    const sessionKeys: string[] = [];
    const extraClients: WeComClient[] = [];

    const logger: WeComLogger = {
      debug: (msg, fields) => logs.push(`debug ${msg} ${JSON.stringify(fields ?? {})}`),
      warn: (msg, fields) => logs.push(`warn ${msg} ${JSON.stringify(fields ?? {})}`),
      error: (msg, fields) => logs.push(`error ${msg} ${JSON.stringify(fields ?? {})}`),
    };

    function code(input: { userId: string; corpId?: string; appId?: string }): string {
      const c = emulator.issueMiniProgramCode(input);
      codes.push(c);
      return c;
    }

    function record(res: supertest.Response): supertest.Response {
      seen.push(res.text ?? '', JSON.stringify(res.headers));
      return res;
    }

    async function post(path: string, body: unknown): Promise<supertest.Response> {
      return record(await supertest(app).post(path).set('Content-Type', 'application/json').send(JSON.stringify(body)));
    }

    async function get(path: string, token?: string): Promise<supertest.Response> {
      const req = supertest(app).get(path).set('Accept', 'application/json');
      if (token !== undefined) req.set('Authorization', `Bearer ${token}`);
      return record(await req);
    }

    before(async () => {
      emulator = await startEmulator({ port: 0, fixture: fixture() });
      wecom = wecomAuth({
        corpId: CORP_A,
        agentId: 1000002,
        secret: 'demo-secret',
        baseUrl: 'http://localhost:3000',
        apiBaseUrl: emulator.url,
        oauthBaseUrl: emulator.url,
        loginBaseUrl: emulator.url,
        logger,
      });
      clientB = new WeComClient({ corpId: CORP_B, agentId: 1000005, secret: 'other-secret', apiBaseUrl: emulator.url, logger });
      const slowClient = new WeComClient({
        corpId: CORP_A,
        agentId: 1000002,
        secret: 'demo-secret',
        apiBaseUrl: emulator.url,
        timeouts: { response: 300 },
        logger,
      });
      const wrongSecret = new WeComClient({ corpId: CORP_A, agentId: 1000002, secret: 'not-the-secret', apiBaseUrl: emulator.url, logger });
      extraClients.push(clientB, slowClient, wrongSecret);
      const express = require(variant === 'express4' ? 'express4' : 'express') as (() => Express) & {
        json(options?: unknown): (req: Request, res: Response, next: NextFunction) => void;
      };

      app = express();
      app.use(bearerSession({ cookieName: COOKIE }));
      app.use(
        session({
          name: COOKIE,
          secret: SESSION_SECRET,
          resave: false,
          saveUninitialized: false,
          cookie: { httpOnly: true, sameSite: 'lax', secure: false, maxAge: 3_600_000 },
        }),
      );
      app.use(wecom.router);
      const common = { sessionSecret: SESSION_SECRET, logger };
      app.post(LOGIN, createMiniProgramLogin({ client: wecom.client, keepSessionKey: true, ...common }));
      app.post('/mp/plain', createMiniProgramLogin({ client: wecom.client, ...common }));
      app.post('/mp/parsed', express.json({ limit: '1kb' }), createMiniProgramLogin({ client: wecom.client, ...common }));
      app.post('/mp/visible', createMiniProgramLogin({ client: wecom.client, ...common }));
      app.post('/mp/unchecked', createMiniProgramLogin({ client: wecom.client, checkVisibility: false, ...common }));
      // Logins made "two hours ago" (the handler's clock), lasting one hour: over before their first use.
      const twoHoursAgo = () => Date.now() - 2 * 3600_000;
      app.post('/mp/stale', createMiniProgramLogin({ client: wecom.client, maxAgeMs: 3600_000, now: twoHoursAgo, ...common }));
      app.post(
        '/mp/refuse',
        createMiniProgramLogin({
          client: wecom.client,
          onLogin: (user) => {
            if (user.userId === 'lisi') throw new Error('lisi is on leave');
            return { ...user, profile: { team: 'ops' } };
          },
          ...common,
        }),
      );
      app.post(
        '/mp/multi',
        createMiniProgramLogin({
          client: (corpId) => (corpId === CORP_A ? wecom.client : corpId === CORP_B ? clientB : undefined),
          allowedCorpIds: [CORP_A, CORP_B],
          ...common,
        }),
      );
      // A hook that builds a user of its own (no expiresAt, no via): the login must still end.
      app.post(
        '/mp/rebuilt',
        createMiniProgramLogin({
          client: wecom.client,
          maxAgeMs: 3600_000,
          now: () => Date.now() - 2 * 3600_000,
          onLogin: (user) => ({ type: 'member', userId: user.userId, corpId: user.corpId, agentId: user.agentId, loginAt: user.loginAt }),
          ...common,
        }),
      );
      app.post('/mp/slow', createMiniProgramLogin({ client: slowClient, ...common }));
      app.post('/mp/misconfigured', createMiniProgramLogin({ client: wrongSecret, ...common }));
      app.get('/api/me', wecom.requireUser({ json: true }), (req: Request, res: Response) => {
        res.json({ user: req.wecomUser });
      });
      app.get('/api/any-session', (req: Request, res: Response) => {
        res.json({ user: (req.session as { wecom?: unknown }).wecom ?? null });
      });
      app.get('/api/decrypt', wecom.requireUser({ json: true }), (req: Request, res: Response) => {
        const key = req.session.wecomMiniProgram?.sessionKey;
        if (key) sessionKeys.push(key);
        res.json({ hasSessionKey: key !== undefined });
      });
      app.use(wecom.errorHandler());
      app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
        logs.push(`app-error ${err instanceof Error ? err.name : String(err)}`);
        res.status(500).json({ error: 'app_error' });
      });
    });

    after(async () => {
      for (const c of extraClients) c.close();
      wecom.close();
      await emulator.close();
    });

    it('a wx.qy.login code gives a bearer token that opens a guarded API route', async () => {
      const res = await post(LOGIN, { code: code({ userId: 'zhangsan' }) });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.match(String(res.headers['content-type']), /^application\/json/);
      assert.deepEqual(Object.keys(res.body).sort(), ['expiresAt', 'idleTimeoutMs', 'token', 'tokenType', 'user']);
      assert.equal(res.body.idleTimeoutMs, 3_600_000, "unused for the cookie's maxAge, the session ends");
      assert.equal(res.body.tokenType, 'Bearer');
      assert.deepEqual(res.body.user, { userId: 'zhangsan', corpId: CORP_A });
      assert.match(res.body.token, /^[A-Za-z0-9\-._~+/]+=*$/, 'an RFC 6750 b64token');
      assert.ok(Math.abs(res.body.expiresAt - (Date.now() + 3_600_000)) < 60_000, "by default the cookie's maxAge after the login");
      assert.equal(emulator.calls.filter((c) => c.api === 'miniprogram/jscode2session').at(-1)?.query.grant_type, 'authorization_code');

      const me = await get('/api/me', res.body.token);
      assert.equal(me.status, 200, me.text);
      assert.equal(me.body.user.userId, 'zhangsan');
      assert.equal(me.body.user.corpId, CORP_A);
      assert.equal(me.body.user.agentId, 1000002);
      assert.equal(me.body.user.type, 'member');
      assert.equal(me.body.user.via, 'miniprogram');
      assert.ok(Math.abs(me.body.user.loginAt - Date.now()) < 60_000);
      assert.equal(JSON.stringify(me.body).includes('session'), false, 'no session_key next to the user');

      const decrypt = await get('/api/decrypt', res.body.token);
      assert.equal(decrypt.body.hasSessionKey, true, 'keepSessionKey keeps it on the server');
      assert.ok((sessionKeys.at(-1) ?? '').length > 0);
    });

    it('the lifetime announced is the lifetime enforced: a token used all along stops at expiresAt', async () => {
      const res = await post('/mp/stale', { code: code({ userId: 'zhangsan' }) });
      assert.equal(res.status, 200, res.text);
      assert.ok(res.body.expiresAt < Date.now(), 'announced as over an hour ago');
      for (let i = 0; i < 3; i++) {
        // Each use slides the session in the store; the login stays over all the same.
        const me = await get('/api/me', res.body.token);
        assert.equal(me.status, 401, `use ${i + 1}`);
      }
      const fresh = await post(LOGIN, { code: code({ userId: 'zhangsan' }) });
      const me = await get('/api/me', fresh.body.token);
      assert.equal(me.status, 200);
      assert.equal(me.body.user.expiresAt, fresh.body.expiresAt, 'the login carries the expiry it announced');
    });

    it('an onLogin hook that returns a user of its own cannot drop the expiry', async () => {
      const res = await post('/mp/rebuilt', { code: code({ userId: 'zhangsan' }) });
      assert.equal(res.status, 200, res.text);
      assert.ok(res.body.expiresAt < Date.now(), 'announced as over');
      assert.equal((await get('/api/me', res.body.token)).status, 401, 'and over it is');
    });

    it("a browser login made with a bearer token gives a new session: the token's is not extended", async () => {
      const mp = await post(LOGIN, { code: code({ userId: 'zhangsan' }) });
      assert.equal(mp.status, 200);
      // The client sends its token along on a browser-style login (bearerSession() turns it into the session cookie).
      const start = await supertest(app).get('/auth/wecom/login?returnTo=/api/me').set('Accept', 'text/html').set('User-Agent', WECOM_UA);
      const tx = (start.headers['set-cookie'] as unknown as string[]).find((c) => c.includes('wecom_tx_'))?.split(';')[0] ?? '';
      const wecomAnswer = await fetch(start.headers.location as string, {
        redirect: 'manual',
        headers: { 'user-agent': WECOM_UA, 'x-wecom-emulator-user': 'zhangsan' },
      });
      const callback = new URL(wecomAnswer.headers.get('location') ?? '');
      const back = await supertest(app)
        .get(callback.pathname + callback.search)
        .set('Accept', 'text/html')
        .set('User-Agent', WECOM_UA)
        .set('Authorization', `Bearer ${mp.body.token}`)
        .set('Cookie', tx);
      assert.equal(back.status, 302);
      const issued = (back.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith(`${COOKIE}=`)) ?? '';
      assert.ok(issued && !issued.includes(encodeURIComponent(mp.body.token.split('.')[0])), 'a new session id');
      assert.equal((await get('/api/me', mp.body.token)).status, 401, "the token's session ended with the new login");
    });

    it('without a token the guarded route answers 401 JSON', async () => {
      const res = await get('/api/me');
      assert.equal(res.status, 401);
      assert.equal(res.body.error, 'unauthenticated');
    });

    it('a forged, tampered or malformed token is refused', async () => {
      const ok = await post(LOGIN, { code: code({ userId: 'zhangsan' }) });
      const token = ok.body.token as string;
      const [sid = '', signature = ''] = token.split('.');
      const flipped = signature.slice(0, -1) + (signature.endsWith('A') ? 'B' : 'A');
      const attempts = [
        `${sid}.${flipped}`, // signature altered
        `${sid}x.${signature}`, // session id altered
        sessionToken(sid, 'a-guessed-secret'), // signed with another secret
        sessionToken('attacker-chosen-session-id', 'a-guessed-secret'),
        sid, // unsigned session id
        `${token}%20`, // not a b64token
      ];
      for (const attempt of attempts) {
        const res = await get('/api/me', attempt);
        assert.equal(res.status, 401, `refused: ${attempt}`);
      }
      assert.equal((await get('/api/me', token)).status, 200, 'the genuine token still works');
      const lower = await record(await supertest(app).get('/api/me').set('Authorization', `bearer ${token}`));
      assert.equal(lower.status, 200, 'the auth scheme is case-insensitive');
    });

    it('the bearer token wins over a session cookie, and other cookies survive', async () => {
      const a = await post(LOGIN, { code: code({ userId: 'zhangsan' }) });
      const b = await post(LOGIN, { code: code({ userId: 'lisi' }) });
      const res = await record(
        await supertest(app)
          .get('/api/me')
          .set('Authorization', `Bearer ${b.body.token}`)
          .set('Cookie', `theme=dark; ${COOKIE}=${encodeURIComponent(`s:${a.body.token}`)}`),
      );
      assert.equal(res.body.user.userId, 'lisi');
      const cookieOnly = await record(
        await supertest(app)
          .get('/api/me')
          .set('Cookie', `${COOKIE}=${encodeURIComponent(`s:${a.body.token}`)}`),
      );
      assert.equal(cookieOnly.body.user.userId, 'zhangsan', 'the token is the session cookie value');
    });

    it('each login gets a new session (no fixation) and logout with the token ends it', async () => {
      const first = await post(LOGIN, { code: code({ userId: 'zhangsan' }) });
      const second = await post(LOGIN, { code: code({ userId: 'zhangsan' }) });
      assert.notEqual(first.body.token, second.body.token);
      const logout = await record(
        await supertest(app)
          .post('/auth/wecom/logout')
          .set('Authorization', `Bearer ${second.body.token}`)
          .set('Accept', 'application/json'),
      );
      assert.ok(logout.status < 500, logout.text);
      assert.equal((await get('/api/me', second.body.token)).status, 401, 'the old token names a destroyed session');
      assert.equal((await get('/api/me', first.body.token)).status, 200, 'another login is unaffected');
    });

    it('a code is single use: the second exchange answers 401 invalid_code', async () => {
      const c = code({ userId: 'lisi' });
      assert.equal((await post(LOGIN, { code: c })).status, 200);
      const again = await post(LOGIN, { code: c });
      assert.equal(again.status, 401);
      assert.equal(again.body.error, 'invalid_code');
      const unknown = await post(LOGIN, { code: 'never-issued-code' });
      assert.equal(unknown.status, 401);
      assert.equal(unknown.body.error, 'invalid_code');
    });

    it('without keepSessionKey the session_key is not stored', async () => {
      const res = await post('/mp/plain', { code: code({ userId: 'zhangsan' }) });
      assert.equal(res.status, 200);
      assert.equal((await get('/api/decrypt', res.body.token)).body.hasSessionKey, false);
    });

    it('bad requests answer 400/405/413/415 JSON invalid_request without calling WeCom', async () => {
      const before = emulator.callCount('miniprogram/jscode2session');
      const cases: [unknown, number][] = [
        [{}, 400],
        [{ code: 123 }, 400],
        [{ code: '' }, 400],
        [{ code: ['a', 'b'] }, 400],
        [{ code: 'x'.repeat(513) }, 400],
        [{ code: 'has space' }, 400],
        [{ code: 'ok', corpId: 42 }, 400],
        [[], 400],
        ['just a string', 400],
      ];
      for (const [body, status] of cases) {
        const res = await post(LOGIN, body);
        assert.equal(res.status, status, JSON.stringify(body));
        assert.equal(res.body.error, 'invalid_request');
      }
      const notJson = record(await supertest(app).post(LOGIN).set('Content-Type', 'application/json').send('{"code":'));
      assert.equal(notJson.status, 400);
      const form = record(await supertest(app).post(LOGIN).type('form').send('code=abc'));
      assert.equal(form.status, 415);
      assert.equal(form.body.error, 'invalid_request');
      const big = record(
        await supertest(app)
          .post(LOGIN)
          .set('Content-Type', 'application/json')
          .send(JSON.stringify({ code: 'a', pad: 'x'.repeat(10_000) })),
      );
      assert.equal(big.status, 413);
      assert.equal(emulator.callCount('miniprogram/jscode2session'), before, 'nothing reached WeCom');
    });

    it('works behind express.json() too', async () => {
      const res = await post('/mp/parsed', { code: code({ userId: 'zhangsan' }) });
      assert.equal(res.status, 200, res.text);
      assert.equal((await get('/api/me', res.body.token)).body.user.userId, 'zhangsan');
      const missing = await post('/mp/parsed', { nope: 1 });
      assert.equal(missing.status, 400);
    });

    it('checkVisibility (on by default, as in wecomAuth): wangwu (outside the visible range, 60011) gets 403 no_access and no session', async () => {
      const res = await post('/mp/visible', { code: code({ userId: 'wangwu' }) });
      assert.equal(res.status, 403);
      assert.equal(res.body.error, 'no_access');
      assert.equal(res.body.token, undefined);
      assert.equal(res.headers['set-cookie'], undefined, 'no session created');
      assert.equal(emulator.calls.filter((c) => c.api === 'user/get').at(-1)?.errcode, 60011);
      const ok = await post('/mp/visible', { code: code({ userId: 'lisi' }) });
      assert.equal(ok.status, 200);
      const without = await post('/mp/unchecked', { code: code({ userId: 'wangwu' }) });
      assert.equal(without.status, 200, 'with checkVisibility: false WeCom decides alone');
    });

    it('onLogin can enrich the user or refuse the login (403 login_refused)', async () => {
      const ok = await post('/mp/refuse', { code: code({ userId: 'zhangsan' }) });
      assert.equal(ok.status, 200);
      assert.deepEqual((await get('/api/me', ok.body.token)).body.user.profile, { team: 'ops' });
      const refused = await post('/mp/refuse', { code: code({ userId: 'lisi' }) });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error, 'login_refused');
      assert.equal(refused.text.includes('on leave'), false, "the hook's message stays on the server");
    });

    it('a corp not in allowedCorpIds is refused with 403 corp_not_allowed', async () => {
      // A member of corp C opening our mini program: WeCom returns corpid C.
      const res = await post(LOGIN, { code: code({ userId: 'qianqi', corpId: CORP_C, appId: 'wxdemominiprogram1' }) });
      assert.equal(res.status, 403);
      assert.equal(res.body.error, 'corp_not_allowed');
      const multi = await post('/mp/multi', { code: code({ userId: 'qianqi', corpId: CORP_C, appId: 'wxdemominiprogram1' }) });
      assert.equal(multi.status, 403);
      assert.equal(multi.body.error, 'corp_not_allowed');
      const before = emulator.callCount('miniprogram/jscode2session');
      const hinted = await post('/mp/multi', { code: 'whatever', corpId: CORP_C });
      assert.equal(hinted.status, 403, 'a corp hint outside the list is refused before calling WeCom');
      assert.equal(emulator.callCount('miniprogram/jscode2session'), before);
    });

    it("several linked corps: a member of B exchanged with A's token is asked for a new code for B (409), then logs in as B", async () => {
      const first = await post('/mp/multi', { code: code({ userId: 'zhaoliu', corpId: CORP_B, appId: 'wxdemominiprogram1' }) });
      assert.equal(first.status, 409);
      assert.equal(first.body.error, 'wrong_corp');
      assert.equal(first.body.corpId, CORP_B);
      const second = await post('/mp/multi', {
        code: code({ userId: 'zhaoliu', corpId: CORP_B, appId: 'wxothermini000002' }),
        corpId: CORP_B,
      });
      assert.equal(second.status, 200, second.text);
      assert.deepEqual(second.body.user, { userId: 'zhaoliu', corpId: CORP_B });
      const stored = await get('/api/any-session', second.body.token);
      assert.equal(stored.body.user.corpId, CORP_B);
      assert.equal(stored.body.user.agentId, 1000005, "the agent of corp B's app");
      assert.equal(emulator.calls.filter((c) => c.api === 'miniprogram/jscode2session').at(-1)?.errcode, 0);
    });

    it('92002 (mini program not associated with this app) answers 403 cross_corp', async () => {
      const res = await post('/mp/multi', {
        code: code({ userId: 'zhangsan', corpId: CORP_A, appId: 'wxothermini000002' }),
        corpId: CORP_A,
      });
      assert.equal(res.status, 403);
      assert.equal(res.body.error, 'cross_corp');
      assert.equal(emulator.calls.filter((c) => c.api === 'miniprogram/jscode2session').at(-1)?.errcode, 92002);
    });

    it('45009 answers 503 with Retry-After; -1 busy 503; a timeout 504; a bad secret 500 with a safe message', async () => {
      emulator.faults.failNext(45009, 1, 'miniprogram/jscode2session');
      const limited = await post(LOGIN, { code: code({ userId: 'zhangsan' }) });
      assert.equal(limited.status, 503);
      assert.equal(limited.body.error, 'rate_limited');
      assert.equal(limited.headers['retry-after'], '60');

      emulator.faults.failNext(-1, 1, 'miniprogram/jscode2session');
      const busy = await post(LOGIN, { code: code({ userId: 'zhangsan' }) });
      assert.equal(busy.status, 503, 'never retried: the code is single use');
      assert.equal(busy.body.error, 'wecom_unavailable');

      await extraClients[1]?.getAccessToken();
      emulator.faults.delay(1500, 'miniprogram/jscode2session');
      try {
        const slow = await post('/mp/slow', { code: code({ userId: 'zhangsan' }) });
        assert.equal(slow.status, 504);
        assert.equal(slow.body.error, 'wecom_timeout');
      } finally {
        emulator.faults.reset();
      }

      const misconfigured = await post('/mp/misconfigured', { code: code({ userId: 'zhangsan' }) });
      assert.equal(misconfigured.status, 500);
      assert.equal(misconfigured.body.error, 'server_misconfigured');
      assert.equal(/secret|40001|gettoken/i.test(misconfigured.body.message as string), false, 'no detail for the client');
      assert.ok(
        logs.some((l) => l.startsWith('error') && l.includes('"errcode":40001') && l.includes('secret')),
        'the operator gets the hint',
      );
    });

    it('the session store down answers 503 JSON', async () => {
      const broken = (require(variant === 'express4' ? 'express4' : 'express') as () => Express)();
      broken.post('/login', createMiniProgramLogin({ client: wecom.client, sessionSecret: SESSION_SECRET, logger }));
      const res = record(
        await supertest(broken)
          .post('/login')
          .set('Content-Type', 'application/json')
          .send(JSON.stringify({ code: code({ userId: 'zhangsan' }) })),
      );
      assert.equal(res.status, 503);
      assert.equal(res.body.error, 'session_store_unavailable');
    });

    it('GET is refused with 405', async () => {
      const app2 = (require(variant === 'express4' ? 'express4' : 'express') as () => Express)();
      app2.use(LOGIN, createMiniProgramLogin({ client: wecom.client, sessionSecret: SESSION_SECRET }));
      const res = record(await supertest(app2).get(LOGIN));
      assert.equal(res.status, 405);
      assert.equal(res.headers.allow, 'POST');
    });

    it('session_key, access_token and code never appear in any answer, header or log line', async () => {
      const tokens = new Set(emulator.calls.map((c) => c.query.access_token).filter((t): t is string => typeof t === 'string'));
      tokens.add(await wecom.client.getAccessToken());
      assert.ok(codes.length > 20 && sessionKeys.length > 0 && tokens.size > 0);
      const haystacks = [...seen, ...logs];
      for (const secret of [...codes, ...sessionKeys, ...tokens]) {
        for (const text of haystacks) {
          assert.equal(text.includes(secret), false, `leaked ${secret.slice(0, 6)}… in ${text.slice(0, 120)}`);
        }
      }
      // Nor a credential field (`access_token=…`, `"session_key": …`); names in hints are fine.
      const named = haystacks.filter((t) =>
        /\b(session_key|access_token|js_code|code)=|"(session_key|sessionKey|access_token|js_code|code)"\s*:/.test(t),
      );
      assert.deepEqual(named, [], 'no credential field at all');
      assert.equal(
        logs.some((l) => l.startsWith('app-error')),
        false,
        'nothing fell through to the app error handler',
      );
    });
  });
}
