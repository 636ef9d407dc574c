/**
 * A TokenCache shared by every instance of an app through Redis: one `gettoken` per app per
 * token lifetime for the whole fleet, and no Redis outage turned into a token storm.
 *
 * Keys (`<prefix><key>`, the key comes from the client, e.g. `access_token:<corpId>:<agentId>:<secret hash>`;
 * no secret is ever part of a key):
 *
 *   <prefix><key>            JSON {value, expiresAt, fence}, PX = expiresAt - now
 *   <prefix><key>:lock       random owner id, SET NX PX lockTtlMs (bounded lifetime)
 *   <prefix><key>:fence      INCR counter: a fencing token per lock acquisition (no TTL)
 *   channel <prefix><key>:refreshed   pub/sub "ok" | "failed" after each refresh attempt
 *
 * refresh(key, fetch, stale):
 *  1. In-process single-flight per key: concurrent callers in one process share one round.
 *  2. Read; a valid value other than `stale` is returned as is.
 *  3. SET lock NX PX. The owner re-reads, takes a fence (INCR), calls `fetch`, writes with a
 *     compare-and-set script (refused when the stored value carries a higher fence, i.e. a
 *     refresh that started later already wrote: a slow owner whose lock expired never
 *     overwrites a newer token), releases the lock only if it still owns it, and publishes.
 *  4. The others subscribe to the key's channel (one lazily created subscriber connection per
 *     cache) and re-check when notified, or on a slow backoff (50 ms doubling to 1 s) as a
 *     safety net; at each re-check a waiter also tries the lock, so when an owner dies (its lock
 *     expires without a value) one waiter takes over. A waiter gives up after `waitTimeoutMs`.
 *
 * invalidate(key, value) deletes the shared value only while it still holds `value` (Lua
 * compare-and-delete), so the first instance to meet 40014/42001 deletes it once, and the others
 * find the new value through refresh(key, fetch, staleValue) without fetching again.
 *
 * When Redis does not answer (client not ready, a command rejects, or no reply within
 * `commandTimeoutMs`) the cache logs one warning per outage and serves from an in-process copy,
 * still single-flight per key, so one process fetches at most once per token lifetime; Redis is
 * tried again one second later and used again as soon as it answers.
 *
 * The lock lifetime is bounded on purpose (no watchdog): keep `lockTtlMs` above the client's
 * HTTP timeout for `gettoken`, or a slow fetch lets a second instance fetch too (harmless for
 * correctness thanks to the fence, but a second call to WeCom).
 */
import { randomUUID } from 'node:crypto';
import type { CachedCredential, TokenCache } from '../wecom/token-cache.ts';
import { MemoryEntries } from '../wecom/shared-entries.ts';
import {
  describeRedisError,
  ensureErrorListener,
  RedisTokenCacheError,
  type RedisEventSource,
  type RedisLogger,
} from './errors.ts';

/**
 * The node-redis commands the cache uses, typed structurally so that a `createClient()` result
 * with any modules/scripts/functions fits (node-redis v5 and v6; a cluster from `createCluster`
 * has the same methods). Every command touches a single key, so cluster slots are no issue.
 */
export interface RedisTokenCacheClient extends RedisEventSource {
  get(key: string): Promise<unknown>;
  set(
    key: string,
    value: string,
    options: { expiration: { type: 'PX'; value: number }; condition?: 'NX' },
  ): Promise<unknown>;
  incr(key: string): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  publish(channel: string, message: string): Promise<unknown>;
  /** Used once, lazily, for the pub/sub connection the waiters listen on. */
  duplicate(): RedisTokenCacheSubscriber;
  /** node-redis clients expose it; when it is `false` the cache does not even try Redis. */
  readonly isReady?: boolean;
}

export interface RedisTokenCacheSubscriber extends RedisEventSource {
  connect(): Promise<unknown>;
  subscribe(channel: string, listener: (message: string, channel: string) => unknown): Promise<unknown>;
  destroy(): void;
}

