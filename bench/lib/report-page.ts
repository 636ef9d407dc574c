/**
 * docs/performance.md: one short table per question, for a reader in a hurry, and the sentence the
 * README's performance lines carry, with the figures of this run.
 */
import { fmt, median, table } from './stats.ts';
import { GOAL, present, cpuOf, exchangesOf, guardRatio, guardRounds, pairedRatios, rateOf, ratioText } from './results.ts';
import type { BenchResults } from './results.ts';
import { countVerdicts, goalsOf } from './goals.ts';
import { gotShares } from './shares.ts';
import { verdictText, withRounds } from './verdict.ts';
import { delayTitle, machineLine, mb, setupLine } from './report-shared.ts';

type Print = (text?: string) => void;

/** WeCom calls per login of a returning employee (table 3), gettoken aside; 1 when not measured. */
function callsPerLogin(r: BenchResults): number {
  const row = r.calls.find((x) => x.id === 'lib');
  return row && row.logins > 0 ? (row.total - (row.byApi['gettoken'] ?? 0)) / row.logins : 1;
}

/**
 * "got costs about X ms per WeCom call; at WeCom's real latency a login is within Y% of the floor":
 * X from table 7 (inside the app, per login, over the calls a login makes), else table 6; Y the
 * worst of the 30 ms cells at 1 and 16 logins at once (table 1). Undefined when the run lacks them.
 */
export function readmeSentence(r: BenchResults): string | undefined {
  const s = gotShares(r);
  const perCall = s.perLogin ? s.perLogin.ms / callsPerLogin(r) : s.perCall?.ms;
  const cells = [1, 16].filter((c) => r.params.delays.includes(30) && r.params.concurrency.includes(c));
  if (perCall === undefined || cells.length === 0) return undefined;
  const ratios = cells.map((c) => rateOf(r, 30, c, 'lib').median / rateOf(r, 30, c, 'floor').median);
  const behind = Math.max(0, ...ratios.map((x) => 1 - x));
  // The tolerance keeps a ratio of exactly 0.98 at 2 % (floating point puts 1 − 0.98 a hair above 0.02).
  const within = Math.max(1, Math.ceil(behind * 100 - 1e-9));
  const where = s.perLogin
    ? `inside the app; ${s.perCall ? `${fmt(s.perCall.ms, 2)} ms in a process doing nothing else` : 'table 7'}`
    : 'table 6';
  const cellText = cells.map((c, i) => `${c} at once ${ratioText(ratios[i] ?? Number.NaN)}`).join(', ');
  return (
    `got costs about ${fmt(perCall, 2)} ms of CPU per WeCom call (${where}); at WeCom's real latency (30 ms per call) ` +
    `a login is within ${within}% of the floor (${cellText}).`
  );
}

function gotSection(r: BenchResults, print: Print): void {
  const sentence = readmeSentence(r);
  const s = gotShares(r);
  if (!sentence) return;
  print("## got's share, in one sentence");
  print();
  print(`> ${sentence}`);
  print();
  print(
    `Measured ${r.machine.date} UTC, load average at start ${r.machine.load}; \`npm run bench\` shows it (bench/RESULTS.md, tables 1, 6 and 7). ` +
      (s.perLogin ? `Per login, got's share is ${withRounds(`${fmt(s.perLogin.ms, 2)} ms`, s.perLogin.rounds, 2, ' ms')}` : '') +
      (s.own
        ? `; the library's own work over the floor, got taken out, ${withRounds(`${fmt(s.own.ms, 2)} ms`, s.own.rounds, 2, ' ms')}.`
        : '.'),
  );
  print();
}

function flowsSection(r: BenchResults, files: { chart: string }, print: Print): void {
  const p = r.params;
  print('## Logins per second');
  print();
  print(`![Login flows per second of each contender, at 0 and 30 ms per WeCom call and 1, 16 and 64 logins at once](${files.chart})`);
  print();
  print(
    "Complete logins per second (page → WeCom → callback → page), ratio to the floor with the range of the rounds' own ratios; " +
      `CPU per login at 16 logins at once. ${setupLine(r)}`,
  );
  print();
  for (const delay of p.delays) {
    print(`**${delayTitle(delay)}**`);
    print();
    const rows = present(r).map(({ kind, label }) => [
      label,
      ...p.concurrency.map((c) => {
        const x = rateOf(r, delay, c, kind).median / rateOf(r, delay, c, 'floor').median;
        const ratio = kind === 'floor' ? '1.00×' : withRounds(ratioText(x), pairedRatios(r, delay, c, kind, 'floor'));
        return `${fmt(rateOf(r, delay, c, kind).median, 0)}/s · ${ratio}`;
      }),
      `${fmt(cpuOf(r, delay, kind), 2)} ms`,
    ]);
    print(table(['contender', ...p.concurrency.map((c) => `${c} at once`), 'CPU per login'], rows));
    print();
  }
}

