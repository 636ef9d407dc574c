/**
 * The reports of a bench run, rendered from its data (results.ts) only:
 * - bench/RESULTS.md: every table, with the spread of each figure, the goals and the notes;
 * - docs/performance.md: one short table per question, for a reader in a hurry.
 */
import { fmt, fmtSpread, median, spread, table } from './stats.ts';
import {
  CALL_APIS,
  CONTENDERS,
  GOAL,
  cpuOf,
  exchangesOf,
  goalsOf,
  guardRatio,
  guardRounds,
  rateOf,
  ratioText,
  samplesOf,
} from './results.ts';
import type { BenchResults, Goal, HttpClientResult } from './results.ts';

const mb = (bytes: number): string => fmt(bytes / 2 ** 20, 1);

export function machineLine(r: BenchResults): string {
  const m = r.machine;
  return (
    `${m.cpus} × ${m.model}, ${m.memGiB} GiB RAM, ${m.os}, Node ${m.node}; load average at start ${m.load}; commit ${m.commit}; ${m.date} UTC` +
    (r.quick ? '; BENCH_QUICK=1 (smoke run, not for publishing)' : '')
  );
}

function delayTitle(delay: number): string {
  return delay === 0 ? 'Emulator answering at once' : `${delay} ms added to every WeCom call`;
}

function goalsTable(goals: readonly Goal[], withWhy: boolean): string {
  return table(
    ['goal', 'result', 'measured', ...(withWhy ? ['what the run shows'] : [])],
    goals.map((g) => [g.goal, g.met ? 'met' : '**missed**', g.measured, ...(withWhy ? [g.why ?? ''] : [])]),
  );
}

