/** Pieces shared by the two reports (report-results.ts, report-page.ts) and bench/http-client.ts. */
import { fmt, fmtSpread, median, spread, table } from './stats.ts';
import { GOAL, ratioText } from './results.ts';
import type { BenchResults, HttpClientResult } from './results.ts';
import { gotShares } from './shares.ts';
import type { Share } from './shares.ts';
import { judge, verdictText, withRounds } from './verdict.ts';

export const mb = (bytes: number): string => fmt(bytes / 2 ** 20, 1);

export function machineLine(r: BenchResults): string {
  const m = r.machine;
  return (
    `${m.cpus} × ${m.model}, ${m.memGiB} GiB RAM, ${m.os}, Node ${m.node}; load average at start ${m.load}; commit ${m.commit}; ${m.date} UTC` +
    (r.quick ? '; BENCH_QUICK=1 (smoke run, not for publishing)' : '')
  );
}

/** How the run was set up: TLS to the emulator, the driver's client, where the processes ran. */
export function setupLine(r: BenchResults): string {
  const p = r.params;
  const tls =
    p.wecomTls === false
      ? 'The emulator served plain HTTP (BENCH_WECOM_TLS=0).'
      : "The emulator served HTTPS under WeCom's real host names.";
  const driver = p.driver === 'fetch' ? ' The driver used fetch (BENCH_DRIVER=fetch).' : '';
  return `${tls}${driver}${p.cores ? ` Processes ${p.cores}.` : ''}`;
}

export function delayTitle(delay: number): string {
  return delay === 0 ? 'Emulator answering at once' : `${delay} ms added to every WeCom call`;
}

export const signedMs = (ms: number, digits = 2): string => `${ms >= 0 ? '+' : ''}${fmt(ms, digits)} ms`;
export const shareText = (s: Share, digits = 2): string => withRounds(signedMs(s.ms, digits), s.rounds, digits, ' ms');

/** Table 6, also what `node bench/http-client.ts` prints. */
export function renderHttpClient(h: HttpClientResult): string {
  const text = [
    '### 6. The HTTP client: CPU per WeCom call, got against node:https',
    '',
    `\`node bench/http-client.ts\`: ${h.calls} gettoken calls per round to the emulator over TLS (in another process${h.pinned ? ', on another core' : ''}), ` +
      `${h.rounds} interleaved rounds, one keep-alive agent each; the caller's own CPU time per call (median, min–max), got's extra CPU per call over node:https's ` +
      "(the difference of the medians, with the rounds' own differences) and the sockets opened. " +
      '"got as the library calls it": one instance prepared once with `got.extend()` (agents, timeouts, no retry, no redirects, headers), ' +
      'its stream API, nothing built per call but the URL (src/wecom/http.ts); "got, options per call": the same options passed on every call, as the library did before.',
    '',
  ];
  const rows = h.rows.map((row) => {
    const https = spread(row.https);
    const got = spread(row.got);
    const perCall = spread(row.gotPerCall);
    const extra = withRounds(
      signedMs(got.median - https.median, 3),
      row.got.map((x, i) => x - (row.https[i] ?? Number.NaN)),
      3,
      ' ms',
    );
    return [
      String(row.concurrency),
      fmtSpread(https, 3),
      `${fmtSpread(got, 3)} · ${ratioText(got.median / https.median)}`,
      extra,
      `${fmtSpread(perCall, 3)} · ${ratioText(perCall.median / https.median)}`,
      `${row.sockets.https} / ${row.sockets.got} / ${row.sockets.gotPerCall}`,
    ];
  });
  const header = ['concurrency', 'node:https, CPU ms/call', 'got as the library calls it', "got's share per call", 'got, options per call'];
  text.push(table([...header, 'sockets opened, most in a round (https / got / per call)'], rows));
  return text.join('\n');
}

/** Table 7: got's share per login, and the library's own work once got is out. */
export function renderGotShare(r: BenchResults): string {
  const g = r.gotShare;
  if (!g) return '';
  const s = gotShares(r);
  const floor = g.rows.find((x) => x.id === 'floor');
  const text = [
    "### 7. got's share per login: the library with node:https in place of got",
    '',
    `${g.variant} ${g.rounds} interleaved rounds of ${fmt(g.logins, 0)} logins per app at ${g.concurrency} at once, ` +
      `${g.delay === 0 ? 'WeCom answering at once (every process busy: the CPU per login decides)' : `${g.delay} ms per WeCom call`}; ` +
      "the app's own CPU time per login (getrusage over IPC), median (min–max), and the difference to the floor with the range of the rounds' own differences.",
    '',
  ];
  const rows = g.rows.map((row) => {
    const cpu = spread(row.cpu);
    const vs =
      floor && row.id !== 'floor'
        ? shareText({ ms: cpu.median - median(floor.cpu), rounds: row.cpu.map((x, i) => x - (floor.cpu[i] ?? Number.NaN)) })
        : '';
    const rate = spread(row.rate);
    const ratio = floor ? ratioText(rate.median / median(floor.rate)) : '';
    return [row.label, fmtSpread(cpu, 2), vs, `${fmtSpread(rate, 0)} · ${ratio}`, String(row.failed)];
  });
  text.push(table(['app', 'CPU ms per login', 'vs the floor', 'flows/s · vs floor', 'failed'], rows), '');
  const lines: string[] = [];
  if (s.perLogin) lines.push(`- **got's share per login**: ${shareText(s.perLogin)} (the library less its node:https variant).`);
  if (s.perCall)
    lines.push(
      `- **got's share per WeCom call**, in a process doing nothing else (table 6, ${s.perCall.concurrency} at once): ${shareText(s.perCall, 3)}.`,
    );
  if (s.own)
    lines.push(
      `- **The library's own work per login** over the floor's, got taken out: ${shareText(s.own)}; goal ≤ ${GOAL.ownCpuMs} ms: ` +
        `${verdictText(judge(s.own.ms, GOAL.ownCpuMs, 'at most', s.own.rounds))}.`,
    );
  if (s.total && s.perLogin && s.total.ms > 0)
    lines.push(
      `- Of the whole gap to the floor (${signedMs(s.total.ms)} per login), got is ${fmt((100 * s.perLogin.ms) / s.total.ms, 0)} %; ` +
        `the flows-per-second ratios beside it (this table's rounds): ${g.rows.map((row) => `${row.label} ${floor ? ratioText(median(row.rate) / median(floor.rate)) : '-'}`).join(', ')}.`,
    );
  text.push(...lines);
  return text.join('\n');
}
