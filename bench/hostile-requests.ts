/**
 * What an attacker's request costs the app, beside an ordinary request of the same route: the
 * app's own CPU time per request (read from /proc, the app in its own process), the bytes of its
 * answer's headers and its Set-Cookie lines, rounds interleaved.
 *
 *   node bench/hostile-requests.ts [label=<tree> …] [--requests 300] [--rounds 5]
 *
 * Each `label=<tree>` adds the library from another source tree (`src/` and `views/`, e.g.
 * `mkdir -p /tmp/before && git archive <commit> src views | tar -x -C /tmp/before`), so a fix is
 * measured against the code before it in one run. The requests:
 *   ordinary callback   the anonymous callback of a login this browser never started
 *                       (`?code=…&state=…`, no cookie): the login restarts, one 302;
 *   crafted callback    the same under 16 KB of header: 800 junk `wecom_tx_*` cookies and 200
 *                       repeated `state=` parameters naming them (issue 19's finding 2);
 *   callback + junk     the ordinary callback with the 800 junk cookies (the clean-up's work);
 *   ordinary page       a guarded page, anonymous: the 302 to WeCom with a fresh login cookie;
 *   page + junk cookies the same with the 800 junk cookies (what the start reads of them);
 *   no route + junk     the same bytes to a path nobody answers: the cost of such a request itself.
 */
import http from 'node:http';
import { join, resolve } from 'node:path';
import { startProc } from './lib/procs.ts';
import type { Proc } from './lib/procs.ts';
import { fmt, median, table } from './lib/stats.ts';
import type { AppConfig } from './procs/app.ts';

const HERE = import.meta.dirname;
const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const REQUESTS = option('--requests', 300);
const ROUNDS = option('--rounds', 5);
const trees = args
  .filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'))
  .map((a) => {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new Error(`expected label=directory, got ${a}`);
    return { label: a.slice(0, eq), dir: resolve(a.slice(eq + 1)) };
  });

const WECOM_UA = 'Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 wxwork/4.1.22 MicroMessenger/7.0.1';
const HTML = 'text/html,application/xhtml+xml';
const JUNK = Array.from({ length: 800 }, (_, i) => `wecom_tx_${i.toString(36)}`);

interface Shot {
  name: string;
  path: string;
  cookie?: string;
}
const SHOTS: Shot[] = [
  { name: 'ordinary callback', path: '/auth/callback?code=abc&state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
  {
    name: 'crafted callback',
    path: `/auth/callback?code=abc&${JUNK.slice(0, 200)
      .map((n) => `state=${n.slice('wecom_tx_'.length)}`)
      .join('&')}`,
    cookie: JUNK.map((n) => `${n}=x`).join('; '),
  },
  {
    name: 'callback + junk cookies',
    path: '/auth/callback?code=abc&state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    cookie: JUNK.map((n) => `${n}=x`).join('; '),
  },
  { name: 'ordinary page', path: '/page' },
  { name: 'page + junk cookies', path: '/page', cookie: JUNK.map((n) => `${n}=x`).join('; ') },
  // The same bytes to a route the library does not answer (express-session still parses every
  // cookie, Express answers 404): what a request of that size costs before the library does anything.
  { name: 'no route + junk cookies', path: '/nothing-here', cookie: JUNK.map((n) => `${n}=x`).join('; ') },
];

interface Answer {
  status: number;
  headerBytes: number;
  setCookies: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function shoot(port: number, shot: Shot): Promise<Answer> {
  return new Promise((done, fail) => {
    const req = http.get(
      {
        host: '127.0.0.1',
        port,
        path: shot.path,
        agent,
        // An answer can carry hundreds of Set-Cookie lines (the code before issue 19's fix did).
        maxHeaderSize: 1 << 20,
        headers: { 'user-agent': WECOM_UA, accept: HTML, ...(shot.cookie ? { cookie: shot.cookie } : {}) },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const raw = res.rawHeaders;
          let headerBytes = 0;
          for (let i = 0; i < raw.length; i += 2) headerBytes += (raw[i]?.length ?? 0) + (raw[i + 1]?.length ?? 0) + 4;
          const setCookie = res.headers['set-cookie'] ?? [];
          done({ status: res.statusCode ?? 0, headerBytes, setCookies: setCookie.length });
        });
      },
    );
    req.on('error', fail);
  });
}

const contenders: { label: string; config: AppConfig }[] = [
  { label: 'this checkout', config: { kind: 'lib', store: 'memory' } },
  ...trees.map(({ label, dir }) => ({ label, config: { kind: 'lib', store: 'memory', libSrc: join(dir, 'src') } as AppConfig })),
];

const procs: { label: string; proc: Proc; port: number }[] = [];
for (const { label, config } of contenders) {
  const proc = await startProc(join(HERE, 'procs', 'app.ts'), { name: label, env: { BENCH_APP: JSON.stringify(config) } });
  procs.push({ label, proc, port: Number(proc.hello['port']) });
}

/** CPU ms per request, per contender and shot, one value per round. */
const cpu = new Map<string, number[]>();
const answers = new Map<string, Answer>();
try {
  for (const { port } of procs) for (const shot of SHOTS) await shoot(port, shot); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const shot of SHOTS) {
      for (const { label, proc, port } of procs) {
        const before = proc.cpuMs();
        let last: Answer | undefined;
        for (let i = 0; i < REQUESTS; i++) last = await shoot(port, shot);
        const key = `${label}\u0000${shot.name}`;
        cpu.set(key, [...(cpu.get(key) ?? []), (proc.cpuMs() - before) / REQUESTS]);
        if (last) answers.set(key, last);
      }
    }
  }
} finally {
  agent.destroy();
  for (const { proc } of procs) await proc.stop();
}

console.log(`\nWhat a request costs the app (CPU per request from /proc, median of ${ROUNDS} rounds of ${REQUESTS})\n`);
const rows: string[][] = [];
for (const { label } of procs) {
  const base = median(cpu.get(`${label}\u0000ordinary callback`) ?? []);
  const basePage = median(cpu.get(`${label}\u0000ordinary page`) ?? []);
  const baseSize = median(cpu.get(`${label}\u0000no route + junk cookies`) ?? []);
  for (const shot of SHOTS) {
    const key = `${label}\u0000${shot.name}`;
    const rounds = cpu.get(key) ?? [];
    const answer = answers.get(key);
    const ref = shot.name.includes('page') ? basePage : base;
    rows.push([
      label,
      shot.name,
      fmt(median(rounds), 3),
      `${fmt(Math.min(...rounds), 3)}–${fmt(Math.max(...rounds), 3)}`,
      `${(median(rounds) / ref).toFixed(1)}×`,
      shot.cookie ? `${(median(rounds) / baseSize).toFixed(1)}×` : '',
      String(answer?.status ?? '-'),
      String(answer?.setCookies ?? '-'),
      fmt(answer?.headerBytes ?? Number.NaN, 0),
    ]);
  }
}
console.log(
  table(
    [
      'library',
      'request',
      'CPU ms/request',
      'rounds min–max',
      'vs ordinary',
      'vs no route',
      'status',
      'Set-Cookie lines',
      'answer header bytes',
    ],
    rows,
  ),
);
console.log(
  '\n"vs ordinary": the callback rows against the ordinary callback, the page rows against the ordinary page; ' +
    '"vs no route": against the same bytes sent to a path the library does not answer.',
);
