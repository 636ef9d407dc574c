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

/**
 * Short-lived shared values kept beside the credentials: a login's claim on its `state` (so a
 * callback delivered twice exchanges its code once), a remembered visible-range verdict. Plain
 * strings with a lifetime; fleet-wide when the cache is (Redis), per process otherwise.
 */
export interface SharedEntries {
  /** Store `value` under `key` for `ttlMs` unless `key` holds a value; true when this call stored it. Atomic. */
  addEntry(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Store `value` under `key` for `ttlMs`, replacing what was there. */
  setEntry(key: string, value: string, ttlMs: number): Promise<void>;
  /** The value under `key`, unless it has expired. */
  getEntry(key: string): Promise<string | undefined>;
}

export interface TokenCache extends SharedEntries {
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
