/**
 * The WeCom client on a fleet: four "instances" (each its own WeComClient, Redis client and
 * RedisTokenCache) against the emulator share one access_token and one jsapi_ticket.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { WeComClient, WeComConfigError } from '../../src/wecom/index.ts';
import { RedisTokenCache } from '../../src/redis/index.ts';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.ts';
import { connectClient, destroyAll, randomPrefix, roundRobin, type TestClient } from '../helpers/redis-clients.ts';

let emulator: Emulator;
let server: TestRedisServer;
const clients: TestClient[] = [];
const caches: RedisTokenCache[] = [];
const wecoms: WeComClient[] = [];

before(async () => {
  // Redis first, one after the other: when it cannot start, nothing else is left running
  // (under Promise.all the emulator would stay listening and keep this file's process alive).
  server = await startRedisServer();
  emulator = await startEmulator();
});
after(async () => {
  for (const wecom of wecoms) wecom.close();
  for (const cache of caches) await cache.close();
  destroyAll(clients);
  await Promise.all([emulator?.close(), server?.stop()]); // either may be missing when the set-up failed
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

/**
 * Each instance calls getAccessToken every 20 ms for `durationMs`; returns how many gettoken
 * calls reached WeCom. A gettoken with a wrong secret is an erroneous call: WeCom blocks a corp
 * for an hour after too many (https://developer.work.weixin.qq.com/document/path/90454).
 */
async function hammer(instances: WeComClient[], durationMs: number): Promise<number> {
  emulator.clearCalls();
  const until = Date.now() + durationMs;
  await Promise.all(
    instances.map(async (wecom, i) => {
      await new Promise((resolve) => setTimeout(resolve, i % 20)); // not all in the same tick
      while (Date.now() < until) {
        const err = await wecom.getAccessToken().then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.ok(err instanceof WeComConfigError, `expected the configuration error, got ${String(err)}`);
        assert.equal(err.setting, 'secret');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }),
  );
  return emulator.callCount('gettoken');
}

test("50 instances with a wrong secret make no more gettoken calls than one instance: the cool-down is the fleet's", async () => {
  // Above the cache's one-second "failed" hold on the lock, as the default 30 s is.
  const COOLDOWN_MS = 1500;
  const DURATION_MS = 3200;
  const wrong = async (size: number) => {
    const prefix = randomPrefix();
    const result: WeComClient[] = [];
    for (let i = 0; i < size; i++) {
      const wecom = new WeComClient({
        corpId: 'wwdemocorp0000001',
        secret: 'a-wrong-secret',
        agentId: 1000002,
        apiBaseUrl: emulator.url,
        configErrorCooldownMs: COOLDOWN_MS,
        tokenCache: new RedisTokenCache(await connectClient(server.url, clients), { prefix }),
      });
      wecoms.push(wecom);
      result.push(wecom);
    }
    return result;
  };
  const one = await hammer(await wrong(1), DURATION_MS);
  const fifty = await hammer(await wrong(50), DURATION_MS);
  // One call per cool-down: at 0, ~1.5 s, ~3 s. Per-instance cool-downs would make 50 times that.
  const bound = Math.floor(DURATION_MS / COOLDOWN_MS) + 1;
  console.log(`# wrong secret for ${DURATION_MS} ms, cool-down ${COOLDOWN_MS} ms: 1 instance ${one} gettoken calls, 50 instances ${fifty}`);
  assert.ok(one <= bound, `1 instance: ${one} calls`);
  assert.ok(fifty <= bound, `50 instances: ${fifty} calls, at most ${bound} (one per cool-down)`);
  // Within one call of a single instance: whether the last cool-down ends inside the window
  // depends on when the first call happened, which a loaded machine moves by a few hundred ms.
  assert.ok(fifty <= one + 1, `50 instances: ${fifty} calls, one instance: ${one}`);
});