/** bench/RESULTS.md */
export function renderResults(r: BenchResults, notes: string): string {
  const out: string[] = [];
  const p = r.params;
  const print = (text = ''): void => {
    out.push(text);
  };
  print('## Performance: the full results');
  print();
  print(
    'Measured with `npm run bench` (`bench/`), everything in one run on one machine; the summary is [docs/performance.md](../docs/performance.md).',
  );
  print();
  print(`> ${machineLine(r)}`);
  print();
  print(
    `The library runs with its defaults (\`checkVisibility\` on, verdicts remembered for 5 minutes), and the driver logs in ${p.employees} employees of the emulator's corporation in turn, so that after the first ${p.employees} logins every login is a returning employee's.`,
  );
  print();

  if (r.flows.length > 0) {
    print('### 1. Login flows per second');
    print();
    print(
      'Complete logins (guarded page → authorize at the emulator → callback → code exchange → session saved → back on the page), ' +
        'each with a fresh cookie jar, by a separate driver process; every contender on express-session with the memory store, ' +
        `the emulator serving HTTPS under WeCom's real host names. ${p.flowRounds} interleaved rounds of ${p.flowMs / 1000} s per cell after a ${p.flowWarmMs / 1000} s warm-up; ` +
        'median flows/s (min–max) and the ratio to the floor. "CPU/login" is the app process\'s own CPU time per login at concurrency 16 (median of the rounds), ' +
        "which the shared machine's noise moves less than the rates.",
    );
    print();
    for (const delay of p.delays) {
      print(`**${delayTitle(delay)}**`);
      print();
      const rows = CONTENDERS.map(({ kind, label }) => [
        label,
        ...p.concurrency.map((c) => {
          const s = rateOf(r, delay, c, kind);
          return `${fmtSpread(s, 0)} · ${ratioText(s.median / rateOf(r, delay, c, 'floor').median)}`;
        }),
        `${fmt(cpuOf(r, delay, kind), 2)} ms`,
      ]);
      print(table(['contender', ...p.concurrency.map((c) => `c=${c}: flows/s · vs floor`), 'CPU/login'], rows));
      print();
      const failed = r.flows.filter((s) => s.delay === delay).reduce((n, s) => n + s.errors, 0);
      if (failed > 0) {
        print(`(${failed} flows failed in these samples; they are not counted.)`);
        print();
      }
    }

    if (p.delays.includes(30)) {
      print('### 2. Callback latency with 30 ms per WeCom call');
      print();
      print(
        'Time from sending the callback request (with code and state) to its 302 back to the page, from the same runs as table 1; ' +
          "median over the rounds of each round's p50 / p99, in ms. The floor's callback waits for exactly one WeCom call (30 ms) plus the session work.",
      );
      print();
      const rows = CONTENDERS.map(({ kind, label }) => [
        label,
        ...p.concurrency.map((c) => {
          const list = samplesOf(r, 30, c, kind);
          return `${fmt(median(list.map((s) => s.callbackP50)), 1)} / ${fmt(median(list.map((s) => s.callbackP99)), 1)}`;
        }),
      ]);
      print(table(['contender', ...p.concurrency.map((c) => `c=${c}: p50 / p99 ms`)], rows));
      print();
    }
  }

  if (r.calls.length > 0) {
    print(`### 3. WeCom calls per ${fmt(p.callLogins, 0)} logins`);
    print();
    print(
      `Each contender freshly started (no token cached), ${fmt(p.callLogins, 0)} logins of the ${p.employees} employees in turn at concurrency 16 with 30 ms per WeCom call, counted by the emulator. ` +
        `"First logins": ${p.employees} logins, each employee once, so that no verdict is remembered yet. ` +
        '"visibilityCacheMs: 0": the check asked at every login. The four-process row: four app processes sharing one Redis (sessions and token cache) behind a round-robin balancer (the driver sends every request to the next process).',
    );
    print();
    const rows = r.calls.map((row) => {
      const total = row.total;
      return [
        row.label,
        fmt(row.logins, 0) + (row.failed ? ` (+${row.failed} failed)` : ''),
        ...CALL_APIS.map((a) => fmt(row.byApi[a] ?? 0, 0)),
        fmt(total, 0),
        fmt((total - (row.byApi['gettoken'] ?? 0)) / Math.max(1, row.logins), 2),
      ];
    });
    print(table(['contender', 'logins', ...CALL_APIS, 'total', 'calls per login, gettoken aside'], rows));
    print();
  }

  if (r.guard.length > 0) {
    print('### 4. Guard overhead: requests per second of a guarded route, logged in');
    print();
    print(
      `autocannon (${p.guardConnections} connections, separate process) against \`GET /page\` with a logged-in session cookie; ` +
        'baseline: the same route behind express-session alone (a hand-written "is there a user in the session?" check), same store. ' +
        `${p.guardRounds} rounds of ${p.guardS} s after a ${p.guardWarmS} s warm-up, each round one sample of each side back to back (who goes first alternates); ` +
        "median (min–max) req/s, and the ratio of the two medians (the range of the rounds' own ratios).",
    );
    print();
    const rows = r.guard.map((g) => {
      const b = spread(g.base);
      const l = spread(g.lib);
      const rounds = guardRounds(g);
      const x = guardRatio(g);
      return [
        g.store,
        fmtSpread(b, 0),
        fmtSpread(l, 0),
        `${ratioText(x, GOAL.guard)} (${rounds.min.toFixed(2)}–${rounds.max.toFixed(2)})`,
        `${fmt(median(g.baseP99), 0)} / ${fmt(median(g.libP99), 0)}`,
        x >= GOAL.guard ? 'met' : '**missed**',
      ];
    });
    print(
      table(
        [
          'store',
          'express-session alone, req/s',
          'express-wecom-auth, req/s',
          'ratio of the medians (rounds)',
          'p99 ms base / lib',
          `goal ≥ ${GOAL.guard}`,
        ],
        rows,
      ),
    );
    print();
    const bad = r.guard.reduce((n, g) => n + g.bad, 0);
    if (bad > 0) {
      print(`(${bad} non-2xx answers or errors during these samples.)`);
      print();
    }
  }

  if (r.memory) {
    print('### 5. Memory: RSS of the app after many logins (Redis session store and token cache)');
    print();
    const rows = r.memory.rows;
    const first = rows[0];
    print(
      'The library with its defaults, concurrency 64, emulator answering at once; after each mark the app runs a full GC (`--expose-gc`) and reports its memory.' +
        (r.memory.stoppedEarly
          ? ` **The time budget ran out at ${fmt(rows[rows.length - 1]?.logins ?? 0, 0)} logins** (the machine was slower than planned).`
          : ''),
    );
    print();
    print(
      table(
        ['logins', 'RSS MB (/proc)', 'RSS MB after GC', 'heap used MB after GC', `RSS vs ${fmt(first?.logins ?? 0, 0)}`],
        rows.map((row) => [
          fmt(row.logins, 0),
          mb(row.rssProc),
          mb(row.rss),
          mb(row.heapUsed),
          ratioText(row.rss / (first?.rss ?? Number.NaN)),
        ]),
      ),
    );
    print();
  }

  if (r.http) {
    print(renderHttpClient(r.http));
    print();
  }

  const goals = goalsOf(r);
  print('### Goals');
  print();
  print(
    `${goals.filter((g) => g.met).length} of ${goals.length} met. For a missed goal, the last column gives what the run itself shows; the notes below say why.`,
  );
  print();
  print(goalsTable(goals, true));
  print();
  print(`Total time: ${fmt(r.totalS, 0)} s.`);
  print();
  return `${out.join('\n')}${notes ? `\n${notes.trimEnd()}\n` : ''}`;
}

