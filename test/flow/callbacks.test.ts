/**
 * The callback receiver mounted the documented way (`wecom.callbackReceiver()`), fed deliveries
 * signed and encrypted with the app's Token and EncodingAESKey as WeCom would send them
 * (express-wecom-auth/testing), over real HTTP: the console's URL check, handlers by name,
 * duplicates, whatever body parser the app mounted first, WeCom's 5-second budget, every
 * hostile request, and offboarding: a member deleted or gone loses every session at once.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import express from 'express';
import supertest from 'supertest';
import { setupFlow, login, openPage, sessionCookie, HTML } from '../helpers/flow.ts';
import type { FlowSetup } from '../helpers/flow.ts';
import { generateEncodingAESKey, messageXml, openReply, signDelivery, urlVerificationRequest } from '../../src/testing.ts';
import { channels } from '../../src/diagnostics.ts';
import type { CallbackDeliveryEvent } from '../../src/diagnostics.ts';

const CORP = 'wwdemocorp0000001';
const credentials = { token: 'callbackToken42', encodingAESKey: generateEncodingAESKey() };
const app = { ...credentials, receiveId: CORP };
const now = () => String(Math.floor(Date.now() / 1000));

const deleteUser = (userId: string) =>
  messageXml({
    ToUserName: CORP,
    FromUserName: 'sys',
    CreateTime: now(),
    MsgType: 'event',
    Event: 'change_contact',
    ChangeType: 'delete_user',
    UserID: userId,
  });
const updateUser = (userId: string, fields: Record<string, string | number>) =>
  messageXml({
    ToUserName: CORP,
    FromUserName: 'sys',
    CreateTime: now(),
    MsgType: 'event',
    Event: 'change_contact',
    ChangeType: 'update_user',
    UserID: userId,
    ...fields,
  });
const click = (key: string, from = 'zhangsan') =>
  messageXml({
    ToUserName: CORP,
    FromUserName: from,
    CreateTime: now(),
    MsgType: 'event',
    Event: 'click',
    EventKey: key,
    AgentID: 1000002,
  });

describe('the callback receiver (wecom.callbackReceiver())', () => {
  let flow: FlowSetup;
  const clicks: string[] = [];
  before(async () => {
    flow = await setupFlow({
      wecom: { callbacks: { credentials, budgetMs: 300 } },
      mount: (a, wecom) => {
        const receiver = wecom.callbackReceiver();
        receiver.on('click', async (event) => {
          clicks.push(event.eventKey);
          if (event.eventKey === 'slow') await new Promise((resolve) => setTimeout(resolve, 600));
          if (event.eventKey === 'slow-fail') {
            await new Promise((resolve) => setTimeout(resolve, 600));
            throw new Error('the slow handler failed');
          }
          if (event.eventKey === 'fail') throw new Error('the handler failed');
        });
        a.use('/wecom/events', receiver);
        // The same receiver behind each body parser an app may have mounted before it.
        a.use('/text/events', express.text({ type: () => true }), receiver);
        a.use('/raw/events', express.raw({ type: () => true }), receiver);
        a.use('/parsed/events', xmlishParser, receiver);
      },
    });
  });
  after(async () => {
    await flow.close();
  });

  const post = (path: string, message: string, options: Parameters<typeof signDelivery>[2] = {}) => {
    const signed = signDelivery(app, message, options);
    return supertest(flow.app)
      .post(`${path}?${new URLSearchParams(signed.query)}`)
      .set('Content-Type', signed.contentType)
      .send(signed.body);
  };

  it("answers the console's URL check with the plaintext alone", async () => {
    const check = urlVerificationRequest(app, { echostr: '1234567890' });
    const res = await supertest(flow.app).get(`/wecom/events?${new URLSearchParams(check.query)}`);
    assert.equal(res.status, 200);
    assert.equal(res.text, '1234567890', 'no quotes, BOM or newline');
    assert.equal(Buffer.from(res.text)[0], 0x31);
  });

  it('runs the handler of the event, behind no parser, express.text(), express.raw() and an XML parser alike', async () => {
    for (const path of ['/wecom/events', '/text/events', '/raw/events', '/parsed/events']) {
      const before = clicks.length;
      const res = await post(path, click(`menu-${path}`));
      assert.equal(res.status, 200, `${path}: ${res.text}`);
      assert.deepEqual(clicks.slice(before), [`menu-${path}`], path);
    }
  });

  it('a delivery repeated 5 times at once runs its handler once; all five get a 200', async () => {
    const message = click('five-at-once');
    const signed = signDelivery(app, message);
    const before = clicks.length;
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
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
    assert.deepEqual(clicks.slice(before), ['five-at-once']);
  });

  it('a failing handler answers 500 (WeCom retries) and runs again on the retry; one past the budget is acknowledged in time and its failure reported', async () => {
    const events: CallbackDeliveryEvent[] = [];
    const listen = (e: unknown) => events.push(e as CallbackDeliveryEvent);
    diagnostics_channel.subscribe(channels.callbackDelivery, listen);
    try {
      const message = click('fail');
      assert.equal((await post('/wecom/events', message)).status, 500);
      const before = clicks.length;
      assert.equal((await post('/wecom/events', message)).status, 500, 'the retry runs it again');
      assert.equal(clicks.length, before + 1);
      const slow = await post('/wecom/events', click('slow-fail'));
      assert.equal(slow.status, 200, 'acknowledged within the budget');
      await new Promise((resolve) => setTimeout(resolve, 800));
      assert.ok(
        events.some((e) => e.outcome === 'late-failure' && e.event === 'click'),
        JSON.stringify(events.map((e) => e.outcome)),
      );
      assert.ok(flow.logs.some((l) => l.includes('failed after the answer')));
    } finally {
      diagnostics_channel.unsubscribe(channels.callbackDelivery, listen);
    }
  });

  it('every hostile request is its 4xx with a short text, and the receiver keeps serving', async () => {
    const good = signDelivery(app, click('hostile'));
    const path = (query: Record<string, string>) => `/wecom/events?${new URLSearchParams(query)}`;
    const cases: Array<[string, supertest.Test, number]> = [
      [
        'no signature',
        supertest(flow.app)
          .post(path({ ...good.query, msg_signature: '' }))
          .send(good.body),
        401,
      ],
      [
        'a wrong signature',
        supertest(flow.app)
          .post(path({ ...good.query, msg_signature: 'a'.repeat(40) }))
          .send(good.body),
        401,
      ],
      [
        'a repeated signature',
        supertest(flow.app)
          .post(`${path(good.query)}&msg_signature=${good.query.msg_signature}`)
          .send(good.body),
        401,
      ],
      ['a timestamp 10 minutes old', post('/wecom/events', click('old'), { timestamp: String(Math.floor(Date.now() / 1000) - 600) }), 401],
      ['a DOCTYPE in the envelope', supertest(flow.app).post(path(good.query)).send(`<!DOCTYPE x [<!ENTITY a "b">]>${good.body}`), 400],
      ['not XML at all', supertest(flow.app).post(path(good.query)).send('hello'), 400],
      [
        'a body over 256 KiB',
        supertest(flow.app)
          .post(path(good.query))
          .send('x'.repeat(300 * 1024)),
        413,
      ],
      ['PUT', supertest(flow.app).put(path(good.query)).send(good.body), 405],
    ];
    for (const [name, request, status] of cases) {
      const res = await request;
      assert.equal(res.status, status, `${name}: ${res.status} ${res.text}`);
      assert.doesNotMatch(res.text, /at \w+ \(|node:internal/, `${name}: no stack trace`);
      assert.ok(!res.text.includes(credentials.encodingAESKey) && !res.text.includes(credentials.token), `${name}: no secret`);
    }
    const other = { token: 'otherToken', encodingAESKey: generateEncodingAESKey(), receiveId: CORP };
    const foreign = signDelivery(other, click('foreign'));
    const refused = await supertest(flow.app).post(path(foreign.query)).send(foreign.body);
    assert.equal(refused.status, 401, 'signed with another token');
    assert.equal((await post('/wecom/events', click('after'))).status, 200, 'still serving');
  });

  it('offboarding: a deleted member loses every session at once; another member keeps theirs', async () => {
    const zhangsan = flow.agent();
    const lisi = flow.agent();
    assert.ok(sessionCookie(await login(zhangsan, '/orders/1', { user: 'zhangsan' })));
    const otherTab = sessionCookie(await login(flow.agent(), '/orders/2', { user: 'zhangsan' }))?.split(';')[0] ?? '';
    assert.ok(sessionCookie(await login(lisi, '/orders/3', { user: 'lisi' })));
    assert.equal((await zhangsan.get('/api/data')).status, 200);
    assert.equal((await post('/wecom/events', deleteUser('zhangsan'))).status, 200);
    assert.equal((await zhangsan.get('/api/data')).status, 401, 'ended at once');
    assert.equal((await supertest(flow.app).get('/api/data').set('Cookie', otherTab)).status, 401, 'in every browser');
    const page = await openPage(zhangsan, '/orders/1');
    assert.equal(page.status, 302, 'the next page navigation starts a new login');
    assert.equal((await lisi.get('/api/data')).body.userId, 'lisi', "another member's session is untouched");
  });

  it('offboarding: update_user with Status 5 (left) or 2 (disabled), and a NewUserID, end the sessions; any other update forgets the verdict', async () => {
    const changes: Array<Record<string, string | number>> = [{ Status: 5 }, { Status: 2 }, { NewUserID: 'lisi-new' }];
    for (const fields of changes) {
      const agent = flow.agent();
      await login(agent, '/orders/4', { user: 'lisi' });
      assert.equal((await agent.get('/api/data')).status, 200);
      assert.equal((await post('/wecom/events', updateUser('lisi', fields))).status, 200);
      assert.equal((await agent.get('/api/data')).status, 401, JSON.stringify(fields));
    }
    const agent = flow.agent();
    await login(agent, '/orders/5', { user: 'lisi' });
    flow.emulator.clearCalls();
    assert.equal((await post('/wecom/events', updateUser('lisi', { Position: '经理' }))).status, 200);
    assert.equal((await agent.get('/api/data')).status, 200, 'a plain update ends nothing');
    await login(flow.agent(), '/orders/6', { user: 'lisi' });
    assert.equal(flow.emulator.callCount('user/get'), 1, 'the next login checks the visible range again');
  });

  it("offboarding: unsubscribe (left, disabled, or out of the app's visible range, on the app's own URL) ends the sessions", async () => {
    const agent = flow.agent();
    await login(agent, '/orders/10', { user: 'lisi' });
    assert.equal((await agent.get('/api/data')).status, 200);
    const unsubscribe = messageXml({
      ToUserName: CORP,
      FromUserName: 'lisi',
      CreateTime: now(),
      MsgType: 'event',
      Event: 'unsubscribe',
      AgentID: 1000002,
    });
    assert.equal((await post('/wecom/events', unsubscribe)).status, 200);
    assert.equal((await agent.get('/api/data')).status, 401);
  });

  it("endSessionsOf() ends a member's sessions from the app itself", async () => {
    await flow.wecom.endSessionsOf('lisi'); // what the tests before left
    const agent = flow.agent();
    await login(agent, '/orders/7', { user: 'lisi' });
    assert.equal(await flow.wecom.endSessionsOf('lisi'), 1);
    assert.equal((await agent.get('/api/data')).status, 401);
    assert.equal(await flow.wecom.endSessionsOf('lisi'), 0, 'nothing left to end');
  });

  it('logout takes the session out of the index', async () => {
    const agent = flow.agent();
    await login(agent, '/orders/8', { user: 'lisi' });
    await agent.post('/auth/wecom/logout').set('Accept', HTML);
    assert.equal(await flow.wecom.endSessionsOf('lisi'), 0);
  });

  it('./metrics counts deliveries by outcome and reason, and the sessions offboarding ended', async () => {
    const { Registry } = await import('prom-client');
    const { createMetrics } = await import('../../src/metrics.ts');
    const registry = new Registry();
    const metrics = createMetrics({ registry });
    try {
      await post('/wecom/events', click('counted'));
      const bad = signDelivery(app, click('x'));
      await supertest(flow.app)
        .post(`/wecom/events?${new URLSearchParams({ ...bad.query, msg_signature: 'f'.repeat(40) })}`)
        .send(bad.body);
      const agent = flow.agent();
      await login(agent, '/orders/9', { user: 'lisi' });
      await post('/wecom/events', deleteUser('lisi'));
      const text = await registry.metrics();
      assert.match(text, /wecom_auth_callback_deliveries_total\{outcome="handled",event="click",reason=""\} 1/);
      assert.match(text, /wecom_auth_callback_deliveries_total\{outcome="refused",event="",reason="WECOM_CALLBACK_BAD_SIGNATURE"\} 1/);
      assert.match(text, /wecom_auth_callback_deliveries_total\{outcome="handled",event="change_contact.delete_user",reason=""\} 1/);
      assert.match(text, /wecom_auth_sessions_ended_total [1-9]/);
    } finally {
      metrics.close();
    }
  });

  it('a passive reply decrypts with the same algorithm', async () => {
    const receiver = flow.wecom.callbackReceiver();
    const handler = (_e: unknown, context: { reply(m: string): void }) => context.reply('<xml><MsgType>text</MsgType></xml>');
    receiver.on('message.text', handler);
    try {
      const text = messageXml({
        ToUserName: CORP,
        FromUserName: 'zhangsan',
        CreateTime: now(),
        MsgType: 'text',
        Content: '你好',
        MsgId: '123456789012345',
        AgentID: 1000002,
      });
      const res = await post('/wecom/events', text);
      assert.equal(res.status, 200);
      assert.equal(openReply(app, res.text), '<xml><MsgType>text</MsgType></xml>');
    } finally {
      receiver.off('message.text', handler);
    }
  });
});

/** What an XML body parser (xml2js-like) leaves: lower-case names, each value in an array. */
function xmlishParser(req: express.Request, _res: express.Response, next: express.NextFunction): void {
  let text = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (text += chunk));
  req.on('end', () => {
    const xml: Record<string, string[]> = {};
    for (const m of text.matchAll(/<(\w+)><!\[CDATA\[(.*?)\]\]><\/\1>/g)) xml[(m[1] ?? '').toLowerCase()] = [m[2] ?? ''];
    (req as express.Request & { body: unknown; _body: boolean }).body = { xml };
    (req as express.Request & { _body: boolean })._body = true;
    next();
  });
}
