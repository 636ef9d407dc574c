/**
 * `wecomAuth(options)`: everything an Express app adds to log WeCom employees in.
 *
 * ```ts
 * app.use(session({ ... }));
 * const wecom = wecomAuth({ corpId, agentId, secret, baseUrl: 'https://app.example.com' });
 * app.use(wecom.router);
 * app.get('/orders/:id', wecom.requireUser(), (req, res) => res.send(req.wecomUser!.userId));
 * app.use(wecom.errorHandler());
 * ```
 */
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { resolveConfig } from './config.ts';
import type { ResolvedConfig, WeComAuthOptions } from './config.ts';
import { MemoryTokenCache, WeComClient } from './wecom/index.ts';
import { LoginClaims } from './express/login-claims.ts';
import { TransactionCookies } from './express/transactions.ts';
import { CookieChecks } from './express/cookie-checks.ts';
import { buildEntryLinks } from './express/entry-links.ts';
import type { EntryLinks } from './express/entry-links.ts';
import { createErrorHandler } from './express/error-handler.ts';
import { createGuard } from './express/guard.ts';
import type { GuardOptions } from './express/guard.ts';
import { LoginFlow } from './express/login-flow.ts';
import { createRouter } from './express/router.ts';
import type { JsonRoutes } from './express/router.ts';
import { createMiniProgramLogin } from './express/miniprogram.ts';
import { bearerSession } from './express/bearer-session.ts';
import { createJsapiConfigHandler } from './express/jssdk.ts';
import type { RequestSession, WeComUser } from './express/session.ts';
import { Views } from './express/views.ts';
import { setUpHearing } from './express/callback-setup.ts';
import type { CallbackReceiver } from './express/callback-receiver.ts';

export interface WeComAuth {
  /** GET/HEAD login, GET callback, POST logout (GET shows its button), plus the mini-program and JS-SDK routes when on. Mount at the root: `app.use(wecom.router)`. */
  readonly router: RequestHandler;
  /** Guard: sets `req.wecomUser` or starts a login (pages) / answers 401 JSON (API calls). */
  requireUser(options?: GuardOptions): RequestHandler;
  /** Turns session-store outages (503) and WeCom errors into pages or JSON. Mount after your routes. */
  errorHandler(): ErrorRequestHandler;
  /**
   * For mini programs (no cookies): turns `Authorization: Bearer <token>` from the mini-program
   * login into the session cookie. Mount it BEFORE express-session.
   */
  bearerSession(): RequestHandler;
  /**
   * The logged-in person of this request, on any route (no login is started): the same answer as
   * `requireUser()` would give, or `undefined`.
   */
  currentUser(req: Request): WeComUser | undefined;
  /** The URL of the login route, optionally with a return path. */
  loginUrl(returnTo?: string): string;
  /** The links to paste into the admin console for a page of this app. */
  entryLinks(path: string): EntryLinks;
  /** The WeCom API client this middleware uses (tokens, profile, JS-SDK tickets). */
  readonly client: WeComClient;
  readonly config: ResolvedConfig;
  readonly views: Views;
  /**
   * The handler to mount where the console's 「接收消息」 URL points (`callbacks` option):
   * `app.use('/wecom/events', wecom.callbackReceiver())`, then `.on('change_contact.delete_user', …)`.
   * Offboarding's own handlers are on it already (docs/callbacks.md).
   */
  callbackReceiver(): CallbackReceiver;
  /** End every session of a member of this corporation, on every instance (the session index); resolves to how many. */
  endSessionsOf(userId: string): Promise<number>;
  /** Releases the client's keep-alive sockets. */
  close(): void;
}

/** How long a duplicate callback waits for the first delivery's outcome before moving on. */
const DUPLICATE_WAIT_MS = 5_000;

