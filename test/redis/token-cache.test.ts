import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.ts';
import { RedisTokenCache, type RedisTokenCacheOptions } from '../../src/redis/index.ts';
import type { FreshCredential } from '../../src/wecom/token-cache.ts';
import {
  commandCount,
  connectClient,
  countingFetch,
  deferred,
  destroyAll,
  randomPrefix,
  recordingLogger,
  roundRobin,
  sleep,
  total,
  waitUntil,
  type TestClient,
} from '../helpers/redis-clients.ts';

const KEY = 'access_token:wwcorp:1000002';
/** The credential's keys: `{KEY}` is the Cluster hash tag that keeps value, lock and gen in one slot. */
const names = (prefix: string) => {
  const value = `${prefix}{${KEY}}`;
  return { value, lock: `${value}:lock`, gen: `${value}:gen` };
};

let server: TestRedisServer;
let admin: TestClient;
const clients: TestClient[] = [];

before(async () => {
  server = await startRedisServer();
  admin = await connectClient(server.url, []);
});
after(async () => {
  // Either may be missing when the set-up failed (no redis-server): its error is the one to read.
  admin?.destroy();
  await server?.stop();
});
afterEach(() => {
  destroyAll(clients);
});

/** One "process": its own client and cache. */
async function instance(prefix: string, options: RedisTokenCacheOptions = {}, url = server.url, pool = clients): Promise<RedisTokenCache> {
  return new RedisTokenCache(await connectClient(url, pool), { prefix, ...options });
}

/** A Redis of its own for a test that stops, pauses or counts it. */
async function ownRedis(run: (own: TestRedisServer, pool: TestClient[]) => Promise<void>): Promise<void> {
  const own = await startRedisServer();
  const pool: TestClient[] = [];
  try {
    await run(own, pool);
  } finally {
    destroyAll(pool);
    await own.stop();
  }
}

