/**
 * Logins in flight, kept in the browser: one short-lived signed cookie per `state`.
 *
 * Why not the session: a session is one record that concurrent requests read and write whole, so
 * two tabs starting a login at once (or a login racing a callback) overwrite each other's state,
 * and writing a transaction for every anonymous page load lets anyone fill the session store. A
 * cookie per state has neither problem: tabs never share a cookie name, and nothing is stored on
 * the server until a login succeeds (docs/security.md).
 *
 * The cookie (`__Host-wecom_tx_<state>` on https, `wecom_tx_<state>` on http; an `appKey` adds
 * `<appKey>.` before the state, so several apps in one browser never touch each other's):
 * - value: `<base64url JSON {s: state, r: returnTo | h: sha256(returnTo), t: createdAt, f?, a?, d?}>.<HMAC>`,
 *   signed with cookie-signature (HMAC-SHA256, the format express-session signs its cookie with);
 *   the state is inside the signed payload, so a value cannot be moved to another cookie name;
 * - `__Host-` (https): the browser accepts the cookie only from this very host over TLS, with
 *   Path=/ and no Domain, so a sibling subdomain or a network attacker cannot toss a login cookie
 *   of their own into the browser (login CSRF, issue 19 finding 6);
 * - `HttpOnly`, `SameSite=Lax` (WeCom's redirect back is a top-level GET, which Lax lets through),
 *   `Secure` for an https `baseUrl`, `Path=/`, `Max-Age` = the transaction lifetime;
 * - `d: 1` marks a login that finished: a reloaded callback then lands on its page instead of
 *   starting over, and the code is never exchanged twice.
 *
 * The header budget: Path=/ puts these cookies on every request to the app for their lifetime, and
 * a browser whose Cookie header outgrows the server's limit (Node 16 KB for all headers, nginx
 * 8 KB a line) is refused before the app can clear anything. So each cookie is at most
 * COOKIE_MAX_BYTES (a return path too long for it rides in the callback URL as `to`, and the
 * cookie keeps its hash), and a browser keeps at most `max` logins in flight and DONE_KEPT finished
 * ones: at most (8 + 3) × 512 bytes, 5.5 KB, and about 200 bytes a cookie in practice. The start
 * sees every cookie (Path=/), so the cap is applied when a cookie is set, not only at the callback.
 *
 * The work a request costs is bounded whatever it carries: the Cookie header is read once per
 * request, and of it at most `limit` login cookies (plus the ones the callback's query names) are
 * looked at; junk beyond that is ignored, not parsed, verified or cleared.
 */
import { createHash, hkdfSync } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { serialize as serializeCookie } from 'cookie';
import { sign, unsign } from 'cookie-signature';
import { randomNonce } from '../wecom/jsapi.ts';

/** 32 base62 characters carry about 190 bits; WeCom allows [A-Za-z0-9]{0,128}. */
const STATE_LENGTH = 32;
export const STATE_FORMAT = /^[A-Za-z0-9]{1,128}$/;
/** Finished logins remembered for reloads, beside the cap on logins in flight. */
const DONE_KEPT = 3;
/** The largest `name=value` of one login cookie. */
export const COOKIE_MAX_BYTES = 512;
/** The most logins in flight a browser may keep (`maxTransactions`): (8 + DONE_KEPT) cookies stay within 5.5 KB. */
export const MAX_TRANSACTIONS_LIMIT = 8;

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

/** A login just started: its state, and the return path when it rides in the callback URL (`to`). */
export interface BegunLogin {
  state: string;
  returnToInUrl?: string;
}

interface Payload {
  s: string;
  r?: string;
  h?: string;
  t: number;
  f?: 'web-login';
  a?: string;
  d?: 1;
}

/** A login cookie as the request carried it; verified once, when first needed. */
interface Entry {
  raw: string;
  payload?: Payload | null;
}

export interface TransactionCookieOptions {
  /** Signing secrets: the first signs, every one verifies (rotation). */
  secrets: readonly string[];
  /** An https `baseUrl`: `Secure` and the `__Host-` prefix. */
  secure: boolean;
  ttlMs: number;
  /** Logins in flight kept per browser; past it the oldest are dropped. */
  max: number;
  /** The wecomAuth() instance's `appKey`: its cookies get names of their own. */
  appKey?: string | undefined;
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
  /** The cookie names' common start; the state follows it. */
  readonly prefix: string;
  /** The most login cookies of ours one browser can carry: `max` in flight plus the finished ones kept. */
  readonly limit: number;
  /** What requests cost so far: login cookies taken from Cookie headers, and signatures checked (tests, bench). */
  readonly work = { cookiesRead: 0, signaturesChecked: 0 };
  readonly #options: TransactionCookieOptions;
  readonly #jars = new WeakMap<IncomingMessage, Map<string, Entry>>();

