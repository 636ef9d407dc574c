/**
 * What keeping a deep link's hash route costs a login (issue 23): the library with its default
 * start page (a page navigation gets a small page whose script goes on to the login route) beside
 * the same library with `keepFragments: false` (the plain redirect), in one run, rounds
 * interleaved, WeCom answering at once and in 30 ms, at 1 and 16 logins at once.
 *
 *   node bench/start-page.ts [--logins 600] [--rounds 5]
 */
import { join } from 'node:path';
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
const LOGINS = option('--logins', 600);
const ROUNDS = option('--rounds', 5);

const configs: { label: string; config: AppConfig }[] = [
  { label: 'start page (default)', config: { kind: 'lib', store: 'memory' } },
  { label: 'keepFragments: false', config: { kind: 'lib', store: 'memory', keepFragments: false } },
];

const rig = await startRig();
const { emulator, driver, env } = rig;
const apps: { label: string; proc: Proc; url: string }[] = [];
try {
  for (const { label, config } of configs) {
    const proc = await startProc(join(HERE, 'procs/app.ts'), {
      name: label,
      env: { ...env, BENCH_APP: JSON.stringify(config) },
      execArgv: ['--import', join(HERE, 'preload/dns-to-emulator.mjs')],
    });
    const url = String(proc.hello['baseUrl']);
    await emulator.call('trust', { host: new URL(url).host });
    apps.push({ label, proc, url });
  }
  const logins = (url: string, concurrency: number, count: number) =>
    driver.call<FlowResult>('flows', { origin: url, backends: [url], path: '/page', concurrency, count, users: EMPLOYEES });
  const rows: string[][] = [];
  for (const delayMs of [0, 30]) {
    await emulator.call('delay', { ms: delayMs });
    for (const concurrency of [1, 16]) {
      const count = concurrency === 1 ? Math.ceil(LOGINS / 4) : LOGINS;
      const results = new Map<string, { rate: number[]; cpu: number[]; requests: number }>();
      for (const app of apps) await logins(app.url, concurrency, 50);
      for (let round = 0; round < ROUNDS; round++) {
        for (let i = 0; i < apps.length; i++) {
          const app = apps[(i + round) % apps.length];
          if (!app) continue;
          const cpu0 = app.proc.cpuMs();
          const r = await logins(app.url, concurrency, count);
          const entry = results.get(app.label) ?? { rate: [], cpu: [], requests: 0 };
          entry.rate.push(r.rate);
          entry.cpu.push((app.proc.cpuMs() - cpu0) / Math.max(1, r.flows));
          entry.requests = r.requests.most;
          results.set(app.label, entry);
        }
      }
      const base = results.get('keepFragments: false');
      for (const app of apps) {
        const e = results.get(app.label);
        if (!e || !base) continue;
        const ratios = e.rate.map((r, i) => r / (base.rate[i] ?? Number.NaN));
        rows.push([
          `${delayMs} ms`,
          String(concurrency),
          app.label,
          String(e.requests),
          fmt(median(e.rate), 0),
          `${(median(e.rate) / median(base.rate)).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
          fmt(median(e.cpu), 2),
        ]);
      }
    }
  }
  console.log(`\nThe start page's cost (${new Date().toISOString()}; ${ROUNDS} rounds, interleaved)\n`);
  console.log(
    table(['WeCom', 'at once', 'library', 'requests per login', 'logins/s', 'vs plain redirect (rounds)', 'app CPU ms/login'], rows),
  );
} finally {
  for (const app of apps) await app.proc.stop();
  await rig.stop();
}
