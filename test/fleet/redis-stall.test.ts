/**
 * A session Redis that is up but stops answering (CLIENT PAUSE: a long fork, a busy script, a
 * network black hole) under a demo app process. Unlike a stopped Redis (redis-outage.test.ts),
 * nothing closes the socket, so node-redis neither fails fast nor reconnects.
 *
 * The session store gives up on a reply after `commandTimeoutMs` and the error handler knows
 * node-redis's "The queue is full": both end in a 503, never a hang or a 500.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.ts';
import { request, spawnApp, walkLogin, type AppProcess, type CookieJar } from '../helpers/fleet.ts';
import { connectClient, destroyAll, type TestClient } from '../helpers/redis-clients.ts';

const PAUSE_MS = 3000;

let emulator: Emulator | undefined;
let redis: TestRedisServer | undefined;
let app: AppProcess | undefined;
const clients: TestClient[] = [];

before(async () => {
  // Redis first, one after the other: when it cannot start, nothing else is left running
  // (under Promise.all the emulator would stay listening and keep this file's process alive).
  redis = await startRedisServer();
  emulator = await startEmulator({ port: 0 });
  app = await spawnApp({ emulatorUrl: emulator.url, redisUrl: redis.url });
});

after(async () => {
  destroyAll(clients);
  await app?.stop();
  await Promise.allSettled([emulator?.close(), redis?.stop()]);
});

async function setup(): Promise<{ app: AppProcess; jar: CookieJar; pause: () => Promise<void> }> {
  if (emulator === undefined || redis === undefined || app === undefined) throw new Error('setup failed');
  const jar = await walkLogin({ start: app, callback: app, final: app, user: 'zhangsan', emulatorUrl: emulator.url });
  const admin = await connectClient(redis.url, clients);
  return {
    app,
    jar,
    pause: async () => {
      await admin.sendCommand(['CLIENT', 'PAUSE', String(PAUSE_MS), 'ALL']);
    },
  };
}

/** Resolves once Redis answers again (the pause is over), so the next test starts clean. */
async function waitUnpaused(): Promise<void> {
  if (redis === undefined) return;
  const probe = await connectClient(redis.url, clients);
  await probe.ping();
}

describe('the session Redis stalls (CLIENT PAUSE) under a running app', () => {
  test('a request needing the session answers 503 within a bounded time, not when Redis answers again', async () => {
    const { app: instance, jar, pause } = await setup();
    await pause();
    try {
      const t0 = Date.now();
      const res = await request(instance, '/me', jar.clone(), { accept: 'application/json' });
      const ms = Date.now() - t0;
      assert.equal(res.status, 503, `answered ${res.status} after ${ms} ms`);
      assert.ok(ms < PAUSE_MS - 500, `answered after ${ms} ms, i.e. when Redis came back`);
    } finally {
      await waitUnpaused();
    }
  });

  test('more requests than commandsQueueMaxLength while Redis stalls: the overflow answers 503, never 500', async () => {
    const { app: instance, jar, pause } = await setup();
    await pause();
    let statuses: Map<number, number>;
    try {
      // recommendedRedisClientOptions() caps the queue at 1000 commands.
      const answers = await Promise.all(
        Array.from({ length: 1100 }, () => request(instance, '/me', jar.clone(), { accept: 'application/json' })),
      );
      statuses = new Map();
      for (const res of answers) statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    } finally {
      await waitUnpaused();
    }
    assert.ok(instance.alive());
    assert.deepEqual(
      [...statuses.keys()].filter((s) => s !== 200 && s !== 503),
      [],
      `statuses: ${JSON.stringify([...statuses])}`,
    );
  });
});