describe('RedisTokenCache: get / obtain / invalidate', () => {
  test('cold get is undefined; obtain fetches once and stores the value with a Redis TTL, no instant', async () => {
    const prefix = randomPrefix();
    const cache = await instance(prefix);
    const f = countingFetch('tok', 0, 60_000, 50_000);
    assert.equal(await cache.get(KEY), undefined);
    const first = await cache.obtain(KEY, f.fetch);
    assert.deepEqual(first, { value: 'tok-1', ttlMs: 60_000, ageMs: 0 });
    assert.equal(f.calls, 1);
    assert.deepEqual(f.replaced, [undefined]);

    const raw = JSON.parse((await admin.get(names(prefix).value)) ?? 'null') as unknown;
    assert.deepEqual(raw, { value: 'tok-1', ttlMs: 60_000, refreshAfterMs: 50_000 });
    const pttl = await admin.pTTL(names(prefix).value);
    assert.ok(pttl > 55_000 && pttl <= 60_000, `PX = ttlMs, got ${pttl}`);
    assert.equal(await admin.exists(names(prefix).lock), 0, 'lock released');

    await sleep(120);
    const later = await cache.get(KEY);
    assert.equal(later?.value, 'tok-1');
    // Lifetime and age come from the Redis TTL alone.
    assert.ok(
      later !== undefined && later.ageMs >= 100 && later.ageMs < 1000 && later.ttlMs + later.ageMs === 60_000,
      JSON.stringify(later),
    );
  });

  test('obtain returns a valid value other than stale without fetching; with stale = current it fetches a replacement', async () => {
    const cache = await instance(randomPrefix());
    const f = countingFetch('tok');
    await cache.obtain(KEY, f.fetch);
    assert.equal((await cache.obtain(KEY, f.fetch)).value, 'tok-1');
    assert.equal((await cache.obtain(KEY, f.fetch, 'some-older-token')).value, 'tok-1');
    assert.equal(f.calls, 1);
    assert.equal((await cache.obtain(KEY, f.fetch, 'tok-1')).value, 'tok-2');
    assert.deepEqual(f.replaced, [undefined, 'tok-1']);
  });

  test('an expired value reads as absent', async () => {
    const cache = await instance(randomPrefix());
    await cache.obtain(KEY, async () => ({ value: 'short', ttlMs: 150 }));
    assert.equal((await cache.get(KEY))?.value, 'short');
    await sleep(200);
    assert.equal(await cache.get(KEY), undefined);
  });

  test('invalidate deletes only while the stored value matches', async () => {
    const prefix = randomPrefix();
    const cache = await instance(prefix);
    await cache.obtain(KEY, countingFetch('tok').fetch);
    await cache.invalidate(KEY, 'not-the-stored-one');
    assert.equal((await cache.get(KEY))?.value, 'tok-1');
    await cache.invalidate(KEY, 'tok-1');
    assert.equal(await cache.get(KEY), undefined);
    assert.equal(await admin.exists(names(prefix).value), 0);
  });

  test('keys are namespaced by prefix and key: two apps never share a token', async () => {
    const prefix = randomPrefix();
    const cache = await instance(prefix);
    await cache.obtain('access_token:wwcorp:1000002', async () => ({ value: 'app-a', ttlMs: 60_000 }));
    await cache.obtain('access_token:wwcorp:1000003', async () => ({ value: 'app-b', ttlMs: 60_000 }));
    assert.equal((await cache.get('access_token:wwcorp:1000002'))?.value, 'app-a');
    assert.equal((await cache.get('access_token:wwcorp:1000003'))?.value, 'app-b');
    const other = await instance(randomPrefix());
    assert.equal(await other.get('access_token:wwcorp:1000002'), undefined);
  });

  test('a fetch that fails rejects the callers and holds the lock as "failed" for a second, then frees it', async () => {
    const prefix = randomPrefix();
    const cache = await instance(prefix);
    await assert.rejects(
      cache.obtain(KEY, async () => {
        throw new Error('gettoken failed');
      }),
      /gettoken failed/,
    );
    assert.equal(await admin.get(names(prefix).lock), 'failed');
    const pttl = await admin.pTTL(names(prefix).lock);
    assert.ok(pttl > 0 && pttl <= 1000, `held ${pttl} ms`);
    await assert.rejects(cache.obtain(KEY, countingFetch('tok').fetch), { code: 'REDIS_TOKEN_REFRESH_FAILED_ELSEWHERE' });
    await waitUntil(async () => (await admin.exists(names(prefix).lock)) === 0, 2000);
    assert.equal((await cache.obtain(KEY, countingFetch('tok').fetch)).value, 'tok-1');
  });

  test('no fetch outlives its lock: a fetch slower than lockTtlMs allows is abandoned, and its late result never written', async () => {
    const prefix = randomPrefix();
    const cache = await instance(prefix, { lockTtlMs: 500, commandTimeoutMs: 100 });
    let lateResultAt = 0;
    const slow = async (): Promise<FreshCredential> => {
      await sleep(800);
      lateResultAt = Date.now();
      return { value: 'too-late', ttlMs: 60_000 };
    };
    const started = Date.now();
    await assert.rejects(cache.obtain(KEY, slow), { name: 'RedisTokenCacheError', code: 'REDIS_TOKEN_FETCH_TIMEOUT' });
    const gaveUpAfter = Date.now() - started;
    assert.ok(gaveUpAfter < 500, `gave up after ${gaveUpAfter} ms, inside the 500 ms lock`);
    await waitUntil(() => lateResultAt > 0);
    await sleep(50);
    assert.equal(await admin.exists(names(prefix).value), 0, 'the late result is not stored');
  });
});

