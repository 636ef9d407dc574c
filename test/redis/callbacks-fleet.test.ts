/**
 * Hearing WeCom with two instances on one Redis (sessions through connect-redis, the session
 * index through RedisSessionIndex, claims and de-duplication through RedisTokenCache): a
 * departure delivered to one instance ends the sessions the other wrote, browser and mini program
 * alike; a delivery repeated 5 times at once across both runs its handler once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import supertest from 'supertest';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { createRedisSessionStore, RedisSessionIndex, RedisTokenCache } from '../../src/redis/index.ts';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.ts';
import { login, setupFlow, type FlowSetup } from '../helpers/flow.ts';
import { connectClient, destroyAll, randomPrefix, type TestClient } from '../helpers/redis-clients.ts';
import { generateEncodingAESKey, messageXml, signDelivery } from '../../src/testing.ts';

const CORP = 'wwdemocorp0000001';
const credentials = { token: 'fleetToken', encodingAESKey: generateEncodingAESKey() };
const SESSION_SECRET = 'test-session-secret';

let server: TestRedisServer;
let emulator: Emulator;
const clients: TestClient[] = [];
const instances: FlowSetup[] = [];
const caches: RedisTokenCache[] = [];
let prefix: string;
const clicks: string[] = [];

async function instance(): Promise<FlowSetup> {
  const client = await connectClient(server.url, clients);
  const cache = new RedisTokenCache(await connectClient(server.url, clients), { prefix: `${prefix}wecom:`, logger: null });
  caches.push(cache);
  const flow = await setupFlow({
    emulator,
    store: createRedisSessionStore({ client, prefix: `${prefix}sess:`, logger: null }),
    wecom: {
      tokenCache: cache,
      sessionIndex: new RedisSessionIndex(client, { prefix: `${prefix}index:` }),
      callbacks: { credentials },
      miniProgram: { sessionSecret: SESSION_SECRET, cookieName: 'wecom.sid' },
    },
    mount: (app, wecom) => {
      const receiver = wecom.callbackReceiver();
      receiver.on('click', async (event) => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        clicks.push(event.eventKey);
      });
      app.use('/wecom/events', receiver);
    },
  });
  instances.push(flow);
  return flow;
}

before(async () => {
  server = await startRedisServer();
  emulator = await startEmulator({ port: 0 });
  prefix = randomPrefix();
});
after(async () => {
  for (const flow of instances) await flow.close();
  for (const cache of caches) await cache.close();
  destroyAll(clients);
  await emulator?.close();
  await server?.stop();
});

const deliver = (flow: FlowSetup, message: string) => {
  const signed = signDelivery({ ...credentials, receiveId: CORP }, message);
  return supertest(flow.app)
    .post(`/wecom/events?${new URLSearchParams(signed.query)}`)
    .set('Content-Type', 'text/xml')
    .send(signed.body);
};
const now = () => String(Math.floor(Date.now() / 1000));

describe('callbacks across two instances on one Redis', () => {
  test('a member deleted, heard by B: their sessions written by A end on A at once, browser and mini program; another member keeps theirs', async () => {
    const [a, b] = [await instance(), await instance()];
    const zhangsan = a.agent();
    await login(zhangsan, '/orders/1', { user: 'zhangsan' });
    const lisi = a.agent();
    await login(lisi, '/orders/2', { user: 'lisi' });
    const mp = await supertest(a.app)
      .post('/auth/wecom/miniprogram/login')
      .set('Content-Type', 'application/json')
      .send({ code: emulator.issueMiniProgramCode({ userId: 'zhangsan' }) });
    assert.equal(mp.status, 200, mp.text);
    const bearer = (flow: FlowSetup) => supertest(flow.app).get('/api/data').set('Authorization', `Bearer ${mp.body.token}`);
    assert.equal((await bearer(a)).status, 200);
    assert.equal((await zhangsan.get('/api/data')).status, 200);

    const gone = messageXml({
      ToUserName: CORP,
      FromUserName: 'sys',
      CreateTime: now(),
      MsgType: 'event',
      Event: 'change_contact',
      ChangeType: 'delete_user',
      UserID: 'zhangsan',
    });
    assert.equal((await deliver(b, gone)).status, 200);
    assert.equal((await zhangsan.get('/api/data')).status, 401, "A's browser session ended");
    assert.equal((await bearer(a)).status, 401, "A's mini-program session ended");
    assert.equal((await bearer(b)).status, 401, 'on every instance');
    assert.equal((await lisi.get('/api/data')).body.userId, 'lisi', 'lisi untouched');
  });

  test('a delivery repeated 5 times at once, split across the two instances, runs its handler once', async () => {
    const [a, b] = [instances[0] ?? (await instance()), instances[1] ?? (await instance())];
    const message = messageXml({
      ToUserName: CORP,
      FromUserName: 'zhangsan',
      CreateTime: now(),
      MsgType: 'event',
      Event: 'click',
      EventKey: 'fleet-five',
      AgentID: 1000002,
    });
    const signed = signDelivery({ ...credentials, receiveId: CORP }, message);
    const answers = await Promise.all(
      [a, b, a, b, a].map((flow) =>
        supertest(flow.app)
          .post(`/wecom/events?${new URLSearchParams(signed.query)}`)
          .set('Content-Type', 'text/xml')
          .send(signed.body),
      ),
    );
    assert.deepEqual(
      answers.map((r) => r.status),
      [200, 200, 200, 200, 200],
    );
    assert.deepEqual(
      clicks.filter((k) => k === 'fleet-five'),
      ['fleet-five'],
    );
  });
});
