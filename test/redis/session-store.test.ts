import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import session from 'express-session';
import type { SessionData } from 'express-session';
import request from 'supertest';
import {
  createClient,
  ClientClosedError,
  ClientOfflineError,
  ErrorReply,
  ReconnectStrategyError,
  SocketClosedUnexpectedlyError,
} from 'redis';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.ts';
import { withTimeout } from '../helpers/processes.ts';
import { createRedisSessionStore, isStoreUnavailableError, recommendedRedisClientOptions } from '../../src/redis/index.ts';
import { connectClient, destroyAll, randomPrefix, recordingLogger, sleep, waitUntil, type TestClient } from '../helpers/redis-clients.ts';

declare module 'express-session' {
  interface SessionData {
    n?: number;
  }
}

function sessionWithCookie(maxAgeMs: number | undefined): SessionData {
  const cookie = {
    originalMaxAge: maxAgeMs ?? null,
    expires: maxAgeMs === undefined ? undefined : new Date(Date.now() + maxAgeMs),
    httpOnly: true,
    path: '/',
  };
  return { cookie, n: 1 } as unknown as SessionData;
}

/** connect-redis methods with a callback, as express-session calls them. */
function call<T>(run: (cb: (err?: unknown, data?: T) => void) => void): Promise<{ err: unknown; data: T | undefined }> {
  return new Promise((resolve) => run((err, data) => resolve({ err, data })));
}

describe('createRedisSessionStore', () => {
  let server: TestRedisServer;
  const clients: TestClient[] = [];
  before(async () => {
    server = await startRedisServer();
  });
  after(async () => {
    destroyAll(clients);
    await server?.stop(); // missing when the set-up failed: its error is the one to read
  });

  test('round-trips a session; the key TTL follows the cookie, `ttl` covers cookies without expiry', async () => {
    const client = await connectClient(server.url, clients);
    const prefix = randomPrefix();
    const store = createRedisSessionStore({ client, prefix, ttl: 123, logger: null });

    const withCookie = sessionWithCookie(30 * 60_000);
    assert.equal((await call((cb) => store.set('sid-1', withCookie, cb))).err, null);
    const loaded = await call<SessionData>((cb) => store.get('sid-1', cb));
    assert.equal(loaded.err, null);
    assert.equal(loaded.data?.n, 1);
    const ttl = await client.ttl(`${prefix}sid-1`);
    assert.ok(ttl > 1790 && ttl <= 1800, `TTL follows cookie maxAge, got ${ttl}`);

    await call((cb) => store.set('sid-2', sessionWithCookie(undefined), cb));
    assert.equal(await client.ttl(`${prefix}sid-2`), 123);

    await call((cb) => store.destroy('sid-1', cb));
    assert.equal((await call((cb) => store.get('sid-1', cb))).data, null);
  });

  test('attaches an error listener only when the client has none', async () => {
    const bare = createClient({ url: server.url });
    assert.equal(bare.listenerCount('error'), 0);
    createRedisSessionStore({ client: bare, logger: null });
    assert.equal(bare.listenerCount('error'), 1);

    const handled = createClient({ url: server.url });
    handled.on('error', () => {});
    createRedisSessionStore({ client: handled, logger: null });
    assert.equal(handled.listenerCount('error'), 1);
  });

  test('rejects a bad setup with a message that says how to fix it', () => {
    assert.throws(() => createRedisSessionStore({ client: {} as never }), /node-redis client/);
    const client = createClient({ url: server.url });
    assert.throws(() => createRedisSessionStore({ client, prefix: '' }), /prefix/);
    assert.throws(() => createRedisSessionStore({ client, ttl: 1.5 }), /seconds/);
  });
});

describe('the session store while Redis is down', () => {
  test('no crash, errors reach the callback and are recognised, recovery without a restart', async () => {
    const server = await startRedisServer();
    const clients: TestClient[] = [];
    const logger = recordingLogger();
    try {
      const client = createClient({ url: server.url, ...recommendedRedisClientOptions({ maxReconnectDelayMs: 200 }) });
      const store = createRedisSessionStore({ client, prefix: randomPrefix(), logger });
      const emitted: unknown[] = [];
      client.on('error', (err: unknown) => emitted.push(err)); // to check what node-redis emits
      await client.connect();
      clients.push(client);
      await call((cb) => store.set('sid', sessionWithCookie(60_000), cb));

      await server.stop();
      await sleep(600); // several failed reconnect attempts, each emitting 'error'
      const started = Date.now();
      const got = await call((cb) => store.get('sid', cb));
      const set = await call((cb) => store.set('sid', sessionWithCookie(60_000), cb));
      assert.ok(Date.now() - started < 100, 'fails fast with disableOfflineQueue');
      assert.ok(got.err instanceof ClientOfflineError, String(got.err));
      assert.ok(isStoreUnavailableError(got.err));
      assert.ok(isStoreUnavailableError(set.err));
      assert.ok(emitted.length >= 2, `errors emitted: ${emitted.length}`);
      for (const err of emitted) assert.ok(isStoreUnavailableError(err), `not recognised: ${String(err)}`);
      assert.equal(logger.lines.filter((l) => l.startsWith('warn')).length, 1, logger.lines.join('\n'));

      await server.restart();
      await waitUntil(() => client.isReady);
      assert.equal((await call((cb) => store.set('sid', sessionWithCookie(60_000), cb))).err, null);
      assert.equal((await call<SessionData>((cb) => store.get('sid', cb))).data?.n, 1);
      assert.ok(logger.lines.some((l) => l.includes('ready again')));
    } finally {
      destroyAll(clients);
      await server.stop();
    }
  });

  test('through express-session: 503 while Redis is down, working again after it returns', async () => {
    const server = await startRedisServer();
    const clients: TestClient[] = [];
    try {
      const client = await connectClient(server.url, clients);
      const app = express();
      app.use(
        session({
          store: createRedisSessionStore({ client, prefix: randomPrefix(), logger: null }),
          secret: 'test-secret',
          resave: false,
          saveUninitialized: false,
          cookie: { maxAge: 60_000 },
        }),
      );
      app.get('/count', (req, res) => {
        req.session.n = (req.session.n ?? 0) + 1;
        res.json({ n: req.session.n });
      });
      app.use((err: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
        if (!isStoreUnavailableError(err)) return next(err);
        res.status(503).json({ error: 'session_store_unavailable' });
      });
      const agent = request.agent(app);
      await agent.get('/count').expect(200, { n: 1 });
      await agent.get('/count').expect(200, { n: 2 });

      await server.stop();
      await agent.get('/count').expect(503, { error: 'session_store_unavailable' });

      await server.restart(); // empty dataset: the old session is gone, a new one starts
      await waitUntil(() => client.isReady);
      await agent.get('/count').expect(200, { n: 1 });
    } finally {
      destroyAll(clients);
      await server.stop();
    }
  });
});