  constructor(options: TransactionCookieOptions) {
    this.#options = options;
    this.prefix = `${options.secure ? '__Host-' : ''}wecom_tx_${options.appKey === undefined ? '' : `${options.appKey}.`}`;
    this.limit = options.max + DONE_KEPT;
  }

  /**
   * Set the cookie of a new login, and make room for it: what this browser holds beyond the caps
   * goes (cookies that fail verification or expired, the oldest logins in flight).
   */
  begin(
    req: IncomingMessage,
    res: ServerResponse,
    login: Omit<LoginTransaction, 'state' | 'createdAt' | 'done'>,
    now = Date.now(),
  ): BegunLogin {
    const state = newState();
    this.prune(req, res, state, now);
    const hashed = this.#write(res, { state, createdAt: now, ...login }, this.#options.ttlMs);
    return hashed ? { state, returnToInUrl: login.returnTo } : { state };
  }

  /**
   * The transaction of `state` if this browser holds a valid, unexpired cookie for it. A return
   * path kept as a hash must come back as `returnToInUrl` (the callback's `to`), unchanged.
   */
  read(req: IncomingMessage, state: string | undefined, returnToInUrl?: string, now = Date.now()): LoginTransaction | undefined {
    if (state === undefined || !STATE_FORMAT.test(state)) return undefined;
    const entry = this.#jar(req, [state]).get(state);
    return entry === undefined ? undefined : this.#transaction(state, entry, returnToInUrl, now);
  }

  /**
   * The logins among `states` that this browser really started (verified cookies), for a request
   * that names several at once: they are all to be burnt. At most `limit` states are looked at.
   */
  named(req: IncomingMessage, states: readonly string[], now = Date.now()): LoginTransaction[] {
    const wanted = [...new Set(states.filter((s) => STATE_FORMAT.test(s)))].slice(0, this.limit);
    const jar = this.#jar(req, wanted);
    const found: LoginTransaction[] = [];
    for (const state of wanted) {
      const entry = jar.get(state);
      const payload = entry && this.#payload(entry, now);
      if (payload && payload.s === state) found.push({ state, returnTo: payload.r ?? '/', createdAt: payload.t });
    }
    return found;
  }

  /** Mark the login finished: the cookie stays (for reloads) until the transaction would have expired. */
  finish(res: ServerResponse, tx: LoginTransaction, now = Date.now()): void {
    const left = tx.createdAt + this.#options.ttlMs - now;
    if (left <= 0) this.clear(res, tx.state);
    else this.#write(res, { ...tx, done: true }, left);
  }

