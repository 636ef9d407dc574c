/**
 * What the phases of `npm run bench` share (bench/run.ts, bench/phases/*): the parameters, the rig
 * (emulator, driver, Redis, where each process runs), the apps under test, and one measured sample
 * of login flows with everything read beside its rate: the app's own CPU per login (/proc), its
 * event-loop delay, the requests per flow, and how busy other users kept the machine meanwhile.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EMPLOYEES } from './employees.ts';
import { othersMeter, redisPid } from './machine.ts';
import { startProc } from './procs.ts';
import type { Proc } from './procs.ts';
import type { Rig } from './rig.ts';
import type { BenchResults } from './results.ts';
import type { AppConfig } from '../procs/app.ts';
import type { FlowResult } from '../procs/driver.ts';

const BENCH = join(import.meta.dirname, '..');

export interface Params {
  guardConnections: number;
  guardWarmS: number;
  guardS: number;
  guardRounds: number;
  flowWarmMs: number;
  flowMs: number;
  flowRounds: number;
  callLogins: number;
  memFirst: number;
  memTotal: number;
  gotShareLogins: number;
  gotShareRounds: number;
}

export interface App {
  proc: Proc;
  baseUrl: string;
  label: string;
}

export interface FlowMeasure {
  result: FlowResult;
  cpuMsPerLogin: number;
  /** The load's own CPU per login: the driver's and the emulator's (what shares the machine with the app). */
  driverMsPerLogin: number;
  emulatorMsPerLogin: number;
  othersCpu: number;
  lagP99: number;
}

export interface BenchContext {
  P: Params;
  quick: boolean;
  users: readonly string[];
  rig: Rig;
  redisUrl: string;
  results: BenchResults;
  /** BENCH_ROUND_FLOWS: a sample is this many flows instead of P.flowMs. */
  roundFlows: number | undefined;
  profileDir: string | undefined;
  budgetMs: number;
  elapsed(): number;
  progress(text: string): void;
  startApp(label: string, config: Omit<AppConfig, 'prefix'> & { prefix?: string }): Promise<App>;
  stopApp(app: App): Promise<void>;
  stopAll(): Promise<void>;
  flowsOf(app: App, concurrency: number, extra: FlowExtra): Promise<FlowResult>;
  /** One sample of flows with its CPU per login, loop delay and the neighbours' share of the machine. */
  measureFlows(app: App, concurrency: number, extra: FlowExtra): Promise<FlowMeasure>;
}

export interface FlowExtra {
  durationMs?: number;
  count?: number;
  latencies?: boolean;
  backends?: string[];
  users?: readonly string[];
}

export function createContext(init: {
  P: Params;
  quick: boolean;
  rig: Rig;
  redis: { url: string; port: number };
  results: BenchResults;
  roundFlows: number | undefined;
  profileDir: string | undefined;
  budgetMs: number;
}): BenchContext {
  const t0 = performance.now();
  const procs: Proc[] = [];
  let prefixes = 0;
  const { rig } = init;
  const redis = redisPid(init.redis.port);
  if (redis !== undefined) rig.cores.loadPid(redis);
  // Our processes, whose CPU is not the neighbours'.
  const meter = othersMeter(() => [rig.driver.pid, rig.emulator.pid, ...(redis === undefined ? [] : [redis]), ...procs.map((p) => p.pid)]);
  const elapsed = (): number => performance.now() - t0;
  const ctx: BenchContext = {
    ...init,
    redisUrl: init.redis.url,
    users: EMPLOYEES,
    elapsed,
    progress: (text) => process.stderr.write(`[bench ${(elapsed() / 1000).toFixed(0)}s] ${text}\n`),
    async startApp(label, config) {
      const full: AppConfig = {
        ...config,
        ...(config.store === 'redis' ? { redisUrl: init.redis.url, prefix: config.prefix ?? `bench${process.pid}-${prefixes++}:` } : {}),
      };
      const proc = await startProc(join(BENCH, 'procs/app.ts'), {
        name: label,
        env: { ...rig.env, BENCH_APP: JSON.stringify(full) },
        execArgv: ['--import', join(BENCH, 'preload/dns-to-emulator.mjs'), '--expose-gc'],
      });
      procs.push(proc);
      rig.cores.subjectPid(proc.pid);
      const baseUrl = String(proc.hello['baseUrl']);
      await rig.emulator.call('trust', { host: new URL(baseUrl).host });
      return { proc, baseUrl, label };
    },
    async stopApp(app) {
      await app.proc.stop();
      procs.splice(procs.indexOf(app.proc), 1);
    },
    async stopAll() {
      for (const proc of [...procs]) await proc.stop();
      procs.length = 0;
    },
    flowsOf: (app, concurrency, extra) =>
      rig.driver.call<FlowResult>('flows', {
        origin: app.baseUrl,
        backends: extra.backends ?? [app.baseUrl],
        path: '/page',
        concurrency,
        users: ctx.users,
        ...extra,
      }),
    async measureFlows(app, concurrency, extra) {
      await app.proc.call('lag', { reset: true });
      // The app's own figure at µs resolution (over IPC); the driver's and the emulator's from /proc.
      const appCpu = async (): Promise<number> => (await app.proc.call<{ ms: number }>('cpu')).ms;
      const cpu0 = [await appCpu(), rig.driver.cpuMs(), rig.emulator.cpuMs()];
      const stop = meter.start();
      const result = await ctx.flowsOf(app, concurrency, extra);
      const othersCpu = stop();
      const [appMs = 0, driverMs = 0, emulatorMs = 0] = [await appCpu(), rig.driver.cpuMs(), rig.emulator.cpuMs()].map(
        (ms, i) => (ms - (cpu0[i] ?? 0)) / Math.max(1, result.flows),
      );
      const lag = await app.proc.call<{ p99: number }>('lag');
      return { result, cpuMsPerLogin: appMs, driverMsPerLogin: driverMs, emulatorMsPerLogin: emulatorMs, othersCpu, lagP99: lag.p99 };
    },
  };
  return ctx;
}

/** A sample's length: a count of flows (BENCH_ROUND_FLOWS) or a duration. */
export const sampleOf = (ctx: BenchContext): FlowExtra =>
  ctx.roundFlows === undefined ? { durationMs: ctx.P.flowMs } : { count: ctx.roundFlows };
