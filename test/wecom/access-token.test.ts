import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  CachedCredentialSource,
  accessTokenKey,
  appKey,
  credentialLifetimeMs,
} from '../../src/wecom/access-token.ts';
import { WeComApiError, WeComConfigError, WeComRateLimitError } from '../../src/wecom/errors.ts';
import { MemoryTokenCache } from '../../src/wecom/memory-token-cache.ts';
import { backoffDelay } from '../../src/wecom/retry.ts';

describe('cache keys', () => {
  it('use the agentId when known', () => {
    const hash = createHash('sha256').update('secret').digest('hex').slice(0, 16);
    assert.equal(accessTokenKey('wwcorp', 1000002, 'secret'), `access_token:wwcorp:1000002:${hash}`);
    assert.notEqual(accessTokenKey('wwcorp', 1000002, 'other-secret'), accessTokenKey('wwcorp', 1000002, 'secret'), 'two secrets never share a token');
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

describe('backoffDelay', () => {
  it('doubles from the base, with ±25 % jitter, bounded', () => {
    assert.equal(backoffDelay(1, 200, () => 0.5), 200);
    assert.equal(backoffDelay(2, 200, () => 0.5), 400);
    assert.equal(backoffDelay(3, 200, () => 0), 600);
    assert.equal(backoffDelay(3, 200, () => 1), 1000);
    assert.equal(backoffDelay(30, 200, () => 0.5), 5000);
  });
});

describe('CachedCredentialSource', () => {
  function setup(fetchImpl: () => Promise<{ value: string; expiresAt: number }>) {
    let t = 1_000_000;
    const now = () => t;
    const cache = new MemoryTokenCache({ now });
    let fetches = 0;
    const source = new CachedCredentialSource({
      key: 'access_token:ww:1',
      label: 'access_token',
      cache,
      now,
      logger: {},
      configErrorCooldownMs: 10_000,
      fetch: () => {
        fetches++;
        return fetchImpl();
      },
    });
    return { source, cache, advance: (ms: number) => (t += ms), fetches: () => fetches, now };
  }

  it('single-flight: 50 concurrent cold gets make one fetch', async () => {
    let n = 0;
    const s = setup(async () => {
      await new Promise((r) => setTimeout(r, 10));
      return { value: `tok${++n}`, expiresAt: Date.now() + 1e9 };
    });
    const values = await Promise.all(Array.from({ length: 50 }, () => s.source.get()));
    assert.equal(s.fetches(), 1);
    assert.ok(values.every((v) => v === 'tok1'));
  });

  it('rejected(bad) invalidates and fetches a new value; a second rejection of the old value reuses it', async () => {
    let n = 0;
    const s = setup(async () => ({ value: `tok${++n}`, expiresAt: s.now() + 1e9 }));
    assert.equal(await s.source.get(), 'tok1');
    assert.equal(await s.source.rejected('tok1'), 'tok2');
    assert.equal(await s.source.rejected('tok1'), 'tok2');
    assert.equal(s.fetches(), 2);
  });

  it('refetches after expiry', async () => {
    let n = 0;
    const s = setup(async () => ({ value: `tok${++n}`, expiresAt: s.now() + 1000 }));
    assert.equal(await s.source.get(), 'tok1');
    s.advance(1000);
    assert.equal(await s.source.get(), 'tok2');
  });

  it('remembers a configuration error for the cool-down, then tries again', async () => {
    const configError = new WeComConfigError('gettoken', 40001, 'invalid credential', 'secret', 'fix it');
    let fail = true;
    const s = setup(async () => {
      if (fail) throw configError;
      return { value: 'tok', expiresAt: s.now() + 1e9 };
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
    assert.equal(s.fetches(), 1, 'a rate limit cools down for WeCom\'s 60 s block, longer than the configured 10 s');
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
