/**
 * `requireUser()`: lets logged-in people through and starts a login for everyone else.
 *
 * Only a page navigation (GET or HEAD accepting HTML) is redirected to WeCom; an API call gets a
 * 401 JSON answer it can act on, since a redirect to another origin is useless to fetch().
 * Fail closed: no session at all (store down) is an error, never "anonymous".
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { LoginFlow } from './login-flow.ts';
import { safeReturnTo, withoutWeComCode } from './return-to.ts';
import { requireSession } from './session.ts';
import { WeComLoginError } from './login-error.ts';
import { sendJson } from './views.ts';

export interface GuardOptions {
  /** Answer 401 JSON even to page navigations (for API routers). Default false. */
  json?: boolean;
}

export function createGuard(flow: LoginFlow, origin: string, defaultReturnTo: string, options: GuardOptions = {}): RequestHandler {
  return function requireWeComUser(req: Request, res: Response, next: NextFunction): void {
    let session;
    try {
      session = requireSession(req);
    } catch (err) {
      next(err);
      return;
    }
    const user = flow.currentUser(session);
    if (user) {
      req.wecomUser = user;
      next();
      return;
    }
    const path = safeReturnTo(req.originalUrl, origin);
    const returnTo = path === undefined ? defaultReturnTo : withoutWeComCode(path);
    if (!options.json && isPageNavigation(req)) {
      const began = performance.now();
      try {
        flow.start(req, res, returnTo, 0);
      } catch (err) {
        if (err instanceof WeComLoginError) flow.reportFailure(err, req, began);
        next(err);
      }
      return;
    }
    sendJson(res, 401, {
      error: 'unauthenticated',
      message: 'Sign in with WeCom first: open loginUrl in the browser, or the page in WeCom.',
      loginUrl: flow.loginUrl(returnTo),
    });
  };
}

/** A browser loading a page, as opposed to fetch() or an API client. */
export function isPageNavigation(req: Request): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && acceptsHtml(req);
}

/** The client takes HTML: a browser's navigation or form post, not fetch() or an API client. */
export function acceptsHtml(req: Request): boolean {
  return /\btext\/html\b|\bapplication\/xhtml\+xml\b/i.test(String(req.headers.accept ?? ''));
}
