/**
 * Sessions in Redis through connect-redis, wired so that Redis trouble never kills the process
 * and never logs anyone in or out by accident.
 *
 * ```ts
 * import { createClient } from 'redis';
 * import session from 'express-session';
 * import { createRedisSessionStore, recommendedRedisClientOptions } from 'express-wecom-auth';
 *
 * const redis = createClient({ url: process.env.REDIS_URL, ...recommendedRedisClientOptions() });
 * redis.connect().catch(() => {}); // don't block startup: node-redis keeps retrying in the background
 * app.use(session({
 *   store: createRedisSessionStore({ client: redis, prefix: 'myapp:sess:' }),
 *   secret: process.env.SESSION_SECRET, resave: false, saveUninitialized: false,
 *   cookie: { maxAge: 8 * 3600_000, httpOnly: true, sameSite: 'lax', secure: true },
 * }));
 * ```
 *
 * - TTL follows the cookie: connect-redis 10 stores each session with `EX` =
 *   ceil((cookie.expires - now) / 1000) (`getTTL` in connect-redis/index.ts); `ttl` (seconds, or a
 *   function of the session) is used only for cookies without an expiry (browser-session cookies).
 *   An already-expired cookie makes `set` delete the session.
 * - Errors: node-redis emits 'error' on every failed reconnect; without a listener that would
 *   throw and kill the process, so one is attached when the client has none. Store calls fail
 *   with the node-redis error in the express-session callback; `isStoreUnavailableError(err)`
 *   tells the middleware to answer 503 (fail closed) rather than 500 or "anonymous".
 * - Do not make the store emit 'disconnect': express-session then *skips* the session (the
 *   request goes on without one), which fails open. This helper never does.
 */
import { RedisStore } from 'connect-redis';
import type { SessionData } from 'express-session';
import { ensureErrorListener, type RedisEventSource, type RedisLogger } from './errors.ts';

/** A node-redis v5/v6 client (`createClient()` or `createCluster()`): the store calls get, set, expire, del, mGet, scanIterator. */
export interface RedisSessionClient extends RedisEventSource {
  get(key: string): Promise<unknown>;
}

export interface RedisSessionStoreOptions {
  client: RedisSessionClient;
  /** Key prefix; give each app its own (e.g. `'myapp:sess:'`) when apps share a Redis. Default `'sess:'`. */
  prefix?: string;
  /** Seconds (or a function of the session) for sessions whose cookie has no expiry. Default 86 400 (connect-redis). */
  ttl?: number | ((session: SessionData) => number);
  /** Don't refresh the TTL on every request that reads the session (`store.touch`). Default false. */
  disableTouch?: boolean;
  /** Receives one warning per Redis outage when this helper attaches the error listener. Default `console`; `null` for silence. */
  logger?: RedisLogger | null;
}

export function createRedisSessionStore(options: RedisSessionStoreOptions): RedisStore {
  const { client, prefix = 'sess:', ttl, disableTouch = false } = options;
  if (typeof client?.get !== 'function' || typeof client.on !== 'function') {
    throw new TypeError('createRedisSessionStore: `client` must be a node-redis client (createClient() from "redis")');
  }
  if (typeof prefix !== 'string' || prefix === '') {
    throw new TypeError('createRedisSessionStore: `prefix` must be a non-empty string such as "myapp:sess:"');
  }
  if (ttl !== undefined && typeof ttl !== 'function' && !(Number.isInteger(ttl) && ttl > 0)) {
    throw new TypeError(`createRedisSessionStore: \`ttl\` is in seconds and must be a positive integer, got ${String(ttl)}`);
  }
  const logger = options.logger === null ? undefined : (options.logger ?? console);
  ensureErrorListener(client, logger, 'RedisSessionStore');
  return new RedisStore({ client, prefix, disableTouch, ...(ttl === undefined ? {} : { ttl }) });
}