describe('RedisTokenCache: a fleet of instances', () => {
  test('50 concurrent obtains over 4 instances: one fetch, one value for all', async () => {
    const prefix = randomPrefix();
    const fleet = await Promise.all([1, 2, 3, 4].map(() => instance(prefix)));
    const f = countingFetch('tok', 300);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => roundRobin(fleet, i).obtain(KEY, f.fetch)));
    assert.equal(f.calls, 1);
    assert.deepEqual(new Set(results.map((r) => r.value)), new Set(['tok-1']));
    for (const cache of fleet) assert.equal((await cache.get(KEY))?.value, 'tok-1');
  });

  test('waiters re-read gently (no polling storm) and pick the value up soon after it is written', async () => {
    await ownRedis(async (own, pool) => {
      const ownAdmin = await connectClient(own.url, pool);
      const prefix = randomPrefix();
      const fleet = await Promise.all([1, 2, 3, 4].map(() => instance(prefix, {}, own.url, pool)));
      await ownAdmin.configResetStat();
      const f = countingFetch('tok', 1100);
      let fetchedAt = 0;
      const fetch = async (replacing: string | undefined) => {
        const result = await f.fetch(replacing);
        fetchedAt = Date.now();
        return result;
      };
      const resolvedAt: number[] = [];
      await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          roundRobin(fleet, i)
            .obtain(KEY, fetch)
            .then(() => resolvedAt.push(Date.now())),
        ),
      );
      const counts = await commandCount(ownAdmin);
      assert.equal(f.calls, 1);
      // 200 callers, 4 processes, 1.1 s of waiting: one round per process, re-reading on a
      // 25 ms..200 ms backoff, about 10 rounds of 3 commands each. Per-caller polling would be thousands.
      assert.ok(total(counts) < 150, `commands: ${JSON.stringify(Object.fromEntries(counts))}`);
      const lateness = Math.max(...resolvedAt) - fetchedAt;
      assert.ok(lateness < 500, `last waiter resolved ${lateness} ms after the fetch (backoff cap 200 ms)`);
    });
  });

  test('renewal ahead of expiry: one background fetch for the fleet, every caller keeps the current value meanwhile', async () => {
    const prefix = randomPrefix();
    const fleet = await Promise.all([1, 2, 3, 4].map(() => instance(prefix)));
    const first = roundRobin(fleet, 0);
    await first.obtain(KEY, async () => ({ value: 'tok-1', ttlMs: 60_000, refreshAfterMs: 100 }));
    await sleep(150);
    const renewal = deferred<FreshCredential>();
    const replaced: (string | undefined)[] = [];
    const fetch = (replacing: string | undefined) => {
      replaced.push(replacing);
      return renewal.promise;
    };
    const during = await Promise.all(Array.from({ length: 40 }, (_, i) => roundRobin(fleet, i).obtain(KEY, fetch)));
    assert.deepEqual(new Set(during.map((r) => r.value)), new Set(['tok-1']), 'nobody waited for the renewal');
    await waitUntil(() => replaced.length === 1);
    await sleep(100);
    assert.deepEqual(replaced, ['tok-1'], 'one renewal for the fleet, told what it replaces');
    assert.ok((await admin.exists(names(prefix).lock)) === 1, 'the renewing instance holds the lock');
    renewal.resolve({ value: 'tok-2', ttlMs: 60_000, refreshAfterMs: 50_000 });
    await waitUntil(async () => (await roundRobin(fleet, 3).get(KEY))?.value === 'tok-2');
    for (const cache of fleet) assert.equal((await cache.obtain(KEY, fetch)).value, 'tok-2');
    assert.equal(replaced.length, 1);
    assert.equal(await admin.exists(names(prefix).lock), 0);
  });

  test('a lock holder that died: one waiter takes over once the lock expires', async () => {
    const prefix = randomPrefix();
    await admin.set(names(prefix).lock, 'a-dead-instance', { expiration: { type: 'PX', value: 600 } });
    const fleet = await Promise.all([1, 2, 3].map(() => instance(prefix)));
    const f = countingFetch('tok', 50);
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => roundRobin(fleet, i).obtain(KEY, f.fetch)));
    const elapsed = Date.now() - started;
    assert.equal(f.calls, 1);
    assert.deepEqual(new Set(results.map((r) => r.value)), new Set(['tok-1']));
    assert.ok(elapsed >= 550, `took over after ${elapsed} ms, before the lock expired`);
    assert.ok(elapsed < 2500, `took over after ${elapsed} ms`);
  });

  test("waiters fail (instead of fetching in turn) when the owner's fetch failed", async () => {
    const prefix = randomPrefix();
    const a = await instance(prefix);
    const b = await instance(prefix);
    let calls = 0;
    const failing = async (): Promise<FreshCredential> => {
      calls++;
      await sleep(200);
      throw new Error('errcode 40001 invalid secret');
    };
    const ra = a.obtain(KEY, failing);
    await sleep(50);
    const rb = b.obtain(KEY, failing);
    await assert.rejects(ra, /40001/);
    await assert.rejects(rb, { name: 'RedisTokenCacheError', code: 'REDIS_TOKEN_REFRESH_FAILED_ELSEWHERE' });
    assert.equal(calls, 1);
  });

  test('a waiter gives up after waitTimeoutMs with a coded error', async () => {
    const prefix = randomPrefix();
    await admin.set(names(prefix).lock, 'someone', { expiration: { type: 'PX', value: 5000 } });
    const cache = await instance(prefix, { waitTimeoutMs: 300 });
    const f = countingFetch('tok');
    await assert.rejects(cache.obtain(KEY, f.fetch), { code: 'REDIS_TOKEN_WAIT_TIMEOUT' });
    assert.equal(f.calls, 0);
  });

  test('two instances meeting the same rejected token: deleted once, one fetch, both get the new token', async () => {
    const prefix = randomPrefix();
    const a = await instance(prefix);
    const b = await instance(prefix);
    const f = countingFetch('tok', 100);
    await a.obtain(KEY, f.fetch);
    assert.equal((await b.get(KEY))?.value, 'tok-1');

    // Both got 42001 with tok-1: each invalidates, then obtains with stale = tok-1.
    const onReject = async (cache: RedisTokenCache) => {
      await cache.invalidate(KEY, 'tok-1');
      return cache.obtain(KEY, f.fetch, 'tok-1');
    };
    const [ra, rb] = await Promise.all([onReject(a), onReject(b)]);
    assert.equal(f.calls, 2, 'one fetch for the initial token, one for the refresh');
    assert.equal(ra.value, 'tok-2');
    assert.equal(rb.value, 'tok-2');

    // A third instance still holding tok-1 invalidates late: the newer tok-2 survives.
    const c = await instance(prefix);
    await c.invalidate(KEY, 'tok-1');
    assert.equal((await c.obtain(KEY, f.fetch, 'tok-1')).value, 'tok-2');
    assert.equal(f.calls, 2);
  });
});

