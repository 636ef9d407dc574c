// GET /client: one member's WeCom (workbench, custom menu, messages) as plain HTML, every link the
// app's own URL; its cookie tells the in-app authorize who is holding the phone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AGENT, UA, appOf, authorizeUrl, getJson, postJson, start, token } from '../helpers/emulator.ts';
import type { Json } from '../helpers/emulator.ts';

async function page(url: string, headers: Record<string, string> = {}): Promise<{ status: number; html: string; cookie: string | null }> {
  const res = await fetch(url, { headers });
  return { status: res.status, html: await res.text(), cookie: res.headers.get('set-cookie') };
}

/** The href of every <a> carrying data-entry="<kind>". */
function entries(html: string, kind: string): string[] {
  return [
    ...html.matchAll(new RegExp(`<a [^>]*data-entry="${kind}"[^>]*href="([^"]*)"|<a [^>]*href="([^"]*)"[^>]*data-entry="${kind}"`, 'g')),
  ].map((m) => (m[1] ?? m[2] ?? '').replaceAll('&#38;', '&'));
}

test("the start page links to each member's client page, shows no secret; /client alone asks whose phone it is", async (t) => {
  const emu = await start(t);
  const index = await page(`${emu.url}/`);
  assert.match(index.html, /href="\/client\?user=zhangsan"/);
  assert.match(index.html, /href="\/client\?user=wangwu"/);
  assert.match(index.html, /corpid=wwdemocorp0000001 agentid=1000002/);
  assert.ok(!index.html.includes(appOf(emu.fixture).secret), 'the start page shows no app secret');
  assert.match(index.html, /App secrets are not shown here: they are in your fixture/);
  const picker = await page(`${emu.url}/client`);
  assert.equal(picker.status, 200);
  assert.equal(picker.cookie, null);
  assert.match(picker.html, /<a href="\/client\?user=lisi">李四/);
  const unknown = await page(`${emu.url}/client?user=ghost`);
  assert.equal(unknown.status, 400);
  assert.match(unknown.html, /未知的成员/);
});

