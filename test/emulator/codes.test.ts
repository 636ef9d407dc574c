// Code exchange (docs/wecom-api.md §4; Emulator spec 5-7): single use, 5 minutes, trusted domain.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultFixture } from '../../src/emulator/index.ts';
import { CORP, UA, appOf, corpOf, getJson, issueCode, start, token } from '../helpers/emulator.ts';

test('a code is single use: the second exchange answers 40029 invalid code', async (t) => {
  const emu = await start(t);
  const at = await token(emu);
  const code = await issueCode(emu);
  assert.equal((await getJson(emu, '/cgi-bin/auth/getuserinfo', { access_token: at, code }))['errcode'], 0);
  const again = await getJson(emu, '/cgi-bin/auth/getuserinfo', { access_token: at, code });
  assert.equal(again['errcode'], 40029);
  assert.match(String(again['errmsg']), /^invalid code, hint: /);
  // Also across the two APIs.
  const other = await issueCode(emu);
  assert.equal((await getJson(emu, '/cgi-bin/user/getuserinfo', { access_token: at, code: other }))['errcode'], 0);
  assert.equal((await getJson(emu, '/cgi-bin/auth/getuserinfo', { access_token: at, code: other }))['errcode'], 40029);
});

test('two concurrent exchanges of one code: exactly one succeeds', async (t) => {
  const emu = await start(t);
  const at = await token(emu);
  for (let round = 0; round < 5; round++) {
    const code = await issueCode(emu);
    // A delay makes both requests be in flight at once.
    emu.faults.delay(30, 'auth/getuserinfo');
    const results = await Promise.all([1, 2, 3].map(() => getJson(emu, '/cgi-bin/auth/getuserinfo', { access_token: at, code })));
    const errcodes = results.map((r) => r['errcode']).sort();
    assert.deepEqual(errcodes, [0, 40029, 40029]);
  }
});

test('a code expires after 5 minutes on the emulator clock', async (t) => {
  const emu = await start(t);
  const at = await token(emu);
  const fresh = await issueCode(emu);
  const old = await issueCode(emu);
  emu.clock.advance(299_000);
  assert.equal((await getJson(emu, '/cgi-bin/auth/getuserinfo', { access_token: at, code: fresh }))['errcode'], 0);
  emu.clock.advance(1_000);
  assert.equal((await getJson(emu, '/cgi-bin/auth/getuserinfo', { access_token: at, code: old }))['errcode'], 40029);
});

test('missing or unknown code: 41008 and 40029', async (t) => {
  const emu = await start(t);
  const at = await token(emu);
  assert.equal((await getJson(emu, '/cgi-bin/auth/getuserinfo', { access_token: at }))['errcode'], 41008);
  assert.equal((await getJson(emu, '/cgi-bin/auth/getuserinfo', { access_token: at, code: 'made-up' }))['errcode'], 40029);
});

test('exchanging with a token of an app that does not trust the redirect host answers 50001', async (t) => {
  const fixture = defaultFixture();
  corpOf(fixture).apps.push({ ...appOf(fixture), agentId: 1000005, secret: 'b-secret', name: 'B', trustedDomains: ['b.example.com'] });
  const emu = await start(t, { fixture });
  const code = await issueCode(emu); // redirect to localhost:3000, trusted by app A only
  const other = await getJson(emu, '/cgi-bin/auth/getuserinfo', { access_token: await token(emu, CORP, 'b-secret'), code });
  assert.equal(other['errcode'], 50001);
  assert.match(String(other['errmsg']), /^redirect_uri unauthorized/);
  // A domain removed from the app after the code was issued: also 50001.
  const second = await issueCode(emu);
  appOf(emu.fixture).trustedDomains = ['127.0.0.1:3000'];
  assert.equal((await getJson(emu, '/cgi-bin/auth/getuserinfo', { access_token: await token(emu), code: second }))['errcode'], 50001);
});

test('user_ticket only for snsapi_privateinfo with agentid and a visible member', async (t) => {
  const emu = await start(t);
  const at = await token(emu);
  const exchange = async (scope: string, agentid?: number | null): Promise<Record<string, unknown>> =>
    getJson(emu, '/cgi-bin/auth/getuserinfo', { access_token: at, code: await issueCode(emu, { scope, agentid }) });
  const base = await exchange('snsapi_base');
  assert.deepEqual(Object.keys(base), ['errcode', 'errmsg', 'userid']);
  const userinfo = await exchange('snsapi_userinfo');
  assert.equal(userinfo['user_ticket'], undefined);
  const privateinfo = await exchange('snsapi_privateinfo');
  assert.equal(privateinfo['userid'], 'zhangsan');
  assert.equal(typeof privateinfo['user_ticket'], 'string');
  assert.ok(Buffer.byteLength(String(privateinfo['user_ticket'])) <= 512);
  assert.equal(privateinfo['expires_in'], undefined, 'the current doc example has no expires_in');
  // §1: privateinfo without agentid is silently snsapi_base.
  const noAgent = await exchange('snsapi_privateinfo', null);
  assert.deepEqual(Object.keys(noAgent), ['errcode', 'errmsg', 'userid']);
});

test('legacy user/getuserinfo: PascalCase UserId/DeviceId, user_ticket+expires_in for privateinfo, OpenId for visitors', async (t) => {
  const emu = await start(t);
  const at = await token(emu);
  const legacy = async (input: Parameters<typeof issueCode>[1]): Promise<Record<string, unknown>> =>
    getJson(emu, '/cgi-bin/user/getuserinfo', { access_token: at, code: await issueCode(emu, input), agentid: 1000002 });
  const base = await legacy({});
  assert.deepEqual(Object.keys(base), ['errcode', 'errmsg', 'UserId', 'DeviceId']);
  assert.equal(base['UserId'], 'zhangsan');
  const again = await legacy({});
  assert.equal(again['DeviceId'], base['DeviceId'], 'DeviceId is stable per member within a run');
  const lisi = await legacy({ user: 'lisi' });
  assert.notEqual(lisi['DeviceId'], base['DeviceId']);
  const privateinfo = await legacy({ scope: 'snsapi_privateinfo' });
  assert.equal(typeof privateinfo['user_ticket'], 'string');
  assert.equal(privateinfo['expires_in'], 1800);
  const visitor = await legacy({ userAgent: UA.wechat });
  assert.deepEqual(Object.keys(visitor), ['errcode', 'errmsg', 'OpenId', 'DeviceId']);
});

test('a code of another corp answers 40029', async (t) => {
  const fixture = defaultFixture();
  fixture.corps.push({
    corpId: 'wwothercorp000002',
    name: '另一企业',
    apps: [{ ...appOf(fixture), secret: 'other', trustedDomains: ['localhost:3000'], visibleUserIds: ['zhaoliu'] }],
    members: [{ userId: 'zhaoliu', name: '赵六', department: [1] }],
    nonMembers: [],
    miniPrograms: [],
  });
  const emu = await start(t, { fixture });
  const code = await issueCode(emu);
  const res = await getJson(emu, '/cgi-bin/auth/getuserinfo', { access_token: await token(emu, 'wwothercorp000002', 'other'), code });
  assert.equal(res['errcode'], 40029);
});
