/**
 * bench/RESULTS.md: every table of a run, with the spread of each figure, the goals and the notes.
 * Rendered from the run's data only (bench/lib/results.ts).
 */
import { fmt, fmtSpread, median, spread, table } from './stats.ts';
import {
  CALL_APIS,
  GOAL,
  present,
  cpuOf,
  guardRatio,
  guardRounds,
  pairedDiffs,
  pairedRatios,
  rateOf,
  ratioText,
  samplesOf,
} from './results.ts';
import type { BenchResults } from './results.ts';
import { countVerdicts, goalsOf } from './goals.ts';
import type { Goal } from './goals.ts';
import { judge, verdictText, withRounds } from './verdict.ts';
import { delayTitle, machineLine, mb, renderGotShare, renderHttpClient, setupLine } from './report-shared.ts';

function goalsTable(goals: readonly Goal[]): string {
  return table(
    ['goal', 'result', 'measured', 'what the run shows'],
    goals.map((g) => [g.goal, verdictText(g.verdict), g.measured, g.why ?? '']),
  );
}

/** Requests per completed flow, as the driver counted them: "4" or "4–5". */
function requestsText(r: BenchResults, kind: BenchResults['flows'][number]['kind']): string {
  const list = r.flows.filter((s) => s.kind === kind && s.requestsFewest !== undefined);
  if (list.length === 0) return '-';
  const fewest = Math.min(...list.map((s) => s.requestsFewest ?? 0));
  const most = Math.max(...list.map((s) => s.requestsMost ?? 0));
  return fewest === most ? String(fewest) : `${fewest}–${most}`;
}

function flowTables(r: BenchResults, print: (t?: string) => void): void {
  const p = r.params;
  const rounds = p.roundFlows ? `rounds of ${fmt(p.roundFlows, 0)} flows` : `rounds of ${p.flowMs / 1000} s`;
  print('### 1. Login flows per second');
  print();
  print(
    'Complete logins (guarded page → authorize at the emulator → callback → code exchange → session saved → back on the page, ' +
      'every answer of the app followed as a browser would: the requests each flow took are counted), ' +
      `each with a fresh cookie jar, by a separate driver process; every contender on express-session with the memory store. ${setupLine(r)} ` +
      `${p.flowRounds} interleaved ${rounds} per cell after a ${p.flowWarmMs / 1000} s warm-up; ` +
      "median flows/s (min–max) and the ratio to the floor, with the range of the rounds' own ratios (each round's samples taken one after the other).",
  );
  print();
  for (const delay of p.delays) {
    print(`**${delayTitle(delay)}**`);
    print();
    const rows = present(r).map(({ kind, label }) => [
      label,
      ...p.concurrency.map((c) => {
        const s = rateOf(r, delay, c, kind);
        const x = s.median / rateOf(r, delay, c, 'floor').median;
        return `${fmtSpread(s, 0)} · ${kind === 'floor' ? '1.00×' : withRounds(ratioText(x), pairedRatios(r, delay, c, kind, 'floor'))}`;
      }),
      requestsText(r, kind),
    ]);
    print(table(['contender', ...p.concurrency.map((c) => `c=${c}: flows/s · vs floor`), 'requests per flow'], rows));
    print();
    const failed = r.flows.filter((s) => s.delay === delay).reduce((n, s) => n + s.errors, 0);
    if (failed > 0) {
      print(`(${failed} flows failed in these samples; they are not counted.)`);
      print();
    }
  }
  cpuTable(r, print);
}

