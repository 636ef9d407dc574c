import { createLog } from '../../src/wecom/logger.ts';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { CachedCredentialSource, accessTokenKey, appKey, credentialLifetimeMs, freshCredential } from '../../src/wecom/access-token.ts';
import type { FreshCredential } from '../../src/wecom/token-cache.ts';
import { WeComApiError, WeComConfigError, WeComRateLimitError } from '../../src/wecom/errors.ts';
import { MemoryTokenCache } from '../../src/wecom/memory-token-cache.ts';
import { backoffDelay } from '../../src/wecom/retry.ts';

describe('cache keys', () => {
  it('use the agentId when known', () => {
    const hash = createHash('sha256').update('secret').digest('hex').slice(0, 16);
    assert.equal(accessTokenKey('wwcorp', 1000002, 'secret'), `access_token:wwcorp:1000002:${hash}`);
    assert.notEqual(
      accessTokenKey('wwcorp', 1000002, 'other-secret'),
      accessTokenKey('wwcorp', 1000002, 'secret'),
      'two secrets never share a token',
    );
  });

  it('use the first 16 hex of sha256(secret) without an agentId, never the secret', () => {
    const secret = 'demo-secret';
    const expected = createHash('sha256').update(secret).digest('hex').slice(0, 16);
    assert.equal(appKey(undefined, secret), expected);
    const key = accessTokenKey('wwcorp', undefined, secret);
    assert.equal(key, `access_token:wwcorp:${expected}`);
    assert.ok(!key.includes(secret));
    assert.notEqual(appKey(undefined, 'other-secret'), expected);
  });
});

describe('credentialLifetimeMs', () => {
  it('takes the safety margin off expires_in', () => {
    assert.equal(credentialLifetimeMs(7200, 300), 6900_000);
    assert.equal(credentialLifetimeMs(7200, 0), 7200_000);
  });
  it('uses half of expires_in when it is small', () => {
    assert.equal(credentialLifetimeMs(600, 300), 300_000);
    assert.equal(credentialLifetimeMs(100, 300), 50_000);
    assert.equal(credentialLifetimeMs(0, 300), 0);
  });
});

describe('freshCredential (how long a fetched value is kept)', () => {
  it('a new value: lifetime minus the margin, renewed a tenth of that before (at least one margin)', () => {
    assert.deepEqual(freshCredential('t1', 7200, undefined, 300), { value: 't1', ttlMs: 6900_000, refreshAfterMs: 6210_000 });
    assert.deepEqual(freshCredential('t2', 7200, 't1', 300), { value: 't2', ttlMs: 6900_000, refreshAfterMs: 6210_000 });
    assert.deepEqual(freshCredential('t3', 7200, undefined, 1000), { value: 't3', ttlMs: 6200_000, refreshAfterMs: 5200_000 });
  });
  it('renews at least a tenth of the lifetime ahead, at most half of it', () => {
    assert.deepEqual(freshCredential('t', 7200, undefined, 0), { value: 't', ttlMs: 7200_000, refreshAfterMs: 6480_000 });
    assert.deepEqual(freshCredential('t', 600, undefined, 300), { value: 't', ttlMs: 300_000, refreshAfterMs: 150_000 });
  });
  it('the value it was meant to replace: kept for the whole lifetime WeCom reports, no margin, no renewal ahead', () => {
    assert.deepEqual(freshCredential('t1', 600, 't1', 300), { value: 't1', ttlMs: 600_000 });
    assert.deepEqual(freshCredential('t1', 7200, 't1', 300), { value: 't1', ttlMs: 7200_000 });
  });
  it('never less than a second', () => {
    assert.equal(freshCredential('t', 0, undefined, 300).ttlMs, 1000);
    assert.equal(freshCredential('t', 0, 't', 300).ttlMs, 1000);
  });
});

describe('backoffDelay', () => {
  it('doubles from the base, with ±25 % jitter, bounded', () => {
    assert.equal(
      backoffDelay(1, 200, () => 0.5),
      200,
    );
    assert.equal(
      backoffDelay(2, 200, () => 0.5),
      400,
    );
    assert.equal(
      backoffDelay(3, 200, () => 0),
      600,
    );
    assert.equal(
      backoffDelay(3, 200, () => 1),
      1000,
    );
    assert.equal(
      backoffDelay(30, 200, () => 0.5),
      5000,
    );
  });
});

