/**
 * An in-process TokenCache: enough for a single Node process. For a fleet of processes use the
 * Redis cache (src/redis), which implements the same contract fleet-wide.
 */
import { MemoryEntries } from './shared-entries.ts';
import { checkFresh } from './token-cache.ts';
import type { CachedCredential, CredentialFetch, TokenCache } from './token-cache.ts';

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
      if (current.refreshAt !== undefined && this.#now() >= current.refreshAt && !this.#inflight.has(key)) {
        // Renew ahead of expiry: callers keep the current value; the fetch's own failure is
        // reported by the fetch (the client logs it) and the next due call tries again.
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
