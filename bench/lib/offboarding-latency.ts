/**
 * Offboarding latency (bench/callbacks.ts, table 4): two app instances on one Redis (connect-redis
 * sessions, RedisSessionIndex, RedisTokenCache), each member logged in on A through the real
 * login against the emulator; the member's departure is delivered to B; the time from sending it
 * until A refuses that member's session, for each of `members` members.
 */
import { createClient } from 'redis';
import supertest from 'supertest';
import { startEmulator } from '../../src/emulator/index.ts';
import { createRedisSessionStore, RedisSessionIndex, RedisTokenCache } from '../../src/redis/index.ts';
import { generateEncodingAESKey, messageXml, signDelivery } from '../../src/testing.ts';
import { login, setupFlow } from '../../test/helpers/flow.ts';
import type { FlowSetup } from '../../test/helpers/flow.ts';
import { fmt, quantile, sortNum, table } from './stats.ts';

const CORP = 'wwdemocorp0000001';

export async function offboardingLatency(redisUrl: string, members = 2): Promise<string> {
  const emulator = await startEmulator({ port: 0 });
  const credentials = { token: 'benchToken', encodingAESKey: generateEncodingAESKey() };
  const prefix = `bench-offboarding-${process.pid}:`;
  const clients: Array<{
    quit(): Promise<unknown>;
    del(keys: string[]): Promise<unknown>;
    scanIterator(options: { MATCH: string; COUNT: number }): AsyncIterable<string[]>;
  }> = [];
  const flows: FlowSetup[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      const client = createClient({ url: redisUrl });
      await client.connect();
      clients.push(client as never);
      flows.push(
        await setupFlow({
          emulator,
          store: createRedisSessionStore({ client, prefix: `${prefix}sess:`, logger: null }),
          wecom: {
            tokenCache: new RedisTokenCache(client as never, { prefix: `${prefix}wecom:`, logger: null }),
            sessionIndex: new RedisSessionIndex(client, { prefix: `${prefix}index:` }),
            callbacks: { credentials },
            checkVisibility: false,
          },
          mount: (app, wecom) => app.use('/wecom/events', wecom.callbackReceiver()),
        }),
      );
    }
    const [a, b] = flows;
    if (!a || !b) throw new Error('two instances');
    const users = emulator.fixture.corps[0]?.members.map((m) => m.userId).slice(0, members) ?? [];
    const times: number[] = [];
    // Each departure its own event: the same member deleted twice in one second would be one delivery.
    let createTime = 1733300000;
    for (let round = 0; round < 25; round++) {
      for (const userId of users) {
        const agent = a.agent();
        await login(agent, '/orders/1', { user: userId });
        const message = messageXml({
          ToUserName: CORP,
          FromUserName: 'sys',
          CreateTime: String(createTime++),
          MsgType: 'event',
          Event: 'change_contact',
          ChangeType: 'delete_user',
          UserID: userId,
        });
        const signed = signDelivery({ ...credentials, receiveId: CORP }, message);
        const began = performance.now();
        await supertest(b.app)
          .post(`/wecom/events?${new URLSearchParams(signed.query)}`)
          .set('Content-Type', 'text/xml')
          .send(signed.body);
        while ((await agent.get('/api/data')).status !== 401) {
          if (performance.now() - began > 5000) throw new Error(`${userId}: still logged in on A 5 s after the departure`);
        }
        times.push(performance.now() - began);
      }
    }
    const s = sortNum(times);
    return table(
      ['departures', 'p50 ms', 'p99 ms', 'max ms'],
      [[String(times.length), fmt(quantile(s, 0.5), 1), fmt(quantile(s, 0.99), 1), fmt(s[s.length - 1] ?? Number.NaN, 1)]],
    );
  } finally {
    for (const flow of flows) await flow.close();
    await emulator.close();
    for (const client of clients) {
      for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) if (keys.length) await client.del(keys);
      await client.quit();
    }
  }
}
