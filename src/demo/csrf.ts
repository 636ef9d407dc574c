/**
 * A CSRF token for the demo's own forms. SameSite=Lax keeps the session cookie off cross-site
 * POSTs in today's browsers, but not in every webview nor from a sibling subdomain (same site),
 * so each form also carries a token that only a page of this app could have put there.
 *
 * The token is 32 random bytes kept in the session (`req.session.demoCsrf`, made when a form is
 * first rendered): it needs no key, ends with the session at logout, and the library's new session
 * at login gives a new one. It is read from the urlencoded body only (never the query, never a
 * header), must be a single string, and is compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { escapeHtml } from './html.ts';

declare module 'express-session' {
  interface SessionData {
    /** The demo's CSRF token (csrf.ts). */
    demoCsrf?: string;
  }
}

export const CSRF_FIELD = '_csrf';

/** The session's token, made on first use. Call only behind the guard: it writes the session. */
export function csrfToken(req: Request): string {
  req.session.demoCsrf ??= randomBytes(32).toString('base64url');
  return req.session.demoCsrf;
}

/** The hidden field every form of the demo carries. */
export function csrfField(req: Request): string {
  return `<input type="hidden" name="${CSRF_FIELD}" value="${escapeHtml(csrfToken(req))}">`;
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

function validToken(req: Request): boolean {
  const expected = req.session?.demoCsrf;
  const sent: unknown = (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
  // A repeated field parses as an array: refused, as are a missing or empty one.
  if (typeof expected !== 'string' || typeof sent !== 'string' || sent === '') return false;
  return timingSafeEqual(digest(sent), digest(expected));
}

/** Mount after the body parser; `refuse` answers a missing or wrong token (a 403 page). */
export function requireCsrf(refuse: (req: Request, res: Response) => void): RequestHandler {
  return (req, res, next) => {
    if (validToken(req)) next();
    else refuse(req, res);
  };
}
