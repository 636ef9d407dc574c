/**
 * A CSRF token for the demo's own forms. SameSite=Lax keeps the session cookie off cross-site
 * POSTs in today's browsers, but not in every webview nor from a sibling subdomain (same site),
 * so each form also carries a token that only a page of this app could have put there.
 *
 * The token is HMAC-SHA256 of the session id, keyed with a key derived from the session secret:
 * nothing is stored, so rendering a form writes no session (no Redis write per page, nothing to
 * lose while Redis fails over), and the token ends with the session id: at logout, and at login,
 * where the library gives the person a new session. Only someone who holds the session cookie,
 * which is HttpOnly, could compute it. It is read from the urlencoded body only (never the query,
 * never a header), must be a single non-empty string, and is compared in constant time.
 */
import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { escapeHtml } from './html.ts';

export const CSRF_FIELD = '_csrf';

export interface Csrf {
  /** The hidden field every form of the demo carries. Behind the guard only: it needs the session. */
  field(req: Request): string;
  /** Mount after the body parser; `refuse` answers a missing or wrong token (a 403 page). */
  check(refuse: (req: Request, res: Response) => void): RequestHandler;
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

export function createCsrf(sessionSecret: string): Csrf {
  // Its own key: a token shown in a page must not be a signature made with the cookie's key.
  const key = Buffer.from(hkdfSync('sha256', sessionSecret, '', 'express-wecom-auth demo: CSRF tokens', 32));
  const tokenOf = (req: Request): string => createHmac('sha256', key).update(req.sessionID).digest('base64url');
  const valid = (req: Request): boolean => {
    const sent: unknown = (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
    // A repeated field parses as an array: refused, as are a missing or empty one.
    if (typeof sent !== 'string' || sent === '' || !req.sessionID) return false;
    // Digests of both: equal lengths for timingSafeEqual, whatever was sent.
    return timingSafeEqual(digest(sent), digest(tokenOf(req)));
  };
  return {
    field: (req) => `<input type="hidden" name="${CSRF_FIELD}" value="${escapeHtml(tokenOf(req))}">`,
    check: (refuse) => (req, res, next) => {
      if (valid(req)) next();
      else refuse(req, res);
    },
  };
}
