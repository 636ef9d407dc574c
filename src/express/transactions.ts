/**
 * Logins in flight, kept in the browser: one short-lived signed cookie per `state`.
 *
 * Why not the session: a session is one record that concurrent requests read and write whole, so
 * two tabs starting a login at once (or a login racing a callback) overwrite each other's state,
 * and writing a transaction for every anonymous page load lets anyone fill the session store. A
 * cookie per state has neither problem: tabs never share a cookie name, and nothing is stored on
 * the server until a login succeeds (docs/security.md).
 *
 * The cookie (`wecom_tx_<state>`):
 * - value: `<base64url JSON {s: state, r: returnTo, t: createdAt, f?: flow, a?: appKey, d?: 1}>.<HMAC>`,
 *   signed with cookie-signature (HMAC-SHA256, the format express-session signs its cookie with);
 *   the state is inside the signed payload, so a value cannot be moved to another cookie name;
 * - `HttpOnly`, `SameSite=Lax` (WeCom's redirect back is a top-level GET, which Lax lets through),
 *   `Secure` for an https `baseUrl`, `Path` = the callback route (no other request carries it),
 *   `Max-Age` = the transaction lifetime;
 * - `d: 1` marks a login that finished: a reloaded callback (or Back) then lands on its page
 *   instead of starting over, and the code is never exchanged twice.
 *
 * The browser only sends these cookies to the callback, so the cap on logins in flight is applied
 * there: cookies that fail verification or have expired are cleared, and past `max` the oldest go.
 */
import { hkdfSync } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import { sign, unsign } from 'cookie-signature';
import { randomNonce } from '../wecom/jsapi.ts';

/** 32 base62 characters carry about 190 bits; WeCom allows [A-Za-z0-9]{0,128}. */
const STATE_LENGTH = 32;
export const STATE_FORMAT = /^[A-Za-z0-9]{1,128}$/;
export const COOKIE_PREFIX = 'wecom_tx_';
/** Finished logins remembered for reloads, beside the cap on logins in flight. */
const DONE_KEPT = 3;

/** A login in flight, as its cookie carries it. */
export interface LoginTransaction {
  state: string;
  returnTo: string;
  /** ms since the epoch. */
  createdAt: number;
  /** Which WeCom page the login went through; decides the code exchange. Default 'oauth'. */
  flow?: 'oauth' | 'web-login';
  /** The `appKey` of the wecomAuth() instance that started it, when several share a session. */
  app?: string;
  /** The login finished (the callback answered it once). */
  done?: boolean;
}

interface Payload {
  s: string;
  r: string;
  t: number;
  f?: 'web-login';
  a?: string;
  d?: 1;
}

export interface TransactionCookieOptions {
  /** Signing secrets: the first signs, every one verifies (rotation). */
  secrets: readonly string[];
  /** The callback route: the cookies' Path. */
  path: string;
  secure: boolean;
  ttlMs: number;
  /** Logins in flight kept per browser; past it the oldest are dropped. */
  max: number;
}

/** A fresh state: crypto-random base62, the same generator as the JS-SDK nonces. */
export function newState(): string {
  return randomNonce(STATE_LENGTH);
}

/**
 * The signing key when no `transactionSecret` is configured: derived from the app's secret with
 * HKDF, so that a newcomer has nothing more to configure and the key is never the secret itself.
 */
export function derivedTransactionSecret(appSecret: string): string {
  return Buffer.from(hkdfSync('sha256', appSecret, 'express-wecom-auth', 'login transaction cookie', 32)).toString('base64url');
}

export class TransactionCookies {
  readonly #options: TransactionCookieOptions;

  constructor(options: TransactionCookieOptions) {
    this.#options = options;
  }

  /** Set the cookie of a new login and return its state. */
  begin(res: ServerResponse, login: Omit<LoginTransaction, 'state' | 'createdAt' | 'done'>, now = Date.now()): string {
    const state = newState();
    this.#write(res, { state, createdAt: now, ...login }, this.#options.ttlMs);
    return state;
  }

  /** The transaction of `state` if this browser holds a valid, unexpired cookie for it. */
  read(req: IncomingMessage, state: string | undefined, now = Date.now()): LoginTransaction | undefined {
    if (state === undefined || !STATE_FORMAT.test(state)) return undefined;
    const raw = this.#cookies(req)[COOKIE_PREFIX + state];
    const tx = raw === undefined ? undefined : this.#verify(raw, now);
    return tx?.state === state ? tx : undefined;
  }

