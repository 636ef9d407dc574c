/**
 * What one `npm run bench` measured, as data (bench/results.json), and the goals computed
 * from it. The reports (bench/RESULTS.md, docs/performance.md, docs/performance.svg) are rendered
 * from this data only, so that their figures cannot drift from the run.
 */
import { median, spread } from './stats.ts';
import type { Spread } from './stats.ts';

export type Kind = 'floor' | 'lib' | 'passport' | 'logto';

export const CONTENDERS: readonly { kind: Kind; label: string; short: string }[] = [
  { kind: 'floor', label: 'floor (hand-written minimum)', short: 'floor' },
  { kind: 'lib', label: 'express-wecom-auth (defaults)', short: 'express-wecom-auth' },
  { kind: 'passport', label: 'passport-wechat-enterprise', short: 'passport-wechat-enterprise' },
  { kind: 'logto', label: '@logto/connector-wecom', short: '@logto/connector-wecom' },
];

export interface Machine {
  cpus: number;
  model: string;
  memGiB: number;
  os: string;
  node: string;
  /** 1, 5 and 15 minute load averages when the run started. */
  load: string;
  commit: string;
  /** 'YYYY-MM-DD HH:MM' UTC */
  date: string;
}

export interface GuardResult {
  store: 'memory' | 'redis';
  /** req/s per round: express-session alone, and with the library's guard. */
  base: number[];
  lib: number[];
  baseP99: number[];
  libP99: number[];
  /** The app process's own CPU time per request, µs, per round (from /proc); absent in older runs. */
  baseCpuUs?: number[];
  libCpuUs?: number[];
  /** non-2xx answers and errors over all rounds (should be 0). */
  bad: number;
}

export interface FlowSample {
  delay: number;
  concurrency: number;
  kind: Kind;
  /** Which round of its cell (samples of one round were taken one after the other); absent in older runs. */
  round?: number;
  rate: number;
  cpuMsPerLogin: number;
  callbackP50: number;
  callbackP99: number;
  errors: number;
  /** Requests a completed flow took: on average, fewest, most (the login's shape, counted by the driver). */
  requestsPerFlow?: number;
  requestsFewest?: number;
  requestsMost?: number;
  /** The driver's and the emulator's CPU per login during the sample (the load that shares the machine). */
  driverMsPerLogin?: number;
  emulatorMsPerLogin?: number;
  /** The share of the machine's CPU that processes outside the bench used during the sample (0–1). */
  othersCpu?: number;
  /** The app's event-loop delay during the sample, p99 in ms. */
  lagP99?: number;
}

export interface CallsRow {
  /** 'floor' | 'lib' | 'passport' | 'logto' | 'lib-first' | 'lib-no-memory' | 'fleet' */
  id: string;
  label: string;
  logins: number;
  failed: number;
  byApi: Record<string, number>;
  total: number;
}

export interface MemoryRow {
  logins: number;
  rssProc: number;
  rss: number;
  heapUsed: number;
}

/** bench/http-client.ts: the caller's CPU ms per call, per round. */
export interface HttpClientResult {
  calls: number;
  rounds: number;
  /** The caller and the emulator on cores of their own (absent in older runs). */
  pinned?: boolean;
  rows: {
    concurrency: number;
    https: number[];
    got: number[];
    gotPerCall: number[];
    sockets: { https: number; got: number; gotPerCall: number };
  }[];
}

/**
 * got's share per login: the floor, the library, and the library with node:https in place of got
 * inside src/wecom/http.ts (bench/lib/variant.ts builds it), interleaved rounds of a fixed number
 * of logins, CPU time per login from /proc.
 */
export interface GotShareResult {
  concurrency: number;
  delay: number;
  logins: number;
  rounds: number;
  /** How the variant was made (or why it could not be: then rows has the floor and the library only). */
  variant: string;
  rows: { id: 'floor' | 'lib' | 'lib-https'; label: string; cpu: number[]; rate: number[]; failed: number }[];
}

export interface BenchResults {
  quick: boolean;
  machine: Machine;
  params: {
    guardConnections: number;
    guardWarmS: number;
    guardS: number;
    guardRounds: number;
    flowWarmMs: number;
    flowMs: number;
    flowRounds: number;
    callLogins: number;
    memFirst: number;
    memTotal: number;
    concurrency: number[];
    delays: number[];
    employees: number;
    /** Where the processes ran (bench/lib/pin.ts); absent in older runs. */
    cores?: string;
    /** false with BENCH_WECOM_TLS=0 (the emulator on plain HTTP); absent = true. */
    wecomTls?: boolean;
    /** The driver's HTTP client: node:http (default) or fetch (BENCH_DRIVER=fetch). */
    driver?: 'http' | 'fetch';
    /** BENCH_ROUND_FLOWS: rounds of this many flows instead of flowMs. */
    roundFlows?: number;
    gotShareLogins?: number;
    gotShareRounds?: number;
  };
  guard: GuardResult[];
  flows: FlowSample[];
  calls: CallsRow[];
  memory: { rows: MemoryRow[]; stoppedEarly: boolean } | undefined;
  http: HttpClientResult | undefined;
  gotShare?: GotShareResult | undefined;
  totalS: number;
}

