/**
 * The demo's session cookie (express-session), the way the library's docs recommend it: HttpOnly,
 * SameSite=Lax (Strict would drop it on the redirect back from WeCom), Secure on https, 8 hours.
 *
 * On https it is `__Host-wecom.sid`: browsers take a `__Host-` cookie only with Secure, Path=/ and
 * no Domain, so neither a sibling subdomain nor a plain-http page of the same host can plant one
 * (a planted session cookie is how a login gets fixed to an attacker's session). Plain http
 * cannot have Secure, so a local run keeps the plain name.
 */
import session from 'express-session';
import type { Store } from 'express-session';
import type { RequestHandler } from 'express';

export function sessionCookieName(baseUrl: string): string {
  return /^https:/i.test(baseUrl) ? '__Host-wecom.sid' : 'wecom.sid';
}

export function demoSession(options: { name: string; secret: string; secure: boolean; store?: Store }): RequestHandler {
  return session({
    name: options.name,
    secret: options.secret,
    resave: false,
    saveUninitialized: false,
    ...(options.store ? { store: options.store } : {}),
    cookie: {
      // express-session's defaults already are Path=/ and no Domain, as __Host- requires.
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: options.secure,
      maxAge: 8 * 60 * 60 * 1000,
    },
  });
}