  clear(res: ServerResponse, state: string): void {
    appendSetCookie(res, serializeCookie(this.prefix + state, '', { ...this.#attributes(), maxAge: 0, expires: new Date(0) }));
  }

  /**
   * Clear what should not stay in this browser: cookies that fail verification or have expired,
   * and beyond the caps the oldest logins in flight (and finished ones past a few). `keep` is the
   * state this request answers (or is starting), decided on separately. Linear in the cookies read,
   * which are at most `limit`.
   */
  prune(req: IncomingMessage, res: ServerResponse, keep: string | undefined, now = Date.now()): void {
    const jar = this.#jar(req, keep === undefined ? [] : [keep]);
    // What is cleared leaves the jar too, so a second clean-up in the same request (a callback
    // that restarts the login) writes nothing twice.
    const drop = (state: string): void => {
      this.clear(res, state);
      jar.delete(state);
    };
    const pending: LoginTransaction[] = [];
    const finished: LoginTransaction[] = [];
    for (const [state, entry] of jar) {
      if (state === keep) continue;
      const payload = this.#payload(entry, now);
      if (!payload || payload.s !== state) drop(state);
      else (payload.d === 1 ? finished : pending).push({ state, returnTo: '', createdAt: payload.t });
    }
    const newestFirst = (a: LoginTransaction, b: LoginTransaction): number => b.createdAt - a.createdAt;
    for (const tx of pending.sort(newestFirst).slice(Math.max(0, this.#options.max - 1))) drop(tx.state);
    for (const tx of finished.sort(newestFirst).slice(DONE_KEPT)) drop(tx.state);
  }

  /**
   * This request's login cookies, from one pass over its Cookie header (kept for the request's
   * other calls): the first `limit` whose names are ours, and the `wanted` states wherever they
   * stand. Nothing else is decoded, and a name seen twice keeps its first value, as browsers
   * order cookies and express-session reads them.
   */
  #jar(req: IncomingMessage, wanted: readonly string[]): Map<string, Entry> {
    const known = this.#jars.get(req);
    if (known) return known;
    const jar = new Map<string, Entry>();
    this.#jars.set(req, jar);
    const header = req.headers.cookie;
    if (typeof header !== 'string' || !header.includes(this.prefix)) return jar;
    let others = 0;
    for (let start = 0; start < header.length;) {
      const semicolon = header.indexOf(';', start);
      const end = semicolon === -1 ? header.length : semicolon;
      let i = start;
      while (header.charCodeAt(i) === 32) i++;
      start = end + 1;
      if (!header.startsWith(this.prefix, i)) continue;
      const eq = header.indexOf('=', i);
      if (eq === -1 || eq > end) continue;
      const state = header.slice(i + this.prefix.length, eq).trimEnd();
      if (!STATE_FORMAT.test(state) || jar.has(state)) continue;
      const isWanted = wanted.includes(state);
      if (!isWanted && others >= this.limit) continue;
      if (!isWanted) others++;
      this.work.cookiesRead++;
      jar.set(state, { raw: decodeValue(header.slice(eq + 1, end).trim()) });
    }
    return jar;
  }

  #transaction(state: string, entry: Entry, returnToInUrl: string | undefined, now: number): LoginTransaction | undefined {
    const payload = this.#payload(entry, now);
    if (!payload || payload.s !== state) return undefined;
    let returnTo = payload.r;
    if (payload.h !== undefined) {
      // The return path rode in the callback URL: it must be the very one this login started with.
      if (returnToInUrl === undefined || hashOf(returnToInUrl) !== payload.h) return undefined;
      returnTo = returnToInUrl;
    }
    if (returnTo === undefined) return undefined;
    const tx: LoginTransaction = { state, returnTo, createdAt: payload.t };
    if (payload.f === 'web-login') tx.flow = 'web-login';
    if (payload.a !== undefined) tx.app = payload.a;
    if (payload.d === 1) tx.done = true;
    return tx;
  }

  /** The verified, unexpired payload of a cookie of this app, or null. */
  #payload(entry: Entry, now: number): Payload | null {
    if (entry.payload !== undefined) return entry.payload;
    entry.payload = null;
    let body: string | false = false;
    for (const secret of this.#options.secrets) {
      this.work.signaturesChecked++;
      body = unsign(entry.raw, secret);
      if (body !== false) break;
    }
    if (body === false) return null;
    let payload: Partial<Payload>;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<Payload>;
    } catch {
      return null;
    }
    const { s, r, h, t } = payload;
    if (typeof s !== 'string' || typeof t !== 'number' || (typeof r !== 'string') === (typeof h !== 'string')) return null;
    // Another wecomAuth() instance's login (several apps in one session) is not ours to finish.
    if (payload.a !== this.#options.appKey) return null;
    // Expired, or from the future (a clock that went back): not a login this browser may finish.
    if (now - t > this.#options.ttlMs || now < t - 60_000) return null;
    entry.payload = payload as Payload;
    return entry.payload;
  }

  /** Write a login's cookie; true when its return path did not fit and only its hash was kept. */
  #write(res: ServerResponse, tx: LoginTransaction, maxAgeMs: number): boolean {
    const maxAge = Math.max(1, Math.floor(maxAgeMs / 1000));
    const payload: Payload = { s: tx.state, r: tx.returnTo, t: tx.createdAt };
    if (tx.flow === 'web-login') payload.f = 'web-login';
    if (tx.app !== undefined) payload.a = tx.app;
    if (tx.done) payload.d = 1;
    let value = this.#sign(payload);
    const fits = this.prefix.length + tx.state.length + 1 + encodeURIComponent(value).length <= COOKIE_MAX_BYTES;
    if (!fits) {
      delete payload.r;
      payload.h = hashOf(tx.returnTo);
      value = this.#sign(payload);
    }
    appendSetCookie(res, serializeCookie(this.prefix + tx.state, value, { ...this.#attributes(), maxAge }));
    return !fits;
  }

  #sign(payload: Payload): string {
    return sign(Buffer.from(JSON.stringify(payload)).toString('base64url'), this.#options.secrets[0] ?? '');
  }

  #attributes(): { path: '/'; httpOnly: true; sameSite: 'lax'; secure: boolean } {
    return { path: '/', httpOnly: true, sameSite: 'lax', secure: this.#options.secure };
  }
}

function hashOf(returnTo: string): string {
  return createHash('sha256').update(returnTo).digest('base64url');
}

/** A cookie value as express-session's parser reads it: quotes dropped, percent-escapes decoded. */
function decodeValue(value: string): string {
  const unquoted = value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  if (!unquoted.includes('%')) return unquoted;
  try {
    return decodeURIComponent(unquoted);
  } catch {
    return unquoted;
  }
}

/** Add a Set-Cookie line, keeping the ones already set (express-session adds its own the same way). */
function appendSetCookie(res: ServerResponse, line: string): void {
  const previous = res.getHeader('Set-Cookie');
  const lines = previous === undefined ? [] : Array.isArray(previous) ? previous : [String(previous)];
  // A copy per line is quadratic in the lines, which are bounded: at most `limit` + 2 an answer.
  res.setHeader('Set-Cookie', [...lines, line]);
}
