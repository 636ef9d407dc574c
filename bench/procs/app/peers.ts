/**
 * The peers, each as its README says to mount it: passport + passport-wechat-enterprise, and
 * @logto/connector-wecom's getAuthorizationUri / getUserInfo in the floor's hand-written routes.
 * Both reach WeCom at its real host names (https://qyapi.weixin.qq.com), which the preload points
 * at the emulator.
 */
import { createRequire } from 'node:module';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AGENT_ID, CORP_ID, SECRET, page } from './common.ts';
import type { BenchUser, Mount } from './common.ts';
import { handRolled } from './hand-rolled.ts';

const require = createRequire(import.meta.url);

interface PassportLike {
  use(strategy: unknown): void;
  initialize(): RequestHandler;
  session(): RequestHandler;
  authenticate(name: string, options?: Record<string, unknown>): RequestHandler;
  serializeUser(fn: (user: unknown, done: (err: unknown, id?: unknown) => void) => void): void;
  deserializeUser(fn: (id: unknown, done: (err: unknown, user?: unknown) => void) => void): void;
}
type Done = (err: unknown, value?: unknown) => void;

export function mountPassport({ app, callbackUrl }: Mount): void {
  const passport = require('passport') as PassportLike;
  const Strategy = require('passport-wechat-enterprise') as new (
    options: Record<string, unknown>,
    verify: (profile: Record<string, unknown>, done: Done) => void,
    getAccessToken: (cb: Done) => void,
    saveAccessToken: (token: unknown, cb?: Done) => void,
  ) => unknown;
  // The token cache the package's README asks the app to provide: here, one variable.
  let cached: unknown;
  passport.use(
    new Strategy(
      { corpId: CORP_ID, corpSecret: SECRET, callbackURL: callbackUrl, scope: 'snsapi_base', state: 'state' },
      (profile, done) => done(null, { userId: profile['UserId'], deviceId: profile['DeviceId'], loginAt: Date.now() }),
      (cb) => cb(null, cached),
      (tokenValue, cb) => {
        cached = tokenValue;
        cb?.(null);
      },
    ),
  );
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user, done) => done(null, user));
  app.use(passport.initialize());
  app.use(passport.session());
  app.get('/page', (req: Request, res: Response, next: NextFunction) => {
    const user = (req as Request & { user?: BenchUser }).user;
    if (user) return page(user.userId)(req, res);
    req.session.returnTo = req.originalUrl;
    passport.authenticate('wechat-enterprise')(req, res, next);
  });
  app.get(
    '/auth/callback',
    passport.authenticate('wechat-enterprise', { failureRedirect: '/failed', successReturnToOrRedirect: '/page', keepSessionInfo: true }),
  );
}

interface Connector {
  getAuthorizationUri(
    payload: {
      state: string;
      redirectUri: string;
      connectorId: string;
      connectorFactoryId: string;
      jti: string;
      headers: { userAgent?: string };
    },
    setSession: (s: unknown) => Promise<void>,
  ): Promise<string>;
  getUserInfo(data: unknown, getSession: () => Promise<unknown>): Promise<{ id: string }>;
}

export async function mountLogto(mount: Mount): Promise<void> {
  const name = '@logto/connector-wecom';
  const mod = (await import(name)) as { default: (opts: { getConfig: (id: string) => Promise<unknown> }) => Promise<Connector> };
  const connector = await mod.default({ getConfig: async () => ({ corpId: CORP_ID, appSecret: SECRET, agentId: String(AGENT_ID) }) });
  handRolled(
    mount,
    (req, state) =>
      connector.getAuthorizationUri(
        {
          state,
          redirectUri: mount.callbackUrl,
          connectorId: 'wecom',
          connectorFactoryId: 'wecom-universal',
          jti: state,
          headers: { userAgent: req.headers['user-agent'] },
        },
        async () => undefined,
      ),
    async (code) => {
      const info = await connector.getUserInfo({ code }, async () => ({}));
      return { userId: info.id, loginAt: Date.now() };
    },
  );
}
