/**
 * `npm run bench`: the performance goals of issue 10 measured in one run, side by side, and the
 * reports written from that run alone: bench/results.json (the data), bench/RESULTS.md (every
 * table, the goals, bench/NOTES.md), docs/performance.md and docs/performance.svg (the summary).
 *
 * Processes: the WeCom emulator (HTTPS, self-signed certificate, 50 members in the app's visible
 * range), a private redis-server, one process per server under test (with the DNS preload, so
 * WeCom's real host names reach the emulator), and one load-generating process (the driver: login
 * flows, autocannon). Samples of the contenders being compared are interleaved round by round, so
 * that the machine's noise hits all of them alike; each figure is the median of the rounds with the
 * min–max spread beside it.
 *
 * BENCH_QUICK=1           a smoke run (short samples, one round, few logins): bench/RESULTS.quick.md,
 *                         and the summary in scratch/bench-quick/.
 * BENCH_ONLY=flows,calls  only these phases (guard, flows, calls, http, memory), written to
 *                         scratch/bench-partial/.
 * BENCH_CPU_PROF=<dir>    V8 CPU profiles of each contender's measured samples at 0 ms and
 *                         concurrency 16, start-up and warm-up left out (read them with
 *                         `node bench/profile-summary.ts <dir> --match lib-`).
 * BENCH_DELAYS=0 BENCH_CONCURRENCY=16 BENCH_CONTENDERS=floor,lib   fewer flow cells (development).
 * node bench/run.ts --render [results.json]   rewrite the reports from a run's data (after an
 *                         edit of bench/NOTES.md or of the report code), measuring nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { startRedisServer } from '../test/helpers/redis-server.ts';
import { startRig } from './lib/rig.ts';
import { renderChart } from './lib/chart.ts';
import { EMPLOYEES } from './lib/employees.ts';
import { startProc } from './lib/procs.ts';
import type { Proc } from './lib/procs.ts';
import { renderPerformancePage, renderResults } from './lib/report.ts';
import { CONTENDERS, exchangesOf, goalsOf } from './lib/results.ts';
import type { BenchResults, CallsRow, FlowSample, GuardResult, Kind, MemoryRow } from './lib/results.ts';
import { fmt } from './lib/stats.ts';
import type { AppConfig } from './procs/app.ts';
import type { FlowResult } from './procs/driver.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');

interface Outputs {
  json: string;
  results: string;
  page: string;
  chart: string;
}
const FULL: Outputs = {
  json: join(HERE, 'results.json'),
  results: join(HERE, 'RESULTS.md'),
  page: join(ROOT, 'docs/performance.md'),
  chart: join(ROOT, 'docs/performance.svg'),
};
const scratch = (name: string): Outputs => {
  const dir = join(ROOT, 'scratch', name);
  return {
    json: join(dir, 'results.json'),
    results: join(dir, 'RESULTS.md'),
    page: join(dir, 'performance.md'),
    chart: join(dir, 'performance.svg'),
  };
};

function writeReports(results: BenchResults, to: Outputs, extraResults?: string): void {
  let notes = '';
  try {
    notes = readFileSync(join(HERE, 'NOTES.md'), 'utf8');
  } catch {
    /* no notes */
  }
  for (const file of Object.values(to)) mkdirSync(dirname(file), { recursive: true });
  const resultsMd = renderResults(results, notes);
  writeFileSync(to.json, `${JSON.stringify(results, null, 1)}\n`);
  writeFileSync(to.results, resultsMd);
  if (extraResults) writeFileSync(extraResults, resultsMd);
  writeFileSync(to.chart, renderChart(results));
  writeFileSync(
    to.page,
    renderPerformancePage(results, {
      chart: relative(dirname(to.page), to.chart),
      results: relative(dirname(to.page), to.results),
    }),
  );
}

if (process.argv[2] === '--render') {
  const file = process.argv[3] ?? FULL.json;
  const results = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
  const to =
    file === FULL.json
      ? FULL
      : {
          json: file,
          results: join(dirname(file), 'RESULTS.md'),
          page: join(dirname(file), 'performance.md'),
          chart: join(dirname(file), 'performance.svg'),
        };
  writeReports(results, to);
  console.log(`reports rewritten from ${relative(ROOT, file)}`);
  process.exit(0);
}

