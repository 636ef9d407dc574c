// A page of another origin in the developer's browser cannot read the emulator's answers, but its
// "simple" requests still go out: a text/plain POST to a control route, a link that makes the
// picker's choice (which mints a login code). Each variant a browser can send is refused with a
// 4xx that says what happened and what to do, nothing changes, and the emulator keeps serving;
// programs (no Origin, no Sec-Fetch-Site) and the pages WeCom shows anyone keep working.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { AGENT, CORP, REDIRECT, SECRET, UA, authorizeUrl, getJson, start, token } from '../helpers/emulator.ts';
import type { Emulator } from '../../src/emulator/index.ts';

interface Answer {
  status: number;
  type: string;
  location: string | undefined;
  body: string;
}

function send(emu: Emulator, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${emu.url}${path}`, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', location: res.headers.location, body: text }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The headers a browser adds for a request made by a page elsewhere (or by the emulator itself). */
function browser(emu: Emulator): Record<string, Record<string, string>> {
  const { port } = new URL(emu.url);
  const other = String(Number(port) === 65535 ? 65534 : Number(port) + 1);
  return {
    'Origin null (sandboxed frame, file://)': { origin: 'null' },
    'Origin of another site': { origin: 'https://attacker.example' },
    'Origin of another port of 127.0.0.1': { origin: `http://127.0.0.1:${other}` },
    'Origin of another of its names': { origin: `http://localhost:${port}` },
    'Origin of another site, as a rebinding page sends it': { origin: `http://attacker.example:${port}` },
    'no Origin, Sec-Fetch-Site cross-site': { 'sec-fetch-site': 'cross-site' },
    'no Origin, Sec-Fetch-Site same-site (another port)': { 'sec-fetch-site': 'same-site' },
    'own Origin but Sec-Fetch-Site cross-site': { origin: `http://127.0.0.1:${port}`, 'sec-fetch-site': 'cross-site' },
  };
}

function own(emu: Emulator): Record<string, string> {
  return { origin: emu.url, 'sec-fetch-site': 'same-origin' };
}

const JSON_TYPE = { 'content-type': 'application/json' };

function assertControlRefusal(answer: Answer, status: number, what: RegExp, label: string): void {
  assert.equal(answer.status, status, `${label}: ${answer.status} ${answer.body}`);
  assert.match(answer.type, /^application\/json/, label);
  const { error } = JSON.parse(answer.body) as { error: string };
  assert.match(error, what, label);
  assert.doesNotMatch(answer.body, /"code"/, `${label}: no code minted`);
}

test('control routes refuse a request a browser marks as from another origin, whatever the method', async (t) => {
  const emu = await start(t);
  const at = await token(emu);
  const now = emu.clock.now();
  for (const [label, headers] of Object.entries(browser(emu))) {
    const posts: [string, string][] = [
      ['/__emulator/miniprogram/code', '{"userId":"zhangsan"}'],
      ['/__emulator/clock', '{"advanceMs":86400000}'],
      ['/__emulator/revoke-tokens', ''],
      ['/__emulator/faults', '{"failNext":{"errcode":-1,"count":5}}'],
      ['/__emulator/repeat-expires-in', '{"mode":"remaining"}'],
    ];
    for (const [path, body] of posts) {
      // JSON, even: a browser sends it only after a preflight, but the origin is refused anyway.
      const answer = await send(emu, 'POST', path, { ...headers, ...JSON_TYPE }, body);
      assertControlRefusal(
        answer,
        403,
        /refused: .*(Origin|Sec-Fetch-Site).*never a page of another origin: call it from your test or a script/,
        `${label} POST ${path}`,
      );
    }
    for (const [method, path] of [
      ['GET', '/__emulator/calls'],
      ['GET', '/__emulator/fixture'],
      ['DELETE', '/__emulator/calls'],
    ] as const) {
      assertControlRefusal(await send(emu, method, path, headers), 403, /refused/, `${label} ${method} ${path}`);
    }
  }
  assert.ok(Math.abs(emu.clock.now() - now) < 3600_000, 'the clock did not move');
  assert.equal(emu.repeatExpiresIn, 'full');
  assert.equal(emu.callCount('gettoken'), 1, 'the call log was not cleared');
  const still = await getJson(emu, '/cgi-bin/user/get', { access_token: at, userid: 'zhangsan' });
  assert.equal(still['errcode'], 0, 'the token was not revoked and no fault was set');
});