describe('RedisTokenCache: the fence (why `gen` exists)', () => {
  test('a slow owner cannot bring back a token revoked while it fetched; the next fetch can store it again', async () => {
    const prefix = randomPrefix();
    const slow = await instance(prefix);
    const other = await instance(prefix);
    // WeCom hands a valid token back on a repeat gettoken: a fetch in flight when WeCom revokes
    // tok-1 may still return tok-1. The slow owner's fetch is that one.
    const answers = [deferred<FreshCredential>(), deferred<FreshCredential>()];
    let calls = 0;
    const fetch = () => answers[calls++]?.promise ?? Promise.reject(new Error('a third fetch'));
    const slowResult = slow.obtain(KEY, fetch);
    await waitUntil(() => calls === 1);

    // Meanwhile another instance used tok-1 (e.g. from the answer of an earlier fetch) and WeCom
    // rejected it: it invalidates tok-1 and asks for a replacement, waiting behind the slow owner.
    await other.invalidate(KEY, 'tok-1');
    const otherResult = other.obtain(KEY, fetch, 'tok-1');
    answers[0]?.resolve({ value: 'tok-1', ttlMs: 60_000 });
    await waitUntil(() => calls === 2);
    assert.equal(await admin.exists(names(prefix).value), 0, 'the revoked tok-1 was not written back');
    answers[1]?.resolve({ value: 'tok-2', ttlMs: 60_000 });
    assert.equal((await slowResult).value, 'tok-2', 'the slow owner fetched again instead of serving what it had');
    assert.equal((await otherResult).value, 'tok-2');
    assert.equal(calls, 2);
    assert.equal(JSON.parse((await admin.get(names(prefix).value)) ?? '{}').value, 'tok-2');

    // An owner that took the lock after the invalidation may store whatever WeCom returns, even the
    // value just rejected (WeCom's 40014 may have been wrong): the fence is a generation, not a blacklist.
    await other.invalidate(KEY, 'tok-2');
    assert.equal((await other.obtain(KEY, async () => ({ value: 'tok-2', ttlMs: 60_000 }), 'tok-2')).value, 'tok-2');
    assert.equal(JSON.parse((await admin.get(names(prefix).value)) ?? '{}').value, 'tok-2');
  });

  test('invalidate does not fence anyone when another value is already stored; it never deletes the counter', async () => {
    const prefix = randomPrefix();
    const cache = await instance(prefix);
    await cache.obtain(KEY, async () => ({ value: 'tok-1', ttlMs: 60_000 }));
    await cache.invalidate(KEY, 'tok-1');
    const gen = await admin.get(names(prefix).gen);
    assert.equal(gen, '1');
    await cache.obtain(KEY, async () => ({ value: 'tok-2', ttlMs: 60_000 }), 'tok-1');
    await cache.invalidate(KEY, 'tok-1'); // late: tok-2 is stored
    assert.equal(await admin.get(names(prefix).gen), '1');
    assert.equal((await cache.get(KEY))?.value, 'tok-2');
    await cache.invalidate(KEY, 'tok-2');
    assert.equal(await admin.get(names(prefix).gen), '2');
    assert.ok((await admin.pTTL(names(prefix).gen)) > 3600_000, 'kept (a day), never deleted');
  });
});