function callsSection(r: BenchResults, print: Print): void {
  print(`## WeCom calls per ${fmt(r.params.callLogins, 0)} logins`);
  print();
  print(`Counted by the emulator, each contender freshly started, ${r.params.employees} employees logging in in turn.`);
  print();
  const rows = ['floor', 'lib', 'lib-first', 'fleet', 'passport', 'logto'].flatMap((id) => {
    const row = r.calls.find((x) => x.id === id);
    if (!row) return [];
    const parts = [`${fmt(row.byApi['gettoken'] ?? 0, 0)} gettoken`, `${fmt(exchangesOf(row), 0)} code exchanges`];
    if (row.byApi['user/get']) parts.push(`${fmt(row.byApi['user/get'], 0)} user/get`);
    const perLogin = fmt((row.total - (row.byApi['gettoken'] ?? 0)) / Math.max(1, row.logins), 2);
    return [[row.label, fmt(row.logins, 0), fmt(row.total, 0), parts.join(' + '), perLogin]];
  });
  print(table(['contender', 'logins', 'WeCom calls', 'of which', 'per login, gettoken aside'], rows));
  print();
}

function guardAndMemorySections(r: BenchResults, print: Print): void {
  if (r.guard.length > 0) {
    print('## Guard overhead');
    print();
    print('Requests per second of a logged-in page behind `requireUser()`, against the same page behind express-session alone.');
    print();
    const rows = r.guard.map((g) => {
      const rounds = guardRounds(g);
      const cpu = g.baseCpuUs && g.libCpuUs ? `${fmt(median(g.baseCpuUs), 1)} / ${fmt(median(g.libCpuUs), 1)} µs` : '-';
      return [
        g.store,
        `${fmt(median(g.base), 0)}/s`,
        `${fmt(median(g.lib), 0)}/s`,
        withRounds(ratioText(guardRatio(g), GOAL.guard), rounds.all),
        cpu,
      ];
    });
    print(table(['session store', 'express-session alone', 'with requireUser()', 'ratio (rounds)', 'CPU per request, alone / with'], rows));
    print();
  }
  const rows = r.memory?.rows ?? [];
  const first = rows[0];
  const last = rows[rows.length - 1];
  if (first && last) {
    print('## Memory');
    print();
    print("The app's resident memory after a full GC, sessions and token cache in Redis.");
    print();
    const cells = [first, last].map((row) => [
      fmt(row.logins, 0),
      `${mb(row.rss)} MB`,
      `${mb(row.heapUsed)} MB`,
      ratioText(row.rss / first.rss),
    ]);
    print(table(['logins', 'RSS', 'heap used', 'RSS vs the first mark'], cells));
    print();
  }
}

/** docs/performance.md: what a reader takes in at a glance. */
export function renderPerformancePage(r: BenchResults, files: { chart: string; results: string }): string {
  const out: string[] = [];
  const print: Print = (text = '') => {
    out.push(text);
  };
  print('# Performance');
  print();
  print('<!-- Written by `npm run bench` (bench/run.ts) from its own measurements: edit the bench, not this file. -->');
  print();
  print(
    `Every figure below comes from one run of \`npm run bench\`, all contenders side by side against the same WeCom emulator, with ratios to a hand-written minimal login (the **floor**). ` +
      `The library runs with its defaults (the visible-range check on, its verdicts remembered) and ${r.params.employees} employees log in in turn. ` +
      `Every table, the spread of every figure and the notes: [bench/RESULTS.md](${files.results}).`,
  );
  print();
  print(`Machine: ${machineLine(r)}.`);
  print();
  print(
    `Command: \`npm run bench\` (this run: ${fmt(r.totalS / 60, 1)} minutes). \`BENCH_QUICK=1 npm run bench\` is a smoke run of a few minutes.`,
  );
  print();
  gotSection(r, print);
  if (r.flows.length > 0) flowsSection(r, files, print);
  if (r.calls.length > 0) callsSection(r, print);
  guardAndMemorySections(r, print);
  const goals = goalsOf(r);
  const n = countVerdicts(goals);
  const open = goals.filter((g) => g.verdict !== 'met');
  print('## Goals');
  print();
  print(
    `${n.met} of ${goals.length} goals met in this run, ${n.missed} missed, ${n['not resolved']} not resolved (the threshold inside the rounds' spread).` +
      (open.length > 0 ? ` The others (why: [bench/RESULTS.md](${files.results})):` : ''),
  );
  print();
  if (open.length > 0) {
    print(
      table(
        ['goal', 'result', 'measured'],
        open.map((g) => [g.goal, verdictText(g.verdict), g.measured]),
      ),
    );
    print();
  }
  return `${out.join('\n')}\n`;
}
