// Deliveries as WeCom makes them: signed, encrypted, in the app's format, retried when the app
// answers another status or nothing in time, each attempt encrypted afresh; and the address-book
// changes behind change_contact, which change the fixture itself (user/get, logins, message/send).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ContactChangeError } from '../../src/emulator/index.ts';
import { AGENT, UA, appOf, authorizeUrl, corpOf, getJson, postJson, start, token } from '../helpers/emulator.ts';
import { APP, field, startReceiver } from './callback-receiver.ts';
import type { Emulator, EmulatorOptions } from '../../src/emulator/index.ts';
import type { Receiver } from './callback-receiver.ts';

const FAST: EmulatorOptions = { callbackRetryDelayMs: 10, callbackTimeoutMs: 300 };

async function withCallback(emu: Emulator, receiver: Receiver, format: 'xml' | 'json' = 'xml'): Promise<void> {
  await emu.setCallback({ agentId: AGENT, url: receiver.url, token: APP.token, encodingAESKey: APP.encodingAESKey, format });
}

/** Waits for the emulator to finish its deliveries, bounded. */
async function settled(emu: Emulator): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error('deliveries still pending after 15 s')), 15_000)),
  );
  try {
    await Promise.race([emu.callbacksSettled(), bound]);
  } finally {
    clearTimeout(timer);
  }
}

test('delete_user: the member leaves the fixture, the app gets change_contact as WeCom writes it, the library opens it', async (t) => {
  const emu = await start(t, FAST);
  const receiver = await startReceiver(t);
  await withCallback(emu, receiver);
  const [delivery] = emu.changeContact({ changeType: 'delete_user', userId: 'lisi' });
  assert.ok(delivery);
  const [post] = await receiver.waitFor(1, 'POST');
  assert.ok(post);
  assert.deepEqual(Object.keys(post.query), ['msg_signature', 'timestamp', 'nonce']);
  assert.match(
    post.body,
    /^<xml><ToUserName><!\[CDATA\[wwdemocorp0000001\]\]><\/ToUserName><AgentID><!\[CDATA\[1000002\]\]><\/AgentID><Encrypt>/,
  );
  assert.equal(field(post.opened, 'FromUserName'), 'sys');
  assert.equal(field(post.opened, 'Event'), 'change_contact');
  assert.equal(field(post.opened, 'ChangeType'), 'delete_user');
  assert.equal(field(post.opened, 'UserID'), 'lisi');
  assert.equal(field(post.opened, 'AgentID'), undefined, 'address-book events carry no AgentID in the message');
  await settled(emu);
  assert.equal(emu.callbacks[0]?.state, 'delivered');
  assert.deepEqual(
    emu.callbacks[0]?.attempts.map((a) => [a.outcome, a.status]),
    [['answered', 200]],
  );
  assert.equal(
    corpOf(emu.fixture).members.some((m) => m.userId === 'lisi'),
    false,
  );
  assert.equal(appOf(emu.fixture).visibleUserIds.includes('lisi'), false);
  const at = await token(emu);
  assert.equal((await getJson(emu, '/cgi-bin/user/get', { access_token: at, userid: 'lisi' }))['errcode'], 60111);
  // A browser whose WeCom client was lisi's is not logged in as someone else: lisi is signed out.
  const login = await fetch(authorizeUrl(emu), {
    redirect: 'manual',
    headers: { 'user-agent': UA.wecomIos, cookie: 'wecom_emulator_user=lisi' },
  });
  assert.equal(login.status, 403);
  assert.match(await login.text(), /该成员已被删除/);
  assert.throws(() => emu.changeContact({ changeType: 'delete_user', userId: 'lisi' }), ContactChangeError);
});