const QUICK = process.env['BENCH_QUICK'] === '1';
const PHASES = ['guard', 'flows', 'calls', 'http', 'memory'] as const;
type Phase = (typeof PHASES)[number];
const PARTIAL = ['BENCH_DELAYS', 'BENCH_CONCURRENCY', 'BENCH_CONTENDERS'].some((name) => process.env[name]);
const ONLY = process.env['BENCH_ONLY'] ? new Set(process.env['BENCH_ONLY'].split(',').map((s) => s.trim())) : undefined;
for (const phase of ONLY ?? [])
  if (!(PHASES as readonly string[]).includes(phase)) throw new Error(`BENCH_ONLY: unknown phase ${phase}; use ${PHASES.join(', ')}`);
const runs = (phase: Phase): boolean => ONLY === undefined || ONLY.has(phase);
const T0 = performance.now();
/** The whole run must end within about 10 minutes; the memory phase (last) gets what is left. */
const BUDGET_MS = Number(process.env['BENCH_BUDGET_MS'] ?? (QUICK ? 240_000 : 600_000));
const elapsed = (): number => performance.now() - T0;

const P = QUICK
  ? {
      guardConnections: 16,
      guardWarmS: 1,
      guardS: 1,
      guardRounds: 1,
      flowWarmMs: 300,
      flowMs: 700,
      flowRounds: 1,
      callLogins: 200,
      memFirst: 1_000,
      memTotal: 3_000,
    }
  : {
      guardConnections: 16,
      guardWarmS: 2,
      guardS: 2,
      guardRounds: 5,
      flowWarmMs: 600,
      flowMs: 1_200,
      flowRounds: 5,
      callLogins: 1_000,
      memFirst: 10_000,
      memTotal: 100_000,
    };
const envList = (name: string): string[] | undefined =>
  process.env[name]
    ?.split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
const CONCURRENCY = envList('BENCH_CONCURRENCY')?.map(Number) ?? [1, 16, 64];
const DELAYS = envList('BENCH_DELAYS')?.map(Number) ?? [0, 30];
const FLOW_KINDS = new Set(envList('BENCH_CONTENDERS') ?? CONTENDERS.map((c) => c.kind));
const PROFILE_DIR = process.env['BENCH_CPU_PROF'];
if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
const USERS = [...EMPLOYEES];

function progress(text: string): void {
  process.stderr.write(`[bench ${(elapsed() / 1000).toFixed(0)}s] ${text}\n`);
}

function machine(): BenchResults['machine'] {
  const cpu = os.cpus();
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    /* not a git checkout */
  }
  return {
    cpus: cpu.length,
    model: cpu[0]?.model.trim() ?? 'unknown CPU',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    load: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
    commit,
    date: new Date().toISOString().slice(0, 16).replace('T', ' '),
  };
}

const results: BenchResults = {
  quick: QUICK,
  machine: machine(),
  params: { ...P, concurrency: CONCURRENCY, delays: DELAYS, employees: USERS.length },
  guard: [],
  flows: [],
  calls: [],
  memory: undefined,
  http: undefined,
  totalS: 0,
};

// --- setup ---------------------------------------------------------------------------------

const redis = await startRedisServer();
const rig = await startRig();
const { emulator, driver, env: sharedEnv } = rig;
const procs: Proc[] = [];
let prefixes = 0;

interface App {
  proc: Proc;
  baseUrl: string;
  label: string;
}

