/**
 * A test-owned `redis-server` on a free loopback port, so a test can stop and restart Redis
 * without touching the shared instance on 6379.
 *
 * Always `await server.stop()` in a `finally`/`after` hook; the process is also killed when the
 * test process exits, so a crashed test does not leave a stray server behind. Without
 * redis-server (PATH, or REDIS_SERVER_BIN) it fails at once with the line that installs it; a
 * server that cannot start fails with the reason (test/helpers/processes.ts).
 */
import { createServer, connect } from 'node:net';
import { once } from 'node:events';
import { portTaken, requireTool, startProcess, waitUntilReady, type Started } from './processes.ts';

export interface TestRedisServer {
  /** `redis://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** SIGTERM, then SIGKILL after 2 s; resolves once the process has exited. Idempotent. */
  stop(): Promise<void>;
  /** Stop if running, then start again on the same port (empty dataset: persistence is off). */
  restart(): Promise<void>;
}

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

/** Starts redis-server on `port` and waits for its PONG; rejects with the reason if it cannot start. */
async function startOn(bin: string, port: number): Promise<Started> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'];
  // redis-server logs to stdout: "Address already in use" there is how a taken port shows.
  const child = startProcess(bin, args);
  await waitUntilReady(child, `redis-server on port ${port}`, () => ping(port));
  return child;
}

export async function startRedisServer(): Promise<TestRedisServer> {
  const bin = requireTool('redis-server');
  // A port found free can be taken by someone else before redis binds it: then (only then) try another.
  let port = 0;
  let child: Started | undefined;
  for (let attempt = 0; child === undefined; attempt++) {
    port = await freePort();
    try {
      child = await startOn(bin, port);
    } catch (err) {
      if (attempt >= 2 || !(err instanceof Error) || !portTaken(err.message)) throw err;
    }
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      await child?.stop();
    },
    async restart() {
      await child?.stop();
      child = await startOn(bin, port);
    },
  };
}
