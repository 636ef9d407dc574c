/**
 * What the orchestrator asks a server under test about itself, over IPC:
 * - {type: 'profile', action: 'start'} then {type: 'profile', action: 'stop', file}: a V8 CPU
 *   profile of chosen samples only (not the start-up), through the inspector (BENCH_CPU_PROF);
 * - {type: 'cpu'}: the process's CPU time so far (user + system, all threads, ms) from getrusage,
 *   at µs resolution: /proc/PID/stat counts in 10 ms ticks, too coarse for a sample of 20 logins;
 * - {type: 'lag', reset?: boolean}: the event loop's delay since the last reset (p50, p99, max in
 *   ms, from perf_hooks' histogram sampling every 5 ms), which says whether requests
 *   queued behind each other's work: what CPU time alone does not show.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export function answerInspections(): void {
  let profiler: Session | undefined;
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  process.on('message', (raw: unknown) => {
    const msg = raw as { id: number; type: string; action?: string; file?: string; reset?: boolean };
    const done = (body: unknown): void => {
      process.send?.({ id: msg.id, body });
    };
    const fail = (err: unknown): void => {
      process.send?.({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
    };
    if (msg.type === 'cpu') {
      const u = process.cpuUsage();
      done({ ms: (u.user + u.system) / 1000 });
      return;
    }
    if (msg.type === 'lag') {
      const ms = (ns: number): number => ns / 1e6;
      done({ p50: ms(lag.percentile(50)), p99: ms(lag.percentile(99)), max: ms(lag.max) });
      if (msg.reset) lag.reset();
      return;
    }
    if (msg.type !== 'profile') return;
    if (msg.action === 'start') {
      profiler ??= new Session();
      profiler.connect();
      profiler
        .post('Profiler.enable')
        .then(() => profiler?.post('Profiler.setSamplingInterval', { interval: 200 }))
        .then(() => profiler?.post('Profiler.start'))
        .then(() => done({ ok: true }), fail);
      return;
    }
    const session = profiler;
    if (!session || !msg.file) {
      fail(new Error('profile: start first, and give a file'));
      return;
    }
    const file = msg.file;
    session
      .post('Profiler.stop')
      .then(({ profile }) => {
        session.disconnect();
        writeFileSync(file, JSON.stringify(profile));
      })
      .then(() => done({ ok: true }), fail);
  });
}
