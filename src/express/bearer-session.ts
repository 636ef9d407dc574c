/**
 * The mini program's bearer token: mini programs keep no cookies, so the session id travels as
 * `Authorization: Bearer <token>`. The token is exactly the value express-session puts in its
 * cookie, minus the `s:` prefix: `<session id>.<HMAC-SHA256 signature>`, signed with
 * cookie-signature as express-session does. `bearerSession()`, mounted before express-session,
 * turns the header back into the session cookie, and express-session verifies the signature with
 * its own secret as for any cookie: a client cannot forge or alter a token.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { sign } from 'cookie-signature';
import { COOKIE_NAME, WeComOptionsError } from '../options.ts';

export interface BearerSessionOptions {
  /** express-session's `name` option. Default `connect.sid` (express-session's default). */
  cookieName?: string;
}

/** RFC 6750 b64token; session ids of uid-safe and cookie-signature signatures both fit. */
const TOKEN_PATTERN = /^[A-Za-z0-9\-._~+/]+=*$/;
const MAX_TOKEN_LENGTH = 512;

/**
 * Mount BEFORE express-session. `Authorization: Bearer <token>` becomes the session cookie, so
 * express-session loads (and verifies the signature of) the session the token names. A request
 * without a bearer token is left alone; a malformed one is ignored (the guard then answers 401).
 * When both are present, the bearer token wins over a session cookie.
 */
export function bearerSession(options: BearerSessionOptions = {}): RequestHandler {
  const cookieName = options.cookieName ?? 'connect.sid';
  if (typeof cookieName !== 'string' || !COOKIE_NAME.test(cookieName)) {
    throw new WeComOptionsError(
      'bearerSession',
      'cookieName',
      'must be express-session\'s `name` option, a cookie name such as "connect.sid".',
    );
  }
  return function wecomBearerSession(req: Request, _res: Response, next: NextFunction): void {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer +([^\s]+) *$/i.exec(header) : null;
    const token = match?.[1];
    if (token === undefined || token.length > MAX_TOKEN_LENGTH || !TOKEN_PATTERN.test(token)) {
      next();
      return;
    }
    const ours = `${cookieName}=${encodeURIComponent(`s:${token}`)}`;
    const others = String(req.headers.cookie ?? '')
      .split(';')
      .map((pair) => pair.trim())
      .filter((pair) => pair !== '' && pair.split('=', 1)[0]?.trim() !== cookieName);
    req.headers.cookie = [ours, ...others].join('; ');
    next();
  };
}

/** `<sid>.<signature>`: express-session's signed cookie value (cookie-signature) without `s:`. */
export function sessionToken(sessionId: string, secret: string): string {
  return sign(sessionId, secret);
}
