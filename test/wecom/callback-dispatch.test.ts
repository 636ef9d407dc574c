import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CallbackCrypto } from '../../src/wecom/callback-crypto.ts';
import { deliveryKey, sharedEntriesDedup } from '../../src/wecom/callback-dedup.ts';
import type { DeliveryDedup } from '../../src/wecom/callback-dedup.ts';
import { openDelivery, verifyUrl } from '../../src/wecom/callback-delivery.ts';
import { parseMessage } from '../../src/wecom/callback-envelope.ts';
import { CallbackDispatcher } from '../../src/wecom/callback-dispatch.ts';
import type { CallbackEvent } from '../../src/wecom/callback-event-types.ts';
import { generateEncodingAESKey, messageXml, openReply, signDelivery, urlVerificationRequest } from '../../src/wecom/callback-testing.ts';
import { MemoryTokenCache } from '../../src/wecom/memory-token-cache.ts';
import { SAMPLES } from './callback-samples.ts';
import { referenceDecrypt } from './callback-vectors.ts';

const APP = { token: 'apptoken123', encodingAESKey: generateEncodingAESKey(), receiveId: 'wwtestcorp000001' };
const CRYPTO = new CallbackCrypto({ credentials: { token: APP.token, encodingAESKey: APP.encodingAESKey }, receiveId: APP.receiveId });

/** A delivery of `xml` as WeCom would POST it, opened by the receiver. */
function delivered(xml: string, options: { agentId?: number; format?: 'xml' | 'json' } = {}) {
  return openDelivery(CRYPTO, signDelivery(APP, xml, options), { format: options.format });
}

function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

describe('registering handlers by name', () => {
  it('runs the handlers of the name, the group and *, with typed events', async () => {
    const seen: string[] = [];
    const dispatcher = new CallbackDispatcher({ dedup: false })
      .on('change_contact.delete_user', (event) => {
        const userId: string = event.userId;
        seen.push(`delete_user ${userId}`);
      })
      .on('change_contact', (event) => {
        seen.push(`change_contact ${event.changeType}`);
      })
      .on('*', (event) => {
        seen.push(`* ${event.name}`);
      })
      .on('message.text', (event) => {
        seen.push(`text ${event.content}`);
      })
      .on(['click', 'view'], (event) => {
        seen.push(`menu ${event.name === 'click' ? event.eventKey : event.url}`);
      });
    await dispatcher.receive(delivered(SAMPLES.deleteUser));
    await dispatcher.receive(delivered(SAMPLES.text));
    await dispatcher.receive(delivered(SAMPLES.click));
    await dispatcher.receive(delivered(SAMPLES.view));
    assert.deepEqual(seen, [
      'delete_user zhangsan',
      'change_contact delete_user',
      '* change_contact.delete_user',
      'text this is a test',
      '* message.text',
      'menu EVENTKEY',
      '* click',
      'menu www.qq.com',
      '* view',
    ]);
  });

  it('types each handler by its name (checked by the type checker)', () => {
    const dispatcher = new CallbackDispatcher({ dedup: false });
    dispatcher.on('template_card_event', (event) => void event.responseCode.length);
    dispatcher.on('change_contact.update_user', (event) => void event.newUserId?.length);
    dispatcher.on('message', (event) => void event.msgId.length);
    // @ts-expect-error: a text message has no userId
    dispatcher.on('message.text', (event) => event.userId);
    // @ts-expect-error: a delete_user event carries no NewUserID
    dispatcher.on('change_contact.delete_user', (event) => event.newUserId);
    // @ts-expect-error: there is no such event name
    dispatcher.on('change_contact.remove_user', () => undefined);
    assert.ok(dispatcher);
  });

  it('off() removes a handler; an event nobody handles is ignored without a claim', async () => {
    const claims: string[] = [];
    const dedup: DeliveryDedup = {
      claim: async (key) => {
        claims.push(key);
        return { state: 'claimed', settle: async () => undefined };
      },
    };
    let runs = 0;
    const handler = (): void => {
      runs++;
    };
    const dispatcher = new CallbackDispatcher({ dedup }).on('enter_agent', handler);
    assert.equal((await dispatcher.receive(delivered(SAMPLES.enterAgent))).outcome, 'handled');
    dispatcher.off('enter_agent', handler);
    const result = await dispatcher.receive(delivered(SAMPLES.enterAgent));
    assert.deepEqual([result.outcome, result.handlers, result.answer.status, runs, claims.length], ['ignored', 0, 200, 1, 1]);
  });
});