describe("a process whose only error listener is the helper's", () => {
  const script = (withHelper: boolean) => `
    import { createClient } from 'redis';
    import { createRedisSessionStore } from ${JSON.stringify(new URL('../../src/redis/index.ts', import.meta.url).href)};
    const client = createClient({ url: process.env.REDIS_URL });
    ${withHelper ? 'createRedisSessionStore({ client, logger: null });' : ''}
    await client.connect();
    process.stdout.write('connected\\n');
    setTimeout(() => { client.destroy(); process.stdout.write('survived\\n'); }, 1500);
  `;

  async function run(withHelper: boolean, server: TestRedisServer): Promise<{ code: number | null; out: string }> {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script(withHelper)], {
      env: { ...process.env, REDIS_URL: server.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('connected')) void server.stop();
    });
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    // The script ends itself within 2 s. One that hangs fails the test (a kill would pass for a
    // crash); `once` rejects on a spawn 'error'.
    const exited = once(child, 'exit') as Promise<[number | null]>;
    try {
      const [code] = await withTimeout(exited, 30_000, `the ${withHelper ? 'safe' : 'unsafe'} process to end`);
      return { code, out };
    } finally {
      child.kill('SIGKILL');
    }
  }

  test('survives Redis going away; without the helper the same process dies', async () => {
    const server = await startRedisServer();
    try {
      const safe = await run(true, server);
      assert.equal(safe.code, 0, safe.out);
      assert.match(safe.out, /survived/);
      await server.restart();
      const unsafe = await run(false, server);
      assert.notEqual(unsafe.code, 0, 'node-redis error with no listener should have crashed the control process');
      assert.doesNotMatch(unsafe.out, /survived/);
    } finally {
      await server.stop();
    }
  });
});

describe('isStoreUnavailableError', () => {
  test('recognises what node-redis and the socket report for an unreachable Redis', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    for (const err of [
      new ClientClosedError(),
      new ClientOfflineError(),
      new SocketClosedUnexpectedlyError(),
      refused,
      new ReconnectStrategyError(new Error('gave up'), refused),
      new ErrorReply('LOADING Redis is loading the dataset in memory'),
      new ErrorReply('MASTERDOWN Link with MASTER is down'),
      new ErrorReply('NOREPLICAS Not enough good replicas to write.'),
      new Error("READONLY You can't write against a read only replica."), // node-redis Sentinel, retrying
      new Error('no valid master node'), // node-redis Sentinel, while the sentinels fail over
      new Error('The queue is full'),
      new Error('session store failed', { cause: new ClientClosedError() }),
    ]) {
      assert.equal(isStoreUnavailableError(err), true, String(err));
    }
  });

  test('leaves other errors alone', () => {
    for (const err of [
      new Error('boom'),
      new TypeError('x is not a function'),
      new ErrorReply('WRONGTYPE Operation against a key holding the wrong kind of value'),
      new SyntaxError('Unexpected token in JSON'),
      null,
      undefined,
      'ECONNREFUSED',
    ]) {
      assert.equal(isStoreUnavailableError(err), false, String(err));
    }
  });
});

describe('the Redis factories check their options like every other factory', () => {
  test('unknown options get a suggestion; the errors are WeComOptionsError', async () => {
    const { WeComOptionsError } = await import('../../src/options.ts');
    const { RedisTokenCache } = await import('../../src/redis/index.ts');
    const client = createClient({ url: 'redis://127.0.0.1:1' });
    assert.throws(
      () => createRedisSessionStore({ client, prefx: 'a:' } as never),
      (err: unknown) => err instanceof WeComOptionsError && /did you mean `prefix`/.test(err.message),
    );
    assert.throws(
      () => new RedisTokenCache(client, { lockTTLMs: 5000 } as never),
      (err: unknown) => err instanceof WeComOptionsError && /did you mean `lockTtlMs`/.test(err.message),
    );
  });
});
