// Fault switches, the call log, the clock and the /__emulator control paths; robustness.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { AGENT, CORP, SECRET, getJson, start, token } from '../helpers/emulator.ts';
import type { Emulator } from '../../src/emulator/index.ts';

async function control(
  emu: Emulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  // The control routes take JSON only, sent as such (cross-site.test.ts).
  const init: RequestInit = method === 'POST' ? { method, headers: { 'content-type': 'application/json' } } : { method };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(`${emu.url}/__emulator/${path}`, init);
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

test('failNext forces an errcode for N calls, optionally for one api only', async (t) => {
  const emu = await start(t);
  emu.faults.failNext(-1, 2, 'gettoken');
  const first = await getJson(emu, '/cgi-bin/gettoken', { corpid: CORP, corpsecret: SECRET });
  assert.equal(first['errcode'], -1);
  assert.match(String(first['errmsg']), /^system busy, hint: .*e=-1$/);
  const at = await token(emu).catch(() => '');
  assert.equal(at, '', 'the second gettoken also fails');
  const realToken = await token(emu);
  emu.faults.failNext(45009, 1, 'user/get');
  assert.equal((await getJson(emu, '/cgi-bin/get_jsapi_ticket', { access_token: realToken }))['errcode'], 0, 'other apis unaffected');
  assert.equal((await getJson(emu, '/cgi-bin/user/get', { access_token: realToken, userid: 'zhangsan' }))['errcode'], 45009);
  assert.equal((await getJson(emu, '/cgi-bin/user/get', { access_token: realToken, userid: 'zhangsan' }))['errcode'], 0);
  emu.faults.failNext(45033);
  assert.equal((await getJson(emu, '/cgi-bin/get_jsapi_ticket', { access_token: realToken }))['errcode'], 45033);
  emu.faults.failNext(40001, 5);
  emu.faults.reset();
  assert.equal((await getJson(emu, '/cgi-bin/get_jsapi_ticket', { access_token: realToken }))['errcode'], 0);
});

test('html502 answers an HTML 502 page; delay slows answers down', async (t) => {
  const emu = await start(t);
  emu.faults.html502(1, 'gettoken');
  const res = await fetch(`${emu.url}/cgi-bin/gettoken?corpid=${CORP}&corpsecret=${SECRET}`);
  assert.equal(res.status, 502);
  assert.equal(res.headers.get('content-type'), 'text/html');
  assert.match(await res.text(), /502 Bad Gateway/);
  assert.equal(emu.calls.at(-1)?.httpStatus, 502);
  await token(emu);
  emu.faults.delay(150, 'gettoken');
  const started = Date.now();
  await token(emu);
  assert.ok(Date.now() - started >= 140, 'delayed');
  emu.faults.delay(0, 'gettoken');
});

test('the call log records api, method, query, body, errcode and clock time', async (t) => {
  const emu = await start(t);
  emu.clock.set(1_700_000_000_000);
  await getJson(emu, '/cgi-bin/gettoken', { corpid: CORP, corpsecret: 'wrong' });
  const at = await token(emu);
  await token(emu);
  assert.equal(emu.callCount('gettoken'), 3);
  assert.equal(emu.callCount(), 3);
  const [first] = emu.calls;
  assert.ok(first);
  assert.equal(first.api, 'gettoken');
  assert.equal(first.method, 'GET');
  assert.deepEqual(first.query, { corpid: CORP, corpsecret: '[redacted by the emulator]' }, 'sent, and not kept (redaction.test.ts)');
  assert.equal(first.errcode, 40001);
  assert.ok(first.at >= 1_700_000_000_000 && first.at < 1_700_000_010_000);
  assert.equal(first.ip, '127.0.0.1');
  await fetch(`${emu.url}/cgi-bin/auth/getuserdetail?access_token=${at}`, { method: 'POST', body: '{"user_ticket":"t1"}' });
  assert.deepEqual(emu.calls.at(-1)?.body, { user_ticket: 't1' });
  emu.clearCalls();
  assert.equal(emu.callCount(), 0);
});

test('control paths: calls, clock, faults, revoke-tokens, fixture, miniprogram code', async (t) => {
  const emu = await start(t);
  const at = await token(emu);
  const calls = await control(emu, 'GET', 'calls');
  assert.equal((calls.json['calls'] as unknown[]).length, 1);
  assert.equal((await control(emu, 'DELETE', 'calls')).status, 200);
  assert.equal(emu.callCount(), 0);

  const before = emu.clock.now();
  const advanced = await control(emu, 'POST', 'clock', { advanceMs: 7200_000 });
  assert.ok((advanced.json['now'] as number) >= before + 7200_000);
  assert.equal((await getJson(emu, '/cgi-bin/user/get', { access_token: at, userid: 'zhangsan' }))['errcode'], 42001);
  await control(emu, 'POST', 'clock', { reset: true });
  assert.ok(Math.abs(emu.clock.now() - Date.now()) < 1000);
  await control(emu, 'POST', 'clock', { setMs: 1_000 });
  assert.ok(emu.clock.now() < 10_000);
  await control(emu, 'POST', 'clock', { reset: true });

  assert.equal((await control(emu, 'POST', 'faults', { failNext: { errcode: -1, count: 1, api: 'gettoken' } })).status, 200);
  assert.equal((await getJson(emu, '/cgi-bin/gettoken', { corpid: CORP, corpsecret: SECRET }))['errcode'], -1);
  await control(emu, 'POST', 'faults', { html502: { count: 1 } });
  assert.equal((await fetch(`${emu.url}/cgi-bin/gettoken`)).status, 502);
  await control(emu, 'POST', 'faults', { delay: { ms: 5 } });
  await control(emu, 'POST', 'faults', { reset: true });

  const fresh = await token(emu);
  assert.equal((await control(emu, 'POST', 'revoke-tokens', { corpId: CORP, agentId: AGENT })).status, 200);
  assert.equal((await getJson(emu, '/cgi-bin/get_jsapi_ticket', { access_token: fresh }))['errcode'], 40014);
  await token(emu);
  assert.equal((await control(emu, 'POST', 'revoke-tokens')).status, 200, 'no body = all tokens');

  const fixture = await control(emu, 'GET', 'fixture');
  assert.equal((fixture.json['corps'] as { corpId: string }[])[0]?.corpId, CORP);

  const mp = await control(emu, 'POST', 'miniprogram/code', { userId: 'zhangsan' });
  const session = await getJson(emu, '/cgi-bin/miniprogram/jscode2session', {
    access_token: await token(emu),
    js_code: String(mp.json['code']),
    grant_type: 'authorization_code',
  });
  assert.equal(session['userid'], 'zhangsan');
});

test('control paths answer 400 with a message for bad input and 404 for unknown paths', async (t) => {
  const emu = await start(t);
  assert.equal((await control(emu, 'POST', 'clock', { advanceMs: 'soon' })).status, 400);
  assert.match(String((await control(emu, 'POST', 'clock', {})).json['error']), /advanceMs/);
  assert.equal((await control(emu, 'POST', 'faults', { failNext: { count: 2 } })).status, 400);
  assert.equal((await control(emu, 'POST', 'faults', { failNext: { errcode: 1, count: -1 } })).status, 400);
  assert.equal((await control(emu, 'POST', 'miniprogram/code', { userId: 'nobody' })).status, 400);
  const badJson = await fetch(`${emu.url}/__emulator/clock`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{',
  });
  assert.equal(badJson.status, 400);
  assert.equal((await control(emu, 'GET', 'nothing')).status, 404);
});

test('robustness: huge body -> 413, HEAD has no side effects, the emulator keeps serving', async (t) => {
  const emu = await start(t);
  const at = await token(emu);
  const huge = await fetch(`${emu.url}/cgi-bin/auth/getuserdetail?access_token=${at}`, { method: 'POST', body: 'x'.repeat(200 * 1024) });
  assert.equal(huge.status, 413);
  // A chunked body without Content-Length that grows past the cap.
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(`${emu.url}/cgi-bin/auth/getuserdetail?access_token=${at}`, { method: 'POST' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    for (let i = 0; i < 20; i++) req.write('y'.repeat(8 * 1024));
    req.end();
  });
  assert.equal(status, 413);
  const head = await fetch(`${emu.url}/cgi-bin/gettoken?corpid=${CORP}&corpsecret=${SECRET}`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(emu.callCount('gettoken'), 1, 'HEAD is not an API call');
  const headPage = await fetch(`${emu.url}/`, { method: 'HEAD' });
  assert.equal(headPage.status, 200);
  assert.equal((await fetch(`${emu.url}/connect/oauth2/authorize`, { method: 'POST' })).status, 405);
  assert.equal((await fetch(`${emu.url}/nowhere`)).status, 404);
  assert.equal((await getJson(emu, '/cgi-bin/get_jsapi_ticket', { access_token: at }))['errcode'], 0);
});

test('close() returns promptly although fetch keeps connections alive', async () => {
  const { startEmulator } = await import('../../src/emulator/index.ts');
  const emu = await startEmulator();
  await token(emu);
  emu.faults.delay(10_000, 'get_jsapi_ticket');
  const pending = fetch(`${emu.url}/cgi-bin/get_jsapi_ticket?access_token=x`).catch(() => 'closed');
  await new Promise((r) => setTimeout(r, 50));
  const started = Date.now();
  await emu.close();
  await pending;
  assert.ok(Date.now() - started < 1000, `close took ${Date.now() - started} ms`);
  await emu.close(); // idempotent
});
