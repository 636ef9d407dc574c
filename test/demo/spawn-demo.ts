/**
 * `npm start` as a person runs it: `node src/demo/main.ts` in its own process with only the
 * environment given (plus PATH and HOME), on free ports. `startDemo` resolves once the demo
 * printed its "demo on" line; `runDemoToExit` for a demo expected to refuse to start. Both wait
 * at most 20 s and then fail with what the demo wrote.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/redis-server.ts';
import { startProcess, waitUntilReady, type Started } from '../helpers/processes.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LIMIT_MS = 20_000;

export interface DemoProcess {
  /** Where the test reaches the demo: `http://localhost:PORT` (its PUBLIC_URL unless the env sets one). */
  readonly appUrl: string;
  readonly emulatorUrl: string;
  output(): string;
  stop(): Promise<void>;
}

/** Two different free ports: freePort() releases its port, so two calls can hand out the same one. */
export async function twoPorts(): Promise<[number, number]> {
  const a = await freePort();
  let b = await freePort();
  while (b === a) b = await freePort();
  return [a, b];
}

function spawnMain(env: Record<string, string>): Started {
  return startProcess(process.execPath, ['src/demo/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
  });
}

export async function startDemo(env: Record<string, string> = {}): Promise<DemoProcess> {
  const [port, emulatorPort] = await twoPorts();
  const started = spawnMain({ PORT: String(port), EMULATOR_PORT: String(emulatorPort), ...env });
  await waitUntilReady(started, 'the demo (its "demo on" line)', () => started.output().includes('demo on'), { timeoutMs: LIMIT_MS });
  return {
    appUrl: `http://localhost:${port}`,
    emulatorUrl: `http://127.0.0.1:${emulatorPort}`,
    output: () => started.output(),
    stop: () => started.stop(2000),
  };
}

export interface DemoExit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the demo with exactly this environment (plus PATH and HOME) until it exits; kills it after 20 s. */
export async function runDemoToExit(env: Record<string, string>): Promise<DemoExit> {
  const child = spawn(process.execPath, ['src/demo/main.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS);
  const code = await new Promise<number | null>((resolve) => {
    child.once('exit', (c) => resolve(c));
    // A spawn that fails emits 'error' and no 'exit'.
    child.once('error', () => resolve(null));
  });
  clearTimeout(timer);
  return { code, stdout, stderr };
}
