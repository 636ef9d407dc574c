/** Child processes with a request/answer protocol over IPC, and their CPU time and RSS from /proc. */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Proc {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The body of the ready message (id 0). */
  readonly hello: Record<string, unknown>;
  /** Rejects when the process exits first, or after `timeoutMs` (default 10 min, above any bench phase). */
  call<T>(type: string, payload?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** user+system CPU time of the process so far, in ms (from /proc/PID/stat). */
  cpuMs(): number;
  /** Resident set size in bytes (from /proc/PID/status). */
  rss(): number;
  stop(): Promise<void>;
}

interface Answer {
  id: number;
  body?: unknown;
  error?: string;
}

const CLK_TCK = 100;
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export async function startProc(file: string, opts: { env?: Record<string, string>; execArgv?: string[]; name: string }): Promise<Proc> {
  const child = fork(file, [], {
    env: { ...process.env, ...opts.env },
    execArgv: opts.execArgv ?? [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  const hello = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${opts.name}: no ready message within 30 s`)), 30_000);
    child.once('exit', (code) => reject(new Error(`${opts.name} exited early (${String(code)})`)));
    // A fork that cannot start emits 'error' and no 'exit'.
    child.once('error', (err) => reject(new Error(`${opts.name} could not start: ${err.message}`)));
    child.on('message', (raw: unknown) => {
      const msg = raw as Answer;
      if (msg.id === 0) {
        clearTimeout(timer);
        resolve(msg.body as Record<string, unknown>);
        return;
      }
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (msg.error !== undefined) p.reject(new Error(`${opts.name}: ${msg.error}`));
      else p.resolve(msg.body);
    });
  });
  child.once('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`${opts.name} exited (${String(code)})`));
    pending.clear();
  });
  const pid = child.pid ?? 0;
  return {
    child,
    pid,
    hello,
    call<T>(type: string, payload: Record<string, unknown> = {}, timeoutMs = 600_000): Promise<T> {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${opts.name}: no answer to ${type} within ${timeoutMs / 1000} s`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (value) => {
            clearTimeout(timer);
            resolve(value as T);
          },
          reject: (err) => {
            clearTimeout(timer);
            reject(err);
          },
        });
        child.send({ ...payload, id, type });
      });
    },
    cpuMs(): number {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
    },
    rss(): number {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const match = /VmRSS:\s+(\d+) kB/.exec(status);
      return match ? Number(match[1]) * 1024 : Number.NaN;
    },
    stop(): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        if (child.connected) child.disconnect();
        else child.kill('SIGTERM');
      });
    },
  };
}