describe('CachedCredentialSource', () => {
  function setup(fetchImpl: (replacing: string | undefined) => Promise<FreshCredential>, cache?: MemoryTokenCache, clock?: { t: number }) {
    const time = clock ?? { t: 1_000_000 };
    const now = () => time.t;
    const shared = cache ?? new MemoryTokenCache({ now });
    let fetches = 0;
    const source = new CachedCredentialSource({
      key: 'access_token:ww:1',
      label: 'access_token',
      cache: shared,
      now,
      logger: createLog(undefined, 'test'),
      configErrorCooldownMs: 10_000,
      fetch: (replacing) => {
        fetches++;
        return fetchImpl(replacing);
      },
    });
    return { source, cache: shared, clock: time, advance: (ms: number) => (time.t += ms), fetches: () => fetches, now };
  }

  it('single-flight: 50 concurrent cold gets make one fetch', async () => {
    let n = 0;
    const s = setup(async () => {
      await new Promise((r) => setTimeout(r, 10));
      return { value: `tok${++n}`, ttlMs: 1e9 };
    });
    const values = await Promise.all(Array.from({ length: 50 }, () => s.source.get()));
    assert.equal(s.fetches(), 1);
    assert.ok(values.every((v) => v === 'tok1'));
  });

  it('rejected(bad) invalidates and fetches a new value; a second rejection of the old value reuses it', async () => {
    let n = 0;
    const replaced: (string | undefined)[] = [];
    const s = setup(async (replacing) => (replaced.push(replacing), { value: `tok${++n}`, ttlMs: 1e9 }));
    assert.equal(await s.source.get(), 'tok1');
    assert.equal(await s.source.rejected('tok1'), 'tok2');
    assert.equal(await s.source.rejected('tok1'), 'tok2');
    assert.equal(s.fetches(), 2);
    assert.deepEqual(replaced, [undefined, 'tok1']);
  });

  it('refetches after expiry', async () => {
    let n = 0;
    const s = setup(async () => ({ value: `tok${++n}`, ttlMs: 1000 }));
    assert.equal(await s.source.get(), 'tok1');
    s.advance(1000);
    assert.equal(await s.source.get(), 'tok2');
  });

  it('renewIfOlderThan uses the age the cache reports, not a presumed lifetime', async () => {
    let n = 0;
    // A value WeCom reported with only 600 s left: its age must still read as "just fetched".
    const s = setup(async () => ({ value: `tk${++n}`, ttlMs: 600_000 }));
    assert.equal(await s.source.renewIfOlderThan(300_000), false, 'nothing cached: nothing to renew');
    assert.equal(await s.source.get(), 'tk1');
    assert.equal(await s.source.renewIfOlderThan(300_000), false);
    s.advance(299_999);
    assert.equal(await s.source.renewIfOlderThan(300_000), false);
    s.advance(1);
    assert.equal(await s.source.renewIfOlderThan(300_000), true);
    assert.equal(await s.source.get(), 'tk2');
    assert.equal(await s.source.renewIfOlderThan(300_000), false, 'the new one is young again');
    assert.equal(s.fetches(), 2);
  });

  it('remembers a configuration error for the cool-down, then tries again', async () => {
    const configError = new WeComConfigError('gettoken', 40001, 'invalid credential', 'secret', 'fix it');
    let fail = true;
    const s = setup(async () => {
      if (fail) throw configError;
      return { value: 'tok', ttlMs: 1e9 };
    });
    await assert.rejects(s.source.get(), configError);
    await assert.rejects(s.source.get(), configError);
    await assert.rejects(s.source.get(), configError);
    assert.equal(s.fetches(), 1);
    fail = false;
    s.advance(9_999);
    await assert.rejects(s.source.get(), configError);
    s.advance(1);
    assert.equal(await s.source.get(), 'tok');
    assert.equal(s.fetches(), 2);
  });

  it('the cool-down is shared through the cache: another instance on the same cache does not call WeCom either', async () => {
    const clock = { t: 1_000_000 };
    const cache = new MemoryTokenCache({ now: () => clock.t });
    const failing = async (): Promise<FreshCredential> => {
      throw new WeComConfigError('gettoken', 40001, 'invalid credential', 'secret', 'fix it');
    };
    const a = setup(failing, cache, clock);
    const b = setup(failing, cache, clock);
    const errA = await a.source.get().catch((err: unknown) => err);
    assert.ok(errA instanceof WeComConfigError);
    const errB = await b.source.get().catch((err: unknown) => err);
    assert.ok(errB instanceof WeComConfigError, 'rebuilt from the shared entry: the same class');
    assert.equal(errB.setting, 'secret');
    assert.equal(errB.errcode, 40001);
    assert.equal(a.fetches() + b.fetches(), 1);
    clock.t += 10_000;
    await assert.rejects(b.source.get(), WeComConfigError);
    assert.equal(b.fetches(), 1, 'after the cool-down the next fetch goes to WeCom');
  });

  it('a configuration error met while renewing ahead leaves the valid value in use', async () => {
    let fail = false;
    const s = setup(async () => {
      if (fail) throw new WeComConfigError('gettoken', 40001, 'invalid credential', 'secret', 'fix it');
      return { value: 'tok', ttlMs: 10_000, refreshAfterMs: 5_000 };
    });
    assert.equal(await s.source.get(), 'tok');
    fail = true;
    s.advance(6_000);
    assert.equal(await s.source.get(), 'tok');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await s.source.get(), 'tok', 'still served during the cool-down');
    assert.equal(s.fetches(), 2);
  });

  it('cools down after a rate limit too', async () => {
    const limited = new WeComRateLimitError('gettoken', 45009, 'api freq out of limit');
    const s = setup(async () => {
      throw limited;
    });
    await assert.rejects(s.source.get(), limited);
    await assert.rejects(s.source.get(), limited);
    assert.equal(s.fetches(), 1);
    s.advance(10_000);
    await assert.rejects(s.source.get(), limited);
    assert.equal(s.fetches(), 1, "a rate limit cools down for WeCom's 60 s block, longer than the configured 10 s");
    s.advance(50_000);
    await assert.rejects(s.source.get(), limited);
    assert.equal(s.fetches(), 2);
  });

  it('does not cool down on other errors', async () => {
    const s = setup(async () => {
      throw new WeComApiError('gettoken', -1, 'system busy');
    });
    await assert.rejects(s.source.get(), WeComApiError);
    await assert.rejects(s.source.get(), WeComApiError);
    assert.equal(s.fetches(), 2);
  });
});
