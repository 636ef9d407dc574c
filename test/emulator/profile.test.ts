// getuserdetail and user/get (docs/wecom-api.md §5; Emulator spec 8, 9).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultFixture } from '../../src/emulator/index.ts';
import { appOf, getJson, issueCode, postJson, start, token } from '../helpers/emulator.ts';
import type { Emulator } from '../../src/emulator/index.ts';

async function userTicket(emu: Emulator, at: string, user = 'zhangsan'): Promise<string> {
  const code = await issueCode(emu, { scope: 'snsapi_privateinfo', user });
  const who = await getJson(emu, '/cgi-bin/auth/getuserinfo', { access_token: at, code });
  assert.equal(typeof who['user_ticket'], 'string');
  return who['user_ticket'] as string;
}

test('getuserdetail returns the sensitive fields for a user_ticket', async (t) => {
  const emu = await start(t);
  const at = await token(emu);
  const detail = await postJson(emu, '/cgi-bin/auth/getuserdetail', { access_token: at }, { user_ticket: await userTicket(emu, at) });
  assert.deepEqual(detail, {
    errcode: 0,
    errmsg: 'ok',
    userid: 'zhangsan',
    gender: '1',
    avatar: 'https://avatar.example.com/zhangsan/0',
    qr_code: 'https://open.work.weixin.qq.com/wwopen/userQRCode?vcode=demo-zhangsan',
    mobile: '13800000001',
    email: 'zhangsan@example.com',
    biz_mail: 'zhangsan@demo.example.com',
    address: '广州市海珠区新港中路397号',
  });
  const call = emu.calls.find((c) => c.api === 'auth/getuserdetail');
  assert.equal(call?.method, 'POST');
  assert.equal(typeof (call?.body as { user_ticket?: unknown }).user_ticket, 'string');
});

test('getuserdetail is limited to the fields the admin enabled', async (t) => {
  const fixture = defaultFixture();
  appOf(fixture).sensitiveFieldsEnabled = ['mobile', 'avatar'];
  const emu = await start(t, { fixture });
  const at = await token(emu);
  const detail = await postJson(emu, '/cgi-bin/auth/getuserdetail', { access_token: at }, { user_ticket: await userTicket(emu, at) });
  assert.deepEqual(Object.keys(detail).sort(), ['avatar', 'errcode', 'errmsg', 'mobile', 'userid']);
  appOf(emu.fixture).sensitiveFieldsEnabled = false;
  const none = await postJson(emu, '/cgi-bin/auth/getuserdetail', { access_token: at }, { user_ticket: await userTicket(emu, at) });
  assert.deepEqual(Object.keys(none).sort(), ['errcode', 'errmsg', 'userid']);
});

test('getuserdetail errors: 84090 missing, 84015 unknown or after 1800 s, 60011 no longer visible, 47001 bad JSON', async (t) => {
  const emu = await start(t);
  const at = await token(emu);
  assert.equal((await postJson(emu, '/cgi-bin/auth/getuserdetail', { access_token: at }, {}))['errcode'], 84090);
  assert.equal((await postJson(emu, '/cgi-bin/auth/getuserdetail', { access_token: at }, { user_ticket: 'nope' }))['errcode'], 84015);
  const ticket = await userTicket(emu, at);
  emu.clock.advance(1799_000);
  assert.equal(
    (await postJson(emu, '/cgi-bin/auth/getuserdetail', { access_token: at }, { user_ticket: ticket }))['errcode'],
    0,
    'reusable while valid',
  );
  emu.clock.advance(1_000);
  assert.equal((await postJson(emu, '/cgi-bin/auth/getuserdetail', { access_token: at }, { user_ticket: ticket }))['errcode'], 84015);
  const at2 = await token(emu);
  const lisiTicket = await userTicket(emu, at2, 'lisi');
  appOf(emu.fixture).visibleUserIds = ['zhangsan'];
  assert.equal((await postJson(emu, '/cgi-bin/auth/getuserdetail', { access_token: at2 }, { user_ticket: lisiTicket }))['errcode'], 60011);
  const bad = await fetch(`${emu.url}/cgi-bin/auth/getuserdetail?access_token=${at2}`, { method: 'POST', body: '{"user_ticket":' });
  assert.equal(((await bad.json()) as Record<string, unknown>)['errcode'], 47001);
  const get = await getJson(emu, '/cgi-bin/auth/getuserdetail', { access_token: at2 });
  assert.equal(get['errcode'], 43002);
});

const PRIVATE = ['avatar', 'thumb_avatar', 'gender', 'mobile', 'email', 'biz_mail', 'qr_code', 'address'];

test('user/get omits the private fields for an app created after 2022-06-20', async (t) => {
  const emu = await start(t);
  const user = await getJson(emu, '/cgi-bin/user/get', { access_token: await token(emu), userid: 'zhangsan' });
  assert.equal(user['errcode'], 0);
  assert.equal(user['name'], '张三');
  assert.equal(user['position'], '产品经理');
  assert.deepEqual(user['department'], [1]);
  for (const field of PRIVATE) assert.equal(field in user, false, `${field} must be omitted`);
});

test('user/get includes them for an older app', async (t) => {
  const fixture = defaultFixture();
  appOf(fixture).createdAfter20220620 = false;
  const emu = await start(t, { fixture });
  const user = await getJson(emu, '/cgi-bin/user/get', { access_token: await token(emu), userid: 'zhangsan' });
  for (const field of PRIVATE) assert.equal(field in user, true, `${field} must be present`);
  assert.equal(user['mobile'], '13800000001');
  assert.equal(user['gender'], '1');
});

test('user/get errors: 60111 not found, 60011 outside the visible range, with empty lists', async (t) => {
  const emu = await start(t);
  const at = await token(emu);
  const missing = await getJson(emu, '/cgi-bin/user/get', { access_token: at, userid: 'nobody' });
  assert.equal(missing['errcode'], 60111);
  assert.deepEqual(missing['department'], []);
  assert.equal((await getJson(emu, '/cgi-bin/user/get', { access_token: at, userid: 'wangwu' }))['errcode'], 60011);
});
