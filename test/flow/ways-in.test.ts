/**
 * Issue 5, parts 1, 2 and 5: the login fits where the person is (WeCom client, another browser,
 * personal WeChat), the employee profile with privateinfo consent, several apps in one session.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setupFlow, visitWeCom, appPath, login, BASE_URL, HTML, WECHAT_UA } from '../helpers/flow.ts';
import type { FlowSetup } from '../helpers/flow.ts';
import { startEmulator } from '../../src/emulator/index.ts';
import { wecomAuth } from '../../src/wecom-auth.ts';

const DESKTOP_CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';
const WECOM_WINDOWS =
  'Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/53.0.2785.116 Safari/537.36 QBCore/4.0.1295.400 QQBrowser/9.0.2524.400 Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/53.0.2875.116 Safari/537.36 NetType/WIFI MicroMessenger/7.0.20.1781(0x6700143B) WindowsWechat(0x63010200) wxwork/3.1.1 (MicroMessenger/6.2) WindowsWechat';

describe('login that fits where the user is', () => {
  let flow: FlowSetup;
  before(async () => {
    flow = await setupFlow();
  });
  after(async () => {
    await flow.close();
  });

  it('a desktop browser gets WeCom web login (wwlogin/sso/login), its code exchanged through auth/getuserinfo', async () => {
    const agent = flow.agent().set('User-Agent', DESKTOP_CHROME);
    const start = await agent.get('/orders/8?view=desk').set('Accept', HTML).set('Accept-Language', 'en-GB,en;q=0.9');
    assert.equal(start.status, 302);
    const url = new URL(start.headers.location as string);
    assert.equal(url.origin + url.pathname, `${flow.emulator.url}/wwlogin/sso/login`);
    assert.deepEqual([...url.searchParams.keys()], ['login_type', 'appid', 'agentid', 'redirect_uri', 'state', 'lang']);
    assert.equal(url.searchParams.get('login_type'), 'CorpApp');
    assert.equal(url.searchParams.get('appid'), 'wwdemocorp0000001');
    assert.equal(url.searchParams.get('agentid'), '1000002');
    assert.equal(url.searchParams.get('redirect_uri'), `${BASE_URL}/auth/wecom/callback`);
    assert.match(url.searchParams.get('state') ?? '', /^[A-Za-z0-9]{32}$/);
    assert.equal(url.searchParams.get('lang'), 'en');

    const before = flow.emulator.callCount('auth/getuserinfo');
    const scanned = await visitWeCom(start.headers.location as string, { ua: DESKTOP_CHROME, user: 'lisi' });
    const back = await agent.get(appPath(scanned.location)).set('Accept', HTML);
    assert.equal(back.headers.location, '/orders/8?view=desk');
    assert.equal(flow.emulator.callCount('auth/getuserinfo'), before + 1, 'web-login codes go through auth/getuserinfo');
    const page = await agent.get('/orders/8?view=desk').set('Accept', HTML);
    assert.equal(page.body.userId, 'lisi');
    assert.equal(page.body.user.via, 'web-login');
  });

  it('refusing the web login lands on the "login cancelled" page', async () => {
    const agent = flow.agent().set('User-Agent', DESKTOP_CHROME);
    const start = await agent.get('/orders/8').set('Accept', HTML);
    const refused = await visitWeCom(`${start.headers.location as string}&__emulator_action=refuse`, { ua: DESKTOP_CHROME });
    assert.equal(refused.status, 302);
    const res = await agent.get(appPath(refused.location)).set('Accept', HTML);
    assert.equal(res.status, 400);
    assert.match(res.text, /data-page="login-cancelled"/);
  });

  it('the WeCom desktop client gets the in-app OAuth', async () => {
    const start = await flow.agent().set('User-Agent', WECOM_WINDOWS).get('/orders/1').set('Accept', HTML);
    assert.ok((start.headers.location as string).startsWith(`${flow.emulator.url}/connect/oauth2/authorize?`));
  });

  it('personal WeChat gets the "open in WeCom" page (no login started)', async () => {
    const res = await flow.agent().set('User-Agent', WECHAT_UA).get('/orders/1').set('Accept', HTML);
    assert.equal(res.status, 403);
    assert.match(res.text, /data-page="open-in-wecom"/);
    assert.match(res.text, /请在企业微信中打开/);
  });

  it('wecomClientOnly: a desktop browser gets the "open in WeCom" page; the WeCom client still logs in', async () => {
    const only = await setupFlow({ emulator: flow.emulator, wecom: { wecomClientOnly: true } });
    try {
      const browser = await only.agent().set('User-Agent', DESKTOP_CHROME).get('/orders/1').set('Accept', HTML);
      assert.equal(browser.status, 403);
      assert.match(browser.text, /data-page="open-in-wecom"/);
      const done = await login(only.agent(), '/orders/1');
      assert.equal(done.headers.location, '/orders/1');
    } finally {
      await only.close();
    }
  });

  it('allowNonMembers: personal WeChat goes through the in-app OAuth as a non-member', async () => {
    const open = await setupFlow({ emulator: flow.emulator, wecom: { allowNonMembers: true } });
    try {
      const agent = open.agent().set('User-Agent', WECHAT_UA);
      const done = await login(agent, '/orders/2', { ua: WECHAT_UA });
      assert.equal(done.headers.location, '/orders/2');
      const page = await agent.get('/orders/2').set('Accept', HTML);
      assert.equal(page.body.user.type, 'non-member');
    } finally {
      await open.close();
    }
  });
});

describe('the employee profile (snsapi_privateinfo)', () => {
  let flow: FlowSetup;
  before(async () => {
    flow = await setupFlow({
      wecom: {
        scope: 'snsapi_privateinfo',
        profile: { fields: ['name', 'department', 'position', 'mobile', 'email', 'avatar', 'gender'] },
      },
    });
  });
  after(async () => {
    await flow.close();
  });

  it('consent -> user_ticket -> getuserdetail merged with user/get, once at login, chosen fields only, no user_ticket kept', async () => {
    const agent = flow.agent();
    const start = await agent.get('/orders/1').set('Accept', HTML);
    const url = new URL(start.headers.location as string);
    assert.equal(url.searchParams.get('scope'), 'snsapi_privateinfo');
    assert.equal(url.searchParams.get('agentid'), '1000002', 'agentid is always sent with privateinfo');
    const wecom = await visitWeCom(start.headers.location as string, { user: 'zhangsan' });
    const counts = () => [
      flow.emulator.callCount('auth/getuserinfo'),
      flow.emulator.callCount('auth/getuserdetail'),
      flow.emulator.callCount('user/get'),
    ];
    const [who0 = 0, detail0 = 0, get0 = 0] = counts();
    await agent.get(appPath(wecom.location)).set('Accept', HTML);
    assert.deepEqual(counts(), [who0 + 1, detail0 + 1, get0 + 1]);
    const ticket = flow.emulator.calls.filter((c) => c.api === 'auth/getuserdetail').at(-1)?.body as { user_ticket?: string } | undefined;
    assert.ok(ticket?.user_ticket);

    const page = await agent.get('/orders/1').set('Accept', HTML);
    const profile = page.body.user.profile as Record<string, unknown>;
    assert.equal(profile.name, '张三', 'from user/get');
    assert.equal(profile.position, '产品经理');
    assert.deepEqual(profile.department, [1]);
    assert.ok(typeof profile.mobile === 'string' && profile.mobile.length > 0, 'from getuserdetail (withheld by user/get since 2022)');
    assert.ok(typeof profile.email === 'string');
    assert.equal(profile.qr_code, undefined, 'a field the app did not choose is not kept');
    assert.ok(!JSON.stringify(page.body).includes(ticket.user_ticket), 'the user_ticket is not kept');
    // The profile is not fetched again on later requests.
    await agent.get('/orders/1').set('Accept', HTML);
    assert.equal(flow.emulator.callCount('user/get'), get0 + 1);
  });

  it('60011 while reading the profile -> the "no access to this app" page', async () => {
    const agent = flow.agent();
    const start = await agent.get('/orders/1').set('Accept', HTML);
    const wecom = await visitWeCom(start.headers.location as string, { user: 'lisi' });
    flow.emulator.faults.failNext(60011, 1, 'user/get');
    const res = await agent.get(appPath(wecom.location)).set('Accept', HTML);
    assert.equal(res.status, 403);
    assert.match(res.text, /data-page="no-access"/);
    assert.equal((await agent.get('/api/data')).status, 401);
  });

  it('web login (no user_ticket) still gets the user/get part of the profile', async () => {
    const agent = flow.agent().set('User-Agent', DESKTOP_CHROME);
    const start = await agent.get('/orders/1').set('Accept', HTML);
    const wecom = await visitWeCom(start.headers.location as string, { ua: DESKTOP_CHROME, user: 'lisi' });
    await agent.get(appPath(wecom.location)).set('Accept', HTML);
    const page = await agent.get('/orders/1').set('Accept', HTML);
    assert.equal(page.body.user.profile.name, '李四');
    assert.equal(page.body.user.profile.mobile, undefined);
  });
});

describe('several apps in one session (appKey)', () => {
  it('two apps log in side by side, each with its own token and callback, neither overwriting the other', async () => {
    const emulator = await startEmulator({ port: 0 });
    const corpApp = emulator.fixture.corps[0]?.apps[0];
    assert.ok(corpApp);
    emulator.fixture.corps[0]?.apps.push({
      ...corpApp,
      agentId: 1000003,
      name: '财务',
      secret: 'finance-secret',
      trustedDomains: [...corpApp.trustedDomains],
    });
    const finance = wecomAuth({
      corpId: 'wwdemocorp0000001',
      agentId: 1000003,
      secret: 'finance-secret',
      baseUrl: BASE_URL,
      appKey: 'finance',
      apiBaseUrl: emulator.url,
      oauthBaseUrl: emulator.url,
      routes: { login: '/finance/login', callback: '/finance/callback', logout: '/finance/logout' },
    });
    const hr = await setupFlow({
      emulator,
      wecom: { appKey: 'hr' },
      mount: (app) => {
        app.use(finance.router);
        app.get('/finance/report', finance.requireUser(), (req, res) => {
          res.json({ userId: req.wecomUser?.userId, agentId: req.wecomUser?.agentId });
        });
      },
    });
    try {
      const agent = hr.agent();
      const hrLogin = await login(agent, '/orders/1', { user: 'zhangsan' });
      assert.equal(hrLogin.headers.location, '/orders/1');
      const start = await agent.get('/finance/report').set('Accept', HTML);
      const url = new URL(start.headers.location as string);
      assert.equal(url.searchParams.get('agentid'), '1000003');
      assert.equal(url.searchParams.get('redirect_uri'), `${BASE_URL}/finance/callback`);
      const wecom = await visitWeCom(start.headers.location as string, { user: 'zhangsan' });
      const back = await agent.get(appPath(wecom.location)).set('Accept', HTML);
      assert.equal(back.headers.location, '/finance/report');
      const report = await agent.get('/finance/report').set('Accept', HTML);
      assert.equal(report.body.agentId, 1000003);
      const orders = await agent.get('/orders/1').set('Accept', HTML);
      assert.equal(orders.status, 200, 'the first app is still logged in');
      assert.equal(orders.body.user.agentId, 1000002);
      // The emulator's log does not keep secrets: two tokens fetched, and each app exchanged its code with its own.
      assert.equal(hr.emulator.calls.filter((c) => c.api === 'gettoken' && c.errcode === 0).length, 2, 'a token per app');
      const exchangeTokens = new Set(hr.emulator.calls.filter((c) => c.api === 'user/getuserinfo').map((c) => c.query.access_token));
      assert.equal(exchangeTokens.size, 2, 'each app exchanged its code with its own token');
      // A state of one app delivered to the other's callback is not finished there.
      const other = await agent.get('/auth/wecom/login?returnTo=%2Forders%2F2').set('Accept', HTML);
      const otherCode = await visitWeCom(other.headers.location as string);
      const wrongCallback = appPath(otherCode.location).replace('/auth/wecom/callback', '/finance/callback');
      const before = hr.emulator.callCount('user/getuserinfo');
      await agent.get(wrongCallback).set('Accept', HTML);
      assert.equal(hr.emulator.callCount('user/getuserinfo'), before);
    } finally {
      finance.close();
      await hr.close();
      await emulator.close();
    }
  });
});

describe('the visible range (可见范围)', () => {
  it('a member outside it gets the "no access" page by default; checkVisibility: false lets every member in', async () => {
    const flow = await setupFlow();
    const open = await setupFlow({ emulator: flow.emulator, wecom: { checkVisibility: false } });
    try {
      const refused = await login(flow.agent(), '/orders/1', { user: 'wangwu' });
      assert.equal(refused.status, 403);
      assert.match(refused.text, /data-page="no-access"/);
      const userGet = flow.emulator.calls.filter((c) => c.api === 'user/get').at(-1);
      assert.equal(userGet?.query.userid, 'wangwu');
      assert.equal(userGet?.errcode, 60011);

      const agent = open.agent();
      const before = open.emulator.callCount('user/get');
      const done = await login(agent, '/orders/1', { user: 'wangwu' });
      assert.equal(done.headers.location, '/orders/1');
      assert.equal(open.emulator.callCount('user/get'), before, 'no user/get when the check is off');
    } finally {
      await open.close();
      await flow.close();
    }
  });
});