/** Table 1b: CPU per login by cell, the app's own (from /proc), and what else was going on. */
function cpuTable(r: BenchResults, print: (t?: string) => void): void {
  const p = r.params;
  print('### 1b. CPU per login, by cell');
  print();
  print(
    "The app process's own CPU time per login (user + system, all threads, from getrusage over IPC), median (min–max) of the rounds, and the difference to the floor " +
      "with the range of the rounds' own differences; the noise of the machine moves it far less than a rate. " +
      "Last column: the app's event-loop delay p99 (median of the rounds) and the share of the machine's CPU used by other users' processes during the samples.",
  );
  print();
  for (const delay of p.delays) {
    print(`**${delayTitle(delay)}**`);
    print();
    const rows = present(r).map(({ kind, label }) => {
      const all = r.flows.filter((s) => s.delay === delay && s.kind === kind);
      const lag = median(all.flatMap((s) => (s.lagP99 === undefined ? [] : [s.lagP99])));
      const others = median(all.flatMap((s) => (s.othersCpu === undefined ? [] : [s.othersCpu])));
      return [
        label,
        ...p.concurrency.map((c) => {
          const mine = spread(samplesOf(r, delay, c, kind).map((s) => s.cpuMsPerLogin));
          if (kind === 'floor') return fmtSpread(mine, 2);
          const d = mine.median - cpuOf(r, delay, 'floor', c);
          const roundsD = pairedDiffs(r, delay, c, kind, 'floor');
          return `${fmtSpread(mine, 2)} · ${withRounds(`${d >= 0 ? '+' : ''}${fmt(d, 2)}`, roundsD, 2, '')}`;
        }),
        `${fmt(lag, 1)} ms · ${Number.isFinite(others) ? `${fmt(others * 100, 0)} %` : '-'}`,
      ];
    });
    print(table(['contender', ...p.concurrency.map((c) => `c=${c}: CPU ms/login · vs floor`), 'loop delay p99 · others'], rows));
    print();
  }
}

function latencyTable(r: BenchResults, print: (t?: string) => void): void {
  const p = r.params;
  if (!p.delays.includes(30)) return;
  print('### 2. Callback latency with 30 ms per WeCom call');
  print();
  print(
    'Time from sending the callback request (with code and state) to its answer, from the same runs as table 1; ' +
      "median over the rounds of each round's p50 / p99, in ms. The floor's callback waits for exactly one WeCom call (30 ms) plus the session work.",
  );
  print();
  const rows = present(r).map(({ kind, label }) => [
    label,
    ...p.concurrency.map((c) => {
      const list = samplesOf(r, 30, c, kind);
      return `${fmt(median(list.map((s) => s.callbackP50)), 1)} / ${fmt(median(list.map((s) => s.callbackP99)), 1)}`;
    }),
  ]);
  print(table(['contender', ...p.concurrency.map((c) => `c=${c}: p50 / p99 ms`)], rows));
  print();
}

function callsTable(r: BenchResults, print: (t?: string) => void): void {
  const p = r.params;
  print(`### 3. WeCom calls per ${fmt(p.callLogins, 0)} logins`);
  print();
  print(
    `Each contender freshly started (no token cached), ${fmt(p.callLogins, 0)} logins of the ${p.employees} employees in turn at concurrency 16 with 30 ms per WeCom call, counted by the emulator. ` +
      `"First logins": ${p.employees} logins, each employee once, so that no verdict is remembered yet. ` +
      '"visibilityCacheMs: 0": the check asked at every login. The four-process row: four app processes sharing one Redis (sessions and token cache) behind a round-robin balancer (the driver sends every request to the next process).',
  );
  print();
  const rows = r.calls.map((row) => [
    row.label,
    fmt(row.logins, 0) + (row.failed ? ` (+${row.failed} failed)` : ''),
    ...CALL_APIS.map((a) => fmt(row.byApi[a] ?? 0, 0)),
    fmt(row.total, 0),
    fmt((row.total - (row.byApi['gettoken'] ?? 0)) / Math.max(1, row.logins), 2),
  ]);
  print(table(['contender', 'logins', ...CALL_APIS, 'total', 'calls per login, gettoken aside'], rows));
  print();
}

