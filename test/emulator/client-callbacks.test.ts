// /client for an app with 「接收消息」 settings: the workbench entry sends enter_agent and opens the
// homepage, a view item sends view and opens its link, a click item sends click and opens nothing;
// the admin console's forms change the address book and the settings. Only the emulator's own
// pages can make these requests.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AGENT, appOf, corpOf, postJson, start, token } from '../helpers/emulator.ts';
import { APP, field, startReceiver } from './callback-receiver.ts';
import type { Emulator } from '../../src/emulator/index.ts';

const SAME_ORIGIN = (emu: Emulator): Record<string, string> => ({ origin: emu.url, 'sec-fetch-site': 'same-origin' });

/** The href of the first element carrying `data-entry="<kind>"`, &amp; decoded. */
function href(page: string, kind: string): string {
  const m = new RegExp(`<a [^>]*data-entry="${kind}"[^>]*href="([^"]*)"`).exec(page);
  assert.ok(m?.[1], `a ${kind} link on the page`);
  return m[1].replaceAll('&#38;', '&');
}

function form(emu: Emulator, path: string, fields: Record<string, string | string[]>, headers = SAME_ORIGIN(emu)): Promise<Response> {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const item of [v].flat()) body.append(k, item);
  return fetch(`${emu.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: body.toString(),
  });
}

async function setUp(emu: Emulator): Promise<void> {
  const at = await token(emu);
  await postJson(emu, '/cgi-bin/agent/set', { access_token: at }, { agentid: AGENT, home_url: 'http://localhost:3000/?from=workbench' });
  await postJson(
    emu,
    '/cgi-bin/menu/create',
    { access_token: at, agentid: String(AGENT) },
    {
      button: [
        { type: 'view', name: '我的订单', url: 'http://localhost:3000/orders?tab=open' },
        { name: '更多', sub_button: [{ type: 'click', name: '签到', key: 'CHECK_IN' }] },
      ],
    },
  );
}

test('workbench, view and click entries push enter_agent, view and click, then open what WeCom opens', async (t) => {
  const emu = await start(t, { callbackRetryDelayMs: 10 });
  await setUp(emu);
  const plain = await (await fetch(`${emu.url}/client?user=zhangsan`)).text();
  assert.equal(href(plain, 'homepage'), 'http://localhost:3000/?from=workbench', 'without settings: the plain links, as before');
  const receiver = await startReceiver(t);
  await emu.setCallback({ agentId: AGENT, url: receiver.url, token: APP.token, encodingAESKey: APP.encodingAESKey });
  const page = await (await fetch(`${emu.url}/client?user=zhangsan`)).text();

  const entered = await fetch(`${emu.url}${href(page, 'homepage')}`, { redirect: 'manual', headers: SAME_ORIGIN(emu) });
  assert.equal(entered.status, 302);
  assert.equal(entered.headers.get('location'), 'http://localhost:3000/?from=workbench');
  const viewed = await fetch(`${emu.url}${href(page, 'menu')}`, { redirect: 'manual', headers: SAME_ORIGIN(emu) });
  assert.equal(viewed.headers.get('location'), 'http://localhost:3000/orders?tab=open');
  assert.match(page, /<button type="submit" data-entry="menu-click" data-key="CHECK_IN"/);
  const clicked = await form(emu, '/client/click', { corp: 'wwdemocorp0000001', user: 'zhangsan', agentid: String(AGENT), item: '1.0' });
  assert.equal(clicked.status, 303);
  assert.equal(clicked.headers.get('location'), '/client?user=zhangsan&corp=wwdemocorp0000001');

  const posts = await receiver.waitFor(3, 'POST');
  // Each delivery goes out on its own: they may arrive in any order.
  const seen = posts.map((p) => [
    field(p.opened, 'Event'),
    field(p.opened, 'EventKey'),
    field(p.opened, 'FromUserName'),
    field(p.opened, 'AgentID'),
  ]);
  assert.deepEqual(seen.sort(), [
    ['click', 'CHECK_IN', 'zhangsan', String(AGENT)],
    ['enter_agent', '', 'zhangsan', String(AGENT)],
    ['view', 'http://localhost:3000/orders?tab=open', 'zhangsan', String(AGENT)],
  ]);
  assert.deepEqual(
    emu.callbacks.map((d) => d.event),
    ['enter_agent', 'view', 'click'],
    'the log in the order the member acted',
  );
  // Only what the member's WeCom shows can be pressed.
  const noItem = await form(emu, '/client/click', { corp: 'wwdemocorp0000001', user: 'zhangsan', agentid: String(AGENT), item: '0' });
  assert.equal(noItem.status, 404, 'item 0 is a view item');
  const outside = await fetch(`${emu.url}/client/enter?corp=wwdemocorp0000001&user=wangwu&agentid=${AGENT}`, { redirect: 'manual' });
  assert.equal(outside.status, 404, 'wangwu has no such app in the workbench');
});

test('a page of another origin cannot make the emulator push events or change the address book', async (t) => {
  const emu = await start(t);
  await setUp(emu);
  const receiver = await startReceiver(t);
  await emu.setCallback({ agentId: AGENT, url: receiver.url, token: APP.token, encodingAESKey: APP.encodingAESKey });
  const foreign = { origin: 'https://attacker.example', 'sec-fetch-site': 'cross-site' };
  const attempts = [
    form(emu, '/client/click', { corp: 'wwdemocorp0000001', user: 'zhangsan', agentid: String(AGENT), item: '1.0' }, foreign),
    form(emu, '/admin/members', { corp: 'wwdemocorp0000001', action: 'delete', userId: 'lisi' }, foreign),
    form(
      emu,
      '/admin/callback',
      { corp: 'wwdemocorp0000001', agentid: String(AGENT), url: 'http://127.0.0.1:9/x' },
      { 'sec-fetch-site': 'same-site' },
    ),
    fetch(`${emu.url}/client/enter?corp=wwdemocorp0000001&user=zhangsan&agentid=${AGENT}`, {
      redirect: 'manual',
      headers: { 'sec-fetch-site': 'cross-site' },
    }),
  ];
  for (const res of await Promise.all(attempts)) {
    assert.equal(res.status, 403);
    assert.match(await res.text(), /refused: .*Use the emulator's own \/client and \/admin pages/);
  }
  assert.equal(emu.callbacks.length, 0, 'no event pushed');
  assert.ok(
    corpOf(emu.fixture).members.some((m) => m.userId === 'lisi'),
    'lisi is still there',
  );
});

test('the admin console: settings saved through the URL check, members added, edited and deleted, each pushed', async (t) => {
  const emu = await start(t, { callbackRetryDelayMs: 10 });
  const receiver = await startReceiver(t);
  const refused = await form(emu, '/admin/callback', {
    corp: 'wwdemocorp0000001',
    agentid: String(AGENT),
    url: receiver.url,
    token: 'wrongToken',
    encodingAESKey: APP.encodingAESKey,
  });
  assert.equal(refused.status, 303);
  const error = new URL(refused.headers.get('location') ?? '', emu.url);
  // The receiver (the library's verifyUrl) refuses the signature of another Token with a 400.
  assert.equal(error.searchParams.get('error'), 'openapi回调地址请求不通过: the URL answered HTTP 400');
  assert.match(await (await fetch(error)).text(), /role="alert">openapi回调地址请求不通过/);
  assert.equal(appOf(emu.fixture).callback, undefined);
  const saved = await form(emu, '/admin/callback', {
    corp: 'wwdemocorp0000001',
    agentid: String(AGENT),
    url: receiver.url,
    token: APP.token,
    encodingAESKey: APP.encodingAESKey,
    format: 'xml',
  });
  assert.match(new URL(saved.headers.get('location') ?? '', emu.url).searchParams.get('notice') ?? '', /保存成功/);
  const admin = await (await fetch(`${emu.url}/admin`)).text();
  assert.match(admin, /<code data-callback-url>http:\/\/127\.0\.0\.1:\d+\/wecom\/events<\/code>/);
  assert.ok(!admin.includes(APP.token) && !admin.includes(APP.encodingAESKey), 'the page shows neither Token nor key');
  assert.match(admin, /<tr data-userid="lisi">/);

  const add = await form(emu, '/admin/members', {
    corp: 'wwdemocorp0000001',
    action: 'create',
    userId: 'zhaoliu',
    name: '赵六',
    department: '1',
    visibleIn: [String(AGENT)],
  });
  assert.equal(add.status, 303);
  assert.match(
    new URL(add.headers.get('location') ?? '', emu.url).searchParams.get('notice') ?? '',
    /create_user zhaoliu: pushed to 1 app/,
  );
  await form(emu, '/admin/members', {
    corp: 'wwdemocorp0000001',
    action: 'update',
    userId: 'lisi',
    name: '李四',
    status: '5',
    newUserId: '',
  });
  await form(emu, '/admin/members', { corp: 'wwdemocorp0000001', action: 'delete', userId: 'zhaoliu' });
  const bad = await form(emu, '/admin/members', { corp: 'wwdemocorp0000001', action: 'delete', userId: 'ghost' });
  assert.match(new URL(bad.headers.get('location') ?? '', emu.url).searchParams.get('error') ?? '', /ghost is not a member/);
  const posts = await receiver.waitFor(3, 'POST');
  assert.deepEqual(posts.map((p) => [field(p.opened, 'ChangeType'), field(p.opened, 'UserID'), field(p.opened, 'Status')]).sort(), [
    ['create_user', 'zhaoliu', '1'],
    ['delete_user', 'zhaoliu', undefined],
    ['update_user', 'lisi', '5'],
  ]);
  assert.equal(corpOf(emu.fixture).members.find((m) => m.userId === 'lisi')?.status, 5);
});
