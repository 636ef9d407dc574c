import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.ts';
import { RedisTokenCache, type RedisTokenCacheOptions } from '../../src/redis/index.ts';
import {
  commandCount,
  connectClient,
  countingFetch,
  destroyAll,
  randomPrefix,
  recordingLogger,
  roundRobin,
  sleep,
  total,
  waitUntil,
  type TestClient,
} from './support.ts';

const KEY = 'access_token:wwcorp:1000002';

let server: TestRedisServer;
let admin: TestClient;
const clients: TestClient[] = [];
const caches: RedisTokenCache[] = [];

before(async () => {
  server = await startRedisServer();
  admin = await connectClient(server.url, []);
});
after(async () => {
  admin.destroy();
  await server.stop();
});
afterEach(async () => {
  for (const cache of caches.splice(0)) await cache.close();
  destroyAll(clients);
});

/** One "process": its own client and cache. */
async function instance(prefix: string, options: RedisTokenCacheOptions = {}): Promise<RedisTokenCache> {
  const cache = new RedisTokenCache(await connectClient(server.url, clients), { prefix, logger: null, ...options });
  caches.push(cache);
  return cache;
}

describe('RedisTokenCache: get / refresh / invalidate', () => {
  test('cold get is undefined; refresh fetches once and stores value + expiry under prefix+key', async () => {
    const prefix = randomPrefix();
    const cache = await instance(prefix);
    const f = countingFetch('tok');
    assert.equal(await cache.get(KEY), undefined);
    const first = await cache.refresh(KEY, f.fetch);
    assert.equal(first.value, 'tok-1');
    assert.deepEqual(await cache.get(KEY), first);
    assert.equal(f.calls, 1);

    const raw = JSON.parse((await admin.get(prefix + KEY)) ?? 'null') as { value: string; expiresAt: number };
    assert.equal(raw.value, 'tok-1');
    assert.equal(raw.expiresAt, first.expiresAt);
    const pttl = await admin.pTTL(prefix + KEY);
    assert.ok(pttl > 55_000 && pttl <= 60_000, `PX follows expiresAt, got ${pttl}`);
    assert.equal(await admin.exists(`${prefix}${KEY}:lock`), 0, 'lock released');
  });

  test('refresh returns a valid value other than stale without fetching; with stale = current it fetches', async () => {
    const cache = await instance(randomPrefix());
    const f = countingFetch('tok');
    await cache.refresh(KEY, f.fetch);
    assert.equal((await cache.refresh(KEY, f.fetch)).value, 'tok-1');
    assert.equal((await cache.refresh(KEY, f.fetch, 'some-older-token')).value, 'tok-1');
    assert.equal(f.calls, 1);
    assert.equal((await cache.refresh(KEY, f.fetch, 'tok-1')).value, 'tok-2');
    assert.equal(f.calls, 2);
  });

  test('an expired value reads as absent', async () => {
    const cache = await instance(randomPrefix());
    await cache.refresh(KEY, async () => ({ value: 'short', expiresAt: Date.now() + 150 }));
    assert.equal((await cache.get(KEY))?.value, 'short');
    await sleep(200);
    assert.equal(await cache.get(KEY), undefined);
  });

  test('invalidate deletes only while the stored value matches', async () => {
    const prefix = randomPrefix();
    const cache = await instance(prefix);
    await cache.refresh(KEY, countingFetch('tok').fetch);
    await cache.invalidate(KEY, 'not-the-stored-one');
    assert.equal((await cache.get(KEY))?.value, 'tok-1');
    await cache.invalidate(KEY, 'tok-1');
    assert.equal(await cache.get(KEY), undefined);
    assert.equal(await admin.exists(prefix + KEY), 0);
  });

  test('keys are namespaced by prefix and key: two apps never share a token', async () => {
    const prefix = randomPrefix();
    const cache = await instance(prefix);
    await cache.refresh('access_token:wwcorp:1000002', async () => ({ value: 'app-a', expiresAt: Date.now() + 60_000 }));
    await cache.refresh('access_token:wwcorp:1000003', async () => ({ value: 'app-b', expiresAt: Date.now() + 60_000 }));
    assert.equal((await cache.get('access_token:wwcorp:1000002'))?.value, 'app-a');
    assert.equal((await cache.get('access_token:wwcorp:1000003'))?.value, 'app-b');
    const other = await instance(randomPrefix());
    assert.equal(await other.get('access_token:wwcorp:1000002'), undefined);
  });

  test('a fetch that fails rejects the callers and releases the lock', async () => {
    const prefix = randomPrefix();
    const cache = await instance(prefix);
    await assert.rejects(
      cache.refresh(KEY, async () => {
        throw new Error('gettoken failed');
      }),
      /gettoken failed/,
    );
    assert.equal(await admin.exists(`${prefix}${KEY}:lock`), 0);
    assert.equal((await cache.refresh(KEY, countingFetch('tok').fetch)).value, 'tok-1');
  });
});

