/**
 * Redis failure classification and the small pieces shared by the token cache and the session
 * store. Nothing here imports `redis`: errors are recognised by shape (class name, `code`,
 * message), so the check also works across duplicated copies of node-redis in node_modules.
 */
import type { Log, WeComLogger } from '../wecom/logger.ts';

/** Where `src/redis` reports Redis outages: the same logger type as the rest of the package (console, pino, winston…). */
export type RedisLogger = WeComLogger;

export type RedisTokenCacheErrorCode =
  /** No value appeared and the lock could not be taken within `waitTimeoutMs`. */
  | 'REDIS_TOKEN_WAIT_TIMEOUT'
  /** The instance holding the lock reported that its `fetch` failed; the waiters fail with it. */
  | 'REDIS_TOKEN_REFRESH_FAILED_ELSEWHERE'
  /** This instance held the lock, but its `fetch` did not finish within the lock's lifetime. */
  | 'REDIS_TOKEN_FETCH_TIMEOUT';

export class RedisTokenCacheError extends Error {
  readonly code: RedisTokenCacheErrorCode;
  constructor(code: RedisTokenCacheErrorCode, message: string) {
    super(message);
    this.name = 'RedisTokenCacheError';
    this.code = code;
  }
}

/** node-redis error classes that mean "no usable connection" (see @redis/client/dist/lib/errors.js). */
const UNAVAILABLE_CLASSES = new Set([
  'ClientClosedError', // "The client is closed": never connected, closed, or reconnectStrategy gave up
  'ClientOfflineError', // "The client is offline": reconnecting with disableOfflineQueue: true
  'SocketClosedUnexpectedlyError', // the connection dropped while the command waited for its reply
  'ConnectionTimeoutError',
  'SocketTimeoutError',
  'ReconnectStrategyError',
  'DisconnectsClientError',
  'RootNodesUnavailableError', // cluster
  'TimeoutError',
  'SocketTimeoutDuringMaintenanceError',
  'CommandTimeoutDuringMaintenanceError',
]);

const UNAVAILABLE_MESSAGES = [
  'The client is closed',
  'The client is offline',
  'Socket closed unexpectedly',
  'Connection timeout',
  'The queue is full', // commandsQueueMaxLength reached: Redis is not keeping up
  'All the root nodes are unavailable',
  'The connection is closed',
  // node-redis's Sentinel client while the sentinels have no master to give (a failover under way)
  'no valid master node',
  'None of the sentinels are available',
  "Couldn't connect to any sentinel node",
  "couldn't connect to any sentinels",
  'Master Node Not Enumerated',
];

/** Node socket error codes for an unreachable server. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ENOTCONN',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Server replies that mean "Redis is there but cannot serve now" (loading, failover, busy script,
 * a master refusing writes without enough replicas: `min-replicas-to-write`).
 */
const UNAVAILABLE_REPLIES = /^(LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|READONLY|NOREPLICAS)\b/;

/**
 * True when `err` means the Redis behind the session store (or the token cache) cannot be
 * reached right now: the express layer answers those with a 503 page or JSON instead of a 500,
 * and never treats the request as anonymous. Follows `cause`, `originalError`, `socketError`
 * and AggregateError members a few levels deep.
 */
export function isStoreUnavailableError(err: unknown): boolean {
  return check(err, 0);
}

function check(err: unknown, depth: number): boolean {
  if (depth > 4 || typeof err !== 'object' || err === null) return false;
  const e = err as { constructor?: { name?: unknown }; name?: unknown; message?: unknown; code?: unknown };
  const className = typeof e.constructor?.name === 'string' ? e.constructor.name : '';
  if (UNAVAILABLE_CLASSES.has(className)) return true;
  if (typeof e.name === 'string' && UNAVAILABLE_CLASSES.has(e.name)) return true;
  if (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) return true;
  if (typeof e.message === 'string') {
    if (UNAVAILABLE_MESSAGES.includes(e.message)) return true;
    // A server reply, or node-redis's Sentinel client repeating one ("READONLY ..." as a plain Error).
    if (className === 'ErrorReply' || className === 'SimpleError' || className === 'Error') {
      if (UNAVAILABLE_REPLIES.test(e.message)) return true;
    }
  }
  const nested = err as { cause?: unknown; originalError?: unknown; socketError?: unknown; errors?: unknown };
  if (check(nested.cause, depth + 1)) return true;
  if (check(nested.originalError, depth + 1)) return true;
  if (check(nested.socketError, depth + 1)) return true;
  if (Array.isArray(nested.errors)) return nested.errors.some((inner) => check(inner, depth + 1));
  return false;
}

/** A short, secret-free description of a Redis error for logs. */
export function describeRedisError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return `${err.constructor.name}: ${err.message.slice(0, 200)}${typeof code === 'string' ? ` (${code})` : ''}`;
  }
  return String(err).slice(0, 200);
}

/** The event-emitter part of a node-redis client (client, cluster, sentinel, pool). */
export interface RedisEventSource {
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
  listenerCount(event: 'error'): number;
}

/**
 * node-redis emits 'error' on every failed (re)connect attempt; an EventEmitter with no
 * 'error' listener throws, which kills the process. When the application has attached no
 * listener, attach one that logs once per outage (again after the next 'ready').
 * Returns true when it attached a listener.
 */
export function ensureErrorListener(client: RedisEventSource, logger: Log, label: string): boolean {
  if (client.listenerCount('error') > 0) return false;
  let reported = false;
  client.on('error', (err: Error) => {
    if (reported) return;
    reported = true;
    logger.warn(`${label}: Redis connection error (${describeRedisError(err)}); node-redis keeps reconnecting`);
  });
  client.on('ready', () => {
    if (!reported) return;
    reported = false;
    logger.info(`${label}: Redis connection ready again`);
  });
  return true;
}
