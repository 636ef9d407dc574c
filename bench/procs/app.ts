/**
 * One server under test, in its own process (forked by the orchestrator, with the DNS preload).
 * BENCH_APP (JSON) picks the contender:
 *   lib           express-wecom-auth with its defaults, mounted as the README says (session,
 *                 router, requireUser, errorHandler)
 *   session-only  the guard baseline: express-session alone and a hand-written "logged in?" check
 *   floor         the least a correct login does, by hand: state in the session, one cached token,
 *                 one code exchange, regenerate, save
 *   passport      passport + passport-wechat-enterprise + express-session
 *   logto         @logto/connector-wecom's getAuthorizationUri / getUserInfo in a thin route
 * Every contender has the same express-session settings, the same store, and the same guarded
 * route GET /page answering the same JSON. WeCom is reached at its real host names
 * (https://qyapi.weixin.qq.com), which the preload points at the emulator.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:http';
import https from 'node:https';
import { Session } from 'node:inspector/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import express from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import session from 'express-session';
import type { Store } from 'express-session';
import { createClient } from 'redis';
import { wecomAuth as ownWecomAuth } from '../../src/wecom-auth.ts';
import type { createMetrics as ownCreateMetrics } from '../../src/metrics.ts';
import { createRedisSessionStore, recommendedRedisClientOptions, RedisTokenCache } from '../../src/redis/index.ts';

const require = createRequire(import.meta.url);

export type Kind = 'lib' | 'session-only' | 'floor' | 'passport' | 'logto';
export interface AppConfig {
  kind: Kind;
  store: 'memory' | 'redis';
  redisUrl?: string;
  /** Redis key prefix (sessions and tokens), so runs never share state by accident. */
  prefix?: string;
  /** The public origin (several processes behind one "load balancer" share it). Default: this process's own. */
  baseUrl?: string;
  /**
   * kind 'lib': the library's options beyond the required ones. Unset, the library runs with its
   * defaults: the visible-range check on, its verdicts remembered for 5 minutes
   * (`visibilityCacheMs`), so that a returning employee's login is one WeCom call.
   */
  checkVisibility?: boolean;
  visibilityCacheMs?: number;
  /** kind 'lib': the library from another source tree (a before/after comparison); default this checkout's src/. */
  libSrc?: string;
  /** kind 'lib': subscribe the Prometheus metrics (express-wecom-auth/metrics) to the library's events. */
  metrics?: boolean;
}

const CORP_ID = 'wwdemocorp0000001';
const AGENT_ID = 1000002;
const SECRET = 'demo-secret';
const AUTHORIZE = 'https://open.weixin.qq.com/connect/oauth2/authorize';
const API = 'https://qyapi.weixin.qq.com';

const config = JSON.parse(process.env['BENCH_APP'] ?? '{}') as AppConfig;

interface BenchUser {
  userId: string;
  deviceId?: string;
  loginAt: number;
}
declare module 'express-session' {
  interface SessionData {
    user?: BenchUser;
    login?: { state: string; returnTo: string };
    returnTo?: string;
  }
}

const server = createServer();
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as AddressInfo).port;
const baseUrl = config.baseUrl ?? `http://127.0.0.1:${port}`;
const callbackUrl = `${baseUrl}/auth/callback`;

let store: Store | undefined;
let redis: ReturnType<typeof createClient> | undefined;
if (config.store === 'redis') {
  redis = createClient({ url: config.redisUrl, ...recommendedRedisClientOptions() });
  await redis.connect();
  store = createRedisSessionStore({ client: redis, prefix: `${config.prefix ?? 'bench:'}sess:`, logger: null });
}

const app = express();
app.disable('x-powered-by');
app.disable('etag');

// Bench-only: memory after a full GC (the process runs with --expose-gc).
app.get('/__bench/mem', (_req, res) => {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const m = process.memoryUsage();
  res.json({ rss: m.rss, heapUsed: m.heapUsed, external: m.external });
});

app.use(
  session({
    name: 'sid',
    secret: 'bench-session-secret',
    resave: false,
    saveUninitialized: false,
    ...(store ? { store } : {}),
    cookie: { httpOnly: true, sameSite: 'lax', secure: false, maxAge: 8 * 3600_000 },
  }),
);

const page =
  (userId: string | undefined) =>
  (_req: Request, res: Response): void => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ page: 'orders', userId });
  };