describe('answers', () => {
  it('an empty 200 by default; a passive reply sealed with the delivery key, which decrypts with the reference algorithm', async () => {
    const reply =
      '<xml><ToUserName><![CDATA[zhangsan]]></ToUserName><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[收到 👍]]></Content></xml>';
    const dispatcher = new CallbackDispatcher({ dedup: false })
      .on('message.text', (_event, context) => context.reply(reply))
      .on('message', (_event, context) => context.reply('<xml>second</xml>'));
    const result = await dispatcher.receive(delivered(SAMPLES.text));
    assert.deepEqual(
      [result.outcome, result.answer.status, result.reply, result.answer.contentType],
      ['handled', 200, reply, 'application/xml; charset=utf-8'],
    );
    assert.equal(openReply(APP, result.answer.body), reply);
    const encrypt = /<Encrypt><!\[CDATA\[([^\]]+)/.exec(result.answer.body)?.[1] ?? '';
    assert.deepEqual(referenceDecrypt(APP.encodingAESKey, encrypt).message, reply);
    const quiet = await new CallbackDispatcher({ dedup: false }).on('click', () => undefined).receive(delivered(SAMPLES.click));
    assert.deepEqual(quiet.answer, { status: 200, body: '', contentType: undefined });
  });

  it('a reply in the JSON format is JSON, and opens', async () => {
    // Written out: JSON.stringify could not hold a MsgId above 2^53.
    const json = `{"ToUserName":"${APP.receiveId}","FromUserName":"zhangsan","CreateTime":1700000000,"MsgType":"text","Content":"hi","MsgId":9007199254740993,"AgentID":1000002}`;
    const opened = delivered(json, { format: 'json', agentId: 1000002 });
    assert.ok(opened.event.name === 'message.text');
    assert.equal(opened.event.msgId, '9007199254740993');
    const result = await new CallbackDispatcher({ dedup: false })
      .on('message.text', (_e, c) => c.reply('{"msgtype":"text"}'))
      .receive(opened);
    assert.equal(result.answer.contentType, 'application/json; charset=utf-8');
    assert.equal(openReply(APP, result.answer.body, 'json'), '{"msgtype":"text"}');
  });

  it('a failing handler answers 500 (WeCom retries) and reports what it threw; the others still ran', async () => {
    const boom = new Error('boom');
    let ran = false;
    const dispatcher = new CallbackDispatcher({ dedup: false })
      .on('enter_agent', () => {
        throw boom;
      })
      .on('*', async () => {
        ran = true;
      });
    const result = await dispatcher.receive(delivered(SAMPLES.enterAgent));
    assert.deepEqual([result.outcome, result.answer.status, result.handlers, result.errors, ran], ['failed', 500, 2, [boom], true]);
  });

  it('a reply that cannot be sealed rejects receive() alone: no unhandled rejection, nothing left running', async () => {
    const dispatcher = new CallbackDispatcher({ dedup: false }).on('click', (_e, context) => context.reply('<xml/>'));
    const opened = delivered(SAMPLES.click);
    const broken = {
      ...opened,
      sealReply: () => {
        throw new Error('no key');
      },
    };
    await assert.rejects(dispatcher.receive(broken), /no key/);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(dispatcher.running, 0);
  });

  it('a dedup store that fails answers 503 and runs nothing', async () => {
    let ran = false;
    const down = new Error('store down');
    const dispatcher = new CallbackDispatcher({ dedup: { claim: () => Promise.reject(down) } }).on('*', () => {
      ran = true;
    });
    const result = await dispatcher.receive(delivered(SAMPLES.click));
    assert.deepEqual([result.outcome, result.answer.status, result.errors, ran], ['unavailable', 503, [down], false]);
  });
});

describe('duplicates', () => {
  it('a delivery repeated 5 times at once, to 2 dispatchers on one shared cache, runs its handler once', async () => {
    const cache = new MemoryTokenCache();
    const entered = gate();
    let runs = 0;
    const make = () =>
      new CallbackDispatcher({ dedup: sharedEntriesDedup(cache) }).on('template_card_event', async () => {
        runs++;
        await entered.wait;
      });
    const [a, b] = [make(), make()];
    // Each copy is encrypted anew (another random prefix, nonce and timestamp), as WeCom's retries are.
    const copies = Array.from({ length: 5 }, (_, i) => (i % 2 === 0 ? a : b).receive(delivered(SAMPLES.templateCard)));
    await new Promise((resolve) => setTimeout(resolve, 20));
    entered.open();
    const outcomes = (await Promise.all(copies)).map((r) => r.outcome).sort();
    assert.deepEqual(outcomes, ['handled', 'in-progress', 'in-progress', 'in-progress', 'in-progress']);
    assert.equal(runs, 1);
    const later = await b.receive(delivered(SAMPLES.templateCard));
    assert.deepEqual([later.outcome, later.answer.status, runs], ['duplicate', 200, 1]);
  });

  it('after a failure the retry runs the handler again, and once it succeeds it is done', async () => {
    let runs = 0;
    const dispatcher = new CallbackDispatcher().on('change_contact.delete_user', () => {
      runs++;
      if (runs === 1) throw new Error('database busy');
    });
    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push((await dispatcher.receive(delivered(SAMPLES.deleteUser))).outcome);
    assert.deepEqual(outcomes, ['failed', 'handled', 'duplicate']);
    assert.equal(runs, 2);
  });

  it('drain() waits for the deliveries still running', async () => {
    const slow = gate();
    let finished = false;
    const dispatcher = new CallbackDispatcher({ dedup: false }).on('*', async () => {
      await slow.wait;
      finished = true;
    });
    void dispatcher.receive(delivered(SAMPLES.click));
    assert.equal(dispatcher.running, 1);
    const drained = dispatcher.drain();
    setTimeout(slow.open, 10);
    await drained;
    assert.deepEqual([finished, dispatcher.running], [true, 0]);
  });

  it('a claim is renewed while its handler runs and lapses when nobody renews it', async () => {
    const cache = new MemoryTokenCache();
    const dedup = sharedEntriesDedup(cache, { runningTtlMs: 1000 });
    const claim = await dedup.claim('k');
    assert.equal(claim.state, 'claimed');
    await new Promise((resolve) => setTimeout(resolve, 1400));
    assert.equal((await dedup.claim('k')).state, 'running', 'renewed past its first TTL');
    if (claim.state === 'claimed') await claim.settle(false);
    const retries = await Promise.all([dedup.claim('k'), dedup.claim('k'), dedup.claim('k')]);
    assert.deepEqual(retries.map((r) => r.state).sort(), ['claimed', 'running', 'running'], 'after a failure, one retry takes it at once');
    const retry = retries.find((r) => r.state === 'claimed');
    if (retry?.state === 'claimed') await retry.settle(true);
    assert.equal((await dedup.claim('k')).state, 'done');
  });
});

describe('the de-duplication key', () => {
  const fields = (xml: string) => parseMessage(xml);

  it('is the MsgId where there is one, whatever the encryption', () => {
    const a = delivered(SAMPLES.text);
    const b = delivered(SAMPLES.text);
    assert.notEqual(a.envelope.encrypt, b.envelope.encrypt);
    assert.equal(a.key, 'msgid:toUser:1:1234567890123456');
    assert.equal(b.key, a.key);
  });

  it('tells apart two events of one member in one second, and one event delivered to two apps', () => {
    const click = (key: string) => SAMPLES.click.replace('EVENTKEY', key);
    const one = deliveryKey({ message: click('a'), fields: fields(click('a')) });
    const two = deliveryKey({ message: click('b'), fields: fields(click('b')) });
    assert.notEqual(one, two);
    assert.match(one, /^sha256:[A-Za-z0-9_-]{43}$/);
    const forApp = (agentId: number) => deliveryKey({ message: SAMPLES.deleteUser, fields: fields(SAMPLES.deleteUser), agentId });
    assert.notEqual(forApp(1000002), forApp(1000003));
    assert.equal(forApp(1000002), forApp(1000002));
    assert.equal(delivered(SAMPLES.deleteUser, { agentId: 7 }).key, forApp(7));
  });
});

describe('the test helpers', () => {
  it('urlVerificationRequest() makes the GET the console sends, and verifyUrl() answers its plaintext alone', () => {
    const request = urlVerificationRequest(APP);
    assert.match(request.expected, /^[0-9]+$/);
    const answer = verifyUrl(CRYPTO, request.query);
    assert.equal(answer.body, request.expected);
    assert.equal(answer.body, answer.body.trim());
    assert.equal(verifyUrl(CRYPTO, urlVerificationRequest(APP, { echostr: 'fixed-échostr' }).query).body, 'fixed-échostr');
  });

  it('signDelivery() makes the POST, XML or JSON, with the envelope fields asked for', () => {
    const xml = signDelivery(APP, SAMPLES.text, { agentId: 1000002, timestamp: '1700000000', nonce: '42' });
    assert.deepEqual([xml.query.timestamp, xml.query.nonce, xml.contentType], ['1700000000', '42', 'text/xml']);
    assert.match(
      xml.body,
      /^<xml><ToUserName><!\[CDATA\[wwtestcorp000001\]\]><\/ToUserName><Encrypt><!\[CDATA\[[A-Za-z0-9+/=]+\]\]><\/Encrypt><AgentID><!\[CDATA\[1000002\]\]><\/AgentID><\/xml>$/,
    );
    const json = JSON.parse(signDelivery(APP, '{}', { format: 'json', agentId: 5 }).body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(json), ['tousername', 'encrypt', 'agentid']);
    assert.equal(json['agentid'], 5);
  });

  it('messageXml() writes WeCom-shaped XML that reads back as the same fields', () => {
    const xml = messageXml({
      MsgType: 'event',
      Event: 'template_card_event',
      AgentID: 1,
      SelectedItems: { SelectedItem: [{ QuestionKey: 'q', OptionIds: { OptionId: ['a', 'b'] } }] },
      Content: 'x]]>y',
    });
    const event: CallbackEvent = openDelivery(CRYPTO, signDelivery(APP, xml)).event;
    assert.equal(event.name, 'unknown', 'no TaskId: unknown');
    assert.deepEqual(JSON.parse(JSON.stringify(parseMessage(xml))), {
      MsgType: 'event',
      Event: 'template_card_event',
      AgentID: '1',
      SelectedItems: { SelectedItem: { QuestionKey: 'q', OptionIds: { OptionId: ['a', 'b'] } } },
      Content: 'x]]>y',
    });
  });
});