test('JSON control routes refuse a body of any other type: text/plain, a form, multipart, none', async (t) => {
  const emu = await start(t);
  const types: [string | undefined, string][] = [
    ['text/plain', '{"userId":"zhangsan"}'], // the cross-site CSRF trick: a simple request
    ['text/plain;charset=UTF-8', '{"userId":"zhangsan"}'],
    ['application/x-www-form-urlencoded', 'userId=zhangsan'],
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="userId"\r\n\r\nzhangsan\r\n--x--\r\n'],
    ['application/jsonp', '{"userId":"zhangsan"}'],
    ['text/json', '{"userId":"zhangsan"}'],
    [undefined, '{"userId":"zhangsan"}'],
  ];
  for (const [type, body] of types) {
    const headers: Record<string, string> = type === undefined ? {} : { 'content-type': type };
    const answer = await send(emu, 'POST', '/__emulator/miniprogram/code', headers, body);
    assertControlRefusal(answer, 415, /refused: it takes a JSON body sent with Content-Type: application\/json/, String(type));
    assert.match(answer.body, type === undefined ? /got no Content-Type/ : /got Content-Type/);
  }
  // A bodiless POST is a simple request too.
  assertControlRefusal(await send(emu, 'POST', '/__emulator/revoke-tokens'), 415, /even an empty one/, 'bodiless');
  assertControlRefusal(
    await send(emu, 'POST', '/__emulator/clock', { 'content-type': 'text/plain' }, '{"reset":true}'),
    415,
    /got/,
    'clock',
  );
});

