/**
 * A fleet of demo app processes (`node src/demo/main.ts`) behind one public origin, as behind a
 * load balancer, plus a cookie jar and a login walker built on plain fetch.
 *
 * Every child runs in its own process group (`detached: true`) and is tracked: `stop()` sends
 * SIGTERM to the group, then SIGKILL after 2 s, and the test process kills every group still
 * alive when it exits, so a failed or crashed test leaves no stray app behind. An app that exits
 * before its "demo on" line fails the start with its output; every request has a bound
 * (REQUEST_TIMEOUT_MS).
 */
import { freePort } from './redis-server.ts';
import { fileURLToPath } from 'node:url';
import { portTaken, startProcess, waitUntilReady } from './processes.ts';

export const PUBLIC_URL = 'http://localhost:3000';
export const WECOM_UA = 'wxwork/4.1 MicroMessenger/7.0 Mobile';
export const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
export const SESSION_SECRET = 'fleet-test-session-secret-0123456789abcdef';
/** One request to an app or the emulator: far above any answer under load, short of a hung test. */
export const REQUEST_TIMEOUT_MS = 60_000;

const MAIN = fileURLToPath(new URL('../../src/demo/main.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export { freePort };

export interface AppProcess {
  /** `http://127.0.0.1:PORT`: where the test sends requests for this instance. */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Everything the child wrote so far (stdout and stderr, interleaved). */
  output(): string;
  /** True while the child has not exited. */
  alive(): boolean;
  /** SIGTERM to the process group, SIGKILL after 2 s; resolves once the child has exited. Idempotent. */
  stop(): Promise<void>;
}

export interface AppEnv {
  emulatorUrl: string;
  redisUrl: string;
  /** The script to run instead of the demo (it must print a "demo on " line once it listens). */
  main?: string;
  sessionSecret?: string;
  extra?: Record<string, string>;
}

/** Spawns one demo app on a free port and resolves once it printed its "demo on" line. */
export async function spawnApp(env: AppEnv): Promise<AppProcess> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    try {
      return await spawnOn(port, env);
    } catch (err) {
      // The port found free may have been taken before the child bound it: try another one.
      if (attempt >= 2 || !(err instanceof Error) || !portTaken(err.message)) throw err;
    }
  }
}

async function spawnOn(port: number, env: AppEnv): Promise<AppProcess> {
  const app = startProcess(process.execPath, [env.main ?? MAIN], {
    cwd: ROOT,
    // Its own process group: stop() reaches whatever the app starts too.
    detached: true,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '',
      NODE_ENV: 'test',
      // The silent in-app login of the issue (no consent page, no profile calls).
      WECOM_SCOPE: 'snsapi_base',
      PORT: String(port),
      PUBLIC_URL,
      WECOM_EMULATOR: '0',
      WECOM_API_BASE_URL: env.emulatorUrl,
      WECOM_OAUTH_BASE_URL: env.emulatorUrl,
      WECOM_LOGIN_BASE_URL: env.emulatorUrl,
      REDIS_URL: env.redisUrl,
      SESSION_SECRET: env.sessionSecret ?? SESSION_SECRET,
      ...env.extra,
    },
  });
  await waitUntilReady(app, `demo app on port ${port} (its "demo on" line)`, () => /demo on /.test(app.output()), {
    timeoutMs: 30_000,
    everyMs: 20,
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: app.child.pid ?? 0,
    output: () => app.output(),
    alive: () => app.ended() === undefined,
    stop: () => app.stop(),
  };
}

/** Spawns `count` apps at once; if one fails, stops the others before rethrowing. */
export async function spawnFleet(count: number, env: AppEnv): Promise<AppProcess[]> {
  const results = await Promise.allSettled(Array.from({ length: count }, () => spawnApp(env)));
  const apps = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(apps.map((app) => app.stop()));
    throw failed.reason;
  }
  return apps;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** `items[i % items.length]`, typed without a non-null assertion. */
export function pick<T>(items: readonly T[], i: number): T {
  const item = items[i % items.length];
  if (item === undefined) throw new Error('empty list');
  return item;
}

// ------------------------------------------------------------------ cookies and requests

