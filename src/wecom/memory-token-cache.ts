/**
 * An in-process TokenCache: enough for a single Node process. For a fleet of processes use the
 * Redis cache (src/redis), which implements the same contract fleet-wide.
 */
import { MemoryEntries } from './shared-entries.ts';
import { checkFresh } from './token-cache.ts';
import type { CachedCredential, CredentialFetch, TokenCache } from './token-cache.ts';

const RENEW_AGAIN_AFTER_MS = 1000;

export interface MemoryTokenCacheOptions {
  /** Clock in ms (tests). Default `Date.now`. Only differences between two readings matter. */
  now?: () => number;
}

interface Entry {
  value: string;
  fetchedAt: number;
  expiresAt: number;
  /** When one caller starts fetching the replacement in the background; undefined = never. */
  refreshAt: number | undefined;
}

export class MemoryTokenCache implements TokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #inflight = new Map<string, Promise<CachedCredential>>();
  /** When the last renewal ahead of expiry started, per key: one a second at most, even if they fail. */
  readonly #renewedAt = new Map<string, number>();
  readonly #now: () => number;
  readonly #shared: MemoryEntries;

  constructor(options: MemoryTokenCacheOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#shared = new MemoryEntries({ now: this.#now });
  }

  addEntry(key: string, value: string, ttlMs: number): Promise<boolean> {
    return this.#shared.addEntry(key, value, ttlMs);
  }

  setEntry(key: string, value: string, ttlMs: number): Promise<void> {
    return this.#shared.setEntry(key, value, ttlMs);
  }

  getEntry(key: string): Promise<string | undefined> {
    return this.#shared.getEntry(key);
  }

  async get(key: string): Promise<CachedCredential | undefined> {
    const entry = this.#valid(key);
    return entry === undefined ? undefined : this.#view(entry);
  }

  async obtain(key: string, fetch: CredentialFetch, stale?: string): Promise<CachedCredential> {
    const current = this.#valid(key);
    if (current !== undefined && current.value !== stale) {
      const now = this.#now();
      const lastTry = this.#renewedAt.get(key) ?? Number.NEGATIVE_INFINITY;
      if (
        current.refreshAt !== undefined &&
        now >= current.refreshAt &&
        now - lastTry >= RENEW_AGAIN_AFTER_MS &&
        !this.#inflight.has(key)
      ) {
        // Renew ahead of expiry: callers keep the current value; the fetch's own failure is
        // reported by the fetch (the client logs it) and a due call a second later tries again.
        this.#renewedAt.set(key, now);
        this.#fetch(key, fetch, current.value).catch(() => undefined);
      }
      return this.#view(current);
    }
    const running = this.#inflight.get(key);
    if (running !== undefined) {
      const result = await running;
      // A fetch that started before the caller saw `stale` rejected may return `stale`: go again.
      if (result.value !== stale) return result;
      return this.#inflight.get(key) ?? this.#fetch(key, fetch, stale);
    }
    return this.#fetch(key, fetch, stale ?? current?.value);
  }

  async invalidate(key: string, value: string): Promise<void> {
    if (this.#entries.get(key)?.value === value) this.#entries.delete(key);
  }

  /** Drop everything (tests). */
  clear(): void {
    this.#entries.clear();
    this.#renewedAt.clear();
    this.#shared.clear();
  }

  /** One fetch at a time per key: late callers share the one in flight. */
  #fetch(key: string, fetch: CredentialFetch, replacing: string | undefined): Promise<CachedCredential> {
    const promise = Promise.resolve()
      .then(() => fetch(replacing))
      .then((result) => {
        const fresh = checkFresh(result, 'MemoryTokenCache');
        const now = this.#now();
        const entry: Entry = {
          value: fresh.value,
          fetchedAt: now,
          expiresAt: now + fresh.ttlMs,
          refreshAt: fresh.refreshAfterMs === undefined ? undefined : now + fresh.refreshAfterMs,
        };
        this.#entries.set(key, entry);
        return this.#view(entry);
      });
    this.#inflight.set(key, promise);
    // Registered before the caller's handlers, so the slot is free when they run.
    promise
      .finally(() => {
        if (this.#inflight.get(key) === promise) this.#inflight.delete(key);
      })
      .catch(() => undefined);
    return promise;
  }

  #valid(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > this.#now()) return entry;
    this.#entries.delete(key);
    return undefined;
  }

  #view(entry: Entry): CachedCredential {
    const now = this.#now();
    return { value: entry.value, ttlMs: entry.expiresAt - now, ageMs: now - entry.fetchedAt };
  }
}