async function startApp(label: string, config: Omit<AppConfig, 'prefix'> & { prefix?: string }): Promise<App> {
  const full: AppConfig = {
    ...config,
    ...(config.store === 'redis' ? { redisUrl: redis.url, prefix: config.prefix ?? `bench${process.pid}-${prefixes++}:` } : {}),
  };
  const proc = await startProc(join(HERE, 'procs/app.ts'), {
    name: label,
    env: { ...sharedEnv, BENCH_APP: JSON.stringify(full) },
    execArgv: ['--import', join(HERE, 'preload/dns-to-emulator.mjs'), '--expose-gc'],
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

const flowsOf = (
  app: App,
  concurrency: number,
  extra: { durationMs?: number; count?: number; latencies?: boolean; backends?: string[]; users?: readonly string[] },
): Promise<FlowResult> =>
  driver.call<FlowResult>('flows', {
    origin: app.baseUrl,
    backends: extra.backends ?? [app.baseUrl],
    path: '/page',
    concurrency,
    users: USERS,
    ...extra,
  });

async function fetchJson(url: string): Promise<{ rss: number; heapUsed: number }> {
  const res = await fetch(url);
  return (await res.json()) as { rss: number; heapUsed: number };
}

// --- guard overhead ------------------------------------------------------------------------

if (runs('guard')) {
  progress('guard overhead');
  for (const store of ['memory', 'redis'] as const) {
    const base = await startApp(`session-only/${store}`, { kind: 'session-only', store });
    const lib = await startApp(`lib/${store}`, { kind: 'lib', store });
    const baseCookie = await driver.call<string>('seed-cookie', { url: `${base.baseUrl}/__bench/seed` });
    const libCookie = await driver.call<string>('login-cookie', { origin: lib.baseUrl, backends: [lib.baseUrl], path: '/page' });
    type Cannon = { rps: number; p50: number; p99: number; non2xx: number; errors: number };
    const shoot = (app: App, cookie: string, s: number) =>
      driver.call<Cannon>('autocannon', { url: `${app.baseUrl}/page`, cookie, connections: P.guardConnections, durationS: s });
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
    const result: GuardResult = {
      store,
      base: b.map((r) => r.rps),
      lib: l.map((r) => r.rps),
      baseP99: b.map((r) => r.p99),
      libP99: l.map((r) => r.p99),
      bad,
    };
    results.guard.push(result);
    await stopApp(base);
    await stopApp(lib);
  }
}

// --- login flows per second, callback latency ----------------------------------------------

if (runs('flows')) {
  progress('login flows');
  const apps = new Map<Kind, App>();
  const contenders = CONTENDERS.filter((c) => FLOW_KINDS.has(c.kind));
  for (const c of contenders) apps.set(c.kind, await startApp(c.label, { kind: c.kind, store: 'memory' }));
  for (const delay of DELAYS) {
    await emulator.call('delay', { ms: delay });
    for (const c of CONCURRENCY) {
      progress(`flows: ${delay} ms per WeCom call, concurrency ${c}`);
      // The warm-up also makes the employees returning ones (the library remembers their verdicts).
      for (const { kind } of contenders) {
        const app = apps.get(kind);
        if (app) await flowsOf(app, c, { durationMs: P.flowWarmMs });
      }
      for (let round = 0; round < P.flowRounds; round++) {
        // Rotate the order each round.
        const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]);
        for (const contender of order) {
          const app = contender ? apps.get(contender.kind) : undefined;
          if (!contender || !app) continue;
          const profile = PROFILE_DIR !== undefined && delay === 0 && c === 16;
          if (profile) await app.proc.call('profile', { action: 'start' });
          const cpu0 = app.proc.cpuMs();
          const r = await flowsOf(app, c, { durationMs: P.flowMs, latencies: true });
          if (profile)
            await app.proc.call('profile', {
              action: 'stop',
              file: join(PROFILE_DIR, `${contender.kind}-0ms-c16-r${round}-${r.flows}logins.cpuprofile`),
            });
          if (r.errors > 0) progress(`${app.label} c=${c}: ${r.errors} failed flows, first: ${r.firstError ?? ''}`);
          const sample: FlowSample = {
            delay,
            concurrency: c,
            kind: contender.kind,
            rate: r.rate,
            cpuMsPerLogin: (app.proc.cpuMs() - cpu0) / Math.max(1, r.flows),
            callbackP50: r.callbackP50 ?? Number.NaN,
            callbackP99: r.callbackP99 ?? Number.NaN,
            errors: r.errors,
          };
          results.flows.push(sample);
        }
      }
      await emulator.call('clear');
    }
  }
  await emulator.call('delay', { ms: 0 });
  for (const app of apps.values()) await stopApp(app);
}

// --- WeCom calls per 1,000 logins ----------------------------------------------------------

if (runs('calls')) {
  progress('WeCom calls per 1,000 logins');
  await emulator.call('delay', { ms: 30 });
  const count = async (id: string, label: string, origin: string, backends: string[], logins: number): Promise<void> => {
    await emulator.call('clear');
    const r = await driver.call<FlowResult>('flows', { origin, backends, path: '/page', concurrency: 16, count: logins, users: USERS });
    if (r.errors) progress(`${label}: ${r.errors} failed flows: ${r.firstError ?? ''}`);
    const calls = await emulator.call<{ byApi: Record<string, number>; total: number; errors: number }>('calls');
    const row: CallsRow = { id, label, logins: r.flows, failed: r.errors, byApi: calls.byApi, total: calls.total };
    results.calls.push(row);
    progress(
      `${label}: ${calls.total} calls for ${r.flows} logins (${exchangesOf(row)} exchanges, ${calls.byApi['user/get'] ?? 0} user/get)`,
    );
  };
  for (const { kind, label } of CONTENDERS) {
    const app = await startApp(label, { kind, store: 'memory' });
    await count(kind, label, app.baseUrl, [app.baseUrl], P.callLogins);
    await stopApp(app);
  }
  {
    const app = await startApp('lib first logins', { kind: 'lib', store: 'memory' });
    await count(
      'lib-first',
      `express-wecom-auth (defaults), first logins: ${USERS.length} employees, each once`,
      app.baseUrl,
      [app.baseUrl],
      USERS.length,
    );
    await stopApp(app);
  }
  {
    const app = await startApp('lib visibilityCacheMs 0', { kind: 'lib', store: 'memory', visibilityCacheMs: 0 });
    await count(
      'lib-no-memory',
      'express-wecom-auth, visibilityCacheMs: 0 (the check asked at every login)',
      app.baseUrl,
      [app.baseUrl],
      P.callLogins,
    );
    await stopApp(app);
  }
  const prefix = `bench${process.pid}-fleet:`;
  const fleet: App[] = [];
  const lbOrigin = 'http://app.bench.test:8080';
  for (let i = 0; i < 4; i++) fleet.push(await startApp(`lib#${i}`, { kind: 'lib', store: 'redis', prefix, baseUrl: lbOrigin }));
  await emulator.call('trust', { host: new URL(lbOrigin).host });
  await count(
    'fleet',
    'express-wecom-auth (defaults), 4 processes, one Redis',
    lbOrigin,
    fleet.map((a) => `http://127.0.0.1:${String(a.proc.hello['port'])}`),
    P.callLogins,
  );
  for (const app of fleet) await stopApp(app);
  await emulator.call('delay', { ms: 0 });
}

// --- the HTTP client -----------------------------------------------------------------------

if (runs('http')) {
  progress('the HTTP client');
  // Its own script (it also runs alone), in its own process; its table goes into the results.
  results.http = JSON.parse(
    execFileSync(process.execPath, [join(HERE, 'http-client.ts'), '--json'], {
      env: process.env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  ) as BenchResults['http'];
}

// --- memory (last: it gets what is left of the time budget) ---------------------------------

if (runs('memory')) {
  progress('memory');
  const app = await startApp('lib/redis (memory)', { kind: 'lib', store: 'redis' });
  const rows: MemoryRow[] = [];
  let done = 0;
  const marks = QUICK ? [P.memFirst, P.memTotal] : [P.memFirst, 25_000, 50_000, 75_000, P.memTotal];
  let stoppedEarly = false;
  for (const mark of marks) {
    while (done < mark) {
      // Leave ~15 s for the reports and shutdown.
      const left = BUDGET_MS - elapsed() - 15_000;
      if (left < 2_000) {
        stoppedEarly = true;
        break;
      }
      const r = await flowsOf(app, 64, { count: Math.min(mark - done, 5_000), durationMs: left });
      done += r.flows;
      if (r.errors) progress(`memory: ${r.errors} failed flows: ${r.firstError ?? ''}`);
      await emulator.call('clear');
    }
    if (done === 0) break;
    const usage = await fetchJson(`${app.baseUrl}/__bench/mem`);
    rows.push({ logins: done, rssProc: app.proc.rss(), rss: usage.rss, heapUsed: usage.heapUsed });
    progress(`memory: ${done} logins, RSS ${fmt(usage.rss / 2 ** 20, 1)} MB`);
    if (stoppedEarly) break;
  }
  results.memory = { rows, stoppedEarly };
  await stopApp(app);
}

// --- shutdown and reports ------------------------------------------------------------------

for (const proc of [...procs]) await proc.stop();
await rig.stop();
await redis.stop();

results.totalS = elapsed() / 1000;
const to = ONLY || PARTIAL ? scratch('bench-partial') : QUICK ? scratch('bench-quick') : FULL;
writeReports(results, to, QUICK && !ONLY && !PARTIAL ? join(HERE, 'RESULTS.quick.md') : undefined);
const goals = goalsOf(results);
for (const g of goals) progress(`${g.met ? 'met   ' : 'MISSED'} ${g.goal}: ${g.measured}${g.why ? ` (${g.why})` : ''}`);
progress(
  `done in ${fmt(results.totalS, 0)} s; ${goals.filter((g) => g.met).length} of ${goals.length} goals met; reports: ${[to.results, to.page, to.chart].map((f) => relative(ROOT, f)).join(', ')}`,
);
