// message/send, message/recall, menu/*, agent/* on the raw wire (no client): WeCom's checks and
// errcodes, the record of what was sent, the control path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FixtureError, defaultFixture, parseFixture } from '../../src/emulator/index.ts';
import { AGENT, appOf, getJson, postJson, start, token } from '../helpers/emulator.ts';
import type { Json } from '../helpers/emulator.ts';

const CARD = { title: '标题', description: '描述', url: 'http://localhost:3000/orders/42' };

async function send(emu: Parameters<typeof token>[0], at: string, body: Json): Promise<Json> {
  return postJson(emu, '/cgi-bin/message/send', { access_token: at }, { agentid: AGENT, ...body });
}

test('message/send: checks in order, each with its errcode', async (t) => {
  const emu = await start(t);
  const at = await token(emu);
  const cases: [Json, number][] = [
    [{ agentid: undefined, touser: 'zhangsan', msgtype: 'textcard', textcard: CARD }, 41011],
    [{ agentid: 9, touser: 'zhangsan', msgtype: 'textcard', textcard: CARD }, 40056],
    [{ touser: 'zhangsan', msgtype: 'telegram' }, 40008],
    [{ touser: Array.from({ length: 1001 }, (_, i) => `u${i}`).join('|'), msgtype: 'textcard', textcard: CARD }, 40032],
    [{ toparty: Array.from({ length: 101 }, (_, i) => i).join('|'), msgtype: 'textcard', textcard: CARD }, 82002],
    [{ totag: Array.from({ length: 101 }, (_, i) => i).join('|'), msgtype: 'textcard', textcard: CARD }, 82003],
    [{ msgtype: 'textcard', textcard: CARD }, 81013],
    [{ touser: 'zhangsan', msgtype: 'text', text: { content: '' } }, 44004],
    [{ touser: 'zhangsan', msgtype: 'textcard', textcard: { title: 't', url: CARD.url } }, 41033],
    [{ touser: 'zhangsan', msgtype: 'textcard', textcard: { description: 'd', url: CARD.url } }, 41016],
    [{ touser: 'zhangsan', msgtype: 'news', news: { articles: Array.from({ length: 9 }, () => ({ title: 't', url: CARD.url })) } }, 45008],
    [{ touser: 'zhangsan', msgtype: 'news', safe: 1, news: { articles: [{ title: 't', url: CARD.url }] } }, 40074],
    [
      {
        touser: 'zhangsan',
        msgtype: 'template_card',
        template_card: { card_type: 'text_notice', main_title: { title: 't' }, card_action: { type: 3 } },
      },
      42045,
    ],
    [{ touser: 'ghost|wangwu', msgtype: 'textcard', textcard: CARD }, 81013],
  ];
  for (const [body, errcode] of cases) {
    const answer = await send(emu, at, body);
    assert.equal(answer['errcode'], errcode, JSON.stringify(body).slice(0, 100));
    assert.match(String(answer['errmsg']), /, hint: \[/);
  }
  const allInvalid = await send(emu, at, { touser: 'Ghost|wangwu', msgtype: 'textcard', textcard: CARD });
  assert.equal(allInvalid['invaliduser'], 'ghost|wangwu', 'all invalid: the list is still in the body, lower-cased');
  assert.equal(emu.messages.length, 0);
  // Another app of the same corp: 301002.
  const corp = emu.fixture.corps[0];
  assert.ok(corp);
  corp.apps.push({
    ...appOf(emu.fixture),
    agentId: 1000003,
    name: '另一个应用',
    secret: 'other-secret',
    trustedDomains: [],
    visibleUserIds: ['zhangsan'],
  });
  const other = await send(emu, at, { agentid: 1000003, touser: 'zhangsan', msgtype: 'textcard', textcard: CARD });
  assert.equal(other['errcode'], 301002);
  assert.equal((await getJson(emu, '/cgi-bin/message/send', { access_token: at }))['errcode'], 43002);
});

test('message/send: over-long text is cut by bytes at a character boundary and still delivered', async (t) => {
  const emu = await start(t);
  const at = await token(emu);
  const title = '长'.repeat(50); // 150 bytes
  const answer = await send(emu, at, { touser: 'zhangsan', msgtype: 'textcard', textcard: { ...CARD, title, btntxt: '查看全部详情' } });
  assert.equal(answer['errcode'], 0);
  assert.equal(answer['invaliduser'], '');
  const message = emu.messages[0];
  assert.equal(message?.content['title'], '长'.repeat(42));
  assert.equal(message?.content['btntxt'], '查看全部');
  assert.deepEqual(message?.truncated, ['textcard.title', 'textcard.btntxt']);
});

test("message/send 'drop' mode (the default): a member's 31st message in a minute is accepted but not delivered", async (t) => {
  const emu = await start(t);
  const at = await token(emu);
  const answers = await Promise.all(
    Array.from({ length: 31 }, (_, i) => send(emu, at, { touser: 'zhangsan|lisi', msgtype: 'text', text: { content: `${i}` } })),
  );
  assert.ok(answers.every((a) => a['errcode'] === 0));
  assert.equal(emu.inbox('zhangsan').length, 30);
  assert.equal(emu.messages.filter((m) => m.dropped.includes('zhangsan')).length, 1);
  const control = (await (await fetch(`${emu.url}/__emulator/messages`)).json()) as { messages: unknown[] };
  assert.equal(control.messages.length, 31);
});

test('message/recall: only this app, only once', async (t) => {
  const emu = await start(t);
  const at = await token(emu);
  const sent = await send(emu, at, { touser: 'zhangsan', msgtype: 'textcard', textcard: CARD });
  const recall = (msgid: unknown): Promise<Json> => postJson(emu, '/cgi-bin/message/recall', { access_token: at }, { msgid });
  assert.equal((await recall(sent['msgid']))['errcode'], 0);
  assert.notEqual((await recall(sent['msgid']))['errcode'], 0);
  assert.notEqual((await recall(''))['errcode'], 0);
  assert.equal(typeof emu.inbox('zhangsan')[0]?.recalledAt, 'number');
});

test('menu/create|get|delete: the rules of 90231, agentid in the query', async (t) => {
  const emu = await start(t);
  const at = await token(emu);
  const create = (button: unknown, agentid: string | null = String(AGENT)): Promise<Json> =>
    postJson(emu, '/cgi-bin/menu/create', { access_token: at, ...(agentid === null ? {} : { agentid }) }, { button });
  const view = { type: 'view', name: '首页', url: 'http://localhost:3000/' };
  assert.equal((await create([view], null))['errcode'], 41011);
  assert.equal((await create([view], '42'))['errcode'], 40056);
  assert.equal((await create([view, view, view, view]))['errcode'], 40016);
  assert.equal((await create([{ name: 'g', sub_button: [view, view, view, view, view, view] }]))['errcode'], 40023);
  assert.equal((await create([{ ...view, name: '一二三四五六' }]))['errcode'], 40018);
  assert.equal((await create([{ ...view, url: 'mailto:a@b.c' }]))['errcode'], 40055);
  assert.equal((await create([{ name: 'g', sub_button: [{ name: 'h', sub_button: [view] }] }]))['errcode'], 40022);
  assert.equal((await getJson(emu, '/cgi-bin/menu/get', { access_token: at, agentid: AGENT }))['errcode'], 46003);
  assert.equal((await create([view, { name: '更多', sub_button: [{ type: 'click', name: '签到', key: 'K' }] }]))['errcode'], 0);
  const got = await getJson(emu, '/cgi-bin/menu/get', { access_token: at, agentid: AGENT });
  assert.deepEqual(got['button'], [view, { name: '更多', sub_button: [{ type: 'click', name: '签到', key: 'K' }] }]);
  assert.equal((await getJson(emu, '/cgi-bin/menu/delete', { access_token: at, agentid: AGENT }))['errcode'], 0);
  assert.equal(appOf(emu.fixture).menu, undefined);
});

test('agent/get and agent/set: own app only, home_url http(s), name and description lengths', async (t) => {
  const emu = await start(t);
  const at = await token(emu);
  const set = (body: Json): Promise<Json> => postJson(emu, '/cgi-bin/agent/set', { access_token: at }, { agentid: AGENT, ...body });
  assert.equal((await set({ home_url: 'javascript:alert(1)' }))['errcode'], 40094);
  assert.equal((await set({ name: '名'.repeat(33) }))['errcode'], 45022);
  assert.equal((await set({ description: '短' }))['errcode'], 45004);
  assert.equal((await set({ redirect_domain: 'evil.example' }))['errcode'], 85005);
  assert.equal((await set({ agentid: undefined, home_url: 'http://localhost:3000/' }))['errcode'], 41011);
  assert.equal(appOf(emu.fixture).homeUrl, undefined, 'refused calls change nothing');
  assert.equal((await set({ home_url: 'http://localhost:3000/', name: '审批' }))['errcode'], 0);
  const agent = await getJson(emu, '/cgi-bin/agent/get', { access_token: at, agentid: AGENT });
  assert.equal(agent['home_url'], 'http://localhost:3000/');
  assert.equal(agent['name'], '审批');
  assert.deepEqual(agent['allow_userinfos'], { user: [{ userid: 'zhangsan' }, { userid: 'lisi' }] });
  assert.equal((await getJson(emu, '/cgi-bin/agent/get', { access_token: at }))['errcode'], 41011);
});

test('fixture: menus, homepages, departments and tags are checked like the API checks them', () => {
  const withApp = (extra: Json): unknown => {
    const f = defaultFixture() as unknown as { corps: { apps: Json[] }[] };
    Object.assign(f.corps[0]?.apps[0] ?? {}, extra);
    return f;
  };
  assert.throws(
    () => parseFixture(withApp({ menu: [{ type: 'view', name: 'x', url: 'nope' }] })),
    (e: unknown) => e instanceof FixtureError && /menu\[0\]\.url .*40055/.test(e.message),
  );
  assert.throws(() => parseFixture(withApp({ homeUrl: '/x' })), /homeUrl must be an http\(s\) URL/);
  assert.throws(() => parseFixture(withApp({ visiblePartyIds: ['1'] })), /visiblePartyIds\[0\] must be a non-negative integer/);
  const ok = parseFixture(
    withApp({ homeUrl: 'http://localhost:3000/', menu: [{ type: 'view', name: '首页', url: 'http://localhost:3000/' }] }),
  );
  assert.equal(ok.corps[0]?.apps[0]?.homeUrl, 'http://localhost:3000/');
  const badTag = defaultFixture();
  badTag.corps[0]?.tags?.push({ tagId: 9, name: 't', userIds: ['ghost'] });
  assert.throws(() => parseFixture(badTag), /tags\[1\]\.userIds\[0\] "ghost" is not a member/);
  const badParent = defaultFixture();
  badParent.corps[0]?.departments?.push({ id: 7, name: 'd', parentId: 99 });
  assert.throws(() => parseFixture(badParent), /departments\[2\]\.parentId 99 is not a department/);
});
