/**
 * The demo app: what a team's own Express app looks like with express-wecom-auth.
 * `createDemoApp()` is also what the tests drive; main.ts reads the environment and calls it.
 */
import express from 'express';
import type { Store } from 'express-session';
import helmet from 'helmet';
import { wecomAuth } from '../index.ts';
import type { WeComAuth, WeComAuthOptions } from '../index.ts';
import type { WeComAuthMetrics } from '../metrics.ts';
import { demoSession, sessionCookieName } from './session.ts';
import { metricsAccess } from './metrics-access.ts';
import { isLoopbackUrl } from './settings.ts';
import { mountHome } from './home.ts';
import { mountLocalTimeScript } from './local-time.ts';
import { mountJssdkPage } from './jssdk-page.ts';
import { createLoginHistory, mountStatus } from './status.ts';
import type { LoginHistory } from './status.ts';
import { createCsrf } from './csrf.ts';
import type { Csrf } from './csrf.ts';
import { mountSendCardDemo } from './send-card.ts';

export interface DemoAppOptions {
  wecom: WeComAuthOptions;
  sessionSecret: string;
  /** An express-session store; default the memory store (one process only). */
  store?: Store;
  /** Express's `trust proxy` setting, as a hop count, when behind a reverse proxy. */
  trustProxy?: number;
  /** Opens /metrics to `Authorization: Bearer <token>`; without it only a local run's loopback clients read it. */
  metricsToken?: string;
}

export interface DemoApp {
  app: express.Express;
  wecom: WeComAuth;
  metrics: WeComAuthMetrics;
}

export function createDemoApp(options: DemoAppOptions): DemoApp {
  const app = express();
  app.disable('x-powered-by');
  if (options.trustProxy) app.set('trust proxy', options.trustProxy);
  const cookieName = sessionCookieName(String(options.wecom.baseUrl));
  // The mini-program login hands out the session cookie's value as a token: it must name the same cookie.
  const miniProgram = options.wecom.miniProgram ? { miniProgram: { ...options.wecom.miniProgram, cookieName } } : {};
  const wecom = wecomAuth({ ...options.wecom, ...miniProgram });
  // helmet's defaults, except that a plain-http demo must not ask browsers to upgrade to https.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: wecom.config.secureCookies ? [] : null } } }));
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  mountLocalTimeScript(app);
  const history = createLoginHistory();
  // Before the session and the bearer-token middleware: Prometheus's bearer token is not a session.
  const loopback = !options.trustProxy && isLoopbackUrl(wecom.config.origin);
  app.get('/metrics', metricsAccess({ token: options.metricsToken, loopback }), history.metrics.handler);

  // Mini programs keep no cookies: their session token comes as `Authorization: Bearer …`.
  if (wecom.config.miniProgram) app.use(wecom.bearerSession());
  app.use(
    demoSession({
      name: cookieName,
      secret: options.sessionSecret,
      secure: wecom.config.secureCookies,
      ...(options.store ? { store: options.store } : {}),
    }),
  );
  app.use(wecom.router);
  mountPages(app, wecom, history, createCsrf(options.sessionSecret));
  app.use(wecom.errorHandler());
  // The app's own last resort: a page, never a stack trace.
  app.use((err: unknown, req: express.Request, res: express.Response, _next: express.NextFunction) => {
    console.error('demo: unexpected error', err instanceof Error ? err.name : typeof err);
    if (res.headersSent) return;
    wecom.views.show(req, res, 'server-error', { action: { href: '/', labelKey: 'home' } });
  });
  return { app, wecom, metrics: history.metrics };
}

function mountPages(app: express.Express, wecom: WeComAuth, history: LoginHistory, csrf: Csrf): void {
  mountHome(app, wecom, csrf);
  mountJssdkPage(app, wecom);
  // A chart of the last hour's logins, drawn from the same metrics (behind the guard).
  mountStatus(app, wecom, history);
  app.get('/me', wecom.requireUser(), (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ user: req.wecomUser });
  });
  mountSendCardDemo(app, wecom, csrf);
}
