/**
 * The processes the tests start (redis-server, redis-sentinel, redis-cli, the demo app, ...) and
 * the system tools they need. Three rules hold for every one of them:
 *
 * - a tool that is not installed fails the test at once with the command that installs it
 *   (`requireTool`), before anything is started;
 * - a process that cannot start (not found, not executable, exits early, its port taken) fails
 *   the wait for it with the reason and its output: Node reports a failed spawn as an 'error'
 *   event and no 'exit', so a wait for 'exit' or for a port would never end;
 * - every wait has a bound and ends with a message naming what it waited for.
 *
 * Every process still alive when the test process exits is killed then, so a crashed or failed
 * test leaves nothing behind.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { findTool, missingToolMessage, type ToolName } from '../../scripts/system-tools.mjs';

export type { ToolName };

/** The tool's path (its env override, PATH, or Chromium's fixed path); throws with the line that installs it. */
export function requireTool(name: ToolName, env: NodeJS.ProcessEnv = process.env): string {
  const found = findTool(name, env);
  if (found.path !== undefined) return found.path;
  throw new Error(missingToolMessage(name, found.problem));
}

const live = new Set<Started>();
process.once('exit', () => {
  for (const started of live) started.signal('SIGKILL');
});

export interface Started {
  readonly child: ChildProcess;
  /** What the process wrote so far (stdout and stderr, interleaved). */
  output(): string;
  /** Why it is no longer running (spawn error, exit code or signal), or undefined while it runs. */
  ended(): string | undefined;
  /** Resolves once the process has exited, or failed to spawn. */
  readonly gone: Promise<void>;
  /** Sends a signal (to its process group when started with `detached`); no-op once gone. */
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM, SIGKILL after `graceMs`; resolves once gone. Idempotent. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL; resolves once gone. */
  kill(): Promise<void>;
}

export type StartOptions = Pick<SpawnOptions, 'cwd' | 'env' | 'detached'>;

/**
 * Spawns `bin` with stdout and stderr collected into `output()` (read as they come, so a chatty
 * process never blocks on a full pipe); never throws: a failed spawn shows in `ended()`.
 */
export function startProcess(bin: string, args: readonly string[], options: StartOptions = {}): Started {
  const child = spawn(bin, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let reason: string | undefined;
  let markGone: () => void = () => {};
  const gone = new Promise<void>((resolve) => (markGone = resolve));
  const end = (why: string) => {
    reason ??= why;
    live.delete(started);
    markGone();
  };
  // ENOENT, EACCES: no 'exit' follows this 'error' (a 'close' does).
  child.once('error', (err: NodeJS.ErrnoException) => end(`cannot start ${bin}: ${err.message}`));
  // 'close' comes once the output is all read, so the reason carries the process's last words;
  // a grandchild holding the pipes open must not keep it waiting, hence the timer.
  child.once('exit', (code, signal) => {
    const why = signal ? `killed by ${signal}` : `exited with code ${code}`;
    child.once('close', () => end(why));
    setTimeout(() => end(why), 1000).unref();
  });

  const signalIt = (sig: NodeJS.Signals) => {
    if (reason !== undefined || child.pid === undefined) return;
    try {
      if (options.detached) process.kill(-child.pid, sig);
      else child.kill(sig);
    } catch {
      child.kill(sig); // the group is gone already, or never formed
    }
  };
  const started: Started = {
    child,
    output: () => output,
    ended: () => reason,
    gone,
    signal: signalIt,
    async stop(graceMs = 2000) {
      signalIt('SIGTERM');
      const timer = setTimeout(() => signalIt('SIGKILL'), graceMs);
      await gone;
      clearTimeout(timer);
    },
    async kill() {
      signalIt('SIGKILL');
      await gone;
    },
  };
  live.add(started);
  return started;
}

/** The last lines of a process's output, for an error message. */
export function tail(text: string, lines = 30): string {
  const kept = text.trim().split('\n').slice(-lines).join('\n');
  return kept ? `\n${kept}` : ' (no output)';
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `probe` every `everyMs` until it answers true. Rejects at once with the reason when the
 * process ends first (it cannot become ready any more), and after `timeoutMs` with what it waited
 * for; in both cases with the process's output. Kills the process when the wait fails, so a
 * failed start leaves nothing running. A probe that throws counts as "not yet".
 */
export async function waitUntilReady(
  started: Started,
  what: string,
  probe: () => boolean | Promise<boolean>,
  options: { timeoutMs?: number; everyMs?: number } = {},
): Promise<void> {
  const { timeoutMs = 10_000, everyMs = 25 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ended = started.ended();
    if (ended !== undefined) throw new Error(`${what}: ${ended} before it was ready${tail(started.output())}`);
    // A probe that hangs is cut off at the deadline like one that keeps answering no.
    const left = Math.max(deadline - Date.now(), 1);
    if (await withTimeout(Promise.resolve().then(probe), left, what).then(Boolean, () => false)) return;
    if (Date.now() > deadline) {
      await started.kill();
      throw new Error(`${what}: not ready within ${timeoutMs / 1000} s${tail(started.output())}`);
    }
    await sleep(everyMs);
  }
}

/** `promise`, or a rejection naming `what` after `ms` (the promise itself is left to settle). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** True when the output says the port was taken (redis: "Address already in use"; Node: EADDRINUSE). */
export function portTaken(output: string): boolean {
  return /Address already in use|EADDRINUSE/.test(output);
}