export interface RedisTokenCacheOptions {
  /** Prepended to every key and channel. Default `'wecom:'`. */
  prefix?: string;
  /** Lifetime of the refresh lock, in ms: bounds how long a dead owner blocks the others. Default 30 000: above a slow gettoken. The client's timeouts are per phase, so a pathological
   * one can take longer; then a second instance may fetch too, which the fence keeps harmless. */
  lockTtlMs?: number;
  /** How long a waiter waits for another instance's refresh before failing. Default 2 × lockTtlMs. */
  waitTimeoutMs?: number;
  /** A Redis command without an answer after this many ms counts as "Redis unreachable". Default 1000. */
  commandTimeoutMs?: number;
  /** Receives one warning per Redis outage and a note when it ends. Default `console`; `null` for silence. */
  logger?: RedisLogger | null;
}

/** Returned by the scripts: 1 = done, 0 = refused / not owner / not matching. */
const CAS_WRITE = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, stored = pcall(cjson.decode, cur)
  if ok and type(stored) == 'table' then
    local fence = tonumber(stored['fence'])
    if fence ~= nil then
      if fence >= tonumber(ARGV[3]) then return 0 end
    elseif not (ARGV[5] == '1' and stored['value'] == ARGV[4])
        and (tonumber(stored['expiresAt']) or 0) >= tonumber(ARGV[6]) then
      return 0
    end
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`;

const INVALIDATE = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local ok, stored = pcall(cjson.decode, cur)
if ok and type(stored) == 'table' and stored['value'] == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`;

const RETRY_REDIS_AFTER_MS = 1000;
const FIRST_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 1000;

/** Internal: a Redis command failed or timed out; the caller switches to the in-process path. */
class RedisDown extends Error {}

interface Subscription {
  client: RedisTokenCacheSubscriber;
  ready: Promise<RedisTokenCacheSubscriber>;
  channels: Map<string, Promise<boolean>>;
}

export class RedisTokenCache implements TokenCache {
  readonly #client: RedisTokenCacheClient;
  readonly #prefix: string;
  readonly #lockTtlMs: number;
  readonly #waitTimeoutMs: number;
  readonly #commandTimeoutMs: number;
  readonly #logger: RedisLogger | undefined;

  /** In-process copy: the value last seen in Redis or fetched while Redis was down. */
  readonly #local = new Map<string, CachedCredential>();
  /** Shared entries while Redis does not answer (claims then hold per process only). */
  readonly #localEntries = new MemoryEntries();
  readonly #inflight = new Map<string, Promise<CachedCredential>>();
  readonly #waiters = new Map<string, Set<(message: string) => void>>();
  #subscription: Subscription | undefined;
  #down = false;
  #retryAt = 0;
  #closed = false;