test('programs and the emulator itself are answered: no browser headers, its own origin, application/json with parameters', async (t) => {
  const emu = await start(t);
  const accepted: Record<string, string>[] = [
    { 'content-type': 'application/json' },
    { 'content-type': 'application/json; charset=utf-8' },
    { 'content-type': 'Application/JSON;charset=UTF-8' },
    { 'content-type': 'application/json', ...own(emu) },
    { 'content-type': 'application/json', 'sec-fetch-site': 'none' },
    { 'content-type': 'application/json', origin: emu.url.replace('http:', 'https:') },
  ];
  for (const headers of accepted) {
    const answer = await send(emu, 'POST', '/__emulator/miniprogram/code', headers, '{"userId":"zhangsan"}');
    assert.equal(answer.status, 200, `${JSON.stringify(headers)}: ${answer.body}`);
    assert.match(answer.body, /"code":"/);
  }
  assert.equal((await send(emu, 'POST', '/__emulator/revoke-tokens', JSON_TYPE)).status, 200, 'an empty JSON body');
  assert.equal((await send(emu, 'DELETE', '/__emulator/calls')).status, 200);
  assert.equal((await send(emu, 'GET', '/__emulator/calls', own(emu))).status, 200);
});

test("the WeCom API refuses a browser's cross-origin request before recording or minting anything", async (t) => {
  const emu = await start(t);
  const at = await token(emu);
  emu.clearCalls();
  for (const [label, headers] of Object.entries(browser(emu))) {
    const get = await send(emu, 'GET', `/cgi-bin/gettoken?corpid=${CORP}&corpsecret=${SECRET}`, headers);
    assert.equal(get.status, 403, label);
    assert.match(get.type, /^text\/plain/);
    assert.match(get.body, /refused: .*WeCom's API is called by your app's server, not by a web page/, label);
    const body = JSON.stringify({ touser: 'zhangsan', agentid: AGENT, msgtype: 'text', text: { content: 'phish' } });
    const post = await send(emu, 'POST', `/cgi-bin/message/send?access_token=${at}`, { ...headers, 'content-type': 'text/plain' }, body);
    assert.equal(post.status, 403, label);
  }
  assert.equal(emu.callCount(), 0, 'nothing recorded');
  assert.equal(emu.messages.length, 0, 'nothing sent');
  const fine = await getJson(emu, '/cgi-bin/gettoken', { corpid: CORP, corpsecret: SECRET });
  assert.equal(fine['errcode'], 0, 'still serving');
});

function loginUrl(extra: Record<string, string>): string {
  const q = new URLSearchParams({
    login_type: 'CorpApp',
    appid: CORP,
    agentid: String(AGENT),
    redirect_uri: REDIRECT,
    state: 'w1',
    ...extra,
  });
  return `/wwlogin/sso/login?${q.toString()}`;
}

function pathOf(url: string): string {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
}

test("the picker's choices (which mint a code) refuse a link followed from another origin and offer the picker", async (t) => {
  const emu = await start(t);
  const desktop = { 'user-agent': UA.browser };
  const choices = [
    `${pathOf(authorizeUrl(emu))}&__emulator_user=zhangsan`,
    loginUrl({ __emulator_user: 'zhangsan' }),
    loginUrl({ __emulator_action: 'refuse' }),
    `${loginUrl({ __emulator_user: 'lisi' }).replace('/wwlogin/sso/login', '/wwopen/sso/qrConnect')}`,
  ];
  for (const [label, headers] of Object.entries(browser(emu))) {
    for (const path of choices) {
      const answer = await send(emu, 'GET', path, { ...desktop, ...headers });
      assert.equal(answer.status, 403, `${label} ${path}: ${answer.status}`);
      assert.equal(answer.location, undefined, 'no redirect, so no code');
      assert.match(answer.type, /^text\/html/);
      assert.match(answer.body, /this choice came from a page of another origin, not from the emulator&#39;s own/);
      const again = /<a class="choice" href="([^"]+)">重新选择/.exec(answer.body)?.[1]?.replaceAll('&#38;', '&');
      assert.ok(again, 'a link back to the picker');
      assert.doesNotMatch(again, /__emulator_(user|action)/);
      assert.equal((await send(emu, 'GET', again, desktop)).status, 200, 'the picker itself');
    }
  }
  for (const headers of [{}, own(emu), { 'sec-fetch-site': 'none' }]) {
    for (const path of choices) {
      const answer = await send(emu, 'GET', path, { ...desktop, ...headers });
      assert.equal(answer.status, 302, `${JSON.stringify(headers)} ${path}: ${answer.body}`);
    }
  }
});

test('the pages WeCom shows anyone still open from any site: the picker, the silent in-app login, /client', async (t) => {
  const emu = await start(t);
  const crossSite = { 'sec-fetch-site': 'cross-site' };
  const picker = await send(emu, 'GET', pathOf(authorizeUrl(emu)), { 'user-agent': UA.browser, ...crossSite });
  assert.equal(picker.status, 200);
  assert.match(picker.body, /选择身份/);
  const silent = await send(emu, 'GET', pathOf(authorizeUrl(emu)), { 'user-agent': UA.wecomIos, ...crossSite });
  assert.equal(silent.status, 302, "an app's redirect into WeCom comes from the app's site");
  assert.match(silent.location ?? '', /[?&]code=/);
  assert.equal((await send(emu, 'GET', loginUrl({}), { 'user-agent': UA.browser, ...crossSite })).status, 200);
  assert.equal((await send(emu, 'GET', '/client?user=zhangsan', crossSite)).status, 200);
  assert.equal((await send(emu, 'GET', '/', crossSite)).status, 200);
});
