/**
 * JS-SDK config signatures end to end: the handler against the emulator over loopback. A login
 * through the mini-program handler (bearer token) stands for "a logged-in page".
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import type { Express } from 'express';
import session from 'express-session';
import supertest from 'supertest';
import { startEmulator } from '../../src/emulator/index.ts';
import type { Emulator } from '../../src/emulator/index.ts';
import { MemoryTokenCache, WeComClient, jsapiSignature } from '../../src/wecom/index.ts';
import type { TokenCache } from '../../src/wecom/index.ts';
import { RedisTokenCache } from '../../src/redis/index.ts';
import { createMiniProgramLogin } from '../../src/express/miniprogram.ts';
import { bearerSession } from '../../src/express/bearer-session.ts';
import { checkPageUrl, createJsapiConfigHandler } from '../../src/express/jssdk.ts';
import type { JsapiConfigHandlerOptions } from '../../src/express/jssdk.ts';
import { startRedisServer } from '../helpers/redis-server.ts';
import { connectClient, destroyAll } from '../helpers/redis-clients.ts';
import type { TestClient } from '../helpers/redis-clients.ts';

const CORP = 'wwdemocorp0000001';
const BASE_URL = 'http://localhost:3000';
const CONFIG = '/auth/wecom/jssdk/config';
const SESSION_SECRET = 'test-session-secret';

// docs/wecom-api.md §7 vectors.
const VECTOR = {
  ticket: 'sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg',
  nonceStr: 'Wm3WZYTPz0wzccnW',
  timestamp: 1414587457,
};

describe('JS-SDK config', () => {
  let emulator: Emulator;
  const clients: WeComClient[] = [];

  function newClient(options: { tokenCache?: TokenCache; now?: () => number } = {}): WeComClient {
    const client = new WeComClient({ corpId: CORP, agentId: 1000002, secret: 'demo-secret', apiBaseUrl: emulator.url, ...options });
    clients.push(client);
    return client;
  }

  /** An app with a mini-program login (for a logged-in user) and the config handler. */
  function appWith(client: WeComClient, options: Partial<JsapiConfigHandlerOptions> = {}): Express {
    const app = express();
    app.use(bearerSession({ cookieName: 'wecom.sid' }));
    app.use(session({ name: 'wecom.sid', secret: SESSION_SECRET, resave: false, saveUninitialized: false }));
    app.post('/mp/login', createMiniProgramLogin({ client, sessionSecret: SESSION_SECRET }));
    app.get(CONFIG, createJsapiConfigHandler({ client, baseUrl: BASE_URL, ...options }));
    return app;
  }

  async function tokenFor(app: Express, userId = 'zhangsan'): Promise<string> {
    const res = await supertest(app)
      .post('/mp/login')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ code: emulator.issueMiniProgramCode({ userId }) }));
    assert.equal(res.status, 200, res.text);
    return res.body.token as string;
  }

  function config(app: Express, token: string | undefined, query: string): supertest.Test {
    const req = supertest(app).get(`${CONFIG}?${query}`);
    return token === undefined ? req : req.set('Authorization', `Bearer ${token}`);
  }

  const q = (url: string, extra = ''): string => `url=${encodeURIComponent(url)}${extra}`;

  before(async () => {
    emulator = await startEmulator({ port: 0 });
  });
  after(async () => {
    for (const client of clients) client.close();
    await emulator.close();
  });

  it('both docs/wecom-api.md §7 vectors reproduce through jsapiSignature', () => {
    assert.equal(jsapiSignature({ ...VECTOR, url: 'http://mp.weixin.qq.com?params=value' }), '0f9de62fce790f9a083d5c99e95740ceb90c27ed');
    assert.equal(jsapiSignature({ ...VECTOR, url: 'http://mp.weixin.qq.com' }), 'f4d90daf4b3bca3078ab155816175ba34c443a7b');
    assert.equal(
      jsapiSignature({ ...VECTOR, url: 'http://mp.weixin.qq.com?params=value#/tab' }),
      '0f9de62fce790f9a083d5c99e95740ceb90c27ed',
      'the fragment is not signed',
    );
    assert.equal(
      jsapiSignature({ ...VECTOR, timestamp: String(VECTOR.timestamp), url: 'http://mp.weixin.qq.com' }),
      'f4d90daf4b3bca3078ab155816175ba34c443a7b',
    );
  });

  it('wx.config: a logged-in page gets {appId, timestamp, nonceStr, signature} that verifies against the corp ticket', async () => {
    emulator.clearCalls();
    const client = newClient();
    const app = appWith(client);
    const token = await tokenFor(app);
    const page = `${BASE_URL}/orders/123?tab=2&q=%E4%B8%AD`;
    const res = await config(app, token, q(page));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.deepEqual(Object.keys(res.body).sort(), ['appId', 'nonceStr', 'signature', 'timestamp']);
    assert.equal(res.body.appId, CORP);
    assert.ok(Number.isInteger(res.body.timestamp) && Math.abs(res.body.timestamp - Date.now() / 1000) < 60, 'seconds, now');
    assert.match(res.body.nonceStr, /^[A-Za-z0-9]{16}$/);
    assert.match(res.body.signature, /^[0-9a-f]{40}$/);
    const ticket = await client.getJsapiTicket();
    assert.equal(res.body.signature, jsapiSignature({ ticket, nonceStr: res.body.nonceStr, timestamp: res.body.timestamp, url: page }));
    assert.equal(emulator.callCount('get_jsapi_ticket'), 1);
    assert.equal(res.text.includes(ticket), false, 'the ticket itself never leaves the server');
  });

  it('a url with a fragment is signed without it', async () => {
    const client = newClient();
    const app = appWith(client);
    const token = await tokenFor(app);
    const res = await config(app, token, q(`${BASE_URL}/spa/?x=1#/orders/7`));
    assert.equal(res.status, 200);
    const ticket = await client.getJsapiTicket();
    assert.equal(
      res.body.signature,
      jsapiSignature({ ticket, nonceStr: res.body.nonceStr, timestamp: res.body.timestamp, url: `${BASE_URL}/spa/?x=1` }),
    );
  });

  it('the ticket is fetched once across many requests, concurrent or not', async () => {
    emulator.clearCalls();
    const client = newClient();
    const app = appWith(client);
    const token = await tokenFor(app);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => config(app, token, q(`${BASE_URL}/page/${i}`))));
    for (let i = 0; i < 10; i++) answers.push(await config(app, token, q(`${BASE_URL}/seq/${i}`)));
    assert.ok(answers.every((r) => r.status === 200));
    assert.equal(emulator.callCount('get_jsapi_ticket'), 1);
    assert.equal(emulator.callCount('gettoken'), 1);
  });

  it('the cached ticket is refreshed before it expires, like the access_token', async () => {
    emulator.clearCalls();
    let now = Date.now();
    const client = newClient({ now: () => now, tokenCache: new MemoryTokenCache({ now: () => now }) });
    const app = appWith(client, { requireUser: false });
    assert.equal((await config(app, undefined, q(`${BASE_URL}/`))).status, 200);
    now += 6_000_000; // 100 min: within 7200 s minus the 300 s margin
    assert.equal((await config(app, undefined, q(`${BASE_URL}/`))).status, 200);
    assert.equal(emulator.callCount('get_jsapi_ticket'), 1);
    now += 1_000_000; // past 6900 s
    assert.equal((await config(app, undefined, q(`${BASE_URL}/`))).status, 200);
    assert.equal(emulator.callCount('get_jsapi_ticket'), 2);
  });

  it('renew=1 (wx.config failed with 40093) renews a ticket only when it is older than 5 minutes, once for many reports', async () => {
    emulator.clearCalls();
    let now = Date.now();
    const client = newClient({ now: () => now, tokenCache: new MemoryTokenCache({ now: () => now }) });
    const app = appWith(client, { requireUser: false });
    assert.equal((await config(app, undefined, q(`${BASE_URL}/`))).status, 200);
    assert.equal((await config(app, undefined, q(`${BASE_URL}/`, '&renew=1'))).status, 200);
    assert.equal(emulator.callCount('get_jsapi_ticket'), 1, 'a fresh ticket is not renewed');
    now += 6 * 60_000;
    const answers = await Promise.all(Array.from({ length: 20 }, () => config(app, undefined, q(`${BASE_URL}/`, '&renew=1'))));
    assert.ok(answers.every((a) => a.status === 200));
    assert.equal(emulator.callCount('get_jsapi_ticket'), 2, 'twenty reports, one renewal');
    assert.equal((await config(app, undefined, q(`${BASE_URL}/`, '&renew=1'))).status, 200);
    assert.equal(emulator.callCount('get_jsapi_ticket'), 2, 'the renewed ticket is young again');
    now += 6 * 60_000;
    assert.equal((await config(app, undefined, q(`${BASE_URL}/`, '&type=agent&renew=1'))).status, 200);
    assert.equal(emulator.callCount('get_jsapi_ticket'), 2, 'type=agent renews the agent ticket, not the corp one');
    assert.equal((await config(app, undefined, q(`${BASE_URL}/`, '&renew=2'))).status, 400);
    assert.equal((await config(app, undefined, q(`${BASE_URL}/`, '&renew=1&renew=1'))).status, 400);
  });

  it("wx.agentConfig (type=agent): {corpid, agentid, …} signed with the app's agent_config ticket", async () => {
    emulator.clearCalls();
    const client = newClient();
    const app = appWith(client);
    const token = await tokenFor(app);
    const page = `${BASE_URL}/approve?id=9`;
    const res = await config(app, token, q(page, '&type=agent'));
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.body).sort(), ['agentid', 'corpid', 'nonceStr', 'signature', 'timestamp']);
    assert.equal(res.body.corpid, CORP);
    assert.equal(res.body.agentid, 1000002);
    const ticket = await client.getAgentConfigTicket();
    assert.equal(res.body.signature, jsapiSignature({ ticket, nonceStr: res.body.nonceStr, timestamp: res.body.timestamp, url: page }));
    assert.notEqual(ticket, await client.getJsapiTicket(), 'not the corp ticket');
    const agentCalls = emulator.calls.filter((c) => c.api === 'ticket/get');
    assert.equal(agentCalls.length, 1);
    assert.equal(agentCalls[0]?.query.type, 'agent_config');
    for (let i = 0; i < 5; i++) assert.equal((await config(app, token, q(page, '&type=agent'))).status, 200);
    assert.equal(emulator.callCount('ticket/get'), 1, 'cached too');
  });

  it('requireUser (default): 401 JSON without a login; requireUser: false signs for anyone', async () => {
    const client = newClient();
    const guarded = await config(appWith(client), undefined, q(`${BASE_URL}/`));
    assert.equal(guarded.status, 401);
    assert.equal(guarded.body.error, 'unauthenticated');
    const open = await config(appWith(client, { requireUser: false }), undefined, q(`${BASE_URL}/`));
    assert.equal(open.status, 200);
  });

  it('urls of another origin, malformed urls and bad parameters answer 400', async () => {
    emulator.clearCalls();
    const client = newClient();
    const app = appWith(client);
    const token = await tokenFor(app);
    const bad = [
      'https://evil.example.com/',
      'http://localhost:3000.evil.example.com/',
      'http://localhost:3000@evil.example.com/',
      'http://user:pass@localhost:3000/',
      'https://localhost:3000/',
      'http://localhost:3001/',
      'http://localhost/',
      'http://127.0.0.1:3000/',
      '/orders/1',
      'localhost:3000/orders',
      'http://localhost:3000\\@evil.example.com/',
      'http://localhost:3000/a b',
      'javascript:alert(1)//http://localhost:3000/',
      '',
      `http://localhost:3000/${'x'.repeat(5000)}`,
    ];
    for (const url of bad) {
      const res = await config(app, token, q(url));
      assert.equal(res.status, 400, url);
      assert.equal(res.body.error, 'invalid_url', url);
    }
    const params = [
      '',
      `${q(`${BASE_URL}/a`)}&${q(`${BASE_URL}/b`)}`,
      `${q(`${BASE_URL}/a`)}&type=other`,
      `${q(`${BASE_URL}/a`)}&type=agent&type=corp`,
    ];
    for (const query of params) {
      const res = await config(app, token, query);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.error, 'invalid_request', query);
    }
    assert.equal(emulator.callCount('get_jsapi_ticket'), 0, 'nothing was signed');
    assert.equal((await supertest(app).post(CONFIG).set('Authorization', `Bearer ${token}`)).status, 404, 'only GET is routed');
  });

  it("checkPageUrl accepts the app's own pages as sent", () => {
    assert.equal(checkPageUrl('http://localhost:3000', BASE_URL), 'http://localhost:3000');
    assert.equal(checkPageUrl('http://localhost:3000/', BASE_URL), 'http://localhost:3000/');
    assert.equal(checkPageUrl('http://localhost:3000?a=1', BASE_URL), 'http://localhost:3000?a=1');
    assert.equal(
      checkPageUrl('http://LOCALHOST:3000/x#y', BASE_URL),
      'http://LOCALHOST:3000/x',
      'kept as sent: the browser signs its own spelling',
    );
    assert.equal(
      checkPageUrl('https://app.example.com/p/%E4%B8%AD?q=1&r=2', 'https://app.example.com'),
      'https://app.example.com/p/%E4%B8%AD?q=1&r=2',
    );
    assert.equal(checkPageUrl('https://app.example.com:443/', 'https://app.example.com'), undefined);
  });

  it('45009 on the ticket answers 503 with Retry-After; a timeout 504', async () => {
    const client = newClient();
    await client.getAccessToken();
    const app = appWith(client, { requireUser: false });
    emulator.faults.failNext(45009, 1, 'get_jsapi_ticket');
    const limited = await config(app, undefined, q(`${BASE_URL}/`));
    assert.equal(limited.status, 503);
    assert.equal(limited.body.error, 'rate_limited');
    assert.equal(limited.headers['retry-after'], '60');

    const slow = new WeComClient({
      corpId: CORP,
      agentId: 1000002,
      secret: 'demo-secret',
      apiBaseUrl: emulator.url,
      timeouts: { response: 300 },
    });
    clients.push(slow);
    await slow.getAccessToken();
    emulator.faults.delay(1500, 'get_jsapi_ticket');
    try {
      const res = await config(appWith(slow, { requireUser: false }), undefined, q(`${BASE_URL}/`));
      assert.equal(res.status, 504);
      assert.equal(res.body.error, 'wecom_timeout');
    } finally {
      emulator.faults.reset();
    }
  });

  it('the factory refuses a bad baseUrl or an unknown option, naming the fix', () => {
    const client = newClient();
    assert.throws(
      () => createJsapiConfigHandler({ client, baseUrl: 'https://app.example.com/app' }),
      /`baseUrl`: must be the app's public origin/,
    );
    assert.throws(
      () => createJsapiConfigHandler({ client, origin: BASE_URL } as unknown as JsapiConfigHandlerOptions),
      /did you mean `baseUrl`/,
    );
  });

  describe('with Redis as the token cache', () => {
    let server: Awaited<ReturnType<typeof startRedisServer>>;
    const redisClients: TestClient[] = [];
    const caches: RedisTokenCache[] = [];
    before(async () => {
      server = await startRedisServer();
    });
    after(async () => {
      for (const cache of caches) await cache.close();
      destroyAll(redisClients);
      await server?.stop(); // missing when the set-up failed: its error is the one to read
    });

    it('two app instances sharing Redis fetch the corp ticket and the agent ticket once between them', async () => {
      emulator.clearCalls();
      const prefix = `test:jssdk:${Date.now()}:`;
      const instances: Express[] = [];
      for (let i = 0; i < 2; i++) {
        const cache = new RedisTokenCache(await connectClient(server.url, redisClients), { prefix, logger: null });
        caches.push(cache);
        instances.push(appWith(newClient({ tokenCache: cache }), { requireUser: false }));
      }
      const requests: supertest.Test[] = [];
      for (let i = 0; i < 20; i++) {
        const app = instances[i % 2] as Express;
        requests.push(config(app, undefined, q(`${BASE_URL}/p/${i}`, i % 4 === 0 ? '&type=agent' : '')));
      }
      const answers = await Promise.all(requests);
      assert.ok(answers.every((r) => r.status === 200));
      assert.equal(emulator.callCount('gettoken'), 1);
      assert.equal(emulator.callCount('get_jsapi_ticket'), 1);
      assert.equal(emulator.callCount('ticket/get'), 1);
    });
  });
});