  /** Mark the login finished: the cookie stays (for reloads) until the transaction would have expired. */
  finish(res: ServerResponse, tx: LoginTransaction, now = Date.now()): void {
    const left = tx.createdAt + this.#options.ttlMs - now;
    if (left <= 0) this.clear(res, tx.state);
    else this.#write(res, { ...tx, done: true }, left);
  }

  clear(res: ServerResponse, state: string): void {
    appendSetCookie(res, serializeCookie(COOKIE_PREFIX + state, '', { ...this.#attributes(), maxAge: 0, expires: new Date(0) }));
  }

  /**
   * Clear what should not stay in this browser: cookies that fail verification or have expired,
   * and beyond the cap the oldest logins in flight (and finished ones past a few). `keep` is the
   * state this request answers, decided on separately.
   */
  prune(req: IncomingMessage, res: ServerResponse, keep: string | undefined, now = Date.now()): void {
    const pending: LoginTransaction[] = [];
    const finished: LoginTransaction[] = [];
    for (const [name, raw] of Object.entries(this.#cookies(req))) {
      if (!name.startsWith(COOKIE_PREFIX) || raw === undefined) continue;
      const state = name.slice(COOKIE_PREFIX.length);
      if (state === keep) continue;
      const tx = STATE_FORMAT.test(state) ? this.#verify(raw, now) : undefined;
      if (tx === undefined || tx.state !== state) {
        if (STATE_FORMAT.test(state)) this.clear(res, state);
        continue;
      }
      (tx.done ? finished : pending).push(tx);
    }
    const newestFirst = (a: LoginTransaction, b: LoginTransaction): number => b.createdAt - a.createdAt;
    for (const tx of pending.sort(newestFirst).slice(Math.max(0, this.#options.max - 1))) this.clear(res, tx.state);
    for (const tx of finished.sort(newestFirst).slice(DONE_KEPT)) this.clear(res, tx.state);
  }

  #write(res: ServerResponse, tx: LoginTransaction, maxAgeMs: number): void {
    const payload: Payload = { s: tx.state, r: tx.returnTo, t: tx.createdAt };
    if (tx.flow === 'web-login') payload.f = 'web-login';
    if (tx.app !== undefined) payload.a = tx.app;
    if (tx.done) payload.d = 1;
    const secret = this.#options.secrets[0] ?? '';
    const value = sign(Buffer.from(JSON.stringify(payload)).toString('base64url'), secret);
    const maxAge = Math.max(1, Math.floor(maxAgeMs / 1000));
    appendSetCookie(res, serializeCookie(COOKIE_PREFIX + tx.state, value, { ...this.#attributes(), maxAge }));
  }

  #verify(raw: string, now: number): LoginTransaction | undefined {
    let body: string | false = false;
    for (const secret of this.#options.secrets) {
      body = unsign(raw, secret);
      if (body !== false) break;
    }
    if (body === false) return undefined;
    let payload: Partial<Payload>;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<Payload>;
    } catch {
      return undefined;
    }
    const { s, r, t } = payload;
    if (typeof s !== 'string' || typeof r !== 'string' || typeof t !== 'number') return undefined;
    // Expired, or from the future (a clock that went back): not a login this browser may finish.
    if (now - t > this.#options.ttlMs || now < t - 60_000) return undefined;
    const tx: LoginTransaction = { state: s, returnTo: r, createdAt: t };
    if (payload.f === 'web-login') tx.flow = 'web-login';
    if (typeof payload.a === 'string') tx.app = payload.a;
    if (payload.d === 1) tx.done = true;
    return tx;
  }

  #cookies(req: IncomingMessage): Record<string, string | undefined> {
    const header = req.headers.cookie;
    if (typeof header !== 'string' || !header.includes(COOKIE_PREFIX)) return {};
    return parseCookies(header);
  }

  #attributes(): { path: string; httpOnly: true; sameSite: 'lax'; secure: boolean } {
    return { path: this.#options.path, httpOnly: true, sameSite: 'lax', secure: this.#options.secure };
  }
}

/** Add a Set-Cookie line, keeping the ones already set (express-session adds its own the same way). */
function appendSetCookie(res: ServerResponse, line: string): void {
  const previous = res.getHeader('Set-Cookie');
  const lines = previous === undefined ? [] : Array.isArray(previous) ? previous : [String(previous)];
  res.setHeader('Set-Cookie', [...lines, line]);
}
