/**
 * `npm start` as a person runs it: `node src/demo/main.ts` in its own process with only the
 * environment given (plus PATH and HOME), on free ports. `startDemo` resolves once the demo
 * printed its "demo on" line; `runDemoToExit` for a demo expected to refuse to start. Both wait
 * at most 20 s and then fail with what the demo wrote.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/redis-server.ts';

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

function spawnMain(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['src/demo/main.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
  });
}

export async function startDemo(env: Record<string, string> = {}): Promise<DemoProcess> {
  const [port, emulatorPort] = await twoPorts();
  const child = spawnMain({ PORT: String(port), EMULATOR_PORT: String(emulatorPort), ...env });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo did not start within ${LIMIT_MS} ms: ${output}`)), LIMIT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('demo on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited (${code}): ${output}`));
    });
  });
  return {
    appUrl: `http://localhost:${port}`,
    emulatorUrl: `http://127.0.0.1:${emulatorPort}`,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface DemoExit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the demo with exactly this environment (plus PATH and HOME) until it exits; kills it after 20 s. */
export async function runDemoToExit(env: Record<string, string>): Promise<DemoExit> {
  const child = spawnMain(env);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}
