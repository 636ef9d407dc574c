/**
 * Which sessions a member has, so that their departure can end them at once (offboarding,
 * docs/callbacks.md): written at login and at the mini program's login, cleaned at logout and
 * when a session would have expired anyway. The guard never reads it: a guarded request costs
 * nothing more; only a login pays, one write.
 *
 * The index holds session ids, the same ids express-session's store is keyed by; ending a
 * member's sessions is destroying those ids in the store (offboarding.ts). An id whose session
 * has already gone (logged out, expired, regenerated) is harmless: destroying it does nothing.
 *
 * `MemorySessionIndex` is for one process; a fleet shares `RedisSessionIndex`
 * (express-wecom-auth/redis), so that a departure heard by one instance ends the sessions that
 * every other instance wrote.
 */

/** Whose sessions: a member of a corporation. */
export interface SessionOwner {
  corpId: string;
  userId: string;
}

export interface SessionIndex {
  /** Remember that `sessionId` belongs to `owner` until `expiresAt` (ms since the epoch). */
  add(owner: SessionOwner, sessionId: string, expiresAt: number): Promise<void>;
  /** Forget one session (logout). */
  remove(owner: SessionOwner, sessionId: string): Promise<void>;
  /** The owner's sessions that may still be alive, forgotten as they are handed out (to be destroyed). */
  take(owner: SessionOwner): Promise<string[]>;
}

/** The key of an owner's entry: corp and user, neither of which can hold a newline. */
export function ownerKey(owner: SessionOwner): string {
  return `${owner.corpId}\n${owner.userId}`;
}

/** The default: one process's sessions, in memory (`maxOwners` members at most, the oldest dropped). */
export class MemorySessionIndex implements SessionIndex {
  readonly #owners = new Map<string, Map<string, number>>();
  readonly #maxOwners: number;
  readonly #now: () => number;

  constructor(options: { maxOwners?: number; now?: () => number } = {}) {
    this.#maxOwners = options.maxOwners ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  async add(owner: SessionOwner, sessionId: string, expiresAt: number): Promise<void> {
    const key = ownerKey(owner);
    const sessions = this.#owners.get(key) ?? new Map<string, number>();
    // Re-inserted, so the map's order is least recently logged in first, for the cap below.
    this.#owners.delete(key);
    const now = this.#now();
    for (const [id, until] of sessions) if (until <= now) sessions.delete(id);
    sessions.set(sessionId, expiresAt);
    this.#owners.set(key, sessions);
    while (this.#owners.size > this.#maxOwners) {
      const oldest = this.#owners.keys().next().value;
      if (oldest === undefined) break;
      this.#owners.delete(oldest);
    }
  }

  async remove(owner: SessionOwner, sessionId: string): Promise<void> {
    const key = ownerKey(owner);
    const sessions = this.#owners.get(key);
    sessions?.delete(sessionId);
    if (sessions?.size === 0) this.#owners.delete(key);
  }

  async take(owner: SessionOwner): Promise<string[]> {
    const key = ownerKey(owner);
    const sessions = this.#owners.get(key);
    this.#owners.delete(key);
    const now = this.#now();
    return [...(sessions ?? [])].filter(([, until]) => until > now).map(([id]) => id);
  }

  /** How many members have an entry (tests, metrics). */
  get size(): number {
    return this.#owners.size;
  }
}
