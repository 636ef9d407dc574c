/**
 * A test app with the middleware mounted the documented way, a local WeCom (the emulator) on a
 * free port, and helpers to walk the login the way the WeCom client does: follow the app's
 * redirect to the emulator, let the emulator redirect back with a code, hand that to the app.
 */
import diagnostics_channel from 'node:diagnostics_channel';
import { createRequire } from 'node:module';
import { channels } from '../../src/diagnostics.ts';
import session from 'express-session';
import type { Store } from 'express-session';
import type { Express, Request, Response, NextFunction } from 'express';
import supertest from 'supertest';
import { startEmulator } from '../../src/emulator/index.ts';
import type { Emulator } from '../../src/emulator/index.ts';
import { wecomAuth } from '../../src/wecom-auth.ts';
import type { WeComAuth } from '../../src/wecom-auth.ts';
import type { WeComAuthOptions } from '../../src/config.ts';

const require = createRequire(import.meta.url);

export const BASE_URL = 'http://localhost:3000';
export const SESSION_SECRET = 'test-session-secret';
export const WECOM_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 wxwork/4.1.22 MicroMessenger/7.0.1 Language/zh ColorScheme/Light';
export const WECHAT_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.40 NetType/WIFI Language/zh_CN';
export const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

export type ExpressVariant = 'express5' | 'express4';

export interface FlowSetup {
  emulator: Emulator;
  app: Express;
  wecom: WeComAuth;
  logs: string[];
  agent(): supertest.Agent;
  close(): Promise<void>;
}

export interface FlowOptions {
  variant?: ExpressVariant;
  wecom?: Partial<WeComAuthOptions>;
  store?: Store;
  emulator?: Emulator;
  trustProxy?: number;
  /** Mount more routes on the test app (before its error handlers). */
  mount?: (app: Express, wecom: WeComAuth) => void;
}

/** Loads Express 5 (the default) or Express 4 (installed as the `express4` alias). */
function loadExpress(variant: ExpressVariant): () => Express {
  return require(variant === 'express4' ? 'express4' : 'express') as () => Express;
}

