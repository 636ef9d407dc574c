/**
 * The issue's goals, each computed from a run (bench/lib/results.ts) and judged on its rounds
 * (bench/lib/verdict.ts): met, missed, or not resolved when the threshold lies inside the rounds'
 * spread. For a goal not met, `why` says what the run itself shows.
 */
import { fmt, median } from './stats.ts';
import { GOAL, cpuOf, exchangesOf, guardRatio, guardRounds, pairedRatios, rateOf, ratioText } from './results.ts';
import type { BenchResults, CallsRow, Kind } from './results.ts';
import { gotShares } from './shares.ts';
import { judge, withRounds } from './verdict.ts';
import type { Verdict } from './verdict.ts';

export interface Goal {
  goal: string;
  verdict: Verdict;
  measured: string;
  /** For a goal not met: what the run shows about why. */
  why?: string;
}

const exact = (ok: boolean): Verdict => (ok ? 'met' : 'missed');

function callGoals(r: BenchResults): Goal[] {
  const goals: Goal[] = [];
  const callsRow = (id: string): CallsRow | undefined => r.calls.find((row) => row.id === id);
  const employees = r.params.employees;
  for (const [id, what] of [
    ['lib', `defaults, LOGINS logins of ${employees} employees`],
    ['fleet', '4 processes on one Redis'],
  ] as const) {
    const row = callsRow(id);
    if (!row) continue;
    const gettoken = row.byApi['gettoken'] ?? 0;
    const userGet = row.byApi['user/get'] ?? 0;
    const exchanges = exchangesOf(row);
    goals.push({
      goal: `WeCom calls, ${what.replace('LOGINS', fmt(row.logins, 0))}: 1 gettoken + 1 exchange per login + at most ${employees} user/get`,
      verdict: exact(row.failed === 0 && gettoken === 1 && exchanges === row.logins && userGet <= employees),
      measured: `${gettoken} gettoken + ${fmt(exchanges, 0)} exchanges + ${userGet} user/get`,
    });
  }
  const first = callsRow('lib-first');
  if (first) {
    const userGet = first.byApi['user/get'] ?? 0;
    const exchanges = exchangesOf(first);
    goals.splice(1, 0, {
      goal: 'WeCom calls, defaults, first logins: exactly 2 per login (exchange + user/get)',
      verdict: exact(first.failed === 0 && exchanges === first.logins && userGet === first.logins),
      measured: `${fmt((exchanges + userGet) / Math.max(1, first.logins), 2)} per login (+${first.byApi['gettoken'] ?? 0} gettoken)`,
    });
  }
  return goals;
}

/** One flows goal: the library's median rate over `other`'s in a cell, judged on the rounds' own ratios. */
function flowGoal(r: BenchResults, delay: number, c: number, other: Kind, threshold: number, goal: string): Goal {
  const x = rateOf(r, delay, c, 'lib').median / rateOf(r, delay, c, other).median;
  const rounds = pairedRatios(r, delay, c, 'lib', other);
  const verdict = judge(x, threshold, 'at least', rounds);
  const cpu = `CPU/login ${fmt(cpuOf(r, delay, 'lib', c), 2)} ms against ${fmt(cpuOf(r, delay, other, c), 2)}`;
  return {
    goal,
    verdict,
    measured: withRounds(ratioText(x, threshold), rounds),
    ...(verdict === 'met' ? {} : { why: verdict === 'not resolved' ? `the threshold is inside the rounds' spread; ${cpu}` : cpu }),
  };
}

