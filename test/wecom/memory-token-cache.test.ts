import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryTokenCache } from '../../src/wecom/memory-token-cache.ts';
import type { CachedCredential } from '../../src/wecom/token-cache.ts';

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
  it('get returns undefined when empty, the value until it expires, then undefined', async () => {
    const c = clock();
    const cache = new MemoryTokenCache({ now: c.now });
    assert.equal(await cache.get('k'), undefined);
    await cache.refresh('k', async () => ({ value: 'v1', expiresAt: c.now() + 1000 }));
    assert.deepEqual(await cache.get('k'), { value: 'v1', expiresAt: c.now() + 1000 });
    c.advance(999);
    assert.equal((await cache.get('k'))?.value, 'v1');
    c.advance(1);
    assert.equal(await cache.get('k'), undefined);
  });

  it('refresh calls fetch at most once at a time per key; concurrent callers share it', async () => {
    const cache = new MemoryTokenCache();
    let calls = 0;
    const d = deferred<CachedCredential>();
    const fetch = () => {
      calls++;
      return d.promise;
    };
    const all = Promise.all(Array.from({ length: 20 }, () => cache.refresh('k', fetch)));
    d.resolve({ value: 'v1', expiresAt: Date.now() + 60_000 });
    const results = await all;
    assert.equal(calls, 1);
    assert.ok(results.every((r) => r.value === 'v1'));
  });

  it('keys are independent', async () => {
    const cache = new MemoryTokenCache();
    await cache.refresh('a', async () => ({ value: 'A', expiresAt: Date.now() + 60_000 }));
    await cache.refresh('b', async () => ({ value: 'B', expiresAt: Date.now() + 60_000 }));
    assert.equal((await cache.get('a'))?.value, 'A');
    assert.equal((await cache.get('b'))?.value, 'B');
  });

  it('refresh with a stale value different from the cached one returns the cached one without fetching', async () => {
    const cache = new MemoryTokenCache();
    await cache.refresh('k', async () => ({ value: 'new', expiresAt: Date.now() + 60_000 }));
    let calls = 0;
    const got = await cache.refresh('k', async () => (calls++, { value: 'newer', expiresAt: Date.now() + 60_000 }), 'old');
    assert.equal(got.value, 'new');
    assert.equal(calls, 0);
    // cold-cache semantics: stale undefined and a valid value -> the valid value
    assert.equal((await cache.refresh('k', async () => (calls++, { value: 'x', expiresAt: 0 }))).value, 'new');
    assert.equal(calls, 0);
  });

  it('refresh with stale equal to the cached value fetches a new one', async () => {
    const cache = new MemoryTokenCache();
    await cache.refresh('k', async () => ({ value: 'v1', expiresAt: Date.now() + 60_000 }));
    const got = await cache.refresh('k', async () => ({ value: 'v2', expiresAt: Date.now() + 60_000 }), 'v1');
    assert.equal(got.value, 'v2');
    assert.equal((await cache.get('k'))?.value, 'v2');
  });

  it('invalidate forgets the key only while it still holds that value', async () => {
    const cache = new MemoryTokenCache();
    await cache.refresh('k', async () => ({ value: 'v2', expiresAt: Date.now() + 60_000 }));
    await cache.invalidate('k', 'v1');
    assert.equal((await cache.get('k'))?.value, 'v2');
    await cache.invalidate('k', 'v2');
    assert.equal(await cache.get('k'), undefined);
  });

  it('a failed fetch is not cached, propagates to every waiter, and frees the slot', async () => {
    const cache = new MemoryTokenCache();
    const boom = new Error('boom');
    const d = deferred<CachedCredential>();
    const a = cache.refresh('k', () => d.promise);
    const b = cache.refresh('k', () => Promise.reject(new Error('second fetch must not run')));
    d.reject(boom);
    await assert.rejects(a, boom);
    await assert.rejects(b, boom);
    assert.equal(await cache.get('k'), undefined);
    assert.equal((await cache.refresh('k', async () => ({ value: 'ok', expiresAt: Date.now() + 1000 }))).value, 'ok');
  });

  it('a fetch that throws synchronously does not wedge the key', async () => {
    const cache = new MemoryTokenCache();
    await assert.rejects(
      cache.refresh('k', () => {
        throw new Error('sync');
      }),
      /sync/,
    );
    assert.equal((await cache.refresh('k', async () => ({ value: 'ok', expiresAt: Date.now() + 1000 }))).value, 'ok');
  });

  it('returns copies: callers cannot mutate the stored entry', async () => {
    const cache = new MemoryTokenCache();
    const first = await cache.refresh('k', async () => ({ value: 'v', expiresAt: Date.now() + 1000 }));
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
