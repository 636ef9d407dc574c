/**
 * A TokenCache shared by every instance of an app through Redis: one `gettoken` per token
 * lifetime for the whole fleet, renewed ahead of expiry by one instance while the others keep
 * using the current token, and no Redis trouble turned into a token storm or a stalled fleet.
 *
 * Keys, for a credential key K from the client (e.g. `access_token:<corpId>:<agentId>:<secret
 * hash>`; no secret is ever part of a key):
 *
 *   <prefix>{K}           JSON {value, ttlMs, refreshAfterMs}, PX = ttlMs   the credential
 *   <prefix>{K}:lock      owner id (or "failed"), PX = lockTtlMs             who is fetching it
 *   <prefix>{K}:gen       counter, bumped by invalidate                      fences writes...
 *   <prefix>{K}:revoked   the value last invalidated                         ...of that value
 *
 * `{K}` is a Redis Cluster hash tag: the four keys share a slot, so one script may touch them all.
 *
 * No clocks: a credential's lifetime is its Redis TTL and its age is `ttlMs - PTTL`, both counted
 * by the Redis server, so instances whose clocks disagree agree on when a token expires.
 *
 * obtain(K, fetch, stale):
 *  1. GET + PTTL. A valid value other than `stale` is returned at once. When it is due for
 *     renewal (older than `refreshAfterMs`), this process also starts a background renewal: it
 *     takes the lock if it is free and fetches; if another instance holds it, nothing happens.
 *  2. Otherwise (cold, expired, or `stale`) the callers of this process share one round: take the
 *     lock (ACQUIRE) and fetch, or wait: re-read every 25..200 ms until a valid value appears or
 *     the lock is free to take, for at most `waitTimeoutMs`.
 *  3. The owner's fetch gets what is left of the lock's lifetime (less one command timeout) as a
 *     deadline, so no fetch outlives its lock. WRITE then stores the value and deletes the lock in
 *     one script, only while the lock is still the owner's, and not if the value is one
 *     invalidated since ACQUIRE (`gen` moved and `revoked` is that value).
 *  4. A failed fetch turns the lock into "failed" for one second: waiters fail at once
 *     (REDIS_TOKEN_REFRESH_FAILED_ELSEWHERE) instead of fetching in turn. The client's cool-down
 *     after a configuration error (kept in the shared entries) covers longer pauses; a fetch it
 *     refuses (markNotFetched) frees the lock at once.
 *
 * The owner id is chosen before ACQUIRE is sent, so a lock whose reply arrives after the command
 * deadline (Redis paused for a failover) is released by compare-and-delete as soon as the late
 * reply comes: nobody waits out an orphaned lock.
 *
 * invalidate(K, value) deletes the stored value only while it is `value` (compare-and-delete),
 * so the first instance to meet 40014/42001 deletes it once and the others find the new value
 * through obtain(K, fetch, value) without fetching again. It also bumps `gen` and records the
 * value in `revoked` (unless another value is already stored): an owner that took the lock
 * before the invalidation may be about to write the very value WeCom has just rejected, and must
 * not (WeCom hands a valid token back on a repeat gettoken, so a fetch started before a
 * revocation can return the revoked token). An owner that locked after it may store any value,
 * even that one again: a fence, not a blacklist. Nothing deletes `gen`.
 *
 * When Redis does not answer (client not ready, a command rejects, or no reply within
 * `commandTimeoutMs`) the cache serves from an in-process copy, still one fetch at a time per key
 * and process, and tries Redis again a second later.
 */
import { randomUUID } from 'node:crypto';
import { createLog } from '../wecom/logger.ts';
import { WeComOptionsError, numberOption, optionsObject, rejectUnknown } from '../options.ts';
import type { Log } from '../wecom/logger.ts';
import type { CachedCredential, CredentialFetch, FreshCredential, TokenCache } from '../wecom/token-cache.ts';
import { checkFresh, wasNotFetched } from '../wecom/token-cache.ts';
import { MemoryEntries } from '../wecom/shared-entries.ts';
import { describeRedisError, ensureErrorListener, RedisTokenCacheError, type RedisEventSource, type RedisLogger } from './errors.ts';

/**
 * The node-redis commands the cache uses, typed structurally so that a `createClient()`,
 * `createSentinel()` or `createCluster()` result fits (node-redis v5 and v6).
 */
