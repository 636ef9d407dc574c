/**
 * The bench's goals and reports are computed from a run's data (bench/lib/results.ts): checked
 * here on made-up runs, so that a goal cannot read "met" when the data says otherwise.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderChart } from '../../bench/lib/chart.ts';
import { renderPerformancePage, renderResults } from '../../bench/lib/report.ts';
import { goalsOf } from '../../bench/lib/results.ts';
import type { BenchResults, FlowSample, Kind } from '../../bench/lib/results.ts';

function run(
  overrides: {
    rates?: Partial<Record<Kind, number>>;
    cpu?: Partial<Record<Kind, number>>;
    userGet?: number;
    firstUserGet?: number;
    guardLib?: number;
  } = {},
): BenchResults {
  const rates: Record<Kind, number> = { floor: 100, lib: 100, passport: 90, logto: 30, ...overrides.rates };
  const cpu: Record<Kind, number> = { floor: 1.5, lib: 1.7, passport: 1.8, logto: 5, ...overrides.cpu };
  const flows: FlowSample[] = [];
  for (const delay of [0, 30]) {
    for (const concurrency of [1, 16, 64]) {
      for (const kind of ['floor', 'lib', 'passport', 'logto'] as const) {
        for (const factor of [0.9, 1, 1.1]) {
          flows.push({
            delay,
            concurrency,
            kind,
            rate: rates[kind] * factor,
            cpuMsPerLogin: cpu[kind],
            callbackP50: 31,
            callbackP99: 40,
            errors: 0,
          });
        }
      }
    }
  }
  return {
    quick: false,
    machine: {
      cpus: 2,
      model: 'Test CPU <2>',
      memGiB: 8,
      os: 'Linux 6',
      node: 'v24.0.0',
      load: '0.10 0.20 0.30',
      commit: 'abc1234',
      date: '2026-01-02 03:04',
    },
    params: {
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
    },
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
    assert.equal(goal(run(), 'logins of 50 employees').met, true);
    assert.equal(goal(run({ userGet: 51 }), 'logins of 50 employees').met, false);
  });

  it('first logins: exactly two calls each', () => {
    assert.equal(goal(run(), 'first logins').met, true);
    assert.equal(goal(run({ firstUserGet: 49 }), 'first logins').met, false);
  });

  it('flows against the floor and passport, with the reason when missed', () => {
    assert.equal(goal(run(), 'the floor (0 ms, c=16)').met, true);
    const missed = goal(run({ rates: { lib: 80 } }), 'the floor (0 ms, c=16)');
    assert.equal(missed.met, false);
    assert.equal(missed.measured, '0.80×');
    assert.match(missed.why ?? '', /CPU\/login 1\.70 ms/);
    assert.equal(
      goal(run({ rates: { lib: 90 } }), 'passport-wechat-enterprise (30 ms, c=64)').met,
      false,
      'level with passport is not ahead',
    );
  });

  it('a ratio just under its threshold is not rounded up to it', () => {
    const g = goal(run({ rates: { lib: 99.8 } }), 'the floor (30 ms, c=1)');
    assert.equal(g.met, false);
    assert.equal(g.measured, '0.998×');
  });

  it('CPU per login within 0.3 ms of the floor, naming got when missed', () => {
    assert.equal(goal(run(), 'CPU per login').met, true);
    const missed = goal(run({ cpu: { lib: 2.1 } }), 'CPU per login');
    assert.equal(missed.met, false);
    assert.match(missed.why ?? '', /\+0\.40 ms/);
  });

  it('guard and memory', () => {
    assert.equal(goal(run(), 'guard').met, true);
    assert.equal(goal(run({ guardLib: 960 }), 'guard').met, false);
    assert.equal(goal(run(), 'RSS flat').met, true);
  });
});

describe('bench reports', () => {
  it("the summary page carries the run's figures, the chart and the link to the full results", () => {
    const page = renderPerformancePage(run({ rates: { lib: 80 } }), { chart: 'performance.svg', results: '../bench/RESULTS.md' });
    assert.match(page, /!\[[^\]]+\]\(performance\.svg\)/);
    assert.match(page, /\(\.\.\/bench\/RESULTS\.md\)/);
    assert.match(page, /1,051 +\| 1 gettoken \+ 1,000 code exchanges \+ 50 user\/get/);
    assert.match(page, /80\/s · 0\.80×/);
    assert.match(page, /Machine: 2 × Test CPU <2>/);
    assert.match(page, /flows ≥ 0\.95× the floor \(0 ms, c=1\) +\| 0\.80×/);
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