/** One browser's cookies for the public origin (all instances share it, as behind a load balancer). */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  /** Takes the response's Set-Cookie headers. */
  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const expired = attributes.some((a) => {
        const [k = '', v = ''] = a.split('=');
        const key = k.trim().toLowerCase();
        return (key === 'max-age' && Number(v) <= 0) || (key === 'expires' && Date.parse(v) <= Date.now());
      });
      if (expired) this.#cookies.delete(name);
      else this.#cookies.set(name, pair.slice(eq + 1).trim());
    }
  }

  get(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  header(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  clone(): CookieJar {
    const copy = new CookieJar();
    for (const [k, v] of this.#cookies) copy.#cookies.set(k, v);
    return copy;
  }
}

export interface Answer {
  status: number;
  location: string | undefined;
  contentType: string;
  body: string;
  headers: Headers;
}

/** A request to one instance, as the WeCom in-app browser, with the jar's cookies; Set-Cookie goes back into the jar. Never follows redirects. */
export async function request(
  app: { url: string },
  path: string,
  jar: CookieJar | undefined,
  options: { accept?: string; method?: string; lang?: string; ua?: string } = {},
): Promise<Answer> {
  // The WeCom in-app browser by default: the app picks in-app OAuth (not QR web login) by user agent.
  const headers: Record<string, string> = {
    accept: options.accept ?? HTML,
    'accept-language': options.lang ?? 'en',
    'user-agent': options.ua ?? WECOM_UA,
  };
  const cookie = jar?.header();
  if (cookie) headers['cookie'] = cookie;
  const res = await fetch(app.url + path, {
    method: options.method ?? 'GET',
    redirect: 'manual',
    headers,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  jar?.store(res);
  return {
    status: res.status,
    location: res.headers.get('location') ?? undefined,
    contentType: res.headers.get('content-type') ?? '',
    body: await res.text(),
    headers: res.headers,
  };
}

/** What the WeCom client does with the authorize URL: the emulator answers 302 to the callback with a code. */
export async function visitWeCom(authorizeUrl: string, user: string): Promise<string> {
  const res = await fetch(authorizeUrl, {
    redirect: 'manual',
    headers: { 'user-agent': WECOM_UA, 'x-wecom-emulator-user': user },
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  await res.text();
  const location = res.headers.get('location');
  if (res.status !== 302 || location === null) throw new Error(`the emulator answered ${res.status}, not a redirect`);
  return location;
}

/** The path + query of a URL on the public origin (where the load balancer would send it). */
export function publicPath(location: string | undefined): string {
  if (location === undefined) throw new Error('expected a redirect');
  const url = new URL(location, PUBLIC_URL);
  if (url.origin !== PUBLIC_URL) throw new Error(`redirect left the public origin: ${location}`);
  return url.pathname + url.search;
}

/** The login-route link of the start page a page navigation gets when nobody is logged in (src/express/start-page.ts). */
export function startLink(res: Answer): string | undefined {
  if (res.status !== 200) return undefined;
  return /<a id="wecom-login" href="([^"]+)"/.exec(res.body)?.[1]?.replaceAll('&#38;', '&');
}

/** Where an answer sends the browser: a redirect's Location, or the landing page's Refresh target (after the in-app OAuth). */
export function nextHop(res: Answer): string | undefined {
  if (res.location !== undefined) return res.location;
  const refresh = res.headers.get('refresh');
  return refresh === null ? undefined : /^0;url=(.*)$/.exec(refresh)?.[1];
}

/** Open a page as a browser does: through the start page's link (what its script does) to the login route's redirect. */
export async function openPage(app: { url: string }, path: string, jar: CookieJar): Promise<Answer> {
  const page = await request(app, path, jar);
  const link = startLink(page);
  return link === undefined ? page : request(app, link, jar);
}

/** True for the demo's signed-in home page (its markup is the demo's business; only the page id is relied on). */
export function isHomePage(res: Answer): boolean {
  return res.status === 200 && res.body.includes('data-page="home"');
}

/** The UserId of the session in `jar` on `app`, from /me (JSON); undefined when not logged in. */
export async function whoAmI(app: { url: string }, jar: CookieJar): Promise<string | undefined> {
  const res = await request(app, '/me', jar, { accept: 'application/json' });
  if (res.status !== 200) return undefined;
  const body = JSON.parse(res.body) as { user?: { userId?: unknown } };
  return typeof body.user?.userId === 'string' ? body.user.userId : undefined;
}

export interface LoginSteps {
  /** Instances for each step: the guarded page, the callback, the page again. */
  start: { url: string };
  callback: { url: string };
  final: { url: string };
  user: string;
  path?: string;
  jar?: CookieJar;
  emulatorUrl: string;
}

/**
 * Walks one login with a fresh (or given) cookie jar: guarded page -> 302 to the emulator ->
 * the emulator's 302 to the callback on the public origin -> that path on `callback` -> 302 back
 * to the page -> the page on `final`, which must answer 200 (and /me there must name `user`). Throws with the step that
 * went wrong.
 */
export async function walkLogin(steps: LoginSteps): Promise<CookieJar> {
  const jar = steps.jar ?? new CookieJar();
  const path = steps.path ?? '/';
  const start = await openPage(steps.start, path, jar);
  if (start.status !== 302 || !start.location?.startsWith(`${steps.emulatorUrl}/connect/oauth2/authorize?`)) {
    throw new Error(`GET ${path}: expected a 302 to the emulator, got ${start.status} ${start.location ?? ''}`);
  }
  const callback = publicPath(await visitWeCom(start.location, steps.user));
  const back = await request(steps.callback, callback, jar);
  if (nextHop(back) !== path) {
    throw new Error(`callback: expected to land on ${path}, got ${back.status} ${nextHop(back) ?? ''} ${back.body.slice(0, 200)}`);
  }
  const page = await request(steps.final, path, jar);
  if (!isHomePage(page)) {
    throw new Error(
      `GET ${path} on ${steps.final.url} after the callback on ${steps.callback.url}: expected the home page, ` +
        `got ${page.status} ${page.location ?? ''} ${page.body.slice(0, 200)}`,
    );
  }
  const shown = await whoAmI(steps.final, jar);
  if (shown !== steps.user) throw new Error(`/me after login: expected ${steps.user}, got ${shown ?? 'nobody'}`);
  return jar;
}