/** Table 6, also what `node bench/http-client.ts` prints. */
export function renderHttpClient(h: HttpClientResult): string {
  const text = [
    '### 6. The HTTP client: CPU per WeCom call, got against node:https',
    '',
    `\`node bench/http-client.ts\`: ${h.calls} gettoken calls per round to the emulator over TLS (in another process), ` +
      `${h.rounds} interleaved rounds, one keep-alive agent each; the caller's own CPU time per call (median, min–max) and the sockets opened. ` +
      '"got as the library calls it": one instance prepared once with `got.extend()` (agents, timeouts, no retry, no redirects, headers), ' +
      'its stream API, nothing built per call but the URL (src/wecom/http.ts); "got, options per call": the same options passed on every call, as the library did before.',
    '',
  ];
  const rows = h.rows.map((row) => {
    const https = spread(row.https);
    const got = spread(row.got);
    const perCall = spread(row.gotPerCall);
    return [
      String(row.concurrency),
      fmtSpread(https, 3),
      fmtSpread(got, 3),
      ratioText(got.median / https.median),
      fmtSpread(perCall, 3),
      ratioText(perCall.median / https.median),
      `${row.sockets.https} / ${row.sockets.got} / ${row.sockets.gotPerCall}`,
    ];
  });
  text.push(
    table(
      [
        'concurrency',
        'node:https, CPU ms/call',
        'got as the library calls it',
        'vs node:https',
        'got, options per call',
        'vs node:https',
        'sockets opened, most in a round (https / got / per call)',
      ],
      rows,
    ),
  );
  return text.join('\n');
}

