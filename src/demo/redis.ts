/**
 * Sessions and the token cache in Redis when REDIS_URL is set (docs/redis.md): one client for
 * both, failing fast while Redis is down (the demo answers 503) and reconnecting for ever.
 */
import type { Store } from 'express-session';
import { createClient } from 'redis';
import { createRedisSessionStore, recommendedRedisClientOptions, RedisTokenCache } from '../redis/index.ts';
import type { TokenCache } from '../index.ts';

export interface DemoRedis {
  store: Store;
  tokenCache: TokenCache;
  close(): Promise<void>;
}

export function connectRedis(url: string): DemoRedis {
  const redis = createClient({ url, ...recommendedRedisClientOptions() });
  // Not awaited: the demo starts (and answers 503) even while Redis is still unreachable.
  redis.connect().catch(() => undefined);
  return {
    store: createRedisSessionStore({ client: redis, prefix: 'wecom-demo:sess:' }),
    tokenCache: new RedisTokenCache(redis, { prefix: 'wecom-demo:' }),
    close: async () => {
      await redis.close();
    },
  };
}
