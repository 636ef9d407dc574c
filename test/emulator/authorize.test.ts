// Who is signed in on /connect/oauth2/authorize and /wwlogin/sso/login (docs/wecom-api.md §1, §2, §9).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultFixture } from '../../src/emulator/index.ts';
import {
  AGENT,
  CORP,
  REDIRECT,
  UA,
  appOf,
  authorize,
  authorizeUrl,
  corpOf,
  getJson,
  issueCode,
  start,
  token,
} from '../helpers/emulator.ts';

async function whoIs(emu: Parameters<typeof token>[0], code: string): Promise<Record<string, unknown>> {
  return getJson(emu, '/cgi-bin/auth/getuserinfo', { access_token: await token(emu), code });
}

for (const [name, ua] of [
  ['iOS', UA.wecomIos],
  ['Android', UA.wecomAndroid],
  ['Windows', UA.wecomWindows],
  ['Mac', UA.wecomMac],
] as const) {
  test(`WeCom ${name} user agent is redirected at once for the first member`, async (t) => {
    const emu = await start(t);
    const res = await authorize(emu, { userAgent: ua, state: 'xyz789' });
    assert.equal(res.status, 302);
    const location = new URL(res.headers.get('location') ?? '');
    assert.equal(`${location.origin}${location.pathname}`, REDIRECT);
    assert.equal(location.searchParams.get('state'), 'xyz789');
    const code = location.searchParams.get('code') ?? '';
    assert.ok(code.length > 0 && Buffer.byteLength(code) <= 512);
    assert.deepEqual(await whoIs(emu, code), { errcode: 0, errmsg: 'ok', userid: 'zhangsan' });
  });
}

test('X-WeCom-Emulator-User picks the member; an unknown name is an error page', async (t) => {
  const emu = await start(t);
  const code = await issueCode(emu, { user: 'lisi' });
  assert.equal((await whoIs(emu, code))['userid'], 'lisi');
  const res = await authorize(emu, { user: 'nobody' });
  assert.equal(res.status, 400);
  assert.match(await res.text(), /未知的模拟用户/);
});

test('personal WeChat (MicroMessenger without wxwork/) is a non-member with an openid', async (t) => {
  const emu = await start(t);
  const code = await issueCode(emu, { userAgent: UA.wechat, user: 'zhangsan' });
  assert.deepEqual(await whoIs(emu, code), {
    errcode: 0,
    errmsg: 'ok',
    openid: 'oDemoWeChatVisitor0000000001',
    external_userid: 'wmDemoExternalUser0000000001',
  });
});

test('strict mode: an ordinary browser gets "请在企业微信客户端打开链接" and no redirect', async (t) => {
  const emu = await start(t, { strict: true });
  const res = await authorize(emu, { userAgent: UA.browser });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('location'), null);
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
  const page = await res.text();
  assert.match(page, /请在企业微信客户端打开链接/);
  assert.match(page, /Please open this link in the WeCom client/);
  assert.doesNotMatch(page, /<script/i);
  // The WeCom client is still served at once in strict mode.
  assert.equal((await authorize(emu, { userAgent: UA.wecomWindows })).status, 302);
});

test('dev mode: an ordinary browser gets a member picker of plain links that lead to the redirect', async (t) => {
  const emu = await start(t);
  const res = await authorize(emu, { userAgent: UA.browser, state: 'pick1' });
  assert.equal(res.status, 200);
  const page = await res.text();
  assert.match(page, /张三/);
  assert.match(page, /李四/);
  assert.match(page, /王五/);
  assert.match(page, /个人微信访客/);
  assert.doesNotMatch(page, /<script/i);
  const hrefs = [...page.matchAll(/href="([^"]+)"/g)].map((m) => (m[1] ?? '').replaceAll('&#38;', '&'));
  const lisi = hrefs.find((h) => h.includes('__emulator_user=lisi'));
  assert.ok(lisi, 'a link for lisi');
  const chosen = await fetch(new URL(lisi, emu.url), { redirect: 'manual', headers: { 'user-agent': UA.browser } });
  assert.equal(chosen.status, 302);
  const location = new URL(chosen.headers.get('location') ?? '');
  assert.equal(location.searchParams.get('state'), 'pick1');
  assert.equal((await whoIs(emu, location.searchParams.get('code') ?? ''))['userid'], 'lisi');
  const visitor = hrefs.find((h) => h.includes('__emulator_user=oDemo'));
  assert.ok(visitor);
  const asVisitor = await fetch(new URL(visitor, emu.url), { redirect: 'manual' });
  const visitorCode = new URL(asVisitor.headers.get('location') ?? '').searchParams.get('code') ?? '';
  assert.equal((await whoIs(emu, visitorCode))['openid'], 'oDemoWeChatVisitor0000000001');
});

