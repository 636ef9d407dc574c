/**
 * An in-process SharedEntries: the memory cache's, and the Redis cache's fallback while Redis does
 * not answer. Bounded: expired entries are swept at most every few seconds, and past `maxEntries`
 * the oldest go first (a dropped claim only weakens duplicate detection; WeCom's single-use code
 * still refuses a second exchange).
 */
import type { SharedEntries } from './token-cache.ts';

const SWEEP_EVERY_MS = 5_000;
export const DEFAULT_MAX_ENTRIES = 100_000;

export class MemoryEntries implements SharedEntries {
  readonly #entries = new Map<string, { value: string; expiresAt: number }>();
  readonly #now: () => number;
  readonly #max: number;
  #nextSweep = 0;

  constructor(options: { now?: () => number; maxEntries?: number } = {}) {
    this.#now = options.now ?? Date.now;
    this.#max = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  }

  async addEntry(key: string, value: string, ttlMs: number): Promise<boolean> {
    return this.addSync(key, value, ttlMs);
  }

  async setEntry(key: string, value: string, ttlMs: number): Promise<void> {
    this.setSync(key, value, ttlMs);
  }

  async getEntry(key: string): Promise<string | undefined> {
    return this.getSync(key);
  }

  /** Synchronous forms, for callers that must not yield between check and set. */
  addSync(key: string, value: string, ttlMs: number): boolean {
    if (this.getSync(key) !== undefined) return false;
    this.setSync(key, value, ttlMs);
    return true;
  }

  setSync(key: string, value: string, ttlMs: number): void {
    const now = this.#now();
    this.#sweep(now);
    this.#entries.delete(key); // re-inserted last: Map order is age order
    this.#entries.set(key, { value, expiresAt: now + ttlMs });
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  getSync(key: string): string | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > this.#now()) return entry.value;
    this.#entries.delete(key);
    return undefined;
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
  }

  #sweep(now: number): void {
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + SWEEP_EVERY_MS;
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
  }
}