export interface RedisTokenCacheClient extends RedisEventSource {
  get(key: string): Promise<unknown>;
  pTTL(key: string): Promise<unknown>;
  set(key: string, value: string, options: { expiration: { type: 'PX'; value: number }; condition?: 'NX' }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  /** node-redis clients expose it; when it is `false` the cache does not even try Redis. */
  readonly isReady?: boolean;
}

export interface RedisTokenCacheOptions {
  /** Prepended to every key. Default `'wecom:'`. */
  prefix?: string;
  /**
   * Lifetime of the refresh lock, in ms: bounds how long a dead owner holds the others up, and the
   * owner's fetch must finish within it (less `commandTimeoutMs`). Default 10 000, above the
   * client's 8 s deadline per call.
   */
  lockTtlMs?: number;
  /**
   * How long callers wait for another instance's fetch when there is no valid value. Default
   * `lockTtlMs` + 2000 (12 s): long enough to take over from an owner that died holding the lock.
   */
  waitTimeoutMs?: number;
  /** A Redis command without an answer after this many ms counts as "Redis unreachable". Default 1000. */
  commandTimeoutMs?: number;
  /** Receives one warning per Redis outage and a note when it ends. Default: none (silent). */
  logger?: RedisLogger | null;
}

/** The lock value while a failed fetch holds the others off. */
const FAILED = 'failed';
const FAILED_HOLD_MS = 1000;
const RETRY_REDIS_AFTER_MS = 1000;
const RENEW_AGAIN_AFTER_MS = 1000;
const FIRST_POLL_MS = 25;
const MAX_POLL_MS = 200;
const GEN_TTL_MS = 86_400_000;

/** KEYS lock, gen; ARGV owner, lockTtlMs -> {1, gen} when taken, else {0, current holder}. */
const ACQUIRE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, redis.call('GET', KEYS[2]) or '0'}
end
return {0, redis.call('GET', KEYS[1]) or ''}
`;

/** KEYS value, lock, gen, revoked; ARGV owner, gen, payload, ttlMs, value -> 1 stored, 0 lock lost, -1 invalidated meanwhile. */
const WRITE = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2])
if (redis.call('GET', KEYS[3]) or '0') ~= ARGV[2] and redis.call('GET', KEYS[4]) == ARGV[5] then return -1 end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
return 1
`;

/** KEYS lock; ARGV owner, holdMs -> deletes the owner's lock, or keeps it as "failed" for holdMs. */
const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '0' then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], '${FAILED}', 'PX', ARGV[2])
end
return 1
`;

/** KEYS value, gen, revoked; ARGV value, genTtlMs -> compare-and-delete, and fence the owners of the moment. */
const INVALIDATE = `
local stored = nil
local raw = redis.call('GET', KEYS[1])
if raw then
  local ok, decoded = pcall(cjson.decode, raw)
  if ok and type(decoded) == 'table' then stored = decoded['value'] end
