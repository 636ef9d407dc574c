/**
 * Cores for the bench's processes: on a machine with two cores or more, the processes under test
 * (the apps, the HTTP client's caller) run on the last core, and everything that makes their load
 * (the driver, the emulator, Redis) on the others. An app then never shares its core with the load
 * it measures, and no app is favoured by where the scheduler happens to put it (without this, two
 * identical processes were seen 11% apart on the guard: bench/metrics-overhead.ts). `taskset -a`
 * moves every thread (libuv's pool, V8's helpers). Other users' processes are not pinned: they
 * still run on every core, which is why the bench also reads each process's own CPU time.
 *
 * BENCH_PIN=0 leaves every process where the scheduler puts it (the experiments in bench/NOTES.md).
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

export interface Cores {
  /** false: nothing is pinned (one core, no taskset, or BENCH_PIN=0). */
  readonly pinned: boolean;
  /** taskset's list for the processes under test, and for the load. */
  readonly subject: string;
  readonly load: string;
  /** Pin a process under test / a load process (no-op when not pinned). */
  subjectPid(pid: number): void;
  loadPid(pid: number): void;
  /** One line for the reports. */
  describe(): string;
}

export function taskset(pid: number, cpus: string): boolean {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function cores(env: NodeJS.ProcessEnv = process.env): Cores {
  const n = availableParallelism();
  const subject = String(n - 1);
  const load = n > 2 ? `0-${n - 2}` : '0';
  // taskset on ourselves, to the cores we already have, is the cheapest check that it works.
  const usable = n >= 2 && env['BENCH_PIN'] !== '0' && taskset(process.pid, `0-${n - 1}`);
  return {
    pinned: usable,
    subject,
    load,
    subjectPid: (pid) => {
      if (usable && !taskset(pid, subject)) throw new Error(`taskset could not pin ${pid} to core ${subject}`);
    },
    loadPid: (pid) => {
      if (usable && !taskset(pid, load)) throw new Error(`taskset could not pin ${pid} to cores ${load}`);
    },
    describe: () =>
      usable
        ? `pinned: the processes under test on core ${subject}, the driver, the emulator and Redis on core${load.includes('-') ? 's' : ''} ${load}`
        : env['BENCH_PIN'] === '0'
          ? 'not pinned (BENCH_PIN=0)'
          : 'not pinned (one core, or taskset missing)',
  };
}
