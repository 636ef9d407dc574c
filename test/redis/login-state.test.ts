/**
 * The login state with two app instances on one Redis (sessions through connect-redis, claims and
 * tokens through RedisTokenCache), every session write answered 30 ms late: duplicate callbacks
 * and tabs split across the instances, and what anonymous traffic writes to Redis (nothing).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Store } from 'express-session';
import supertest from 'supertest';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { createRedisSessionStore, RedisTokenCache } from '../../src/redis/index.ts';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.ts';
import { appPath, HTML, login, setupFlow, visitWeCom, WECOM_UA, type FlowSetup, openPage, landedOn } from '../helpers/flow.ts';
import { connectClient, destroyAll, randomPrefix, type TestClient } from '../helpers/redis-clients.ts';

let server: TestRedisServer;
let emulator: Emulator;
const clients: TestClient[] = [];
const instances: FlowSetup[] = [];
const caches: RedisTokenCache[] = [];
let prefix: string;
let admin: TestClient;

/** A connect-redis store whose writes (set, destroy, touch) reach Redis 30 ms late. */
function slowWrites(store: Store, delayMs = 30): Store {
  for (const method of ['set', 'destroy', 'touch'] as const) {
    const original = (store[method] as ((...args: unknown[]) => unknown) | undefined)?.bind(store);
    if (!original) continue;
    (store as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      setTimeout(() => original(...args), delayMs);
    };
  }
  return store;
}

/** One app instance: its own Redis clients, the shared Redis and emulator. */
async function instance(): Promise<FlowSetup> {
  const client = await connectClient(server.url, clients);
  const cache = new RedisTokenCache(await connectClient(server.url, clients), { prefix: `${prefix}wecom:`, logger: null });
  caches.push(cache);
  const flow = await setupFlow({
    emulator,
    store: slowWrites(createRedisSessionStore({ client, prefix: `${prefix}sess:`, logger: null })),
    wecom: { tokenCache: cache },
  });
  instances.push(flow);
  return flow;
}

async function sessionKeys(): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of admin.scanIterator({ MATCH: `${prefix}sess:*`, COUNT: 1000 })) keys.push(...batch);
  return keys;
}

before(async () => {
  // Redis first, one after the other: when it cannot start, nothing else is left running
  // (under Promise.all the emulator would stay listening and keep this file's process alive).
  server = await startRedisServer();
  emulator = await startEmulator({ port: 0 });
  admin = await connectClient(server.url, clients);
  prefix = randomPrefix();
});
after(async () => {
  for (const flow of instances) await flow.close();
  for (const cache of caches) await cache.close();
  destroyAll(clients);
  // Either may be missing when the set-up failed.
  await emulator?.close();
  await server?.stop();
});