end
if stored ~= nil and stored ~= ARGV[1] then return 0 end
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[2])
if stored ~= nil then redis.call('DEL', KEYS[1]) end
return 1
`;

/** Internal: a Redis command failed or timed out; the caller switches to the in-process path. */
class RedisDown extends Error {}

/** A credential as read: what obtain returns, plus whether it is due for renewal. */
interface Reading extends CachedCredential {
  due: boolean;
}

/** The lock, taken: who we are, the fence we write under, when we started asking for it. */
interface Ownership {
  owner: string;
  gen: string;
  startedAt: number;
}

interface Names {
  value: string;
  lock: string;
  gen: string;
  revoked: string;
}

export class RedisTokenCache implements TokenCache {
  readonly #client: RedisTokenCacheClient;
  readonly #prefix: string;
  readonly #lockTtlMs: number;
  readonly #waitTimeoutMs: number;
  readonly #commandTimeoutMs: number;
  readonly #logger: Log;

  /** In-process copy: the value last seen in Redis or fetched while Redis was down (times from performance.now). */
  readonly #local = new Map<string, { value: string; fetchedAt: number; expiresAt: number }>();
  /** Shared entries while Redis does not answer (claims then hold per process only). */
  readonly #localEntries = new MemoryEntries();
  /** One blocking round per key in this process; late callers join it. */
  readonly #inflight = new Map<string, Promise<CachedCredential>>();
  /** One background renewal per key in this process, and none again within a second of the last. */
  readonly #renewing = new Set<string>();
  /** Reads in flight: concurrent callers of one process share one GET + PTTL. */
  readonly #reading = new Map<string, Promise<Reading | undefined>>();
  #down = false;
  #retryAt = 0;

  constructor(client: RedisTokenCacheClient, given: RedisTokenCacheOptions = {}) {
    const where = 'RedisTokenCache';
    const options = optionsObject(where, given, '{ prefix: "myapp:wecom:" }') as RedisTokenCacheOptions;
    rejectUnknown(where, options, ['prefix', 'lockTtlMs', 'waitTimeoutMs', 'commandTimeoutMs', 'logger']);
    if (typeof client?.get !== 'function' || typeof client.eval !== 'function' || typeof client.pTTL !== 'function') {
      throw new WeComOptionsError(
        where,
        'client',
        'must be a node-redis client (createClient(), createSentinel() or createCluster() from "redis").',
      );
    }
    const prefix = options.prefix ?? 'wecom:';
    if (typeof prefix !== 'string') throw new WeComOptionsError(where, 'prefix', 'must be a string such as "myapp:wecom:".');
    const lockTtlMs = numberOption(where, options.lockTtlMs, 'lockTtlMs', { min: 1, integer: true }) ?? 10_000;
    const commandTimeoutMs = numberOption(where, options.commandTimeoutMs, 'commandTimeoutMs', { min: 1, integer: true }) ?? 1000;
    const waitTimeoutMs = numberOption(where, options.waitTimeoutMs, 'waitTimeoutMs', { min: 1, integer: true }) ?? lockTtlMs + 2000;
    if (lockTtlMs <= 2 * commandTimeoutMs) {
      throw new WeComOptionsError(
        where,
        'lockTtlMs',
        `(${lockTtlMs}) must leave a fetch time beyond two command timeouts (${commandTimeoutMs} ms each).`,
      );
    }
    this.#client = client;
    this.#prefix = prefix;
    this.#lockTtlMs = lockTtlMs;
    this.#waitTimeoutMs = waitTimeoutMs;
    this.#commandTimeoutMs = commandTimeoutMs;
    this.#logger = createLog(options.logger ?? undefined, 'redis');
    ensureErrorListener(client, this.#logger, 'RedisTokenCache');
  }

  async get(key: string): Promise<CachedCredential | undefined> {
    if (this.#redisUsable()) {
      try {
        const current = await this.#read(key);
        return current === undefined ? undefined : view(current);
      } catch (err) {
        if (!(err instanceof RedisDown)) throw err;
      }
    }
    return this.#localValid(key);
  }

  async obtain(key: string, fetch: CredentialFetch, stale?: string): Promise<CachedCredential> {
    if (this.#redisUsable()) {
      try {
        const current = await this.#read(key);
        if (current !== undefined && current.value !== stale) {
          if (current.due) this.#renewAhead(key, fetch, current.value);
          return view(current);
        }
        return await this.#singleFlight(key, stale, () => this.#sharedRound(key, fetch, stale));
      } catch (err) {
        if (!(err instanceof RedisDown)) throw err;
      }
    }
    const local = this.#localValid(key);
    if (local !== undefined && local.value !== stale) return local;
    return this.#singleFlight(key, stale, () => this.#localRound(key, fetch, stale));
  }

  async invalidate(key: string, value: string): Promise<void> {
    if (this.#local.get(key)?.value === value) this.#local.delete(key);
    if (!this.#redisUsable()) return;
    const names = this.#names(key);
    try {
      await this.#cmd(
        this.#client.eval.bind(this.#client, INVALIDATE, {
          keys: [names.value, names.gen, names.revoked],
          arguments: [value, String(GEN_TTL_MS)],
        }),
      );
    } catch (err) {
      if (!(err instanceof RedisDown)) throw err;
    }
  }

  async addEntry(key: string, value: string, ttlMs: number): Promise<boolean> {
    const ms = Math.max(1, Math.ceil(ttlMs));
    if (this.#redisUsable()) {
      try {
        const reply = await this.#cmd(() =>
          this.#client.set(this.#prefix + key, value, { expiration: { type: 'PX', value: ms }, condition: 'NX' }),
        );
        return reply === 'OK';
      } catch (err) {
        if (!(err instanceof RedisDown)) throw err;
      }
    }
    return this.#localEntries.addSync(key, value, ms);
  }

  async setEntry(key: string, value: string, ttlMs: number): Promise<void> {
    const ms = Math.max(1, Math.ceil(ttlMs));
    if (this.#redisUsable()) {
      try {
        await this.#cmd(() => this.#client.set(this.#prefix + key, value, { expiration: { type: 'PX', value: ms } }));
        return;
      } catch (err) {
        if (!(err instanceof RedisDown)) throw err;
      }
    }
    this.#localEntries.setSync(key, value, ms);
  }

  async getEntry(key: string): Promise<string | undefined> {
    if (this.#redisUsable()) {
      try {
        return text(await this.#cmd(() => this.#client.get(this.#prefix + key)));
      } catch (err) {
        if (!(err instanceof RedisDown)) throw err;
      }
    }
    return this.#localEntries.getSync(key);
  }

  /** Nothing to close: the cache holds no connection of its own (the client passed in is yours). */
  async close(): Promise<void> {}

  // ---------------------------------------------------------------- rounds

  /** Callers of one process share one round per key; one that saw `stale` rejected never gets `stale`. */
  async #singleFlight(key: string, stale: string | undefined, round: () => Promise<CachedCredential>): Promise<CachedCredential> {
    for (let joined = 0; ; joined++) {
      const pending = this.#inflight.get(key);
      if (pending === undefined) break;
      const result = await pending;
      // A round that started before this caller saw `stale` rejected may return `stale`: go again.
      if (stale === undefined || result.value !== stale || joined >= 2) return result;
    }
    const promise = round();
    this.#inflight.set(key, promise);
    try {
      return await promise;
    } finally {
      if (this.#inflight.get(key) === promise) this.#inflight.delete(key);
    }
  }

  /** Fetch under the lock, or wait for whoever holds it. */
  async #sharedRound(key: string, fetch: CredentialFetch, stale: string | undefined): Promise<CachedCredential> {
    const deadline = performance.now() + this.#waitTimeoutMs;
    let pause = FIRST_POLL_MS;
    for (;;) {
      const lock = await this.#acquire(key);
      if ('owner' in lock) {
        const result = await this.#asOwner(key, lock, fetch, stale, 'needed');
        if (result !== undefined) return result;
        continue; // invalidated while we fetched: what we fetched may be the rejected value
      }
      if (lock.holder === FAILED) {
        throw new RedisTokenCacheError(
          'REDIS_TOKEN_REFRESH_FAILED_ELSEWHERE',
          `RedisTokenCache: the instance refreshing "${key}" failed to fetch it; not retrying at once to spare WeCom`,
        );
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new RedisTokenCacheError(
          'REDIS_TOKEN_WAIT_TIMEOUT',
          `RedisTokenCache: no fresh value for "${key}" after waiting ${this.#waitTimeoutMs} ms for another instance's refresh`,
        );
      }
      await sleep(Math.min(pause, left));
      pause = Math.min(pause * 2, MAX_POLL_MS);
      const current = await this.#read(key);
      if (current !== undefined && current.value !== stale) return view(current);
    }
  }

  /** Renew a value due for it, in the background: only if no instance is at it already; never waits. */
  #renewAhead(key: string, fetch: CredentialFetch, current: string): void {
    if (this.#renewing.has(key) || this.#inflight.has(key)) return;
    this.#renewing.add(key);
    const run = async () => {
      const lock = await this.#acquire(key);
      if ('owner' in lock) await this.#asOwner(key, lock, fetch, current, 'ahead');
    };
    // A failure is the fetch's to report (the client logs it); the value in use stays valid.
    run()
      .catch(() => undefined)
      .finally(() => setTimeout(() => this.#renewing.delete(key), RENEW_AGAIN_AFTER_MS).unref());
  }

  /**
   * Holding the lock: fetch and write. `replacing` is the stale value (`needed`) or the value due
   * for renewal (`ahead`). Returns undefined when the write was fenced off by an invalidation.
   */
  async #asOwner(
    key: string,
    lock: Ownership,
    fetch: CredentialFetch,
    replacing: string | undefined,
    mode: 'needed' | 'ahead',
  ): Promise<CachedCredential | undefined> {
    const names = this.#names(key);
    let fresh: FreshCredential;
    try {
      // Someone may have written between our read and our lock (a read of our own, not a shared one
      // that may have started before).
      const current = await this.#readNow(key);
      const done =
        mode === 'needed'
          ? current !== undefined && current.value !== replacing
          : current === undefined || current.value !== replacing || !current.due;
      if (done) {
        await this.#release(names, lock.owner, 0);
        return current === undefined ? undefined : view(current);
      }
      // No fetch outlives the lock: what is left of it, less the time the write may take.
      const budget = this.#lockTtlMs - (performance.now() - lock.startedAt) - this.#commandTimeoutMs;
      fresh = checkFresh(await withTimeout(fetch(replacing), budget, () => fetchTimeout(key, this.#lockTtlMs)), 'RedisTokenCache');
    } catch (err) {
      // A failed call to WeCom keeps the others off for a moment rather than letting each fetch in
      // turn; a fetch that did not call WeCom (the client's cool-down) lets the next one in at once.
      await this.#release(names, lock.owner, err instanceof RedisDown || wasNotFetched(err) ? 0 : FAILED_HOLD_MS);
      throw err;
    }
    this.#remember(key, fresh.value, fresh.ttlMs, 0);
    const payload = JSON.stringify({ value: fresh.value, ttlMs: fresh.ttlMs, refreshAfterMs: fresh.refreshAfterMs ?? null });
    const result: CachedCredential = { value: fresh.value, ttlMs: fresh.ttlMs, ageMs: 0 };
    let written: unknown;
    try {
      written = await this.#cmd(
        this.#client.eval.bind(this.#client, WRITE, {
          keys: [names.value, names.lock, names.gen, names.revoked],
          arguments: [lock.owner, lock.gen, payload, String(fresh.ttlMs), fresh.value],
        }),
      );
    } catch (err) {
      // From here on the value is ours whatever Redis does (the script still runs if it was only late).
      if (err instanceof RedisDown) return result;
      throw err;
    }
    if (Number(written) === 1) return result;
    if (Number(written) === -1) {
      this.#local.delete(key);
      return undefined;
    }
    // The lock expired under us (Redis stalled our commands): whoever holds it now decides.
    const newer = await this.#read(key).catch(() => undefined);
    return newer !== undefined && newer.value !== replacing ? view(newer) : result;
  }

  /** Redis is down: one fetch at a time per key in this process, kept in the in-process copy. */
  async #localRound(key: string, fetch: CredentialFetch, stale: string | undefined): Promise<CachedCredential> {
    const local = this.#localValid(key);
    if (local !== undefined && local.value !== stale) return local;
    const fresh = checkFresh(await fetch(stale ?? this.#local.get(key)?.value), 'RedisTokenCache');
    this.#remember(key, fresh.value, fresh.ttlMs, 0);
    return { value: fresh.value, ttlMs: fresh.ttlMs, ageMs: 0 };
  }

  // ---------------------------------------------------------------- the lock

  /** ACQUIRE; a reply that comes after the deadline still releases the lock it took. */
  async #acquire(key: string): Promise<Ownership | { holder: string }> {
    const names = this.#names(key);
    const owner = randomUUID();
    const startedAt = performance.now();
    let reply: Promise<unknown> | undefined;
    try {
      const answer = await this.#cmd(() => {
        reply = this.#client.eval(ACQUIRE, { keys: [names.lock, names.gen], arguments: [owner, String(this.#lockTtlMs)] });
        return reply;
      });
      const [taken, detail] = Array.isArray(answer) ? answer : [];
      if (Number(taken) === 1) return { owner, gen: text(detail) ?? '0', startedAt };
      return { holder: text(detail) ?? '' };
    } catch (err) {
      // We know who we would be: if Redis runs the script late (a paused failover), let go at once.
      reply?.then(
        (late) => {
          if (Array.isArray(late) && Number(late[0]) === 1) void this.#release(names, owner, 0);
        },
        () => undefined,
      );
      throw err;
    }
  }

  /** Compare-and-delete (holdMs 0) or keep as "failed" for holdMs. Best effort. */
  async #release(names: Names, owner: string, holdMs: number): Promise<void> {
    try {
      await this.#cmd(() => this.#client.eval(RELEASE, { keys: [names.lock], arguments: [owner, String(holdMs)] }));
    } catch {
      // Redis is down: #cmd has logged it; the lock expires on its own (or the script runs late).
    }
  }

  // ---------------------------------------------------------------- Redis plumbing

  #names(key: string): Names {
    const value = `${this.#prefix}{${key}}`;
    return { value, lock: `${value}:lock`, gen: `${value}:gen`, revoked: `${value}:revoked` };
  }

  #read(key: string): Promise<Reading | undefined> {
    const pending = this.#reading.get(key);
    if (pending !== undefined) return pending;
    const read = this.#readNow(key);
    this.#reading.set(key, read);
    const forget = () => {
      if (this.#reading.get(key) === read) this.#reading.delete(key);
    };
    read.then(forget, forget);
    return read;
  }

  async #readNow(key: string): Promise<Reading | undefined> {
    const name = this.#names(key).value;
    const [raw, pttl] = await this.#cmd(() => Promise.all([this.#client.get(name), this.#client.pTTL(name)]));
    const stored = parseStored(raw);
    const ttlMs = Number(pttl);
    if (stored === undefined || !(ttlMs > 0)) return undefined;
    const ageMs = Math.max(0, stored.ttlMs - ttlMs);
    this.#remember(key, stored.value, ttlMs, ageMs);
    return { value: stored.value, ttlMs, ageMs, due: stored.refreshAfterMs !== null && ageMs >= stored.refreshAfterMs };
  }

  #remember(key: string, value: string, ttlMs: number, ageMs: number): void {
    const now = performance.now();
    this.#local.set(key, { value, fetchedAt: now - ageMs, expiresAt: now + ttlMs });
  }

  #localValid(key: string): CachedCredential | undefined {
    const entry = this.#local.get(key);
    const now = performance.now();
    if (entry === undefined || entry.expiresAt <= now) return undefined;
    return { value: entry.value, ttlMs: Math.floor(entry.expiresAt - now), ageMs: Math.floor(now - entry.fetchedAt) };
  }

  #redisUsable(): boolean {
    if (performance.now() < this.#retryAt) return false;
    if (this.#client.isReady === false) {
      this.#markDown(new Error('the Redis client is not ready (connecting, reconnecting or closed)'));
      return false;
    }
    return true;
  }

  async #cmd<T>(run: () => Promise<T>): Promise<T> {
    if (this.#client.isReady === false) {
      this.#markDown(new Error('the Redis client is not ready (connecting, reconnecting or closed)'));
      throw new RedisDown();
    }
    try {
      const result = await withTimeout(
        run(),
        this.#commandTimeoutMs,
        () => new Error(`no answer from Redis within ${this.#commandTimeoutMs} ms`),
      );
      this.#markUp();
      return result;
    } catch (err) {
      this.#markDown(err);
      throw new RedisDown();
    }
  }

  #markDown(err: unknown): void {
    this.#retryAt = performance.now() + RETRY_REDIS_AFTER_MS;
    if (this.#down) return;
    this.#down = true;
    this.#logger.warn(`RedisTokenCache: Redis unreachable (${describeRedisError(err)}); using the in-process cache until it answers again`);
  }

  #markUp(): void {
    if (!this.#down) return;
    this.#down = false;
    this.#retryAt = 0;
    this.#logger.info('RedisTokenCache: Redis answers again; using the shared cache');
  }
}

