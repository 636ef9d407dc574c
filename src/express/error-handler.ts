/**
 * `errorHandler()`: turns the failures this library knows into a page or JSON an employee can act
 * on, instead of the app's generic 500:
 *
 * - a failed login (WeComLoginError from the login routes or the guard) -> its page;
 * - the session store is down -> 503 (so a Redis outage reads as what it is, and nobody is let in);
 * - a WeCom error from the client, e.g. in a route calling `wecom.client.getUser()` -> the page of
 *   its cause (60020 trusted IP, 45009 rate limit, a timeout…).
 *
 * Every other error goes on to the app's own error handler.
 */
import type { ErrorRequestHandler, Request, Response } from 'express';
import { WeComError } from '../wecom/index.ts';
import { jsonForWeComError, pageForError } from './error-pages.ts';
import type { FailureContext } from './error-pages.ts';
import { acceptsHtml, isPageNavigation } from './guard.ts';
import { WeComLoginError } from './login-error.ts';
import { SessionUnavailableError } from './session.ts';
import { isStoreUnavailableError } from '../redis/errors.ts';
import { sendJson } from './views.ts';
import type { Views } from './views.ts';

/**
 * Errors that mean the session store could not be reached or did not answer in time: one
 * classifier for the whole library (src/redis/errors.ts recognises node-redis errors by shape and
 * imports nothing from `redis`), so "The queue is full" or a reply timeout is a 503, not a 500.
 */
export function isSessionStoreUnavailable(err: unknown): boolean {
  return (
    err instanceof SessionUnavailableError ||
    (!(err instanceof WeComError) && isStoreUnavailableError(err)) ||
    (err instanceof WeComLoginError && err.reason === 'session-store')
  );
}

/** A failed login's page for a page navigation or a form a browser posted, JSON for anything else. */
export function showLoginError(views: Views, req: Request, res: Response, err: WeComLoginError): void {
  if (isPageNavigation(req) || req.method === 'GET' || acceptsHtml(req)) {
    views.show(req, res, err.page, { ...err.input, status: err.status });
    return;
  }
  for (const [name, value] of Object.entries(err.input.headers ?? {})) res.setHeader(name, value);
  sendJson(res, err.status, { error: 'login_failed', reason: err.reason, page: err.page });
}

export function createErrorHandler(views: Views, failure: FailureContext): ErrorRequestHandler {
  return function wecomAuthErrorHandler(err, req, res, next): void {
    if (res.headersSent) {
      next(err);
      return;
    }
    if (err instanceof WeComLoginError) {
      showLoginError(views, req, res, err);
      return;
    }
    const storeDown = isSessionStoreUnavailable(err);
    if (!storeDown && !(err instanceof WeComError)) {
      next(err);
      return;
    }
    if (isPageNavigation(req)) {
      const choice = storeDown
        ? { page: 'session-unavailable' as const, input: { headers: { 'Retry-After': '5' } } }
        : pageForError(err, failure);
      views.show(req, res, choice.page, choice.input);
      return;
    }
    if (storeDown || !(err instanceof WeComError)) {
      res.setHeader('Retry-After', '5');
      sendJson(res, 503, { error: 'session_store_unavailable', message: 'Sessions are temporarily unavailable; retry shortly.' });
      return;
    }
    const answer = jsonForWeComError(err);
    if (answer.retryAfter) res.setHeader('Retry-After', answer.retryAfter);
    sendJson(res, answer.status, {
      error: answer.error,
      message: answer.message,
      ...(answer.errcode === undefined ? {} : { errcode: answer.errcode }),
    });
  };
}
