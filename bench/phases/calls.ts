/**
 * WeCom calls per 1,000 logins (table 3), counted by the emulator: each contender freshly started,
 * the library's first logins, the check asked at every login, and four processes on one Redis.
 */
import type { BenchContext } from '../lib/context.ts';
import { CONTENDERS, exchangesOf } from '../lib/results.ts';
import type { CallsRow } from '../lib/results.ts';
import type { FlowResult } from '../procs/driver.ts';

export async function runCalls(ctx: BenchContext): Promise<void> {
  const { P, rig, users } = ctx;
  const { emulator, driver } = rig;
  ctx.progress('WeCom calls per 1,000 logins');
  await emulator.call('delay', { ms: 30 });
  const count = async (id: string, label: string, origin: string, backends: string[], logins: number): Promise<void> => {
    await emulator.call('clear');
    const r = await driver.call<FlowResult>('flows', { origin, backends, path: '/page', concurrency: 16, count: logins, users });
    if (r.errors) ctx.progress(`${label}: ${r.errors} failed flows: ${r.firstError ?? ''}`);
    const calls = await emulator.call<{ byApi: Record<string, number>; total: number; errors: number }>('calls');
    const row: CallsRow = { id, label, logins: r.flows, failed: r.errors, byApi: calls.byApi, total: calls.total };
    ctx.results.calls.push(row);
    ctx.progress(
      `${label}: ${calls.total} calls for ${r.flows} logins (${exchangesOf(row)} exchanges, ${calls.byApi['user/get'] ?? 0} user/get)`,
    );
  };
  const alone = async (id: string, label: string, config: Parameters<BenchContext['startApp']>[1], logins: number): Promise<void> => {
    const app = await ctx.startApp(label, config);
    await count(id, label, app.baseUrl, [app.baseUrl], logins);
    await ctx.stopApp(app);
  };
  for (const { kind, label } of CONTENDERS) await alone(kind, label, { kind, store: 'memory' }, P.callLogins);
  await alone(
    'lib-first',
    `express-wecom-auth (defaults), first logins: ${users.length} employees, each once`,
    { kind: 'lib', store: 'memory' },
    users.length,
  );
  await alone(
    'lib-no-memory',
    'express-wecom-auth, visibilityCacheMs: 0 (the check asked at every login)',
    { kind: 'lib', store: 'memory', visibilityCacheMs: 0 },
    P.callLogins,
  );
  const prefix = `bench${process.pid}-fleet:`;
  const lbOrigin = 'http://app.bench.test:8080';
  const fleet = [];
  for (let i = 0; i < 4; i++) fleet.push(await ctx.startApp(`lib#${i}`, { kind: 'lib', store: 'redis', prefix, baseUrl: lbOrigin }));
  await emulator.call('trust', { host: new URL(lbOrigin).host });
  const backends = fleet.map((a) => `http://127.0.0.1:${String(a.proc.hello['port'])}`);
  await count('fleet', 'express-wecom-auth (defaults), 4 processes, one Redis', lbOrigin, backends, P.callLogins);
  for (const app of fleet) await ctx.stopApp(app);
  await emulator.call('delay', { ms: 0 });
}
