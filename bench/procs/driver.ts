/**
 * The load generator, in its own process: it plays the browser inside the WeCom client.
 * - `flows`: virtual users walk complete logins (guarded page -> 302 to WeCom's authorize ->
 *   302 back to the callback -> 302 to the page -> 200), each flow with a fresh cookie jar, as
 *   many users at once as the concurrency says, the members named in `users` logging in in turn.
 *   WeCom's host names are sent to the emulator's TLS port (certificate checked against the
 *   bench certificate); the app's public origin is sent to one of its backends, round-robin per
 *   request (several processes behind one balancer).
 * - `autocannon`: a fixed logged-in request at full speed, for the guard overhead.
 */
import http from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { quantile, sortNum } from '../lib/stats.ts';

const require = createRequire(import.meta.url);
const WECOM_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 wxwork/4.1.22 MicroMessenger/7.0.1 Language/zh ColorScheme/Light';
const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const WECOM_HOSTS = new Set(['qyapi.weixin.qq.com', 'open.weixin.qq.com', 'open.work.weixin.qq.com', 'login.work.weixin.qq.com']);
const CA = process.env['BENCH_TLS_CERT'] ?? '';
const EMU_PORT = Number(process.env['BENCH_WECOM_TLS_PORT']);

export interface FlowRequest {
  type: 'flows';
  /** The app's public origin, e.g. http://127.0.0.1:40123 */
  origin: string;
  /** Where requests for `origin` really go: one or more http://127.0.0.1:PORT. */
  backends: string[];
  path: string;
  concurrency: number;
  /** Stop starting flows after this long (ms)… */
  durationMs?: number;
  /** …or after this many flows in total. */
  count?: number;
  /** Keep per-request latencies (callback) for percentiles. */
  latencies?: boolean;
  /** The members who log in, in turn (one per flow); default zhangsan. */
  users?: string[];
}

export interface FlowResult {
  flows: number;
  errors: number;
  firstError?: string;
  elapsedMs: number;
  rate: number;
  callbackP50?: number;
  callbackP99?: number;
  flowP50?: number;
}

interface Reply {
  status: number;
  location: string | undefined;
  setCookie: string[];
  body: string;
}

/** A browser's cookie jar, as far as a flow needs one: a cookie goes only to its Path, and Max-Age=0 deletes it. */
class Jar {
  readonly #cookies = new Map<string, { value: string; path: string }>();
  take(setCookie: string[]): void {
    for (const line of setCookie) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      let path = '/';
      let gone = false;
      for (const attribute of attributes) {
        const [key = '', value = ''] = attribute.split('=');
        const k = key.trim().toLowerCase();
        if (k === 'path') path = value.trim() || '/';
        if (k === 'max-age' && Number(value) <= 0) gone = true;
      }
      if (gone) this.#cookies.delete(name);
      else this.#cookies.set(name, { value: pair.slice(eq + 1).trim(), path });
    }
  }
  header(url: URL): string {
    const on = (path: string) => url.pathname === path || url.pathname.startsWith(path.endsWith('/') ? path : `${path}/`);
    return [...this.#cookies]
      .filter(([, c]) => on(c.path))
      .map(([k, c]) => `${k}=${c.value}`)
      .join('; ');
  }
}

interface Target {
  origin: string;
  backends: string[];
  next: number;
  agent: http.Agent;
}

function send(url: URL, headers: Record<string, string>, target: Target, emuAgent: https.Agent): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage): void => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        const raw = res.headers['set-cookie'];
        resolve({ status: res.statusCode ?? 0, location: res.headers.location, setCookie: raw ?? [], body });
      });
      res.on('error', reject);
    };
    if (WECOM_HOSTS.has(url.hostname)) {
      https
        .get(
          {
            host: '127.0.0.1',
            port: EMU_PORT,
            servername: url.hostname,
            path: url.pathname + url.search,
            headers: { ...headers, host: url.hostname },
            agent: emuAgent,
          },
          onResponse,
        )
        .on('error', reject);
      return;
    }
    if (url.origin !== target.origin) {
      reject(new Error(`redirect to an unexpected origin: ${url.origin}`));
      return;
    }
    const backend = new URL(target.backends[target.next++ % target.backends.length] ?? target.origin);
    http
      .get(
        {
          host: backend.hostname,
          port: backend.port,
          path: url.pathname + url.search,
          headers: { ...headers, host: url.host },
          agent: target.agent,
        },
        onResponse,
      )
      .on('error', reject);
  });
}

async function oneFlow(target: Target, emuAgent: https.Agent, path: string, cb: number[] | undefined, userId = 'zhangsan'): Promise<Jar> {
  const jar = new Jar();
  const base = { 'user-agent': WECOM_UA, accept: HTML };
  const start = await send(new URL(path, target.origin), base, target, emuAgent);
  jar.take(start.setCookie);
  if (start.status !== 302 || !start.location)
    throw new Error(`page: expected 302 to WeCom, got ${start.status} ${start.body.slice(0, 120)}`);
  // WeCom's authorize page signs in the member the emulator is told to.
  const wecom = await send(new URL(start.location), { ...base, 'x-wecom-emulator-user': userId }, target, emuAgent);
  if (wecom.status !== 302 || !wecom.location) throw new Error(`authorize: expected 302, got ${wecom.status} ${wecom.body.slice(0, 200)}`);
  const t0 = performance.now();
  const callbackUrl = new URL(wecom.location, target.origin);
  const back = await send(callbackUrl, { ...base, cookie: jar.header(callbackUrl) }, target, emuAgent);
  cb?.push(performance.now() - t0);
  jar.take(back.setCookie);
  if (back.status !== 302 || !back.location) throw new Error(`callback: expected 302, got ${back.status} ${back.body.slice(0, 200)}`);
  const pageUrl = new URL(back.location, target.origin);
  const done = await send(pageUrl, { ...base, cookie: jar.header(pageUrl) }, target, emuAgent);
  if (done.status !== 200 || !done.body.includes(`"userId":"${userId}"`))
    throw new Error(`page after login: got ${done.status} ${done.body.slice(0, 200)}`);
  return jar;
}