test('update_user with NewUserID and with Status 2 or 5; create_user; each as 90970 writes it, and the fixture follows', async (t) => {
  const emu = await start(t, FAST);
  const receiver = await startReceiver(t);
  await withCallback(emu, receiver);
  emu.changeContact({ changeType: 'update_user', userId: 'zhangsan', newUserId: 'zhangsan01', fields: { position: '总监' } });
  emu.changeContact({ changeType: 'update_user', userId: 'lisi', fields: { status: 2 } });
  emu.changeContact({ changeType: 'create_user', userId: 'zhaoliu', fields: { name: '赵六', department: [1, 2] }, visibleIn: [AGENT] });
  emu.changeContact({ changeType: 'update_user', userId: 'zhaoliu', fields: { status: 5 } });
  const posts = await receiver.waitFor(4, 'POST');
  const byType = posts.map((p) => [
    field(p.opened, 'ChangeType'),
    field(p.opened, 'UserID'),
    field(p.opened, 'NewUserID'),
    field(p.opened, 'Status'),
  ]);
  assert.deepEqual(
    byType.sort((a, b) => String(a[1]).localeCompare(String(b[1])) || String(a[0]).localeCompare(String(b[0]))),
    [
      ['update_user', 'lisi', undefined, '2'],
      ['update_user', 'zhangsan', 'zhangsan01', '1'],
      ['create_user', 'zhaoliu', undefined, '1'],
      ['update_user', 'zhaoliu', undefined, '5'],
    ],
  );
  const created = posts.find((p) => field(p.opened, 'ChangeType') === 'create_user');
  assert.equal(field(created?.opened, 'Name'), '赵六');
  assert.equal(field(created?.opened, 'Department'), '1,2');
  assert.equal(field(created?.opened, 'MainDepartment'), '1');
  const at = await token(emu);
  const renamed = await getJson(emu, '/cgi-bin/user/get', { access_token: at, userid: 'zhangsan01' });
  assert.deepEqual([renamed['errcode'], renamed['position']], [0, '总监']);
  assert.equal((await getJson(emu, '/cgi-bin/user/get', { access_token: at, userid: 'zhangsan' }))['errcode'], 60111);
  assert.equal((await getJson(emu, '/cgi-bin/user/get', { access_token: at, userid: 'lisi' }))['status'], 2);
  for (const who of ['lisi', 'zhaoliu']) {
    const login = await fetch(authorizeUrl(emu), {
      redirect: 'manual',
      headers: { 'user-agent': UA.wecomIos, 'x-wecom-emulator-user': who },
    });
    assert.equal(login.status, 403, `${who} is signed out`);
  }
  const ok = await fetch(authorizeUrl(emu), {
    redirect: 'manual',
    headers: { 'user-agent': UA.wecomIos, 'x-wecom-emulator-user': 'zhangsan01' },
  });
  assert.equal(ok.status, 302, 'the renamed member logs in under the new UserID');
  const sent = await postJson(
    emu,
    '/cgi-bin/message/send',
    { access_token: at },
    { agentid: AGENT, touser: 'zhangsan01', msgtype: 'text', text: { content: 'hi' } },
  );
  assert.equal(sent['invaliduser'], '');
});

test('a change nobody in range sees is pushed nowhere; bad changes are refused and change nothing', async (t) => {
  const emu = await start(t, FAST);
  const receiver = await startReceiver(t);
  await withCallback(emu, receiver);
  assert.deepEqual(
    emu.changeContact({ changeType: 'update_user', userId: 'wangwu', fields: { position: '会计' } }),
    [],
    'wangwu is outside the range',
  );
  assert.throws(() => emu.changeContact({ changeType: 'create_user', userId: 'zhangsan', fields: { name: 'x' } }), /already a member/);
  assert.throws(() => emu.changeContact({ changeType: 'create_user', userId: 'bad id', fields: { name: 'x' } }), /userId must be/);
  assert.throws(() => emu.changeContact({ changeType: 'update_user', userId: 'lisi', newUserId: 'zhangsan' }), /already a member/);
  assert.throws(() => emu.changeContact({ changeType: 'update_user', userId: 'lisi', fields: { status: 3 as 1 } }), /status must be/);
  const res = await fetch(`${emu.url}/__emulator/contact`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ changeType: 'update_user', userId: 'ghost' }),
  });
  assert.equal(res.status, 400);
  assert.match(((await res.json()) as { error: string }).error, /ghost is not a member/);
  const viaHttp = await fetch(`${emu.url}/__emulator/contact`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ changeType: 'delete_user', userId: 'lisi' }),
  });
  assert.equal(((await viaHttp.json()) as { deliveries: unknown[] }).deliveries.length, 1);
  await settled(emu);
  assert.equal(receiver.received.filter((r) => r.method === 'POST').length, 1);
});

