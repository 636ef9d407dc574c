/**
 * WeComClient's custom menu (menu/create|get|delete) and app settings (agent/get|set) against the
 * emulator: round trips, and menus over WeCom's limits refused before the call.
 */
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { WeComApiError, WeComRequestError } from '../../src/wecom/index.ts';
import type { MenuButton, MenuItem } from '../../src/wecom/index.ts';
import { failure, makeClient, withEmulator } from '../helpers/client.ts';

const MENU: MenuItem[] = [
  { type: 'view', name: '我的订单', url: 'http://localhost:3000/orders?tab=open' },
  {
    name: '更多',
    sub_button: [
      { type: 'view', name: '帮助', url: 'https://app.example.com/help' },
      { type: 'click', name: '签到', key: 'CHECK_IN' },
    ],
  },
];

async function menuError(promise: Promise<unknown>): Promise<WeComRequestError> {
  const err = await failure(promise);
  assert.ok(err instanceof WeComRequestError, inspect(err));
  assert.equal(err.api, 'menu/create');
  return err;
}

describe('custom menu', () => {
  it('create, get, delete; get without a menu is undefined (46003)', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        assert.equal(await client.getMenu(), undefined);
        await client.createMenu(MENU);
        assert.deepEqual(await client.getMenu(), MENU);
        const create = emu.calls.find((c) => c.api === 'menu/create');
        assert.equal(create?.query['agentid'], '1000002');
        assert.deepEqual(create?.body, { button: MENU });
        await client.deleteMenu();
        assert.equal(await client.getMenu(), undefined);
        assert.deepEqual(
          emu.calls.filter((c) => c.api === 'menu/get').map((c) => c.errcode),
          [46003, 0, 46003],
        );
      } finally {
        client.close();
      }
    }));

  it("over WeCom's limits: refused before the call, naming the button and the errcode", () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        const view = (name: string): MenuButton => ({ type: 'view', name, url: 'https://a.example/' });
        const cases: [unknown, string, number][] = [
          [[view('1'), view('2'), view('3'), view('4')], 'button', 40016],
          [[], 'button', 40016],
          [[{ name: '组', sub_button: Array.from({ length: 6 }, (_, i) => view(String(i))) }], 'button[0].sub_button', 40023],
          [[{ name: '组', sub_button: [] }], 'button[0].sub_button', 40023],
          [[view('一二三四五六')], 'button[0].name', 40018], // 18 bytes > 16
          [[{ name: '组', sub_button: [view('一二三四五六七八九十一二三四')] }], 'button[0].sub_button[0].name', 40025], // 42 bytes > 40
          [[{ name: '组', sub_button: [{ name: '深', sub_button: [view('x')] }] }], 'button[0].sub_button[0].sub_button', 40022],
          [[{ type: 'view', name: 'x', url: 'ftp://a.example/' }], 'button[0].url', 40055],
          [[{ name: '组', sub_button: [{ type: 'view', name: 'x', url: '/relative' }] }], 'button[0].sub_button[0].url', 40054],
          [[{ type: 'view', name: 'x', url: `https://a.example/${'x'.repeat(1024)}` }], 'button[0].url', 40020],
          [[{ type: 'click', name: 'x' }], 'button[0].key', 40019],
          [[{ type: 'frobnicate', name: 'x' }], 'button[0].type', 40017],
          [[{ name: '组', sub_button: [{ type: 'nope', name: 'x' }] }], 'button[0].sub_button[0].type', 40024],
        ];
        for (const [menu, field, errcode] of cases) {
          const err = await menuError(client.createMenu(menu as MenuItem[]));
          assert.deepEqual([err.field, err.errcode], [field, errcode], JSON.stringify(menu).slice(0, 100));
        }
        // At the limits is fine: 3 buttons, 5 sub-buttons, a 16-byte name.
        await client.createMenu([
          view('一二三四五'),
          view('b'),
          { name: 'c', sub_button: Array.from({ length: 5 }, (_, i) => view(String(i))) },
        ]);
        assert.equal(emu.callCount('menu/create'), 1, 'only the valid menu reached WeCom');
      } finally {
        client.close();
      }
    }));
});

describe('agent settings (homepage)', () => {
  it('setAgent({ homeUrl }) is what getAgent and the workbench show', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        assert.equal((await client.getAgent()).homeUrl, '');
        await client.setAgent({ homeUrl: 'http://localhost:3000/?from=workbench', description: '演示应用的说明' });
        const agent = await client.getAgent();
        assert.equal(agent.agentId, 1000002);
        assert.equal(agent.homeUrl, 'http://localhost:3000/?from=workbench');
        assert.equal(agent.description, '演示应用的说明');
        assert.deepEqual(agent.allowUserIds, ['zhangsan', 'lisi']);
        assert.equal(agent.closed, false);
        assert.equal(emu.fixture.corps[0]?.apps[0]?.homeUrl, 'http://localhost:3000/?from=workbench');
      } finally {
        client.close();
      }
    }));

  it('refused before the call: a homepage that is not http(s), a name too long, a description too short, nothing to set', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        const cases: [object, string, number | undefined][] = [
          [{ homeUrl: '/relative' }, 'homeUrl', 40094],
          [{ homeUrl: 'ftp://a.example/' }, 'homeUrl', 40094],
          [{ name: '名'.repeat(33) }, 'name', 45022],
          [{ description: '短' }, 'description', 45004],
          [{}, 'settings', undefined],
        ];
        for (const [settings, field, errcode] of cases) {
          const err = await failure(client.setAgent(settings));
          assert.ok(err instanceof WeComRequestError, inspect(err));
          assert.deepEqual([err.field, err.errcode], [field, errcode]);
        }
        assert.equal(emu.callCount('agent/set'), 0);
      } finally {
        client.close();
      }
    }));

  it('a trusted domain whose ownership is not verified: 85005 from WeCom', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        const err = await failure(client.setAgent({ redirectDomain: 'unverified.example.com' }));
        assert.ok(err instanceof WeComApiError);
        assert.equal(err.errcode, 85005);
        await client.setAgent({ redirectDomain: 'localhost:3000' });
      } finally {
        client.close();
      }
    }));
});
