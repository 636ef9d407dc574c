/**
 * The dispatcher's de-duplication seam over RedisTokenCache's shared entries: two instances, each
 * with its own Redis client, on one test-owned redis-server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RedisTokenCache } from '../../src/redis/index.ts';
import { CallbackCrypto } from '../../src/wecom/callback-crypto.ts';
import { sharedEntriesDedup } from '../../src/wecom/callback-dedup.ts';
import { openDelivery } from '../../src/wecom/callback-delivery.ts';
import { CallbackDispatcher } from '../../src/wecom/callback-dispatch.ts';
import { generateEncodingAESKey, signDelivery } from '../../src/wecom/callback-testing.ts';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.ts';
import { connectClient, destroyAll, randomPrefix, type TestClient } from '../helpers/redis-clients.ts';
import { SAMPLES } from './callback-samples.ts';

const APP = { token: 'apptoken123', encodingAESKey: generateEncodingAESKey(), receiveId: 'wwtestcorp000001' };
const CRYPTO = new CallbackCrypto({ credentials: { token: APP.token, encodingAESKey: APP.encodingAESKey }, receiveId: APP.receiveId });

let server: TestRedisServer;
const clients: TestClient[] = [];
let prefix: string;

before(async () => {
  server = await startRedisServer();
  prefix = randomPrefix();
});
after(async () => {
  destroyAll(clients);
  await server.stop();
});

async function instance(handler: () => Promise<void>): Promise<CallbackDispatcher> {
  const cache = new RedisTokenCache(await connectClient(server.url, clients), { prefix: `${prefix}wecom:`, logger: null });
  return new CallbackDispatcher({ dedup: sharedEntriesDedup(cache) }).on('change_contact.delete_user', handler);
}

describe('two instances on one Redis', () => {
  it('a delivery repeated 5 times at once, split across them, runs its handler once; a later copy is a duplicate', async () => {
    let runs = 0;
    const handler = async (): Promise<void> => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 50));
    };
    const [a, b] = [await instance(handler), await instance(handler)];
    const copies = Array.from({ length: 5 }, (_, i) =>
      (i % 2 === 0 ? a : b).receive(openDelivery(CRYPTO, signDelivery(APP, SAMPLES.deleteUser))),
    );
    const outcomes = (await Promise.all(copies)).map((r) => r.outcome).sort();
    assert.deepEqual(outcomes, ['handled', 'in-progress', 'in-progress', 'in-progress', 'in-progress']);
    assert.equal(runs, 1);
    assert.equal((await b.receive(openDelivery(CRYPTO, signDelivery(APP, SAMPLES.deleteUser)))).outcome, 'duplicate');
  });

  it('a failure on one instance is retried on the other', async () => {
    let runs = 0;
    const handler = async (): Promise<void> => {
      runs++;
      if (runs === 1) throw new Error('first attempt fails');
    };
    const [a, b] = [await instance(handler), await instance(handler)];
    const message = SAMPLES.deleteUser.replace('zhangsan', 'lisi');
    assert.equal((await a.receive(openDelivery(CRYPTO, signDelivery(APP, message)))).outcome, 'failed');
    assert.equal((await b.receive(openDelivery(CRYPTO, signDelivery(APP, message)))).outcome, 'handled');
    assert.equal((await a.receive(openDelivery(CRYPTO, signDelivery(APP, message)))).outcome, 'duplicate');
    assert.equal(runs, 2);
  });
});
