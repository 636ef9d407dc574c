// Button cards: message/send's rules for button_interaction, message/update_template_card (each
// response_code once, inside the window), and a press on /client: template_card_event with the
// card's TaskId and the button's key, then the card as the app's update or passive reply left it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AGENT, postJson, start, token } from '../helpers/emulator.ts';
import { APP, field, startReceiver } from './callback-receiver.ts';
import type { Emulator } from '../../src/emulator/index.ts';
import type { Json } from '../helpers/emulator.ts';
import type { Receiver } from './callback-receiver.ts';

const HOUR = 3600_000;

function approvalCard(taskId: string, extra: Json = {}): Json {
  return {
    card_type: 'button_interaction',
    main_title: { title: '报销单 42 待审批', desc: '金额 120 元' },
    task_id: taskId,
    button_list: [
      { text: '同意', style: 1, key: 'approve' },
      { text: '驳回', style: 2, key: 'reject' },
    ],
    ...extra,
  };
}

async function send(emu: Emulator, at: string, card: Json, touser = 'zhangsan'): Promise<Json> {
  return postJson(
    emu,
    '/cgi-bin/message/send',
    { access_token: at },
    { agentid: AGENT, touser, msgtype: 'template_card', template_card: card },
  );
}

async function update(emu: Emulator, at: string, body: Json): Promise<Json> {
  return postJson(emu, '/cgi-bin/message/update_template_card', { access_token: at }, { agentid: AGENT, ...body });
}

async function withCallback(emu: Emulator, receiver: Receiver): Promise<void> {
  await emu.setCallback({ agentId: AGENT, url: receiver.url, token: APP.token, encodingAESKey: APP.encodingAESKey });
}

/** The member's /client page. */
async function client(emu: Emulator, user = 'zhangsan'): Promise<string> {
  return (await fetch(`${emu.url}/client?user=${user}`)).text();
}

/** Presses a card button as the page's form does (the emulator's own origin). */
async function press(emu: Emulator, msgid: string, key: string, user = 'zhangsan'): Promise<Response> {
  return fetch(`${emu.url}/client/card`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: emu.url, 'sec-fetch-site': 'same-origin' },
    body: new URLSearchParams({ corp: 'wwdemocorp0000001', user, msgid, key }).toString(),
  });
}