function view(reading: CachedCredential): CachedCredential {
  return { value: reading.value, ttlMs: reading.ttlMs, ageMs: reading.ageMs };
}

function text(raw: unknown): string | undefined {
  return typeof raw === 'string' ? raw : Buffer.isBuffer(raw) ? raw.toString('utf8') : undefined;
}

function parseStored(raw: unknown): { value: string; ttlMs: number; refreshAfterMs: number | null } | undefined {
  const json = text(raw);
  if (json === undefined) return undefined;
  try {
    const parsed = JSON.parse(json) as { value?: unknown; ttlMs?: unknown; refreshAfterMs?: unknown };
    if (typeof parsed.value !== 'string' || typeof parsed.ttlMs !== 'number') return undefined;
    const refreshAfterMs = typeof parsed.refreshAfterMs === 'number' ? parsed.refreshAfterMs : null;
    return { value: parsed.value, ttlMs: parsed.ttlMs, refreshAfterMs };
  } catch {
    return undefined; // not ours: treat as absent; the next write replaces it
  }
}

function fetchTimeout(key: string, lockTtlMs: number): Error {
  return new RedisTokenCacheError(
    'REDIS_TOKEN_FETCH_TIMEOUT',
    `RedisTokenCache: fetching "${key}" did not finish within its lock (lockTtlMs ${lockTtlMs}); WeCom is slow or unreachable`,
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(error()), Math.max(0, ms));
  });
  promise.catch(() => {}); // a late rejection after the timeout must not become unhandled
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
