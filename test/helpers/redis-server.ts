/**
 * A test-owned `redis-server` on a free loopback port, so a test can stop and restart Redis
 * without touching the shared instance on 6379.
 *
 * Always `await server.stop()` in a `finally`/`after` hook; the process is also killed when the
 * test process exits, so a crashed test does not leave a stray server behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { once } from 'node:events';

export interface TestRedisServer {
  /** `redis://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** SIGTERM, then SIGKILL after 2 s; resolves once the process has exited. Idempotent. */
  stop(): Promise<void>;
  /** Stop if running, then start again on the same port (empty dataset: persistence is off). */
  restart(): Promise<void>;
}

const REDIS_SERVER = process.env['REDIS_SERVER_BIN'] ?? '/usr/bin/redis-server';
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** A TCP port nothing listens on right now (bind port 0, read it, close). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

/** One raw RESP PING; true on +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
  });
}

function spawnServer(port: number): ChildProcess {
  const child = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

async function waitForPing(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`redis-server exited early (${child.exitCode ?? child.signalCode}): ${stderr.trim()}`);
    }
    if (await ping(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server on port ${port} did not answer PING within 10 s: ${stderr.trim()}`);
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
}

export async function startRedisServer(): Promise<TestRedisServer> {
  // A port found free can be taken by someone else before redis binds it: retry a few times.
  let port = 0;
  let child: ChildProcess | undefined;
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    child = spawnServer(port);
    try {
      await waitForPing(port, child);
      break;
    } catch (err) {
      await stopChild(child);
      if (attempt >= 2) throw err;
    }
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      await stopChild(child);
    },
    async restart() {
      await stopChild(child);
      child = spawnServer(port);
      await waitForPing(port, child);
    },
  };
}
