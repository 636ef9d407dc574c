/**
 * The demo's session cookie (express-session), the way the library's docs recommend it: HttpOnly,
 * SameSite=Lax (Strict would drop it on the redirect back from WeCom), Secure on https, 8 hours.
 */
import session from 'express-session';
import type { Store } from 'express-session';
import type { RequestHandler } from 'express';

export function demoSession(options: { name: string; secret: string; secure: boolean; store?: Store }): RequestHandler {
  return session({
    name: options.name,
    secret: options.secret,
    resave: false,
    saveUninitialized: false,
    ...(options.store ? { store: options.store } : {}),
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: options.secure,
      maxAge: 8 * 60 * 60 * 1000,
    },
  });
}