function agents(concurrency: number): { app: http.Agent; emu: https.Agent } {
  return {
    app: new http.Agent({ keepAlive: true, maxSockets: concurrency * 2 }),
    emu: new https.Agent({ keepAlive: true, maxSockets: concurrency * 2, ca: CA }),
  };
}

async function flows(req: FlowRequest): Promise<FlowResult> {
  const { app, emu } = agents(req.concurrency);
  const target: Target = { origin: req.origin, backends: req.backends, next: 0, agent: app };
  const cb: number[] | undefined = req.latencies ? [] : undefined;
  const flowMs: number[] = [];
  let done = 0;
  let started = 0;
  let errors = 0;
  let firstError: string | undefined;
  const t0 = performance.now();
  const deadline = req.durationMs === undefined ? Number.POSITIVE_INFINITY : t0 + req.durationMs;
  const limit = req.count ?? Number.POSITIVE_INFINITY;
  const users = req.users?.length ? req.users : ['zhangsan'];
  const user = async (): Promise<void> => {
    while (performance.now() < deadline && started < limit) {
      const userId = users[started % users.length];
      started += 1;
      const f0 = performance.now();
      try {
        await oneFlow(target, emu, req.path, cb, userId);
        done += 1;
        flowMs.push(performance.now() - f0);
      } catch (err) {
        errors += 1;
        firstError ??= err instanceof Error ? err.message : String(err);
        if (errors > 50 && errors > done) break;
      }
    }
  };
  await Promise.all(Array.from({ length: req.concurrency }, user));
  const elapsedMs = performance.now() - t0;
  app.destroy();
  emu.destroy();
  const sortedCb = cb ? sortNum(cb) : undefined;
  const sortedFlow = sortNum(flowMs);
  return {
    flows: done,
    errors,
    ...(firstError ? { firstError } : {}),
    elapsedMs,
    rate: (done / elapsedMs) * 1000,
    ...(sortedCb ? { callbackP50: quantile(sortedCb, 0.5), callbackP99: quantile(sortedCb, 0.99) } : {}),
    flowP50: quantile(sortedFlow, 0.5),
  };
}

async function loginCookie(req: FlowRequest): Promise<string> {
  const { app, emu } = agents(1);
  const jar = await oneFlow({ origin: req.origin, backends: req.backends, next: 0, agent: app }, emu, req.path, undefined);
  app.destroy();
  emu.destroy();
  // The cookies the guarded page gets (autocannon then sends them to that page).
  return jar.header(new URL(req.path, req.origin));
}

async function seedCookie(url: string): Promise<string> {
  const { app, emu } = agents(1);
  const u = new URL(url);
  const reply = await send(u, {}, { origin: u.origin, backends: [u.origin], next: 0, agent: app }, emu);
  app.destroy();
  emu.destroy();
  if (reply.status !== 200) throw new Error(`seed: ${reply.status}`);
  const jar = new Jar();
  jar.take(reply.setCookie);
  return jar.header(u);
}

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  duration: number;
}
type Autocannon = (opts: Record<string, unknown>, cb: (err: unknown, result: AutocannonResult) => void) => unknown;
const autocannon = require('autocannon') as Autocannon;

function cannon(
  url: string,
  cookie: string,
  connections: number,
  durationS: number,
): Promise<{ rps: number; p50: number; p99: number; non2xx: number; errors: number }> {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, duration: durationS, headers: { cookie, accept: 'application/json' } }, (err, r) => {
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else resolve({ rps: r.requests.total / r.duration, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors });
    });
  });
}

interface Msg {
  id: number;
  type: string;
  [k: string]: unknown;
}

process.on('message', (raw: unknown) => {
  const msg = raw as Msg;
  const reply = (body: unknown): void => {
    process.send?.({ id: msg.id, body });
  };
  const fail = (err: unknown): void => {
    process.send?.({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
  };
  switch (msg.type) {
    case 'flows':
      flows(msg as unknown as FlowRequest).then(reply, fail);
      return;
    case 'login-cookie':
      loginCookie(msg as unknown as FlowRequest).then(reply, fail);
      return;
    case 'seed-cookie':
      seedCookie(String(msg['url'])).then(reply, fail);
      return;
    case 'autocannon':
      cannon(String(msg['url']), String(msg['cookie']), Number(msg['connections']), Number(msg['durationS'])).then(reply, fail);
      return;
    default:
      fail(new Error(`unknown message ${msg.type}`));
  }
});
process.on('disconnect', () => process.exit(0));
process.send?.({ id: 0, body: { ready: true } });
