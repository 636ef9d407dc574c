/**
 * What one `npm run bench` measured, as data (bench/results.json), and the goals computed
 * from it. The reports (bench/RESULTS.md, docs/performance.md, docs/performance.svg) are rendered
 * from this data only, so that their figures cannot drift from the run.
 */
import { fmt, median, spread } from './stats.ts';
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
  /** non-2xx answers and errors over all rounds (should be 0). */
  bad: number;
}

export interface FlowSample {
  delay: number;
  concurrency: number;
  kind: Kind;
  rate: number;
  cpuMsPerLogin: number;
  callbackP50: number;
  callbackP99: number;
  errors: number;
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
  rows: {
    concurrency: number;
    https: number[];
    got: number[];
    gotPerCall: number[];
    sockets: { https: number; got: number; gotPerCall: number };
  }[];
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
  };
  guard: GuardResult[];
  flows: FlowSample[];
  calls: CallsRow[];
  memory: { rows: MemoryRow[]; stoppedEarly: boolean } | undefined;
  http: HttpClientResult | undefined;
  totalS: number;
}

export const CALL_APIS = ['gettoken', 'user/getuserinfo', 'auth/getuserinfo', 'user/get'] as const;
const EXCHANGES = ['user/getuserinfo', 'auth/getuserinfo'];

export const GOAL = {
  guard: 0.97,
  flows0: 0.95,
  flows30: 1.0,
  logto30c1: 3,
  cpuMs: 0.3,
  rss: 1.1,
};

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

/** The guard's ratio: the library's median req/s over the baseline's (the two figures shown beside it). */
export function guardRatio(g: GuardResult): number {
  return median(g.lib) / median(g.base);
}

