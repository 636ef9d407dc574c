/**
 * A renewal in flight when WeCom revokes the token, through the WeCom client on two instances
 * (each its own Redis client and RedisTokenCache) against the emulator.
 *
 * WeCom hands a valid token back on a repeat gettoken, so a renewal answered just before a
 * revocation returns the token about to be revoked. test/redis/token-cache.test.ts proves with
 * fake fetches that the fence keeps such a late answer out of Redis; this shows what it means
 * end to end: one instance meets the revocation, the fleet makes one more gettoken, nobody is
 * handed the revoked token again.
 *
 * Two WeComClients on ONE RedisTokenCache would not race at all: the cache's in-process
 * single-flight joins them; hence two caches.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { WeComClient } from '../../src/wecom/index.ts';
import { RedisTokenCache } from '../../src/redis/index.ts';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.ts';
import { waitFor } from '../helpers/fleet.ts';
import { connectClient, destroyAll, type TestClient } from '../helpers/redis-clients.ts';

let emulator: Emulator | undefined;
let redis: TestRedisServer | undefined;
const clients: TestClient[] = [];
const wecoms: WeComClient[] = [];

before(async () => {
  // Redis first, one after the other: when it cannot start, nothing else is left running
  // (under Promise.all the emulator would stay listening and keep this file's process alive).
  redis = await startRedisServer();
  emulator = await startEmulator({ port: 0 });
});

after(async () => {
  for (const wecom of wecoms) wecom.close();
  destroyAll(clients);
  await Promise.allSettled([emulator?.close(), redis?.stop()]);
});

async function instance(em: Emulator, url: string, prefix: string): Promise<{ client: TestClient; wecom: WeComClient }> {
  const client = await connectClient(url, clients);
  const wecom = new WeComClient({
    corpId: 'wwdemocorp0000001',
    secret: 'demo-secret',
    agentId: 1000002,
    apiBaseUrl: em.url,
    tokenCache: new RedisTokenCache(client, { prefix }),
  });
  wecoms.push(wecom);
  return { client, wecom };
}

test('a renewal answered just before WeCom revoked the token: the revoked token is not stored, one more gettoken for the fleet', async () => {
  if (emulator === undefined || redis === undefined) throw new Error('setup failed');
  const em = emulator;
  const prefix = 'fleet-race:';
  const slow = await instance(em, redis.url, prefix);
  const fast = await instance(em, redis.url, prefix);
  em.clearCalls();

  const first = await slow.wecom.getAccessToken();
  const valueKey = `${prefix}{${slow.wecom.accessTokenCacheKey}}`;
  // Make the stored token due for renewal (as it would be 6210 s later).
  const stored = JSON.parse((await slow.client.get(valueKey)) ?? '{}') as Record<string, unknown>;
  await slow.client.set(valueKey, JSON.stringify({ ...stored, refreshAfterMs: 0 }), { KEEPTTL: true });

  // The renewal's gettoken is answered at once (the same, still valid token) but slowly delivered.
  em.faults.delay(1000, 'gettoken');
  assert.equal((await slow.wecom.getUser('zhangsan')).userid, 'zhangsan');
  await waitFor('the renewal to reach the emulator', async () => (em.callCount('gettoken') === 2 ? true : undefined), 5000);
  em.faults.delay(0, 'gettoken');
  // WeCom revokes the token it has just handed to the renewal.
  em.revokeTokens();

  // The other instance meets the revocation, invalidates, and waits for the renewal's lock; the
  // renewal's answer (the revoked token) is fenced off; the next owner fetches a new token.
  assert.equal((await fast.wecom.getUser('lisi')).userid, 'lisi');
  const second = await fast.wecom.getAccessToken();
  assert.notEqual(second, first);
  assert.equal(JSON.parse((await fast.client.get(valueKey)) ?? '{}').value, second, 'Redis keeps the new token');

  // The renewing instance uses the new token too: no rejection, no further gettoken.
  assert.equal((await slow.wecom.getUser('zhangsan')).userid, 'zhangsan');
  assert.equal(await slow.wecom.getAccessToken(), second);
  assert.equal(em.callCount('gettoken'), 3, 'the first, the renewal, one after the revocation');
  assert.deepEqual(
    em.calls.filter((c) => c.errcode !== 0).map((c) => `${c.api} ${c.errcode}`),
    ['user/get 40014'],
    'the revocation is met once',
  );
});
