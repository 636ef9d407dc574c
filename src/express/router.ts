/**
 * The routes WeCom and people reach: login, callback, logout. A plain middleware (no
 * express.Router) so that it behaves the same under Express 4 and 5; mount it at the root.
 *
 * Every failure leaves as a WeComLoginError through `next(err)`: the app's own error middleware
 * sees it, and `errorHandler()` renders its page. An app that never mounted `errorHandler()` still
 * gets the page (rendered here, with a one-time warning), never Express's stack-trace page.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ResolvedConfig } from '../config.ts';
import type { LoginFlow } from './login-flow.ts';
import { loginErrorFor } from './error-pages.ts';
import { logFields } from './request-parts.ts';
import { showLoginError } from './error-handler.ts';
import type { Views } from './views.ts';
import { createLog } from '../wecom/logger.ts';
import type { CookieChecks } from './cookie-checks.ts';
import { sendStartScript, startScriptPath } from './start-page.ts';

/** Handlers that answer JSON themselves, every method included (they say 405 themselves), by path. */
export type JsonRoutes = Record<string, RequestHandler>;

export interface RouterWiring {
  /** Whether the app created `errorHandler()`; if not, failures are rendered by the router itself. */
  errorHandlerMounted(): boolean;
  cookieChecks: CookieChecks;
}

export function createRouter(
  config: ResolvedConfig,
  flow: LoginFlow,
  views: Views,
  jsonRoutes: JsonRoutes,
  wiring: RouterWiring,
): RequestHandler {
  const routes: Record<string, { methods: string[]; handle: (req: Request, res: Response) => Promise<void> }> = {
    [config.routes.login]: { methods: ['GET', 'HEAD'], handle: (req, res) => flow.login(req, res) },
    // The start page's script (start-page.ts): static, so helmet's default CSP (script-src 'self') runs it.
    [startScriptPath(config.routes.login)]: { methods: ['GET', 'HEAD'], handle: async (_req, res) => sendStartScript(res) },
    // GET only: a HEAD (a link checker, a preview) must not consume the state and the code.
    [config.routes.callback]: { methods: ['GET'], handle: (req, res) => flow.callback(req, res) },
    // GET shows the sign-out button; only a POST of this origin signs out (no link, prefetch or
    // other site can end a session). No HEAD.
    [config.routes.logout]: {
      methods: ['GET', 'POST'],
      handle: (req, res) => (req.method === 'POST' ? flow.logout(req, res) : flow.logoutPage(req, res)),
    },
  };
  // Built once: on every request the router reads the path once and does one lookup.
  const byPath = new Map<string, RequestHandler | (typeof routes)[string]>([...Object.entries(routes), ...Object.entries(jsonRoutes)]);
  let warned = false;
  const log = createLog(config.logger, 'login');

  function fail(err: unknown, req: Request, res: Response, next: NextFunction, began: number): void {
    const loginError = loginErrorFor(err, flow.failureContext(), (page) => views.statusOf(page));
    if (loginError.reason === 'server') log.error('wecom auth route failed', logFields(err));
    else log.debug('login failed', { reason: loginError.reason, page: loginError.page, status: loginError.status });
    flow.reportFailure(loginError, req, began);
    if (res.headersSent || wiring.errorHandlerMounted()) {
      next(loginError);
      return;
    }
    if (!warned) {
      warned = true;
      log.warn(
        'wecom auth: mount app.use(wecom.errorHandler()) after your routes so that your error middleware sees failed logins; rendering them here meanwhile',
        {},
      );
    }
    showLoginError(views, req, res, loginError);
  }

  return function wecomAuthRouter(req: Request, res: Response, next: NextFunction): void {
    wiring.cookieChecks.inspect(req);
    const found = byPath.get(req.path);
    if (found === undefined) {
      next();
      return;
    }
    if (typeof found === 'function') {
      void found(req, res, next);
      return;
    }
    const route = found;
    if (!route.methods.includes(req.method)) {
      next();
      return;
    }
    const began = performance.now();
    let running: Promise<void>;
    try {
      running = route.handle(req, res);
    } catch (err) {
      fail(err, req, res, next, began);
      return;
    }
    running.catch((err: unknown) => {
      try {
        fail(err, req, res, next, began);
      } catch (last) {
        // Nothing may escape as an unhandled rejection: that stops a Node process by default.
        log.error('wecom auth: could not answer a failed request', logFields(last));
        if (!res.headersSent) res.statusCode = 500;
        res.end();
      }
    });
  };
}
