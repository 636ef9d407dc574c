/**
 * got's share per login (table 7): the floor, the library, and the library with node:https in
 * place of got (built now into scratch/ by bench/lib/variant.ts), interleaved rounds of a fixed
 * number of logins at 16 at once with WeCom answering at once, CPU per login from /proc. When the
 * variant cannot be built (src/wecom/http.ts changed under the patch), the table says why and
 * keeps the floor and the library.
 */
import { join } from 'node:path';
import type { App, BenchContext } from '../lib/context.ts';
import type { GotShareResult } from '../lib/results.ts';
import { buildHttpsVariant } from '../lib/variant.ts';

const ROOT = join(import.meta.dirname, '../..');
/** 16 at once (the CPU-bound cell of table 1b); BENCH_GOTSHARE_CONCURRENCY=64 for the profiles of bench/NOTES.md. */
const CONCURRENCY = Number(process.env['BENCH_GOTSHARE_CONCURRENCY'] ?? 16);

export async function runGotShare(ctx: BenchContext): Promise<void> {
  const { P, rig } = ctx;
  ctx.progress("got's share per login (the library with node:https in place of got)");
  let variant: { src: string; description: string } | undefined;
  let why = '';
  try {
    variant = buildHttpsVariant(ROOT);
  } catch (err) {
    why = err instanceof Error ? err.message : String(err);
    ctx.progress(`no node:https variant: ${why}`);
  }
  const apps: { id: GotShareResult['rows'][number]['id']; label: string; app: App; cpu: number[]; rate: number[]; failed: number }[] = [];
  const add = async (id: GotShareResult['rows'][number]['id'], label: string, config: Parameters<BenchContext['startApp']>[1]) =>
    apps.push({ id, label, app: await ctx.startApp(label, config), cpu: [], rate: [], failed: 0 });
  await add('floor', 'floor (hand-written minimum)', { kind: 'floor', store: 'memory' });
  await add('lib', 'express-wecom-auth (defaults, got)', { kind: 'lib', store: 'memory' });
  if (variant)
    await add('lib-https', 'express-wecom-auth, node:https in place of got', { kind: 'lib', store: 'memory', libSrc: variant.src });
  await rig.emulator.call('delay', { ms: 0 });
  for (const a of apps) await ctx.flowsOf(a.app, CONCURRENCY, { count: Math.min(300, P.gotShareLogins) });
  for (let round = 0; round < P.gotShareRounds; round++) {
    for (let i = 0; i < apps.length; i++) {
      const a = apps[(i + round) % apps.length];
      if (!a) continue;
      // BENCH_CPU_PROF: this table's samples profiled too (the variant shows what is left without got).
      if (ctx.profileDir) await a.app.proc.call('profile', { action: 'start' });
      const m = await ctx.measureFlows(a.app, CONCURRENCY, { count: P.gotShareLogins });
      if (ctx.profileDir)
        await a.app.proc.call('profile', {
          action: 'stop',
          file: join(ctx.profileDir, `share-${a.id}-c${CONCURRENCY}-r${round}-${m.result.flows}logins.cpuprofile`),
        });
      a.cpu.push(m.cpuMsPerLogin);
      a.rate.push(m.result.rate);
      a.failed += m.result.errors;
    }
  }
  await rig.emulator.call('clear');
  ctx.results.gotShare = {
    concurrency: CONCURRENCY,
    delay: 0,
    logins: P.gotShareLogins,
    rounds: P.gotShareRounds,
    variant: variant
      ? variant.description
      : `The node:https variant could not be built (${why}); the table has the floor and the library only.`,
    rows: apps.map(({ id, label, cpu, rate, failed }) => ({ id, label, cpu, rate, failed })),
  };
  for (const a of apps) await ctx.stopApp(a.app);
}
