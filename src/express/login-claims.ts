/**
 * Single use of a login's state across duplicate callbacks.
 *
 * WeCom's webview and impatient double taps deliver the same callback twice, at the same instant.
 * The first request to claim the state (an atomic add in the shared cache: Redis `SET NX PX` for
 * a fleet, an in-process map otherwise) exchanges the code; any other waits for its outcome and
 * follows it (the same user logged in, the same page, or the same restart), so WeCom is called
 * once and the person never sees a "code already used" page. The browser may keep either answer,
 * which is why the follower must end exactly where the winner does.
 */
import { createHash } from 'node:crypto';
import type { SharedEntries } from '../wecom/token-cache.ts';
import type { WeComUser } from './session.ts';
import type { PageId, ShowPageInput } from './views.ts';
import type { LoginFailureReason } from './login-error.ts';

export type LoginOutcome =
  | { kind: 'user'; user: WeComUser; returnTo: string; at: number }
  | { kind: 'restart'; at: number }
  | {
      kind: 'failure';
      reason: LoginFailureReason;
      page: PageId;
      status: number;
      input: ShowPageInput;
      at: number;
      userId?: string;
      errcode?: number;
      api?: string;
    };

const PENDING = 'pending';
/** The claim's value once the winner has published its outcome (kept apart, for less time). */
const SETTLED = 'settled';
/** A follower adopts a winner's login only this soon after it: a true duplicate, not a replay. */
export const OUTCOME_FRESH_MS = 60_000;

export class LoginClaims {
  readonly #entries: SharedEntries;
  readonly #waitMs: number;

  constructor(entries: SharedEntries, options: { waitMs: number }) {
    this.#entries = entries;
    this.#waitMs = options.waitMs;
  }

  /** True for the one request that may exchange the code of `state`. Held for `ttlMs`. */
  claim(state: string, ttlMs: number): Promise<boolean> {
    return this.#entries.addEntry(keyOf(state), PENDING, ttlMs);
  }

  /**
   * Publish what the winner did, for followers; the claim keeps holding for `ttlMs`. The outcome
   * (a user's identity and profile among them) is kept apart and only as long as a follower may
   * adopt it: personal data does not sit in the shared cache for the transaction's whole life.
   */
  async settle(state: string, outcome: LoginOutcome, ttlMs: number): Promise<void> {
    await this.#entries.setEntry(outcomeKeyOf(state), JSON.stringify(outcome), Math.min(ttlMs, OUTCOME_FRESH_MS));
    await this.#entries.setEntry(keyOf(state), SETTLED, ttlMs);
  }

  /** The winner's outcome, waiting for it up to `waitMs`; undefined when none came in time. */
  async outcome(state: string, now: () => number = Date.now): Promise<LoginOutcome | undefined> {
    const deadline = now() + this.#waitMs;
    let pause = 10;
    for (;;) {
      const raw = await this.#entries.getEntry(keyOf(state));
      if (raw === undefined) return undefined;
      if (raw === SETTLED) {
        const published = await this.#entries.getEntry(outcomeKeyOf(state));
        return published === undefined ? undefined : parseOutcome(published);
      }
      if (raw !== PENDING) return undefined;
      const left = deadline - now();
      if (left <= 0) return undefined;
      await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
      pause = Math.min(pause * 2, 100);
    }
  }
}

/** The state is a bearer value in the callback URL: the shared cache only sees its hash. */
function keyOf(state: string): string {
  return `login-state:${hashOf(state)}`;
}

function outcomeKeyOf(state: string): string {
  return `login-outcome:${hashOf(state)}`;
}

function hashOf(state: string): string {
  return createHash('sha256').update(state).digest('base64url');
}

function parseOutcome(raw: string): LoginOutcome | undefined {
  try {
    const value = JSON.parse(raw) as { kind?: unknown };
    return value !== null && typeof value === 'object' && ['user', 'restart', 'failure'].includes(String(value.kind))
      ? (value as LoginOutcome)
      : undefined;
  } catch {
    return undefined;
  }
}