export const CALL_APIS = ['gettoken', 'user/getuserinfo', 'auth/getuserinfo', 'user/get'] as const;
const EXCHANGES = ['user/getuserinfo', 'auth/getuserinfo'];

/** Issue 20's goals ("Performance, restated"), with issue 10's that it kept (guard, RSS, calls, Logto). */
export const GOAL = {
  guard: 0.97,
  /** Logins at 30 ms per WeCom call against the floor: at concurrency 1 and 16, and at 64. */
  flows30: 0.97,
  flows30c64: 0.9,
  /** Not behind passport-wechat-enterprise in any cell at 30 ms. */
  passport30: 1.0,
  logto30c1: 3,
  /** The library's own CPU per login over the floor's, got taken out (the node:https variant). */
  ownCpuMs: 0.2,
  rss: 1.1,
};

/** The contenders a run has flow samples of (a partial run measures fewer). */
export function present(r: BenchResults): typeof CONTENDERS {
  return CONTENDERS.filter((c) => r.flows.some((s) => s.kind === c.kind));
}

export function samplesOf(r: BenchResults, delay: number, c: number, kind: Kind): FlowSample[] {
  return r.flows.filter((s) => s.delay === delay && s.concurrency === c && s.kind === kind);
}
export function rateOf(r: BenchResults, delay: number, c: number, kind: Kind): Spread {
  return spread(samplesOf(r, delay, c, kind).map((s) => s.rate));
}
/** The app's own CPU per login, at concurrency 16 (the CPU-bound cell with the emulator answering at once). */
export function cpuOf(r: BenchResults, delay: number, kind: Kind, c = 16): number {
  return median(samplesOf(r, delay, c, kind).map((s) => s.cpuMsPerLogin));
}

/**
 * Round by round, a over b in one cell: the samples of a round were taken one after the other, so
 * the machine moved least between them; the spread of these is what the verdicts read.
 */
export function pairedRatios(
  r: BenchResults,
  delay: number,
  c: number,
  a: Kind,
  b: Kind,
  field: 'rate' | 'cpuMsPerLogin' = 'rate',
): number[] {
  return paired(r, delay, c, a, b, field, (x, y) => x / y);
}
/** Round by round, a less b in one cell (CPU per login: the difference, not the ratio, is what the goals state). */
export function pairedDiffs(
  r: BenchResults,
  delay: number,
  c: number,
  a: Kind,
  b: Kind,
  field: 'rate' | 'cpuMsPerLogin' = 'cpuMsPerLogin',
): number[] {
  return paired(r, delay, c, a, b, field, (x, y) => x - y);
}
function paired(
  r: BenchResults,
  delay: number,
  c: number,
  a: Kind,
  b: Kind,
  field: 'rate' | 'cpuMsPerLogin',
  op: (x: number, y: number) => number,
): number[] {
  const byRound = (kind: Kind): Map<number, number> =>
    new Map(samplesOf(r, delay, c, kind).map((s, i) => [s.round ?? i, s[field]] as const));
  const y = byRound(b);
  return [...byRound(a)].flatMap(([round, v]) => {
    const w = y.get(round);
    return w === undefined ? [] : [op(v, w)];
  });
}

/** The guard's ratio: the library's median req/s over the baseline's (the two figures shown beside it). */
export function guardRatio(g: GuardResult): number {
  return median(g.lib) / median(g.base);
}

/** The ratios of the rounds, each round's two samples taken back to back: how much the machine moved. */
export function guardRounds(g: GuardResult): { min: number; max: number; all: number[] } {
  const all = g.lib.map((v, i) => v / (g.base[i] ?? Number.NaN));
  const s = spread(all);
  return { min: s.min, max: s.max, all };
}

export function exchangesOf(row: CallsRow): number {
  return EXCHANGES.reduce((n, api) => n + (row.byApi[api] ?? 0), 0);
}

/** A ratio with two decimals, three when two would round a miss up to its threshold. */
export function ratioText(value: number, threshold?: number): string {
  if (!Number.isFinite(value)) return '-';
  const two = value.toFixed(2);
  if (threshold !== undefined && value < threshold && Number(two) >= threshold) return `${value.toFixed(3)}×`;
  return `${two}×`;
}