describe('RedisTokenCache: a fleet of instances', () => {
  test('50 concurrent refreshes over 4 instances: one fetch, one value for all', async () => {
    const prefix = randomPrefix();
    const fleet = await Promise.all([1, 2, 3, 4].map(() => instance(prefix)));
    const f = countingFetch('tok', 300);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => roundRobin(fleet, i).refresh(KEY, f.fetch)),
    );
    assert.equal(f.calls, 1);
    assert.deepEqual(new Set(results.map((r) => r.value)), new Set(['tok-1']));
    for (const cache of fleet) assert.equal((await cache.get(KEY))?.value, 'tok-1');
  });

  test('waiters are woken by pub/sub, not by a polling storm', async () => {
    const own = await startRedisServer();
    const ownClients: TestClient[] = [];
    const ownCaches: RedisTokenCache[] = [];
    try {
      const ownAdmin = await connectClient(own.url, ownClients);
      const prefix = randomPrefix();
      for (let i = 0; i < 4; i++) {
        ownCaches.push(new RedisTokenCache(await connectClient(own.url, ownClients), { prefix, logger: null }));
      }
      await ownAdmin.configResetStat();
      const f = countingFetch('tok', 1100);
      let fetchedAt = 0;
      const fetch = async () => {
        const result = await f.fetch();
        fetchedAt = Date.now();
        return result;
      };
      const resolvedAt: number[] = [];
      await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          roundRobin(ownCaches, i).refresh(KEY, fetch).then(() => resolvedAt.push(Date.now())),
        ),
      );
      const counts = await commandCount(ownAdmin);
      assert.equal(f.calls, 1);
      // 200 callers, 1.1 s of waiting: the owner needs ~7 commands, each waiting process a
      // handful of re-checks on a 50 ms..1 s backoff. A poll loop would run into the thousands.
      assert.ok(total(counts) < 100, `commands: ${JSON.stringify(Object.fromEntries(counts))}`);
      assert.equal(counts.get('incr'), 1);
      // Pub/sub wakes the waiters at once; the backoff alone would leave them up to 1 s late.
      const lateness = Math.max(...resolvedAt) - fetchedAt;
      assert.ok(lateness < 250, `last waiter resolved ${lateness} ms after the fetch`);
    } finally {
      for (const cache of ownCaches) await cache.close();
      destroyAll(ownClients);
      await own.stop();
    }
  });

  test('a slow owner whose lock expired cannot overwrite the newer token written by the next owner', async () => {
    const prefix = randomPrefix();
    const slow = await instance(prefix, { lockTtlMs: 200 });
    const fast = await instance(prefix, { lockTtlMs: 200 });
    let slowFetched = false;
    const slowRefresh = slow.refresh(KEY, async () => {
      await sleep(700);
      slowFetched = true;
      // Even with a later expiry, the older refresh must lose: the fence decides, not the clock.
      return { value: 'old-token', expiresAt: Date.now() + 120_000 };
    });
    await sleep(300); // the slow owner's lock has expired by now
    const fastResult = await fast.refresh(KEY, async () => ({ value: 'new-token', expiresAt: Date.now() + 60_000 }));
    assert.equal(fastResult.value, 'new-token');
    assert.equal(slowFetched, false, 'the second owner fetched while the first was still fetching');

    const slowResult = await slowRefresh;
    assert.equal(slowResult.value, 'new-token', 'the late owner hands out the stored newer token');
    assert.equal((await fast.get(KEY))?.value, 'new-token');
    assert.equal((await slow.get(KEY))?.value, 'new-token');
    assert.equal(JSON.parse((await admin.get(prefix + KEY)) ?? '{}').value, 'new-token');
  });

  test('two instances meeting the same rejected token: deleted once, one fetch, both get the new token', async () => {
    const prefix = randomPrefix();
    const a = await instance(prefix);
    const b = await instance(prefix);
    const f = countingFetch('tok', 100);
    await a.refresh(KEY, f.fetch);
    assert.equal((await b.get(KEY))?.value, 'tok-1');

    // Both got 42001 with tok-1: each invalidates, then refreshes with stale = tok-1.
    const onReject = async (cache: RedisTokenCache) => {
      await cache.invalidate(KEY, 'tok-1');
      return cache.refresh(KEY, f.fetch, 'tok-1');
    };
    const [ra, rb] = await Promise.all([onReject(a), onReject(b)]);
    assert.equal(f.calls, 2, 'one fetch for the initial token, one for the refresh');
    assert.equal(ra.value, 'tok-2');
    assert.equal(rb.value, 'tok-2');

    // A third instance still holding tok-1 invalidates late: the newer tok-2 survives.
    const c = await instance(prefix);
    await c.invalidate(KEY, 'tok-1');
    assert.equal((await c.refresh(KEY, f.fetch, 'tok-1')).value, 'tok-2');
    assert.equal(f.calls, 2);
  });

  test('a lock holder that died: one waiter takes over once the lock expires', async () => {
    const prefix = randomPrefix();
    await admin.set(`${prefix}${KEY}:lock`, 'a-dead-instance', { expiration: { type: 'PX', value: 600 } });
    const fleet = await Promise.all([1, 2, 3].map(() => instance(prefix)));
    const f = countingFetch('tok', 50);
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => roundRobin(fleet, i).refresh(KEY, f.fetch)));
    const elapsed = Date.now() - started;
    assert.equal(f.calls, 1);
    assert.deepEqual(new Set(results.map((r) => r.value)), new Set(['tok-1']));
    assert.ok(elapsed >= 550, `took over after ${elapsed} ms, before the lock expired`);
    assert.ok(elapsed < 2500, `took over after ${elapsed} ms`);
  });

  test('waiters fail (instead of fetching in turn) when the owner reports its fetch failed', async () => {
    const prefix = randomPrefix();
    const a = await instance(prefix);
    const b = await instance(prefix);
    let calls = 0;
    const failing = async () => {
      calls++;
      await sleep(200);
      throw new Error('errcode 40001 invalid secret');
    };
    const ra = a.refresh(KEY, failing);
    await sleep(50);
    const rb = b.refresh(KEY, failing);
    await assert.rejects(ra, /40001/);
    await assert.rejects(rb, { name: 'RedisTokenCacheError', code: 'REDIS_TOKEN_REFRESH_FAILED_ELSEWHERE' });
    assert.equal(calls, 1);
  });

  test('a waiter gives up after waitTimeoutMs with a coded error', async () => {
    const prefix = randomPrefix();
    await admin.set(`${prefix}${KEY}:lock`, 'someone', { expiration: { type: 'PX', value: 5000 } });
    const cache = await instance(prefix, { waitTimeoutMs: 300 });
    const f = countingFetch('tok');
    await assert.rejects(cache.refresh(KEY, f.fetch), { code: 'REDIS_TOKEN_WAIT_TIMEOUT' });
    assert.equal(f.calls, 0);
  });
});

