/**
 * `errorHandler()`: turns "the session store is down" into a 503 page or JSON instead of the
 * app's generic 500, so a Redis outage reads as what it is and nobody is let in by mistake.
 * Every other error goes on to the app's own error handler.
 */
import type { ErrorRequestHandler } from 'express';
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

export function createErrorHandler(views: Views): ErrorRequestHandler {
  return function wecomAuthErrorHandler(err, req, res, next): void {
    if (!isSessionStoreUnavailable(err) || res.headersSent) {
      next(err);
      return;
    }
    res.setHeader('Retry-After', '5');
    if (isPageNavigation(req)) {
      views.show(req, res, 'session-unavailable');
      return;
    }
    sendJson(res, 503, { error: 'session_store_unavailable', message: 'Sessions are temporarily unavailable; retry shortly.' });
  };
}