  constructor(client: RedisTokenCacheClient, options: RedisTokenCacheOptions = {}) {
    const { prefix = 'wecom:', lockTtlMs = 30_000, commandTimeoutMs = 1000 } = options;
    const waitTimeoutMs = options.waitTimeoutMs ?? 2 * lockTtlMs;
    if (typeof client?.get !== 'function' || typeof client.eval !== 'function') {
      throw new TypeError('RedisTokenCache: `client` must be a node-redis client (createClient() from "redis")');
    }
    for (const [name, value] of Object.entries({ lockTtlMs, waitTimeoutMs, commandTimeoutMs })) {
      if (!Number.isInteger(value) || value <= 0) {
        throw new TypeError(`RedisTokenCache: \`${name}\` must be a positive integer of milliseconds, got ${String(value)}`);
      }
    }
    if (typeof prefix !== 'string') throw new TypeError('RedisTokenCache: `prefix` must be a string');
    this.#client = client;
    this.#prefix = prefix;
    this.#lockTtlMs = lockTtlMs;
    this.#waitTimeoutMs = waitTimeoutMs;
    this.#commandTimeoutMs = commandTimeoutMs;
    this.#logger = options.logger === null ? undefined : (options.logger ?? console);
    ensureErrorListener(client, this.#logger, 'RedisTokenCache');
  }

  async get(key: string): Promise<CachedCredential | undefined> {
    if (this.#redisUsable()) {
      try {
        return this.#remember(key, await this.#read(key));
      } catch (err) {
        if (!(err instanceof RedisDown)) throw err;
      }
    }
    const local = valid(this.#local.get(key));
    return local === undefined ? undefined : { ...local };
  }

  refresh(key: string, fetch: () => Promise<CachedCredential>, stale?: string): Promise<CachedCredential> {
    return this.#singleFlight(key, fetch, stale, 0);
  }

  async invalidate(key: string, value: string): Promise<void> {
    if (this.#local.get(key)?.value === value) this.#local.delete(key);
    if (!this.#redisUsable()) return;
    try {
      await this.#cmd(() => this.#client.eval(INVALIDATE, { keys: [this.#prefix + key], arguments: [value] }));
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
        const raw = await this.#cmd(() => this.#client.get(this.#prefix + key));
        return typeof raw === 'string' ? raw : Buffer.isBuffer(raw) ? raw.toString('utf8') : undefined;
      } catch (err) {
        if (!(err instanceof RedisDown)) throw err;
      }
    }
    return this.#localEntries.getSync(key);
  }

  /** Closes the cache's own pub/sub connection. The client passed in stays open (it is yours). */
  async close(): Promise<void> {
    this.#closed = true;
    const subscription = this.#subscription;
    this.#subscription = undefined;
    subscription?.client.destroy();
  }

  // ---------------------------------------------------------------- in-process single-flight

  async #singleFlight(
    key: string,
    fetch: () => Promise<CachedCredential>,
    stale: string | undefined,
    joined: number,
  ): Promise<CachedCredential> {
    const pending = this.#inflight.get(key);
    if (pending !== undefined) {
      const result = await pending;
      // A round that started before this caller saw `stale` rejected may return `stale`: go again.
      if (stale === undefined || result.value !== stale || joined >= 2) return result;
      return this.#singleFlight(key, fetch, stale, joined + 1);
    }
    const round = this.#round(key, fetch, stale);
    this.#inflight.set(key, round);
    try {
      return await round;
    } finally {
      if (this.#inflight.get(key) === round) this.#inflight.delete(key);
    }
  }

  async #round(key: string, fetch: () => Promise<CachedCredential>, stale: string | undefined): Promise<CachedCredential> {
    if (this.#redisUsable()) {
      try {
        return await this.#redisRound(key, fetch, stale);
      } catch (err) {
        if (!(err instanceof RedisDown)) throw err;
      }
    }
    const local = valid(this.#local.get(key));
    if (usable(local, stale)) return { ...local };
    const fresh = checkCredential(await fetch());
    this.#local.set(key, fresh);
    return { ...fresh };
  }

  // ---------------------------------------------------------------- the Redis round

  async #redisRound(key: string, fetch: () => Promise<CachedCredential>, stale: string | undefined): Promise<CachedCredential> {
    const lockKey = `${this.#prefix}${key}:lock`;
    const channel = `${this.#prefix}${key}:refreshed`;
    const deadline = Date.now() + this.#waitTimeoutMs;
    let backoff = FIRST_BACKOFF_MS;
    let subscribed = false;
    for (;;) {
      const current = this.#remember(key, await this.#read(key));
      if (usable(current, stale)) return current;

      const owner = randomUUID();
      const locked = await this.#cmd(() =>
        this.#client.set(lockKey, owner, { expiration: { type: 'PX', value: this.#lockTtlMs }, condition: 'NX' }),
      );
      if (locked === 'OK') return this.#asOwner(key, lockKey, channel, owner, fetch, stale);

      const left = deadline - Date.now();
      if (left <= 0) {
        throw new RedisTokenCacheError(
          'REDIS_TOKEN_WAIT_TIMEOUT',
          `RedisTokenCache: no fresh value for "${key}" after waiting ${this.#waitTimeoutMs} ms for another instance's refresh`,
        );
      }
      if (!subscribed) {
        // Subscribe, then re-read at once: a publish may have happened before the subscription.
        subscribed = true;
        await this.#subscribe(channel);
        continue;
      }
      const message = await this.#waitForMessage(channel, Math.min(backoff, left));
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      if (message === 'failed') {
        throw new RedisTokenCacheError(
          'REDIS_TOKEN_REFRESH_FAILED_ELSEWHERE',
          `RedisTokenCache: the instance refreshing "${key}" failed to fetch it; not retrying at once to spare WeCom`,
        );
      }
    }
  }

  async #asOwner(
    key: string,
    lockKey: string,
    channel: string,
    owner: string,
    fetch: () => Promise<CachedCredential>,
    stale: string | undefined,
  ): Promise<CachedCredential> {
    let outcome: 'ok' | 'failed' = 'ok';
    try {
      // Someone may have written just before we took the lock.
      const current = this.#remember(key, await this.#read(key));
      if (usable(current, stale)) return current;
      const fence = Number(await this.#cmd(() => this.#client.incr(`${this.#prefix}${key}:fence`)));

      let fresh: CachedCredential;
      try {
        fresh = checkCredential(await fetch());
      } catch (err) {
        outcome = 'failed';
        throw err;
      }
      this.#local.set(key, fresh);
      // From here on the token is ours whatever Redis does: never fetch it twice.
      try {
        const ttl = fresh.expiresAt - Date.now();
        if (ttl <= 0) return fresh;
        const payload = JSON.stringify({ value: fresh.value, expiresAt: fresh.expiresAt, fence });
        const written = await this.#cmd(() =>
          this.#client.eval(CAS_WRITE, {
            keys: [this.#prefix + key],
            arguments: [
              payload,
              String(Math.ceil(ttl)),
              String(fence),
              stale ?? '',
              stale === undefined ? '0' : '1',
              String(fresh.expiresAt),
            ],
          }),
        );
        if (Number(written) === 1) return fresh;
        // A refresh that started after ours already stored its token: that one wins fleet-wide.
        const newer = this.#remember(key, await this.#read(key));
        return usable(newer, stale) ? newer : fresh;
      } catch (err) {
        if (err instanceof RedisDown) return fresh;
        throw err;
      }
    } finally {
      // Best effort; skipped while Redis is down (the lock expires on its own).
      if (this.#redisUsable()) await this.#releaseAndNotify(lockKey, owner, channel, outcome);
    }
  }

