/**
 * Where the client keeps credentials WeCom hands out for a limited time
 * (access_token, the corp jsapi_ticket, the agent_config ticket).
 *
 * The interface is small on purpose: the in-memory cache (one process) and the
 * Redis cache (a fleet of processes) both implement it, and the client never
 * needs to know which one it has.
 *
 * Lifetimes are durations, never instants: a credential is kept for `ttlMs` from when it was
 * stored (in Redis: its TTL, counted by the Redis server), so instances whose clocks disagree
 * still agree on when a shared token expires.
 */

/** What a fetch hands the cache: a credential fresh from WeCom and how long to keep it. */
export interface FreshCredential {
  value: string;
  /** ms from now during which it may be used (the client has already taken its safety margin off). */
  ttlMs: number;
  /**
   * ms from now after which one user of the cache (one instance of the fleet) fetches its
   * replacement in the background while everyone keeps using this one. Omitted: never ahead of
   * its expiry (e.g. WeCom has just handed this same value back: it will not issue another yet).
   */
  refreshAfterMs?: number;
}

/** A credential as the cache holds it. */
export interface CachedCredential {
  value: string;
  /** ms it may still be used. */
  ttlMs: number;
  /** ms since it was fetched, by whichever instance (the renewal limit of JS-SDK tickets uses it). */
  ageMs: number;
}

/**
 * Calls WeCom. `replacing` is the value the new one replaces (due for renewal, or rejected), or
 * `undefined` on a cold cache: WeCom hands back the same value while it is valid, and the client
 * reads the lifetime of such an answer differently.
 */
export type CredentialFetch = (replacing: string | undefined) => Promise<FreshCredential>;

/**
 * Short-lived shared values kept beside the credentials: a login's claim on its `state` (so a
 * callback delivered twice exchanges its code once), a remembered visible-range verdict, the
 * client's gettoken cool-down. Plain strings with a lifetime; fleet-wide when the cache is
 * (Redis), per process otherwise.
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
  /** The stored credential for `key` while it may be used, else `undefined`. Never fetches. */
  get(key: string): Promise<CachedCredential | undefined>;

  /**
   * A usable credential for `key`, other than `stale` (a value the caller has just seen rejected):
   *
   * - the stored one, when there is one. If it is due for renewal (`refreshAfterMs` has passed),
   *   one user of the cache fetches its replacement in the background, and callers keep getting
   *   the stored one meanwhile: nobody waits for a renewal;
   * - otherwise a fresh one: `fetch` runs at most once at a time among all users of the cache
   *   (in-process for the memory cache, fleet-wide for Redis) and the others wait for its result,
   *   for a bounded time.
   */
  obtain(key: string, fetch: CredentialFetch, stale?: string): Promise<CachedCredential>;

  /** Forget `key`, but only while it still holds `value` (WeCom rejected that value). */
  invalidate(key: string, value: string): Promise<void>;
}

const notFetched = new WeakSet<object>();

/**
 * Marks an error a fetch rejects with without having called WeCom (a cool-down is in force, and
 * every caller meets it the same way). After a real failure the Redis cache holds the others off
 * for a moment, so that a failing WeCom is not asked by each instance in turn; after this one it
 * lets the next caller in at once, to meet the cool-down (or its end) itself.
 */
export function markNotFetched<T>(err: T): T {
  if (typeof err === 'object' && err !== null) notFetched.add(err);
  return err;
}

export function wasNotFetched(err: unknown): boolean {
  return typeof err === 'object' && err !== null && notFetched.has(err);
}

/** Checks what a fetch resolved to; the caches store nothing else. */
export function checkFresh(credential: FreshCredential, who: string): FreshCredential {
  const ok =
    typeof credential === 'object' &&
    credential !== null &&
    typeof credential.value === 'string' &&
    credential.value !== '' &&
    Number.isFinite(credential.ttlMs) &&
    credential.ttlMs > 0 &&
    (credential.refreshAfterMs === undefined || Number.isFinite(credential.refreshAfterMs));
  if (!ok) {
    throw new TypeError(`${who}: fetch() must resolve to { value: non-empty string, ttlMs: ms > 0, refreshAfterMs?: ms }`);
  }
  const fresh: FreshCredential = { value: credential.value, ttlMs: Math.ceil(credential.ttlMs) };
  if (credential.refreshAfterMs !== undefined) fresh.refreshAfterMs = Math.max(0, Math.floor(credential.refreshAfterMs));
  return fresh;
}
