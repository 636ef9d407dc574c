import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryTokenCache } from '../../src/wecom/memory-token-cache.ts';
import type { FreshCredential } from '../../src/wecom/token-cache.ts';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('MemoryTokenCache (TokenCache contract)', () => {
  it('get returns undefined when empty, the value with its remaining lifetime and age until it expires, then undefined', async () => {
    const c = clock();
    const cache = new MemoryTokenCache({ now: c.now });
    assert.equal(await cache.get('k'), undefined);
    await cache.obtain('k', async () => ({ value: 'v1', ttlMs: 1000 }));
    assert.deepEqual(await cache.get('k'), { value: 'v1', ttlMs: 1000, ageMs: 0 });
    c.advance(999);
    assert.deepEqual(await cache.get('k'), { value: 'v1', ttlMs: 1, ageMs: 999 });
    c.advance(1);
    assert.equal(await cache.get('k'), undefined);
  });

  it('obtain calls fetch at most once at a time per key; concurrent callers share it', async () => {
    const cache = new MemoryTokenCache();
    let calls = 0;
    const d = deferred<FreshCredential>();
    const fetch = () => {
      calls++;
      return d.promise;
    };
    const all = Promise.all(Array.from({ length: 20 }, () => cache.obtain('k', fetch)));
    d.resolve({ value: 'v1', ttlMs: 60_000 });
    const results = await all;
    assert.equal(calls, 1);
    assert.ok(results.every((r) => r.value === 'v1'));
  });

  it('keys are independent', async () => {
    const cache = new MemoryTokenCache();
    await cache.obtain('a', async () => ({ value: 'A', ttlMs: 60_000 }));
    await cache.obtain('b', async () => ({ value: 'B', ttlMs: 60_000 }));
    assert.equal((await cache.get('a'))?.value, 'A');
    assert.equal((await cache.get('b'))?.value, 'B');
  });

  it('obtain returns a valid value other than stale without fetching', async () => {
    const cache = new MemoryTokenCache();
    await cache.obtain('k', async () => ({ value: 'new', ttlMs: 60_000 }));
    let calls = 0;
    const got = await cache.obtain('k', async () => (calls++, { value: 'newer', ttlMs: 60_000 }), 'old');
    assert.equal(got.value, 'new');
    assert.equal((await cache.obtain('k', async () => (calls++, { value: 'x', ttlMs: 1 }))).value, 'new');
    assert.equal(calls, 0);
  });

  it('obtain with stale equal to the cached value fetches a new one, telling fetch what it replaces', async () => {
    const cache = new MemoryTokenCache();
    const replaced: (string | undefined)[] = [];
    await cache.obtain('k', async (replacing) => (replaced.push(replacing), { value: 'v1', ttlMs: 60_000 }));
    const got = await cache.obtain('k', async (replacing) => (replaced.push(replacing), { value: 'v2', ttlMs: 60_000 }), 'v1');
    assert.equal(got.value, 'v2');
    assert.equal((await cache.get('k'))?.value, 'v2');
    assert.deepEqual(replaced, [undefined, 'v1']);
  });

  it('renews ahead of expiry: after refreshAfterMs one background fetch, callers keep the current value meanwhile', async () => {
    const c = clock();
    const cache = new MemoryTokenCache({ now: c.now });
    await cache.obtain('k', async () => ({ value: 'v1', ttlMs: 1000, refreshAfterMs: 800 }));
    const d = deferred<FreshCredential>();
    const replaced: (string | undefined)[] = [];
    const fetch = (replacing: string | undefined) => {
      replaced.push(replacing);
      return d.promise;
    };
    c.advance(799);
    assert.equal((await cache.obtain('k', fetch)).value, 'v1');
    assert.deepEqual(replaced, [], 'not due yet');
    c.advance(1);
    const during = await Promise.all(Array.from({ length: 10 }, () => cache.obtain('k', fetch)));
    assert.ok(
      during.every((r) => r.value === 'v1'),
      'nobody waits for the renewal',
    );
    assert.deepEqual(replaced, ['v1'], 'one background fetch, told what it replaces');
    d.resolve({ value: 'v2', ttlMs: 1000 });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(await cache.get('k'), { value: 'v2', ttlMs: 1000, ageMs: 0 });
    c.advance(900);
    assert.equal((await cache.obtain('k', fetch)).value, 'v2', 'no refreshAfterMs: never renewed ahead');
    assert.equal(replaced.length, 1);
  });

  it('a failed renewal leaves the current value in use and is tried again a second later, not on every call', async () => {
    const c = clock();
    const cache = new MemoryTokenCache({ now: c.now });
    await cache.obtain('k', async () => ({ value: 'v1', ttlMs: 10_000, refreshAfterMs: 5000 }));
    c.advance(6000);
    let calls = 0;
    const failing = async () => {
      calls++;
      throw new Error('WeCom busy');
    };
    for (let i = 0; i < 10; i++) {
      assert.equal((await cache.obtain('k', failing)).value, 'v1');
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(calls, 1);
    c.advance(1000);
    assert.equal((await cache.obtain('k', failing)).value, 'v1');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(calls, 2);
  });

  it('invalidate forgets the key only while it still holds that value', async () => {
    const cache = new MemoryTokenCache();
    await cache.obtain('k', async () => ({ value: 'v2', ttlMs: 60_000 }));
    await cache.invalidate('k', 'v1');
    assert.equal((await cache.get('k'))?.value, 'v2');
    await cache.invalidate('k', 'v2');
    assert.equal(await cache.get('k'), undefined);
  });

  it('a failed fetch is not cached, propagates to every waiter, and frees the slot', async () => {
    const cache = new MemoryTokenCache();
    const boom = new Error('boom');
    const d = deferred<FreshCredential>();
    const a = cache.obtain('k', () => d.promise);
    const b = cache.obtain('k', () => Promise.reject(new Error('second fetch must not run')));
    d.reject(boom);
    await assert.rejects(a, boom);
    await assert.rejects(b, boom);
    assert.equal(await cache.get('k'), undefined);
    assert.equal((await cache.obtain('k', async () => ({ value: 'ok', ttlMs: 1000 }))).value, 'ok');
  });

  it('a fetch that throws synchronously does not wedge the key; a malformed answer is refused', async () => {
    const cache = new MemoryTokenCache();
    await assert.rejects(
      cache.obtain('k', () => {
        throw new Error('sync');
      }),
      /sync/,
    );
    await assert.rejects(
      cache.obtain('k', async () => ({ value: 'v', ttlMs: 0 })),
      /ttlMs: ms > 0/,
    );
    assert.equal((await cache.obtain('k', async () => ({ value: 'ok', ttlMs: 1000 }))).value, 'ok');
  });

  it('returns copies: callers cannot mutate the stored entry', async () => {
    const cache = new MemoryTokenCache();
    const first = await cache.obtain('k', async () => ({ value: 'v', ttlMs: 1000 }));
    first.value = 'mutated';
    const got = await cache.get('k');
    assert.equal(got?.value, 'v');
    if (got) got.value = 'again';
    assert.equal((await cache.get('k'))?.value, 'v');
  });
});

describe('MemoryTokenCache shared entries', () => {
  it('addEntry stores once until the entry expires; setEntry replaces; getEntry misses after expiry', async () => {
    const c = clock();
    const cache = new MemoryTokenCache({ now: c.now });
    const adds = await Promise.all([1, 2, 3].map((i) => cache.addEntry('claim', `v${i}`, 1000)));
    assert.deepEqual(adds, [true, false, false]);
    assert.equal(await cache.getEntry('claim'), 'v1');
    await cache.setEntry('claim', 'done', 500);
    assert.equal(await cache.getEntry('claim'), 'done');
    c.advance(500);
    assert.equal(await cache.getEntry('claim'), undefined);
    assert.equal(await cache.addEntry('claim', 'v4', 1000), true);
  });
});

describe('MemoryEntries bounds', () => {
  it('past maxEntries the oldest entries go first; expired ones are swept', async () => {
    const { MemoryEntries } = await import('../../src/wecom/shared-entries.ts');
    const c = clock();
    const entries = new MemoryEntries({ now: c.now, maxEntries: 3 });
    for (const k of ['a', 'b', 'c', 'd']) entries.setSync(k, k, 10_000);
    assert.equal(entries.size, 3);
    assert.equal(entries.getSync('a'), undefined);
    assert.equal(entries.getSync('d'), 'd');
    c.advance(20_000);
    entries.setSync('e', 'e', 10_000);
    assert.equal(entries.size, 1, 'expired entries swept on the next write');
  });
});
