/**
 * Guard overhead (table 4): a logged-in page behind requireUser() against the same page behind
 * express-session alone, autocannon from the driver, rounds of back-to-back samples, the app's own
 * CPU per request read from /proc beside each rate.
 */
import type { App, BenchContext } from '../lib/context.ts';
import type { GuardResult } from '../lib/results.ts';

type Cannon = { rps: number; p50: number; p99: number; non2xx: number; errors: number };
interface Shot extends Cannon {
  cpuUs: number;
}

export async function runGuard(ctx: BenchContext): Promise<void> {
  const { P, rig } = ctx;
  ctx.progress('guard overhead');
  for (const store of ['memory', 'redis'] as const) {
    const base = await ctx.startApp(`session-only/${store}`, { kind: 'session-only', store });
    const lib = await ctx.startApp(`lib/${store}`, { kind: 'lib', store });
    const baseCookie = await rig.driver.call<string>('seed-cookie', { url: `${base.baseUrl}/__bench/seed` });
    const libCookie = await rig.driver.call<string>('login-cookie', { origin: lib.baseUrl, backends: [lib.baseUrl], path: '/page' });
    const shoot = async (app: App, cookie: string, s: number): Promise<Shot> => {
      const cpu0 = app.proc.cpuMs();
      const r = await rig.driver.call<Cannon>('autocannon', {
        url: `${app.baseUrl}/page`,
        cookie,
        connections: P.guardConnections,
        durationS: s,
      });
      return { ...r, cpuUs: ((app.proc.cpuMs() - cpu0) * 1000) / Math.max(1, r.rps * s) };
    };
    await shoot(base, baseCookie, P.guardWarmS);
    await shoot(lib, libCookie, P.guardWarmS);
    const b: Shot[] = [];
    const l: Shot[] = [];
    for (let round = 0; round < P.guardRounds; round++) {
      // Alternate who goes first, so a drift in the machine's load does not favour one side.
      if (round % 2 === 0) {
        b.push(await shoot(base, baseCookie, P.guardS));
        l.push(await shoot(lib, libCookie, P.guardS));
      } else {
        l.push(await shoot(lib, libCookie, P.guardS));
        b.push(await shoot(base, baseCookie, P.guardS));
      }
    }
    const bad = [...b, ...l].reduce((n, r) => n + r.non2xx + r.errors, 0);
    if (bad > 0) ctx.progress(`guard/${store}: ${bad} non-2xx or errors`);
    const result: GuardResult = {
      store,
      base: b.map((r) => r.rps),
      lib: l.map((r) => r.rps),
      baseP99: b.map((r) => r.p99),
      libP99: l.map((r) => r.p99),
      baseCpuUs: b.map((r) => r.cpuUs),
      libCpuUs: l.map((r) => r.cpuUs),
      bad,
    };
    ctx.results.guard.push(result);
    await ctx.stopApp(base);
    await ctx.stopApp(lib);
  }
}
