/**
 * An in-process TokenCache: enough for a single Node process. For a fleet of processes use the
 * Redis cache (src/redis), which implements the same contract fleet-wide.
 */
import { MemoryEntries } from './shared-entries.ts';
import type { CachedCredential, TokenCache } from './token-cache.ts';

export interface MemoryTokenCacheOptions {
  /** Clock in ms since the epoch (tests). Default `Date.now`. */
  now?: () => number;
}

export class MemoryTokenCache implements TokenCache {
  readonly #entries = new Map<string, CachedCredential>();
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

  #valid(key: string): CachedCredential | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > this.#now()) return entry;
    this.#entries.delete(key);
    return undefined;
  }

  async get(key: string): Promise<CachedCredential | undefined> {
    const entry = this.#valid(key);
    return entry === undefined ? undefined : { ...entry };
  }

  refresh(key: string, fetch: () => Promise<CachedCredential>, stale?: string): Promise<CachedCredential> {
    // One fetch at a time per key: late callers share the one in flight.
    const running = this.#inflight.get(key);
    if (running !== undefined) return running;
    // Someone refreshed since the caller saw `stale`: hand out the newer value.
    const current = this.#valid(key);
    if (current !== undefined && current.value !== stale) return Promise.resolve({ ...current });

    const promise = Promise.resolve()
      .then(fetch)
      .then((fresh) => {
        this.#entries.set(key, { value: fresh.value, expiresAt: fresh.expiresAt });
        return { ...fresh };
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

  async invalidate(key: string, value: string): Promise<void> {
    if (this.#entries.get(key)?.value === value) this.#entries.delete(key);
  }

  /** Drop everything (tests). */
  clear(): void {
    this.#entries.clear();
    this.#shared.clear();
  }
}