/** The ratios of the rounds, each round's two samples taken back to back: how much the machine moved. */
export function guardRounds(g: GuardResult): { min: number; max: number } {
  const s = spread(g.lib.map((v, i) => v / (g.base[i] ?? Number.NaN)));
  return { min: s.min, max: s.max };
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

export interface Goal {
  goal: string;
  met: boolean;
  measured: string;
  /** For a miss: what the run shows about why. */
  why?: string;
}

/** The goals, each computed from the run. */
export function goalsOf(r: BenchResults): Goal[] {
  const goals: Goal[] = [];
  const callsRow = (id: string): CallsRow | undefined => r.calls.find((row) => row.id === id);
  const employees = r.params.employees;

  const returning = callsRow('lib');
  if (returning) {
    const gettoken = returning.byApi['gettoken'] ?? 0;
    const userGet = returning.byApi['user/get'] ?? 0;
    const exchanges = exchangesOf(returning);
    goals.push({
      goal: `WeCom calls, defaults, ${fmt(returning.logins, 0)} logins of ${employees} employees: 1 gettoken + 1 exchange per login + at most ${employees} user/get`,
      met: returning.failed === 0 && gettoken === 1 && exchanges === returning.logins && userGet <= employees,
      measured: `${gettoken} gettoken + ${fmt(exchanges, 0)} exchanges + ${userGet} user/get`,
    });
  }
  const first = callsRow('lib-first');
  if (first) {
    const userGet = first.byApi['user/get'] ?? 0;
    const exchanges = exchangesOf(first);
    goals.push({
      goal: 'WeCom calls, defaults, first logins: exactly 2 per login (exchange + user/get)',
      met: first.failed === 0 && exchanges === first.logins && userGet === first.logins,
      measured: `${fmt((exchanges + userGet) / Math.max(1, first.logins), 2)} per login (+${first.byApi['gettoken'] ?? 0} gettoken)`,
    });
  }
  const fleet = callsRow('fleet');
  if (fleet) {
    const gettoken = fleet.byApi['gettoken'] ?? 0;
    const userGet = fleet.byApi['user/get'] ?? 0;
    goals.push({
      goal: `WeCom calls, 4 processes on one Redis: 1 gettoken + 1 exchange per login + at most ${employees} user/get`,
      met: fleet.failed === 0 && gettoken === 1 && exchangesOf(fleet) === fleet.logins && userGet <= employees,
      measured: `${gettoken} gettoken + ${fmt(exchangesOf(fleet), 0)} exchanges + ${userGet} user/get`,
    });
  }

  if (r.flows.length > 0) {
    const cpuLib = cpuOf(r, 0, 'lib');
    const cpuFloor = cpuOf(r, 0, 'floor');
    const cpuPassport = cpuOf(r, 0, 'passport');
    const cpuWhy = `CPU/login ${fmt(cpuLib, 2)} ms against the floor's ${fmt(cpuFloor, 2)} and passport's ${fmt(cpuPassport, 2)}`;
    const roundsWhy = (delay: number, c: number, other: Kind): string => {
      const a = rateOf(r, delay, c, 'lib');
      const b = rateOf(r, delay, c, other);
      const overlap = a.max >= b.min && b.max >= a.min;
      return `rounds ${fmt(a.min, 0)}–${fmt(a.max, 0)} against ${fmt(b.min, 0)}–${fmt(b.max, 0)} flows/s${overlap ? ' (they overlap)' : ''}`;
    };
    for (const delay of r.params.delays) {
      const threshold = delay === 0 ? GOAL.flows0 : GOAL.flows30;
      for (const c of r.params.concurrency) {
        const x = rateOf(r, delay, c, 'lib').median / rateOf(r, delay, c, 'floor').median;
        goals.push({
          goal: `flows ≥ ${threshold.toFixed(2)}× the floor (${delay} ms, c=${c})`,
          met: x >= threshold,
          measured: ratioText(x, threshold),
          ...(x >= threshold ? {} : { why: `${roundsWhy(delay, c, 'floor')}; ${cpuWhy}` }),
        });
      }
    }
    for (const delay of r.params.delays) {
      for (const c of r.params.concurrency) {
        const x = rateOf(r, delay, c, 'lib').median / rateOf(r, delay, c, 'passport').median;
        goals.push({
          goal: `ahead of passport-wechat-enterprise (${delay} ms, c=${c})`,
          met: x > 1,
          measured: ratioText(x),
          ...(x > 1 ? {} : { why: `${roundsWhy(delay, c, 'passport')}; ${cpuWhy}` }),
        });
      }
    }
    if (r.params.delays.includes(30) && r.params.concurrency.includes(1)) {
      const x = rateOf(r, 30, 1, 'lib').median / rateOf(r, 30, 1, 'logto').median;
      goals.push({
        goal: `≥ ${GOAL.logto30c1}× @logto/connector-wecom (30 ms, c=1)`,
        met: x >= GOAL.logto30c1,
        measured: ratioText(x, GOAL.logto30c1),
        ...(x >= GOAL.logto30c1
          ? {}
          : {
              why: `the floor itself reaches ${ratioText(rateOf(r, 30, 1, 'floor').median / rateOf(r, 30, 1, 'logto').median)} of the connector in this run`,
            }),
      });
    }
    const d = cpuLib - cpuFloor;
    const http16 = r.http?.rows.find((row) => row.concurrency === 16);
    const gotExtra = http16 ? median(http16.got) - median(http16.https) : Number.NaN;
    goals.push({
      goal: `CPU per login within ${GOAL.cpuMs} ms of the floor (0 ms, c=16)`,
      met: d <= GOAL.cpuMs,
      measured: `${d >= 0 ? '+' : ''}${fmt(d, 2)} ms (${fmt(cpuLib, 2)} against ${fmt(cpuFloor, 2)})`,
      ...(d <= GOAL.cpuMs
        ? {}
        : {
            why: Number.isFinite(gotExtra)
              ? `got's own CPU per WeCom call, over node:https's (table 6, c=16): +${fmt(gotExtra, 2)} ms; the floor calls WeCom with node:https`
              : 'see table 6 (got against node:https)',
          }),
    });
  }

  for (const g of r.guard) {
    const x = guardRatio(g);
    const rounds = guardRounds(g);
    goals.push({
      goal: `guard ≥ ${GOAL.guard.toFixed(2)}× express-session alone (${g.store} store)`,
      met: x >= GOAL.guard,
      measured: `${ratioText(x, GOAL.guard)} (rounds ${rounds.min.toFixed(2)}–${rounds.max.toFixed(2)})`,
      ...(x >= GOAL.guard ? {} : { why: `the rounds' own ratios range ${rounds.min.toFixed(2)}–${rounds.max.toFixed(2)}` }),
    });
  }

  if (r.memory && r.memory.rows.length > 0) {
    const rows = r.memory.rows;
    const firstRow = rows[0];
    const last = rows[rows.length - 1];
    if (firstRow && last) {
      const x = last.rss / firstRow.rss;
      const met = x <= GOAL.rss && !r.memory.stoppedEarly;
      goals.push({
        goal: `RSS flat (≤ ${GOAL.rss.toFixed(2)}×) from ${fmt(firstRow.logins, 0)} to ${fmt(r.params.memTotal, 0)} logins`,
        met,
        measured: `${ratioText(x, GOAL.rss)} at ${fmt(last.logins, 0)} logins`,
        ...(met
          ? {}
          : {
              why: r.memory.stoppedEarly
                ? 'the time budget ran out before the last mark'
                : `heap used ${fmt(firstRow.heapUsed / 2 ** 20, 1)} → ${fmt(last.heapUsed / 2 ** 20, 1)} MB`,
            }),
      });
    }
  }
  return goals;
}