describe('RedisTokenCache: Redis paused for writes (CLIENT PAUSE WRITE, what a FAILOVER does)', () => {
  test('a lock taken late is released at once: the other instances have a token within 1 s of the pause ending', async () => {
    await ownRedis(async (own, pool) => {
      const ownAdmin = await connectClient(own.url, pool);
      const prefix = randomPrefix();
      const options = { commandTimeoutMs: 200 };
      const [a, b, c] = await Promise.all([1, 2, 3].map(() => instance(prefix, options, own.url, pool)));
      if (a === undefined || b === undefined || c === undefined) throw new Error('no fleet');
      const f = countingFetch('tok', 20);
      const PAUSE_MS = 800;
      await ownAdmin.sendCommand(['CLIENT', 'PAUSE', String(PAUSE_MS), 'WRITE']);
      const pauseEnds = Date.now() + PAUSE_MS;
      // A wants a token during the pause: its lock command gets no answer in time, so A serves
      // itself (Redis "down" for it) and the lock is taken only when the pause ends.
      const mine = await a.obtain(KEY, f.fetch);
      assert.equal(mine.value, 'tok-1');
      await sleep(Math.max(0, pauseEnds - Date.now()) + 20);
      // The others ask right after the pause: nobody waits out A's lock (10 s by default).
      const [rb, rc] = await Promise.all([b.obtain(KEY, f.fetch), c.obtain(KEY, f.fetch)]);
      const after = Date.now() - pauseEnds;
      assert.ok(after < 1000, `the other instances had a token ${after} ms after the pause ended`);
      assert.equal(rb.value, rc.value, 'one token for the others');
      assert.equal(f.calls, 2, 'A for itself while Redis did not answer, one more for the fleet');
      await waitUntil(async () => (await ownAdmin.exists(names(prefix).lock)) === 0, 1000);
    });
  });

  test("the owner's write answered late still lands, and releases the lock", async () => {
    await ownRedis(async (own, pool) => {
      const ownAdmin = await connectClient(own.url, pool);
      const prefix = randomPrefix();
      const options = { commandTimeoutMs: 200 };
      const a = await instance(prefix, options, own.url, pool);
      const b = await instance(prefix, options, own.url, pool);
      const fetched = deferred<FreshCredential>();
      let calls = 0;
      const fetch = () => (calls++, fetched.promise);
      const ra = a.obtain(KEY, fetch);
      await waitUntil(() => calls === 1);
      await ownAdmin.sendCommand(['CLIENT', 'PAUSE', '600', 'WRITE']);
      const pauseEnds = Date.now() + 600;
      fetched.resolve({ value: 'tok-1', ttlMs: 60_000 });
      assert.equal((await ra).value, 'tok-1', 'the owner hands its token out without waiting for Redis');
      await sleep(Math.max(0, pauseEnds - Date.now()) + 20);
      const rb = await b.obtain(KEY, async () => ({ value: 'should-not-fetch', ttlMs: 1 }));
      assert.ok(Date.now() - pauseEnds < 1000);
      assert.equal(rb.value, 'tok-1');
      assert.equal(calls, 1);
      assert.equal(await ownAdmin.exists(names(prefix).lock), 0);
    });
  });
});

