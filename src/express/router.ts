/**
 * The routes WeCom and people reach: login, callback, logout. A plain middleware (no
 * express.Router) so that it behaves the same under Express 4 and 5; mount it at the root.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ResolvedConfig } from '../config.ts';
import type { LoginFlow } from './login-flow.ts';
import { logFields } from './request-parts.ts';
import { pageForError } from './error-pages.ts';
import { SessionUnavailableError } from './session.ts';
import type { Views } from './views.ts';

/** Handlers that answer JSON themselves, every method included (they say 405 themselves), by path. */
export type JsonRoutes = Record<string, RequestHandler>;

export function createRouter(config: ResolvedConfig, flow: LoginFlow, views: Views, jsonRoutes: JsonRoutes = {}): RequestHandler {
  const routes: Record<string, { methods: string[]; handle: (req: Request, res: Response) => Promise<void> }> = {
    [config.routes.login]: { methods: ['GET', 'HEAD'], handle: (req, res) => flow.login(req, res) },
    // GET only: a HEAD (a link checker, a preview) must not consume the state and the code.
    [config.routes.callback]: { methods: ['GET'], handle: (req, res) => flow.callback(req, res) },
    // No HEAD: a link checker or a prefetch must not end a session.
    [config.routes.logout]: { methods: ['GET', 'POST'], handle: (req, res) => flow.logout(req, res) },
  };
  // Built once: on every request the router reads the path once and does one lookup.
  const byPath = new Map<string, RequestHandler | (typeof routes)[string]>([...Object.entries(routes), ...Object.entries(jsonRoutes)]);
  return function wecomAuthRouter(req: Request, res: Response, next: NextFunction): void {
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
    route.handle(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        next(err);
        return;
      }
      // Our own routes never hand a stack trace to the app's error handler: they show a page.
      if (!(err instanceof SessionUnavailableError)) config.logger?.error?.('wecom auth route failed', logFields(err));
      const choice = pageForError(err, { host: new URL(config.origin).host, agentId: config.agentId, retryHref: flow.loginUrl() });
      views.show(req, res, choice.page, choice.input);
    });
  };
}
