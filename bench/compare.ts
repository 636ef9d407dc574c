/**
 * CPU per login of the library from other source trees against this checkout's and the floor,
 * interleaved round by round (a before/after comparison of a change, outside `npm run bench`).
 *
 *   mkdir -p /tmp/before && git archive <commit> src views | tar -x -C /tmp/before
 *   node bench/compare.ts before=/tmp/before [more=/some/tree] [--logins 2000] [--rounds 7] [--concurrency 16]
 *
 * Each tree needs `src/` and `views/`; its library runs with its defaults in the bench app
 * (bench/procs/app.ts), the emulator answering at once, the 50 employees logging in in turn.
 */
import { join, resolve } from 'node:path';
import { startRig } from './lib/rig.ts';
import { EMPLOYEES } from './lib/employees.ts';
import { startProc } from './lib/procs.ts';
import type { Proc } from './lib/procs.ts';
import { fmt, median, table } from './lib/stats.ts';
import type { AppConfig } from './procs/app.ts';
import type { FlowResult } from './procs/driver.ts';

const HERE = import.meta.dirname;
const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const LOGINS = option('--logins', 2000);
const ROUNDS = option('--rounds', 7);
const CONCURRENCY = option('--concurrency', 16);
const trees = args
  .filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'))
  .map((a) => {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new Error(`expected label=directory, got ${a}`);
    return { label: a.slice(0, eq), dir: resolve(a.slice(eq + 1)) };
  });

const configs: { label: string; config: AppConfig }[] = [
  { label: 'floor', config: { kind: 'floor', store: 'memory' } },
  { label: 'this checkout', config: { kind: 'lib', store: 'memory' } },
  ...trees.map(({ label, dir }) => ({ label, config: { kind: 'lib', store: 'memory', libSrc: join(dir, 'src') } as AppConfig })),
];

const rig = await startRig();
const { emulator, driver, env } = rig;
const apps: { label: string; proc: Proc; url: string; cpu: number[]; rate: number[]; failed: number }[] = [];
for (const { label, config } of configs) {
  const proc = await startProc(join(HERE, 'procs/app.ts'), {
    name: label,
    env: { ...env, BENCH_APP: JSON.stringify(config) },
    execArgv: ['--import', join(HERE, 'preload/dns-to-emulator.mjs')],
  });
  const url = String(proc.hello['baseUrl']);
  await emulator.call('trust', { host: new URL(url).host });
  apps.push({ label, proc, url, cpu: [], rate: [], failed: 0 });
}
const logins = (url: string, count: number) =>
  driver.call<FlowResult>('flows', { origin: url, backends: [url], path: '/page', concurrency: CONCURRENCY, count, users: EMPLOYEES });
for (const app of apps) await logins(app.url, 300);
for (let round = 0; round < ROUNDS; round++) {
  for (let i = 0; i < apps.length; i++) {
    const app = apps[(i + round) % apps.length];
    if (!app) continue;
    const cpu0 = app.proc.cpuMs();
    const r = await logins(app.url, LOGINS);
    app.cpu.push((app.proc.cpuMs() - cpu0) / Math.max(1, r.flows));
    app.rate.push(r.rate);
    app.failed += r.errors;
  }
  process.stderr.write(`round ${round + 1} of ${ROUNDS}\n`);
}
console.log(`${ROUNDS} rounds of ${fmt(LOGINS, 0)} logins at ${CONCURRENCY} at once per app, interleaved; median (per round)\n`);
console.log(
  table(
    ['library', 'CPU ms per login', 'flows/s', 'failed'],
    apps.map((a) => [
      a.label,
      `${fmt(median(a.cpu), 2)} (${a.cpu.map((x) => x.toFixed(2)).join(' ')})`,
      fmt(median(a.rate), 0),
      String(a.failed),
    ]),
  ),
);
for (const app of apps) await app.proc.stop();
await rig.stop();
