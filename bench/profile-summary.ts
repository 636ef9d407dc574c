/**
 * Where an app process's CPU went: self time by function and by file (or package), read from the
 * V8 CPU profiles that `BENCH_CPU_PROF=<dir> npm run bench` writes.
 *
 *   node bench/profile-summary.ts <dir or .cpuprofile> [--match lib-] [--top 40] [--inclusive src/]
 *
 * --inclusive <text>: also the inclusive time (self + callees) of the functions whose file path
 * contains the text, e.g. `src/` for the library's own functions.
 * Always also by category (the questions of bench/NOTES.md: got, the session store, cookie
 * signing, the library's own code, Node's HTTP client and server, GC, socket writes, the
 * profiler's own cost), so that two profiles can be compared line by line.
 * A directory is summed over its profiles (--match: only those whose name contains the text).
 * When the names say how many logins they cover (`…-123logins.cpuprofile`, as bench/run.ts
 * writes them), times are also given per login.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, table } from './lib/stats.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const target = args.find((a) => !a.startsWith('--'));
if (!target) {
  console.error('usage: node bench/profile-summary.ts <dir or .cpuprofile> [--top N] [--filter text]');
  process.exit(2);
}
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const top = Number(option('--top') ?? 40);
const match = option('--match');
const inclusiveOf = option('--inclusive');

const files = statSync(target).isDirectory()
  ? readdirSync(target)
      .filter((f) => f.endsWith('.cpuprofile') && (!match || f.includes(match)))
      .map((f) => join(target, f))
  : [target];
let logins = 0;
for (const file of files) logins += Number(/-(\d+)logins\.cpuprofile$/.exec(file)?.[1] ?? Number.NaN);

/** node_modules/<pkg> (or @scope/pkg), node:internal, or the path inside the repository. */
function place(url: string): string {
  if (url === '') return '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return (rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1] ?? ''}` : rest[0]) ?? url;
  }
  if (url.startsWith('node:')) return url;
  const repo = url.indexOf('/src/');
  if (repo !== -1) return url.slice(repo + 1);
  const bench = url.indexOf('/bench/');
  return bench !== -1 ? url.slice(bench + 1) : url;
}

const byFunction = new Map<string, number>();
const inclusive = new Map<string, number>();
const byPlace = new Map<string, number>();
const byCategory = new Map<string, number>();

/** The category of a sample's function: by package or file first, then by native function name. */
function category(where: string, fn: string): string {
  if (where === 'got' || where.startsWith('@sindresorhus') || where.startsWith('@szmarczak') || where === 'cacheable-request') return 'got';
  if (where === 'express-session' || where === 'uid-safe') return 'the session store (express-session)';
  if (where === 'cookie' || where === 'cookie-signature' || /^(Hmac|Hash|update|digest|timingSafeEqual)$/.test(fn))
    return 'cookies and their signatures (cookie, HMAC)';
  if (where.startsWith('src/')) return "the library's own code (src/)";
  if (where.startsWith('bench/')) return 'the bench app (bench/)';
  if (where === 'node:inspector') return "the profiler's own cost";
  if (fn === '(garbage collector)') return 'garbage collection';
  if (/^write(Latin1String|Utf8String|Buffer|v)$/.test(fn)) return 'socket writes (native)';
  if (/^node:(_http_client|_http_agent|https|tls|_tls_wrap|net|internal\/url|url)$/.test(where)) return "Node's HTTP client (to WeCom)";
  if (
    /^node:_http_(server|outgoing|incoming|common)$/.test(where) ||
    ['express', 'router', 'negotiator', 'send', 'finalhandler'].includes(where)
  )
    return "Node's HTTP server and express";
  if (where.startsWith('node:')) return 'other Node internals (events, streams, timers)';
  return where === '(native)' ? 'other native' : 'other packages';
}
let total = 0;
for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parents = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parents.set(child, n.id);
  const nameOf = (n: ProfileNode): string =>
    `${n.callFrame.functionName || '(anonymous)'} ${place(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  profile.samples.forEach((id, i) => {
    const node = nodes.get(id);
    const us = profile.timeDeltas[i] ?? 0;
    if (!node) return;
    const where = place(node.callFrame.url);
    // Idle time is not CPU time.
    if (node.callFrame.functionName === '(idle)') return;
    total += us;
    const name = nameOf(node);
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    if (inclusiveOf !== undefined) {
      // Each function once per sample, however deep it recurses.
      const seen = new Set<string>();
      for (let at: ProfileNode | undefined = node; at; at = nodes.get(parents.get(at.id) ?? -1)) {
        if (!at.callFrame.url.includes(inclusiveOf)) continue;
        const key = nameOf(at);
        if (seen.has(key)) continue;
        seen.add(key);
        inclusive.set(key, (inclusive.get(key) ?? 0) + us);
      }
    }
    byPlace.set(where, (byPlace.get(where) ?? 0) + us);
    const cat = category(where, node.callFrame.functionName);
    byCategory.set(cat, (byCategory.get(cat) ?? 0) + us);
  });
}

const perLogin = Number.isFinite(logins) && logins > 0;
const rows = (map: Map<string, number>): string[][] =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => [name, fmt(us / 1000, 0), `${fmt((100 * us) / total, 1)} %`, ...(perLogin ? [fmt(us / 1000 / logins, 3)] : [])]);
const headers = (first: string): string[] => [first, 'self ms', 'share', ...(perLogin ? ['ms per login'] : [])];
console.log(
  `${files.length} profile(s), ${fmt(total / 1000, 0)} ms of CPU sampled (idle left out)${perLogin ? `, ${fmt(logins, 0)} logins: ${fmt(total / 1000 / logins, 3)} ms per login` : ''}\n`,
);
console.log(table(headers('category'), rows(byCategory)));
console.log();
console.log(table(headers('file or package'), rows(byPlace)));
console.log();
console.log(table(headers('function'), rows(byFunction)));
if (inclusiveOf !== undefined) {
  console.log();
  console.log(
    table(
      headers(`function in ${inclusiveOf}, inclusive`).map((h) => (h === 'self ms' ? 'incl. ms' : h)),
      rows(inclusive),
    ),
  );
}
