/**
 * `npm run bench`: every benchmark of issue 6 in one run, printed as markdown tables and written
 * to bench/RESULTS.md (the README's performance section is taken from it).
 *
 * Processes: the WeCom emulator (HTTPS, self-signed certificate), a private redis-server, one
 * process per server under test (with the DNS preload, so WeCom's real host names reach the
 * emulator), and one load-generating process (the driver: login flows, autocannon). Samples of
 * the contenders being compared are interleaved round by round, so that the machine's noise hits
 * all of them alike; each figure is the median of the rounds with the min–max spread beside it.
 *
 * BENCH_QUICK=1: a smoke run (short samples, one round, few logins).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { startRedisServer } from '../test/helpers/redis-server.ts';
import { makeCert } from './lib/cert.ts';
import { startProc } from './lib/procs.ts';
import type { Proc } from './lib/procs.ts';
import { fmt, fmtSpread, median, ratio, spread, table } from './lib/stats.ts';
import type { Spread } from './lib/stats.ts';
import type { AppConfig, Kind } from './procs/app.ts';
import type { FlowResult } from './procs/driver.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const QUICK = process.env['BENCH_QUICK'] === '1';
const T0 = performance.now();
/** The whole run must end within 10 minutes; the memory phase gets what is left of this. */
const BUDGET_MS = Number(process.env['BENCH_BUDGET_MS'] ?? (QUICK ? 120_000 : 570_000));
const elapsed = (): number => performance.now() - T0;

const P = QUICK
  ? { guardWarmS: 1, guardS: 1, guardRounds: 1, flowWarmMs: 300, flowMs: 700, flowRounds: 1, callLogins: 200, memFirst: 1_000, memTotal: 3_000, connections: 16 }
  : { guardWarmS: 2, guardS: 3, guardRounds: 4, flowWarmMs: 800, flowMs: 1_600, flowRounds: 3, callLogins: 1_000, memFirst: 10_000, memTotal: 100_000, connections: 16 };
const CONCURRENCY = [1, 16, 64];
const DELAYS = [0, 30];

const out: string[] = [];
function print(text = ''): void {
  console.log(text);
  out.push(text);
}
function progress(text: string): void {
  process.stderr.write(`[bench ${(elapsed() / 1000).toFixed(0)}s] ${text}\n`);
}

// --- setup ---------------------------------------------------------------------------------

const cert = makeCert();
const redis = await startRedisServer();
const emulator = await startProc(join(HERE, 'procs/emulator.ts'), { name: 'emulator', env: { BENCH_TLS_KEY: cert.key, BENCH_TLS_CERT: cert.cert } });
const emuPort = String(emulator.hello['port']);
const sharedEnv = { BENCH_WECOM_TLS_PORT: emuPort, NODE_EXTRA_CA_CERTS: cert.certFile, BENCH_TLS_CERT: cert.cert };
const driver = await startProc(join(HERE, 'procs/driver.ts'), { name: 'driver', env: sharedEnv });
const procs: Proc[] = [];
let prefixes = 0;

interface App { proc: Proc; baseUrl: string; label: string }