describe('RedisTokenCache: Redis faults', () => {
  test('Redis stopped mid-run: in-process single-flight, one warning, no crash; restarted: Redis again', async () => {
    await ownRedis(async (own, pool) => {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      const logger = recordingLogger();
      const prefix = randomPrefix();
      const client = await connectClient(own.url, pool);
      const cache = new RedisTokenCache(client, { prefix, logger });
      try {
        const f = countingFetch('tok', 100);
        assert.equal((await cache.obtain(KEY, f.fetch)).value, 'tok-1');

        await own.stop();
        // The cached token is still served while Redis is down.
        assert.equal((await cache.get(KEY))?.value, 'tok-1');
        // WeCom rejects tok-1: 50 callers in this process invalidate + obtain: one fetch.
        const results = await Promise.all(
          Array.from({ length: 50 }, async () => {
            await cache.invalidate(KEY, 'tok-1');
            return cache.obtain(KEY, f.fetch, 'tok-1');
          }),
        );
        assert.equal(f.calls, 2);
        assert.deepEqual(new Set(results.map((r) => r.value)), new Set(['tok-2']));
        assert.equal((await cache.get(KEY))?.value, 'tok-2');
        // Still down a while later: still no more fetches, still one warning.
        await sleep(1100);
        assert.equal((await cache.obtain(KEY, f.fetch)).value, 'tok-2');
        assert.equal(f.calls, 2);
        assert.equal(logger.lines.filter((l) => l.startsWith('warn')).length, 1, logger.lines.join('\n'));
        assert.ok(!logger.lines.join('\n').includes('tok-'), 'no token in logs');

        await own.restart(); // empty dataset: persistence is off
        await waitUntil(() => client.isReady);
        await sleep(1100); // the cache retries Redis one second after the last failure
        const again = await cache.obtain(KEY, f.fetch, 'tok-2');
        assert.equal(again.value, 'tok-3');
        const check = await connectClient(own.url, pool);
        assert.equal(JSON.parse((await check.get(names(prefix).value)) ?? '{}').value, 'tok-3', 'written to Redis again');
        assert.ok(
          logger.lines.some((l) => l.includes('answers again')),
          logger.lines.join('\n'),
        );
        assert.deepEqual(unhandled, []);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    });
  });

  test('Redis down from the start: many concurrent callers, one fetch', async () => {
    await ownRedis(async (own, pool) => {
      const cache = await instance(randomPrefix(), {}, own.url, pool);
      await own.stop();
      const f = countingFetch('tok', 100);
      const results = await Promise.all(Array.from({ length: 50 }, () => cache.obtain(KEY, f.fetch)));
      assert.equal(f.calls, 1);
      assert.deepEqual(new Set(results.map((r) => r.value)), new Set(['tok-1']));
    });
  });

  test('Redis that stops answering (CLIENT PAUSE ALL) counts as down after commandTimeoutMs', async () => {
    await ownRedis(async (own, pool) => {
      const logger = recordingLogger();
      const cache = await instance(randomPrefix(), { logger, commandTimeoutMs: 200 }, own.url, pool);
      const pauser = await connectClient(own.url, pool);
      await pauser.sendCommand(['CLIENT', 'PAUSE', '1500', 'ALL']);
      const f = countingFetch('tok');
      const started = Date.now();
      const results = await Promise.all(Array.from({ length: 10 }, () => cache.obtain(KEY, f.fetch)));
      assert.ok(Date.now() - started < 1000, `fell back after ${Date.now() - started} ms`);
      assert.equal(f.calls, 1);
      assert.equal(results[0]?.value, 'tok-1');
      assert.equal(logger.lines.filter((l) => l.startsWith('warn')).length, 1);
      assert.match(logger.lines[0] ?? '', /no answer from Redis within 200 ms/);
    });
  });

  test('silent without a logger: nothing on the console while Redis is down', async () => {
    await ownRedis(async (own, pool) => {
      const printed: unknown[] = [];
      const original = { warn: console.warn, info: console.info, error: console.error, log: console.log };
      const capture = (...args: unknown[]) => printed.push(args);
      Object.assign(console, { warn: capture, info: capture, error: capture, log: capture });
      try {
        const raw = await connectClient(own.url, pool);
        raw.removeAllListeners('error'); // as an app that attached none
        const cache = new RedisTokenCache(raw, { prefix: randomPrefix() });
        await own.stop();
        await cache.obtain(KEY, countingFetch('tok').fetch);
        await sleep(300); // reconnect attempts emit 'error'
      } finally {
        Object.assign(console, original);
      }
      assert.deepEqual(printed, []);
    });
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
