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
import type { WeComAuthMetrics } from '../metrics.ts';
import { escapeHtml, preferredLang } from '../express/views.ts';
import { mountStatus } from './status.ts';
import { mountSendCardDemo } from './send-card.ts';

export interface DemoAppOptions {
  wecom: WeComAuthOptions;
  sessionSecret: string;
  /** An express-session store; default the memory store (one process only). */
  store?: Store;
  /** Express's `trust proxy` setting, as a hop count, when behind a reverse proxy. */
  trustProxy?: number;
}

export function createDemoApp(options: DemoAppOptions): { app: express.Express; wecom: WeComAuth; metrics: WeComAuthMetrics } {
  const app = express();
  app.disable('x-powered-by');
  if (options.trustProxy) app.set('trust proxy', options.trustProxy);
  const wecom = wecomAuth(options.wecom);
  // helmet's defaults, except that a plain-http demo must not ask browsers to upgrade to https.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: wecom.config.secureCookies ? [] : null } } }));

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });

  // Mini programs keep no cookies: their session token comes as `Authorization: Bearer …`.
  if (wecom.config.miniProgram) app.use(wecom.bearerSession());
  app.use(
    session({
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
    }),
  );
  app.use(wecom.router);

  app.get('/', wecom.requireUser(), (req, res) => {
    const user = req.wecomUser;
    const en = preferredLang(req) === 'en';
    const rows: Array<[string, string]> = [
      [en ? 'UserId' : '成员账号 UserId', user?.userId ?? user?.openId ?? ''],
      [en ? 'DeviceId' : '设备 DeviceId', user?.deviceId ?? '-'],
      [en ? 'Corporation' : '企业 CorpId', user?.corpId ?? ''],
      [en ? 'App' : '应用 AgentId', String(user?.agentId ?? '')],
      [en ? 'Signed in at' : '登录时间', user ? new Date(user.loginAt).toISOString() : ''],
    ];
    const profile = Object.entries(user?.profile ?? {});
    const displayName = typeof user?.profile?.name === 'string' ? user.profile.name : (user?.userId ?? user?.openId ?? '');
    const body =
      `<dl class="identity">${rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>` +
      (profile.length
        ? `<h2>${en ? 'Profile (user/get + getuserdetail)' : '成员资料（user/get + getuserdetail）'}</h2><dl class="profile">${profile
            .map(
              ([k, v]) =>
                `<dt>${escapeHtml(k)}</dt><dd data-field="${escapeHtml(k)}">${escapeHtml(typeof v === 'string' ? v : JSON.stringify(v))}</dd>`,
            )
            .join('')}</dl>`
        : '') +
      `<p><a href="/me">/me (JSON)</a> · <a href="/jssdk">${en ? 'JS-SDK signature' : 'JS-SDK 签名'}</a> · <a href="/status">${en ? 'Logins in the last hour' : '最近一小时的登录'}</a> · <a href="/send-card">${en ? 'Send me a message card' : '给我发一张消息卡片'}</a></p>`;
    const ctx = {
      page: 'signed-out' as const,
      status: 200,
      lang: en ? ('en' as const) : ('zh-CN' as const),
      heading: en ? `Hello, ${displayName}` : `你好，${displayName}`,
      message: en ? 'You are signed in with WeCom.' : '你已通过企业微信登录。',
      action: { href: wecom.config.routes.logout, label: en ? 'Sign out' : '退出登录' },
    };
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(wecom.views.renderHtml(ctx, body).replace('data-page="signed-out"', 'data-page="home"'));
  });

  // A page that signs its own URL for wx.config / ww.register and wx.agentConfig. The signature is
  // computed server-side from the cached tickets; a real page passes these values to the JS-SDK.
  app.get('/jssdk', wecom.requireUser(), async (req, res, next) => {
    try {
      const en = preferredLang(req) === 'en';
      const pageUrl = new URL(req.originalUrl, wecom.config.origin).href;
      const [corp, agent] = await Promise.all([wecom.client.createJsapiConfig(pageUrl), wecom.client.createAgentConfig(pageUrl)]);
      const body =
        `<p>URL: <code data-field="url">${escapeHtml(pageUrl)}</code></p>` +
        `<h2>wx.config / ww.register</h2><pre data-field="config">${escapeHtml(JSON.stringify({ beta: true, ...corp }, null, 2))}</pre>` +
        `<h2>wx.agentConfig</h2><pre data-field="agentConfig">${escapeHtml(JSON.stringify(agent, null, 2))}</pre>` +
        `<p><a href="/">${en ? 'Back' : '返回'}</a></p>`;
      const ctx = {
        page: 'signed-out' as const,
        status: 200,
        lang: en ? ('en' as const) : ('zh-CN' as const),
        heading: en ? 'JS-SDK signature for this page' : '本页面的 JS-SDK 签名',
        message: en
          ? 'Signed with the cached jsapi_ticket and agent_config ticket (SHA-1, docs/wecom-api.md §7).'
          : '使用缓存的 jsapi_ticket 与应用 ticket 计算（SHA-1）。',
      };
      res.setHeader('Cache-Control', 'no-store');
      res.type('html').send(wecom.views.renderHtml(ctx, body).replace('data-page="signed-out"', 'data-page="jssdk"'));
    } catch (err) {
      next(err);
    }
  });

  // Prometheus metrics at /metrics and a chart of the last hour's logins at /status (behind the guard).
  const metrics = mountStatus(app, wecom.requireUser(), wecom.views);

  app.get('/me', wecom.requireUser(), (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ user: req.wecomUser });
  });

  mountSendCardDemo(app, wecom);
  app.use(wecom.errorHandler());
  // The app's own last resort: a page, never a stack trace.
  app.use((err: unknown, req: express.Request, res: express.Response, _next: express.NextFunction) => {
    console.error('demo: unexpected error', err instanceof Error ? err.name : typeof err);
    if (res.headersSent) return;
    wecom.views.show(req, res, 'server-error', { action: { href: '/', labelKey: 'home' } });
  });
  return { app, wecom, metrics };
}
