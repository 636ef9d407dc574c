// jscode2session (docs/wecom-api.md §6) and JS-SDK tickets (§7).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultFixture } from '../../src/emulator/index.ts';
import { CORP, appOf, corpOf, getJson, start, token } from '../helpers/emulator.ts';

test('jscode2session: a wx.qy.login code gives corpid, userid and session_key, once', async (t) => {
  const emu = await start(t);
  const at = await token(emu);
  const code = emu.issueMiniProgramCode({ userId: 'lisi' });
  const query = { access_token: at, js_code: code, grant_type: 'authorization_code' };
  const session = await getJson(emu, '/cgi-bin/miniprogram/jscode2session', query);
  assert.deepEqual(Object.keys(session), ['corpid', 'userid', 'session_key', 'errcode', 'errmsg']);
  assert.equal(session['corpid'], CORP);
  assert.equal(session['userid'], 'lisi');
  assert.equal(session['errmsg'], 'ok');
  assert.equal((await getJson(emu, '/cgi-bin/miniprogram/jscode2session', query))['errcode'], 40029);
});

test('jscode2session: grant_type required, 5-minute code, missing js_code', async (t) => {
  const emu = await start(t);
  const at = await token(emu);
  const code = emu.issueMiniProgramCode({ userId: 'zhangsan', appId: 'wxdemominiprogram1', corpId: CORP });
  assert.equal((await getJson(emu, '/cgi-bin/miniprogram/jscode2session', { access_token: at, js_code: code }))['errcode'], 40002);
  assert.equal(
    (await getJson(emu, '/cgi-bin/miniprogram/jscode2session', { access_token: at, grant_type: 'authorization_code' }))['errcode'],
    41008,
  );
  const late = emu.issueMiniProgramCode({ userId: 'zhangsan' });
  emu.clock.advance(300_000);
  assert.equal(
    (await getJson(emu, '/cgi-bin/miniprogram/jscode2session', { access_token: at, js_code: late, grant_type: 'authorization_code' }))[
      'errcode'
    ],
    40029,
  );
});

test('jscode2session with a token of an app the mini program is not associated with answers 92002', async (t) => {
  const fixture = defaultFixture();
  corpOf(fixture).apps.push({ ...appOf(fixture), agentId: 1000009, secret: 'other', name: 'B' });
  const emu = await start(t, { fixture });
  const code = emu.issueMiniProgramCode({ userId: 'zhangsan' });
  const res = await getJson(emu, '/cgi-bin/miniprogram/jscode2session', {
    access_token: await token(emu, CORP, 'other'),
    js_code: code,
    grant_type: 'authorization_code',
  });
  assert.equal(res['errcode'], 92002);
  assert.match(String(res['errmsg']), /^not allow to cross corp/);
});

test('issueMiniProgramCode refuses unknown users, corps and mini programs', async (t) => {
  const emu = await start(t);
  assert.throws(() => emu.issueMiniProgramCode({ userId: 'nobody' }), /not a member/);
  assert.throws(() => emu.issueMiniProgramCode({ userId: 'zhangsan', corpId: 'wwx' }), /unknown corpId/);
  assert.throws(() => emu.issueMiniProgramCode({ userId: 'zhangsan', appId: 'wxnope' }), /unknown mini program/);
});

test('jsapi and agent_config tickets: the same while valid, a new one after 7200 s', async (t) => {
  const emu = await start(t);
  const at = await token(emu);
  const jsapi = await getJson(emu, '/cgi-bin/get_jsapi_ticket', { access_token: at });
  assert.deepEqual(Object.keys(jsapi), ['errcode', 'errmsg', 'ticket', 'expires_in']);
  assert.equal(jsapi['expires_in'], 7200);
  const agent = await getJson(emu, '/cgi-bin/ticket/get', { access_token: at, type: 'agent_config' });
  assert.equal(agent['errcode'], 0);
  assert.notEqual(agent['ticket'], jsapi['ticket']);
  assert.equal((await getJson(emu, '/cgi-bin/get_jsapi_ticket', { access_token: at }))['ticket'], jsapi['ticket']);
  assert.equal((await getJson(emu, '/cgi-bin/ticket/get', { access_token: at, type: 'agent_config' }))['ticket'], agent['ticket']);
  assert.equal((await getJson(emu, '/cgi-bin/ticket/get', { access_token: at, type: 'jsapi' }))['errcode'], 40058);
  emu.clock.advance(7200_000);
  const at2 = await token(emu);
  assert.notEqual((await getJson(emu, '/cgi-bin/get_jsapi_ticket', { access_token: at2 }))['ticket'], jsapi['ticket']);
});

test('ticket rate limits: 100/h per app for agent_config, 400/h per corp for jsapi -> 45009', async (t) => {
  const emu = await start(t);
  const at = await token(emu);
  for (let i = 0; i < 100; i++) {
    assert.equal((await getJson(emu, '/cgi-bin/ticket/get', { access_token: at, type: 'agent_config' }))['errcode'], 0);
  }
  const limited = await getJson(emu, '/cgi-bin/ticket/get', { access_token: at, type: 'agent_config' });
  assert.equal(limited['errcode'], 45009);
  assert.match(String(limited['errmsg']), /^api freq out of limit/);
  for (let i = 0; i < 400; i++) {
    assert.equal((await getJson(emu, '/cgi-bin/get_jsapi_ticket', { access_token: at }))['errcode'], 0);
  }
  assert.equal((await getJson(emu, '/cgi-bin/get_jsapi_ticket', { access_token: at }))['errcode'], 45009);
  emu.clock.advance(3600_000);
  const at2 = await token(emu);
  assert.equal((await getJson(emu, '/cgi-bin/get_jsapi_ticket', { access_token: at2 }))['errcode'], 0, 'the window slides');
  assert.equal((await getJson(emu, '/cgi-bin/ticket/get', { access_token: at2, type: 'agent_config' }))['errcode'], 0);
});
