/**
 * The bench's goals and reports are computed from a run's data (bench/lib/results.ts): checked
 * here on made-up runs, so that a goal cannot read "met" when the data says otherwise.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderChart } from '../../bench/lib/chart.ts';
import { goalsOf } from '../../bench/lib/goals.ts';
import { readmeSentence, renderPerformancePage, renderResults } from '../../bench/lib/report.ts';
import type { BenchResults, FlowSample, Kind } from '../../bench/lib/results.ts';
import { judge, withRounds } from '../../bench/lib/verdict.ts';

interface Overrides {
  rates?: Partial<Record<Kind, number>>;
  cpu?: Partial<Record<Kind, number>>;
  userGet?: number;
  firstUserGet?: number;
  guardLib?: number;
  /** Per round, the library's rate is multiplied by these (noise that is the library's alone). */
  libNoise?: number[];
  /** Table 7's CPU per login of the floor, the library and its node:https variant (rounds ±2 % for the two libraries). */
  gotShare?: { floor: number; lib: number; https: number };
}

/** Three rounds per cell for every contender, the rounds scaled alike (0.9, 1, 1.1) so that their ratios hold. */
function fakeFlows(overrides: Overrides): FlowSample[] {
  const rates: Record<Kind, number> = { floor: 100, lib: 100, passport: 90, logto: 30, ...overrides.rates };
  const cpu: Record<Kind, number> = { floor: 1.5, lib: 1.7, passport: 1.8, logto: 5, ...overrides.cpu };
  const flows: FlowSample[] = [];
  for (const delay of [0, 30]) {
    for (const concurrency of [1, 16, 64]) {
      for (const kind of ['floor', 'lib', 'passport', 'logto'] as const) {
        [0.9, 1, 1.1].forEach((factor, round) => {
          const noise = kind === 'lib' ? (overrides.libNoise?.[round] ?? 1) : 1;
          flows.push({
            delay,
            concurrency,
            kind,
            round,
            rate: rates[kind] * factor * noise,
            cpuMsPerLogin: cpu[kind],
            callbackP50: 31,
            callbackP99: 40,
            errors: 0,
            requestsPerFlow: 4,
            requestsFewest: 4,
            requestsMost: 4,
          });
        });
      }
    }
  }
  return flows;
}

function fakeGotShare(overrides: Overrides): BenchResults['gotShare'] {
  const g = { floor: 0.6, lib: 1.1, https: 0.7, ...overrides.gotShare };
  const rounds = (x: number, spread: number[]) => spread.map((f) => f * x);
  return {
    concurrency: 16,
    delay: 0,
    logins: 1500,
    rounds: 3,
    variant: 'The variant: a test.',
    rows: [
      { id: 'floor', label: 'floor', cpu: rounds(g.floor, [1, 1, 1]), rate: [1000, 1000, 1000], failed: 0 },
      { id: 'lib', label: 'lib', cpu: rounds(g.lib, [1, 1.02, 0.98]), rate: [700, 700, 700], failed: 0 },
      { id: 'lib-https', label: 'lib, node:https', cpu: rounds(g.https, [1, 1.02, 0.98]), rate: [900, 900, 900], failed: 0 },
    ],
  };
}

const MACHINE: BenchResults['machine'] = {
  cpus: 2,
  model: 'Test CPU <2>',
  memGiB: 8,
  os: 'Linux 6',
  node: 'v24.0.0',
  load: '0.10 0.20 0.30',
  commit: 'abc1234',
  date: '2026-01-02 03:04',
};

const PARAMS: BenchResults['params'] = {
  guardConnections: 16,
  guardWarmS: 2,
  guardS: 3,
  guardRounds: 2,
  flowWarmMs: 800,
  flowMs: 1600,
  flowRounds: 3,
  callLogins: 1000,
  memFirst: 10_000,
  memTotal: 100_000,
  concurrency: [1, 16, 64],
  delays: [0, 30],
  employees: 50,
};

function run(overrides: Overrides = {}): BenchResults {
  const flows = fakeFlows(overrides);
  return {
    quick: false,
    machine: { ...MACHINE },
    params: { ...PARAMS },
    guard: [
      {
        store: 'memory',
        base: [1000, 1000],
        lib: [overrides.guardLib ?? 990, overrides.guardLib ?? 990],
        baseP99: [5, 5],
        libP99: [5, 5],
        bad: 0,
      },
    ],
    flows,
    calls: [
      { id: 'floor', label: 'floor', logins: 1000, failed: 0, byApi: { gettoken: 1, 'user/getuserinfo': 1000 }, total: 1001 },
      {
        id: 'lib',
        label: 'express-wecom-auth (defaults)',
        logins: 1000,
        failed: 0,
        byApi: { gettoken: 1, 'user/getuserinfo': 1000, 'user/get': overrides.userGet ?? 50 },
        total: 1001 + (overrides.userGet ?? 50),
      },
      {
        id: 'lib-first',
        label: 'first logins',
        logins: 50,
        failed: 0,
        byApi: { gettoken: 1, 'user/getuserinfo': 50, 'user/get': overrides.firstUserGet ?? 50 },
        total: 51 + (overrides.firstUserGet ?? 50),
      },
    ],
    memory: {
      rows: [
        { logins: 10_000, rssProc: 300e6, rss: 300e6, heapUsed: 30e6 },
        { logins: 100_000, rssProc: 310e6, rss: 310e6, heapUsed: 31e6 },
      ],
      stoppedEarly: false,
    },
    http: {
      calls: 2000,
      rounds: 3,
      rows: [
        {
          concurrency: 16,
          https: [0.2, 0.2, 0.2],
          got: [0.6, 0.6, 0.6],
          gotPerCall: [0.8, 0.8, 0.8],
          sockets: { https: 16, got: 16, gotPerCall: 16 },
        },
      ],
    },
    gotShare: fakeGotShare(overrides),
    totalS: 500,
  };
}

