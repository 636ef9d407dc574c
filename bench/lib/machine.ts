/**
 * The machine a run measured on, and how busy other users kept it: the bench shares a small
 * machine with other developers' tests, so each sample records the share of the machine's CPU
 * that processes outside the bench used meanwhile (from /proc/stat, less the bench's own
 * processes), which says whether a sample's spread is the code's or the neighbours'.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import type { Machine } from './results.ts';

const CLK_TCK = 100;

export function machine(): Machine {
  const cpu = os.cpus();
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    /* not a git checkout */
  }
  return {
    cpus: cpu.length,
    model: cpu[0]?.model.trim() ?? 'unknown CPU',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    load: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
    commit,
    date: new Date().toISOString().slice(0, 16).replace('T', ' '),
  };
}

/** user+system CPU time of a process so far, in ms (from /proc/PID/stat); 0 once it is gone. */
export function cpuMsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** The machine's busy CPU time so far, all cores, in ms (/proc/stat: everything but idle and iowait). */
function machineBusyMs(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const [, user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).map(Number);
    return ((user + nice + system + irq + softirq + steal) * 1000) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
}

/** The pid of our redis-server, by the title it gives itself ("redis-server 127.0.0.1:PORT"). */
export function redisPid(port: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(`redis-server 127.0.0.1:${port}`)) return Number(entry);
    } catch {
      /* gone meanwhile */
    }
  }
  return undefined;
}

/**
 * Measures the others' share of the machine over an interval: `start()` returns `stop()`, which
 * gives the CPU time used by processes other than `ours()` (and this one), as a share of all the
 * machine's cores over the interval (0 = the neighbours were idle, 1 = they used every core).
 */
export function othersMeter(ours: () => readonly number[]): { start(): () => number } {
  const self = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const oursMs = (): number => ours().reduce((n, pid) => n + cpuMsOf(pid), 0) + self();
  const cores = os.availableParallelism();
  return {
    start() {
      const t0 = performance.now();
      const busy0 = machineBusyMs();
      const ours0 = oursMs();
      return () => {
        const wall = performance.now() - t0;
        const others = machineBusyMs() - busy0 - (oursMs() - ours0);
        return Math.min(1, Math.max(0, others / (wall * cores)));
      };
    },
  };
}
