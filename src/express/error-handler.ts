/**
 * `errorHandler()`: turns the failures this library knows into a page or JSON an employee can act
 * on, instead of the app's generic 500:
 *
 * - the session store is down -> 503 (so a Redis outage reads as what it is, and nobody is let in);
 * - a WeCom error from the client, e.g. in a route calling `wecom.client.getUser()` -> the page of
 *   its cause (60020 trusted IP, 45009 rate limit, a timeout…).
 *
 * Every other error goes on to the app's own error handler.
 */
import type { ErrorRequestHandler } from 'express';
import { WeComError } from '../wecom/index.ts';
import { pageForError } from './error-pages.ts';
import type { FailureContext } from './error-pages.ts';
import { isPageNavigation } from './guard.ts';
import { SessionUnavailableError } from './session.ts';
import { sendJson } from './views.ts';
import type { Views } from './views.ts';

/** Errors that mean the session store could not be reached (node-redis names, socket codes). */
export function isSessionStoreUnavailable(err: unknown): boolean {
  if (err instanceof SessionUnavailableError) return true;
  if (!(err instanceof Error)) return false;
  const names = ['ClientClosedError', 'ClientOfflineError', 'ConnectionTimeoutError', 'SocketClosedUnexpectedlyError', 'ReconnectStrategyError', 'SocketTimeoutError'];
  if (names.includes(err.name) || names.includes(err.constructor.name)) return true;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTCONN', 'EHOSTUNREACH'].includes(code)) return true;
  return /the client is (closed|offline)|connection is closed|socket closed unexpectedly/i.test(err.message);
}

export function createErrorHandler(views: Views, failure: FailureContext): ErrorRequestHandler {
  return function wecomAuthErrorHandler(err, req, res, next): void {
    const storeDown = isSessionStoreUnavailable(err);
    if ((!storeDown && !(err instanceof WeComError)) || res.headersSent) {
      next(err);
      return;
    }
    const choice = pageForError(storeDown ? new SessionUnavailableError('session store unavailable') : err, failure);
    if (isPageNavigation(req)) {
      views.show(req, res, choice.page, choice.input);
      return;
    }
    const ctx = views.context(req, choice.page, choice.input);
    for (const [name, value] of Object.entries(choice.input.headers ?? {})) res.setHeader(name, value);
    sendJson(res, ctx.status, {
      error: storeDown ? 'session_store_unavailable' : choice.page.replace(/-/g, '_'),
      message: storeDown ? 'Sessions are temporarily unavailable; retry shortly.' : ctx.message,
      ...(ctx.details?.errcode !== undefined ? { errcode: ctx.details.errcode } : {}),
    });
  };
}
