/**
 * The session Redis of a fleet stopped mid-run: requests that need the session answer 503 (a
 * page or JSON), never 500, never anonymous access, and the app processes stay up; restarted on
 * the same port, logins work again without restarting the apps.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.ts';
import {
  CookieJar,
  publicPath,
  request,
  spawnFleet,
  visitWeCom,
  waitFor,
  walkLogin,
  type Answer,
  type AppProcess,
  openPage,
} from '../helpers/fleet.ts';

let emulator: Emulator | undefined;
let redis: TestRedisServer | undefined;
let apps: AppProcess[] = [];

before(async () => {
  // Redis first, one after the other: when it cannot start, nothing else is left running
  // (under Promise.all the emulator would stay listening and keep this file's process alive).
  redis = await startRedisServer();
  emulator = await startEmulator({ port: 0 });
  apps = await spawnFleet(2, { emulatorUrl: emulator.url, redisUrl: redis.url });
});

after(async () => {
  await Promise.allSettled(apps.map((app) => app.stop()));
  await Promise.allSettled([emulator?.close(), redis?.stop()]);
});

function assertUnavailablePage(res: Answer, what: string): void {
  assert.equal(res.status, 503, `${what}: status (${res.body.slice(0, 200)})`);
  assert.match(res.contentType, /^text\/html/, what);
  assert.match(res.body, /data-page="session-unavailable"/, what);
  assert.doesNotMatch(res.body, /data-page="home"|zhangsan/, `${what}: no identity shown`);
  assert.equal(res.headers.get('retry-after'), '5', what);
}

function assertUnavailableJson(res: Answer, what: string): void {
  assert.equal(res.status, 503, `${what}: status (${res.body.slice(0, 200)})`);
  assert.match(res.contentType, /^application\/json/, what);
  assert.equal((JSON.parse(res.body) as { error?: string }).error, 'session_store_unavailable', what);
}

describe('the session Redis stopped and restarted under a running fleet', () => {
  test('503 for everything that needs the session, /healthz still up, logins again after the restart', async (t) => {
    if (emulator === undefined || redis === undefined) throw new Error('setup failed');
    const em = emulator;
    const server = redis;
    const [a, b] = apps;
    assert.ok(a && b);

    const jar = await walkLogin({ start: a, callback: b, final: a, user: 'zhangsan', emulatorUrl: em.url });
    // A login in flight when Redis goes away: sent to WeCom, not back yet.
    const pendingJar = new CookieJar();
    const pending = await openPage(a, '/?pending=1', pendingJar);
    assert.equal(pending.status, 302);

    const stoppedAt = Date.now();
    await server.stop();

    // The very first requests after the stop, on both instances, in parallel: whatever the
    // node-redis client is doing right then (socket closing, reconnecting), each must be a 503.
    const burst = await Promise.all(
      [a, b].flatMap((app) => [request(app, '/', jar.clone()), request(app, '/me', jar.clone(), { accept: 'application/json' })]),
    );
    for (const [i, res] of burst.entries()) {
      if (i % 2 === 0) assertUnavailablePage(res, `burst ${i}: page`);
      else assertUnavailableJson(res, `burst ${i}: /me`);
    }

    for (const [name, app] of [
      ['A', a],
      ['B', b],
    ] as const) {
      assertUnavailablePage(await request(app, '/', jar.clone()), `${name}: logged-in page navigation`);
      assertUnavailableJson(await request(app, '/me', jar.clone(), { accept: 'application/json' }), `${name}: logged-in /me`);
      // No cookie: a navigation starts a login, which writes nothing on the server (the login in
      // flight travels in its own cookie), so it goes to WeCom even while the store is down.
      const anonymous = await openPage(app, '/', new CookieJar());
      assert.equal(anonymous.status, 302, `${name}: anonymous page navigation starts a login`);
      assert.ok(anonymous.location?.startsWith(`${em.url}/connect/oauth2/authorize?`));
      assert.equal((await request(app, '/auth/wecom/login', new CookieJar())).status, 302, `${name}: login route`);
      // No cookie on an API call: nobody is logged in whatever Redis says, and the answer lets nobody in.
      const anonymousApi = await request(app, '/me', new CookieJar(), { accept: 'application/json' });
      assert.equal(anonymousApi.status, 401, `${name}: cookie-less /me`);
      assertUnavailablePage(await request(app, '/auth/wecom/logout', jar.clone()), `${name}: logout`);
      const health = await request(app, '/healthz', undefined, { accept: 'application/json' });
      assert.equal(health.status, 200, `${name}: /healthz does not need the session`);
    }

    // The login that was in flight comes back while Redis is down: its code is exchanged (nothing
    // tells the callback the store is down until it writes the session), then 503: nobody logged in.
    const callback = publicPath(await visitWeCom(pending.location ?? '', 'lisi'));
    const during = await request(b, callback, pendingJar);
    assertUnavailablePage(during, 'callback during the outage');
    const meAfter = await request(b, '/me', pendingJar, { accept: 'application/json' });
    assert.ok([401, 503].includes(meAfter.status), `nobody is logged in by the failed callback (${meAfter.status})`);

    for (const app of [a, b]) {
      assert.ok(app.alive(), `instance on ${app.port} still running`);
      assert.doesNotMatch(app.output(), /\n\s+at .+\(.+:\d+:\d+\)/, 'no stack trace in the app output');
      assert.doesNotMatch(app.output(), /Unhandled|uncaught/i);
    }
    const outageMs = Date.now() - stoppedAt;

    await server.restart();
    const restartedAt = Date.now();
    // Persistence is off: the restarted Redis is empty, so the old session is gone: its cookie
    // (read from the store) now starts a new login instead of a 503, once each instance reconnected.
    for (const app of [a, b]) {
      const recovered = await waitFor(`${app.port} to read sessions again`, async () => {
        const res = await openPage(app, '/', jar.clone());
        return res.status === 302 ? res : undefined;
      });
      assert.ok(recovered.location?.startsWith(`${em.url}/connect/oauth2/authorize?`));
    }
    const recoveryMs = Date.now() - restartedAt;

    const again = await walkLogin({ start: b, callback: a, final: b, user: 'lisi', emulatorUrl: em.url });
    const me = await request(a, '/me', again, { accept: 'application/json' });
    assert.equal(me.status, 200);
    assert.equal((JSON.parse(me.body) as { user: { userId: string } }).user.userId, 'lisi');
    for (const app of [a, b]) assert.ok(app.alive());
    t.diagnostic(`outage checks took ${outageMs} ms; both instances served logins ${recoveryMs} ms after the restart`);
  });
});