const goal = (r: BenchResults, text: string) => {
  const found = goalsOf(r).find((g) => g.goal.includes(text));
  assert.ok(found, `no goal matching ${text}`);
  return found;
};

describe('bench goals from a run', () => {
  it('returning employees: at most one user/get per employee, else missed', () => {
    assert.equal(goal(run(), 'logins of 50 employees').verdict, 'met');
    assert.equal(goal(run({ userGet: 51 }), 'logins of 50 employees').verdict, 'missed');
  });

  it('first logins: exactly two calls each', () => {
    assert.equal(goal(run(), 'first logins').verdict, 'met');
    assert.equal(goal(run({ firstUserGet: 49 }), 'first logins').verdict, 'missed');
  });

  it('logins at 30 ms against the floor (0.97 at 1 and 16, 0.90 at 64) and passport, with the reason when missed', () => {
    assert.equal(goal(run(), 'the floor (30 ms, c=16)').verdict, 'met');
    const missed = goal(run({ rates: { lib: 80 } }), '0.97× the floor (30 ms, c=16)');
    assert.equal(missed.verdict, 'missed');
    assert.equal(missed.measured, '0.80× (rounds 0.80–0.80×)');
    assert.match(missed.why ?? '', /CPU\/login 1\.70 ms against 1\.50/);
    assert.equal(goal(run({ rates: { lib: 92 } }), '0.90× the floor (30 ms, c=64)').verdict, 'met');
    assert.equal(goal(run({ rates: { lib: 92 } }), '0.97× the floor (30 ms, c=1)').verdict, 'missed');
    assert.equal(goal(run({ rates: { lib: 89 } }), 'not behind passport-wechat-enterprise (30 ms, c=64)').verdict, 'missed');
    assert.equal(
      goal(run({ rates: { lib: 90 } }), 'not behind passport-wechat-enterprise (30 ms, c=64)').verdict,
      'met',
      'level is not behind',
    );
  });

  it('the 0 ms cells are reported, not judged', () => {
    assert.equal(
      goalsOf(run()).some((g) => g.goal.includes('(0 ms')),
      false,
    );
  });

  it('a goal whose threshold lies inside the rounds is not resolved, whichever side the median is on', () => {
    // Rounds 0.95, 1.00, 0.90 of the floor: median 0.95 (under 0.97), one round above it.
    const under = goal(run({ libNoise: [0.95, 1.0, 0.9] }), '0.97× the floor (30 ms, c=1)');
    assert.equal(under.verdict, 'not resolved');
    assert.match(under.measured, /\(rounds 0\.90–1\.00×\)/);
    assert.match(under.why ?? '', /inside the rounds' spread/);
    // Median 0.98 (over 0.97), one round under it.
    assert.equal(goal(run({ libNoise: [0.98, 1.0, 0.96] }), '0.97× the floor (30 ms, c=1)').verdict, 'not resolved');
    // Every round under: missed; every round over: met.
    assert.equal(goal(run({ libNoise: [0.9, 0.92, 0.91] }), '0.97× the floor (30 ms, c=1)').verdict, 'missed');
    assert.equal(goal(run({ libNoise: [0.98, 1.0, 0.99] }), '0.97× the floor (30 ms, c=1)').verdict, 'met');
  });

  it('a ratio just under its threshold is not rounded up to it', () => {
    const g = goal(run({ rates: { lib: 96.8 } }), '0.97× the floor (30 ms, c=1)');
    assert.equal(g.verdict, 'missed');
    assert.match(g.measured, /^0\.968×/);
  });

  it("the library's own CPU per login within 0.2 ms of the floor's, got taken out (table 7)", () => {
    assert.equal(goal(run(), "library's own CPU").verdict, 'met');
    const missed = goal(run({ gotShare: { floor: 0.6, lib: 1.2, https: 0.9 } }), "library's own CPU");
    assert.equal(missed.verdict, 'missed');
    assert.match(missed.measured, /^\+0\.30 ms \(rounds 0\.28–0\.32 ms\)/);
    assert.match(missed.why ?? '', /got's share on top: \+0\.30 ms per login; the whole gap \+0\.60 ms/);
    // 0.6 + 0.2 = 0.8 with rounds of ±2 %: 0.784–0.816 straddles the threshold.
    assert.equal(goal(run({ gotShare: { floor: 0.6, lib: 1.2, https: 0.8 } }), "library's own CPU").verdict, 'not resolved');
  });

  it('guard and memory', () => {
    assert.equal(goal(run(), 'guard').verdict, 'met');
    assert.equal(goal(run({ guardLib: 960 }), 'guard').verdict, 'missed');
    assert.equal(goal(run(), 'RSS flat').verdict, 'met');
  });
});

describe('verdicts', () => {
  it('judge: the median decides only when every round is on its side', () => {
    assert.equal(judge(1.0, 0.97, 'at least'), 'met');
    assert.equal(judge(0.96, 0.97, 'at least', [0.95]), 'missed', 'one round is no spread');
    assert.equal(judge(0.96, 0.97, 'at least', [0.95, 0.96]), 'missed');
    assert.equal(judge(0.96, 0.97, 'at least', [0.95, 0.97]), 'not resolved', 'a round at the threshold meets it');
    assert.equal(judge(0.15, 0.2, 'at most', [0.1, 0.19]), 'met');
    assert.equal(judge(0.15, 0.2, 'at most', [0.1, 0.25]), 'not resolved');
    assert.equal(judge(0.25, 0.2, 'at most', [0.21, 0.3]), 'missed');
    assert.equal(judge(Number.NaN, 0.2, 'at most'), 'not resolved', 'nothing measured is not a verdict');
    assert.equal(judge(0.96, 0.97, 'at least', [Number.NaN, 0.95, 0.96]), 'missed', 'a round without a figure is left out');
  });

  it('withRounds: the range beside the figure, only when there are rounds', () => {
    assert.equal(withRounds('0.93×', [0.9, 1.02, 0.95]), '0.93× (rounds 0.90–1.02×)');
    assert.equal(withRounds('0.93×', [0.9]), '0.93×');
    assert.equal(withRounds('+0.40 ms', [0.31, 0.52], 2, ' ms'), '+0.40 ms (rounds 0.31–0.52 ms)');
  });
});

describe('bench reports', () => {
  it("the summary page carries the run's figures, the chart and the link to the full results", () => {
    const page = renderPerformancePage(run({ rates: { lib: 80 } }), { chart: 'performance.svg', results: '../bench/RESULTS.md' });
    assert.match(page, /!\[[^\]]+\]\(performance\.svg\)/);
    assert.match(page, /\(\.\.\/bench\/RESULTS\.md\)/);
    assert.match(page, /1,051 +\| 1 gettoken \+ 1,000 code exchanges \+ 50 user\/get/);
    assert.match(page, /80\/s · 0\.80× \(rounds 0\.80–0\.80×\)/);
    assert.match(page, /Machine: 2 × Test CPU <2>/);
    assert.match(page, /logins ≥ 0\.97× the floor \(30 ms, c=1\) +\| \*\*missed\*\* +\| 0\.80×/);
  });

  it("the README's sentence: got per WeCom call inside the app, and the worst 30 ms cell at 1 and 16 at once", () => {
    const sentence = readmeSentence(run({ rates: { lib: 98 } })) ?? '';
    // got's share per login 0.40 ms over 1.05 WeCom calls per login (1,050 calls for 1,000 logins, gettoken aside).
    assert.match(sentence, /^got costs about 0\.38 ms of CPU per WeCom call \(inside the app; 0\.40 ms in a process doing nothing else\)/);
    assert.match(sentence, /a login is within 2% of the floor \(1 at once 0\.98×, 16 at once 0\.98×\)\.$/);
    const page = renderPerformancePage(run(), { chart: 'performance.svg', results: '../bench/RESULTS.md' });
    assert.match(page, /## got's share, in one sentence\n\n> got costs about/);
    assert.match(page, /load average at start 0\.10 0\.20 0\.30/);
  });

  it("table 7 names got per login and the library's own work, and the requests per flow are shown", () => {
    const text = renderResults(run(), '');
    assert.match(text, /### 7\. got's share per login/);
    assert.match(text, /\*\*got's share per login\*\*: \+0\.40 ms \(rounds 0\.39–0\.41 ms\)/);
    assert.match(text, /\*\*The library's own work per login\*\* over the floor's, got taken out: \+0\.10 ms/);
    assert.match(text, /requests per flow/);
    assert.match(text, /\| 4 +\|/);
  });

  it('the full results end with the goals and the notes', () => {
    const text = renderResults(run(), '### Notes\n\nwhy');
    assert.match(text, /### Goals/);
    assert.match(text, /### Notes\n\nwhy\n$/);
  });

  it('the chart: one bar per contender and cell, text escaped', () => {
    const r = run({ rates: { lib: 80 } });
    r.machine.node = 'v24<&>';
    const svg = renderChart(r);
    assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
    assert.equal((svg.match(/<rect x=/g) ?? []).length, 24);
    assert.ok(svg.includes('Node v24&lt;&amp;&gt;') && !svg.includes('v24<&>'), 'text is escaped');
    assert.match(svg, />80 · 0\.80×</);
  });
});