export async function setupFlow(options: FlowOptions = {}): Promise<FlowSetup> {
  const emulator = options.emulator ?? (await startEmulator({ port: 0 }));
  const logs: string[] = [];
  const log = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
    logs.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`);
  };
  const wecom = wecomAuth({
    corpId: 'wwdemocorp0000001',
    agentId: 1000002,
    secret: 'demo-secret',
    baseUrl: BASE_URL,
    apiBaseUrl: emulator.url,
    oauthBaseUrl: emulator.url,
    loginBaseUrl: emulator.url,
    logger: { debug: log('debug'), warn: log('warn'), error: log('error') },
    ...options.wecom,
  });
  const app = loadExpress(options.variant ?? 'express5')();
  if (options.trustProxy) app.set('trust proxy', options.trustProxy);
  if (wecom.config.miniProgram) app.use(wecom.bearerSession());
  app.use(
    session({
      name: 'wecom.sid',
      secret: SESSION_SECRET,
      resave: false,
      saveUninitialized: false,
      ...(options.store ? { store: options.store } : {}),
      cookie: { httpOnly: true, sameSite: 'lax', secure: wecom.config.secureCookies, maxAge: 3_600_000 },
    }),
  );
  app.use(wecom.router);
  app.get('/orders/:id', wecom.requireUser(), (req: Request, res: Response) => {
    res.json({ userId: req.wecomUser?.userId, url: req.originalUrl, user: req.wecomUser });
  });
  app.get('/api/data', wecom.requireUser(), (req: Request, res: Response) => {
    res.json({ userId: req.wecomUser?.userId });
  });
  app.post('/api/data', wecom.requireUser(), (req: Request, res: Response) => {
    res.json({ userId: req.wecomUser?.userId });
  });
  app.get('/', wecom.requireUser(), (req: Request, res: Response) => {
    res.json({ userId: req.wecomUser?.userId, url: req.originalUrl });
  });
  options.mount?.(app, wecom);
  app.use(wecom.errorHandler());
  // The app's own last-resort handler: a test fails if anything reaches it with a stack trace.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    logs.push(`app-error ${err instanceof Error ? err.name : String(err)}`);
    res.status(500).json({ error: 'app_error' });
  });

  return {
    emulator,
    app,
    wecom,
    logs,
    // The WeCom client by default; tests of other browsers set their own User-Agent.
    agent: () => supertest.agent(app).set('User-Agent', WECOM_UA),
    close: async () => {
      wecom.close();
      assertNoSecretInEvents(emulator);
      if (!options.emulator) await emulator.close();
    },
  };
}

/**
 * Every diagnostics event published while this test file runs, checked when each flow closes: no
 * payload may hold the app secret or any token, code, ticket or session key the emulator handed
 * out (they are read from its call log). Covers every flow test of the suite.
 */
export const publishedEvents: Array<{ channel: string; payload: unknown }> = [];
for (const name of Object.values(channels)) {
  diagnostics_channel.subscribe(name, (payload) => publishedEvents.push({ channel: name, payload }));
}

function assertNoSecretInEvents(emulator: Emulator): void {
  // The apps' secrets from the fixture: the emulator's log keeps corpsecret redacted.
  const secrets = new Set<string>(['demo-secret']);
  for (const corp of emulator.fixture.corps) for (const app of corp.apps) if (app.secret.length >= 8) secrets.add(app.secret);
  for (const call of emulator.calls) {
    for (const name of ['access_token', 'code', 'js_code']) {
      const value = call.query[name];
      if (typeof value === 'string' && value.length >= 8) secrets.add(value);
    }
  }
  const text = JSON.stringify(publishedEvents.map((e) => e.payload));
  for (const secret of secrets) {
    if (text.includes(secret)) throw new Error(`a diagnostics event holds a secret (${secret.slice(0, 4)}…)`);
  }
}

/** What the WeCom client does with an authorize URL: ask WeCom, which redirects back with a code. */
export async function visitWeCom(
  authorizeUrl: string,
  opts: { ua?: string; user?: string; headers?: Record<string, string> } = {},
): Promise<Response2> {
  const res = await fetch(authorizeUrl, {
    redirect: 'manual',
    headers: { 'user-agent': opts.ua ?? WECOM_UA, ...(opts.user ? { 'x-wecom-emulator-user': opts.user } : {}), ...opts.headers },
  });
  const body = await res.text();
  return { status: res.status, location: res.headers.get('location') ?? webLoginNavigation(res.status, body), body };
}

/**
 * Where WeCom's web (QR) login page sends the browser after the scan: a navigation of the page
 * (the emulator's refresh), not a redirect; read from its link, as a browser would follow it.
 */
export function webLoginNavigation(status: number, body: string): string | undefined {
  if (status !== 200) return undefined;
  return /<a class="choice" href="([^"]+)" data-callback>/.exec(body)?.[1]?.replaceAll('&#38;', '&');
}

export interface Response2 {
  status: number;
  location: string | undefined;
  body: string;
}

/** The callback URL WeCom redirected to, as a path for supertest (it must be on BASE_URL). */
export function appPath(location: string | undefined): string {
  if (!location) throw new Error('expected a redirect');
  const url = new URL(location, BASE_URL);
  if (url.origin !== BASE_URL) throw new Error(`redirect left the app: ${location}`);
  return url.pathname + url.search;
}

/** What can send a GET: a supertest agent (a browser with its cookie jar) or `supertest(app)`. */
export interface Getter {
  get(url: string): supertest.Test;
}

/**
 * The login-route link of the start page a page navigation gets when nobody is logged in
 * (src/express/start-page.ts), or undefined when the answer is something else.
 */
export function startPageLink(res: supertest.Response): string | undefined {
  if (res.status !== 200) return undefined;
  const found = /<a id="wecom-login" href="([^"]+)"/.exec(res.text ?? '');
  return found?.[1]?.replaceAll('&#38;', '&');
}

/**
 * Open a page as a browser does: when the answer is the start page, do what its script does
 * (append the page's fragment, if any, and go on to the login route) and return that answer,
 * the redirect to WeCom. Any other answer (the page itself, an error, a 401) is returned as is.
 */
export async function openPage(
  client: Getter,
  path: string,
  opts: { fragment?: string; headers?: Record<string, string> } = {},
): Promise<supertest.Response> {
  const headers = { Accept: HTML, ...opts.headers };
  const page = await client.get(path).set(headers);
  const link = startPageLink(page);
  if (link === undefined) return page;
  const fragment = opts.fragment ? `&fragment=${encodeURIComponent(opts.fragment)}` : '';
  return client.get(link + fragment).set(headers);
}

/**
 * Where an answer sends the browser next: a redirect's Location, or the target of the page that
 * refreshes to it (after the in-app OAuth, so that WeCom's `#wechat_redirect` is not carried on).
 */
export function landedOn(res: supertest.Response): string | undefined {
  if (res.status >= 300 && res.status < 400) return res.headers.location as string | undefined;
  const refresh = res.headers.refresh as string | undefined;
  return refresh === undefined ? undefined : /^0;url=(.*)$/.exec(refresh)?.[1];
}

/** Walk a whole login from a protected page: returns the final response of the callback. */
export async function login(agent: Getter, path = '/orders/1', opts: { user?: string; ua?: string } = {}): Promise<supertest.Response> {
  // A fragment is the browser's: the request goes without it, and the start page's script adds it.
  const hash = path.indexOf('#');
  const start = hash === -1 ? await openPage(agent, path) : await openPage(agent, path.slice(0, hash), { fragment: path.slice(hash + 1) });
  if (start.status !== 302) throw new Error(`expected a redirect to WeCom, got ${start.status}`);
  const wecomAnswer = await visitWeCom(start.headers.location as string, opts);
  return agent.get(appPath(wecomAnswer.location)).set('Accept', HTML);
}

/** The session cookie value in a response's Set-Cookie, if any. */
export function sessionCookie(res: supertest.Response): string | undefined {
  const raw = res.headers['set-cookie'] as unknown;
  const list = Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : [];
  return list.find((c) => c.startsWith('wecom.sid='));
}

/** The login-transaction cookie a response sets (`[__Host-]wecom_tx_<state>`): name, value and attributes. */
export function txCookie(res: supertest.Response): { name: string; value: string; attributes: string[] } | undefined {
  const raw = res.headers['set-cookie'] as unknown;
  const list = Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : [];
  const line = list.find((c) => /^(__Host-)?wecom_tx_/.test(c));
  if (!line) return undefined;
  const [pair = '', ...attributes] = line.split(';').map((p) => p.trim());
  const eq = pair.indexOf('=');
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes };
}
