// gettoken and the token checks every other API makes (docs/wecom-api.md §3, §8; Emulator spec 3, 4).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultFixture } from '../../src/emulator/index.ts';
import { AGENT, CORP, SECRET, appOf, corpOf, getJson, start, token } from '../helpers/emulator.ts';

test('gettoken answers WeCom envelope with a token of at most 512 bytes valid 7200 s', async (t) => {
  const emu = await start(t);
  const res = await fetch(`${emu.url}/cgi-bin/gettoken?corpid=${CORP}&corpsecret=${SECRET}`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json; charset=UTF-8');
  assert.equal(res.headers.get('error-code'), '0');
  const body = (await res.json()) as Record<string, unknown>;
  assert.deepEqual(Object.keys(body), ['errcode', 'errmsg', 'access_token', 'expires_in']);
  assert.equal(body['errmsg'], 'ok');
  assert.equal(body['expires_in'], 7200);
  assert.ok(Buffer.byteLength(String(body['access_token'])) <= 512);
});

test('gettoken errors: 41004 before 41002, 40013, 40001, 50003', async (t) => {
  const emu = await start(t);
  const res = await fetch(`${emu.url}/cgi-bin/gettoken`);
  assert.equal(res.headers.get('error-code'), '41004');
  const missingBoth = (await res.json()) as Record<string, unknown>;
  assert.equal(missingBoth['errcode'], 41004, 'corpsecret is checked before corpid');
  assert.match(
    String(missingBoth['errmsg']),
    /^corpsecret missing, hint: \[[^\]]+\], from ip: 127\.0\.0\.1, more info at https:\/\/open\.work\.weixin\.qq\.com\/devtool\/query\?e=41004$/,
  );
  assert.equal(res.headers.get('error-msg'), missingBoth['errmsg']);
  assert.equal((await getJson(emu, '/cgi-bin/gettoken', { corpsecret: SECRET }))['errcode'], 41002);
  assert.equal((await getJson(emu, '/cgi-bin/gettoken', { corpid: 'wwnosuchcorp', corpsecret: SECRET }))['errcode'], 40013);
  assert.equal((await getJson(emu, '/cgi-bin/gettoken', { corpid: CORP, corpsecret: 'wrong' }))['errcode'], 40001);
  appOf(emu.fixture).enabled = false;
  assert.equal((await getJson(emu, '/cgi-bin/gettoken', { corpid: CORP, corpsecret: SECRET }))['errcode'], 50003);
});

test('the same token while valid, a new one after 7200 s; the old one then answers 42001', async (t) => {
  const emu = await start(t);
  const first = await token(emu);
  assert.equal(await token(emu), first);
  emu.clock.advance(7199_000);
  assert.equal(await token(emu), first);
  const stillValid = await getJson(emu, '/cgi-bin/get_jsapi_ticket', { access_token: first });
  assert.equal(stillValid['errcode'], 0);
  emu.clock.advance(1_000);
  const expired = await getJson(emu, '/cgi-bin/user/get', { access_token: first, userid: 'zhangsan' });
  assert.equal(expired['errcode'], 42001);
  const second = await token(emu);
  assert.notEqual(second, first);
  assert.equal(emu.callCount('gettoken'), 4);
});

test('expiredTokenErrcode 40014 makes expired tokens answer 40014', async (t) => {
  const emu = await start(t, { expiredTokenErrcode: 40014 });
  const at = await token(emu);
  emu.clock.advance(7200_000);
  assert.equal((await getJson(emu, '/cgi-bin/user/get', { access_token: at, userid: 'zhangsan' }))['errcode'], 40014);
});

test('a revoked token answers 40014 and gettoken issues a new one', async (t) => {
  const emu = await start(t);
  const first = await token(emu);
  emu.revokeTokens({ corpId: CORP, agentId: AGENT });
  assert.equal((await getJson(emu, '/cgi-bin/user/get', { access_token: first, userid: 'zhangsan' }))['errcode'], 40014);
  assert.notEqual(await token(emu), first);
  assert.equal((await getJson(emu, '/cgi-bin/user/get', { access_token: 'not-a-token', userid: 'zhangsan' }))['errcode'], 40014);
});

test('access_token is read only from the query string: header or body -> 41001', async (t) => {
  const emu = await start(t);
  const at = await token(emu);
  const viaHeader = await fetch(`${emu.url}/cgi-bin/user/get?userid=zhangsan`, {
    headers: { access_token: at, authorization: `Bearer ${at}` },
  });
  assert.equal(((await viaHeader.json()) as Record<string, unknown>)['errcode'], 41001);
  const viaBody = await fetch(`${emu.url}/cgi-bin/auth/getuserdetail`, {
    method: 'POST',
    body: JSON.stringify({ access_token: at, user_ticket: 'x' }),
  });
  assert.equal(((await viaBody.json()) as Record<string, unknown>)['errcode'], 41001);
});

