/**
 * The load generator, in its own process: it plays the browser inside the WeCom client.
 * - `flows`: virtual users walk complete logins, each flow with a fresh cookie jar, following the
 *   app's answers (today: guarded page -> 302 to WeCom's authorize -> 302 back to the callback ->
 *   302 to the page -> 200; a start page's link or a landing page's Refresh are followed too, see
 *   bench/lib/browser.ts), as many users at once as the concurrency says, the members named in
 *   `users` logging in in turn, the requests of each flow counted. WeCom's host names are sent to
 *   the emulator's TLS port (certificate checked against the bench certificate), or to its plain
 *   HTTP origin when it serves one; the app's public origin is sent to one of its backends,
 *   round-robin per request (several processes behind one balancer).
 * - `autocannon`: a fixed logged-in request at full speed, for the guard overhead.
 */
import http from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { Jar, isWeCom, nextUrl, send, sendFetch } from '../lib/browser.ts';
import type { Target, WeComRoute } from '../lib/browser.ts';
import { quantile, sortNum } from '../lib/stats.ts';

const require = createRequire(import.meta.url);
const WECOM_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 wxwork/4.1.22 MicroMessenger/7.0.1 Language/zh ColorScheme/Light';
const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const CA = process.env['BENCH_TLS_CERT'] ?? '';
const EMU_PORT = Number(process.env['BENCH_WECOM_TLS_PORT']);
/** Set when the emulator serves plain HTTP (BENCH_WECOM_TLS=0). */
const EMU_PLAIN = process.env['BENCH_WECOM_PLAIN_ORIGIN'] || undefined;

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
  /** Requests of the completed flows: all of them, and the fewest and most one flow took. */
  requests: { total: number; fewest: number; most: number };
}

/** BENCH_DRIVER=fetch: the driver's requests through fetch (undici) instead of node:http, for the experiment on its own cost. */
const SEND = process.env['BENCH_DRIVER'] === 'fetch' ? sendFetch : send;

function route(concurrency: number): WeComRoute {
  return {
    tlsPort: EMU_PORT,
    plainOrigin: EMU_PLAIN,
    tlsAgent: new https.Agent({ keepAlive: true, maxSockets: concurrency * 2, ca: CA }),
    plainAgent: new http.Agent({ keepAlive: true, maxSockets: concurrency * 2 }),
  };
}
function closeRoute(r: WeComRoute): void {
  r.tlsAgent.destroy();
  r.plainAgent.destroy();
}
const appAgent = (concurrency: number): http.Agent => new http.Agent({ keepAlive: true, maxSockets: concurrency * 2 });

/**
 * BENCH_DRIVER_WORK_MS: CPU the driver burns per flow on top of its own (the experiment on a heavier
 * load generator sharing the machine's cores with the app, bench/NOTES.md). 0 by default.
 */
const WORK_MS = Number(process.env['BENCH_DRIVER_WORK_MS'] ?? 0);
function burn(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    /* the work a heavier client would do */
  }
}

/** Flows longer than this are a loop, not a login. */
const MAX_REQUESTS = 10;

/**
 * One login, following the app's answers (bench/lib/browser.ts, nextUrl) until one ends it, which
 * must be the guarded page's JSON for this member. The callback is the first request to the app
 * after WeCom's answer (it carries code and state); its latency is kept when `cb` is given.
 */
async function oneFlow(
  target: Target,
  wecom: WeComRoute,
  path: string,
  cb: number[] | undefined,
  userId = 'zhangsan',
): Promise<{ jar: Jar; requests: number }> {
  const jar = new Jar();
  const base = { 'user-agent': WECOM_UA, accept: HTML };
  let url: URL | undefined = new URL(path, target.origin);
  let requests = 0;
  let fromWeCom = false;
  let timedCallback = false;
  for (;;) {
    if (requests >= MAX_REQUESTS) throw new Error(`no end after ${MAX_REQUESTS} requests, at ${url.pathname}`);
    const toWeCom = isWeCom(url, wecom);
    // WeCom's authorize page signs in the member the emulator is told to; the app gets its cookies.
    const headers = toWeCom ? { ...base, 'x-wecom-emulator-user': userId } : { ...base, cookie: jar.header(url) };
    const timing = !toWeCom && fromWeCom && !timedCallback;
    const t0 = performance.now();
    const reply = await SEND(url, headers, target, wecom);
    requests += 1;
    if (timing) {
      cb?.push(performance.now() - t0);
      timedCallback = true;
    }
    if (!toWeCom) jar.take(reply.setCookie);
    fromWeCom = toWeCom;
    const next = nextUrl(reply, url);
    if (next === undefined) {
      if (reply.status !== 200 || !reply.body.includes(`"userId":"${userId}"`))
        throw new Error(`${toWeCom ? 'WeCom' : url.pathname}: the flow ended on ${reply.status} ${reply.body.slice(0, 200)}`);
      if (!timedCallback) throw new Error(`logged in without passing WeCom, after ${requests} requests`);
      return { jar, requests };
    }
    url = next;
  }
}

async function flows(req: FlowRequest): Promise<FlowResult> {
  const wecom = route(req.concurrency);
  const target: Target = { origin: req.origin, backends: req.backends, next: 0, agent: appAgent(req.concurrency) };
  const cb: number[] | undefined = req.latencies ? [] : undefined;
  const flowMs: number[] = [];
  let done = 0;
  let started = 0;
  let errors = 0;
  let requests = 0;
  let fewest = Number.POSITIVE_INFINITY;
  let most = 0;
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
        const flow = await oneFlow(target, wecom, req.path, cb, userId);
        if (WORK_MS > 0) burn(WORK_MS);
        done += 1;
        requests += flow.requests;
        fewest = Math.min(fewest, flow.requests);
        most = Math.max(most, flow.requests);
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
  target.agent.destroy();
  closeRoute(wecom);
  const sortedCb = cb ? sortNum(cb) : undefined;
  return {
    flows: done,
    errors,
    ...(firstError ? { firstError } : {}),
    elapsedMs,
    rate: (done / elapsedMs) * 1000,
    requests: { total: requests, fewest: done ? fewest : 0, most },
    ...(sortedCb ? { callbackP50: quantile(sortedCb, 0.5), callbackP99: quantile(sortedCb, 0.99) } : {}),
    flowP50: quantile(sortNum(flowMs), 0.5),
  };
}

async function loginCookie(req: FlowRequest): Promise<string> {
  const wecom = route(1);
  const app = appAgent(1);
  const { jar } = await oneFlow({ origin: req.origin, backends: req.backends, next: 0, agent: app }, wecom, req.path, undefined);
  app.destroy();
  closeRoute(wecom);
  // The cookies the guarded page gets (autocannon then sends them to that page).
  return jar.header(new URL(req.path, req.origin));
}

async function seedCookie(url: string): Promise<string> {
  const wecom = route(1);
  const app = appAgent(1);
  const u = new URL(url);
  const reply = await send(u, {}, { origin: u.origin, backends: [u.origin], next: 0, agent: app }, wecom);
  app.destroy();
  closeRoute(wecom);
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