function guardTable(r: BenchResults, print: (t?: string) => void): void {
  const p = r.params;
  print('### 4. Guard overhead: requests per second of a guarded route, logged in');
  print();
  print(
    `autocannon (${p.guardConnections} connections, in the driver's process) against \`GET /page\` with a logged-in session cookie; ` +
      'baseline: the same route behind express-session alone (a hand-written "is there a user in the session?" check), same store. ' +
      `${p.guardRounds} rounds of ${p.guardS} s after a ${p.guardWarmS} s warm-up, each round one sample of each side back to back (who goes first alternates); ` +
      "median (min–max) req/s, the ratio of the two medians with the range of the rounds' own ratios, and the app's own CPU per request (from `/proc`). " +
      'A goal whose threshold lies inside the rounds\' range is "not resolved".',
  );
  print();
  const rows = r.guard.map((g) => {
    const rounds = guardRounds(g);
    const x = guardRatio(g);
    const cpu = g.baseCpuUs && g.libCpuUs ? `${fmtSpread(spread(g.baseCpuUs), 1)} / ${fmtSpread(spread(g.libCpuUs), 1)}` : '-';
    return [
      g.store,
      fmtSpread(spread(g.base), 0),
      fmtSpread(spread(g.lib), 0),
      withRounds(ratioText(x, GOAL.guard), rounds.all),
      cpu,
      `${fmt(median(g.baseP99), 0)} / ${fmt(median(g.libP99), 0)}`,
      verdictText(judge(x, GOAL.guard, 'at least', rounds.all)),
    ];
  });
  const header = ['store', 'express-session alone, req/s', 'express-wecom-auth, req/s', 'ratio of the medians (rounds)'];
  print(table([...header, 'CPU µs/request base / lib', 'p99 ms base / lib', `goal ≥ ${GOAL.guard}`], rows));
  print();
  const bad = r.guard.reduce((n, g) => n + g.bad, 0);
  if (bad > 0) {
    print(`(${bad} non-2xx answers or errors during these samples.)`);
    print();
  }
}

function memoryTable(r: BenchResults, print: (t?: string) => void): void {
  const m = r.memory;
  if (!m) return;
  const rows = m.rows;
  const first = rows[0];
  print('### 5. Memory: RSS of the app after many logins (Redis session store and token cache)');
  print();
  print(
    'The library with its defaults, concurrency 64, emulator answering at once; after each mark the app runs a full GC (`--expose-gc`) and reports its memory.' +
      (m.stoppedEarly
        ? ` **The time budget ran out at ${fmt(rows[rows.length - 1]?.logins ?? 0, 0)} logins** (the machine was slower than planned).`
        : ''),
  );
  print();
  const header = ['logins', 'RSS MB (/proc)', 'RSS MB after GC', 'heap used MB after GC', `RSS vs ${fmt(first?.logins ?? 0, 0)}`];
  const cells = rows.map((row) => [
    fmt(row.logins, 0),
    mb(row.rssProc),
    mb(row.rss),
    mb(row.heapUsed),
    ratioText(row.rss / (first?.rss ?? Number.NaN)),
  ]);
  print(table(header, cells));
  print();
}

/** bench/RESULTS.md */
export function renderResults(r: BenchResults, notes: string): string {
  const out: string[] = [];
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
    `The library runs with its defaults (\`checkVisibility\` on, verdicts remembered for 5 minutes), and the driver logs in ${r.params.employees} employees of the emulator's corporation in turn, so that after the first ${r.params.employees} logins every login is a returning employee's.`,
  );
  print();
  if (r.flows.length > 0) {
    flowTables(r, print);
    latencyTable(r, print);
  }
  if (r.calls.length > 0) callsTable(r, print);
  if (r.guard.length > 0) guardTable(r, print);
  memoryTable(r, print);
  if (r.http) {
    print(renderHttpClient(r.http));
    print();
  }
  if (r.gotShare) {
    print(renderGotShare(r));
    print();
  }
  const goals = goalsOf(r);
  const n = countVerdicts(goals);
  print('### Goals');
  print();
  print(
    `${n.met} of ${goals.length} met, ${n.missed} missed, ${n['not resolved']} not resolved (the threshold inside the rounds' spread: this run cannot tell). ` +
      'For a goal not met, the last column gives what the run itself shows; the notes below say why.',
  );
  print();
  print(goalsTable(goals));
  print();
  print(`Total time: ${fmt(r.totalS, 0)} s.`);
  print();
  return `${out.join('\n')}${notes ? `\n${notes.trimEnd()}\n` : ''}`;
}