describe('two instances on one Redis, session writes 30 ms late', () => {
  test('one callback delivered 2 and 10 times, split across the instances: one code exchange, every copy logs in', async () => {
    const [a, b] = [await instance(), await instance()];
    for (const copies of [2, 10]) {
      const start = await openPage(supertest(a.app), `/orders/dup-${copies}`, { headers: { 'User-Agent': WECOM_UA } });
      const tx = (start.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('wecom_tx_'))?.split(';')[0] ?? '';
      const wecom = await visitWeCom(start.headers.location as string, { user: 'lisi' });
      const callback = appPath(wecom.location);
      const before = emulator.callCount('user/getuserinfo');
      const answers = await Promise.all(
        Array.from({ length: copies }, (_, i) =>
          supertest((i % 2 === 0 ? a : b).app)
            .get(callback)
            .set('Accept', HTML)
            .set('User-Agent', WECOM_UA)
            .set('Cookie', tx),
        ),
      );
      assert.equal(emulator.callCount('user/getuserinfo') - before, 1, `${copies} copies: exactly one code exchange`);
      for (const [i, res] of answers.entries()) {
        assert.equal(landedOn(res), `/orders/dup-${copies}`);
        const cookie = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('wecom.sid='))?.split(';')[0] ?? '';
        for (const app of [a, b]) {
          const me = await supertest(app.app).get('/api/data').set('Cookie', cookie);
          assert.equal(me.body.userId, 'lisi', `copy ${i}: logged in on both instances`);
        }
      }
    }
  });

  test('2 tabs x 20 browsers at once, each tab through another instance: one OAuth round each, all logged in', async () => {
    const [a, b] = [instances[0] ?? (await instance()), instances[1] ?? (await instance())];
    const browsers = Array.from({ length: 20 }, () => ({ a: a.agent(), b: b.agent() }));
    // Tabs of one browser share cookies: copy each jar's cookies into the other after every answer.
    const results = await Promise.all(
      browsers.flatMap((browser, n) => [walk(browser.a, browser.b, `/orders/${n}-A`), walk(browser.b, browser.a, `/orders/${n}-B`)]),
    );
    for (const r of results) assert.deepEqual(r, { rounds: 1, status: 200, userId: 'zhangsan' });
  });

  test('a visible-range verdict found by one instance spares the other its user/get', async () => {
    const [a, b] = [instances[0] ?? (await instance()), instances[1] ?? (await instance())];
    for await (const keys of admin.scanIterator({ MATCH: `${prefix}wecom:visible:*` })) if (keys.length > 0) await admin.del(keys);
    const before = emulator.callCount('user/get');
    await login(a.agent(), '/orders/1', { user: 'zhangsan' });
    const checks = emulator.callCount('user/get');
    assert.equal(checks - before, 1, 'A asked WeCom once');
    for (let i = 0; i < 3; i++) assert.equal(landedOn(await login(b.agent(), `/orders/${i}`, { user: 'zhangsan' })), `/orders/${i}`);
    assert.equal(emulator.callCount('user/get'), checks, 'B used the verdict A stored in Redis');
  });

  test("a login's outcome (who logged in) stays in Redis only as long as a duplicate may follow it; the claim on its state for the login's life", async () => {
    const a = instances[0] ?? (await instance());
    const agent = a.agent();
    assert.equal(landedOn(await login(agent, '/orders/outcome', { user: 'lisi' })), '/orders/outcome');
    const keys: string[] = [];
    for await (const batch of admin.scanIterator({ MATCH: `${prefix}wecom:*login-*`, COUNT: 1000 })) keys.push(...batch);
    const outcomes = keys.filter((k) => k.includes('login-outcome:'));
    const claims = keys.filter((k) => k.includes('login-state:'));
    assert.ok(outcomes.length > 0 && claims.length > 0, keys.join(', '));
    for (const key of outcomes) {
      const ttl = await admin.pTTL(key);
      assert.ok(ttl > 0 && ttl <= 60_000, `${key}: ${ttl} ms`);
    }
    for (const key of claims) assert.ok((await admin.pTTL(key)) > 60_000, `${key}: the claim holds past a minute`);
    assert.ok(!((await admin.get(claims[0] ?? '')) ?? '').includes('lisi'), 'the long-lived claim holds no identity');
  });

  test('1,000 anonymous page loads and 1,000 junk callbacks write no session key to Redis', async () => {
    const [a, b] = [instances[0] ?? (await instance()), instances[1] ?? (await instance())];
    const before = (await sessionKeys()).length;
    const junk = (i: number) =>
      [
        `/auth/wecom/callback?code=junk${i}&state=${'x'.repeat(32)}${i}`,
        `/auth/wecom/callback?code=${i}`,
        `/auth/wecom/callback?state=abc&state=def`,
        `/auth/wecom/callback?code=${'c'.repeat(600)}&state=s${i}`,
      ][i % 4] ?? '/';
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(
        Array.from({ length: 100 }, (_, i) => {
          const n = batch * 100 + i;
          const app = n % 2 === 0 ? a : b;
          return Promise.all([
            // The start page: nothing set, nothing stored (the login route, which its script calls, sets the login cookie).
            supertest(app.app).get(`/orders/${n}`).set('Accept', HTML).set('User-Agent', WECOM_UA).expect(200),
            supertest(app.app)
              .get(junk(n))
              .set('Accept', HTML)
              .set('User-Agent', WECOM_UA)
              .then((res) => assert.ok(res.status < 500, `${junk(n)}: ${res.status}`)),
          ]);
        }),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100)); // any late write would have landed
    assert.equal((await sessionKeys()).length - before, 0, 'no session key written');
  });
});

/** One tab walking a login: `own` is its jar, `other` the other tab's (the same browser's cookies). */
async function walk(
  own: supertest.Agent,
  other: supertest.Agent,
  page: string,
): Promise<{ rounds: number; status: number; userId: string | undefined }> {
  const share = (res: supertest.Response) => {
    const lines = res.headers['set-cookie'] as unknown as string[] | undefined;
    if (lines) other.jar.setCookies(lines);
    return res;
  };
  let rounds = 0;
  let res = share(await openPage(own, page));
  while (res.status === 302 && (res.headers.location as string).startsWith('http://127.0.0.1') && rounds < 5) {
    rounds++;
    const wecom = await visitWeCom(res.headers.location as string);
    res = share(await own.get(appPath(wecom.location)).set('Accept', HTML));
  }
  const final = await openPage(own, page);
  return { rounds, status: final.status, userId: final.body?.userId as string | undefined };
}
