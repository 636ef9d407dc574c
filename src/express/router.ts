/**
 * The routes WeCom and people reach: login, callback, logout. A plain middleware (no
 * express.Router) so that it behaves the same under Express 4 and 5; mount it at the root.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ResolvedConfig } from '../config.ts';
import type { LoginFlow } from './login-flow.ts';
import { describe } from './login-flow.ts';
import { pageForError } from './error-pages.ts';
import { SessionUnavailableError } from './session.ts';
import type { Views } from './views.ts';

export function createRouter(config: ResolvedConfig, flow: LoginFlow, views: Views): RequestHandler {
  const routes: Record<string, { methods: string[]; handle: (req: Request, res: Response) => Promise<void> }> = {
    [config.routes.login]: { methods: ['GET', 'HEAD'], handle: (req, res) => flow.login(req, res) },
    [config.routes.callback]: { methods: ['GET', 'HEAD'], handle: (req, res) => flow.callback(req, res) },
    [config.routes.logout]: { methods: ['GET', 'HEAD', 'POST'], handle: (req, res) => flow.logout(req, res) },
  };
  return function wecomAuthRouter(req: Request, res: Response, next: NextFunction): void {
    const route = Object.hasOwn(routes, req.path) ? routes[req.path] : undefined;
    if (!route || !route.methods.includes(req.method)) {
      next();
      return;
    }
    route.handle(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        next(err);
        return;
      }
      // Our own routes never hand a stack trace to the app's error handler: they show a page.
      if (!(err instanceof SessionUnavailableError)) config.logger?.error?.('wecom auth route failed', describe(err));
      const choice = pageForError(err, { host: new URL(config.origin).host, agentId: config.agentId, retryHref: flow.loginUrl() });
      views.show(req, res, choice.page, choice.input);
    });
  };
}