function save(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((err: unknown) => (err ? reject(err) : resolve())));
}
function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((err: unknown) => (err ? reject(err) : resolve())));
}
function isPage(req: Request): boolean {
  return req.method === 'GET' && /text\/html/.test(String(req.headers.accept ?? ''));
}
const wrap =
  (fn: (req: Request, res: Response) => Promise<void>): RequestHandler =>
  (req, res, next) => {
    fn(req, res).catch(next);
  };

/** GET https://qyapi.weixin.qq.com/... through a keep-alive agent, JSON out. */
const agent = new https.Agent({ keepAlive: true, maxSockets: 64 });
function getJson(path: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    https
      .get(`${API}${path}`, { agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          try {
            resolve(JSON.parse(body) as Record<string, unknown>);
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** The hand-written guard + login of the floor and of the logto wrapper: state in the session. */
function handRolled(authorizeUrl: (req: Request, state: string) => Promise<string>, exchange: (code: string) => Promise<BenchUser>): void {
  app.get(
    '/page',
    wrap(async (req, res) => {
      const user = req.session.user;
      if (user) return page(user.userId)(req, res);
      if (!isPage(req)) {
        res.status(401).json({ error: 'unauthenticated' });
        return;
      }
      const state = randomBytes(16).toString('hex');
      req.session.login = { state, returnTo: req.originalUrl };
      await save(req);
      res.redirect(302, await authorizeUrl(req, state));
    }),
  );
  app.get(
    '/auth/callback',
    wrap(async (req, res) => {
      const { code, state } = req.query;
      const login = req.session.login;
      delete req.session.login;
      if (!login || typeof state !== 'string' || state !== login.state || typeof code !== 'string') {
        res.status(400).send('bad login');
        return;
      }
      const user = await exchange(code);
      await regenerate(req);
      req.session.user = user;
      await save(req);
      res.redirect(302, login.returnTo);
    }),
  );
}

switch (config.kind) {
  case 'lib': {
    const wecomAuth = config.libSrc
      ? ((await import(pathToFileURL(`${config.libSrc}/wecom-auth.ts`).href)) as { wecomAuth: typeof ownWecomAuth }).wecomAuth
      : ownWecomAuth;
    const wecom = wecomAuth({
      corpId: CORP_ID,
      agentId: AGENT_ID,
      secret: SECRET,
      baseUrl,
      routes: { callback: '/auth/callback' },
      ...(config.checkVisibility === undefined ? {} : { checkVisibility: config.checkVisibility }),
      ...(config.visibilityCacheMs === undefined ? {} : { visibilityCacheMs: config.visibilityCacheMs }),
      // A failed login shows on the bench's stderr (the driver only sees its page).
      logger: {
        warn: (msg: string, fields?: Record<string, unknown>) => console.error(`[lib] ${msg}`, JSON.stringify(fields ?? {})),
        error: (msg: string, fields?: Record<string, unknown>) => console.error(`[lib] ${msg}`, JSON.stringify(fields ?? {})),
      },
      ...(redis ? { tokenCache: new RedisTokenCache(redis, { prefix: config.prefix ?? 'bench:' }) } : {}),
    });
    if (config.metrics) {
      const { createMetrics } = (await import(
        pathToFileURL(`${config.libSrc ?? join(import.meta.dirname, '../../src')}/metrics.ts`).href
      )) as { createMetrics: typeof ownCreateMetrics };
      const { Registry } = await import('prom-client');
      const subscribe = () => createMetrics({ registry: new Registry() });
      let subscribed: ReturnType<typeof subscribe> | undefined = subscribe();
      // {type: 'metrics', on: boolean}: subscribe or unsubscribe, so that one process can be
      // measured both ways (bench/metrics-overhead.ts), free of the differences between processes.
      process.on('message', (raw: unknown) => {
        const msg = raw as { id: number; type: string; on?: boolean };
        if (msg.type !== 'metrics') return;
        if (msg.on && !subscribed) subscribed = subscribe();
        if (!msg.on && subscribed) {
          subscribed.close();
          subscribed = undefined;
        }
        process.send?.({ id: msg.id, body: { subscribed: subscribed !== undefined } });
      });
    }
    app.use(wecom.router);
    app.get('/page', wecom.requireUser(), (req, res) => page(req.wecomUser?.userId)(req, res));
    app.use(wecom.errorHandler());
    break;
  }
  case 'session-only': {
    app.get(
      '/__bench/seed',
      wrap(async (req, res) => {
        req.session.user = { userId: 'zhangsan', loginAt: Date.now() };
        await save(req);
        res.json({ ok: true });
      }),
    );
    app.get('/page', (req, res) => {
      const user = req.session.user;
      if (!user) {
        res.status(401).json({ error: 'unauthenticated' });
        return;
      }
      page(user.userId)(req, res);
    });
    break;
  }
  case 'floor': {
    let token: { value: string; expiresAt: number } | undefined;
    let inflight: Promise<string> | undefined;
    const accessToken = (): Promise<string> => {
      if (token && token.expiresAt > Date.now()) return Promise.resolve(token.value);
      inflight ??= getJson(`/cgi-bin/gettoken?corpid=${CORP_ID}&corpsecret=${SECRET}`)
        .then((body) => {
          if (typeof body['access_token'] !== 'string') throw new Error(`gettoken ${String(body['errcode'])}`);
          token = { value: body['access_token'], expiresAt: Date.now() + (Number(body['expires_in']) - 300) * 1000 };
          return token.value;
        })
        .finally(() => {
          inflight = undefined;
        });
      return inflight;
    };
    handRolled(
      async (_req, state) =>
        `${AUTHORIZE}?appid=${CORP_ID}&redirect_uri=${encodeURIComponent(callbackUrl)}&response_type=code&scope=snsapi_base&state=${state}&agentid=${AGENT_ID}#wechat_redirect`,
      async (code) => {
        const body = await getJson(`/cgi-bin/user/getuserinfo?access_token=${await accessToken()}&code=${encodeURIComponent(code)}`);
        if (typeof body['UserId'] !== 'string') throw new Error(`getuserinfo ${String(body['errcode'])}`);
        return {
          userId: body['UserId'],
          loginAt: Date.now(),
          ...(typeof body['DeviceId'] === 'string' ? { deviceId: body['DeviceId'] } : {}),
        };
      },
    );
    break;
  }
  case 'passport': {
    interface PassportLike {
      use(strategy: unknown): void;
      initialize(): RequestHandler;
      session(): RequestHandler;
      authenticate(name: string, options?: Record<string, unknown>): RequestHandler;
      serializeUser(fn: (user: unknown, done: (err: unknown, id?: unknown) => void) => void): void;
      deserializeUser(fn: (id: unknown, done: (err: unknown, user?: unknown) => void) => void): void;
    }
    type Done = (err: unknown, value?: unknown) => void;
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
    break;
  }
  case 'logto': {
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
    const name = '@logto/connector-wecom';
    const mod = (await import(name)) as { default: (opts: { getConfig: (id: string) => Promise<unknown> }) => Promise<Connector> };
    const connector = await mod.default({ getConfig: async () => ({ corpId: CORP_ID, appSecret: SECRET, agentId: String(AGENT_ID) }) });
    handRolled(
      (req, state) =>
        connector.getAuthorizationUri(
          {
            state,
            redirectUri: callbackUrl,
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
    break;
  }
  default:
    throw new Error(`unknown kind ${String(config.kind)}`);
}

// Last resort: count it, answer 500 (the driver reports non-2xx/3xx as errors).
app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
  console.error(`[${config.kind}] error:`, err instanceof Error ? err.message : String(err));
  if (!res.headersSent) res.status(500).json({ error: 'bench_app_error' });
});

server.on('request', app);
server.keepAliveTimeout = 30_000;
process.on('disconnect', () => {
  server.close();
  server.closeAllConnections();
  void redis?.close();
  setTimeout(() => process.exit(0), 200).unref();
});
// BENCH_CPU_PROF: the orchestrator profiles chosen samples only (not the start-up), through the
// inspector: {type: 'profile', action: 'start'} then {type: 'profile', action: 'stop', file}.
let profiler: Session | undefined;
process.on('message', (raw: unknown) => {
  const msg = raw as { id: number; type: string; action?: string; file?: string };
  if (msg.type !== 'profile') return;
  const done = (body: unknown): void => {
    process.send?.({ id: msg.id, body });
  };
  const fail = (err: unknown): void => {
    process.send?.({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
  };
  if (msg.action === 'start') {
    profiler ??= new Session();
    profiler.connect();
    profiler
      .post('Profiler.enable')
      .then(() => profiler?.post('Profiler.setSamplingInterval', { interval: 200 }))
      .then(() => profiler?.post('Profiler.start'))
      .then(() => done({ ok: true }), fail);
    return;
  }
  const session = profiler;
  if (!session || !msg.file) {
    fail(new Error('profile: start first, and give a file'));
    return;
  }
  const file = msg.file;
  session.post('Profiler.stop').then(({ profile }) => {
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
    done({ ok: true });
  }, fail);
});
process.send?.({ id: 0, body: { port, baseUrl } });