test("button cards follow message/send's rules, and need the app's 接收消息 URL", async (t) => {
  const emu = await start(t);
  const at = await token(emu);
  const noCallback = await send(emu, at, approvalCard('t1'));
  assert.equal(noCallback['errcode'], 40058);
  assert.match(String(noCallback['errmsg']), /set the app's callback URL/);
  const receiver = await startReceiver(t);
  await withCallback(emu, receiver);
  const seven = Array.from({ length: 7 }, (_, i) => ({ text: `b${i}`, key: `k${i}` }));
  const refusals: [Json, RegExp][] = [
    [approvalCard('t2', { button_list: seven }), /more than 6 buttons/],
    [approvalCard('t3', { button_list: [] }), /button_list is required/],
    [approvalCard('t4', { button_list: [{ text: 'x', key: 'k'.repeat(1025) }] }), /longer than 1024 bytes/],
    [
      approvalCard('t5', {
        button_list: [
          { text: 'a', key: 'k' },
          { text: 'b', key: 'k' },
        ],
      }),
      /repeats another button's key/,
    ],
    [approvalCard('t6', { button_list: [{ text: 'a' }] }), /key is required/],
    [approvalCard('t7', { button_list: [{ text: 'a', type: 1, url: 'javascript:x' }] }), /http\(s\) URL/],
    [approvalCard('', {}), /task_id is required/],
    [approvalCard('bad id!', {}), /task_id: letters, digits/],
    [approvalCard('t8', { main_title: {} }), /main_title.title or sub_title_text/],
  ];
  for (const [card, what] of refusals) {
    const answer = await send(emu, at, card);
    assert.equal(answer['errcode'], 40058, what.source);
    assert.match(String(answer['errmsg']), what);
  }
  const sent = await send(emu, at, approvalCard('t9', { button_list: [{ text: 'k'.repeat(5), key: 'k'.repeat(1024) }] }));
  assert.equal(sent['errcode'], 0, JSON.stringify(sent));
  assert.equal(typeof sent['response_code'], 'string');
  const again = await send(emu, at, approvalCard('t9'));
  assert.match(String(again['errmsg']), /task_id was used by an earlier card/);
  assert.equal(emu.inbox('zhangsan').length, 1, 'nothing refused was delivered');
});

test('update_template_card: the named members see the new button text; each response_code once, within the window', async (t) => {
  const emu = await start(t, { cardUpdateWindowMs: 24 * HOUR });
  const at = await token(emu);
  await withCallback(emu, await startReceiver(t));
  const sent = await send(emu, at, approvalCard('task-1'), 'zhangsan|lisi');
  const code = String(sent['response_code']);
  assert.match(await client(emu), /data-entry="card-button" data-key="approve">同意/);
  const refused = await update(emu, at, { userids: ['zhangsan'], response_code: code });
  assert.match(String(refused['errmsg']), /send button.replace_name or template_card/);
  const updated = await update(emu, at, { userids: ['zhangsan', 'wangwu'], response_code: code, button: { replace_name: '已同意' } });
  assert.deepEqual([updated['errcode'], updated['invaliduser']], [0, ['wangwu']]);
  const page = await client(emu);
  assert.match(page, /data-replaced="true"[^>]*>已同意</);
  assert.doesNotMatch(page, /data-entry="card-button"/, 'the buttons are gone for zhangsan');
  assert.match(await client(emu, 'lisi'), /data-entry="card-button" data-key="approve"/, "lisi's copy is unchanged");
  const twice = await update(emu, at, { atall: 1, response_code: code, button: { replace_name: 'x' } });
  assert.match(String(twice['errmsg']), /used already/);

  const late = await send(emu, at, approvalCard('task-2'));
  emu.clock.advance(24 * HOUR + 1000);
  const at2 = await token(emu); // the access_token expired on the way
  const expired = await update(emu, at2, { atall: 1, response_code: String(late['response_code']), button: { replace_name: 'x' } });
  assert.match(String(expired['errmsg']), /older than the update window/);
  emu.cardUpdateWindowMs = 72 * HOUR;
  const inTime = await update(emu, at2, { atall: 1, response_code: String(late['response_code']), button: { replace_name: '已过期' } });
  assert.equal(inTime['errcode'], 0, '72 hours: the newer text');
  const foreign = await update(emu, at2, { atall: 1, response_code: 'nope', button: { replace_name: 'x' } });
  assert.match(String(foreign['errmsg']), /unknown response_code/);
});

test("a press on /client sends template_card_event; the passive reply update_button changes that member's card", async (t) => {
  const emu = await start(t, { callbackRetryDelayMs: 10 });
  const at = await token(emu);
  const receiver = await startReceiver(t, (r) => {
    if (r.method !== 'POST' || field(r.opened, 'Event') !== 'template_card_event') return undefined;
    const verdict = field(r.opened, 'EventKey') === 'approve' ? '已同意' : '已驳回';
    const reply = `<xml><ToUserName><![CDATA[${field(r.opened, 'FromUserName') ?? ''}]]></ToUserName><FromUserName><![CDATA[wwdemocorp0000001]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[update_button]]></MsgType><Button><ReplaceName><![CDATA[${verdict}]]></ReplaceName></Button></xml>`;
    return { body: receiver.reply(reply) };
  });
  await withCallback(emu, receiver);
  const sent = await send(emu, at, approvalCard('approval-42'), 'zhangsan|lisi');
  const msgid = String(sent['msgid']);
  const pressed = await press(emu, msgid, 'approve');
  assert.equal(pressed.status, 303);
  assert.equal(pressed.headers.get('location'), '/client?user=zhangsan&corp=wwdemocorp0000001');
  const [event] = await receiver.waitFor(1, 'POST');
  assert.equal(field(event?.opened, 'Event'), 'template_card_event');
  assert.equal(field(event?.opened, 'FromUserName'), 'zhangsan');
  assert.equal(field(event?.opened, 'EventKey'), 'approve');
  assert.equal(field(event?.opened, 'TaskId'), 'approval-42');
  assert.equal(field(event?.opened, 'CardType'), 'button_interaction');
  assert.equal(field(event?.opened, 'AgentID'), String(AGENT));
  assert.ok(field(event?.opened, 'ResponseCode'));
  // The page waited for the first attempt: the reply is applied by the time it is shown again.
  assert.match(await client(emu), /data-replaced="true"[^>]*>已同意</);
  assert.deepEqual(emu.callbacks[0]?.reply, {
    outcome: 'applied',
    msgType: 'update_button',
    detail: 'the card\'s buttons now read "已同意" for zhangsan',
  });
  assert.match(await client(emu, 'lisi'), /data-key="reject">驳回/, 'a reply updates the pressing member only');
  assert.equal((await press(emu, msgid, 'reject')).status, 409, 'no buttons left to press for zhangsan');
  assert.equal((await press(emu, msgid, 'nosuchkey', 'lisi')).status, 409);
  assert.equal((await press(emu, 'nosuchmsg', 'approve', 'lisi')).status, 404);
});

test("the event's ResponseCode updates the card through the API, once; a bad passive reply is refused and changes nothing", async (t) => {
  const emu = await start(t, { callbackRetryDelayMs: 10 });
  const at = await token(emu);
  const receiver = await startReceiver(t, (r) => (r.method === 'POST' ? { body: '<xml><Encrypt>forged</Encrypt></xml>' } : undefined));
  await withCallback(emu, receiver);
  const sent = await send(emu, at, approvalCard('approval-43'));
  await press(emu, String(sent['msgid']), 'reject');
  const [event] = await receiver.waitFor(1, 'POST');
  assert.equal(emu.callbacks[0]?.reply?.outcome, 'refused');
  assert.match(await client(emu), /data-entry="card-button" data-key="reject"/, 'the refused reply changed nothing');
  const code = field(event?.opened, 'ResponseCode') ?? '';
  const card = approvalCard('ignored', { main_title: { title: '报销单 42 已驳回' }, button_list: [{ text: '重新提交', key: 'resubmit' }] });
  const replaced = await update(emu, at, { userids: ['zhangsan'], response_code: code, template_card: card });
  assert.equal(replaced['errcode'], 0);
  const page = await client(emu);
  assert.match(page, /报销单 42 已驳回/);
  assert.match(page, /data-key="resubmit">重新提交/);
  const twice = await update(emu, at, { userids: ['zhangsan'], response_code: code, button: { replace_name: 'x' } });
  assert.match(String(twice['errmsg']), /used already/);
  const resubmitted = await press(emu, String(sent['msgid']), 'resubmit');
  assert.equal(resubmitted.status, 303, "the replaced card's buttons press too");
  const [, second] = await receiver.waitFor(2, 'POST');
  assert.equal(field(second?.opened, 'EventKey'), 'resubmit');
  assert.equal(field(second?.opened, 'TaskId'), 'approval-43', 'the TaskId of the card as sent');
});

test('an app that chose JSON: the event arrives as JSON, its JSON passive reply (update_button) is applied; HEAD presses nothing', async (t) => {
  const emu = await start(t, { callbackRetryDelayMs: 10 });
  const at = await token(emu);
  const receiver = await startReceiver(
    t,
    (r) => {
      if (r.method !== 'POST') return undefined;
      const event = JSON.parse(r.opened ?? '{}') as Record<string, unknown>;
      const reply = {
        ToUserName: event['FromUserName'],
        FromUserName: 'wwdemocorp0000001',
        CreateTime: 1700000000,
        MsgType: 'update_button',
        Button: { ReplaceName: '已处理' },
      };
      return { body: receiver.reply(JSON.stringify(reply), 'json') };
    },
    'json',
  );
  await emu.setCallback({ agentId: AGENT, url: receiver.url, token: APP.token, encodingAESKey: APP.encodingAESKey, format: 'json' });
  const sent = await send(emu, at, approvalCard('json-1'));
  const head = await fetch(`${emu.url}/client/card`, { method: 'HEAD' });
  assert.equal(head.status, 405);
  await press(emu, String(sent['msgid']), 'approve');
  const [event] = await receiver.waitFor(1, 'POST');
  const opened = JSON.parse(event?.opened ?? '{}') as Record<string, unknown>;
  assert.deepEqual(
    [opened['Event'], opened['EventKey'], opened['TaskId'], opened['AgentID']],
    ['template_card_event', 'approve', 'json-1', AGENT],
  );
  assert.equal(emu.callbacks[0]?.reply?.outcome, 'applied');
  assert.match(await client(emu), /data-replaced="true"[^>]*>已处理</);
});