test('state is echoed, also when empty; a redirect_uri with a query gets &code=', async (t) => {
  const emu = await start(t);
  const empty = await authorize(emu, { state: '' });
  assert.match(empty.headers.get('location') ?? '', /^http:\/\/localhost:3000\/auth\/wecom\/callback\?code=[^&]+&state=$/);
  const withQuery = await authorize(emu, { redirectUri: 'http://localhost:3000/cb?action=get', state: 's1' });
  assert.match(withQuery.headers.get('location') ?? '', /^http:\/\/localhost:3000\/cb\?action=get&code=[^&]+&state=s1$/);
});

test('bad parameters get an error page, not a redirect', async (t) => {
  const emu = await start(t);
  const cases: [string, Record<string, string>][] = [
    ['appid', { appid: 'wwother' }],
    ['response_type', { response_type: 'token' }],
    ['scope', { scope: 'snsapi_login' }],
    ['state', { state: 'has-dash' }],
    ['state', { state: 'a'.repeat(129) }],
    ['agentid', { agentid: '999' }],
    ['redirect_uri', { redirect_uri: 'not a url' }],
  ];
  for (const [what, override] of cases) {
    const url = new URL(authorizeUrl(emu));
    for (const [k, v] of Object.entries(override)) url.searchParams.set(k, v);
    const res = await fetch(url, { redirect: 'manual', headers: { 'user-agent': UA.wecomIos } });
    assert.equal(res.status, 400, `${what} ${JSON.stringify(override)}`);
    assert.match(await res.text(), new RegExp(what));
  }
});

test('an untrusted redirect domain shows the domain_err page (port included in the match)', async (t) => {
  const emu = await start(t);
  for (const redirectUri of ['http://evil.example/cb', 'http://localhost:3001/cb', 'http://sub.localhost:3000/cb']) {
    const res = await authorize(emu, { redirectUri });
    assert.equal(res.status, 302);
    const location = res.headers.get('location') ?? '';
    assert.match(location, /^\/wwopen\/uriconfirm\?err_type=domain_err&uri=/);
    const page = await fetch(new URL(location, emu.url));
    const text = await page.text();
    assert.match(text, /redirect_uri需使用应用可信域名/);
    assert.ok(text.includes(redirectUri), 'the page names the rejected uri');
  }
  // The same for a browser in dev mode: the picker is never shown for an untrusted domain.
  const browser = await authorize(emu, { redirectUri: 'http://evil.example/cb', userAgent: UA.browser });
  assert.match(browser.headers.get('location') ?? '', /domain_err/);
});

test('every interpolated value in a page is HTML-escaped', async (t) => {
  const emu = await start(t);
  const res = await fetch(`${emu.url}/wwopen/uriconfirm?err_type=domain_err&uri=${encodeURIComponent('"><script>alert(1)</script>')}`);
  const page = await res.text();
  assert.doesNotMatch(page, /<script>/);
  assert.match(page, /&#34;&#62;&#60;script&#62;/);
});

test('privateinfo for a member outside the visible range is an error page', async (t) => {
  const emu = await start(t);
  const res = await authorize(emu, { scope: 'snsapi_privateinfo', user: 'wangwu' });
  assert.equal(res.status, 403);
  assert.match(await res.text(), /可见范围/);
  // snsapi_base still identifies a member outside the visible range (docs/wecom-api.md §4).
  const code = await issueCode(emu, { scope: 'snsapi_base', user: 'wangwu' });
  assert.equal((await whoIs(emu, code))['userid'], 'wangwu');
});

test('malformed percent-encoding does not crash the emulator', async (t) => {
  const emu = await start(t);
  const res = await fetch(`${emu.url}/connect/oauth2/authorize?appid=%E0%A4%A&redirect_uri=%%%&scope=%ZZ`, { redirect: 'manual' });
  assert.equal(res.status, 400);
  const again = await fetch(`${emu.url}/cgi-bin/gettoken?corpid=%&corpsecret=%E0%A4%A`);
  assert.equal(((await again.json()) as Record<string, unknown>)['errcode'], 40013);
});

// ---- desktop web login (docs/wecom-api.md §2) ----

function loginUrl(emu: { url: string }, params: Record<string, string> = {}, path = '/wwlogin/sso/login'): string {
  const q = new URLSearchParams({
    login_type: 'CorpApp',
    appid: CORP,
    agentid: String(AGENT),
    redirect_uri: REDIRECT,
    state: 'w1',
    lang: 'zh',
    ...params,
  });
  if (path !== '/wwlogin/sso/login') q.delete('login_type');
  return `${emu.url}${path}?${q.toString()}`;
}

/**
 * Where WeCom's QR page sends the browser after the scan: a navigation of the page itself (a
 * refresh here), never a 302, so the app page's fragment does not ride along (docs/wecom-api.md §2).
 */
async function navigatedTo(res: Response): Promise<string> {
  assert.equal(res.status, 200, 'a page, not a redirect');
  const body = await res.text();
  const refresh = /<meta http-equiv="refresh" content="0;url=([^"]+)">/.exec(body)?.[1]?.replaceAll('&#38;', '&');
  const link = /<a class="choice" href="([^"]+)" data-callback>/.exec(body)?.[1]?.replaceAll('&#38;', '&');
  assert.ok(refresh && refresh === link, 'the page refreshes to the callback, and links to it');
  assert.doesNotMatch(body, /<script/i);
  return refresh;
}