describe('RedisTokenCache: Redis faults', () => {
  test('Redis stopped mid-run: in-process single-flight, one warning, no crash; restarted: Redis again', async () => {
    const own = await startRedisServer();
    const ownClients: TestClient[] = [];
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const logger = recordingLogger();
    const prefix = randomPrefix();
    const client = await connectClient(own.url, ownClients);
    const cache = new RedisTokenCache(client, { prefix, logger });
    try {
      const f = countingFetch('tok', 100);
      assert.equal((await cache.refresh(KEY, f.fetch)).value, 'tok-1');

      await own.stop();
      // The cached token is still served while Redis is down.
      assert.equal((await cache.get(KEY))?.value, 'tok-1');
      // WeCom rejects tok-1: 50 callers in this process invalidate + refresh: one fetch.
      const results = await Promise.all(
        Array.from({ length: 50 }, async () => {
          await cache.invalidate(KEY, 'tok-1');
          return cache.refresh(KEY, f.fetch, 'tok-1');
        }),
      );
      assert.equal(f.calls, 2);
      assert.deepEqual(new Set(results.map((r) => r.value)), new Set(['tok-2']));
      assert.equal((await cache.get(KEY))?.value, 'tok-2');
      // Still down a while later: still no more fetches, still one warning.
      await sleep(1100);
      assert.equal((await cache.refresh(KEY, f.fetch)).value, 'tok-2');
      assert.equal(f.calls, 2);
      assert.equal(logger.lines.filter((l) => l.startsWith('warn')).length, 1, logger.lines.join('\n'));
      assert.ok(!logger.lines.join('\n').includes('tok-'), 'no token in logs');

      await own.restart(); // empty dataset: persistence is off
      await waitUntil(() => client.isReady);
      await sleep(1100); // the cache retries Redis one second after the last failure
      const again = await cache.refresh(KEY, f.fetch, 'tok-2');
      assert.equal(again.value, 'tok-3');
      const check = await connectClient(own.url, ownClients);
      assert.equal(JSON.parse((await check.get(prefix + KEY)) ?? '{}').value, 'tok-3', 'written to Redis again');
      assert.ok(logger.lines.some((l) => l.includes('answers again')), logger.lines.join('\n'));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await cache.close();
      destroyAll(ownClients);
      await own.stop();
    }
  });

  test('Redis down from the start: many concurrent callers, one fetch', async () => {
    const own = await startRedisServer();
    const ownClients: TestClient[] = [];
    const client = await connectClient(own.url, ownClients);
    const cache = new RedisTokenCache(client, { prefix: randomPrefix(), logger: null });
    try {
      await own.stop();
      const f = countingFetch('tok', 100);
      const results = await Promise.all(Array.from({ length: 50 }, () => cache.refresh(KEY, f.fetch)));
      assert.equal(f.calls, 1);
      assert.deepEqual(new Set(results.map((r) => r.value)), new Set(['tok-1']));
    } finally {
      await cache.close();
      destroyAll(ownClients);
      await own.stop();
    }
  });

  test('Redis that stops answering (CLIENT PAUSE) counts as down after commandTimeoutMs', async () => {
    const own = await startRedisServer();
    const ownClients: TestClient[] = [];
    const logger = recordingLogger();
    const prefix = randomPrefix();
    const cache = new RedisTokenCache(await connectClient(own.url, ownClients), { prefix, logger, commandTimeoutMs: 200 });
    try {
      const pauser = await connectClient(own.url, ownClients);
      await pauser.sendCommand(['CLIENT', 'PAUSE', '1500', 'ALL']);
      const f = countingFetch('tok');
      const started = Date.now();
      const results = await Promise.all(Array.from({ length: 10 }, () => cache.refresh(KEY, f.fetch)));
      assert.ok(Date.now() - started < 1000, `fell back after ${Date.now() - started} ms`);
      assert.equal(f.calls, 1);
      assert.equal(results[0]?.value, 'tok-1');
      assert.equal(logger.lines.filter((l) => l.startsWith('warn')).length, 1);
      assert.match(logger.lines[0] ?? '', /no answer from Redis within 200 ms/);
    } finally {
      await cache.close();
      destroyAll(ownClients);
      await own.stop();
    }
  });
});

