import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { beginTransaction, consumeTransaction, newState, pendingTransactions } from '../../src/express/transactions.ts';
import type { RequestSession } from '../../src/express/session.ts';

const limits = { ttlMs: 600_000, max: 5 };
const fakeSession = (): RequestSession => ({}) as RequestSession;

describe('login transactions', () => {
  it('states are 32 base62 characters (~190 bits), all different', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const s = newState();
      assert.match(s, /^[A-Za-z0-9]{32}$/);
      seen.add(s);
    }
    assert.equal(seen.size, 2000);
  });
  it('a state is consumed once', () => {
    const session = fakeSession();
    const state = beginTransaction(session, { returnTo: '/a' }, limits, 1000);
    assert.deepEqual(consumeTransaction(session, state, limits.ttlMs, 2000), { returnTo: '/a', createdAt: 1000 });
    assert.equal(consumeTransaction(session, state, limits.ttlMs, 2000), undefined);
  });
  it('expires, is capped (oldest dropped) and ignores malformed or inherited keys', () => {
    const session = fakeSession();
    const old = beginTransaction(session, { returnTo: '/old' }, limits, 0);
    assert.equal(consumeTransaction(session, old, limits.ttlMs, limits.ttlMs + 1), undefined, 'expired');
    const states = Array.from({ length: 7 }, (_, i) => beginTransaction(session, { returnTo: `/${i}` }, limits, 10 + i));
    assert.equal(Object.keys(pendingTransactions(session, limits.ttlMs, 100)).length, 5);
    assert.equal(consumeTransaction(session, states[0], limits.ttlMs, 100), undefined, 'oldest dropped');
    assert.equal(consumeTransaction(session, states[6], limits.ttlMs, 100)?.returnTo, '/6');
    assert.equal(consumeTransaction(session, '__proto__', limits.ttlMs, 100), undefined);
    assert.equal(consumeTransaction(session, 'constructor', limits.ttlMs, 100), undefined);
    assert.equal(consumeTransaction(session, undefined, limits.ttlMs, 100), undefined);
  });
});
