/**
 * Input checked at the door: every parameter of every route, with wrong types, repeats, oversized
 * values, bytes that are not UTF-8 and control characters, gets a 4xx page or JSON (or the login
 * starts afresh), never a 500 or a stack trace, and nothing is stored in the session store.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import session from 'express-session';
import supertest from 'supertest';
import { setupFlow, visitWeCom, appPath, login, HTML } from '../helpers/flow.ts';
import type { FlowSetup, ExpressVariant } from '../helpers/flow.ts';

const BIG = 'a'.repeat(5000); // past every cap of ours, within Node's 16 KB header limit
/** Values that are wrong in some way, as they would appear raw in a query string. */
const NASTY = ['', '%FF%FE', '%00', 'a%0Ab', '%E4%B8', BIG, '%2F%2Fevil.example', '../..', '<script>', '%C0%AE'];

function storedSessions(store: session.MemoryStore): number {
  return Object.keys((store as unknown as { sessions: Record<string, string> }).sessions).length;
}

for (const variant of ['express5', 'express4'] as ExpressVariant[]) {
  describe(`bad input on every route (${variant})`, () => {
    let flow: FlowSetup;
    let store: session.MemoryStore;
    before(async () => {
      store = new session.MemoryStore();
      flow = await setupFlow({ variant, store, wecom: { miniProgram: { sessionSecret: 'test-session-secret', cookieName: 'wecom.sid' } } });
    });
    after(async () => {
      await flow.close();
    });

    it('login, callback and logout: never a 5xx, never a stack trace, nothing stored', async () => {
      const paths: string[] = [];
      for (const v of NASTY) {
        paths.push(`/auth/wecom/login?returnTo=${v}`, `/auth/wecom/login?returnTo=/a&returnTo=/b`, `/auth/wecom/login?returnTo[x]=${v}`);
        for (const p of ['code', 'state', 'attempt', 'to']) {
          paths.push(`/auth/wecom/callback?${p}=${v}`, `/auth/wecom/callback?${p}=${v}&${p}=${v}`, `/auth/wecom/callback?${p}[]=${v}`);
          paths.push(`/auth/wecom/callback?code=abc&state=${'A'.repeat(32)}&${p}=${v}`);
        }
        paths.push(`/auth/wecom/logout?x=${v}`);
      }
      const answers = await Promise.all(paths.map((path) => supertest(flow.app).get(path).set('Accept', HTML)));
      for (const [i, res] of answers.entries()) {
        assert.ok(res.status < 500, `${paths[i]?.slice(0, 80)} -> ${res.status}`);
        assert.doesNotMatch(res.text ?? '', /at \w+ \(|node:internal|\.ts:\d+/, 'no stack trace');
      }
      assert.equal(storedSessions(store), 0, 'nothing stored for any of them');
      assert.equal(flow.logs.filter((l) => l.startsWith('app-error')).length, 0, 'nothing reached the app as an unknown error');
    });

    it('a code of 513 bytes (or with control characters) with a valid state: 400, never exchanged, nothing stored', async () => {
      for (const code of ['c'.repeat(513), 'ab%00cd', 'ab%20cd', '%E4%B8%AD']) {
        const agent = flow.agent();
        const start = await agent.get('/orders/1').set('Accept', HTML);
        const wecom = await visitWeCom(start.headers.location as string);
        const callback = new URL(appPath(wecom.location), 'http://x');
        const exchanges = flow.emulator.callCount('user/getuserinfo');
        const res = await agent.get(`${callback.pathname}?code=${code}&state=${callback.searchParams.get('state')}`).set('Accept', HTML);
        assert.equal(res.status, 400, code.slice(0, 12));
        assert.match(res.text, /data-page="bad-request"/);
        assert.equal(flow.emulator.callCount('user/getuserinfo'), exchanges);
      }
      assert.equal(storedSessions(store), 0);
    });

    it('the JS-SDK endpoint and the mini-program login answer 4xx JSON to the same', async () => {
      const agent = flow.agent();
      await login(agent, '/orders/1');
      const before = storedSessions(store);
      const jssdk = NASTY.flatMap((v) => [
        `url=${v}`,
        `url=${v}&url=${v}`,
        `url[]=${v}`,
        `url=http://localhost:3000/&type=${v}`,
        `url=http://localhost:3000/&renew=${v}`,
      ]);
      for (const query of jssdk) {
        const res = await agent.get(`/auth/wecom/jssdk/config?${query}`);
        assert.ok(res.status >= 400 && res.status < 500, `jssdk ${query.slice(0, 60)} -> ${res.status}`);
        assert.match(
          String(res.headers['content-type']),
          /json/,
          `jssdk ${query.slice(0, 60)} -> ${res.status} ${res.headers['content-type']}`,
        );
      }
      const bodies: Array<[string, string]> = [
        ['application/json', '{"code":'],
        ['application/json', '{"code":["a"]}'],
        ['application/json', JSON.stringify({ code: 'c'.repeat(513) })],
        ['application/json', JSON.stringify({ code: 'a\u0000b' })],
        ['application/json', `{"code":"${BIG}"}`],
        ['application/json', '[1,2]'],
        ['application/json', '"code"'],
        ['application/x-www-form-urlencoded', 'code=abc'],
        ['application/json', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('latin1')],
      ];
      for (const [type, body] of bodies) {
        const res = await supertest(flow.app).post('/auth/wecom/miniprogram/login').set('Content-Type', type).send(body);
        assert.ok(res.status >= 400 && res.status < 500, `miniprogram ${body.slice(0, 30)} -> ${res.status}`);
        assert.match(
          String(res.headers['content-type']),
          /json/,
          `miniprogram ${body.slice(0, 30)} -> ${res.status} ${res.headers['content-type']}`,
        );
      }
      assert.equal(storedSessions(store), before, 'no session written');
    });
  });
}

describe('a page renderer that throws or rejects', () => {
  const failing: Array<[string, () => void | Promise<void>]> = [
    [
      'throws',
      () => {
        throw new Error('template missing');
      },
    ],
    ['rejects (async)', () => Promise.reject(new Error('template missing'))],
    [
      'rejects later (async, after a tick)',
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        throw new Error('template missing');
      },
    ],
  ];
  for (const [how, renderPage] of failing) {
    it(`${how}: a plain 500 page, no unhandled rejection, and the app keeps serving`, async () => {
      const rejections: unknown[] = [];
      const onRejection = (reason: unknown) => rejections.push(reason);
      process.on('unhandledRejection', onRejection);
      const flow = await setupFlow({ wecom: { renderPage } });
      try {
        for (let i = 0; i < 3; i++) {
          const res = await supertest(flow.app).get('/auth/wecom/callback?state=abc&state=def').set('Accept', HTML).timeout(5000);
          assert.equal(res.status, 500);
          assert.match(res.text, /^<!doctype html>/);
          assert.doesNotMatch(res.text, /template missing|at \w+ \(/);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
        assert.deepEqual(rejections, []);
        assert.ok(flow.logs.some((l) => l.includes('renderPage threw')));
        const ok = await flow.agent().get('/orders/1').set('Accept', HTML);
        assert.equal(ok.status, 302, 'still serving');
      } finally {
        process.off('unhandledRejection', onRejection);
        await flow.close();
      }
    });
  }

  it('an async renderer that resolves without answering: the plain page after a grace period, never a hung request', async () => {
    const flow = await setupFlow({ wecom: { renderPage: async () => undefined } });
    try {
      const res = await supertest(flow.app).get('/auth/wecom/callback?state=abc&state=def').set('Accept', HTML).timeout(15_000);
      assert.equal(res.status, 500);
      assert.match(res.text, /^<!doctype html>/);
    } finally {
      await flow.close();
    }
  });

  it('an async renderer that resolves renders the page', async () => {
    const flow = await setupFlow({
      wecom: {
        renderPage: async (page, _req, res) => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          res.status(page.status).type('html').send(`<p>${page.page}</p>`);
        },
      },
    });
    try {
      const res = await supertest(flow.app).get('/auth/wecom/callback?state=abc&state=def').set('Accept', HTML);
      assert.equal(res.status, 400);
      assert.equal(res.text, '<p>bad-request</p>');
    } finally {
      await flow.close();
    }
  });

  it('without errorHandler() mounted, a failed login still shows its page (and says so once in the log)', async () => {
    const flow = await setupFlow();
    // A second app on the same middleware instance's routes but with no errorHandler(): built by hand.
    const { default: express } = await import('express');
    const app = express();
    const bare = (await import('../../src/wecom-auth.ts')).wecomAuth({
      corpId: 'wwdemocorp0000001',
      agentId: 1000002,
      secret: 'demo-secret',
      baseUrl: 'http://localhost:3000',
      apiBaseUrl: flow.emulator.url,
      oauthBaseUrl: flow.emulator.url,
      logger: { warn: (m: string) => flow.logs.push(`warn ${m}`) },
    });
    app.use(session({ secret: 's', resave: false, saveUninitialized: false }));
    app.use(bare.router);
    try {
      const res = await supertest(app).get('/auth/wecom/callback?state=a&state=b').set('Accept', HTML);
      assert.equal(res.status, 400);
      assert.match(res.text, /data-page="bad-request"/);
      await supertest(app).get('/auth/wecom/callback?state=a&state=b').set('Accept', HTML);
      assert.equal(flow.logs.filter((l) => l.includes('mount app.use(wecom.errorHandler())')).length, 1);
    } finally {
      bare.close();
      await flow.close();
    }
  });
});
