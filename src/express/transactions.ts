/**
 * Login transactions: the server-side half of `state` (design guide §4.1-4.2, 4.5).
 *
 * A transaction lives in the session, keyed by its state, so a state is bound to the browser
 * that started the login. Several may be in flight (two tabs), but only a few, and not for long.
 */
import { randomNonce } from '../wecom/jsapi.ts';
import type { LoginTransaction, RequestSession } from './session.ts';

/** 32 base62 characters carry about 190 bits; WeCom allows [A-Za-z0-9]{0,128}. */
const STATE_LENGTH = 32;
export const STATE_FORMAT = /^[A-Za-z0-9]{1,128}$/;
/** How many completed states we remember so a reloaded callback lands on the same page. */
const DONE_KEPT = 5;

/** A fresh state: crypto-random base62, the same generator as the JS-SDK nonces. */
export function newState(): string {
  return randomNonce(STATE_LENGTH);
}

export interface TransactionLimits {
  ttlMs: number;
  max: number;
}

/** Record a new login in the session and return its state. */
export function beginTransaction(session: RequestSession, login: Omit<LoginTransaction, 'createdAt'>, limits: TransactionLimits, now = Date.now()): string {
  const auth = (session.wecomAuth ??= {});
  // Over the cap, the oldest in-flight logins are dropped (their tabs will restart cleanly).
  const tx = newest(pruned(auth.tx, limits.ttlMs, now), limits.max - 1);
  const state = newState();
  tx[state] = { ...login, createdAt: now };
  auth.tx = tx;
  return state;
}

/**
 * Remove the transaction for `state` and return it if it was valid. Done first in the callback,
 * before any other check, so a state can be used once even when the rest of the callback fails.
 */
export function consumeTransaction(session: RequestSession, state: string | undefined, ttlMs: number, now = Date.now()): LoginTransaction | undefined {
  const auth = session.wecomAuth;
  if (!auth?.tx || state === undefined || !STATE_FORMAT.test(state)) return undefined;
  const found = Object.hasOwn(auth.tx, state) ? auth.tx[state] : undefined;
  auth.tx = Object.fromEntries(Object.entries(auth.tx).filter(([key]) => key !== state));
  if (!found || now - found.createdAt > ttlMs || now < found.createdAt) return undefined;
  return found;
}

/** The logins still in flight (to carry over into a regenerated session), without expired ones. */
export function pendingTransactions(session: RequestSession, ttlMs: number, now = Date.now()): Record<string, LoginTransaction> {
  return pruned(session.wecomAuth?.tx, ttlMs, now);
}

export function rememberCompleted(session: RequestSession, state: string, tx: LoginTransaction, ttlMs: number, now = Date.now()): void {
  const auth = (session.wecomAuth ??= {});
  const done = newest(pruned(auth.done, ttlMs, now), DONE_KEPT - 1);
  done[state] = { returnTo: tx.returnTo, createdAt: now };
  auth.done = done;
}

export function completedTransaction(session: RequestSession, state: string | undefined, ttlMs: number, now = Date.now()): LoginTransaction | undefined {
  const done = session.wecomAuth?.done;
  if (!done || state === undefined || !Object.hasOwn(done, state)) return undefined;
  const found = done[state];
  return found && now - found.createdAt <= ttlMs ? found : undefined;
}

function newest(records: Record<string, LoginTransaction>, keep: number): Record<string, LoginTransaction> {
  const entries = Object.entries(records).sort((a, b) => b[1].createdAt - a[1].createdAt);
  return Object.fromEntries(entries.slice(0, Math.max(0, keep)));
}

function pruned(records: Record<string, LoginTransaction> | undefined, ttlMs: number, now: number): Record<string, LoginTransaction> {
  const out: Record<string, LoginTransaction> = {};
  for (const [state, tx] of Object.entries(records ?? {})) {
    if (STATE_FORMAT.test(state) && now - tx.createdAt <= ttlMs && now >= tx.createdAt) out[state] = tx;
  }
  return out;
}
