/**
 * Memory (table 5): the library's RSS and heap after a full GC at each mark, sessions and token
 * cache in Redis, concurrency 64. Last in the run: it gets what is left of the time budget.
 */
import type { BenchContext } from '../lib/context.ts';
import type { MemoryRow } from '../lib/results.ts';
import { fmt } from '../lib/stats.ts';

export async function runMemory(ctx: BenchContext): Promise<void> {
  const { P } = ctx;
  ctx.progress('memory');
  const app = await ctx.startApp('lib/redis (memory)', { kind: 'lib', store: 'redis' });
  const rows: MemoryRow[] = [];
  let done = 0;
  const marks = ctx.quick ? [P.memFirst, P.memTotal] : [P.memFirst, 25_000, 50_000, 75_000, P.memTotal];
  let stoppedEarly = false;
  for (const mark of marks) {
    while (done < mark) {
      // Leave ~15 s for the reports and shutdown.
      const left = ctx.budgetMs - ctx.elapsed() - 15_000;
      if (left < 2_000) {
        stoppedEarly = true;
        break;
      }
      const r = await ctx.flowsOf(app, 64, { count: Math.min(mark - done, 5_000), durationMs: left });
      done += r.flows;
      if (r.errors) ctx.progress(`memory: ${r.errors} failed flows: ${r.firstError ?? ''}`);
      await ctx.rig.emulator.call('clear');
    }
    if (done === 0) break;
    const usage = (await (await fetch(`${app.baseUrl}/__bench/mem`)).json()) as { rss: number; heapUsed: number };
    rows.push({ logins: done, rssProc: app.proc.rss(), rss: usage.rss, heapUsed: usage.heapUsed });
    ctx.progress(`memory: ${done} logins, RSS ${fmt(usage.rss / 2 ** 20, 1)} MB`);
    if (stoppedEarly) break;
  }
  ctx.results.memory = { rows, stoppedEarly };
  await ctx.stopApp(app);
}