test('workbench, menu and messages of one member, links to the app, text escaped', async (t) => {
  const emu = await start(t);
  const at = await token(emu);
  const send = (body: Json): Promise<Json> =>
    postJson(emu, '/cgi-bin/message/send', { access_token: at }, { agentid: AGENT, touser: 'zhangsan', ...body });

  let zhangsan = await page(`${emu.url}/client?user=zhangsan`);
  assert.equal(zhangsan.status, 200);
  assert.equal(zhangsan.cookie, 'wecom_emulator_user=zhangsan; Path=/; HttpOnly; SameSite=Lax');
  assert.match(zhangsan.html, /<h1>企业微信 · 张三<\/h1>/);
  assert.match(zhangsan.html, /未设置应用主页/);
  assert.match(zhangsan.html, /未设置自定义菜单/);
  assert.match(zhangsan.html, /暂无消息/);

  await postJson(emu, '/cgi-bin/agent/set', { access_token: at }, { agentid: AGENT, home_url: 'http://localhost:3000/?from=workbench' });
  await postJson(
    emu,
    '/cgi-bin/menu/create',
    { access_token: at, agentid: String(AGENT) },
    {
      button: [
        { type: 'view', name: '我的订单', url: 'http://localhost:3000/orders?tab=open' },
        {
          name: '更多',
          sub_button: [
            { type: 'view', name: '帮助', url: 'http://localhost:3000/help' },
            { type: 'click', name: '签到', key: 'CHECK_IN' },
          ],
        },
      ],
    },
  );
  await send({
    msgtype: 'textcard',
    textcard: {
      title: '<script>alert(1)</script>订单',
      description: '<div class="gray">今天</div><div class="highlight">待审批</div><b>x</b>',
      url: 'http://localhost:3000/orders/42?tab=items&x=1',
      btntxt: '去审批',
    },
  });
  await send({
    msgtype: 'news',
    news: {
      articles: [
        { title: '月报', url: 'http://localhost:3000/reports/3' },
        { title: '周报', url: 'http://localhost:3000/reports/w1' },
      ],
    },
  });
  await send({
    msgtype: 'template_card',
    template_card: {
      card_type: 'text_notice',
      main_title: { title: '报销单' },
      card_action: { type: 1, url: 'http://localhost:3000/claims/9' },
      jump_list: [{ type: 1, title: '全部', url: 'http://localhost:3000/claims' }],
    },
  });
  await send({
    msgtype: 'text',
    text: { content: '请看 <a href="http://localhost:3000/t">这里</a> 和 <a href="javascript:alert(1)">那里</a>' },
  });
  const recalled = await send({ msgtype: 'markdown', markdown: { content: '[详情](http://localhost:3000/md)' } });
  await postJson(emu, '/cgi-bin/message/recall', { access_token: at }, { msgid: recalled['msgid'] });

  zhangsan = await page(`${emu.url}/client?user=zhangsan`);
  assert.deepEqual(entries(zhangsan.html, 'homepage'), ['http://localhost:3000/?from=workbench']);
  assert.deepEqual(entries(zhangsan.html, 'menu'), ['http://localhost:3000/orders?tab=open', 'http://localhost:3000/help']);
  assert.match(zhangsan.html, /<details><summary>更多<\/summary>/);
  assert.match(zhangsan.html, /<span class="inert" title="click · CHECK_IN">签到<\/span>/);
  assert.deepEqual(entries(zhangsan.html, 'card'), [
    'http://localhost:3000/orders/42?tab=items&x=1',
    'http://localhost:3000/reports/3',
    'http://localhost:3000/reports/w1',
    'http://localhost:3000/claims/9',
  ]);
  assert.deepEqual(entries(zhangsan.html, 'card-link'), ['http://localhost:3000/claims']);
  assert.deepEqual(entries(zhangsan.html, 'text-link'), ['http://localhost:3000/t'], 'only http(s) links in text become links');
  assert.ok(!zhangsan.html.includes('<script>'), 'message text is escaped');
  assert.match(zhangsan.html, /&#60;script&#62;alert\(1\)&#60;\/script&#62;订单/);
  assert.match(zhangsan.html, /<div class="gray">今天<\/div><div class="highlight">待审批<\/div><div>&#60;b&#62;x&#60;\/b&#62;<\/div>/);
  assert.match(zhangsan.html, /<p class="btn">去审批<\/p>/);
  assert.match(zhangsan.html, /data-recalled="true">「演示应用」撤回了一条消息/);
  assert.ok(!zhangsan.html.includes('http://localhost:3000/md'), 'a recalled message shows nothing of itself');

  // lisi got none of zhangsan's messages; wangwu is outside the app's visible range.
  const lisi = await page(`${emu.url}/client?user=lisi`);
  assert.deepEqual(entries(lisi.html, 'card'), []);
  assert.deepEqual(entries(lisi.html, 'menu').length, 2);
  const wangwu = await page(`${emu.url}/client?user=wangwu`);
  assert.deepEqual(entries(wangwu.html, 'homepage'), []);
  assert.match(wangwu.html, /王五 不在这些应用的可见范围内/);
});

test("the client page's member is who the in-app authorize logs in; the header still wins", async (t) => {
  const emu = await start(t);
  const at = await token(emu);
  const who = async (headers: Record<string, string>): Promise<unknown> => {
    const res = await fetch(authorizeUrl(emu), { redirect: 'manual', headers: { 'user-agent': UA.wecomIos, ...headers } });
    assert.equal(res.status, 302);
    const code = new URL(res.headers.get('location') ?? '').searchParams.get('code') ?? '';
    return (await getJson(emu, '/cgi-bin/auth/getuserinfo', { access_token: at, code }))['userid'];
  };
  const { cookie } = await page(`${emu.url}/client?user=lisi`);
  assert.ok(cookie);
  const pair = cookie.split(';')[0] ?? '';
  assert.equal(await who({ cookie: pair }), 'lisi');
  assert.equal(await who({ cookie: pair, 'x-wecom-emulator-user': 'wangwu' }), 'wangwu');
  assert.equal(await who({}), 'zhangsan', 'no cookie: the first member, as before');
  assert.equal(await who({ cookie: 'wecom_emulator_user=ghost' }), 'zhangsan', 'a cookie naming nobody of this corp is ignored');
});
