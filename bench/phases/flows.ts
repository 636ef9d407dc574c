/**
 * Login flows per second and callback latency (tables 1, 1b, 2): every contender in every cell
 * (delay × concurrency), interleaved rounds whose order rotates, each sample with its CPU per
 * login, loop delay, requests per flow and the neighbours' share of the machine. BENCH_CPU_PROF
 * profiles the cells of BENCH_CPU_PROF_CELLS (default 0:16,0:64,30:64: delay:concurrency).
 */
import { join } from 'node:path';
import { sampleOf } from '../lib/context.ts';
import type { App, BenchContext } from '../lib/context.ts';
import { CONTENDERS } from '../lib/results.ts';
import type { FlowSample, Kind } from '../lib/results.ts';

export interface FlowCells {
  delays: readonly number[];
  concurrency: readonly number[];
  kinds: ReadonlySet<Kind>;
}

const profiled = (cells: string | undefined): Set<string> => new Set((cells ?? '0:16,0:64,30:64').split(',').map((s) => s.trim()));

async function sample(ctx: BenchContext, app: App, kind: Kind, delay: number, c: number, round: number): Promise<FlowSample> {
  const profile = ctx.profileDir !== undefined && profiled(process.env['BENCH_CPU_PROF_CELLS']).has(`${delay}:${c}`);
  if (profile) await app.proc.call('profile', { action: 'start' });
  const m = await ctx.measureFlows(app, c, { ...sampleOf(ctx), latencies: true });
  const r = m.result;
  if (profile && ctx.profileDir)
    await app.proc.call('profile', {
      action: 'stop',
      file: join(ctx.profileDir, `${kind}-${delay}ms-c${c}-r${round}-${r.flows}logins.cpuprofile`),
    });
  if (r.errors > 0) ctx.progress(`${app.label} c=${c}: ${r.errors} failed flows, first: ${r.firstError ?? ''}`);
  return {
    delay,
    concurrency: c,
    kind,
    round,
    rate: r.rate,
    cpuMsPerLogin: m.cpuMsPerLogin,
    callbackP50: r.callbackP50 ?? Number.NaN,
    callbackP99: r.callbackP99 ?? Number.NaN,
    errors: r.errors,
    requestsPerFlow: r.requests.total / Math.max(1, r.flows),
    requestsFewest: r.requests.fewest,
    requestsMost: r.requests.most,
    driverMsPerLogin: m.driverMsPerLogin,
    emulatorMsPerLogin: m.emulatorMsPerLogin,
    othersCpu: m.othersCpu,
    lagP99: m.lagP99,
  };
}

export async function runFlows(ctx: BenchContext, cells: FlowCells): Promise<void> {
  const { P, rig } = ctx;
  ctx.progress('login flows');
  const apps = new Map<Kind, App>();
  const contenders = CONTENDERS.filter((c) => cells.kinds.has(c.kind));
  for (const c of contenders) apps.set(c.kind, await ctx.startApp(c.label, { kind: c.kind, store: 'memory' }));
  for (const delay of cells.delays) {
    await rig.emulator.call('delay', { ms: delay });
    for (const c of cells.concurrency) {
      ctx.progress(`flows: ${delay} ms per WeCom call, concurrency ${c}`);
      // The warm-up also makes the employees returning ones (the library remembers their verdicts).
      for (const { kind } of contenders) {
        const app = apps.get(kind);
        if (app) await ctx.flowsOf(app, c, { durationMs: P.flowWarmMs });
      }
      for (let round = 0; round < P.flowRounds; round++) {
        // Rotate the order each round.
        const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]);
        for (const contender of order) {
          const app = contender ? apps.get(contender.kind) : undefined;
          if (contender && app) ctx.results.flows.push(await sample(ctx, app, contender.kind, delay, c, round));
        }
      }
      await rig.emulator.call('clear');
    }
  }
  await rig.emulator.call('delay', { ms: 0 });
  for (const app of apps.values()) await ctx.stopApp(app);
}