  async #releaseAndNotify(lockKey: string, owner: string, channel: string, outcome: 'ok' | 'failed'): Promise<void> {
    try {
      await this.#cmd(() => this.#client.eval(RELEASE_LOCK, { keys: [lockKey], arguments: [owner] }));
      await this.#cmd(() => this.#client.publish(channel, outcome));
    } catch {
      // Redis is down: #cmd has logged it; waiters fall back on their own.
    }
  }

  // ---------------------------------------------------------------- pub/sub for waiters

  async #subscribe(channel: string): Promise<boolean> {
    if (this.#closed) return false;
    let subscription = this.#subscription;
    if (subscription === undefined) {
      const client = this.#client.duplicate();
      // The duplicate is ours: its errors must never reach an EventEmitter without a listener.
      client.on('error', () => {});
      const ready = client.connect().then(() => client);
      const created: Subscription = { client, ready, channels: new Map() };
      ready.catch(() => {
        if (this.#subscription === created) this.#subscription = undefined;
        client.destroy();
      });
      this.#subscription = subscription = created;
    }
    const current = subscription;
    let done = current.channels.get(channel);
    if (done === undefined) {
      done = current.ready
        .then((client) => client.subscribe(channel, (message) => this.#notify(channel, message)))
        .then(
          () => true,
          () => {
            current.channels.delete(channel);
            return false;
          },
        );
      current.channels.set(channel, done);
    }
    // Without the subscription the waiter still re-checks on its backoff: slower, not wrong.
    return withTimeout(done, this.#commandTimeoutMs).catch(() => false);
  }

  #notify(channel: string, message: string): void {
    const waiters = this.#waiters.get(channel);
    if (waiters === undefined) return;
    for (const wake of [...waiters]) wake(message);
  }

  #waitForMessage(channel: string, ms: number): Promise<string | undefined> {
    return new Promise((resolve) => {
      let waiters = this.#waiters.get(channel);
      if (waiters === undefined) this.#waiters.set(channel, (waiters = new Set()));
      const set = waiters;
      const wake = (message: string | undefined) => {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0 && this.#waiters.get(channel) === set) this.#waiters.delete(channel);
        resolve(message);
      };
      const timer = setTimeout(() => wake(undefined), ms);
      set.add(wake);
    });
  }

  // ---------------------------------------------------------------- Redis plumbing

  async #read(key: string): Promise<CachedCredential | undefined> {
    const raw = await this.#cmd(() => this.#client.get(this.#prefix + key));
    return valid(parseStored(raw));
  }

  #remember(key: string, credential: CachedCredential | undefined): CachedCredential | undefined {
    if (credential !== undefined) this.#local.set(key, credential);
    return credential;
  }

  #redisUsable(): boolean {
    if (Date.now() < this.#retryAt) return false;
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
      const result = await withTimeout(run(), this.#commandTimeoutMs);
      this.#markUp();
      return result;
    } catch (err) {
      this.#markDown(err);
      throw new RedisDown();
    }
  }

  #markDown(err: unknown): void {
    this.#retryAt = Date.now() + RETRY_REDIS_AFTER_MS;
    if (this.#down) return;
    this.#down = true;
    this.#logger?.warn?.(
      `RedisTokenCache: Redis unreachable (${describeRedisError(err)}); using the in-process cache until it answers again`,
    );
  }

  #markUp(): void {
    if (!this.#down) return;
    this.#down = false;
    this.#retryAt = 0;
    const log = this.#logger?.info ?? this.#logger?.warn;
    log?.call(this.#logger, 'RedisTokenCache: Redis answers again; using the shared cache');
  }
}

