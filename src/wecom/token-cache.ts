/**
 * Where the client keeps credentials WeCom hands out for a limited time
 * (access_token, the corp jsapi_ticket, the agent_config ticket).
 *
 * The interface is small on purpose: the in-memory cache (one process) and the
 * Redis cache (a fleet of processes) both implement it, and the client never
 * needs to know which one it has.
 */

/** A credential and the moment (ms since the epoch) it must no longer be used. */
export interface CachedCredential {
  value: string;
  /** Absolute expiry in ms since the epoch, already shortened by the client's safety margin. */
  expiresAt: number;
}

export interface TokenCache {
  /** The stored credential for `key` if it has not expired, else `undefined`. */
  get(key: string): Promise<CachedCredential | undefined>;

  /**
   * Obtain a fresh credential for `key`.
   *
   * Implementations call `fetch` at most once at a time among all users of the cache
   * (in-process for the memory cache, fleet-wide for Redis), store the result and return it.
   * `stale` is the value the caller has just seen rejected (or `undefined` on a cold cache):
   * if the cache already holds a valid value different from `stale`, return that one
   * instead of fetching, because someone else refreshed in the meantime.
   */
  refresh(key: string, fetch: () => Promise<CachedCredential>, stale?: string): Promise<CachedCredential>;

  /** Forget `key`, but only while it still holds `value` (WeCom rejected that value). */
  invalidate(key: string, value: string): Promise<void>;
}
