/**
 * node-redis client options for a web app that must fail fast while Redis is down and recover
 * by itself when it returns. Measured with node-redis 6.3 against a stopped redis-server:
 *
 * - Defaults: commands issued while the server is down are queued and wait (a request hangs
 *   until Redis returns, seconds or forever). `disableOfflineQueue: true` rejects them at once
 *   with ClientOfflineError ("The client is offline"), so the app answers 503 immediately.
 * - The default reconnectStrategy gives up after a SocketTimeoutError, leaving a closed client
 *   (ClientClosedError forever, until the process restarts). The strategy here never gives up:
 *   exponential backoff with jitter, capped at `maxReconnectDelayMs`.
 * - `commandsQueueMaxLength` bounds memory when Redis is slow but connected ("The queue is full").
 * - `client.connect()` does not reject while the server is unreachable: it keeps retrying and
 *   resolves once connected. Don't await it before `app.listen()` if the app should start (and
 *   answer 503) without Redis.
 *
 * ```ts
 * const redis = createClient({ url: process.env.REDIS_URL, ...recommendedRedisClientOptions() });
 * ```
 */
export interface RecommendedRedisClientOptions {
  disableOfflineQueue: true;
  commandsQueueMaxLength: number;
  socket: {
    connectTimeout: number;
    reconnectStrategy: (retries: number) => number;
  };
}

export function recommendedRedisClientOptions(
  overrides: { maxReconnectDelayMs?: number; connectTimeoutMs?: number; commandsQueueMaxLength?: number } = {},
): RecommendedRedisClientOptions {
  const { maxReconnectDelayMs = 2000, connectTimeoutMs = 2000, commandsQueueMaxLength = 1000 } = overrides;
  return {
    disableOfflineQueue: true,
    commandsQueueMaxLength,
    socket: {
      connectTimeout: connectTimeoutMs,
      reconnectStrategy: (retries: number) =>
        Math.min(50 * 2 ** Math.min(retries, 16), maxReconnectDelayMs) + Math.floor(Math.random() * 100),
    },
  };
}