test('web login: the header approves at once; the code yields userid and never a user_ticket', async (t) => {
  const emu = await start(t);
  const res = await fetch(loginUrl(emu), { redirect: 'manual', headers: { 'x-wecom-emulator-user': 'lisi' } });
  const location = new URL(await navigatedTo(res));
  assert.equal(location.searchParams.get('state'), 'w1');
  assert.deepEqual(await whoIs(emu, location.searchParams.get('code') ?? ''), { errcode: 0, errmsg: 'ok', userid: 'lisi' });
});

for (const strict of [false, true]) {
  test(`web login page (strict=${strict}): scan-as links and a refuse link that redirects with state only`, async (t) => {
    const emu = await start(t, { strict });
    const res = await fetch(loginUrl(emu), { redirect: 'manual', headers: { 'user-agent': UA.browser } });
    assert.equal(res.status, 200);
    const page = await res.text();
    assert.match(page, /企业微信扫码登录/);
    assert.doesNotMatch(page, /<script/i);
    const hrefs = [...page.matchAll(/href="([^"]+)"/g)].map((m) => (m[1] ?? '').replaceAll('&#38;', '&'));
    const zhangsan = hrefs.find((h) => h.includes('__emulator_user=zhangsan'));
    const refuse = hrefs.find((h) => h.includes('__emulator_action=refuse'));
    assert.ok(zhangsan && refuse);
    const scanned = await fetch(new URL(zhangsan, emu.url), { redirect: 'manual' });
    const code = new URL(await navigatedTo(scanned)).searchParams.get('code') ?? '';
    assert.equal((await whoIs(emu, code))['userid'], 'zhangsan');
    const refused = await fetch(new URL(refuse, emu.url), { redirect: 'manual' });
    assert.equal(await navigatedTo(refused), `${REDIRECT}?state=w1`);
  });
}

test("web login checks login_type, agentid, the agent's trusted domain and the visible range", async (t) => {
  const emu = await start(t);
  const user = { 'x-wecom-emulator-user': 'zhangsan' };
  assert.equal((await fetch(loginUrl(emu, { login_type: 'ServiceApp' }), { redirect: 'manual', headers: user })).status, 400);
  assert.equal((await fetch(loginUrl(emu, { agentid: '' }), { redirect: 'manual', headers: user })).status, 400);
  const untrusted = await fetch(loginUrl(emu, { redirect_uri: 'http://evil.example/cb' }), { redirect: 'manual', headers: user });
  assert.match(untrusted.headers.get('location') ?? '', /domain_err/);
  const outside = await fetch(loginUrl(emu), { redirect: 'manual', headers: { 'x-wecom-emulator-user': 'wangwu' } });
  assert.equal(outside.status, 403);
});

test('the old qrConnect URL works like wwlogin', async (t) => {
  const emu = await start(t);
  const res = await fetch(loginUrl(emu, {}, '/wwopen/sso/qrConnect'), {
    redirect: 'manual',
    headers: { 'x-wecom-emulator-user': 'zhangsan' },
  });
  const code = new URL(await navigatedTo(res)).searchParams.get('code') ?? '';
  const legacy = await getJson(emu, '/cgi-bin/user/getuserinfo', { access_token: await token(emu), code });
  assert.equal(legacy['UserId'], 'zhangsan');
  assert.equal(legacy['user_ticket'], undefined);
});

test('a test can change the live fixture: a new trusted domain works at once', async (t) => {
  const fixture = defaultFixture();
  const emu = await start(t, { fixture });
  assert.notEqual(emu.fixture, fixture, 'the emulator keeps its own validated copy');
  appOf(emu.fixture).trustedDomains.push('app.example.com');
  const code = await issueCode(emu, { redirectUri: 'https://app.example.com/cb' });
  assert.equal((await whoIs(emu, code))['userid'], corpOf(emu.fixture).members[0]?.userId);
});