function valid(credential: CachedCredential | undefined): CachedCredential | undefined {
  return credential !== undefined && credential.expiresAt > Date.now() ? credential : undefined;
}

function usable(credential: CachedCredential | undefined, stale: string | undefined): credential is CachedCredential {
  return credential !== undefined && credential.value !== stale;
}

function parseStored(raw: unknown): CachedCredential | undefined {
  const text = typeof raw === 'string' ? raw : Buffer.isBuffer(raw) ? raw.toString('utf8') : undefined;
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as { value?: unknown; expiresAt?: unknown };
    if (typeof parsed.value === 'string' && typeof parsed.expiresAt === 'number') {
      return { value: parsed.value, expiresAt: parsed.expiresAt };
    }
  } catch {
    // Not ours: treat as absent; the next write replaces it.
  }
  return undefined;
}

function checkCredential(credential: CachedCredential): CachedCredential {
  if (
    typeof credential !== 'object' ||
    credential === null ||
    typeof credential.value !== 'string' ||
    credential.value === '' ||
    !Number.isFinite(credential.expiresAt)
  ) {
    throw new TypeError('RedisTokenCache: fetch() must resolve to { value: non-empty string, expiresAt: ms since the epoch }');
  }
  return { value: credential.value, expiresAt: credential.expiresAt };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
  });
  promise.catch(() => {}); // a late rejection after the timeout must not become unhandled
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
