/** The same checks of the session store and the token cache, run on each Redis topology. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { SessionData, Store } from 'express-session';
import type { RedisTokenCache } from '../../src/redis/index.ts';
import type { FreshCredential } from '../../src/wecom/token-cache.ts';
import { deferred, roundRobin, sleep, waitUntil } from './redis-clients.ts';

function call<T = undefined>(run: (done: (err: unknown, value?: T) => void) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) =>
    run((err, value) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(value))),
  );
}

function sessionData(user: string, expiresInMs: number): SessionData {
  return {
    cookie: { originalMaxAge: expiresInMs, expires: new Date(Date.now() + expiresInMs), httpOnly: true, path: '/' },
    wecom: { userId: user },
  } as unknown as SessionData;
}

/** 50 sessions (spread over every slot of a cluster): written, read back, an expired one deleted, destroyed. */
export async function sessionRoundTrip(store: Store): Promise<void> {
  const sids = Array.from({ length: 50 }, () => randomBytes(12).toString('hex'));
  await Promise.all(sids.map((sid, i) => call((done) => store.set(sid, sessionData(`user${i}`, 60_000), done))));
  const read = await Promise.all(sids.map((sid) => call<SessionData | null>((done) => store.get(sid, done))));
  read.forEach((sess, i) => assert.equal((sess as unknown as { wecom?: { userId?: string } } | null)?.wecom?.userId, `user${i}`));

  const first = sids[0] ?? '';
  // connect-redis stores with the cookie's expiry; one already expired means "delete".
  await call((done) => store.set(first, sessionData('user0', -1000), done));
  assert.equal(await call<SessionData | null>((done) => store.get(first, done)), null);
  const second = sids[1] ?? '';
  await call((done) => store.set(second, sessionData('user1', 300), done));
  await sleep(1100); // EX has second resolution: ceil(0.3) = 1 s
  assert.equal(await call<SessionData | null>((done) => store.get(second, done)), null, 'gone with its cookie');
  await Promise.all(sids.map((sid) => call((done) => store.destroy(sid, done))));
  assert.equal(await call<SessionData | null>((done) => store.get(sids[2] ?? '', done)), null);
}

/**
 * Several instances (each its own client and cache) on one topology: one fetch for all, a
 * rejection handled once, a slow owner fenced off, claims atomic. Every script touches several
 * keys of one credential: on a cluster a missing hash tag would fail them (CROSSSLOT), which the
 * cache would take for "Redis down" and go per-process, fetching once per instance.
 */
export async function tokenCacheRoundTrip(instances: RedisTokenCache[]): Promise<void> {
  const key = `access_token:wwtopo:${randomBytes(4).toString('hex')}`;
  let calls = 0;
  const fetch = async (): Promise<FreshCredential> => {
    const n = ++calls;
    await sleep(100);
    return { value: `tok-${n}`, ttlMs: 60_000 };
  };
  const first = await Promise.all(Array.from({ length: 30 }, (_, i) => roundRobin(instances, i).obtain(key, fetch)));
  assert.deepEqual(new Set(first.map((r) => r.value)), new Set(['tok-1']));
  assert.equal(calls, 1, 'one fetch for every instance');

  // Everyone met a rejection of tok-1: invalidated once, one new fetch.
  const renewed = await Promise.all(
    instances.map(async (cache) => {
      await cache.invalidate(key, 'tok-1');
      return cache.obtain(key, fetch, 'tok-1');
    }),
  );
  assert.deepEqual(new Set(renewed.map((r) => r.value)), new Set(['tok-2']));
  assert.equal(calls, 2);

  // A slow owner whose answer was rejected meanwhile does not store it.
  const [slow, other] = [roundRobin(instances, 0), roundRobin(instances, 1)];
  const answers = [deferred<FreshCredential>(), deferred<FreshCredential>()];
  let slowCalls = 0;
  const slowFetch = () => answers[slowCalls++]?.promise ?? Promise.reject(new Error('a third fetch'));
  await other.invalidate(key, 'tok-2');
  const slowResult = slow.obtain(key, slowFetch, 'tok-2');
  await waitUntil(() => slowCalls === 1);
  await other.invalidate(key, 'tok-3');
  answers[0]?.resolve({ value: 'tok-3', ttlMs: 60_000 });
  await waitUntil(() => slowCalls === 2);
  assert.equal(await other.get(key), undefined, 'the invalidated tok-3 was not written');
  answers[1]?.resolve({ value: 'tok-4', ttlMs: 60_000 });
  assert.equal((await slowResult).value, 'tok-4');
  assert.equal((await other.get(key))?.value, 'tok-4');

  // Claims (shared entries) are atomic across instances.
  const claim = `claim:${randomBytes(4).toString('hex')}`;
  const adds = await Promise.all(Array.from({ length: 12 }, (_, i) => roundRobin(instances, i).addEntry(claim, `v${i}`, 5000)));
  assert.equal(adds.filter(Boolean).length, 1);
}
