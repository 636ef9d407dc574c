/**
 * The WeCom client on a fleet: four "instances" (each its own WeComClient, Redis client and
 * RedisTokenCache) against the emulator share one access_token and one jsapi_ticket.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { WeComClient } from '../../src/wecom/index.ts';
import { RedisTokenCache } from '../../src/redis/index.ts';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.ts';
import { connectClient, destroyAll, randomPrefix, roundRobin, type TestClient } from './support.ts';

let emulator: Emulator;
let server: TestRedisServer;
const clients: TestClient[] = [];
const caches: RedisTokenCache[] = [];
const wecoms: WeComClient[] = [];

before(async () => {
  [emulator, server] = await Promise.all([startEmulator(), startRedisServer()]);
});
after(async () => {
  for (const wecom of wecoms) wecom.close();
  for (const cache of caches) await cache.close();
  destroyAll(clients);
  await Promise.all([emulator.close(), server.stop()]);
});

async function fleet(size: number, prefix: string): Promise<WeComClient[]> {
  const result: WeComClient[] = [];
  for (let i = 0; i < size; i++) {
    const cache = new RedisTokenCache(await connectClient(server.url, clients), { prefix, logger: null });
    caches.push(cache);
    const wecom = new WeComClient({
      corpId: 'wwdemocorp0000001',
      secret: 'demo-secret',
      agentId: 1000002,
      apiBaseUrl: emulator.url,
      tokenCache: cache,
    });
    wecoms.push(wecom);
    result.push(wecom);
  }
  return result;
}

test('four instances, 40 concurrent calls: one gettoken and one jsapi ticket fetch for the fleet', async () => {
  emulator.clearCalls();
  emulator.faults.delay(200, 'gettoken');
  try {
    const instances = await fleet(4, randomPrefix());
    const tokens = await Promise.all(Array.from({ length: 40 }, (_, i) => roundRobin(instances, i).getAccessToken()));
    assert.equal(new Set(tokens).size, 1);
    assert.equal(emulator.callCount('gettoken'), 1);

    const tickets = await Promise.all(Array.from({ length: 40 }, (_, i) => roundRobin(instances, i).getJsapiTicket()));
    assert.equal(new Set(tickets).size, 1);
    assert.equal(emulator.callCount('get_jsapi_ticket'), 1);
  } finally {
    emulator.faults.reset();
  }
});

test('a token revoked at WeCom: every instance meets 42001, the fleet makes one new gettoken', async () => {
  const instances = await fleet(4, randomPrefix());
  await Promise.all(instances.map((wecom) => wecom.getAccessToken()));
  emulator.clearCalls();
  emulator.revokeTokens();
  const users = await Promise.all(instances.map((wecom) => wecom.getUser('zhangsan')));
  for (const user of users) assert.equal(user.userid, 'zhangsan');
  assert.equal(emulator.callCount('gettoken'), 1);
});
