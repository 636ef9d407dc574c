/**
 * The demo app: what a team's own Express app looks like with express-wecom-auth.
 * `createDemoApp()` is also what the browser test drives.
 */
import express from 'express';
import session from 'express-session';
import type { Store } from 'express-session';
import helmet from 'helmet';
import { wecomAuth } from '../wecom-auth.ts';
import type { WeComAuth } from '../wecom-auth.ts';
import type { WeComAuthOptions } from '../config.ts';
import { escapeHtml, preferredLang } from '../express/views.ts';

export interface DemoAppOptions {
  wecom: WeComAuthOptions;
  sessionSecret: string;
  /** An express-session store; default the memory store (one process only). */
  store?: Store;
  /** Express's `trust proxy` setting, as a hop count, when behind a reverse proxy. */
  trustProxy?: number;
}

export function createDemoApp(options: DemoAppOptions): { app: express.Express; wecom: WeComAuth } {
  const app = express();
  app.disable('x-powered-by');
  if (options.trustProxy) app.set('trust proxy', options.trustProxy);
  const wecom = wecomAuth(options.wecom);
  // helmet's defaults, except that a plain-http demo must not ask browsers to upgrade to https.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: wecom.config.secureCookies ? [] : null } } }));

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });

  app.use(session({
    name: 'wecom.sid',
    secret: options.sessionSecret,
    resave: false,
    saveUninitialized: false,
    ...(options.store ? { store: options.store } : {}),
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: wecom.config.secureCookies,
      maxAge: 8 * 60 * 60 * 1000,
    },
  }));
  app.use(wecom.router);

  app.get('/', wecom.requireUser(), (req, res) => {
    const user = req.wecomUser;
    const en = preferredLang(req.headers['accept-language']) === 'en';
    const rows: Array<[string, string]> = [
      [en ? 'UserId' : '成员账号 UserId', user?.userId ?? user?.openId ?? ''],
      [en ? 'DeviceId' : '设备 DeviceId', user?.deviceId ?? '-'],
      [en ? 'Corporation' : '企业 CorpId', user?.corpId ?? ''],
      [en ? 'App' : '应用 AgentId', String(user?.agentId ?? '')],
      [en ? 'Signed in at' : '登录时间', user ? new Date(user.loginAt).toISOString() : ''],
    ];
    const body = `<dl class="identity">${rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd data-field="${escapeHtml(k)}">${escapeHtml(v)}</dd>`).join('')}</dl>`
      + `<p><a href="/me">/me (JSON)</a></p>`;
    const ctx = {
      page: 'signed-out' as const,
      status: 200,
      lang: en ? 'en' as const : 'zh-CN' as const,
      heading: en ? `Hello, ${user?.userId ?? ''}` : `你好，${user?.userId ?? ''}`,
      message: en ? 'You are signed in with WeCom.' : '你已通过企业微信登录。',
      action: { href: wecom.config.routes.logout, label: en ? 'Sign out' : '退出登录' },
    };
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(wecom.views.renderHtml(ctx, body).replace('data-page="signed-out"', 'data-page="home"'));
  });

  app.get('/me', wecom.requireUser(), (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ user: req.wecomUser });
  });

  app.use(wecom.errorHandler());
  return { app, wecom };
}
