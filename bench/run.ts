/**
 * `npm run bench`: the performance goals of issues 10 and 20 measured in one run, side by side, and
 * the reports written from that run alone (bench/lib/outputs.ts).
 *
 * Processes: the WeCom emulator (HTTPS, self-signed certificate, 50 members in the app's visible
 * range), a private redis-server, one process per server under test (with the DNS preload, so
 * WeCom's real host names reach the emulator), and one load-generating process (the driver: login
 * flows, autocannon). The processes under test run on the last core, the rest on the others
 * (bench/lib/pin.ts). Samples of the contenders being compared are interleaved round by round, so
 * that the machine's noise hits all of them alike; each figure is the median of the rounds with the
 * spread of the rounds beside it, and a goal whose threshold lies inside that spread is reported as
 * not resolved (bench/lib/verdict.ts).
 *
 * BENCH_QUICK=1           a smoke run (short samples, one round, few logins): bench/RESULTS.quick.md,
 *                         and the summary in scratch/bench-quick/.
 * BENCH_ONLY=flows,calls  only these phases (guard, flows, calls, http, gotshare, memory), written to
 *                         scratch/bench-partial/.
 * BENCH_CPU_PROF=<dir>    V8 CPU profiles of each contender's measured samples in the cells of
 *                         BENCH_CPU_PROF_CELLS (default 0:16,0:64,30:64, as delay:concurrency), start-up
 *                         and warm-up left out (read them with `node bench/profile-summary.ts <dir> --match lib-`).
 * BENCH_DELAYS=0 BENCH_CONCURRENCY=16 BENCH_CONTENDERS=floor,lib   fewer flow cells (development).
 * BENCH_ROUNDS=N BENCH_ROUND_FLOWS=300   N rounds per flow cell, each of 300 flows instead of a duration.
 * BENCH_PIN=0 BENCH_WECOM_TLS=0 BENCH_DRIVER=fetch BENCH_FLOOR_HTTP=got   the experiments of
 *                         bench/NOTES.md: nothing pinned; the emulator on plain HTTP (floor and library
 *                         only); the driver on fetch; the floor calling WeCom through got.
 * BENCH_DRIVER_WORK_MS=N  the driver burns N ms of CPU per flow (a heavier load generator).
 * node bench/run.ts --render [results.json]   rewrite the reports from a run's data (after an
 *                         edit of bench/NOTES.md or of the report code), measuring nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { startRedisServer } from '../test/helpers/redis-server.ts';
import { createContext } from './lib/context.ts';
import type { Params } from './lib/context.ts';
import { countVerdicts, goalsOf } from './lib/goals.ts';
import { machine } from './lib/machine.ts';
import { FULL, besides, scratch, shown, writeReports } from './lib/outputs.ts';
import { CONTENDERS } from './lib/results.ts';
import type { BenchResults, Kind } from './lib/results.ts';
import { startRig } from './lib/rig.ts';
import { fmt } from './lib/stats.ts';
import { flowSummary } from './lib/summary.ts';
import { runCalls } from './phases/calls.ts';
import { runFlows } from './phases/flows.ts';
import { runGotShare } from './phases/got-share.ts';
import { runGuard } from './phases/guard.ts';
import { runMemory } from './phases/memory.ts';

const HERE = import.meta.dirname;
const ROOT = join(HERE, '..');

if (process.argv[2] === '--render') {
  const file = process.argv[3] ?? FULL.json;
  writeReports(JSON.parse(readFileSync(file, 'utf8')) as BenchResults, besides(file));
  console.log(`reports rewritten from ${relative(ROOT, file)}`);
  process.exit(0);
}

const env = process.env;
const QUICK = env['BENCH_QUICK'] === '1';
const PHASES = ['guard', 'flows', 'calls', 'http', 'gotshare', 'memory'] as const;
const envList = (name: string): string[] | undefined =>
  env[name]
    ?.split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
const ONLY = envList('BENCH_ONLY') ? new Set(envList('BENCH_ONLY')) : undefined;
for (const phase of ONLY ?? [])
  if (!(PHASES as readonly string[]).includes(phase)) throw new Error(`BENCH_ONLY: unknown phase ${phase}; use ${PHASES.join(', ')}`);
const runs = (phase: (typeof PHASES)[number]): boolean => ONLY === undefined || ONLY.has(phase);
const EXPERIMENT = [
  'BENCH_PIN',
  'BENCH_WECOM_TLS',
  'BENCH_DRIVER',
  'BENCH_FLOOR_HTTP',
  'BENCH_DRIVER_WORK_MS',
  'BENCH_ROUNDS',
  'BENCH_ROUND_FLOWS',
];
const PARTIAL = ['BENCH_DELAYS', 'BENCH_CONCURRENCY', 'BENCH_CONTENDERS', ...EXPERIMENT].some((name) => env[name]);

const P: Params = {
  ...(QUICK
    ? { guardConnections: 16, guardWarmS: 1, guardS: 1, guardRounds: 2, flowWarmMs: 300, flowMs: 700, flowRounds: 2 }
    : { guardConnections: 16, guardWarmS: 2, guardS: 2, guardRounds: 5, flowWarmMs: 600, flowMs: 1_200, flowRounds: 5 }),
  ...(QUICK
    ? { callLogins: 200, memFirst: 1_000, memTotal: 3_000, gotShareLogins: 300, gotShareRounds: 2 }
    : { callLogins: 1_000, memFirst: 10_000, memTotal: 100_000, gotShareLogins: 1_500, gotShareRounds: 7 }),
};
if (env['BENCH_ROUNDS']) P.flowRounds = Number(env['BENCH_ROUNDS']);
const ROUND_FLOWS = env['BENCH_ROUND_FLOWS'] ? Number(env['BENCH_ROUND_FLOWS']) : undefined;
const CONCURRENCY = envList('BENCH_CONCURRENCY')?.map(Number) ?? [1, 16, 64];
const DELAYS = envList('BENCH_DELAYS')?.map(Number) ?? [0, 30];
const PLAIN = env['BENCH_WECOM_TLS'] === '0';
const KINDS = new Set(
  (envList('BENCH_CONTENDERS') ?? CONTENDERS.map((c) => c.kind).filter((k) => !PLAIN || k === 'floor' || k === 'lib')) as Kind[],
);
if (PLAIN && [...KINDS].some((k) => k !== 'floor' && k !== 'lib'))
  throw new Error('BENCH_WECOM_TLS=0: only the floor and the library can be told a plain-HTTP WeCom; BENCH_CONTENDERS=floor,lib');
if (PLAIN && (runs('guard') || runs('calls') || runs('memory') || runs('gotshare')) && !ONLY)
  throw new Error('BENCH_WECOM_TLS=0 is an experiment on the flows: use BENCH_ONLY=flows');
if (env['BENCH_DRIVER'] === 'fetch' && !PLAIN)
  throw new Error('BENCH_DRIVER=fetch needs BENCH_WECOM_TLS=0 (bench/lib/browser.ts says why)');

// --- setup ---------------------------------------------------------------------------------

if (env['BENCH_CPU_PROF']) mkdirSync(env['BENCH_CPU_PROF'], { recursive: true });

const redis = await startRedisServer();
const rig = await startRig();
const results: BenchResults = {
  quick: QUICK,
  machine: machine(),
  params: {
    ...P,
    concurrency: CONCURRENCY,
    delays: DELAYS,
    employees: 50,
    cores: rig.cores.describe(),
    wecomTls: !PLAIN,
    driver: env['BENCH_DRIVER'] === 'fetch' ? 'fetch' : 'http',
    ...(ROUND_FLOWS ? { roundFlows: ROUND_FLOWS } : {}),
  },
  guard: [],
  flows: [],
  calls: [],
  memory: undefined,
  http: undefined,
  totalS: 0,
};
const ctx = createContext({
  P,
  quick: QUICK,
  rig,
  redis,
  results,
  roundFlows: ROUND_FLOWS,
  profileDir: env['BENCH_CPU_PROF'],
  // The whole run must end within about 10 minutes; the memory phase (last) gets what is left.
  budgetMs: Number(env['BENCH_BUDGET_MS'] ?? (QUICK ? 240_000 : 600_000)),
});
results.params.employees = ctx.users.length;
ctx.progress(rig.cores.describe());

// --- the phases, in order (memory last: it gets what is left of the time budget) -----------

if (runs('guard')) await runGuard(ctx);
if (runs('flows')) await runFlows(ctx, { delays: DELAYS, concurrency: CONCURRENCY, kinds: KINDS });
if (runs('calls')) await runCalls(ctx);
if (runs('http')) {
  ctx.progress('the HTTP client');
  // Its own script (it also runs alone), in its own processes (pinned by itself); its table goes into the results.
  const out = execFileSync(process.execPath, [join(HERE, 'http-client.ts'), '--json'], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  results.http = JSON.parse(out) as BenchResults['http'];
}
if (runs('gotshare')) await runGotShare(ctx);
if (runs('memory')) await runMemory(ctx);

// --- shutdown and reports ------------------------------------------------------------------

await ctx.stopAll();
await rig.stop();
await redis.stop();

results.totalS = ctx.elapsed() / 1000;
const to = ONLY || PARTIAL ? scratch('bench-partial') : QUICK ? scratch('bench-quick') : FULL;
writeReports(results, to, QUICK && !ONLY && !PARTIAL ? join(HERE, 'RESULTS.quick.md') : undefined);
const goals = goalsOf(results);
for (const g of goals) ctx.progress(`${g.verdict.padEnd(12)} ${g.goal}: ${g.measured}${g.why ? ` (${g.why})` : ''}`);
for (const line of flowSummary(results)) ctx.progress(line);
const n = countVerdicts(goals);
ctx.progress(
  `done in ${fmt(results.totalS, 0)} s; ${n.met} met, ${n.missed} missed, ${n['not resolved']} not resolved of ${goals.length} goals; reports: ${shown(to)}`,
);