test('another status, then no answer in time: retried, each attempt encrypted afresh; after the last attempt it has failed', async (t) => {
  const emu = await start(t, { ...FAST, callbackAttempts: 3 });
  const receiver = await startReceiver(t, (r, i) => {
    if (r.method !== 'POST') return undefined;
    const posts = receiver.received.slice(0, i + 1).filter((x) => x.method === 'POST').length;
    return posts === 1 ? { status: 503 } : posts === 2 ? { delayMs: 'never' } : { status: 200 };
  });
  await withCallback(emu, receiver);
  emu.changeContact({ changeType: 'delete_user', userId: 'lisi' });
  const posts = await receiver.waitFor(3, 'POST');
  await settled(emu);
  const delivery = emu.callbacks[0];
  assert.equal(delivery?.state, 'delivered');
  assert.deepEqual(
    delivery?.attempts.map((a) => a.outcome),
    ['http-error', 'timeout', 'answered'],
  );
  assert.equal(delivery?.attempts[0]?.status, 503);
  assert.equal(new Set(posts.map((p) => p.query['nonce'])).size, 3, 'a nonce per attempt');
  assert.equal(new Set(posts.map((p) => p.body)).size, 3, 'a ciphertext per attempt');
  assert.equal(new Set(posts.map((p) => p.opened)).size, 1, 'the same message each time');

  const failing = await startReceiver(t, (r) => (r.method === 'POST' ? { status: 500 } : undefined));
  await withCallback(emu, failing);
  emu.clearCallbacks();
  emu.changeContact({ changeType: 'update_user', userId: 'zhangsan', fields: { position: 'x' } });
  await failing.waitFor(3, 'POST');
  await settled(emu);
  assert.equal(emu.callbacks[0]?.state, 'failed');
  assert.equal(emu.callbacks[0]?.attempts.length, 3);
  assert.equal(failing.received.filter((r) => r.method === 'POST').length, 3, 'no fourth attempt');
});

test('an app that chose JSON gets the JSON envelope and message; the delivery log is on /__emulator/callbacks and /admin/callbacks', async (t) => {
  const emu = await start(t, FAST);
  const receiver = await startReceiver(t, () => undefined, 'json');
  await withCallback(emu, receiver, 'json');
  emu.changeContact({ changeType: 'delete_user', userId: 'lisi' });
  const [post] = await receiver.waitFor(1, 'POST');
  assert.ok(post);
  const envelope = JSON.parse(post.body) as Record<string, unknown>;
  assert.deepEqual(Object.keys(envelope), ['tousername', 'encrypt', 'agentid']);
  assert.equal(envelope['agentid'], AGENT);
  assert.match(post.contentType ?? '', /^application\/json/);
  assert.deepEqual(JSON.parse(post.opened ?? ''), {
    ToUserName: 'wwdemocorp0000001',
    FromUserName: 'sys',
    CreateTime: JSON.parse(post.opened ?? '{}').CreateTime,
    MsgType: 'event',
    Event: 'change_contact',
    ChangeType: 'delete_user',
    UserID: 'lisi',
  });
  const waited = await fetch(`${emu.url}/__emulator/callbacks/settled`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
  });
  const { deliveries } = (await waited.json()) as { deliveries: { event: string; state: string; format: string }[] };
  assert.deepEqual(
    deliveries.map((d) => [d.event, d.state, d.format]),
    [['change_contact.delete_user', 'delivered', 'json']],
  );
  const page = await (await fetch(`${emu.url}/admin/callbacks`)).text();
  assert.match(page, /data-event="change_contact.delete_user" data-state="delivered"/);
  assert.match(page, /answered HTTP 200/);
  assert.ok(!page.includes(APP.token) && !page.includes(APP.encodingAESKey), 'no Token or key on the page');
});
