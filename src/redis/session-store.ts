/**
 * Sessions in Redis through connect-redis, wired so that Redis trouble never kills the process
 * and never logs anyone in or out by accident.
 *
 * ```ts
 * import { createClient } from 'redis';
 * import session from 'express-session';
 * import { createRedisSessionStore, recommendedRedisClientOptions } from 'express-wecom-auth/redis';
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
import { createLog } from '../wecom/logger.ts';
import { WeComOptionsError, booleanOption, numberOption, optionsObject, rejectUnknown, requiredString } from '../options.ts';

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
  /** Receives one warning per Redis outage when this helper attaches the error listener. Default: none (silent). */
  logger?: RedisLogger | null;
  /**
   * Give up on a Redis reply after this many ms (the request then gets a 503). A Redis that stops
   * answering without closing the socket (a long fork, a paused or black-holed server) would
   * otherwise hang every request for as long as it stalls: node-redis's own command timeout
   * covers sending the command, not waiting for the reply. Default 2000; 0 turns it off.
   */
  commandTimeoutMs?: number;
}

/** The commands connect-redis 10 sends for express-session. */
const STORE_COMMANDS = new Set(['get', 'set', 'expire', 'del', 'mGet', 'scanIterator']);

/** A store-command reply that did not come in time. Recognised by isStoreUnavailableError (name, code). */
class RedisReplyTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(command: string, ms: number) {
    super(`Redis did not answer ${command} within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/** The client as connect-redis sees it, with a deadline on every reply of the store's commands. */
function withReplyTimeout<T extends object>(client: T, ms: number): T {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || !STORE_COMMANDS.has(property) || typeof value !== 'function' || property === 'scanIterator') {
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      }
      return (...args: unknown[]) => {
        const reply = (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new RedisReplyTimeoutError(property, ms)), ms);
        });
        // A reply that comes after the deadline is dropped; its late rejection must not go unhandled.
        reply.catch(() => undefined);
        return Promise.race([reply, deadline]).finally(() => clearTimeout(timer));
      };
    },
  });
}

const STORE_OPTIONS = ['client', 'prefix', 'ttl', 'disableTouch', 'logger', 'commandTimeoutMs'] as const;
const WHERE = 'createRedisSessionStore';

export function createRedisSessionStore(given: RedisSessionStoreOptions): RedisStore {
  const options = optionsObject(WHERE, given, '{ client, prefix }') as unknown as RedisSessionStoreOptions;
  rejectUnknown(WHERE, options, STORE_OPTIONS);
  const { client, ttl } = options;
  if (typeof client?.get !== 'function' || typeof client.on !== 'function') {
    throw new WeComOptionsError(
      WHERE,
      'client',
      'must be a node-redis client (createClient(), createSentinel() or createCluster() from "redis").',
    );
  }
  const prefix = requiredString(WHERE, options.prefix ?? 'sess:', 'prefix', 'a key prefix such as "myapp:sess:"');
  if (ttl !== undefined && typeof ttl !== 'function' && !(Number.isInteger(ttl) && ttl > 0)) {
    throw new WeComOptionsError(
      WHERE,
      'ttl',
      `is in seconds and must be a whole number of at least 1 (or a function of the session), got ${JSON.stringify(ttl)}.`,
    );
  }
  const disableTouch = booleanOption(WHERE, options.disableTouch, 'disableTouch') ?? false;
  const commandTimeoutMs = numberOption(WHERE, options.commandTimeoutMs, 'commandTimeoutMs', { min: 0, integer: true }) ?? 2000;
  const logger = createLog(options.logger ?? undefined, 'redis');
  ensureErrorListener(client, logger, 'RedisSessionStore');
  const storeClient = commandTimeoutMs > 0 ? withReplyTimeout(client, commandTimeoutMs) : client;
  return new RedisStore({ client: storeClient, prefix, disableTouch, ...(ttl === undefined ? {} : { ttl }) });
}