function flowGoals(r: BenchResults): Goal[] {
  const has = (kind: Kind): boolean => r.flows.some((s) => s.kind === kind && s.delay === 30);
  if (!has('lib') || !has('floor')) return [];
  const goals: Goal[] = [];
  const cs = r.params.concurrency;
  for (const c of cs) {
    const t = c >= 64 ? GOAL.flows30c64 : GOAL.flows30;
    goals.push(flowGoal(r, 30, c, 'floor', t, `logins ≥ ${t.toFixed(2)}× the floor (30 ms, c=${c})`));
  }
  if (has('passport'))
    for (const c of cs)
      goals.push(flowGoal(r, 30, c, 'passport', GOAL.passport30, `not behind passport-wechat-enterprise (30 ms, c=${c})`));
  if (cs.includes(1) && has('logto')) {
    const g = flowGoal(r, 30, 1, 'logto', GOAL.logto30c1, `≥ ${GOAL.logto30c1}× @logto/connector-wecom (30 ms, c=1)`);
    const floorX = rateOf(r, 30, 1, 'floor').median / rateOf(r, 30, 1, 'logto').median;
    goals.push(g.verdict === 'met' ? g : { ...g, why: `the floor itself reaches ${ratioText(floorX)} of the connector in this run` });
  }
  return goals;
}

function cpuGoal(r: BenchResults): Goal[] {
  const s = gotShares(r);
  if (!s.own) return [];
  const verdict = judge(s.own.ms, GOAL.ownCpuMs, 'at most', s.own.rounds);
  const signed = (ms: number): string => `${ms >= 0 ? '+' : ''}${fmt(ms, 2)} ms`;
  return [
    {
      goal: `the library's own CPU per login within ${GOAL.ownCpuMs} ms of the floor's (got taken out, table 7)`,
      verdict,
      measured: withRounds(signed(s.own.ms), s.own.rounds, 2, ' ms'),
      ...(verdict === 'met'
        ? {}
        : {
            why: `got's share on top: ${s.perLogin ? signed(s.perLogin.ms) : '?'} per login; the whole gap ${s.total ? signed(s.total.ms) : '?'}`,
          }),
    },
  ];
}

function guardAndMemoryGoals(r: BenchResults): Goal[] {
  const goals: Goal[] = [];
  for (const g of r.guard) {
    const x = guardRatio(g);
    const rounds = guardRounds(g);
    const verdict = judge(x, GOAL.guard, 'at least', rounds.all);
    const cpu =
      g.baseCpuUs && g.libCpuUs ? `; CPU per request ${fmt(median(g.libCpuUs), 0)} µs against ${fmt(median(g.baseCpuUs), 0)}` : '';
    goals.push({
      goal: `guard ≥ ${GOAL.guard.toFixed(2)}× express-session alone (${g.store} store)`,
      verdict,
      measured: withRounds(ratioText(x, GOAL.guard), rounds.all),
      ...(verdict === 'met' ? {} : { why: `the rounds' own ratios range ${rounds.min.toFixed(2)}–${rounds.max.toFixed(2)}${cpu}` }),
    });
  }
  const rows = r.memory?.rows ?? [];
  const firstRow = rows[0];
  const last = rows[rows.length - 1];
  if (r.memory && firstRow && last) {
    const x = last.rss / firstRow.rss;
    const verdict = exact(x <= GOAL.rss && !r.memory.stoppedEarly);
    goals.push({
      goal: `RSS flat (≤ ${GOAL.rss.toFixed(2)}×) from ${fmt(firstRow.logins, 0)} to ${fmt(r.params.memTotal, 0)} logins`,
      verdict,
      measured: `${ratioText(x, GOAL.rss)} at ${fmt(last.logins, 0)} logins`,
      ...(verdict === 'met'
        ? {}
        : {
            why: r.memory.stoppedEarly
              ? 'the time budget ran out before the last mark'
              : `heap used ${fmt(firstRow.heapUsed / 2 ** 20, 1)} → ${fmt(last.heapUsed / 2 ** 20, 1)} MB`,
          }),
    });
  }
  return goals;
}

/** The goals, each computed from the run. */
export function goalsOf(r: BenchResults): Goal[] {
  return [...callGoals(r), ...flowGoals(r), ...cpuGoal(r), ...guardAndMemoryGoals(r)];
}

export function countVerdicts(goals: readonly Goal[]): Record<Verdict, number> {
  const n: Record<Verdict, number> = { met: 0, missed: 0, 'not resolved': 0 };
  for (const g of goals) n[g.verdict] += 1;
  return n;
}
