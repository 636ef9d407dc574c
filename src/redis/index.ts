/** Redis for a fleet of instances: the shared token cache and the session-store wiring. */
export { RedisTokenCache } from './token-cache.ts';
export type { RedisTokenCacheClient, RedisTokenCacheOptions } from './token-cache.ts';
export { createRedisSessionStore } from './session-store.ts';
export type { RedisSessionClient, RedisSessionStoreOptions } from './session-store.ts';
export { recommendedRedisClientOptions } from './client-options.ts';
export type { RecommendedRedisClientOptions } from './client-options.ts';
export { isStoreUnavailableError, RedisTokenCacheError } from './errors.ts';
export type { RedisLogger, RedisTokenCacheErrorCode } from './errors.ts';
export { RedisSessionIndex } from './session-index.ts';
export type { RedisSessionIndexClient, RedisSessionIndexOptions } from './session-index.ts';