/** docs/performance.md: what a reader takes in at a glance. */
export function renderPerformancePage(r: BenchResults, files: { chart: string; results: string }): string {
  const p = r.params;
  const out: string[] = [];
  const print = (text = ''): void => {
    out.push(text);
  };
  const goals = goalsOf(r);
  print('# Performance');
  print();
  print('<!-- Written by `npm run bench` (bench/run.ts) from its own measurements: edit the bench, not this file. -->');
  print();
  print(
    `Every figure below comes from one run of \`npm run bench\`, all contenders side by side against the same WeCom emulator, with ratios to a hand-written minimal login (the **floor**). ` +
      `The library runs with its defaults (the visible-range check on, its verdicts remembered) and ${p.employees} employees log in in turn. ` +
      `Every table, the spread of every figure and the notes: [bench/RESULTS.md](${files.results}).`,
  );
  print();
  print(`Machine: ${machineLine(r)}.`);
  print();
  print(
    `Command: \`npm run bench\` (this run: ${fmt(r.totalS / 60, 1)} minutes, every core busy). \`BENCH_QUICK=1 npm run bench\` is a smoke run of a few minutes.`,
  );
  print();

  if (r.flows.length > 0) {
    print('## Logins per second');
    print();
    print(`![Login flows per second of each contender, at 0 and 30 ms per WeCom call and 1, 16 and 64 logins at once](${files.chart})`);
    print();
    print('Complete logins per second (page → WeCom → callback → page), ratio to the floor; CPU per login at 16 logins at once.');
    print();
    for (const delay of p.delays) {
      print(`**${delayTitle(delay)}**`);
      print();
      print(
        table(
          ['contender', ...p.concurrency.map((c) => `${c} at once`), 'CPU per login'],
          CONTENDERS.map(({ kind, label }) => [
            label,
            ...p.concurrency.map(
              (c) =>
                `${fmt(rateOf(r, delay, c, kind).median, 0)}/s · ${ratioText(rateOf(r, delay, c, kind).median / rateOf(r, delay, c, 'floor').median)}`,
            ),
            `${fmt(cpuOf(r, delay, kind), 2)} ms`,
          ]),
        ),
      );
      print();
    }
  }

  if (r.calls.length > 0) {
    print(`## WeCom calls per ${fmt(p.callLogins, 0)} logins`);
    print();
    print(`Counted by the emulator, each contender freshly started, ${p.employees} employees logging in in turn.`);
    print();
    const wanted = ['floor', 'lib', 'lib-first', 'fleet', 'passport', 'logto'];
    const rows = wanted.flatMap((id) => {
      const row = r.calls.find((x) => x.id === id);
      if (!row) return [];
      const parts = [`${fmt(row.byApi['gettoken'] ?? 0, 0)} gettoken`, `${fmt(exchangesOf(row), 0)} code exchanges`];
      if (row.byApi['user/get']) parts.push(`${fmt(row.byApi['user/get'], 0)} user/get`);
      return [
        [
          row.label,
          fmt(row.logins, 0),
          fmt(row.total, 0),
          parts.join(' + '),
          fmt((row.total - (row.byApi['gettoken'] ?? 0)) / Math.max(1, row.logins), 2),
        ],
      ];
    });
    print(table(['contender', 'logins', 'WeCom calls', 'of which', 'per login, gettoken aside'], rows));
    print();
  }

  if (r.guard.length > 0) {
    print('## Guard overhead');
    print();
    print('Requests per second of a logged-in page behind `requireUser()`, against the same page behind express-session alone.');
    print();
    print(
      table(
        ['session store', 'express-session alone', 'with requireUser()', 'ratio', 'ratios of the rounds'],
        r.guard.map((g) => {
          const rounds = guardRounds(g);
          return [
            g.store,
            `${fmt(median(g.base), 0)}/s`,
            `${fmt(median(g.lib), 0)}/s`,
            ratioText(guardRatio(g), GOAL.guard),
            `${rounds.min.toFixed(2)}–${rounds.max.toFixed(2)}`,
          ];
        }),
      ),
    );
    print();
  }

  if (r.memory && r.memory.rows.length > 0) {
    const rows = r.memory.rows;
    const first = rows[0];
    const last = rows[rows.length - 1];
    if (first && last) {
      print('## Memory');
      print();
      print("The app's resident memory after a full GC, sessions and token cache in Redis.");
      print();
      print(
        table(
          ['logins', 'RSS', 'heap used', 'RSS vs the first mark'],
          [first, last].map((row) => [fmt(row.logins, 0), `${mb(row.rss)} MB`, `${mb(row.heapUsed)} MB`, ratioText(row.rss / first.rss)]),
        ),
      );
      print();
    }
  }

  print('## Goals');
  print();
  const missed = goals.filter((g) => !g.met);
  print(
    `${goals.length - missed.length} of ${goals.length} goals met in this run.${missed.length > 0 ? ' Missed (why: [bench/RESULTS.md](' + files.results + ')):' : ''}`,
  );
  print();
  if (missed.length > 0) {
    print(
      table(
        ['goal', 'measured'],
        missed.map((g) => [g.goal, g.measured]),
      ),
    );
    print();
  }
  return `${out.join('\n')}\n`;
}
