/**
 * Four demo app processes behind one public origin (http://localhost:3000, as behind a load
 * balancer), sharing one test-owned redis-server and one emulator in this process: concurrent
 * logins make one gettoken for the whole fleet, and a session started on one instance is the
 * session on every other.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.ts';
import {
  CookieJar,
  isHomePage,
  pick,
  publicPath,
  request,
  spawnFleet,
  visitWeCom,
  walkLogin,
  whoAmI,
  type AppProcess,
  openPage,
  nextHop,
} from '../helpers/fleet.ts';

const LOGINS = 200;
const USERS = ['zhangsan', 'lisi'] as const;

let emulator: Emulator | undefined;
let redis: TestRedisServer | undefined;
let apps: AppProcess[] = [];

function fleet(): { emulator: Emulator; apps: AppProcess[] } {
  if (emulator === undefined || apps.length !== 4) throw new Error('the fleet did not start');
  return { emulator, apps };
}

before(async () => {
  // Redis first, one after the other: when it cannot start, nothing else is left running
  // (under Promise.all the emulator would stay listening and keep this file's process alive).
  redis = await startRedisServer();
  emulator = await startEmulator({ port: 0 });
  apps = await spawnFleet(4, { emulatorUrl: emulator.url, redisUrl: redis.url });
});

after(async () => {
  await Promise.allSettled(apps.map((app) => app.stop()));
  await Promise.allSettled([emulator?.close(), redis?.stop()]);
});

/**
 * `LOGINS` logins in lock-step phases, so that every callback reaches the fleet at once:
 * login i starts on instance i, its callback goes to instance i+1 and the page to instance i+2.
 */
async function loginRound(em: Emulator, instances: AppProcess[], label: string): Promise<{ ms: number }> {
  const t0 = Date.now();
  const jars = Array.from({ length: LOGINS }, () => new CookieJar());
  const paths = jars.map((_, i) => `/?${label}=${i}`);
  const users = jars.map((_, i) => pick(USERS, i));

  const starts = await Promise.all(jars.map((jar, i) => openPage(pick(instances, i), pick(paths, i), jar)));
  for (const [i, start] of starts.entries()) {
    assert.equal(start.status, 302, `login ${i}: guarded page`);
    assert.ok(start.location?.startsWith(`${em.url}/connect/oauth2/authorize?`), `login ${i}: to the emulator`);
  }
  const callbacks = await Promise.all(starts.map((start, i) => visitWeCom(start.location ?? '', pick(users, i))));
  const backs = await Promise.all(callbacks.map((location, i) => request(pick(instances, i + 1), publicPath(location), pick(jars, i))));
  for (const [i, back] of backs.entries()) {
    assert.equal(nextHop(back), pick(paths, i), `login ${i}: back to its own page (${back.status} ${back.body.slice(0, 300)})`);
  }
  const pages = await Promise.all(jars.map((jar, i) => request(pick(instances, i + 2), pick(paths, i), jar)));
  for (const [i, page] of pages.entries()) {
    assert.equal(page.status, 200, `login ${i}: page after login`);
    assert.ok(isHomePage(page), `login ${i}: the signed-in home page`);
  }
  const who = await Promise.all(jars.map((jar, i) => whoAmI(pick(instances, i + 3), jar)));
  for (const [i, userId] of who.entries()) assert.equal(userId, pick(users, i), `login ${i}: its own user`);
  return { ms: Date.now() - t0 };
}

describe('a fleet of four app processes on one Redis', () => {
  test(`${LOGINS} concurrent logins from an empty cache make one gettoken; after a revocation, one more`, async (t) => {
    const { emulator: em, apps: instances } = fleet();
    em.clearCalls();
    // A slow gettoken keeps the first refresh in flight while all four instances want a token.
    em.faults.delay(150, 'gettoken');
    try {
      const first = await loginRound(em, instances, 'a');
      assert.equal(em.callCount('gettoken'), 1, 'one gettoken for the fleet');
      assert.equal(em.callCount('user/getuserinfo'), LOGINS, 'one code exchange per login');

      em.revokeTokens();
      const second = await loginRound(em, instances, 'b');
      assert.equal(em.callCount('gettoken'), 2, 'one more gettoken after the revocation');
      // The emulator answers a revoked token with 40014 (42001 is for an expired one).
      const rejected = em.calls.filter((c) => c.errcode === 40014 || c.errcode === 42001).length;
      assert.ok(rejected >= 1, 'the revoked token was met');
      const ok = em.calls.filter((c) => c.api === 'user/getuserinfo' && c.errcode === 0).length;
      assert.equal(ok, 2 * LOGINS, 'every login exchanged its code once successfully');
      t.diagnostic(
        `round 1: ${first.ms} ms, round 2: ${second.ms} ms; gettoken ${em.callCount('gettoken')}, ` +
          `calls with the revoked token ${rejected}`,
      );
    } finally {
      em.faults.reset();
    }
    for (const app of instances) assert.ok(app.alive(), `instance on ${app.port} still running`);
  });

  test('logged in through instance A, the next request through B is logged in; logout on B logs out on A', async () => {
    const { emulator: em, apps: instances } = fleet();
    const [a, b] = instances;
    assert.ok(a && b);
    const jar = await walkLogin({ start: a, callback: a, final: a, user: 'lisi', emulatorUrl: em.url });
    const oldCookie = jar.clone();

    const onB = await request(b, '/', jar);
    assert.ok(isHomePage(onB), `B: the signed-in home page (${onB.status})`);
    const me = await request(b, '/me', jar, { accept: 'application/json' });
    assert.equal(me.status, 200);
    assert.equal((JSON.parse(me.body) as { user: { userId: string } }).user.userId, 'lisi');

    const logout = await request(b, '/auth/wecom/logout', jar, { method: 'POST' });
    assert.equal(logout.status, 200);
    assert.match(logout.body, /data-page="signed-out"/);

    // A, with the cookie the browser now holds and with the old one (a copy kept elsewhere).
    for (const [name, cookies] of [
      ['current cookie', jar],
      ['pre-logout cookie', oldCookie],
    ] as const) {
      const page = await openPage(a, '/', cookies.clone());
      assert.equal(page.status, 302, `${name}: A starts a new login`);
      assert.ok(page.location?.startsWith(`${em.url}/connect/oauth2/authorize?`), name);
      const api = await request(a, '/me', cookies.clone(), { accept: 'application/json' });
      assert.equal(api.status, 401, `${name}: A's API says unauthenticated`);
    }
  });
});