test('tokens are scoped to the app: each app gets its own token', async (t) => {
  const fixture = defaultFixture();
  corpOf(fixture).apps.push({ ...appOf(fixture), agentId: 1000003, secret: 'other-secret', name: 'B' });
  const emu = await start(t, { fixture });
  const a = await token(emu);
  const b = await token(emu, CORP, 'other-secret');
  assert.notEqual(a, b);
  emu.revokeTokens({ agentId: 1000003 });
  assert.equal(await token(emu), a, 'revoking app B leaves app A alone');
  assert.notEqual(await token(emu, CORP, 'other-secret'), b);
});

test('trusted-IP mode: every API but gettoken from an unlisted IP answers 60020', async (t) => {
  const fixture = defaultFixture();
  appOf(fixture).trustedIps = ['203.0.113.7'];
  const emu = await start(t, { fixture });
  const at = await token(emu); // gettoken still succeeds (docs/wecom-api.md §10)
  const body = await getJson(emu, '/cgi-bin/user/get', { access_token: at, userid: 'zhangsan' });
  assert.equal(body['errcode'], 60020);
  assert.match(String(body['errmsg']), /^not allow to access from your ip, .*from ip: 127\.0\.0\.1/);
  appOf(emu.fixture).trustedIps = ['127.0.0.1'];
  assert.equal((await getJson(emu, '/cgi-bin/user/get', { access_token: at, userid: 'zhangsan' }))['errcode'], 0);
});

test('an unknown /cgi-bin path answers 404 with an empty body', async (t) => {
  const emu = await start(t);
  const res = await fetch(`${emu.url}/cgi-bin/no/such/api?access_token=x`);
  assert.equal(res.status, 404);
  assert.equal(await res.text(), '');
  assert.equal(emu.callCount(), 0);
});

test('repeatExpiresIn: a repeat gettoken reports 7200 (full, default) or the seconds left (remaining)', async (t) => {
  const emu = await start(t);
  assert.equal(emu.repeatExpiresIn, 'full');
  const first = await getJson(emu, '/cgi-bin/gettoken', { corpid: CORP, corpsecret: SECRET });
  emu.clock.advance(1000_000);
  const full = await getJson(emu, '/cgi-bin/gettoken', { corpid: CORP, corpsecret: SECRET });
  assert.equal(full['access_token'], first['access_token']);
  assert.equal(full['expires_in'], 7200, 'full: 7200 although 6200 s are left');

  emu.repeatExpiresIn = 'remaining';
  const remaining = await getJson(emu, '/cgi-bin/gettoken', { corpid: CORP, corpsecret: SECRET });
  assert.equal(remaining['access_token'], first['access_token']);
  assert.equal(remaining['expires_in'], 6200);
  const at = String(remaining['access_token']);
  const ticket = await getJson(emu, '/cgi-bin/get_jsapi_ticket', { access_token: at });
  assert.equal(ticket['expires_in'], 7200, 'a new ticket: its whole lifetime');
  emu.clock.advance(200_500);
  assert.equal((await getJson(emu, '/cgi-bin/get_jsapi_ticket', { access_token: at }))['expires_in'], 7000, 'rounded up');
  const agent = await getJson(emu, '/cgi-bin/ticket/get', { access_token: at, type: 'agent_config' });
  emu.clock.advance(100_000);
  const agentAgain = await getJson(emu, '/cgi-bin/ticket/get', { access_token: at, type: 'agent_config' });
  assert.equal(agentAgain['ticket'], agent['ticket']);
  assert.equal(agentAgain['expires_in'], 7100);

  // After the real expiry a new token, with its whole lifetime, in either mode.
  emu.clock.advance(6000_000);
  const next = await getJson(emu, '/cgi-bin/gettoken', { corpid: CORP, corpsecret: SECRET });
  assert.notEqual(next['access_token'], first['access_token']);
  assert.equal(next['expires_in'], 7200);
  assert.throws(() => {
    emu.repeatExpiresIn = 'sometimes' as never;
  }, /repeatExpiresIn must be 'full' or 'remaining'/);
});

test('repeatExpiresIn: the option, and POST /__emulator/repeat-expires-in', async (t) => {
  const emu = await start(t, { repeatExpiresIn: 'remaining' });
  await getJson(emu, '/cgi-bin/gettoken', { corpid: CORP, corpsecret: SECRET });
  emu.clock.advance(7000_000);
  assert.equal((await getJson(emu, '/cgi-bin/gettoken', { corpid: CORP, corpsecret: SECRET }))['expires_in'], 200);
  const set = await fetch(`${emu.url}/__emulator/repeat-expires-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mode: 'full' }),
  });
  assert.equal(set.status, 200);
  assert.deepEqual(await set.json(), { mode: 'full' });
  assert.equal(emu.repeatExpiresIn, 'full');
  assert.equal((await getJson(emu, '/cgi-bin/gettoken', { corpid: CORP, corpsecret: SECRET }))['expires_in'], 7200);
  const bad = await fetch(`${emu.url}/__emulator/repeat-expires-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mode: 'never' }),
  });
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { error: string }).error, /send \{"mode":"full"\}/);
  const got = (await (await fetch(`${emu.url}/__emulator/repeat-expires-in`)).json()) as { mode: string };
  assert.equal(got.mode, 'full');
  await assert.rejects(start(t, { repeatExpiresIn: 'often' as never }), /repeatExpiresIn must be 'full' or 'remaining'/);
});
