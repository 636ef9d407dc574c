import { createHash } from 'node:crypto';
/**
 * Two concurrent refreshes, the first one slow on purpose, through the WeCom client on two
 * instances (each its own Redis client and RedisTokenCache) against the emulator.
 *
 * test/redis/token-cache.test.ts already proves the fence at the RedisTokenCache level with
 * fake fetches. What this adds: the real WeComClient hands the caller the token the cache kept,
 * not the one its own slow gettoken returned, and that matters: the slow answer carries a token
 * WeCom has revoked meanwhile, so using it would cost a 40014 and a third gettoken.
 *
 * Two WeComClients on ONE RedisTokenCache would not race at all: the cache's in-process
 * single-flight joins the second refresh to the first (same key); hence two caches.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { WeComClient } from '../../src/wecom/index.ts';
import { RedisTokenCache } from '../../src/redis/index.ts';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.ts';
import { waitFor } from '../helpers/fleet.ts';
import { connectClient, destroyAll, type TestClient } from '../redis/support.ts';

const DEMO_SECRET_HASH = createHash('sha256').update('demo-secret').digest('hex').slice(0, 16);

let emulator: Emulator | undefined;
let redis: TestRedisServer | undefined;
const clients: TestClient[] = [];
const caches: RedisTokenCache[] = [];
const wecoms: WeComClient[] = [];

before(async () => {
  [emulator, redis] = await Promise.all([startEmulator({ port: 0 }), startRedisServer()]);
});

after(async () => {
  for (const wecom of wecoms) wecom.close();
  for (const cache of caches) await cache.close();
  destroyAll(clients);
  await Promise.allSettled([emulator?.close(), redis?.stop()]);
});

async function instance(em: Emulator, url: string, prefix: string): Promise<{ client: TestClient; wecom: WeComClient }> {
  const client = await connectClient(url, clients);
  // A short lock: the second instance takes over while the first one's gettoken is still slow.
  const cache = new RedisTokenCache(client, { prefix, lockTtlMs: 200, logger: null });
  caches.push(cache);
  const wecom = new WeComClient({
    corpId: 'wwdemocorp0000001',
    secret: 'demo-secret',
    agentId: 1000002,
    apiBaseUrl: em.url,
    tokenCache: cache,
  });
  wecoms.push(wecom);
  return { client, wecom };
}

test('a slow gettoken that returns after a newer one: both instances end up with the newer token', async () => {
  if (emulator === undefined || redis === undefined) throw new Error('setup failed');
  const em = emulator;
  const prefix = 'fleet-race:';
  const slow = await instance(em, redis.url, prefix);
  const fast = await instance(em, redis.url, prefix);
  em.clearCalls();

  // Only the first gettoken is slow: the delay is read when the call arrives.
  em.faults.delay(1000, 'gettoken');
  const slowToken = slow.wecom.getAccessToken();
  await waitFor('the slow gettoken to reach the emulator', async () => (em.callCount('gettoken') === 1 ? true : undefined), 5000);
  em.faults.delay(0, 'gettoken');
  // WeCom invalidates the token it is about to hand the slow instance (an early expiry).
  em.revokeTokens();
  // Past the slow owner's lock (200 ms): the second instance takes the lock and fetches anew.
  await waitFor('the slow lock to expire', async () => ((await slow.client.exists(`${prefix}access_token:wwdemocorp0000001:1000002:${DEMO_SECRET_HASH}:lock`)) === 0 ? true : undefined), 5000);
  const fastValue = await fast.wecom.getAccessToken();
  assert.equal(em.callCount('gettoken'), 2);

  const slowValue = await slowToken;
  assert.equal(slowValue, fastValue, 'the slow instance hands out the newer token, not its own');
  const stored = JSON.parse((await fast.client.get(`${prefix}access_token:wwdemocorp0000001:1000002:${DEMO_SECRET_HASH}`)) ?? '{}') as { value?: string };
  assert.equal(stored.value, fastValue, 'Redis keeps the newer token');

  // Both instances call WeCom with a token it accepts: no rejection, no third gettoken.
  const [u1, u2] = await Promise.all([slow.wecom.getUser('zhangsan'), fast.wecom.getUser('lisi')]);
  assert.equal(u1.userid, 'zhangsan');
  assert.equal(u2.userid, 'lisi');
  assert.equal(em.callCount('gettoken'), 2, 'no third gettoken');
  assert.deepEqual(em.calls.filter((c) => c.errcode !== 0).map((c) => `${c.api} ${c.errcode}`), []);
});