export function wecomAuth(options: WeComAuthOptions): WeComAuth {
  const config = resolveConfig(options);
  // One cache for the client's credentials and the login's claims: Redis for a fleet.
  const tokenCache = config.tokenCache ?? new MemoryTokenCache();
  const client = new WeComClient({
    corpId: config.corpId,
    agentId: config.agentId,
    secret: config.secret,
    ...(config.apiBaseUrl ? { apiBaseUrl: config.apiBaseUrl } : {}),
    ...(config.oauthBaseUrl ? { oauthBaseUrl: config.oauthBaseUrl } : {}),
    ...(config.loginBaseUrl ? { loginBaseUrl: config.loginBaseUrl } : {}),
    ...(config.timeouts ? { timeouts: config.timeouts } : {}),
    tokenCache,
    ...(config.logger ? { logger: config.logger } : {}),
  });
  const views = new Views({
    ...(config.viewsDir ? { viewsDir: config.viewsDir } : {}),
    ...(config.renderPage ? { renderPage: config.renderPage } : {}),
    ...(config.logger ? { logger: config.logger } : {}),
  });
  const hearing = setUpHearing(config, client, tokenCache);
  const flow = new LoginFlow(config, client, views, {
    offboarding: hearing.offboarding,
    transactions: new TransactionCookies({
      secrets: config.transactionSecrets,
      secure: config.secureCookies,
      appKey: config.appKey,
      ttlMs: config.transactionTtlMs,
      max: config.maxTransactions,
    }),
    claims: new LoginClaims(tokenCache, { waitMs: DUPLICATE_WAIT_MS }),
  });
  let errorHandlerMounted = false;
  const cookieChecks = new CookieChecks({ secureOrigin: config.secureCookies, logger: config.logger });
  const jsonRoutes: JsonRoutes = {};
  if (config.miniProgram) {
    jsonRoutes[config.miniProgram.path] = createMiniProgramLogin({
      client,
      allowedCorpIds: config.miniProgram.allowedCorpIds,
      checkVisibility: config.miniProgram.checkVisibility,
      visibilityCacheMs: config.visibilityCacheMs,
      keepSessionKey: config.miniProgram.keepSessionKey,
      offboarding: hearing.offboarding,
      ...(config.miniProgram.maxAgeMs === undefined ? {} : { maxAgeMs: config.miniProgram.maxAgeMs }),
      sessionSecret: config.miniProgram.sessionSecret,
      ...(config.appKey ? { appKey: config.appKey } : {}),
      ...(config.hooks.onLogin ? { onLogin: config.hooks.onLogin } : {}),
      ...(config.logger ? { logger: config.logger } : {}),
    });
  }
  if (config.jssdk) {
    jsonRoutes[config.jssdk.path] = createJsapiConfigHandler({
      client,
      baseUrl: config.origin,
      requireUser: config.jssdk.requireUser,
      // The same notion of "logged in" as the guard (appKey, maxLoginAgeMs).
      currentUser,
      ...(config.logger ? { logger: config.logger } : {}),
    });
  }
  function currentUser(req: Request): WeComUser | undefined {
    const session = (req as { session?: RequestSession }).session;
    return session ? flow.currentUser(session) : undefined;
  }
  const router = createRouter(config, flow, views, jsonRoutes, { errorHandlerMounted: () => errorHandlerMounted, cookieChecks });

  return {
    router,
    requireUser: (guardOptions) => createGuard(flow, config.origin, config.defaultReturnTo, guardOptions),
    errorHandler: () => {
      errorHandlerMounted = true;
      return createErrorHandler(views, flow.failureContext());
    },
    bearerSession: () => bearerSession(config.miniProgram ? { cookieName: config.miniProgram.cookieName } : {}),
    currentUser,
    loginUrl: (returnTo) => flow.loginUrl(returnTo),
    entryLinks: (path) =>
      buildEntryLinks({
        corpId: config.corpId,
        agentId: config.agentId,
        baseUrl: config.origin,
        path,
        callbackPath: config.routes.callback,
        scope: config.scope,
        ...(config.oauthBaseUrl ? { oauthBaseUrl: config.oauthBaseUrl } : {}),
      }),
    client,
    config,
    views,
    callbackReceiver: () => hearing.receiver(),
    endSessionsOf: (userId) => hearing.offboarding.endSessionsOf({ corpId: config.corpId, userId }),
    close: () => client.close(),
  };
}