async function startApp(label: string, config: Omit<AppConfig, 'prefix'> & { prefix?: string }): Promise<App> {
  const full: AppConfig = { ...config, ...(config.store === 'redis' ? { redisUrl: redis.url, prefix: config.prefix ?? `bench${process.pid}-${prefixes++}:` } : {}) };
  const proc = await startProc(join(HERE, 'procs/app.ts'), {
    name: label,
    env: { ...sharedEnv, BENCH_APP: JSON.stringify(full) },
    execArgv: ['--import', join(HERE, 'preload/dns-to-emulator.mjs'), '--expose-gc',
      // BENCH_CPU_PROF=<dir>: V8 CPU profiles of the app processes, to see where a login's CPU goes.
      ...(process.env['BENCH_CPU_PROF'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_CPU_PROF']}`] : [])],
  });
  procs.push(proc);
  const baseUrl = String(proc.hello['baseUrl']);
  await emulator.call('trust', { host: new URL(baseUrl).host });
  return { proc, baseUrl, label };
}

async function stopApp(app: App): Promise<void> {
  await app.proc.stop();
  procs.splice(procs.indexOf(app.proc), 1);
}

const flowsOf = (app: App, concurrency: number, extra: { durationMs?: number; count?: number; latencies?: boolean; backends?: string[] }): Promise<FlowResult> =>
  driver.call<FlowResult>('flows', { origin: app.baseUrl, backends: extra.backends ?? [app.baseUrl], path: '/page', concurrency, ...extra });

/** A flow sample plus the app's CPU time per login over it. */
async function flowSample(app: App, concurrency: number, durationMs: number): Promise<FlowResult & { cpuMsPerLogin: number }> {
  const cpu0 = app.proc.cpuMs();
  const r = await flowsOf(app, concurrency, { durationMs, latencies: true });
  if (r.errors > 0) progress(`${app.label} c=${concurrency}: ${r.errors} failed flows, first: ${r.firstError ?? ''}`);
  return { ...r, cpuMsPerLogin: (app.proc.cpuMs() - cpu0) / Math.max(1, r.flows) };
}

function machine(): string {
  const cpu = os.cpus();
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch { /* not a git checkout */ }
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  return `${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}; `
    + `load average at start ${load}; commit ${commit}; ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC${QUICK ? '; BENCH_QUICK=1 (smoke run, not for publishing)' : ''}`;
}

const goals: { goal: string; met: boolean; detail: string }[] = [];
const mb = (bytes: number): string => fmt(bytes / 2 ** 20, 1);

print('## Performance');
print();
print('Measured with `npm run bench` (`bench/`), everything in one run on one machine:');
print();
print(`> ${machine()}`);
print();

// --- 1. guard overhead ---------------------------------------------------------------------

progress('1. guard overhead');
print('### 1. Guard overhead: requests per second of a guarded route, logged in');
print();
print(`autocannon (${P.connections} connections, separate process) against \`GET /page\` with a logged-in session cookie; `
  + `baseline: the same route behind express-session alone (a hand-written "is there a user in the session?" check), same store. `
  + `${P.guardRounds} interleaved rounds of ${P.guardS} s after a ${P.guardWarmS} s warm-up; median (min–max).`);
print();
{
  const rows: string[][] = [];
  for (const store of ['memory', 'redis'] as const) {
    const base = await startApp(`session-only/${store}`, { kind: 'session-only', store });
    const lib = await startApp(`lib/${store}`, { kind: 'lib', store });
    const baseCookie = await driver.call<string>('seed-cookie', { url: `${base.baseUrl}/__bench/seed` });
    const libCookie = await driver.call<string>('login-cookie', { origin: lib.baseUrl, backends: [lib.baseUrl], path: '/page' });
    type Cannon = { rps: number; p50: number; p99: number; non2xx: number; errors: number };
    const shoot = (app: App, cookie: string, s: number) => driver.call<Cannon>('autocannon', { url: `${app.baseUrl}/page`, cookie, connections: P.connections, durationS: s });
    await shoot(base, baseCookie, P.guardWarmS);
    await shoot(lib, libCookie, P.guardWarmS);
    const b: Cannon[] = [];
    const l: Cannon[] = [];
    for (let round = 0; round < P.guardRounds; round++) {
      // Alternate who goes first, so a drift in the machine's load does not favour one side.
      if (round % 2 === 0) {
        b.push(await shoot(base, baseCookie, P.guardS));
        l.push(await shoot(lib, libCookie, P.guardS));
      } else {
        l.push(await shoot(lib, libCookie, P.guardS));
        b.push(await shoot(base, baseCookie, P.guardS));
      }
    }
    const bad = [...b, ...l].reduce((n, r) => n + r.non2xx + r.errors, 0);
    if (bad > 0) progress(`guard/${store}: ${bad} non-2xx or errors`);
    const bs = spread(b.map((r) => r.rps));
    const ls = spread(l.map((r) => r.rps));
    const pairRatios = spread(l.map((r, i) => r.rps / (b[i]?.rps ?? Number.NaN)));
    const r = ls.median / bs.median;
    rows.push([store, fmtSpread(bs), fmtSpread(ls), `${r.toFixed(2)}× (${pairRatios.min.toFixed(2)}–${pairRatios.max.toFixed(2)})`,
      `${fmt(median(b.map((x) => x.p99)), 0)} / ${fmt(median(l.map((x) => x.p99)), 0)}`, r >= 0.95 ? 'met' : '**missed**']);
    goals.push({ goal: `1. guard ≥ 0.95 × express-session alone (${store})`, met: r >= 0.95, detail: `${r.toFixed(2)}×` });
    await stopApp(base);
    await stopApp(lib);
  }
  print(table(['store', 'express-session alone, req/s', 'express-wecom-auth, req/s', 'ratio (per-round range)', 'p99 ms base / lib', 'goal ≥ 0.95'], rows));
  print();
}

// --- 2 & 4. login flows per second, callback latency ----------------------------------------

progress('2. login flows');
const CONTENDERS: { kind: Kind; label: string }[] = [
  { kind: 'floor', label: 'floor (hand-written minimum)' },
  { kind: 'lib', label: 'express-wecom-auth' },
  { kind: 'passport', label: 'passport-wechat-enterprise' },
  { kind: 'logto', label: '@logto/connector-wecom' },
];
type Sample = FlowResult & { cpuMsPerLogin: number };
const flowResults = new Map<string, Sample[]>(); // `${delay}/${c}/${kind}`
{
  const apps = new Map<Kind, App>();
  for (const c of CONTENDERS) apps.set(c.kind, await startApp(c.label, { kind: c.kind, store: 'memory' }));
  for (const delay of DELAYS) {
    await emulator.call('delay', { ms: delay });
    for (const c of CONCURRENCY) {
      progress(`flows: ${delay} ms per WeCom call, concurrency ${c}`);
      for (const { kind } of CONTENDERS) {
        const app = apps.get(kind);
        if (app) await flowsOf(app, c, { durationMs: P.flowWarmMs });
      }
      for (let round = 0; round < P.flowRounds; round++) {
        // Rotate the order each round.
        const order = CONTENDERS.map((_, i) => CONTENDERS[(i + round) % CONTENDERS.length]);
        for (const contender of order) {
          const app = contender ? apps.get(contender.kind) : undefined;
          if (!contender || !app) continue;
          const key = `${delay}/${c}/${contender.kind}`;
          const list = flowResults.get(key) ?? [];
          list.push(await flowSample(app, c, P.flowMs));
          flowResults.set(key, list);
        }
      }
      await emulator.call('clear');
    }
  }
  await emulator.call('delay', { ms: 0 });
  for (const app of apps.values()) await stopApp(app);
}

const rateSpread = (delay: number, c: number, kind: Kind): Spread => spread((flowResults.get(`${delay}/${c}/${kind}`) ?? []).map((s) => s.rate));
const cpuMedian = (delay: number, c: number, kind: Kind): number => median((flowResults.get(`${delay}/${c}/${kind}`) ?? []).map((s) => s.cpuMsPerLogin));

print('### 2. Login flows per second');
print();
print('Complete logins (guarded page → authorize at the emulator → callback → code exchange → session saved → back on the page), '
  + 'each with a fresh cookie jar, by a separate driver process; every contender on express-session with the memory store, '
  + `the emulator serving HTTPS under WeCom's real host names. ${P.flowRounds} interleaved rounds of ${P.flowMs / 1000} s per cell; `
  + 'median flows/s (min–max) and the ratio to the floor. "CPU/login" is the app process\'s own CPU time per login at concurrency 16, '
  + 'which the shared machine\'s noise barely touches.');
print();
for (const delay of DELAYS) {
  print(`**${delay === 0 ? 'Emulator answering at once' : `${delay} ms added to every WeCom call`}**`);
  print();
  const rows = CONTENDERS.map(({ kind, label }) => [
    label,
    ...CONCURRENCY.map((c) => {
      const s = rateSpread(delay, c, kind);
      return `${fmtSpread(s, 0)} · ${ratio(s.median, rateSpread(delay, c, 'floor').median)}`;
    }),
    `${fmt(cpuMedian(delay, 16, kind), 2)} ms`,
  ]);
  print(table(['contender', ...CONCURRENCY.map((c) => `c=${c}: flows/s · vs floor`), 'CPU/login'], rows));
  print();
  for (const c of CONCURRENCY) {
    const lib = rateSpread(delay, c, 'lib').median;
    const floor = rateSpread(delay, c, 'floor').median;
    goals.push({ goal: `2. flows ≥ 0.95 × floor (${delay} ms, c=${c})`, met: lib >= 0.95 * floor, detail: ratio(lib, floor) });
    for (const peer of ['passport', 'logto'] as const) {
      const p = rateSpread(delay, c, peer).median;
      goals.push({ goal: `2. ahead of ${peer} (${delay} ms, c=${c})`, met: lib > p, detail: ratio(lib, p) });
    }
  }
}
{
  const lib = rateSpread(30, 1, 'lib').median;
  const logto = rateSpread(30, 1, 'logto').median;
  goals.push({ goal: '2. ≥ 2.5 × @logto/connector-wecom at 30 ms, c=1', met: lib >= 2.5 * logto, detail: ratio(lib, logto) });
}

print('### 4. Callback latency with 30 ms per WeCom call');
print();
print('Time from sending the callback request (with code and state) to its 302 back to the page, from the same runs as table 2; '
  + 'median over the rounds of each round\'s p50 / p99, in ms. The floor\'s callback waits for exactly one WeCom call (30 ms) plus the session work.');
print();
{
  const rows = CONTENDERS.map(({ kind, label }) => [
    label,
    ...CONCURRENCY.map((c) => {
      const list = flowResults.get(`30/${c}/${kind}`) ?? [];
      return `${fmt(median(list.map((s) => s.callbackP50 ?? Number.NaN)), 1)} / ${fmt(median(list.map((s) => s.callbackP99 ?? Number.NaN)), 1)}`;
    }),
  ]);
  print(table(['contender', ...CONCURRENCY.map((c) => `c=${c}: p50 / p99 ms`)], rows));
  print();
  const libP50 = median((flowResults.get('30/1/lib') ?? []).map((s) => s.callbackP50 ?? Number.NaN));
  goals.push({ goal: '4. callback p50 at c=1 below two WeCom round trips (one call, nothing serialised)', met: libP50 < 60, detail: `${fmt(libP50, 1)} ms` });
}

// --- 3. WeCom calls per 1,000 logins -------------------------------------------------------

progress('3. WeCom calls per 1,000 logins');
print(`### 3. WeCom calls per ${fmt(P.callLogins, 0)} logins`);
print();
print(`Each contender freshly started (no token cached), ${fmt(P.callLogins, 0)} logins at concurrency 16 with 30 ms per WeCom call, counted by the emulator. `
  + 'The four-process row: four app processes sharing one Redis (sessions and token cache) behind a round-robin balancer (the driver sends every request to the next process).');
print();
{
  await emulator.call('delay', { ms: 30 });
  const apis = ['gettoken', 'user/getuserinfo', 'auth/getuserinfo', 'user/get'];
  const rows: string[][] = [];
  const count = async (label: string, origin: string, backends: string[]): Promise<void> => {
    await emulator.call('clear');
    const r = await driver.call<FlowResult>('flows', { origin, backends, path: '/page', concurrency: 16, count: P.callLogins });
    if (r.errors) progress(`${label}: ${r.errors} failed flows: ${r.firstError ?? ''}`);
    const calls = await emulator.call<{ byApi: Record<string, number>; total: number; errors: number }>('calls');
    const scale = 1000 / Math.max(1, r.flows);
    const total = calls.total * scale;
    rows.push([label, fmt(r.flows, 0) + (r.errors ? ` (+${r.errors} failed)` : ''), ...apis.map((a) => fmt((calls.byApi[a] ?? 0) * scale, 0)), fmt(total, 0), ratio(total, 1001)]);
    if (label.startsWith('express-wecom-auth') && !label.includes('visible-range')) {
      const gettoken = calls.byApi['gettoken'] ?? 0;
      goals.push({ goal: `3. ${label}: 1 gettoken and 1 code exchange per login`, met: gettoken === 1 && calls.total === r.flows + 1, detail: `${gettoken} gettoken, ${calls.total - gettoken} other calls for ${r.flows} logins` });
    }
  };
  for (const { kind, label } of CONTENDERS) {
    const app = await startApp(label, { kind, store: 'memory' });
    await count(label, app.baseUrl, [app.baseUrl]);
    await stopApp(app);
  }
  {
    // The library's default also refuses members outside the visible range: one user/get per login.
    const app = await startApp('lib (default checkVisibility)', { kind: 'lib', store: 'memory', checkVisibility: true });
    await count('express-wecom-auth with its default visible-range check', app.baseUrl, [app.baseUrl]);
    await stopApp(app);
  }
  const prefix = `bench${process.pid}-fleet:`;
  const fleet: App[] = [];
  const lbOrigin = 'http://app.bench.test:8080';
  for (let i = 0; i < 4; i++) fleet.push(await startApp(`lib#${i}`, { kind: 'lib', store: 'redis', prefix, baseUrl: lbOrigin }));
  await emulator.call('trust', { host: new URL(lbOrigin).host });
  await count('express-wecom-auth, 4 processes, one Redis', lbOrigin, fleet.map((a) => `http://127.0.0.1:${String(a.proc.hello['port'])}`));
  for (const app of fleet) await stopApp(app);
  await emulator.call('delay', { ms: 0 });
  print(table(['contender', 'logins', ...apis.map((a) => `${a} /1k`), 'total /1k', 'vs floor (1,001)'], rows));
  print();
}

// --- 5. memory -----------------------------------------------------------------------------

progress('5. memory');
print('### 5. Memory: RSS of the app after many logins (Redis session store and token cache)');
print();
{
  const app = await startApp('lib/redis (memory)', { kind: 'lib', store: 'redis' });
  const rows: string[][] = [];
  let done = 0;
  let first: { rss: number; heapUsed: number } | undefined;
  const marks = QUICK ? [P.memFirst, P.memTotal] : [P.memFirst, 25_000, 50_000, 75_000, P.memTotal];
  let stoppedEarly = false;
  for (const mark of marks) {
    // Leave ~25 s for the report and shutdown.
    while (done < mark) {
      const left = BUDGET_MS - elapsed() - 25_000;
      if (left < 2_000) {
        stoppedEarly = true;
        break;
      }
      const r = await flowsOf(app, 64, { count: Math.min(mark - done, 5_000), durationMs: left });
      done += r.flows;
      if (r.errors) progress(`memory: ${r.errors} failed flows: ${r.firstError ?? ''}`);
      await emulator.call('clear');
    }
    const usage = await fetchJson(`${app.baseUrl}/__bench/mem`);
    first ??= usage;
    rows.push([fmt(done, 0), mb(app.proc.rss()), mb(usage.rss), mb(usage.heapUsed), ratio(usage.rss, first.rss)]);
    progress(`memory: ${done} logins, RSS ${mb(usage.rss)} MB`);
    if (stoppedEarly) break;
  }
  const last = rows[rows.length - 1];
  print(`Concurrency 64, emulator answering at once; after each mark the app runs a full GC (\`--expose-gc\`) and reports its memory.${stoppedEarly ? ` **The time budget ran out at ${fmt(done, 0)} logins** (the machine was slower than planned).` : ''}`);
  print();
  print(table(['logins', 'RSS MB (/proc)', 'RSS MB after GC', 'heap used MB after GC', `RSS vs ${fmt(P.memFirst, 0)}`], rows));
  print();
  if (first && last) {
    const finalRss = (await fetchJson(`${app.baseUrl}/__bench/mem`)).rss;
    goals.push({ goal: `5. RSS flat from ${fmt(P.memFirst, 0)} to ${fmt(done, 0)} logins (≤ 1.10×)`, met: finalRss <= first.rss * 1.1 && !stoppedEarly, detail: ratio(finalRss, first.rss) });
  }
  await stopApp(app);
}

async function fetchJson(url: string): Promise<{ rss: number; heapUsed: number }> {
  const res = await fetch(url);
  return (await res.json()) as { rss: number; heapUsed: number };
}

// --- 7. the HTTP client -------------------------------------------------------------------

progress('7. the HTTP client');
{
  // Its own script (it also runs alone); its table goes into the same results.
  const text = execFileSync(process.execPath, [join(HERE, 'http-client.ts')], { env: process.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  print(text.trimEnd());
  print();
}

// --- goals ---------------------------------------------------------------------------------

print('### Goals');
print();
print(table(['goal', 'result', 'measured'], goals.map((g) => [g.goal, g.met ? 'met' : '**missed**', g.detail])));
print();
print(`Total time: ${fmt(elapsed() / 1000, 0)} s.`);
print();

// --- shutdown ------------------------------------------------------------------------------

for (const proc of [...procs]) await proc.stop();
await driver.stop();
await emulator.stop();
await redis.stop();
cert.remove();

const notesFile = join(HERE, 'NOTES.md');
let notes = '';
try {
  notes = readFileSync(notesFile, 'utf8');
} catch { /* no notes yet */ }
writeFileSync(join(HERE, QUICK ? 'RESULTS.quick.md' : 'RESULTS.md'), `${out.join('\n')}\n${notes ? `\n${notes}` : ''}`);
progress(`done; tables written to bench/${QUICK ? 'RESULTS.quick.md' : 'RESULTS.md'}`);