describe('RedisTokenCache: shared entries (claims, verdicts)', () => {
  test('addEntry is atomic across instances: of 20 concurrent adds on 4 instances exactly one wins', async () => {
    const prefix = randomPrefix();
    const caches4 = await Promise.all([0, 1, 2, 3].map(() => instance(prefix)));
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => roundRobin(caches4, i).addEntry('claim:s1', `v${i}`, 5000)));
    assert.equal(results.filter(Boolean).length, 1);
    const winner = results.indexOf(true);
    assert.equal(await roundRobin(caches4, 3).getEntry('claim:s1'), `v${winner}`);
    const pttl = await admin.pTTL(`${prefix}claim:s1`);
    assert.ok(pttl > 4000 && pttl <= 5000, `PX set (${pttl})`);
  });

  test('setEntry replaces with a new lifetime; getEntry misses after it', async () => {
    const prefix = randomPrefix();
    const cache = await instance(prefix);
    await cache.setEntry('verdict:x', 'in', 200);
    await cache.setEntry('verdict:x', 'out', 150);
    assert.equal(await cache.getEntry('verdict:x'), 'out');
    await sleep(200);
    assert.equal(await cache.getEntry('verdict:x'), undefined);
    assert.equal(await cache.addEntry('verdict:x', 'again', 1000), true, 'an expired entry can be added again');
  });
});
